"""micrograd's demo (demo.ipynb): one training step's loss, for gradstep's engine and micrograd's.

The notebook's exact setup: ``random.seed(1337)``, 100 two-moons points with noise 0.1, labels
mapped to -1/+1, ``MLP(2, [16, 16, 1])``, the SVM max-margin loss ``relu(1 - y * score)`` averaged
over the points, plus ``1e-4 * sum(p * p)`` L2 regularisation; 65,818 nodes. ``build_loss`` is
written once for both engines, so both build the same graph node for node. The moons come from
their own ``random.Random(1337)``, so the global ``random.seed(1337)`` still gives the notebook's
initial weights. Used by ``examples/micrograd_demo.py``, ``bench/`` and the scale tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from .datasets import make_moons
from .engine import Value
from .nn import MLP

SEED = 1337
ALPHA = 1e-4
LAYERS = (16, 16, 1)

Points = list[tuple[float, float]]


def dataset() -> tuple[Points, list[int]]:
    """The notebook's 100 two-moons points, with labels -1 and +1."""
    points, classes = make_moons(n_samples=100, noise=0.1, rng=random.Random(SEED))
    return points, [c * 2 - 1 for c in classes]


def gradstep_model() -> MLP:
    """``MLP(2, [16, 16, 1])`` with the notebook's initial weights (``random.seed(1337)`` first)."""
    random.seed(SEED)
    return MLP(2, list(LAYERS))


def micrograd_model(weights_from: MLP) -> Any:
    """micrograd's own MLP with the weights (and, as extra attributes, the labels) of ``weights_from``."""
    from micrograd.nn import MLP as MicrogradMLP  # type: ignore[import-untyped]

    model = MicrogradMLP(2, list(LAYERS))
    for theirs, ours in zip(model.parameters(), weights_from.parameters(), strict=True):
        theirs.data = ours.data
        theirs.label = ours.label
    return model


def build_loss(model: Any, points: Points, targets: Sequence[int], make_value: Callable[[float], Any]) -> Any:
    """The notebook's ``loss()`` for either engine: ``make_value`` is its ``Value`` class.

    Written once for both engines so that both build the same graph, node for node.
    """
    inputs = [[make_value(x), make_value(y)] for x, y in points]
    scores = [model(row) for row in inputs]
    losses = [(1 + -target * score).relu() for target, score in zip(targets, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    if isinstance(total, Value):
        for k, (row, loss) in enumerate(zip(inputs, losses, strict=True)):
            row[0].label = f"x{k}[0]"
            row[1].label = f"x{k}[1]"
            loss.label = f"margin{k}"  # the score itself is labelled by its neuron: L2.N0.out
        data_loss.label = "data_loss"
        reg_loss.label = "reg_loss"
        total.label = "loss"
    return total


def gradstep_loss() -> tuple[Value, MLP]:
    """The demo's loss built with gradstep's engine, and the model (for its parameters)."""
    points, targets = dataset()
    model = gradstep_model()
    return build_loss(model, points, targets, Value), model


def micrograd_loss(weights_from: MLP) -> tuple[Any, Any]:
    """The demo's loss built with micrograd's engine from the same weights. Needs micrograd."""
    from micrograd.engine import Value as MicrogradValue  # type: ignore[import-untyped]

    points, targets = dataset()
    model = micrograd_model(weights_from)
    return build_loss(model, points, targets, MicrogradValue), model


def count_nodes(root: Any) -> int:
    """Nodes in a micrograd graph (walked with a stack: its depth is not bounded)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def small_network_loss() -> Value:
    """A small cousin of the demo: ``MLP(2, [4, 4, 1])``, hinge loss summed over six two-moons
    points, labelled the same way (about 470 nodes). Small, yet deep enough to re-root the
    debugger's tree and full enough to fill its panes: the tests' and the benchmark's control."""
    random.seed(3)  # the MLP's weights come from the global generator, as in micrograd
    points, labels = make_moons(6, noise=0.1, rng=random.Random(3))
    model = MLP(2, [4, 4, 1])
    total = Value(0.0, label="total")
    for (x0, x1), y in zip(points, labels, strict=True):
        score = model([Value(x0), Value(x1)])
        assert isinstance(score, Value)
        total = total + (1 + -(2 * y - 1) * score).relu()
    return total
