"""The real command in a real terminal (tmux): a hostile file cannot retitle the terminal or write
the clipboard, and an app that fails exits 1 with one line, no traceback.

Each test runs its own tmux server (``-L``), so it neither sees nor touches anyone else's. Each
first shows that the attack works when printed raw (a positive control), so a pass means the
sequence was really held back.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

ROOT = Path(__file__).resolve().parents[2]
GRADSTEP = f"{shlex.quote(sys.executable)} -m gradstep.tui.cli"
ATTACK = "\x1b]2;PWNED\x1b\\ \x1b]52;c;cHduZWQ=\x07"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=True
        )
        return result.stdout

    def title(self) -> str:
        return self("display", "-p", "-t", "t", "#{pane_title}").strip()

    def buffers(self) -> str:
        return self("list-buffers", "-F", "#{buffer_sample}")

    def screen(self) -> str:
        return self("capture-pane", "-p", "-J", "-t", "t")  # -J: a wrapped line as one

    def type(self, line: str) -> None:
        self("send-keys", "-t", "t", "-l", line)
        self("send-keys", "-t", "t", "Enter")

    def wait_for(self, test: Callable[[str], bool], timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen) or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)


def exited(screen: str) -> bool:
    """The shell printed ``rc=N`` on a line of its own (the typed command also holds ``rc=$?``)."""
    return re.search(r"^rc=\d+\s*$", screen, re.MULTILINE) is not None


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux(f"gradstep-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    server(
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        str(ROOT),
        "env PS1='$ ' bash --norc --noprofile",
    )
    server("set", "-g", "set-clipboard", "on")  # programs may write tmux's buffers (OSC 52)
    try:
        yield server
    finally:
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=20)


def test_a_hostile_comment_cannot_retitle_the_terminal_or_write_the_clipboard(
    tmp_path: Path, tmux: Tmux
) -> None:
    hostile = tmp_path / "f.gs"
    hostile.write_text(f"a = Value(2.0)\nb = a * nope  # {ATTACK}\n")
    # The control: printed raw, the same bytes do retitle the pane and fill a buffer.
    tmux.type(f"cat {shlex.quote(str(hostile))}")
    tmux.wait_for(lambda s: "nope" in s)
    assert tmux.title() == "PWNED"
    assert "pwned" in tmux.buffers()
    tmux("select-pane", "-t", "t", "-T", "KEEP")
    tmux("delete-buffer")
    assert tmux.title() == "KEEP"

    tmux.type(f"clear; {GRADSTEP} trace {shlex.quote(str(hostile))}; echo rc=$?")
    screen = tmux.wait_for(exited)
    assert "rc=2" in screen and "\\x1b]2;PWNED" in screen
    tmux.type(f"clear; {GRADSTEP} {shlex.quote(str(hostile))}")  # the debugger's error panel
    screen = tmux.wait_for(lambda s: "no graph yet" in s and "PWNED" in s)  # the app's error panel
    assert "no graph yet" in screen and "\\x1b]2;PWNED" in screen
    assert tmux.title() == "KEEP"
    tmux("send-keys", "-t", "t", "q")
    assert "no graph yet" not in tmux.wait_for(lambda s: "no graph yet" not in s)  # it quit
    assert tmux.title() == "KEEP"
    assert "pwned" not in tmux.buffers()


def test_an_app_that_fails_exits_1_with_one_line_and_no_traceback(tmp_path: Path, tmux: Tmux) -> None:
    script = tmp_path / "crash.py"
    script.write_text(
        "import sys\n"
        "from gradstep.tui.app import GradstepApp\n"
        "from gradstep.tui.cli import main\n"
        "def boom(self):\n"
        "    raise ZeroDivisionError('boom \\x1b]2;PWNED\\x07')\n"
        "GradstepApp.action_step = boom\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    tmux("select-pane", "-t", "t", "-T", "KEEP")
    tmux.type(f"clear; {shlex.quote(sys.executable)} {shlex.quote(str(script))} examples/seed.gs; echo rc=$?")
    tmux.wait_for(lambda s: "step 0 of" in s)
    tmux("send-keys", "-t", "t", "n")  # the step that fails
    screen = tmux.wait_for(exited)
    lines = [line for line in screen.splitlines() if line.strip() and not line.startswith("$")]
    assert lines[-1] == "rc=1", screen
    message = lines[-2]
    assert message.startswith("gradstep: error: the debugger stopped unexpectedly: ZeroDivisionError: boom")
    assert "Traceback" not in screen and "\\x1b]2;PWNED" in message
    assert tmux.title() == "KEEP"
    saved = message.rsplit("traceback in ", 1)[1].rstrip(")")
    assert "ZeroDivisionError" in Path(saved).read_text()
    Path(saved).unlink()


REDRAWABLE = """
import sys
from gradstep.tui.app import GradstepApp
from gradstep.tui.cli import main
from gradstep.tui.widgets.inspector import Inspector
{patch}
def redraw_all(self):
    for widget in self.screen.walk_children(with_self=True):
        widget.refresh()
mount = GradstepApp.on_mount
def on_mount(self):
    mount(self)
    self.bind("f12", "redraw_all", show=False)
GradstepApp.action_redraw_all = redraw_all
GradstepApp.on_mount = on_mount
sys.exit(main(sys.argv[1:]))
"""
"""gradstep with one more key, F12: every widget drawn afresh (the oracle of the test below)."""


def plain(screen: str) -> str:
    """A screen captured with its colours, without them."""
    return re.sub(r"\x1b\[[0-9;]*m", "", screen)


def steps_then_redraw(tmux: Tmux, script: Path) -> tuple[str, str]:
    """The screen (colours included) after steps drawn as they come, then after every widget
    is drawn afresh."""
    tmux.type(f"clear; {shlex.quote(sys.executable)} {shlex.quote(str(script))} examples/neuron.gs")
    tmux.wait_for(lambda s: "step 0 of" in s)
    for k, key in enumerate("nnnnnnnnnnNNN"):
        tmux("send-keys", "-t", "t", key)
        tmux.wait_for(lambda s, k=k: f"step {k + 1 if k < 10 else 19 - k} of" in s)
    time.sleep(0.3)
    drawn = tmux("capture-pane", "-e", "-p", "-t", "t")
    tmux("send-keys", "-t", "t", "F12")
    time.sleep(0.5)
    redrawn = tmux("capture-pane", "-e", "-p", "-t", "t")
    tmux("send-keys", "-t", "t", "q")
    tmux.wait_for(lambda s: "step" not in s)
    return drawn, redrawn


def test_a_step_drawn_at_once_leaves_the_terminal_as_a_full_redraw_would(tmp_path: Path, tmux: Tmux) -> None:
    # The control: an inspector that never redraws its changed lines leaves stale cells, and
    # this comparison sees them.
    stale = tmp_path / "stale.py"
    stale.write_text(REDRAWABLE.format(patch="Inspector.refresh_rows = lambda self, rows: None"))
    drawn, redrawn = steps_then_redraw(tmux, stale)
    assert "value  not computed yet" in plain(drawn) and "value  0.707107" in plain(redrawn)
    assert drawn != redrawn
    # The real app: each step's panes go to the screen from the key's handler (_draw_now).
    real = tmp_path / "real.py"
    real.write_text(REDRAWABLE.format(patch=""))
    drawn, redrawn = steps_then_redraw(tmux, real)
    assert "step 7 of" in plain(drawn) and "value  0.707107" in plain(drawn)
    assert drawn == redrawn
