"""The engine check's compiled loops (``core/_speedups.c``) against the Python they stand for.

The check's own tests run on both paths (``both_paths`` in conftest.py, golden verdicts included).
Here: the extension is built where it can be, reading a graph gives the same lists both ways, their
objects end as their own backward leaves them, and the command gives the same document both ways.
"""

from __future__ import annotations

import gc
import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradstep.core import check, speedups
from gradstep.core.foreign import ForeignGraph, read
from micrograd.engine import Value as MicrogradValue

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def python_loops() -> Iterator[None]:
    built = speedups.compiled
    speedups.compiled = None
    try:
        yield
    finally:
        speedups.compiled = built


def compiled() -> Any:
    if speedups.compiled is None:
        pytest.skip("the compiled loops are not built here")
    return speedups.compiled


def test_the_extension_is_built_where_a_compiler_and_the_headers_are() -> None:
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not (shutil.which("cc") or shutil.which("gcc")) or not headers.exists():
        pytest.skip("no C compiler or no Python headers: the Python loops run (tested by both_paths)")
    if os.environ.get("GRADSTEP_PURE_PYTHON"):
        pytest.skip("GRADSTEP_PURE_PYTHON is set")
    assert speedups.compiled is not None, "pip install -e . should have built gradstep.core._speedups"


def micrograd_graph(seed: int, size: int = 300, made: list[MicrogradValue] | None = None) -> MicrogradValue:
    """A random micrograd graph as an MLP makes them: sums of products, ReLU, squares, reuse (every
    node made here, in order, in ``made``). Squares of squares make some grads huge beside what
    one step sends (see test_check's test of the rounding of what a step sent)."""
    draw = random.Random(seed)
    nodes = [MicrogradValue(draw.choice([0.0, draw.uniform(-2, 2)])) for _ in range(6)]
    for _ in range(size):
        a, b = draw.choice(nodes), draw.choice(nodes[-12:])
        kind = draw.randrange(6)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a.relu()
        elif kind == 3:
            out = a * a
        elif kind == 4:
            out = a**2
        else:
            out = a + 1.5
        nodes.append(out)
    loss = nodes[-1]
    for node in nodes[-10:-1]:
        loss = loss + node
        nodes.append(loss)
    if made is not None:
        made.extend(nodes)
    return loss


def graph_lists(graph: ForeignGraph) -> dict[str, Any]:
    return {
        "objects": [id(obj) for obj in graph.objects],
        "ops": graph.ops,
        "params": graph.params,
        "operands": [tuple(ins) for ins in graph.operands],
        "op_names": graph.op_names,
        "data": graph.data,
        "labels": list(graph.labels),
        "output": graph.output,
        "index": dict(graph.index),
        "reachable": bytes(graph.reachable),
        "orderless": bytes(graph.orderless),
        "warnings": graph.warnings,
    }


@pytest.mark.parametrize("seed", range(12))
def test_reading_a_graph_gives_the_same_lists_both_ways(seed: int) -> None:
    compiled()
    loss = micrograd_graph(seed)
    fast = graph_lists(read(loss))
    built, speedups.compiled = speedups.compiled, None
    try:
        slow = graph_lists(read(loss))
    finally:
        speedups.compiled = built
    assert fast == slow


def test_a_graph_of_two_classes_is_read_by_the_general_walk_both_ways() -> None:
    compiled()

    class Other(MicrogradValue):
        pass

    loss = MicrogradValue(2.0) * Other(3.0) + MicrogradValue(1.0)
    fast = graph_lists(read(loss))
    built, speedups.compiled = speedups.compiled, None
    try:
        assert graph_lists(read(loss)) == fast
    finally:
        speedups.compiled = built


@pytest.mark.parametrize("seed", range(6))
def test_their_objects_end_as_their_own_backward_leaves_them(seed: int) -> None:
    compiled()
    made_theirs: list[MicrogradValue] = []
    made_ours: list[MicrogradValue] = []
    theirs, ours = micrograd_graph(seed, made=made_theirs), micrograd_graph(seed, made=made_ours)
    theirs.backward()
    steps_before = {id(node): node._backward for node in walk(ours)}
    verdict = check(ours)
    assert verdict.ok, verdict.first_mismatch
    # equal but for rounding: micrograd's step order follows its sets' order, which differs between
    # two graphs (the exact values are checked on an engine with a fixed order below)
    assert [node.grad for node in made_ours] == pytest.approx([node.grad for node in made_theirs], rel=1e-9)
    assert all(node._backward is steps_before[id(node)] for node in walk(ours))
    # both hooks are off their class again
    assert "grad" not in vars(MicrogradValue) and "_backward" not in vars(MicrogradValue)


def test_nothing_of_theirs_is_kept_once_the_check_is_done() -> None:
    compiled()
    loss = micrograd_graph(3)
    nodes = [weakref.ref(node) for node in walk(loss)]
    verdict = check(loss)
    assert verdict.ok
    del loss, verdict
    gc.collect()
    assert not [ref for ref in nodes if ref() is not None]


def walk(output: MicrogradValue) -> list[MicrogradValue]:
    """Every node of ``output``'s graph."""
    seen: dict[int, MicrogradValue] = {}
    stack = [output]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node._prev)
    return list(seen.values())


class Replacing:
    """An engine whose backward replaces each node's ``_backward`` once it ran (freeing closures)."""

    def __init__(self, data: float, _children: tuple[Any, ...] = (), _op: str = "") -> None:
        self.data, self.grad = data, 0.0
        self._prev, self._op = set(_children), _op
        self._backward: Any = lambda: None

    def __mul__(self, other: Replacing) -> Replacing:
        out = Replacing(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        order: list[Replacing] = []
        seen: set[int] = set()
        stack: list[tuple[Replacing, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
            node._backward = None


@pytest.mark.parametrize("path", ["compiled", "python"])
def test_what_their_backward_sets_on_their_nodes_stays(path: str) -> None:
    if path == "compiled":
        compiled()
    built = speedups.compiled
    speedups.compiled = built if path == "compiled" else None
    try:
        a, b = Replacing(2.0), Replacing(3.0)
        out = a * b * a
        assert check(out).ok
    finally:
        speedups.compiled = built
    assert (a.grad, b.grad, out.grad) == (12.0, 4.0, 1.0)
    assert a._backward is None and out._backward is None
    assert "_backward" not in vars(Replacing) and "grad" not in vars(Replacing)


def test_the_node_table_answers_as_a_dict_would() -> None:
    table_type = compiled().NodeTable
    nodes = [MicrogradValue(float(k)) for k in range(1000)]
    table = table_type([*nodes, nodes[3]])  # listed twice: the first number stays
    stranger = MicrogradValue(0.0)
    assert len(table) == 1000
    assert [table.get(node, -1) for node in nodes] == list(range(1000))
    assert table[nodes[7]] == 7 and nodes[999] in table
    assert table.get(stranger, -1) == -1 and table.get(stranger) is None and stranger not in table
    with pytest.raises(KeyError):
        table[stranger]


@pytest.mark.parametrize(
    ("engine", "name"),
    [
        ("correct.py", "shared.gs"),
        ("overwrite.py", "shared.gs"),
        ("order.py", "neuron.gs"),
        ("local.py", "seed.gs"),
    ],
)
def test_the_command_prints_the_same_document_without_the_compiled_loops(engine: str, name: str) -> None:
    compiled()
    command = [
        sys.executable, "-m", "gradstep.tui.cli", "check", "--engine",
        str(EXAMPLES / "engines" / engine), str(EXAMPLES / name), "--json",
    ]  # fmt: skip
    plain = {key: value for key, value in os.environ.items() if key != "GRADSTEP_PURE_PYTHON"}
    fast = subprocess.run(command, capture_output=True, text=True, env=plain, timeout=60)
    slow = subprocess.run(
        command, capture_output=True, text=True, env={**plain, "GRADSTEP_PURE_PYTHON": "1"}, timeout=60
    )
    assert fast.returncode == slow.returncode and fast.returncode in (0, 1), fast.stderr + slow.stderr
    assert json.loads(fast.stdout) == json.loads(slow.stdout)


def test_gradstep_pure_python_leaves_the_compiled_loops_out() -> None:
    code = "from gradstep.core import speedups; print(speedups.compiled is None)"
    env = {**os.environ, "GRADSTEP_PURE_PYTHON": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "True", done.stderr


# --- the recording's log: a Tape where the loops are compiled, a list where not --------------------

ENGINES = sorted((EXAMPLES / "engines").glob("*.py"))
FILES = sorted(EXAMPLES.glob("*.gs"))


def recorded_log(engine: Path, source: Path) -> list[Any]:
    """The log of one check of ``source`` with ``engine``, each item as the judge reads it: their
    node by its number, a marker by its name, a grad as a float (None kept), anything else by type."""
    from gradstep.core import checker, record

    seen: list[tuple[ForeignGraph, Any]] = []

    def keeping(graph: ForeignGraph, timeout: float = record.TIMEOUT) -> Any:
        recording = record.record(graph, timeout)
        seen.append((graph, recording))
        return recording

    original = checker.record
    checker.record = keeping  # type: ignore[assignment]
    try:
        checker.check_file(str(source), str(engine))
    finally:
        checker.record = original  # type: ignore[assignment]
    ((graph, recording),) = seen
    numbers = {id(obj): k for k, obj in enumerate(graph.objects)}
    markers = {id(record.START): "START", id(record.END): "END", id(record.ABORT): "ABORT"}

    def item(x: Any) -> Any:
        if id(x) in markers:
            return markers[id(x)]
        if id(x) in numbers:
            return ("node", numbers[id(x)])
        if x is None or isinstance(x, (int, float)):
            return x if x is None else float(x)
        return type(x).__name__

    log = recording.log
    assert type(log).__name__ == ("list" if speedups.compiled is None else "Tape")
    assert len(log) % 3 == 0
    return [item(x) for x in log]


@pytest.mark.parametrize("engine", ENGINES, ids=lambda p: p.stem)
def test_the_compiled_log_reads_as_the_python_one(engine: Path) -> None:
    """Every example engine on every example file: the Tape the compiled hooks write reads, item by
    item, as the list the Python hooks write (steps, writes, steps that raised, strays)."""
    compiled()
    for source in FILES:
        fast = recorded_log(engine, source)
        built, speedups.compiled = speedups.compiled, None
        try:
            slow = recorded_log(engine, source)
        finally:
            speedups.compiled = built
        assert fast == slow, source.name


def test_a_tape_is_a_sequence_of_triples() -> None:
    from gradstep.core.record import ABORT, END, START

    speedups_module = compiled()
    nodes = [MicrogradValue(float(k)) for k in range(3)]
    stranger = MicrogradValue(9.0)
    tape = speedups_module.Tape(speedups_module.NodeTable(nodes), START, END, ABORT)
    triples = [
        (START, nodes[2], None),  # a step of a node
        (nodes[0], 0.0, 1.5),  # a write of floats
        (nodes[1], None, 2),  # a write of anything else
        (END, None, None),
        (START, stranger, None),  # a step of an object outside the graph
        (stranger, 0.0, 1.0),  # a write outside the graph
        (ABORT, None, None),
    ]
    for triple in triples:
        tape.extend(triple)
    flat = [x for triple in triples for x in triple]
    assert len(tape) == len(flat) == 21
    assert list(tape) == flat
    assert all(a is b for a, b in zip(tape, flat, strict=True) if not isinstance(b, float))
    assert [tape[i] for i in range(-21, 0)] == flat
    assert tape[::3] == flat[::3] and tape[4:8] == flat[4:8]
    with pytest.raises(IndexError):
        tape[21]
    with pytest.raises(ValueError):
        tape.extend((START, None))


def test_a_tape_lets_go_of_what_it_holds() -> None:
    """A grad that is not a float is held by the log while it lives, and freed with it."""
    from gradstep.core.record import ABORT, END, START

    class Grad(float):
        pass

    speedups_module = compiled()
    nodes = [MicrogradValue(1.0)]
    old, new = Grad(1.0), Grad(2.0)
    refs = [weakref.ref(old), weakref.ref(new)]
    tape = speedups_module.Tape(speedups_module.NodeTable(nodes), START, END, ABORT)
    tape.extend((nodes[0], old, new))
    del old, new
    assert all(ref() is not None for ref in refs) and tape[1] == 1.0 and type(tape[2]) is Grad
    del tape
    assert all(ref() is None for ref in refs)


def test_flat_operands_are_a_sequence_of_tuples() -> None:
    """The compiled walk's operands: tuples made when asked for, settable, with the arrays the
    judge's loops read (a node of more than two operands keeps its tuple)."""
    operands = compiled().FlatOperands()
    assert len(operands) == 0 and list(operands) == []
    with pytest.raises(IndexError):
        operands[0] = (1,)


def test_a_node_the_python_arranges_reads_the_same_both_ways() -> None:
    """A - of a set's operands is left by the compiled walk to the Python, which recovers the order
    from the values and sets it on the walk's FlatOperands; items can be set, also with more than
    two operands, and the arrays the judge reads follow."""
    compiled()
    a, b = MicrogradValue(9.0), MicrogradValue(3.0)
    loss = MicrogradValue(6.0, (b, a), "-") * a + b
    fast = read(loss)
    assert type(fast.operands).__name__ == "FlatOperands"
    built, speedups.compiled = speedups.compiled, None
    try:
        slow = read(loss)
    finally:
        speedups.compiled = built
    assert graph_lists(fast) == graph_lists(slow)
    minus = fast.op_names.index("-")
    assert fast.operands[minus] == (fast.objects.index(a), fast.objects.index(b))
    operands = fast.operands
    operands[0] = (minus, 1, 2)
    operands[1] = ()
    assert operands[0] == (minus, 1, 2) and operands[1] == () and operands[-1] == slow.operands[-1]
    arity, first, second = operands.flat()
    expected = [tuple(ins) for ins in operands]
    assert list(arity) == [min(len(ins), 3) for ins in expected]
    assert list(first) == [ins[0] if ins else -1 for ins in expected]
    assert list(second) == [ins[1] if len(ins) > 1 else -1 for ins in expected]
    with pytest.raises(TypeError):
        operands[1] = [0, 1]
    with pytest.raises(IndexError):
        operands[len(operands)] = ()
