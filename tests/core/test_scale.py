"""Correctness at real scale: micrograd's demo graph (65,818 nodes) and a 100,000-deep chain.

The reference for the demo is the real micrograd package, fed the same initial weights: its loss
and every parameter's grad must equal gradstep's to 1e-9, with gradstep's plain ``backward()`` and
with the recorded trace.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from gradstep.core import demo
from gradstep.core.adapter import as_value
from gradstep.core.datasets import linspace, make_moons
from gradstep.core.engine import Value, topological_order
from gradstep.core.nn import MLP, Neuron
from gradstep.core.trace import trace


@pytest.fixture()
def both() -> tuple[Value, MLP, Any, Any]:
    pytest.importorskip("micrograd")
    loss, model = demo.gradstep_loss()
    their_loss, their_model = demo.micrograd_loss(model)
    return loss, model, their_loss, their_model


def micrograd_size(root: Any) -> int:
    return int(demo.count_nodes(root))


# --- the demo against micrograd -----------------------------------------------------------------


def test_demo_graph_has_micrograds_65818_nodes(both: tuple[Value, MLP, Any, Any]) -> None:
    loss, _, their_loss, _ = both
    assert len(topological_order(loss)) == 65818
    assert micrograd_size(their_loss) == 65818


def test_demo_loss_and_every_parameter_grad_equal_micrograds(both: tuple[Value, MLP, Any, Any]) -> None:
    loss, model, their_loss, their_model = both
    assert len(model.parameters()) == len(their_model.parameters()) == 337
    assert loss.data == pytest.approx(their_loss.data, rel=0, abs=1e-9)
    model.zero_grad()
    their_model.zero_grad()
    loss.backward()
    their_loss.backward()
    recorded = trace(loss)
    by_label = {label: i for i, label in enumerate(recorded.labels) if label}
    for ours, theirs in zip(model.parameters(), their_model.parameters(), strict=True):
        assert ours.data == theirs.data
        assert ours.grad == pytest.approx(theirs.grad, rel=0, abs=1e-9)
        assert recorded.grad[by_label[ours.label]] == pytest.approx(theirs.grad, rel=0, abs=1e-9)
    # Not a vacuous comparison: the grads are real numbers, most of them nonzero.
    assert sum(1 for p in model.parameters() if p.grad != 0) > 200


def test_demo_through_the_adapter_equals_micrograd(both: tuple[Value, MLP, Any, Any]) -> None:
    _, _, their_loss, their_model = both
    their_model.zero_grad()
    their_loss.backward()
    converted = as_value(their_loss)
    assert converted.data == their_loss.data
    recorded = trace(converted)
    assert recorded.size == 65818
    by_label = {label: i for i, label in enumerate(recorded.labels) if label}
    for theirs in their_model.parameters():
        assert recorded.grad[by_label[theirs.label]] == pytest.approx(theirs.grad, rel=0, abs=1e-9)


def test_stepping_the_whole_demo_timeline_arrives_at_the_final_grads(
    both: tuple[Value, MLP, Any, Any],
) -> None:
    loss = both[0]
    recorded = trace(loss)
    while recorded.step():
        pass
    assert recorded.position == len(recorded)
    assert all(recorded.grad_so_far(i) == recorded.grad[i] for i in range(0, recorded.size, 97))
    recorded.goto(recorded.seed_index + 1)
    assert recorded.grad_so_far(recorded.output) == 1.0
    assert recorded.grad_so_far(0) is None  # the first node gets its grad late in the backward pass
    assert recorded.memory_bytes / len(recorded) < 200


def test_demo_labels_name_layer_neuron_and_role() -> None:
    loss, model = demo.gradstep_loss()
    recorded = trace(loss)
    labels = set(recorded.labels)
    assert {"L0.N5.w1", "L0.N5.b", "L1.N15.w15", "L2.N0.b", "L1.N3.out", "L2.N0.out", "loss"} <= labels
    parameter_labels = [p.label for p in model.parameters()]
    assert len(set(parameter_labels)) == 337
    # Each neuron output label appears once per data point.
    assert recorded.labels.count("L1.N3.out") == 100


# --- depth --------------------------------------------------------------------------------------


def test_a_100000_deep_chain_builds_traces_and_steps() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(100_000):
        y = y * 1.00001 + 0.00001
    y.label = "y"
    y.backward()
    # y = a*y + c per step: dy/dx = a**100000.
    assert x.grad == pytest.approx(1.00001**100_000, rel=1e-9)
    recorded = trace(y)
    assert recorded.size == 400_001
    recorded.to_end()
    assert recorded.grad_so_far(0) == pytest.approx(x.grad, rel=1e-12)
    recorded.goto(len(recorded) // 2)
    recorded.back()
    recorded.step()
    recorded.to_start()
    recorded.goto(len(recorded))
    assert recorded.grad_so_far(0) == recorded.grad[0]
    assert recorded.name(recorded.output) == "y"
    recorded.goto(recorded.seed_index)
    # x is first touched by its consumer x * 1.00001 (node 2): the cursor stops just after that step.
    assert recorded.inputs(2) == (0, 1)
    assert recorded.next_touching([0]) == recorded.backward_index(2) + 1


def test_a_100000_deep_micrograd_chain_converts() -> None:
    engine = pytest.importorskip("micrograd.engine")
    x = engine.Value(1.0)
    x.label = "x"
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    converted = as_value(y)
    recorded = trace(converted)
    assert recorded.size == 200_001
    x_index = recorded.labels.index("x")
    # dy/dx is the product of the 100,000 factors.
    assert recorded.grad[x_index] == pytest.approx(1.00001**100_000, rel=1e-9)


# --- the pieces of the demo ---------------------------------------------------------------------


def test_linspace_matches_numpys_definition() -> None:
    points = linspace(0.0, math.pi, 50)
    assert len(points) == 50 and points[0] == 0.0 and points[-1] == math.pi
    step = math.pi / 49
    assert all(points[i] == i * step for i in range(49))


def test_make_moons_without_noise_lies_on_the_two_half_circles() -> None:
    points, classes = make_moons(101, noise=None, rng=random.Random(0))
    assert classes.count(0) == 50 and classes.count(1) == 51
    for (x, y), label in zip(points, classes, strict=True):
        if label == 0:  # the outer moon: upper unit half circle
            assert math.hypot(x, y) == pytest.approx(1.0) and y >= -1e-12
        else:  # the inner moon: lower half circle of radius 1 around (1, 0.5)
            assert math.hypot(x - 1, y - 0.5) == pytest.approx(1.0) and y <= 0.5 + 1e-12


def test_make_moons_is_shuffled_noisy_and_reproducible() -> None:
    first = make_moons(100, noise=0.1, rng=random.Random(1337))
    second = make_moons(100, noise=0.1, rng=random.Random(1337))
    assert first == second
    points, classes = first
    assert classes != sorted(classes)  # shuffled
    # Noise 0.1: the points leave the circles by about 0.1 (a mean over 100 points).
    distances = [
        abs(math.hypot(x, y) - 1) if c == 0 else abs(math.hypot(x - 1, y - 0.5) - 1)
        for (x, y), c in zip(points, classes, strict=True)
    ]
    assert 0.03 < sum(distances) / len(distances) < 0.2


def test_the_demo_keeps_the_notebook_weights_seeded_by_random_1337() -> None:
    random.seed(1337)
    expected_first_weight = random.uniform(-1, 1)
    model = demo.gradstep_model()
    assert model.parameters()[0].data == expected_first_weight
    assert model.parameters()[0].label == "L0.N0.w0"


def test_a_neuron_computes_relu_of_its_weighted_sum() -> None:
    random.seed(3)
    neuron = Neuron(2, name="L9.N1")
    w0, w1 = (w.data for w in neuron.w)
    out = neuron([Value(0.5), Value(-2.0)])
    assert out.data == pytest.approx(max(0.0, w0 * 0.5 + w1 * -2.0))
    assert out.label == "L9.N1.out"
    assert [p.label for p in neuron.parameters()] == ["L9.N1.w0", "L9.N1.w1", "L9.N1.b"]
