"""The trace as one JSON-ready document: the contract ``gradstep trace --json`` prints.

    {"output": ID,
     "nodes":  [{"id", "label", "op", "data", "grad", "inputs": [ID, ...]}, ...],
     "events": [{"index", "kind": "forward", "node", "op", "inputs", "value"},
                {"index", "kind": "seed", "node", "grad"},
                {"index", "kind": "backward", "node", "op", "upstream",
                 "edges": [{"operand", "local", "upstream", "contribution",
                            "grad_before", "grad_after"}, ...]}, ...]}

Ids are creation order (operands before results); ``grad`` is final; a leaf's ``op`` is ``""``.
Numbers are JSON numbers; a non-finite one (an overflowing derivative) is the string ``"inf"``,
``"-inf"`` or ``"nan"``, so the document stays valid JSON.
"""

from __future__ import annotations

import math
from typing import Any

from .events import BackwardStep, ForwardEvent, SeedStep
from .trace import Trace

FORMAT_VERSION = 1


def _number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def to_document(trace: Trace, source: str | None = None) -> dict[str, Any]:
    """The whole trace as plain dicts and lists, final grads included."""
    nodes = [
        {
            "id": i,
            "label": trace.labels[i],
            "op": trace.symbol(i),
            "data": _number(trace.data[i]),
            "grad": _number(trace.grad[i]),
            "inputs": list(trace.inputs(i)),
        }
        for i in range(trace.size)
    ]
    events: list[dict[str, Any]] = []
    for event in trace.events():
        if isinstance(event, ForwardEvent):
            events.append(
                {
                    "index": event.index,
                    "kind": event.kind,
                    "node": event.node,
                    "op": event.op,
                    "inputs": list(event.inputs),
                    "value": _number(event.value),
                }
            )
        elif isinstance(event, SeedStep):
            events.append({"index": event.index, "kind": event.kind, "node": event.node, "grad": event.grad})
        elif isinstance(event, BackwardStep):
            events.append(
                {
                    "index": event.index,
                    "kind": event.kind,
                    "node": event.node,
                    "op": event.op,
                    "upstream": _number(event.upstream),
                    "edges": [
                        {
                            "operand": edge.operand,
                            "local": _number(edge.local),
                            "upstream": _number(edge.upstream),
                            "contribution": _number(edge.contribution),
                            "grad_before": _number(edge.grad_before),
                            "grad_after": _number(edge.grad_after),
                        }
                        for edge in event.edges
                    ],
                }
            )
    document: dict[str, Any] = {"format": FORMAT_VERSION, "output": trace.output}
    if source is not None:
        document["source"] = source
    document["nodes"] = nodes
    document["events"] = events
    return document
