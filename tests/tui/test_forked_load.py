"""Big files load in a forked child (issue 14, memory): the app receives the same trace the load
would make in-process, the file's errors as they are, and nothing of the child reaches the
terminal; a load stopped half-way leaves no process behind."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gradstep.core.engine import Value
from gradstep.core.language import ExpressionError, load
from gradstep.core.trace import Trace, trace
from gradstep.tui import forked_load
from gradstep.tui import loader as loader_module
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.error_panel import ErrorPanel

if TYPE_CHECKING:
    from tests.tui.conftest import Loaded

pytestmark = pytest.mark.skipif(not forked_load.AVAILABLE, reason="loads run in a child on Linux only")

NETWORK = """\
x1 = Value(2.0, label='x1')
w1 = Value(-3.0, label='w1')
b = Value(6.8813735870195432, label='b')
n = x1*w1 + b
o = tanh(n)
L = (o - 1)**2 / 2 + relu(-x1) + exp(w1) * sigmoid(b) - log(x1)
L
"""


def children() -> set[int]:
    """This process's child processes still around (zombies included)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(entry.name))
    return found


def same(a: Trace, b: Trace) -> None:
    assert a.size == b.size and len(a) == len(b)
    assert a.labels == b.labels
    assert all(x is y for x, y in zip(a.ops, b.ops, strict=True))  # the very ops: compared with `is`
    for name in ("data", "grad", "params", "in_start", "in_ids", "local", "before", "first_grad_event"):
        assert getattr(a, name) == getattr(b, name), name
    assert [a.describe(k) for k in range(len(a))] == [b.describe(k) for k in range(len(b))]


def test_the_child_makes_the_trace_made_here(tmp_path: Path) -> None:
    path = tmp_path / "net.gs"
    path.write_text(NETWORK)
    reports: list[tuple[str, int, int]] = []
    before = children()
    got = forked_load.load_and_trace(str(path), lambda *report: reports.append(report))
    same(got, trace(load(str(path)).output))
    assert ("tracing", 0, 1) in reports and reports[0][0] == "parsing"
    got.goto(len(got) // 2)
    assert got.position == len(got) // 2
    assert children() == before  # reaped


def test_a_file_error_comes_back_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "bad.gs"
    path.write_text("a = Value(1.0)\nb = a +* 2\nb\n")
    with pytest.raises(ExpressionError) as here:
        load(str(path))
    with pytest.raises(ExpressionError) as there:
        forked_load.load_and_trace(str(path), lambda *report: None)
    assert str(there.value) == str(here.value)
    assert (there.value.line, there.value.column) == (here.value.line, here.value.column)


def test_a_failing_core_is_said_and_nothing_reaches_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "net.gs"
    path.write_text(NETWORK)

    def broken(output: Value) -> Trace:
        print("stdout from the child")
        os.write(2, b"stderr from the child\n")
        raise ValueError("boom")

    monkeypatch.setattr(forked_load, "trace", broken)  # the child is a copy of this process
    with pytest.raises(forked_load.ChildFailed) as failed:
        forked_load.load_and_trace(str(path), lambda *report: None)
    assert repr(failed.value) == "ValueError('boom')"
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_child_that_dies_is_a_failure_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "net.gs"
    path.write_text(NETWORK)
    monkeypatch.setattr(forked_load, "trace", lambda output: os._exit(3))
    with pytest.raises(forked_load.ChildFailed, match="ended without a result"):
        forked_load.load_and_trace(str(path), lambda *report: None)


def test_a_stopped_load_kills_its_child(tmp_path: Path) -> None:
    path = tmp_path / "big.gs"
    path.write_text("s = Value(0.0)\n" + "s = s + 1.5 + 2.5\n" * 20_000 + "s\n")
    before = children()

    class Stop(Exception):
        pass

    def stop(stage: str, done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        forked_load.load_and_trace(str(path), stop)
    assert children() == before


async def test_the_app_loads_a_big_file_in_a_child(tmp_path: Path, loaded: Loaded) -> None:
    assert loader_module.IN_CHILD
    path = tmp_path / "big.gs"
    path.write_text("s = Value(0.0, label='s')\n" + "s = s + 0.5 + 0.5 + 0.5 + 0.5\n" * 4_000 + "s\n")
    first = Value(0.0).id
    app = GradstepApp(str(path), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.loading
        await loaded(app, pilot)
        assert app.trace is not None and app.trace.size == 1 + 2 * 16_000
        assert app.trace.data[app.trace.output] == 8000.0
        assert Value(0.0).id - first < 100  # the graph's Values were made in the child
        await pilot.press("n")
        assert app.trace.position == 1


async def test_the_app_shows_a_big_files_error_from_the_child(tmp_path: Path, loaded: Loaded) -> None:
    path = tmp_path / "big.gs"
    path.write_text("s = Value(0.0)\n" + "s = s + 0.5 + 0.5 + 0.5 + 0.5\n" * 4_000 + "s = s +\n")
    app = GradstepApp(str(path), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        assert app.trace is None and app.error is not None
        assert app.error.startswith(f"{path}:4002:") and "Traceback" not in app.error
        assert app.query_one(ErrorPanel).display


def big_sum(terms: int, step: float) -> str:
    """A sum over ``BACKGROUND_BYTES``, ten terms a line; s ends at ``step * terms``."""
    lines = ["s = Value(0.0, label='s')"]
    lines += [f"s = s + {' + '.join([repr(step)] * 10)}" for _ in range(terms // 10)]
    text = "\n".join([*lines, "s"]) + "\n"
    assert len(text) >= forked_load.BACKGROUND_BYTES
    return text


def count_forks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    forks: list[str] = []
    real = forked_load._fork

    def fork(path: str) -> forked_load._Child:
        forks.append(path)
        return real(path)

    monkeypatch.setattr(forked_load, "_fork", fork)
    return forks


def test_an_early_load_is_taken_over_not_done_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.gs"
    path.write_text(big_sum(8_000, 0.25))
    forks = count_forks(monkeypatch)
    before = children()
    forked_load.start_early(str(path))
    assert len(forks) == 1 and children() - before  # it runs already
    got = forked_load.load_and_trace(str(path), lambda *report: None)
    assert len(forks) == 1  # the early child's work, taken over
    assert got.data[got.output] == 2000.0  # 8,000 terms of 0.25
    same(got, trace(load(str(path)).output))
    assert children() == before  # reaped
    forked_load.load_and_trace(str(path), lambda *report: None)
    assert len(forks) == 2  # taken once: a reload loads afresh


def test_an_early_load_of_a_file_changed_since_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.gs"
    path.write_text(big_sum(8_000, 0.25))
    forks = count_forks(monkeypatch)
    before = children()
    forked_load.start_early(str(path))
    path.write_text(big_sum(8_000, 0.5))  # another size: the signature differs whatever the clock
    got = forked_load.load_and_trace(str(path), lambda *report: None)
    assert len(forks) == 2 and got.data[got.output] == 4000.0  # the file as it is now
    assert children() == before  # the early child was ended and reaped


def test_small_files_and_missing_files_start_nothing_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = count_forks(monkeypatch)
    small = tmp_path / "small.gs"
    small.write_text(NETWORK)
    forked_load.start_early(str(small))
    forked_load.start_early(str(tmp_path / "missing.gs"))
    assert forks == [] and forked_load._early == {}


def test_the_command_starts_a_big_files_load_before_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradstep.tui import app as app_module
    from gradstep.tui import cli

    path = tmp_path / "big.gs"
    path.write_text(big_sum(8_000, 0.25))
    started: list[tuple[str, bool]] = []

    def run_app(file: str | None, *, served: bool = False) -> int:
        started.append((str(file), str(file) in forked_load._early))
        for early in list(forked_load._early):  # as the app's loader would, or the exit
            forked_load._end(forked_load._early.pop(early)[1])
        return 0

    monkeypatch.setattr(app_module, "run_app", run_app)
    before = children()
    assert cli.run([str(path)]) == 0
    assert cli.run([str(path), "--served"]) == 0
    assert started == [(str(path), True), (str(path), False)]  # a served app reads nothing early
    assert children() == before


def test_the_child_also_sends_the_spanning_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradstep.core.spanning import Spanning

    path = tmp_path / "net.gs"
    path.write_text(NETWORK)
    made_here: list[int] = []
    make = Spanning.__init__

    def counted(self: Spanning, graph: Trace) -> None:
        made_here.append(os.getpid())
        make(self, graph)

    monkeypatch.setattr(Spanning, "__init__", counted)
    got = forked_load.load_and_trace(str(path), lambda *report: None)
    spanning = got.spanning
    assert made_here == []  # made in the child (its count stayed there), taken over here
    reference = Spanning(got)
    assert made_here == [os.getpid()]
    assert spanning.home_edge == reference.home_edge and spanning.depth == reference.depth
    assert spanning.parent == reference.parent and spanning.max_depth == reference.max_depth
