"""Reading graphs built by other engines into gradstep's ``Value``.

``as_value`` accepts a gradstep ``Value`` as it is. (Issue 4 extends this to micrograd graphs.)
"""

from __future__ import annotations

from core.engine import Value


class UnsupportedGraph(Exception):
    """A graph gradstep cannot read, with the reason (for example an op it does not know)."""


def as_value(graph: object) -> Value:
    """The output node of ``graph`` as a gradstep ``Value``; the caller's objects are not changed."""
    if isinstance(graph, Value):
        return graph
    raise UnsupportedGraph(f"cannot debug a {type(graph).__name__}: pass a gradstep or micrograd Value")
