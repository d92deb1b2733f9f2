"""``iter_document_json``: the ``gradstep trace --json`` document streamed, against ``to_document``.

The reference is the whole-document path it replaced (``json.dumps(to_document(...))``), which
builds plain dicts and lets the json module write them; the streamed text must equal it byte for
byte, on the examples and on random graphs, non-finite numbers and odd labels included.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest
from gradstep.core import Value, parse, trace
from gradstep.core.export import ROWS_PER_PIECE, iter_document_json, to_document
from hypothesis import given, settings
from hypothesis import strategies as st

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.gs"))


def whole(t: object, source: str | None) -> str:
    return json.dumps(to_document(t, source), allow_nan=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_streamed_json_is_the_whole_document_byte_for_byte_on_the_examples(path: Path) -> None:
    t = trace(parse(path.read_text(), str(path)).output)
    for source in (str(path), None):
        assert "".join(iter_document_json(t, source)) == whole(t, source)


OPS = ("+", "-", "*", "/", "tanh", "exp", "sigmoid", "relu", "neg", "pow", "log", "huge")
LABELS = ("", "x", "naïve", "日本", 'quote"back\\slash', "\x1b[31mred", "tab\there", "\u202egnp.exe")


def random_graph(steps: Sequence[tuple[str, int, int, int]], point: Sequence[float]) -> Value:
    nodes = [Value(x, label=LABELS[k % len(LABELS)]) for k, x in enumerate(point)]
    for op, i, j, label in steps:
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "+":
            out = x + y
        elif op == "-":
            out = x - y
        elif op == "*":
            out = x * y
        elif op == "/":
            out = x / (y * y + 1.0)
        elif op == "huge":
            out = x * 1e300 * 1e300 - y * 1e300 * 1e300  # inf, -inf or nan data, grads and locals
        elif op == "log":
            out = (y * y + 1.0).log()
        elif op == "pow":
            out = x ** (1 + j % 3)
        elif op == "neg":
            out = -x
        elif op == "exp":
            out = (x.tanh() * 5).exp()
        else:
            out = getattr(x, op)()
        out.label = LABELS[label % len(LABELS)]
        nodes.append(out)
    return nodes[-1]


graphs = st.builds(
    random_graph,
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 40), st.integers(0, 40), st.integers(0, 20)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=5),
)


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_streamed_json_is_the_whole_document_on_random_graphs(output: Value) -> None:
    t = trace(output)
    streamed = "".join(iter_document_json(t, "some/path.gs"))
    assert streamed == whole(t, "some/path.gs")
    assert json.loads(streamed) == json.loads(whole(t, "some/path.gs"))


def test_non_finite_numbers_are_strings_as_documented() -> None:
    x = Value(1.0, label="x")
    big = x * 1e300 * 1e300  # inf
    out = (big - big) * big  # nan; the grads of x and big are nan and -inf / inf
    streamed = "".join(iter_document_json(trace(out)))
    assert streamed == whole(trace(out), None)
    document = json.loads(streamed)
    assert {node["data"] for node in document["nodes"]} >= {"inf", "nan"}
    assert "NaN" not in streamed and "Infinity" not in streamed  # never json's invalid tokens


def sum_graph(terms: int) -> Value:
    s = Value(0.0, label="s0")
    for k in range(terms):
        s = s + (k % 10 + 0.5)
    return s


def test_pieces_are_made_as_they_are_asked_for() -> None:
    """The first piece is out before the last is formatted: a change to the trace after the first
    piece shows in the last (node 0's backward step, the document's last event), not in the first."""
    t = trace(sum_graph(3 * ROWS_PER_PIECE))
    pieces = iter_document_json(t)
    first = next(pieces) + next(pieces)  # the head, then the first nodes
    assert '"id": 0,' in first and '"grad": 1.0,' in first
    t.grad[0] = 12345.0  # node 0 = s0; its grad appears again only in the last event
    rest = "".join(pieces)
    assert rest.endswith('"node": 0, "op": "", "upstream": 12345.0, "edges": []}]}')


def test_no_piece_holds_more_than_a_bounded_number_of_rows() -> None:
    t = trace(sum_graph(5000))
    pieces = list(iter_document_json(t))
    assert len(pieces) > 10
    assert max(piece.count('"id": ') + piece.count('"index": ') for piece in pieces) <= ROWS_PER_PIECE


def test_memory_stays_flat_while_the_document_streams() -> None:
    """Memory while streaming does not grow with what has been written: the peak over the whole
    stream is a small fraction of the document, and late pieces cost what early ones do."""
    t = trace(sum_graph(20_000))
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        written = 0
        samples = []
        for k, piece in enumerate(iter_document_json(t)):
            written += len(piece)
            if k % 10 == 0:
                samples.append(tracemalloc.get_traced_memory()[0] - start)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert written > 5_000_000
    assert peak < written / 20  # a few pieces' worth, not the document
    middle, end = samples[len(samples) // 4], samples[-1]
    assert end < middle + 200_000  # nothing accumulates from piece to piece
