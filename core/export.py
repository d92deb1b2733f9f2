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

``iter_document_json`` writes the same document as text, piece by piece, straight from the trace's
arrays: ``gradstep trace --json`` streams it, so the first nodes are out before the last events are
formatted and memory stays flat however long the output.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from operator import add, mul
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


ROWS_PER_PIECE = 512
"""Nodes or events per piece ``iter_document_json`` yields: large enough that a write costs little
per row, small enough that a piece is a few tens of KB."""

_NON_FINITE = {"inf": '"inf"', "-inf": '"-inf"', "nan": '"nan"'}


def _json_numbers(values: Sequence[float]) -> list[str]:
    """Each float as ``json.dumps`` writes its ``_number``: ``repr``, or ``"inf"`` as a string."""
    texts = list(map(float.__repr__, values))
    if not all(map(math.isfinite, values)):
        texts = [_NON_FINITE.get(text, text) for text in texts]
    return texts


def iter_document_json(trace: Trace, source: str | None = None) -> Iterator[str]:
    """``json.dumps(to_document(trace, source), allow_nan=False)``, in pieces, without building it.

    The concatenation of the pieces is byte for byte that string (a test holds it to that), but
    no piece holds more than ``ROWS_PER_PIECE`` nodes or events, and nothing is kept between
    pieces: the text is formatted from the trace's arrays as it goes, a piece's numbers at once,
    with no event objects.
    """
    string = encode_basestring_ascii  # json's own string encoder (the C one), so escapes match
    n, seed = trace.size, trace.seed_index
    in_start, in_ids, owner = trace.in_start, trace.in_ids, trace.edge_owner
    ops, params, data, grad = trace.ops, trace.params, trace.data, trace.grad
    fixed = {id(None): '""'}  # an op's JSON string by identity (Op's dataclass hash is slow)

    def symbols(nodes: Iterable[int]) -> list[str]:
        texts = []
        for i in nodes:
            op = ops[i]
            text = fixed.get(id(op))
            if text is None:
                assert op is not None
                text = string(op.symbol(params[i]))
                if op.name != "**":  # ** shows its exponent, different per node
                    fixed[id(op)] = text
            texts.append(text)
        return texts

    def inputs(nodes: Iterable[int]) -> list[str]:
        """Each node's operand ids as JSON list items: ``""``, ``"3"`` or ``"3, 4"``."""
        texts = []
        for i in nodes:
            first, last = in_start[i], in_start[i + 1]
            count = last - first
            if count == 0:
                texts.append("")
            elif count == 1:
                texts.append(str(in_ids[first]))
            else:
                texts.append(", ".join(map(str, in_ids[first:last])))
        return texts

    head = f'{{"format": {FORMAT_VERSION}, "output": {trace.output}'
    if source is not None:
        head += f', "source": {string(source)}'
    yield head + ', "nodes": ['
    # Each piece's numbers are converted together, then its rows are f-strings (compiled, so
    # several times faster than str.format, which parses its template on every call).
    labels = trace.labels
    for start in range(0, n, ROWS_PER_PIECE):
        nodes = range(start, min(n, start + ROWS_PER_PIECE))
        rows = [
            f'{{"id": {i}, "label": {string(label)}, "op": {op}, "data": {x}, "grad": {g},'
            f' "inputs": [{ids}]}}'
            for i, label, op, x, g, ids in zip(
                nodes,
                labels[nodes.start : nodes.stop],
                symbols(nodes),
                _json_numbers(data[nodes.start : nodes.stop]),
                _json_numbers(grad[nodes.start : nodes.stop]),
                inputs(nodes),
                strict=True,
            )
        ]
        yield (", " if start else "") + ", ".join(rows)
    yield '], "events": ['
    for start in range(0, seed, ROWS_PER_PIECE):
        events = range(start, min(seed, start + ROWS_PER_PIECE))
        computed = trace.forward_nodes[events.start : events.stop]
        rows = [
            f'{{"index": {k}, "kind": "forward", "node": {i}, "op": {op}, "inputs": [{ids}], "value": {x}}}'
            for k, i, op, ids, x in zip(
                events,
                computed,
                symbols(computed),
                inputs(computed),
                _json_numbers([data[i] for i in computed]),
                strict=True,
            )
        ]
        yield (", " if start else "") + ", ".join(rows)
    yield f'{", " if seed else ""}{{"index": {seed}, "kind": "seed", "node": {trace.output}, "grad": 1.0}}'
    # Backward steps run from the output down to node 0 (event seed + n - i is node i's), and the
    # edges of nodes bottom..top-1 are the contiguous run in_start[bottom]..in_start[top].
    local, before = trace.local, trace.before
    for top in range(n, 0, -ROWS_PER_PIECE):
        bottom = max(0, top - ROWS_PER_PIECE)
        first, last = in_start[bottom], in_start[top]
        locals_ = local[first:last]
        upstreams = [grad[i] for i in owner[first:last]]
        contributions = list(map(mul, locals_, upstreams))
        befores = before[first:last]
        edges = [
            f'{{"operand": {j}, "local": {d}, "upstream": {u}, "contribution": {c}, "grad_before": {b},'
            f' "grad_after": {a}}}'
            for j, d, u, c, b, a in zip(
                in_ids[first:last],
                _json_numbers(locals_),
                _json_numbers(upstreams),
                _json_numbers(contributions),
                _json_numbers(befores),
                _json_numbers(list(map(add, befores, contributions))),  # grad_before + local * upstream
                strict=True,
            )
        ]
        nodes = range(top - 1, bottom - 1, -1)
        rows = [
            f'{{"index": {seed + n - i}, "kind": "backward", "node": {i}, "op": {op}, "upstream": {u},'
            f' "edges": [{", ".join(edges[in_start[i] - first : in_start[i + 1] - first])}]}}'
            for i, op, u in zip(nodes, symbols(nodes), _json_numbers(grad[bottom:top][::-1]), strict=True)
        ]
        yield ", " + ", ".join(rows)
    yield "]}"
