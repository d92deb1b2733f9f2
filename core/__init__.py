"""gradstep's core: the engine, the op table, events, the expression language and the trace.

Plain Python: nothing here imports Textual or Rich.
"""

from __future__ import annotations

from .checker import Verdict, check
from .engine import Value, topological_order, zero_grad
from .events import BackwardStep, Edge, Event, ForwardEvent, SeedStep
from .language import ExpressionError, Program, load, parse
from .trace import Contribution, Trace, trace

__version__ = "0.1.0"

__all__ = [
    "BackwardStep",
    "Contribution",
    "Edge",
    "Event",
    "ExpressionError",
    "ForwardEvent",
    "Program",
    "SeedStep",
    "Trace",
    "Value",
    "Verdict",
    "check",
    "load",
    "parse",
    "topological_order",
    "trace",
    "zero_grad",
]
