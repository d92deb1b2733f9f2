"""Where a file's error is shown: under the status line, above the last good graph."""

from __future__ import annotations

from gradstep.core.text import escape_lines
from rich.text import Text
from textual.widgets import Static


class ErrorPanel(Static):
    """The error exactly as the core words it (file, line, column, the line with a caret, the fix).

    Hidden while there is no error. The text comes from the user's file, so it is drawn as a
    ``Text`` and never parsed as markup.
    """

    DEFAULT_CSS = """
    ErrorPanel {
        display: none;
        height: auto;
        max-height: 12;
        padding: 0 1;
        border: tall $error;
        background: $error 15%;
        color: $foreground;
    }
    ErrorPanel.-visible { display: block; }
    """

    message: str = ""
    """The error on show, or empty."""

    def show_error(self, message: str | None) -> None:
        self.message = message or ""
        self.set_class(bool(message), "-visible")
        self.update(Text(escape_lines(self.message), no_wrap=False) if message else "")
