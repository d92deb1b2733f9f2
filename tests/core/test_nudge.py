"""The nudge and the gradient check, against numbers worked out independently.

The nudges are checked against differences computed by hand. ``gradcheck`` is checked on random
graphs against a PyTorch-style central difference written here from scratch: each graph is a
small program over plain floats (``math.tanh``, not gradstep's op table), run twice per leaf.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from gradstep.core import Value, load, parse, trace
from gradstep.core.examples import SEED
from gradstep.core.nudge import ATOL, GRADCHECK_H, RTOL, gradcheck, nudge, recompute

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_nudging_a_seed_node_by_hand() -> None:
    t = trace(parse(SEED).output)
    e = t.labels.index("e")
    result = nudge(t, e, 0.001)
    # e + h = -5.999; d = e + c = 4.001; L = d * f = -8.002. (L(e+h) - L(e)) / h = -0.002 / 0.001.
    assert result.output == -8.0
    assert result.nudged == pytest.approx(-8.002, abs=1e-12)
    assert result.numeric == pytest.approx(-2.0, abs=1e-9)
    assert result.grad == -2.0 and abs(result.difference) < 1e-9
    a = t.labels.index("a")
    # a + h = 2.001: e = -6.003, d = 3.997, L = -7.994: slope 6, the grad b * e.grad = -3 * -2.
    result = nudge(t, a, 0.001)
    assert result.nudged == pytest.approx(-7.994, abs=1e-12) and result.numeric == pytest.approx(6.0)


def test_nudging_an_intermediate_node_holds_its_inputs() -> None:
    t = trace(parse(SEED).output)
    d = t.labels.index("d")
    data, moved = recompute(t, {d: 4.5})
    # d is held at 4.5: e and c (its inputs) keep their values; only L = d * f moves.
    assert data[t.labels.index("e")] == -6.0 and data[t.labels.index("c")] == 10.0
    assert data[t.output] == 4.5 * -2.0
    assert [t.labels[i] for i in range(t.size) if moved[i]] == ["d", "L"]
    assert nudge(t, d, 0.5).numeric == -2.0  # f


def test_nudging_the_neurons_pre_activation_against_math_tanh() -> None:
    t = trace(load(EXAMPLES / "neuron.gs").output)
    n = t.labels.index("n")
    h = 0.001
    x = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    by_hand = (math.tanh(x + h) - math.tanh(x)) / h
    result = nudge(t, n, h)
    assert result.numeric == pytest.approx(by_hand, rel=1e-12)
    assert result.grad == pytest.approx(1 - math.tanh(x) ** 2)
    # The forward difference is off by about h/2 * f''(x) = h * -tanh(x) * (1 - tanh(x)**2).
    assert result.difference == pytest.approx(-h * math.tanh(x) * (1 - math.tanh(x) ** 2), rel=0.01)


def test_a_plus_a_moves_twice_as_fast() -> None:
    t = trace(load(EXAMPLES / "a_plus_a.gs").output)
    assert nudge(t, 0, 0.25).numeric == 2.0 and t.grad[0] == 2.0


def test_a_nudge_out_of_an_ops_domain_says_why() -> None:
    t = trace(parse("x = Value(0.0005, label='x')\ny = log(x)\ny\n").output)
    result = nudge(t, 0, -0.001)
    assert math.isnan(result.nudged) and result.error is not None and "log" in result.error


# --- gradcheck against an independent central difference -----------------------------------

FloatOp = tuple[str, int, int]
FLOAT_OPS: dict[str, Callable[[float, float], float]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "tanh": lambda x, _: math.tanh(x),
    "exp": lambda x, _: math.exp(x),
    "sigmoid": lambda x, _: 1 / (1 + math.exp(-x)),
    "square": lambda x, _: x * x,
    "relu": lambda x, _: max(x, 0.0),
}


def run_floats(leaves: Sequence[float], program: Sequence[FloatOp]) -> float:
    """The graph's output over plain floats: the reference forward pass."""
    env = list(leaves)
    for name, i, j in program:
        env.append(FLOAT_OPS[name](env[i], env[j]))
    return env[-1]


def build_values(leaves: Sequence[float], program: Sequence[FloatOp]) -> tuple[list[Value], Value]:
    env = [Value(x, label=f"x{k}") for k, x in enumerate(leaves)]
    made = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "tanh": lambda x, _: x.tanh(),
        "exp": lambda x, _: x.exp(),
        "sigmoid": lambda x, _: x.sigmoid(),
        "square": lambda x, _: x**2,
        "relu": lambda x, _: x.relu(),
    }
    for name, i, j in program:
        env.append(made[name](env[i], env[j]))
    return env[: len(leaves)], env[-1]


def random_program(rng: random.Random) -> tuple[list[float], list[FloatOp]]:
    leaves = [rng.uniform(-1.5, 1.5) for _ in range(rng.randint(1, 4))]
    program: list[FloatOp] = []
    for _ in range(rng.randint(1, 10)):
        size = len(leaves) + len(program)
        program.append((rng.choice(list(FLOAT_OPS)), rng.randrange(size), rng.randrange(size)))
    return leaves, program


def central_difference(leaves: Sequence[float], program: Sequence[FloatOp], k: int, h: float) -> float:
    up, down = list(leaves), list(leaves)
    up[k] += h
    down[k] -= h
    return (run_floats(up, program) - run_floats(down, program)) / (2 * h)


@pytest.mark.parametrize("seed", range(60))
def test_gradcheck_matches_a_hand_written_central_difference(seed: int) -> None:
    rng = random.Random(seed)
    leaves, program = random_program(rng)
    _, output = build_values(leaves, program)
    t = trace(output)
    check = gradcheck(t)
    assert check.h == GRADCHECK_H
    by_label = {leaf.label: leaf for leaf in check.leaves}
    used = {t.labels[i] for i in range(t.size) if t.ops[i] is None}
    assert set(by_label) == used  # every leaf the output depends on, nothing else
    for k in range(len(leaves)):
        label = f"x{k}"
        if label not in by_label:
            continue
        reference = central_difference(leaves, program, k, GRADCHECK_H)
        leaf = by_label[label]
        assert leaf.numeric == pytest.approx(reference, rel=1e-9, abs=1e-9)
        if leaf.note is None:  # away from relu's kink, gradstep's own grads must agree
            assert leaf.ok, (leaf, program)
            assert abs(leaf.grad - reference) <= ATOL + RTOL * abs(reference)
    assert check.ok


def test_a_wrong_grad_is_caught() -> None:
    t = trace(parse(SEED).output)
    a = t.labels.index("a")
    t.grad[a] = 5.0  # as if the engine had sent a the wrong contribution (the right one is 6)
    check = gradcheck(t)
    assert not check.ok
    leaf = next(leaf for leaf in check.leaves if leaf.label == "a")
    assert not leaf.ok and leaf.numeric == pytest.approx(6.0)
    assert leaf.rel_error == pytest.approx(1 / 6, rel=1e-6)
    assert all(other.ok for other in check.leaves if other is not leaf)


def test_relu_at_zero_is_reported_not_failed() -> None:
    t = trace(parse("x = Value(0.0, label='x')\ny = relu(x)\ny\n").output)
    check = gradcheck(t)
    (leaf,) = check.leaves
    assert check.ok and leaf.ok
    assert leaf.note is not None and "relu" in leaf.note
    assert leaf.numeric == pytest.approx(0.5)  # (h - 0) / 2h: halfway between the two slopes
    document = check.to_json()
    assert set(document) == {"ok", "h", "leaves"}
    assert set(document["leaves"][0]) == {"label", "grad", "numeric", "rel_error", "ok", "note"}


def test_the_json_document_has_exactly_the_contracts_fields() -> None:
    document = gradcheck(trace(parse(SEED).output)).to_json()
    assert document["ok"] is True and document["h"] == GRADCHECK_H
    assert [leaf["label"] for leaf in document["leaves"]] == ["a", "b", "c", "f"]
    for leaf in document["leaves"]:
        assert set(leaf) == {"label", "grad", "numeric", "rel_error", "ok"}
    assert [leaf["grad"] for leaf in document["leaves"]] == [6.0, -4.0, -2.0, 4.0]


def test_a_rebuild_function_replaces_the_forward_pass() -> None:
    t = trace(parse(SEED).output)
    labels = t.labels

    def rebuild(moved: dict[int, float]) -> float:
        """The seed rebuilt from plain floats, as an engine given nudged leaves would."""
        x = {label: t.data[i] for i, label in enumerate(labels)}
        x.update({labels[i]: value for i, value in moved.items()})
        return (x["a"] * x["b"] + x["c"]) * x["f"]

    calls: list[dict[int, float]] = []
    check = gradcheck(t, rebuild=lambda moved: calls.append(dict(moved)) or rebuild(moved))
    assert check.ok and len(calls) == 2 * 4
    assert [leaf.numeric for leaf in check.leaves] == pytest.approx([6.0, -4.0, -2.0, 4.0])
