"""The status line: which file, which phase, which step, and what that step does in words."""

from __future__ import annotations

from gradstep.core.trace import Trace
from gradstep.tui.text import printable
from rich.text import Text
from textual.widgets import Static


def phase_name(trace: Trace) -> str:
    """``start``, ``forward``, ``backward`` or ``done``: where the cursor is in the whole run."""
    if trace.position == 0:
        return "start"
    if trace.position >= len(trace):
        return "done"
    return "forward" if trace.position <= trace.seed_index else "backward"


class StatusBar(Static):
    """Two lines above the panes; redrawn on every step, so it only formats what the trace says."""

    DEFAULT_CSS = """
    StatusBar {
        height: 2;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    plain: str = ""
    """The status as plain text (what is on screen, without styles)."""

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
        top = Text(no_wrap=True, overflow="ellipsis")
        top.append("gradstep ", "bold")
        top.append(printable(source), "bold")
        if stale and trace is not None:
            top.append("  (error — showing the last good graph)", "italic")
        bottom = Text(no_wrap=True, overflow="ellipsis")
        if trace is None and loading:
            top.append("  ·  loading")
            bottom.append("The graph shows when the file is read: q quits, o opens another.")
        elif trace is None:
            top.append("  ·  no graph yet")
            bottom.append("Fix the file (it reloads when saved) or press o to open another.")
        else:
            phase = phase_name(trace)
            top.append("  ·  ")
            top.append(phase, "bold reverse" if phase in ("forward", "backward") else "bold")
            top.append(f"  ·  step {trace.position} of {len(trace)}")
            if breakpoints:
                top.append(f"  ·  ● {breakpoints} breakpoint{'s' if breakpoints != 1 else ''}")
            if note is not None:  # first on its line: a long path cannot push it off screen
                bottom.append(note, "bold reverse")
                bottom.append("  ")
            current = trace.current
            if current is None:
                bottom.append("Nothing computed yet: press n to step, c to run to a breakpoint or the end.")
            else:
                bottom.append(printable(trace.describe(current)))
        content = Text("\n", no_wrap=True, overflow="ellipsis").join([top, bottom])
        self.plain = content.plain
        self.update(content, layout=False)  # height is fixed at 2: no relayout per step
