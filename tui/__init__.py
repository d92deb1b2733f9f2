"""gradstep's terminal UI. ``debug(value)`` opens the stepping debugger on any graph.

Textual is imported only when the app starts, so ``gradstep trace`` stays light.
"""

from __future__ import annotations


def debug(output: object, *, title: str = "debug()", check: bool = False) -> None:
    """Open the stepping debugger on ``output``'s graph (a gradstep or micrograd ``Value``).

    The graph is read, never changed: the caller's values and grads stay as they were. Raises
    ``gradstep.core.adapter.UnsupportedGraph`` when ``output`` is not a graph gradstep can read,
    ``ValueError`` for a graph with a cycle, and ``gradstep.tui.crash.DebuggerFailed`` when the
    debugger stopped on an unexpected error (its traceback saved to a file the message names).

    ``check=True`` opens check mode instead: *their* engine's ``backward()`` runs once, recorded
    (``gradstep.core.check``), and its steps are shown beside the chain rule's; their grads are
    left as their own backward leaves them.
    """
    if check:
        from gradstep.core.checker import check as check_engine
        from gradstep.tui.check_mode import run_check_app

        run_check_app(check_engine(output))
        return
    from gradstep.core.adapter import as_value
    from gradstep.core.trace import trace

    graph = trace(as_value(output))
    from gradstep.tui.app import run_on_trace

    run_on_trace(graph, title)
