"""When the app itself fails: exit non-zero with one short line, never a traceback on the screen.

Textual catches an exception raised in the app, closes the app, and prints a long traceback (with
local variables: labels and file text among them) to stderr; ``run()`` then returns None, which a
caller easily takes for a normal quit. Here the traceback goes to a file in the temporary directory
instead (``App.error_console`` is where Textual prints it), and the outcome is told by
``App.return_code``, which is 1 after an unhandled exception.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from gradstep.core.text import shown

if TYPE_CHECKING:  # the CLI imports this module for DebuggerFailed: no Textual at start-up
    from textual.app import App

EXIT_CRASH = 1


class DebuggerFailed(RuntimeError):
    """The debugger stopped on an unexpected error (``debug()`` raises it; the CLI exits with 1).

    ``traceback_path``: the file the traceback was saved in, or None if it could not be saved.
    """

    def __init__(self, message: str, traceback_path: str | None) -> None:
        super().__init__(message)
        self.traceback_path = traceback_path


def run_or_raise(app: App[int], **run_options: Any) -> int:
    """Run ``app`` and return its exit status; raise ``DebuggerFailed`` if it stopped on an error.

    ``run_options`` go to ``App.run`` (``headless=True`` in tests)."""
    from rich.console import Console

    record = io.StringIO()
    app.error_console = Console(file=record, width=120, color_system=None, markup=False, highlight=False)
    result = app.run(**run_options)
    if not app.return_code:
        return result if isinstance(result, int) else 0
    # Textual keeps the exception it handled only privately; read it if it is there.
    error = getattr(app, "_exception", None)
    what = type(error).__name__ if isinstance(error, BaseException) else "an error"
    if isinstance(error, BaseException) and str(error):
        what += ": " + shown(str(error), 160)
    path = _save(record.getvalue())
    where = f" (traceback in {shown(path, 300)})" if path else ""
    failure = DebuggerFailed(f"gradstep: error: the debugger stopped unexpectedly: {what}{where}", path)
    if isinstance(error, BaseException):
        raise failure from error
    raise failure


def run_guarded(app: App[int]) -> int:
    """Run ``app``; on a failure print one line to stderr and return ``EXIT_CRASH``."""
    try:
        return run_or_raise(app)
    except DebuggerFailed as failure:
        if sys.stderr is not None:
            print(failure, file=sys.stderr)
        return EXIT_CRASH


def _save(text: str) -> str | None:
    """Write a traceback to a new file in the temporary directory; its path, or None."""
    try:
        handle, path = tempfile.mkstemp(prefix="gradstep-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as file:
            file.write(text)
    except OSError:
        return None
    return path
