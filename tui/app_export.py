"""The app's ``x`` key, after its dialog: write the current step's export and say where it went.

The text is made at once, on the app's thread, because it reads the trace the person is stepping
(``to_dot`` moves the cursor and puts it back). Only Graphviz (for ``svg``, which may take a while on
a big graph) and the writing run in a thread, so the app keeps answering keys meanwhile.
"""

from __future__ import annotations

import os

from gradstep.core.dot import to_dot
from gradstep.core.text import shown
from gradstep.core.trace import Trace
from gradstep.tui.exports import ExportError, graphviz_svg, render, write_new
from textual.app import App


def export_step(app: App[int], graph: Trace, position: int, to: str, path: str) -> None:
    """Write ``graph`` at ``position`` as ``to`` to ``path`` (a new file), and notify the outcome."""
    source = getattr(app, "source_name", "graph")
    input_path = getattr(app, "path", None)
    where = shown(os.path.abspath(path), 300)

    def done(error: ExportError | None) -> None:
        if error is None:
            app.notify(f"Exported {to} of step {position} to {where}", timeout=6, markup=False)
        else:
            app.notify(shown(str(error), 400), severity="error", timeout=8, markup=False)

    if to == "svg":
        dot_text = to_dot(graph, position, source)

        def work() -> None:
            try:
                write_new(path, graphviz_svg(dot_text), source_path=input_path)
            except ExportError as error:
                app.call_from_thread(done, error)
            else:
                app.call_from_thread(done, None)

        app.run_worker(work, thread=True, group="export", exit_on_error=False)
        return
    try:
        write_new(path, render(graph, to, source, position), source_path=input_path)
    except ExportError as error:
        done(error)
        return
    done(None)
