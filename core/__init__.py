"""gradstep's core: the engine, the op table, events, the expression language and the trace.

Plain Python: nothing here imports Textual or Rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .engine import Value, topological_order, zero_grad
from .events import BackwardStep, Edge, Event, ForwardEvent, SeedStep
from .language import ExpressionError, Program, load, parse
from .trace import Contribution, Trace, trace

if TYPE_CHECKING:
    from .checker import Verdict, check

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


def __getattr__(name: str) -> object:
    """``check`` and ``Verdict`` import the checker (and the engine loader, the recorder, pathlib)
    on first use: ``gradstep trace`` never needs them, and they cost it a third of its start-up."""
    if name in ("check", "Verdict"):
        from . import checker

        return getattr(checker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
