"""Big files load in the background: the frame and a progress bar first, keys answered meanwhile,
q quits at once, and a reload or an ``o`` keeps the last good graph usable (issue 14, issue 10 §4).
Also: a failed ``o`` names the file opened, a deleted file is said so, FIFOs never block the app.

The load's thread is held at a gate where a test needs it still running (``slow_loads``), so
what happens "while it loads" is certain rather than a race against the machine's speed.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gradstep.core.examples import SEED
from gradstep.tui import loader as loader_module
from gradstep.tui.app import BACKGROUND_BYTES, GradstepApp
from gradstep.tui.screens.help import HelpScreen
from gradstep.tui.widgets.error_panel import ErrorPanel
from gradstep.tui.widgets.loading import LoadingBar
from gradstep.tui.widgets.status import StatusBar
from textual.widgets import Input

if TYPE_CHECKING:
    from tests.tui.conftest import Loaded

SIZE = (120, 40)
Rewrite = Callable[[Path, str], Path]


def big_text(terms: int = 12_000, start: float = 0.0) -> str:
    """A sum of ``terms`` constants, ten a line: over ``BACKGROUND_BYTES``; s ends at start + 0.5 * terms."""
    lines = [f"s = Value({start}, label='s')"]
    for first in range(0, terms, 10):
        lines.append("s = s + " + " + ".join("0.5" for _ in range(first, min(terms, first + 10))))
    text = "\n".join(lines) + "\ns\n"
    assert len(text) >= BACKGROUND_BYTES
    return text


class Gate:
    """Holds every background load before it reads, until ``open()``."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.waiting = threading.Event()

    def open(self) -> None:
        self.event.set()


@pytest.fixture
def slow_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    gate = Gate()
    real = loader_module.load

    def held(path: str, progress: Callable[[str, int, int], None]) -> object:
        progress("reading", 0, 1)
        gate.waiting.set()
        while not gate.event.wait(0.01):
            progress("reading", 0, 1)  # a superseded load stops here
        return real(path, progress)

    monkeypatch.setattr(loader_module, "load", held)
    monkeypatch.setattr(loader_module, "IN_CHILD", False)  # the gate is this process's
    yield gate
    gate.open()  # let any thread still held finish


def error_text(app: GradstepApp) -> str:
    panel = app.query_one(ErrorPanel)
    return panel.message if panel.has_class("-visible") else ""


async def test_a_big_file_shows_the_frame_and_progress_and_answers_keys_while_it_loads(
    tmp_path: Path, slow_loads: Gate, loaded: Loaded
) -> None:
    path = tmp_path / "big.gs"
    path.write_text(big_text())
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.loading and app.trace is None
        bar = app.query_one(LoadingBar)
        assert bar.display and bar.plain.startswith(f"Loading {path} · reading")
        assert "loading" in app.query_one(StatusBar).plain
        await pilot.press("question_mark")  # the app answers while the file loads
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        slow_loads.open()
        await loaded(app, pilot)
        assert app.trace is not None and app.trace.size == 2 * 12_000 + 1
        assert not bar.display and "step 0 of" in app.query_one(StatusBar).plain


async def test_progress_names_the_stage_and_how_far(tmp_path: Path) -> None:
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query(LoadingBar)  # mounted by the first big load, not at start
        bar = app.loading_bar
        bar.start("big.gs")
        bar.report("parsing", 120_000, 660_021)
        await pilot.pause()
        assert app.query_one(LoadingBar) is bar and bar.display
        shown = bar.render().plain
        assert shown.startswith("Loading big.gs · parsing") and shown.endswith(" 8%")  # 0.02 + 0.33 * 0.18
        assert bar.plain == "Loading big.gs · parsing 120,000 of 660,021 characters · q quits"
        bar.report("building", 2_048, 50_001)
        assert "building the graph 2,048 of 50,001 statements" in bar.plain
        bar.stop()
        assert not bar.display


async def test_q_quits_at_once_while_a_file_loads(tmp_path: Path, slow_loads: Gate) -> None:
    path = tmp_path / "big.gs"
    path.write_text(big_text())
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.loading
        await pilot.press("q")
    assert app.return_value == 0 and app.trace is None  # it quit; the load never finished


async def test_a_reload_into_a_big_file_keeps_the_last_graph_usable(
    seed_file: Path, rewrite: Rewrite, slow_loads: Gate, loaded: Loaded
) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        good = app.trace
        assert good is not None and good.position == 2
        rewrite(seed_file, big_text())
        app.check_file()
        await pilot.pause()
        assert app.loading and app.trace is good
        await pilot.press("n")  # stepping the last good graph while the new one loads
        assert good.position == 3 and "step 3 of 11" in app.query_one(StatusBar).plain
        assert app.query_one(LoadingBar).display
        slow_loads.open()
        await loaded(app, pilot)
        assert app.trace is not good and app.trace is not None and app.trace.size == 24_001
        assert app.trace.position == 3  # the step carried over
        assert error_text(app) == ""


async def test_o_of_a_big_file_loads_in_the_background_and_switches_when_ready(
    tmp_path: Path, seed_file: Path, slow_loads: Gate, loaded: Loaded
) -> None:
    big = tmp_path / "big.gs"
    big.write_text(big_text())
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        good = app.trace
        await pilot.press("o")
        app.screen.query_one(Input).value = str(big)
        await pilot.press("enter")
        await pilot.pause()
        assert app.loading and app.trace is good and app.path == str(seed_file)
        await pilot.press("n")
        assert good is not None and good.position == 1
        slow_loads.open()
        await loaded(app, pilot)
        assert app.path == str(big) and app.trace is not None and app.trace.size == 24_001
        assert app.query_one(StatusBar).plain.startswith(f"gradstep {big}")


async def test_a_newer_open_supersedes_a_big_file_still_loading(
    tmp_path: Path, seed_file: Path, slow_loads: Gate, loaded: Loaded
) -> None:
    big = tmp_path / "big.gs"
    big.write_text(big_text())
    small = tmp_path / "small.gs"
    small.write_text("a = Value(3.0, label='a')\nb = a * a\nb\n")
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        app.open_path(str(big))
        await pilot.pause()
        assert app.loading
        assert app.open_path(str(small)) is True
        slow_loads.open()
        await pilot.pause(0.3)
        await loaded(app, pilot)
        assert app.path == str(small) and app.trace is not None and app.trace.size == 2


async def test_a_failed_o_says_the_opened_file_has_the_error_and_keeps_the_graph(
    tmp_path: Path, seed_file: Path
) -> None:
    broken = tmp_path / "broken.gs"
    broken.write_text("a = Value(2.0, label='a')\nb = a ** a\nb\n")
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        good = app.trace
        assert app.open_path(str(broken)) is False
        await pilot.pause()
        first, rest = error_text(app).split("\n", 1)
        assert first == f"Could not open {broken}: still showing {seed_file}."
        assert rest.startswith(f"{broken}:2:")
        status = app.query_one(StatusBar).plain
        assert status.startswith(f"gradstep {seed_file}")  # the graph's own file, not the broken one
        assert "(error" not in status.splitlines()[0]  # the file on show has no error
        assert app.trace is good


async def test_a_failed_o_of_a_big_file_says_so_too(tmp_path: Path, seed_file: Path, loaded: Loaded) -> None:
    broken = tmp_path / "broken.gs"
    broken.write_text(big_text() + "t = s +\n")
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        good = app.trace
        app.open_path(str(broken))
        await loaded(app, pilot)
        assert error_text(app).startswith(f"Could not open {broken}: still showing {seed_file}.\n{broken}:")
        assert app.trace is good


async def test_a_deleted_file_is_said_so_and_loads_again_when_back(seed_file: Path, rewrite: Rewrite) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        good = app.trace
        seed_file.unlink()
        app.check_file()
        await pilot.pause()
        message = error_text(app)
        assert message.startswith(f"{seed_file}: the file is gone (deleted or moved)")
        assert "showing the last good graph" in message and app.trace is good
        rewrite(seed_file, SEED.replace("Value(10.0", "Value(11.0"))
        app.check_file()
        await pilot.pause()
        assert error_text(app) == "" and app.trace is not good


async def test_a_deleted_file_replaces_a_stale_error(seed_file: Path, rewrite: Rewrite) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        rewrite(seed_file, "a = Value(1.0)\nb = a +\n")
        app.check_file()
        await pilot.pause()
        assert ":2:" in error_text(app)
        seed_file.unlink()
        app.check_file()
        await pilot.pause()
        assert "the file is gone" in error_text(app) and ":2:" not in error_text(app)


async def test_a_failed_o_of_a_fifo_leaves_the_status_of_the_graph_on_show(
    tmp_path: Path, seed_file: Path
) -> None:
    fifo = tmp_path / "f.gs"
    os.mkfifo(fifo)
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        app.open_path(str(fifo))
        await pilot.pause()
        assert error_text(app).startswith(f"Could not open {fifo}: still showing {seed_file}.")
        status = app.query_one(StatusBar).plain.splitlines()[0]
        assert status.startswith(f"gradstep {seed_file}") and "(error" not in status


async def test_an_error_in_the_file_left_watched_after_a_failed_o_names_it(
    tmp_path: Path, seed_file: Path, rewrite: Rewrite
) -> None:
    broken = rewrite(tmp_path / "broken.gs", "a = Value(2.0)\nb = a +\n")
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        app.open_path(str(broken))
        rewrite(broken, "a = Value(2.0)\nb = a *\n")  # still broken, saved again
        app.check_file()
        await pilot.pause()
        assert error_text(app).startswith(f"Could not open {broken}: still showing {seed_file}.")
        assert "(error" not in app.query_one(StatusBar).plain.splitlines()[0]


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "dir"])
async def test_o_of_what_is_not_a_regular_file_is_refused_without_blocking(
    tmp_path: Path, seed_file: Path, target: str
) -> None:
    if target == "fifo":
        path = str(tmp_path / "f.gs")
        os.mkfifo(path)
    else:
        path = str(tmp_path) if target == "dir" else target
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        good = app.trace
        await pilot.press("o")
        app.screen.query_one(Input).value = path
        await pilot.press("enter")
        await pilot.pause()
        assert "not an expression file" in error_text(app) and app.trace is good
        await pilot.press("n")
        assert good is not None and good.position == 1


async def test_a_watched_file_replaced_by_a_fifo_is_refused_without_blocking(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        good = app.trace
        seed_file.unlink()
        os.mkfifo(seed_file)
        app.check_file()
        await pilot.pause()
        assert "named pipe (FIFO), not an expression file" in error_text(app)
        assert app.trace is good
        await pilot.press("n")
        assert good is not None and good.position == 1


def test_in_a_terminal_q_during_a_big_load_quits_before_the_graph_shows(tmp_path: Path) -> None:
    """The real program in a pseudo-terminal (bench/terminal.py): a 200,000-node file shows its
    frame and the progress bar first; q then ends the program before the graph is ever shown."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.terminal import Terminal, gradstep_command, graph_ready

    path = tmp_path / "big.gs"
    path.write_text(big_text(99_999))
    term = Terminal([*gradstep_command(), str(path)]).spawn()
    try:  # how long the whole load takes here, now
        ready = term.wait_for(graph_ready, 180)
        assert ready is not None
        load = ready.end - term.started
    finally:
        term.quit(limit=60)
    term = Terminal([*gradstep_command(), str(path)]).spawn()
    try:
        first = term.wait_for(lambda t: any("Loading" in line for line in t.lines()[:4]), 60)
        assert first is not None, "no progress bar"
        assert not graph_ready(term)
    finally:
        took = term.quit(limit=60)
    for frame in term.frames:  # whatever it drew until it exited
        term.stream.feed(frame.data)
    assert term.exit_status == 0 and took < load / 2, (took, load)
    assert not graph_ready(term), "the graph was shown: q waited for the load"


async def test_the_switch_interval_is_given_back_after_loads_that_overlap(
    tmp_path: Path, seed_file: Path, loaded: Loaded
) -> None:
    """Loads shorten the interpreter's switch interval (the app's thread gets the lock sooner);
    two loads overlapping must still leave it as they found it."""
    before = sys.getswitchinterval()
    big = tmp_path / "big.gs"
    big.write_text(big_text())
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        app.open_path(str(big))
        app.open_path(str(big))  # supersedes the first while it may still run
        await loaded(app, pilot)
        await pilot.pause(0.5)
    assert sys.getswitchinterval() == before
    assert gc.isenabled()  # the collector, off while loads run, is back on


async def test_the_collector_is_off_while_a_file_loads(
    tmp_path: Path, slow_loads: Gate, loaded: Loaded
) -> None:
    path = tmp_path / "big.gs"
    path.write_text(big_text())
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.loading
        assert await asyncio.to_thread(slow_loads.waiting.wait, 10)
        assert not gc.isenabled()
        slow_loads.open()
        await loaded(app, pilot)
        assert gc.isenabled()


@pytest.mark.parametrize(("terms", "read"), [(50_000, True), (100_000, True), (100_500, False)])
def test_in_a_terminal_under_a_memory_limit_a_deep_line_loads_or_is_refused_cleanly(
    terms: int, read: bool
) -> None:
    """``ulimit -v 400000``: the app reads a sum on one line as deep as the limit (100,000), as the
    CLI does (a big file loads in a forked child, which has the address space to itself), and
    refuses one deeper with the limit's own words in its error panel, still running."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.terminal import Terminal, gradstep_command, graph_ready

    short = Path(tempfile.mkdtemp(prefix="gs", dir="/tmp"))  # the error's line fits unwrapped
    path = short / "deep.gs"
    path.write_text("a = Value(1.0)\ns = a" + " + a" * (terms - 1) + "\n")
    command = " ".join([*gradstep_command(), str(path)])
    term = Terminal(["bash", "-c", f"ulimit -v 400000; exec {command}"]).spawn()
    try:
        outcome = term.wait_for(lambda t: graph_ready(t) or "nests more than" in t.text(), 180)
        assert outcome is not None and term.exit_status is None, term.text()
        assert graph_ready(term) is read, term.text()
        if not read:
            assert "nests more than 100,000 levels deep" in term.text()
        assert "Traceback" not in term.text()
    finally:
        assert term.quit(limit=60) < 60
        shutil.rmtree(short)
