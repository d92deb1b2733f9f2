"""The bug hunt's core: the planted engines, what a file reveals, the seeded choice, the judging."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from gradstep.core.checker import check_file
from gradstep.core.hunt import SEED_LIMIT, HuntError, judge, new_seed, start
from gradstep.core.planted import (
    OPS,
    PLANT_KINDS,
    RIGHT,
    WRONG,
    Plant,
    lecture_engine,
    run_with,
    survey,
)
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ENGINES = EXAMPLES / "engines"
FILES = ("seed", "neuron", "shared", "a_plus_a", "tiny_mlp", "hunt")

# Every plant the hunt example reveals, with its first mismatch (step, node, operand), worked out by
# hand. The lecture engine's steps on hunt.gs: 1 L(+), 2 y*y, 3 y = 1 - d, 4 d = h - e, 5 e(exp),
# 6 h(tanh), 7 n(+), 8 b, 9 x*w, 10 w, 11 x, 12 the constant 1.
HUNT_PLANTS = {
    # b gets 1 from L's +, then n's + sets it: lost.
    "overwrite in +": (7, "n", "b"),
    # y*y uses y twice: the second use's = drops the first.
    "overwrite in *": (2, "y*y", "y"),
    # L = y*y + b: b is the second operand, sent -1.
    "local in +": (1, "L", "b"),
    # y*y's swapped locals are the same (y, y); x*w is the first product where they differ.
    "local in *": (9, "x*w", "x"),
    "local in -": (3, "y", "d"),
    "local in tanh": (6, "h", "n"),
    "local in exp": (5, "e", "x"),
    "missing in +": (1, "L", "y*y"),
    "missing in *": (2, "y*y", "y"),
    "missing in -": (3, "y", "1"),
    "missing in tanh": (6, "h", "n"),
    "missing in exp": (5, "e", "x"),
    # walked forward: the leaves 1, x, w first, then x*w before n, its consumer.
    "order": (4, "x*w", None),
    "seed": (1, "L", None),
}


def _location(verdict: Any) -> tuple[str, int | None, str | None, str | None] | None:
    m = verdict.first_mismatch
    return None if m is None else (m.kind, m.step, m.node, m.operand)


@pytest.mark.parametrize("name", FILES)
def test_the_lecture_engine_without_a_plant_passes_the_check(name: str) -> None:
    verdict = run_with(str(EXAMPLES / f"{name}.gs"), None)
    assert verdict.ok, verdict.first_mismatch
    assert verdict.step_count > 0


@pytest.mark.parametrize("op", OPS)
def test_the_right_locals_are_central_differences_and_the_wrong_ones_are_not(op: str) -> None:
    Value = lecture_engine()
    x0, y0, h = 0.7, -1.3, 1e-6

    def forward(x: float, y: float) -> float:
        a, b = Value(x), Value(y)
        out = {
            "+": lambda: a + b,
            "*": lambda: a * b,
            "-": lambda: a - b,
            "/": lambda: a / b,
            "**": lambda: a**3,
            "tanh": a.tanh,
            "exp": a.exp,
            "log": a.log,
            "ReLU": a.relu,
            "sigmoid": a.sigmoid,
        }[op]()
        return float(out.data)

    a, b = Value(x0), Value(y0)
    out = {
        "**": lambda: a**3,
        "tanh": a.tanh,
        "exp": a.exp,
        "log": a.log,
        "ReLU": a.relu,
        "sigmoid": a.sigmoid,
    }.get(op, lambda: {"+": a + b, "*": a * b, "-": a - b, "/": a / b}[op])()
    numeric = [(forward(x0 + h, y0) - forward(x0 - h, y0)) / (2 * h)]
    if op in ("+", "*", "-", "/"):
        numeric.append((forward(x0, y0 + h) - forward(x0, y0 - h)) / (2 * h))
    second = b if len(numeric) == 2 else None
    right = RIGHT[op](out, a, second)
    wrong = WRONG[op][0](out, a, second)
    assert len(right) == len(numeric) == len(wrong)
    assert all(math.isclose(r, n, rel_tol=1e-6, abs_tol=1e-9) for r, n in zip(right, numeric, strict=True))
    assert any(not math.isclose(w, n, rel_tol=1e-3) for w, n in zip(wrong, numeric, strict=True))


def test_the_hunt_example_reveals_every_kind_in_these_plants() -> None:
    found = survey(str(EXAMPLES / "hunt.gs"))
    assert found.kinds == PLANT_KINDS
    assert found.hidden == ()
    got = {run.plant.name: _location(run.verdict) for run in found.found}
    assert got == {name: (name.split(" ")[0], *where) for name, where in HUNT_PLANTS.items()}


# Each example engine has one bug; the plant of the same kind in the same op stops where it does.
SAME_AS_EXAMPLE = {
    "overwrite": Plant("overwrite", "+"),
    "local": Plant("local", "tanh"),  # local.py writes 1 - x**2, the plant 1 - t: same step, same node
    "missing": Plant("missing", "tanh"),
    "order": Plant("order"),
    "seed": Plant("seed"),
}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("kind", PLANT_KINDS)
def test_a_plant_stops_where_the_example_engine_with_that_bug_stops(kind: str, name: str) -> None:
    path = str(EXAMPLES / f"{name}.gs")
    example = check_file(path, str(ENGINES / f"{kind}.py"))
    assert _location(run_with(path, SAME_AS_EXAMPLE[kind])) == _location(example)


# The seed's steps: 1 L = d*f, 2 f, 3 d = e + c, 4 c, 5 e = a*b, 6 b, 7 a.
SEED_PLANTS = {
    "local in +": (3, "d", "c"),  # c, the second operand, sent -1 x d.grad
    "local in *": (1, "L", "d"),  # d sent its own value 4, not f = -2
    "missing in +": (3, "d", "e"),
    "missing in *": (1, "L", "d"),
    "order": (3, "e", None),  # walked forward: a, b, then e before d
    "seed": (1, "L", None),
}


def test_the_seed_graph_reveals_these_plants_and_not_overwrite_and_says_why() -> None:
    found = survey(str(EXAMPLES / "seed.gs"))
    assert found.kinds == ("local", "missing", "order", "seed")
    got = {run.plant.name: _location(run.verdict) for run in found.found}
    assert got == {name: (name.split(" ")[0], *where) for name, where in SEED_PLANTS.items()}
    ((kind, why),) = found.hidden
    assert kind == "overwrite" and "no node is used twice" in why


def test_a_plus_a_says_what_it_cannot_reveal() -> None:
    found = survey(str(EXAMPLES / "a_plus_a.gs"))
    assert found.kinds == ("overwrite", "missing", "seed")
    hidden = dict(found.hidden)
    # -1 for the second use of a cancels the first: a + a then sends nothing, which is `missing`.
    assert hidden["local"] == "planted, the check finds +: missing, not local"
    assert hidden["order"] == "with a single op there is no consumer to run too late"


# --- random graphs with reuse: all five kinds, each plant caught with its kind ----------------------

_OPS = ("+", "-", "*", "/", "tanh", "exp", "**2", "sigmoid")


@st.composite
def programs_with_reuse(draw: Any) -> str:
    count = draw(st.integers(2, 4))
    lines = [
        f"v{i} = Value({draw(st.floats(-2, 2).filter(lambda x: abs(x) > 0.1)):.3f}, label='v{i}')"
        for i in range(count)
    ]
    names = [f"v{i}" for i in range(count)]
    for k in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(_OPS))
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        expression = {
            "tanh": f"tanh({a})",
            "exp": f"exp({a}) * 0.1",
            "**2": f"{a}**2",
            "sigmoid": f"sigmoid({a})",
            "/": f"{a} / ({b}**2 + 1)",
        }.get(op, f"{a} {op} {b}")
        lines.append(f"t{k} = {expression}")
        names.append(f"t{k}")
    # v0 used twice by the last two ops, both reaching the output with non-zero grads.
    lines.append(f"L = ({names[-1]} + 2.5) * v0 + v0")
    return "\n".join(lines) + "\nL\n"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(programs_with_reuse())
def test_random_graphs_with_reuse_reveal_every_kind(source: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".gs", delete=False) as handle:
        handle.write(source)
    try:
        try:
            correct = run_with(handle.name, None)
        except Exception as error:  # a value out of range (exp overflow...) is the file's problem
            pytest.skip(str(error))
        assert correct.ok
        found = survey(handle.name)
    finally:
        Path(handle.name).unlink()
    assert found.kinds == PLANT_KINDS, (source, found.hidden)
    for run in found.found:
        problem = run.verdict.first_mismatch
        assert problem is not None and problem.kind == run.plant.kind and problem.step is not None
        # independent of how the checker names it: some final grad is wrong in the planted run
        assert any(not node.ok for node in run.verdict.nodes), (source, run.plant.name)


# --- the choice, the judging, and a file with nothing to hunt ----------------------------------


def test_the_same_seed_chooses_the_same_bug_and_seeds_reach_every_kind() -> None:
    path = str(EXAMPLES / "hunt.gs")
    chosen = {seed: start(path, seed).planted.plant for seed in range(60)}
    assert all(start(path, seed).planted.plant == chosen[seed] for seed in (0, 7, 59))
    assert {plant.kind for plant in chosen.values()} == set(PLANT_KINDS)
    assert len(set(chosen.values())) > 5


def test_a_new_seed_is_short() -> None:
    assert all(0 <= new_seed() < SEED_LIMIT for _ in range(20))


def test_the_judgement_says_what_was_right() -> None:
    hunt = start(str(EXAMPLES / "hunt.gs"), 0)
    step, kind = hunt.step, hunt.kind
    other_kind = "seed" if kind != "seed" else "order"
    other_step = step + 1
    assert judge(hunt, step, kind).outcome == "right"
    assert (
        judge(hunt, step, kind).message
        == f"Right: step {step} is the first wrong step, and the bug is {kind}."
    )
    half = judge(hunt, step, other_kind)
    assert half.outcome == "step only" and f"but the bug is {kind}, not {other_kind}" in half.message
    half = judge(hunt, other_step, kind)
    assert half.outcome == "kind only" and f"the first wrong step is {step}, not {other_step}" in half.message
    wrong = judge(hunt, other_step, other_kind)
    assert wrong.outcome == "wrong" and not wrong.right
    assert wrong.message.startswith(f"Wrong: the first wrong step is {step}, not {other_step}")


def test_a_file_without_an_op_has_nothing_to_hunt(tmp_path: Path) -> None:
    path = tmp_path / "leaf.gs"
    path.write_text("a = Value(2.0, label='a')\na\n")
    with pytest.raises(HuntError) as raised:
        start(str(path), 1)
    assert str(raised.value) == (
        f"{path}: error: this file can reveal none of the planted bugs, so there is nothing to hunt: "
        "the output is a leaf: there is no op, so backward has no step that could go wrong"
    )


def test_no_hunt_when_the_engine_without_a_plant_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradstep.core.planted as planted

    broken = dict(planted.RIGHT, tanh=planted.WRONG["tanh"][0])  # as if the lecture engine had a bug
    monkeypatch.setattr(planted, "RIGHT", broken)
    with pytest.raises(HuntError, match=r"without a bug planted, does not pass the check .*\(local: "):
        start(str(EXAMPLES / "hunt.gs"), 0)
