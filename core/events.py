"""The events of a trace, as values: what happened at one step of the timeline.

A trace stores its events in flat arrays (see ``trace.Trace``); these frozen dataclasses are built
on demand when someone asks for an event, so they cost nothing for the steps nobody looks at.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ForwardEvent:
    """Node ``node`` was computed from ``inputs`` by ``op``, giving ``value``."""

    index: int
    node: int
    op: str
    inputs: tuple[int, ...]
    value: float

    kind = "forward"


@dataclass(frozen=True, slots=True)
class SeedStep:
    """Backprop begins: the output's grad is set to 1 (d output / d output)."""

    index: int
    node: int
    grad: float = 1.0

    kind = "seed"


@dataclass(frozen=True, slots=True)
class Edge:
    """One contribution of a backward step: ``operand.grad += local * upstream``."""

    operand: int
    local: float
    upstream: float
    grad_before: float

    @property
    def contribution(self) -> float:
        return self.local * self.upstream

    @property
    def grad_after(self) -> float:
        # The same expression the recording used, so the float is identical.
        return self.grad_before + self.local * self.upstream


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """Node ``node`` passes its (final) grad ``upstream`` back to its operands, edge by edge."""

    index: int
    node: int
    op: str
    upstream: float
    edges: tuple[Edge, ...]

    kind = "backward"


Event = ForwardEvent | SeedStep | BackwardStep
