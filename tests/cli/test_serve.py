"""`gradstep serve`, the real command: what it binds and prints, what it refuses, and a real browser.

The browser tests drive Debian's Chromium with Playwright: they load the page, press keys in it, and
read the SVG that the app's own screenshot key (`s`) writes into the server's working directory (a
temporary folder here), which shows the step the keys moved to.
"""

from __future__ import annotations

import html
import http.client
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradstep.core.examples import SEED
from gradstep.core.language import parse
from gradstep.core.trace import trace
from gradstep.tui.serve import app_command, run_serve, who_can_reach

WAIT = 60.0
"""Seconds to wait for something that takes well under one (a guard against a hang, not a goal)."""
SEED_STEPS = len(trace(parse(SEED, "seed.gs").output))
"""The seed's timeline length, counted by the core itself: the status line says `step k of this`."""


def gradstep(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=WAIT,
    )


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    lines: queue.Queue[str]
    stderr_path: Path
    reader: threading.Thread

    def printed(self) -> str:
        """Everything printed to stdout so far (after the first line)."""
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return "".join(out)

    def stop(self) -> tuple[int, str, str]:
        """Ctrl+C, as a person stops it; the exit status and what it printed then."""
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=WAIT)
        self.reader.join(timeout=WAIT)  # it has read stdout to the end
        return status, self.printed(), self.stderr_path.read_text()


@contextmanager
def serving(*args: str, cwd: Path) -> Iterator[Server]:
    """``gradstep serve ARGS`` running in ``cwd``; its first line names the URL."""
    stderr_path = cwd.parent / f"{cwd.name}-serve-stderr.txt"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gradstep.tui.cli", "serve", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        try:
            first = lines.get(timeout=WAIT)
        except queue.Empty:
            first = ""
        found = re.search(r"http://\S+", first)
        assert found, f"no URL printed: {first!r}\n{stderr_path.read_text()}"
        yield Server(process, found.group(0), lines, stderr_path, reader)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT)
        reader.join(timeout=WAIT)


def wait_until(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def app_processes(path: Path) -> list[int]:
    """Pids of the served apps running on ``path`` (``python -m gradstep.tui.cli --served -- path``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--served" in argv and os.fsencode(path) in argv:
            found.append(int(entry))
    return found


def get(url: str, path: str = "/", headers: dict[str, str] | None = None) -> tuple[int, str]:
    host, port = re.match(r"http://([^:/]+):(\d+)", url).groups()  # type: ignore[union-attr]
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode() if response.status != 101 else ""
    finally:
        connection.close()


def upgrade(origin: str) -> dict[str, str]:
    """The headers of a browser's websocket handshake from a page at ``origin``."""
    return {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin": origin,
    }


@pytest.fixture
def served_file(tmp_path: Path) -> Path:
    """The seed in a folder whose name needs quoting in a shell (the per-tab command is one)."""
    folder = tmp_path / "my class $(x)"
    folder.mkdir()
    path = folder / "seed.gs"
    path.write_text(SEED)
    return path


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """The server's working directory, where `s` writes its SVGs."""
    path = tmp_path / "shots"
    path.mkdir()
    return path


# --- without a browser --------------------------------------------------------------------------


def test_serve_listens_on_loopback_by_default_and_stops_on_ctrl_c(served_file: Path, shots: Path) -> None:
    with serving(str(served_file), "--port", "0", cwd=shots) as server:
        assert server.url.startswith("http://127.0.0.1:")
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        # The kernel's own table of listening sockets: bound to 127.0.0.1, not to every address.
        listening = [
            line.split()[1]
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
        ]
        assert listening == [f"0100007F:{port:04X}"]
        status, out, err = server.stop()
    assert status == 0, err
    assert "stopped" in out and "Traceback" not in out + err


def test_the_page_names_the_file_and_answers_only_pages_of_its_own(tmp_path: Path, shots: Path) -> None:
    path = tmp_path / "a&b <i>.gs"
    path.write_text(SEED)
    with serving(str(path), "--port", "0", cwd=shots) as server:
        status, page = get(server.url)
        assert status == 200
        assert f"<title>{html.escape(str(path))} · gradstep</title>" in page
        assert "<i>" not in page
        host = server.url.removeprefix("http://").rstrip("/")
        # Another site's page (or a name of another site pointed at 127.0.0.1) gets nothing.
        assert get(server.url, headers={"Host": "attacker.example"})[0] == 403
        assert get(server.url, "/ws", upgrade("http://attacker.example"))[0] == 403
        assert (
            get(server.url, "/ws", {**upgrade("http://attacker.example"), "Host": "attacker.example"})[0]
            == 403
        )
        assert get(server.url, "/ws", upgrade(f"http://{host}"))[0] == 101
        status, _, err = server.stop()
    assert status == 0, err


def test_a_port_in_use_is_a_clear_error(served_file: Path, shots: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = gradstep("serve", str(served_file), "--port", str(port), cwd=shots)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    missing = gradstep("serve", str(tmp_path / "nope.gs"))
    assert missing.returncode == 2
    assert missing.stderr == gradstep(str(tmp_path / "nope.gs")).stderr  # the same words as the app
    port = gradstep("serve", "--port", "70000")
    assert port.returncode == 2 and "0 to 65535" in port.stderr
    host = gradstep("serve", "--port", "0", "--host", "no-such-host.invalid")
    assert host.returncode == 2 and "no-such-host.invalid" in host.stderr
    for result in (missing, port, host):
        assert "Traceback" not in result.stderr


def test_a_chosen_host_says_who_can_reach_it(served_file: Path, shots: Path) -> None:
    with serving(str(served_file), "--port", "0", "--host", "127.0.0.1", cwd=shots) as server:
        assert "Only this machine can reach it." in wait_until(server.printed, "the second line")  # type: ignore[operator]
        server.stop()
    everyone = " ".join(who_can_reach("0.0.0.0", 8000, "examples"))
    assert "anyone who can reach this machine" in everyone and "port 8000" in everyone
    assert "presses its keys" in everyone and "only the files in examples" in everyone
    assert "opens no other file" in " ".join(who_can_reach("192.0.2.7", 8000, None))
    assert who_can_reach("::1", 8000, "examples") == ["Only this machine can reach it."]


def test_without_the_web_extra_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # as if not installed
    assert run_serve(["--port", "0"]) == 2
    captured = capsys.readouterr()
    assert "pip install 'gradstep[web]'" in captured.err and captured.out == ""


def test_help_lists_serve_and_hides_the_internal_flag() -> None:
    top = gradstep("--help")
    assert "gradstep serve [FILE] [--port N] [--host H]" in top.stdout
    assert "--served" not in top.stdout
    serve = gradstep("serve", "--help")
    assert serve.returncode == 0 and "--port" in serve.stdout and "--host" in serve.stdout


def test_the_command_for_each_tab_quotes_the_file() -> None:
    path = "/srv/my class/$(rm -rf ~); x.gs"
    assert shlex.split(app_command(path)) == [
        sys.executable,
        "-m",
        "gradstep.tui.cli",
        "--served",
        "--",
        path,
    ]


# --- in a real browser ----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no browser: Debian's chromium package is not installed and could not be "
    "(`.ci/run` installs it with apt-get as root)",
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_tab(browser: object, url: str) -> object:
    """A new tab on ``url``, once the app in it has drawn its first screen, with the keyboard on it."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector("body.-first-byte", timeout=WAIT * 1000)  # the app's first bytes arrived
    page.click("#terminal")
    return page


def svg_text(svg: Path) -> str | None:
    """The text an SVG screenshot shows, or None while it is still being written."""
    markup = svg.read_text()
    if "</svg>" not in markup[-20:]:
        return None
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", markup))).replace("\xa0", " ")


def screenshot_after(page: object, shots: Path, keys: str) -> str:
    """Press ``keys`` then `s` in ``page``; the text of the SVG that `s` wrote."""
    before = set(shots.glob("*.svg"))
    for key in keys:
        page.keyboard.press(key)  # type: ignore[attr-defined]
    page.keyboard.press("s")  # type: ignore[attr-defined]
    new = wait_until(lambda: set(shots.glob("*.svg")) - before, "the screenshot's SVG")
    (svg,) = new  # type: ignore[misc]
    return str(wait_until(lambda: svg_text(svg), "the SVG written"))


def screenshot_showing(page: object, shots: Path, words: str) -> str:
    """Press `s` until a screenshot shows ``words``: keys typed as a dialog closes may go to the dialog."""
    seen = set(shots.glob("*.svg"))
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        page.keyboard.press("s")  # type: ignore[attr-defined]
        time.sleep(0.5)
        for svg in set(shots.glob("*.svg")) - seen:
            if (text := svg_text(svg)) is not None:
                seen.add(svg)
                if words in text:
                    return text
    raise AssertionError(f"no screenshot showed {words!r}")


@needs_browser
def test_keys_pressed_in_the_browser_reach_the_app(served_file: Path, shots: Path) -> None:
    with serving(str(served_file), "--port", "0", cwd=shots) as server, chromium() as browser:
        page = open_tab(browser, server.url)
        assert page.title() == f"{served_file} · gradstep"  # type: ignore[attr-defined]
        shown = screenshot_after(page, shots, "nnn")
        assert f"step 3 of {SEED_STEPS}" in shown and "forward" in shown
        shown = screenshot_after(page, shots, "N")
        assert f"step 2 of {SEED_STEPS}" in shown
        # Served, `o` reads only in the file's folder: the line of a file outside is never shown.
        secret = served_file.parent.parent / "secret.gs"
        secret.write_text("password = hunter2 ( secret\n")
        page.keyboard.press("o")  # type: ignore[attr-defined]
        page.keyboard.type(str(secret))  # replaces the folder the dialog starts with, selected  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        shown = screenshot_showing(page, shots, "Could not open")  # served or not: the graph stays
        assert "not in the served folder" in shown and "hunter2" not in shown
        assert f"step 2 of {SEED_STEPS}" in shown  # the graph on screen stays
        page.close()  # type: ignore[attr-defined]
        wait_until(lambda: not app_processes(served_file), "the tab's app to quit")
        status, _, err = server.stop()
    assert status == 0 and "Traceback" not in err, err


@needs_browser
def test_every_tab_gets_its_own_app_and_ctrl_c_ends_them_all(served_file: Path, shots: Path) -> None:
    with serving(str(served_file), "--port", "0", cwd=shots) as server, chromium() as browser:
        first = open_tab(browser, server.url)
        assert f"step 3 of {SEED_STEPS}" in screenshot_after(first, shots, "nnn")
        second = open_tab(browser, server.url)
        assert f"step 1 of {SEED_STEPS}" in screenshot_after(second, shots, "n")  # from its own start
        assert f"step 3 of {SEED_STEPS}" in screenshot_after(first, shots, "")  # the first did not move
        assert len(app_processes(served_file)) == 2
        status, out, err = server.stop()  # both tabs still open
    assert status == 0 and "stopped" in out and "Traceback" not in err, err
    assert app_processes(served_file) == []
