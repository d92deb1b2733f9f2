"""The stepping itself as an asciicast v2 recording: ``gradstep export FILE --to cast``.

asciicast v2 (what ``asciinema play`` and the web players read) is a JSON header line, then one JSON
line per event, ``[seconds, "o", "text written to the terminal"]``. Here the real app runs headless
(``App.run_test``), the ``n`` key is pressed once per step as a person would, and after each step the
screen is written out as the terminal bytes Textual itself would send: the compositor's full update
rendered by ``render_segments``, the same call the app makes to draw on a real terminal
(``App.export_screenshot`` takes the same full update, but hands it to Rich's SVG writer). The first
frame is the whole screen, each next one the rows that changed since the one before.

Why not a real terminal (a pty fed to a terminal emulator such as ``pyte``): the bytes the app sends
to a pty depend on timing (how updates batch, when the first resize lands), so two runs would not be
the same file; the screen after each step, from the same renderer, is the same bytes every time.
No wall clock gets in: the header has no timestamp and frame ``k`` is at ``k * FRAME_SECONDS``.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator

from gradstep.core.text import escape
from gradstep.tui.app import GradstepApp
from rich.console import Console
from textual.app import App

SIZE = (120, 36)
"""The terminal the recording is made in: the README's screenshots' size."""

FRAME_SECONDS = 1.0
"""How long each step stays on screen when played back."""

_START = "\x1b[?25l\x1b[2J"
"""Hide the cursor and clear the screen, before the first frame."""


def screen_rows(app: App[object]) -> list[str]:
    """The whole screen of a running app, one string per row: the escape sequences a terminal would
    be sent for it, each starting with the move to its row."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True)
    assert update is not None  # a full update always has the whole screen
    text = str(update.render_segments(console))  # type: ignore[attr-defined]
    starts = [text.index(f"\x1b[{y + 1};1H") for y in range(height)]  # rows come in order
    return [text[a:b].rstrip("\n") for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


async def record_frames(path: str | None, end: int | None, size: tuple[int, int] = SIZE) -> list[str]:
    """One frame per step, from step 0 to ``end`` (default: the last), by pressing ``n``.

    The first frame is the whole screen; each next one rewrites the rows that changed (a step
    changes a few rows: a tenth of the bytes of whole screens). ``path`` None records the built-in
    example."""
    app = GradstepApp(path, watch=False)
    frames: list[str] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        trace = app.trace
        if trace is None or app.error is not None:  # the caller loaded it: the file changed since
            raise RuntimeError(app.error or "the graph did not load")
        last = len(trace) if end is None else end
        shown = screen_rows(app)
        frames.append("".join(shown))
        while trace.position < last:
            await pilot.press("n")
            await pilot.pause()
            rows = screen_rows(app)
            frames.append("".join(row for row, old in zip(rows, shown, strict=True) if row != old))
            shown = rows
    return frames


def cast_lines(frames: list[str], title: str, size: tuple[int, int] = SIZE) -> Iterator[str]:
    """The recording's lines: the header, then one output event per frame."""
    width, height = size
    header = {"version": 2, "width": width, "height": height, "title": escape(title)}
    yield json.dumps(header, ensure_ascii=False)
    for k, frame in enumerate(frames):
        data = (_START if k == 0 else "") + frame
        yield json.dumps([round(k * FRAME_SECONDS, 6), "o", data], ensure_ascii=False)


def to_cast(path: str | None, title: str, end: int | None = None) -> str:
    """The asciicast v2 text of stepping ``path`` (None: the built-in example) from step 0 to ``end``."""
    frames = asyncio.run(record_frames(path, end))
    return "\n".join(cast_lines(frames, title)) + "\n"
