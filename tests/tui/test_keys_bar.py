"""The keys line (tui/widgets/keys_bar.py) against Textual's own compact Footer, the reference.

The app draws its keys with one widget instead of Textual's Footer (one widget per key, composed
after the first frame); what it shows and what a click does must be what the Footer's would be.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from gradstep.tui.app import GradstepApp
from gradstep.tui.widgets.keys_bar import KeysBar
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.pilot import Pilot
from textual.widgets import Footer


def bottom_line(app: App[object]) -> str:
    """The screen's last row as text, from the compositor: what the terminal would show."""
    height = app.size.height
    strips = app.screen._compositor.render_strips()  # test-only peek at the composed rows
    return "".join(segment.text for segment in strips[height - 1]).rstrip()


async def drawn_bottom_line(app: App[object], pilot: Pilot[object]) -> str:
    """The last row once something is drawn there: on a busy machine the first pause can come
    before the first layout (CI once read an empty row), so wait for it, for up to 5 s."""
    for _ in range(50):
        await pilot.pause(0.1)
        line = bottom_line(app)
        if line.strip():
            return line
    return bottom_line(app)


class FooterTwin(App[None]):
    """The debugger's bindings and their footer rule, drawn by Textual's own compact Footer."""

    BINDINGS: ClassVar[list[BindingType]] = GradstepApp.BINDINGS
    FOOTER_ROOMY = GradstepApp.FOOTER_ROOMY
    check_action = GradstepApp.check_action  # type: ignore[assignment]

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)

    def on_resize(self) -> None:
        self.query_one(Footer).show_command_palette = self.size.width >= 90
        self.refresh_bindings()


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_keys_match_textuals_footer(size: tuple[int, int]) -> None:
    twin = FooterTwin()
    async with twin.run_test(size=size) as pilot:
        expected = await drawn_bottom_line(twin, pilot)
    app = GradstepApp(None)
    async with app.run_test(size=size) as pilot:
        app.set_focus(None)  # the tree's own keys (show=False) aside: the app's bindings alone
        got = await drawn_bottom_line(app, pilot)
    assert "q Quit" in got
    if "q Quit" in expected:
        assert got.split() == expected.split()
    else:
        # Where the keys and the palette's do not both fit, the Footer lets the palette hide the
        # last keys; this line keeps every key and lets the palette's go.
        assert expected.split("▏")[0].split()[:-1] == got.split()[: len(expected.split("▏")[0].split()) - 1]
        assert "palette" not in got


async def test_a_click_on_a_key_presses_it() -> None:
    app = GradstepApp(None)
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.query_one(KeysBar)
        line = bottom_line(app)
        assert app.trace is not None and app.trace.position == 0
        await pilot.click(bar, offset=(line.index("Next"), 0))
        await pilot.pause()
        assert app.trace.position == 1
        await pilot.click(bar, offset=(line.index("Prev"), 0))
        await pilot.pause()
        assert app.trace.position == 0


async def test_the_keys_are_in_the_first_frame() -> None:
    # Textual's Footer composes its keys after the first refresh; this line has them at once.
    app = GradstepApp(None)
    async with app.run_test(size=(120, 40)):
        bar = app.query_one(KeysBar)
        assert "q Quit" in str(bar.render())
