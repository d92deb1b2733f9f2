"""The status line: which file, which phase, which step, and what that step does in words."""

from __future__ import annotations

from gradstep.core.text import escape
from gradstep.core.trace import Trace
from gradstep.tui.widgets.line_view import LineView, fit
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

Piece = tuple[str, Style | None]
"""A run of the status's text and its style over the bar's own (None: the bar's)."""
Row = tuple[Piece, ...]

NOTHING_YET = "Nothing computed yet: press n to step, c to run to a breakpoint or the end."

BOLD = Style(bold=True)
ITALIC = Style(italic=True)
BOLD_REVERSE = Style(bold=True, reverse=True)


def phase_name(trace: Trace) -> str:
    """``start``, ``forward``, ``backward`` or ``done``: where the cursor is in the whole run."""
    if trace.position == 0:
        return "start"
    if trace.position >= len(trace):
        return "done"
    return "forward" if trace.position <= trace.seed_index else "backward"


class StatusBar(LineView, can_focus=False):
    """Two lines above the panes; redrawn on every step, so it only formats what the trace says.

    Drawn as ``LineView`` lines straight from its pieces (as the breadcrumb is), not as a Rich
    ``Text`` through Textual's ``Static``, which turns the text into content, wraps and formats it
    and renders both lines again on every step; a step here redraws only the lines that changed.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 2;
        padding: 0 1;
        overflow: hidden hidden;
        background: $panel;
        color: $foreground;
    }
    """

    plain: str = ""
    """The status as plain text (what is on screen, without styles)."""

    _rows: tuple[Row, Row] = ((), ())

    def show(
        self,
        trace: Trace | None,
        source: str,
        breakpoints: int = 0,
        stale: bool = False,
        note: str | None = None,
        loading: bool = False,
    ) -> None:
        """Draw the status for ``trace`` at its cursor. ``stale``: the file has an error just now;
        ``note``: predict mode's ``score K/N``, at the start of the second line; ``loading``: a
        file loads in the background (its progress shows under this line)."""
        top: list[Piece] = [("gradstep ", BOLD), (escape(source), BOLD)]
        if stale and trace is not None:
            top.append(("  (error — showing the last good graph)", ITALIC))
        bottom: list[Piece] = []
        if trace is None and loading:
            top.append(("  ·  loading", None))
            bottom.append(("The graph shows when the file is read: q quits, o opens another.", None))
        elif trace is None:
            top.append(("  ·  no graph yet", None))
            bottom.append(("Fix the file (it reloads when saved) or press o to open another.", None))
        else:
            phase = phase_name(trace)
            top.append(("  ·  ", None))
            top.append((phase, BOLD_REVERSE if phase in ("forward", "backward") else BOLD))
            top.append((f"  ·  step {trace.position} of {len(trace)}", None))
            if breakpoints:
                top.append((f"  ·  ● {breakpoints} breakpoint{'s' if breakpoints != 1 else ''}", None))
            if note is not None:  # first on its line: a long path cannot push it off screen
                bottom.append((note, BOLD_REVERSE))
                bottom.append(("  ", None))
            current = trace.current
            if current is None:
                bottom.append((NOTHING_YET, None))
            else:
                bottom.append((escape(trace.describe(current)), None))
        rows = (tuple(top), tuple(bottom))
        self.plain = "".join(text for text, _ in rows[0]) + "\n" + "".join(text for text, _ in rows[1])
        if rows != self._rows:
            self._rows = rows
            self.refresh()  # two lines high, whatever they say: no layout

    def content_segments(self, y: int) -> list[Segment]:
        width = self.view_size.width
        base = self.base_style
        if y > 1 or width <= 0:
            return self.blank_row()
        pieces = self._rows[y]
        length = sum(cell_len(text) for text, _ in pieces)
        if y == 0 and length > width:
            pieces = _shorten_path(pieces, length - width)
            length = sum(cell_len(text) for text, _ in pieces)
        segments = [Segment(text, base if style is None else base + style) for text, style in pieces]
        return fit(segments, length, width, base, ellipsis=base)  # as a Text with overflow="ellipsis"


PATH_PIECE = 1
"""The top line's piece that names the file: the one shortened when the line is too long."""

SHORTEST_PATH = 12
"""A path is shortened to no fewer cells than this (its file name's end stays in view)."""


def _shorten_path(pieces: Row, over: int) -> Row:
    """The top line with its path cut from the left (``…`` and the path's end) by up to ``over``
    cells, so a long path does not push the phase and the step off the line."""
    text, style = pieces[PATH_PIECE]
    keep = max(SHORTEST_PATH, cell_len(text) - over - 1)
    if keep >= cell_len(text):
        return pieces
    tail = text
    while cell_len(tail) > keep:
        tail = tail[1:]
    return (*pieces[:PATH_PIECE], ("…" + tail, style), *pieces[PATH_PIECE + 1 :])
