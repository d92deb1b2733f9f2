"""gradstep's core: the engine, the op table, events, the expression language and the trace.

Plain Python: nothing here imports Textual or Rich. The names below are loaded on first use
(PEP 562), so ``import gradstep.core`` costs nothing until something is asked for: the debugger's
start-up and ``gradstep trace`` import only the modules they use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checker import Verdict, check
    from .engine import Value, topological_order, zero_grad
    from .events import BackwardStep, Edge, Event, ForwardEvent, SeedStep
    from .language import ExpressionError, Program, load, parse

# Eager: ``trace`` is both a submodule and a function here. Imported lazily, the submodule would be
# bound to ``gradstep.core.trace`` the first time anything imports it, and hide the function.
from .trace import Contribution, Trace, trace

__version__ = "0.1.0"

_HOMES = {
    "Verdict": "checker",
    "check": "checker",
    "Value": "engine",
    "topological_order": "engine",
    "zero_grad": "engine",
    "BackwardStep": "events",
    "Edge": "events",
    "Event": "events",
    "ForwardEvent": "events",
    "SeedStep": "events",
    "ExpressionError": "language",
    "Program": "language",
    "load": "language",
    "parse": "language",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
