"""A served app (`gradstep serve`) reads only in the served file's folder, and never quotes a file outside.

Each test puts a secret line in a file outside the folder, with an error on that very line (so an
unfenced app would quote it, as the first test shows), and checks the secret never reaches the screen.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from gradstep.core.examples import SEED
from gradstep.core.language import ExpressionError, load
from gradstep.tui.app import GradstepApp
from gradstep.tui.served import ServedFolder
from gradstep.tui.widgets.error_panel import ErrorPanel
from textual.widgets import Input

SIZE = (120, 40)
SECRET = "password = hunter2 ( secret"
"""A first line that is an error: an app that loads it quotes it in the error panel."""
Rewrite = Callable[[Path, str], Path]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """``tmp/class/seed.gs`` to serve, and ``tmp/secret.gs`` (outside the folder) holding the secret."""
    (tmp_path / "secret.gs").write_text(SECRET + "\n")
    served = tmp_path / "class"
    served.mkdir()
    (served / "seed.gs").write_text(SEED)
    return served


def error_text(app: GradstepApp) -> str:
    panel = app.query_one(ErrorPanel)
    return panel.message if panel.has_class("-visible") else ""


def screen_text(app: GradstepApp) -> str:
    """Everything the app draws (the error panel, the status line, the panes), as plain text."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


async def type_into_open_dialog(app: GradstepApp, pilot: object, path: Path | str) -> None:
    await pilot.press("o")  # type: ignore[attr-defined]
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_unserved_the_open_dialog_quotes_a_line_of_any_file(folder: Path) -> None:
    """The hole the fence closes: in a terminal, opening a file outside quotes its first line."""
    app = GradstepApp(str(folder / "seed.gs"))
    async with app.run_test(size=SIZE) as pilot:
        await type_into_open_dialog(app, pilot, folder.parent / "secret.gs")
        assert "hunter2" in error_text(app) and "hunter2" in screen_text(app)


async def test_served_o_refuses_a_file_outside_the_folder_and_keeps_the_graph(folder: Path) -> None:
    served = str(folder / "seed.gs")
    app = GradstepApp(served, served=ServedFolder.of(served))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        graph = app.trace
        await type_into_open_dialog(app, pilot, folder.parent / "secret.gs")
        shown = error_text(app)
        assert "not in the served folder" in shown
        assert f"only the files in {folder}{os.sep}" in shown
        assert "hunter2" not in shown and "hunter2" not in screen_text(app)
        assert app.path == served and app.trace is graph and graph is not None and graph.position == 2
        await pilot.press("n")  # the graph on screen still steps
        assert graph.position == 3


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda folder: folder / ".." / "secret.gs", id="dot-dot"),
        pytest.param(lambda folder: _link(folder / "notes.gs", folder.parent / "secret.gs"), id="link-out"),
        pytest.param(lambda folder: _copy(folder / "sub" / "secret.gs"), id="subfolder"),
        pytest.param(lambda folder: _copy(folder / ".env"), id="hidden-file"),
    ],
)
async def test_served_o_refuses_every_way_around_the_fence(
    folder: Path, make: Callable[[Path], Path]
) -> None:
    target = make(folder)
    served = str(folder / "seed.gs")
    app = GradstepApp(served, served=ServedFolder.of(served))
    async with app.run_test(size=SIZE) as pilot:
        await type_into_open_dialog(app, pilot, target)
        assert "not in the served folder" in error_text(app)
        assert "hunter2" not in screen_text(app)
        assert app.path == served


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _copy(path: Path) -> Path:
    """The secret, again, at ``path`` (a place near the folder, but not directly in it)."""
    path.parent.mkdir(exist_ok=True)
    path.write_text(SECRET + "\n")
    return path


async def test_served_o_opens_a_file_in_the_folder_and_quotes_its_errors(folder: Path) -> None:
    (folder / "neuron.gs").write_text("x = Value(2.0)\ny = x * x\ny\n")
    (folder / "broken.gs").write_text("a = Value(2.0)\nb = a ** a\nb\n")
    served = str(folder / "seed.gs")
    app = GradstepApp(served, served=ServedFolder.of(served))
    async with app.run_test(size=SIZE) as pilot:
        await type_into_open_dialog(app, pilot, folder / "neuron.gs")
        assert error_text(app) == ""
        assert app.path == str(folder / "neuron.gs") and app.trace is not None and app.trace.size == 2
        await type_into_open_dialog(app, pilot, folder / "broken.gs")
        shown = error_text(app)
        first, rest = shown.split("\n", 1)  # the file opened has the error, the graph on show stays
        assert first == f"Could not open {folder / 'broken.gs'}: still showing {folder / 'neuron.gs'}."
        assert rest.startswith(f"{folder / 'broken.gs'}:2:") and "b = a ** a" in rest


async def test_served_reload_refuses_the_file_once_it_is_a_link_out(folder: Path, rewrite: Rewrite) -> None:
    """The check runs before every read: a served file swapped for a link outside is not read."""
    served = folder / "seed.gs"
    app = GradstepApp(str(served), served=ServedFolder.of(str(served)))
    async with app.run_test(size=SIZE) as pilot:
        served.unlink()
        served.symlink_to(folder.parent / "secret.gs")
        app.check_file()
        await pilot.pause()
        assert "not in the served folder" in error_text(app)
        assert "hunter2" not in screen_text(app)


async def test_served_built_in_example_opens_nothing(folder: Path) -> None:
    app = GradstepApp(None, served=ServedFolder.of(None))
    async with app.run_test(size=SIZE) as pilot:
        await type_into_open_dialog(app, pilot, folder / "seed.gs")
        assert "opens no other files" in error_text(app)
        assert app.path is None and app.trace is not None and app.trace.size == 7


def test_an_error_in_a_file_outside_is_described_without_its_line(folder: Path) -> None:
    """The second wall: an error about a file outside (read in a race) quotes nothing of it."""
    with pytest.raises(ExpressionError) as caught:
        load(folder.parent / "secret.gs")
    assert "hunter2" in str(caught.value)  # the error itself does quote the line
    fence = ServedFolder.of(str(folder / "seed.gs"))
    described = fence.describe(caught.value)
    assert "hunter2" not in described and "not in the served folder" in described


def test_the_fence_is_the_served_files_real_folder(folder: Path, tmp_path: Path) -> None:
    """Serving through a link fences the folder the file really lives in, whatever path was given."""
    alias = tmp_path / "alias"
    alias.symlink_to(folder)
    fence = ServedFolder.of(str(alias / "seed.gs"))
    assert fence.root == str(folder.resolve())
    assert fence.allows(str(folder / "seed.gs")) and fence.allows(str(alias / "seed.gs"))
    assert not fence.allows(str(tmp_path / "secret.gs"))
    assert not fence.allows(str(folder))  # the folder itself is not a file in it
