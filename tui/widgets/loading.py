"""The progress of a file loading in the background: what is being read, and how far it has come.

A big file loads on a thread of its own (tui/loader.py); the app stays on screen and answers keys
meanwhile, and this bar, under the status line, says where the load is. Hidden when nothing loads.

One widget draws both the words and the bar: it is on the first frame of every big file, and each
widget on that frame costs start-up time (Textual's ``ProgressBar`` is three). The app mounts it
when a first big load begins, or composes it when the file it opens is big; it may be told what
to say before it is mounted.
"""

from __future__ import annotations

from gradstep.core.text import shown
from rich.text import Text
from textual.widget import Widget

STAGES: dict[str, tuple[float, float, str]] = {
    "reading": (0.0, 0.02, "reading"),
    "parsing": (0.02, 0.35, "parsing"),
    "building": (0.35, 0.8, "building the graph"),
    "tracing": (0.8, 0.95, "tracing backprop"),
    "drawing": (0.95, 1.0, "drawing"),
}
"""Each stage's share of the whole bar (from, to) and its words; ``done/total`` moves within it."""

BAR_CELLS = 32
"""The bar's length, as Textual's ``ProgressBar`` draws it; narrower panes get a shorter one."""


class LoadingBar(Widget):
    """``Loading FILE · parsing 120,000 of 660,021 characters`` beside a bar of the whole load."""

    DEFAULT_CSS = """
    LoadingBar {
        display: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    LoadingBar.-visible { display: block; }
    LoadingBar > .loading-bar--done { color: $accent; }
    LoadingBar > .loading-bar--to-do { color: $foreground 15%; }
    """

    COMPONENT_CLASSES = {"loading-bar--done", "loading-bar--to-do"}  # noqa: RUF012 (Textual's own)

    plain: str = ""
    """What the bar says, as plain text (for tests)."""

    fraction: float = 0.0
    """How far the whole load has come, from 0 to 1."""

    def start(self, path: str) -> None:
        """Show the bar for a load of ``path`` that has just begun."""
        self._path = path
        self.set_class(True, "-visible")
        self.report("reading", 0, 1)

    def report(self, stage: str, done: int, total: int) -> None:
        """The load reached ``done`` of ``total`` in ``stage`` (a key of ``STAGES``)."""
        low, high, words = STAGES.get(stage, (0.0, 1.0, stage))
        self.fraction = low + (high - low) * (done / total if total > 0 else 0.0)
        unit = {"parsing": " characters", "building": " statements"}.get(stage)
        amount = f" {done:,} of {total:,}{unit}" if unit else ""
        self.plain = f"Loading {shown(getattr(self, '_path', ''), 120)} · {words}{amount} · q quits"
        self.refresh()

    def stop(self) -> None:
        """The load is over (loaded, failed or superseded): hide the bar."""
        self.set_class(False, "-visible")

    def render(self) -> Text:
        width = self.content_size.width
        percent = f" {round(100 * self.fraction):>3}%"
        cells = max(0, min(BAR_CELLS, width - len(percent) - 12))  # the words keep 10 and more
        words = Text(self.plain, no_wrap=True, overflow="ellipsis", end="")
        words.truncate(max(0, width - cells - len(percent) - 1), overflow="ellipsis", pad=True)
        line = words
        if cells:
            done = round(self.fraction * cells)
            line.append(" ")
            line.append("━" * done, self.get_component_rich_style("loading-bar--done"))
            line.append("━" * (cells - done), self.get_component_rich_style("loading-bar--to-do"))
        line.append(percent)
        return line
