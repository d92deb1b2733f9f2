"""A small neural-network library on gradstep's ``Value``, shaped like micrograd's ``nn.py``.

The same classes (``Module``, ``Neuron``, ``Layer``, ``MLP``), the same constructor arguments and
the same use of ``random.uniform(-1, 1)`` for weights in the same order, so a script seeded with
``random.seed(1337)`` gets the same initial weights as it would with micrograd. One addition: every
parameter and every neuron output carries a label naming where it lives (``L1.N3.w0``, ``L1.N3.b``,
``L1.N3.out``), so that a 65,000-node graph in the debugger can be searched by neuron and layer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .engine import Value

Input = Value | float


class Module:
    """Something with parameters (micrograd's base class)."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    """``relu(b + sum(w_i * x_i))`` (or without the relu when ``nonlin`` is False).

    ``name`` prefixes the labels: a neuron named ``L1.N3`` has weights ``L1.N3.w0``.., bias
    ``L1.N3.b``, pre-activation ``L1.N3.act`` (nonlinear neurons only) and output ``L1.N3.out``.
    """

    def __init__(self, nin: int, nonlin: bool = True, name: str = "N") -> None:
        self.name = name
        self.w = [Value(random.uniform(-1, 1), f"{name}.w{i}") for i in range(nin)]
        self.b = Value(0, f"{name}.b")
        self.nonlin = nonlin
        self._out_label = f"{name}.out"
        self._act_label = f"{name}.act"

    def __call__(self, x: Sequence[Input]) -> Value:
        # The same sum as micrograd's (bias first, then each w*x), so the graph has the same nodes.
        act = self.b
        for wi, xi in zip(self.w, x, strict=False):
            act = act + wi * xi
        if act is self.b:  # no inputs: the sum is the bias itself, whose label stays
            return act.relu() if self.nonlin else act
        if not self.nonlin:
            act.label = self._out_label
            return act
        act.label = self._act_label
        out = act.relu()
        out.label = self._out_label
        return out

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; ``name`` (``L0``) prefixes their names (``L0.N5``)."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True, name: str = "L") -> None:
        self.name = name
        self.neurons = [Neuron(nin, nonlin, f"{name}.N{i}") for i in range(nout)]

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers ``L0``, ``L1``, ...: ReLU everywhere except the last layer, which is linear."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, name=f"L{i}") for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        out: Value | list[Value] = list(x)  # type: ignore[arg-type]
        for layer in self.layers:
            out = layer(out if isinstance(out, list) else [out])
        return out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
