"""The debugger measured as a person meets it: through a real terminal, beside a minimal Textual app.

    python -m bench --terminal          # these figures only
    python -m bench --terminal --quick  # fewer samples, smaller files

Each program runs in a pseudo-terminal this process owns (120x40, ``TERM=xterm-256color``), read
in a loop that timestamps every chunk of output the moment ``os.read`` returns it. This process
plays the terminal: it answers Textual's query for synchronized output (``CSI ? 2026 $ p``) as
kitty, WezTerm, iTerm2, foot or Windows Terminal do, so every frame Textual writes arrives between
``CSI ? 2026 h`` and ``CSI ? 2026 l``, and a frame's time is when its last byte arrived, which is
when such a terminal shows it. The frames are then fed, one by one and off the clock, to ``pyte``
(a VT terminal emulator) to see what the screen showed after each.

- **key to screen**: from writing the key to the pty until the end of the first frame that changes
  the screen. Includes the kernel's pty, Textual's input thread and parser, the app's handlers,
  its messages, layout, the compositor, rendering to escape codes and the output thread. Leaves
  out the terminal's own drawing (the same for both apps).
- **start to first full screen**: from ``fork`` until the frame that shows the status line and
  the footer (the minimal app: its text and footer). Includes the interpreter's start, imports,
  loading the built-in example.
- Every figure is against ``bench/minimal_app.py`` run the same way, the two taking turns (A, B,
  A, B) so that a slow spell of the shared machine falls on both.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SIZE = (120, 40)
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # "supported, currently off": what a terminal with the mode says
SYNC_END = b"\x1b[?2026l"


def gradstep_command() -> list[str]:
    """The installed ``gradstep`` script beside this interpreter (what a person types)."""
    script = Path(sys.executable).with_name("gradstep")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "gradstep.tui.cli"]


MINIMAL = [sys.executable, str(BENCH / "minimal_app.py")]
DEMO = [sys.executable, str(BENCH / "debug_demo.py")]


@dataclass
class Frame:
    """One synchronized update: when its last byte arrived and the bytes (markers included)."""

    end: float
    data: bytes


@dataclass
class Terminal:
    """A program running in a pseudo-terminal of ours, its output collected as it arrives."""

    argv: Sequence[str]
    size: tuple[int, int] = SIZE
    pid: int = 0
    fd: int = -1
    started: float = 0.0
    frames: list[Frame] = field(default_factory=list)
    pending: bytes = b""
    pending_start: float = 0.0
    last_byte: float = 0.0
    total_bytes: int = 0
    screen: Any = None
    stream: Any = None
    exit_status: int | None = None

    def spawn(self) -> Terminal:
        import pyte

        columns, lines = self.size
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", COLUMNS="", LINES="")
        for name in ("COLUMNS", "LINES", "TEXTUAL", "TMUX", "TERM_PROGRAM"):
            env.pop(name, None)
        self.started = time.perf_counter()
        pid, fd = os.forkpty()
        if pid == 0:  # the child: the terminal's size is set before the program looks at it
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
            try:
                os.chdir(ROOT)
                os.execvpe(self.argv[0], list(self.argv), env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        return self

    # --- reading -----------------------------------------------------------------------------

    def _take(self, data: bytes, now: float) -> None:
        """File the bytes that arrived at ``now`` into frames; answer the sync query."""
        self.total_bytes += len(data)
        self.last_byte = now
        if SYNC_QUERY in data:
            os.write(self.fd, SYNC_REPLY)
            data = data.replace(SYNC_QUERY, b"")
        if not self.pending:
            self.pending_start = now
        self.pending += data
        while (end := self.pending.find(SYNC_END)) >= 0:
            cut = end + len(SYNC_END)
            self.frames.append(Frame(now, self.pending[:cut]))
            self.pending = self.pending[cut:]

    def read_for(self, seconds: float) -> None:
        """Read whatever arrives for ``seconds``."""
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            if not self._read_once(left):
                return

    def _read_once(self, timeout: float) -> bool:
        """Read one chunk if any arrives within ``timeout``; False when the program is gone."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        now = time.perf_counter()
        if not data:
            self._reap()
            return False
        self._take(data, now)
        return True

    def read_until_quiet(self, quiet: float, limit: float = 10.0) -> None:
        """Read until nothing arrived for ``quiet`` seconds (or ``limit`` passed)."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            mark = self.total_bytes
            self.read_for(quiet)
            if self.total_bytes == mark or self.exit_status is not None:
                return

    def wait_for(self, seen: Callable[[Terminal], bool], limit: float) -> Frame | None:
        """Read until a frame after which ``seen(self)`` holds; that frame, or None at the limit."""
        deadline = time.perf_counter() + limit
        shown = len(self.frames)
        while time.perf_counter() < deadline and self.exit_status is None:
            self._read_once(min(0.05, max(0.0, deadline - time.perf_counter())))
            while shown < len(self.frames):
                frame = self.frames[shown]
                shown += 1
                self.stream.feed(frame.data)
                if seen(self):
                    self._feed_rest(shown)
                    return frame
        return None

    def _feed_rest(self, shown: int) -> None:
        for frame in self.frames[shown:]:
            self.stream.feed(frame.data)
        self.frames.clear()

    def settle(self, quiet: float = 0.2) -> None:
        """Read until quiet and bring the emulated screen up to date; forget the frames."""
        self.read_until_quiet(quiet)
        self._feed_rest(0)

    # --- the screen ----------------------------------------------------------------------------

    def lines(self) -> list[str]:
        return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(self.lines())

    # --- keys ----------------------------------------------------------------------------------

    def press(self, key: bytes, quiet: float = 0.12) -> KeyResult:
        """Write ``key``; read until quiet; when the screen first changed, and what it cost."""
        self.settle(0.0)
        before = self.lines()
        sent = time.perf_counter()
        os.write(self.fd, key)
        self.read_until_quiet(quiet, limit=5.0)
        frames, self.frames = self.frames, []
        changed_at = None
        last_change = None
        for frame in frames:
            self.stream.feed(frame.data)
            now = self.lines()
            if now != before:
                if changed_at is None:
                    changed_at = frame.end - sent
                last_change = frame.end - sent
                before = now
        return KeyResult(
            sent=sent,
            changed=changed_at,
            settled=last_change,
            frames=len(frames),
            written=sum(len(f.data) for f in frames),
        )

    # --- the process -----------------------------------------------------------------------------

    def rss_kib(self) -> int:
        """Resident memory of the program now (VmRSS, KiB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """CPU time the program has used so far, all its threads (user + system, from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _reap(self) -> None:
        if self.exit_status is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.exit_status = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.exit_status = -1

    def quit(self, key: bytes = b"q", limit: float = 5.0) -> float:
        """Press ``key`` and wait for the program to exit; seconds it took (inf if it did not)."""
        sent = time.perf_counter()
        os.write(self.fd, key)
        deadline = sent + limit
        while self.exit_status is None and time.perf_counter() < deadline:
            self._read_once(0.05)
            if self.exit_status is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.exit_status = os.waitstatus_to_exitcode(status)
        took = time.perf_counter() - sent if self.exit_status is not None else float("inf")
        self.close()
        return took

    def close(self) -> None:
        if self.exit_status is None:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@dataclass
class KeyResult:
    sent: float
    """When the key was written (``time.perf_counter``, which is the system's monotonic clock)."""
    changed: float | None
    """Seconds from the key to the end of the first frame that changed the screen (None: none did)."""
    settled: float | None
    """... to the end of the last frame that changed it."""
    frames: int
    written: int


# --- statistics -------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    """The 95th percentile: the value 95% of the samples are at or under (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def ms(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "—"
    if seconds == float("inf"):
        return "did not"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(ours: float, theirs: float) -> str:
    if not (theirs > 0) or ours != ours or theirs != theirs or ours == float("inf"):
        return ""
    return f"{ours / theirs:.2f}x"


# --- what a screen shows ----------------------------------------------------------------------------

STEP = re.compile(r"step (\d+)")


def full_screen(term: Terminal) -> bool:
    """The status line (gradstep) or the counter (minimal app) on top, and the footer at the bottom."""
    lines = term.lines()
    return bool(STEP.search(lines[0])) and "Quit" in lines[-1]


def graph_ready(term: Terminal) -> bool:
    """gradstep's status line says which step of how many: the graph is loaded and traced."""
    return bool(re.search(r"step \d+ of \d+", term.lines()[0]))


def anything_drawn(term: Terminal) -> bool:
    return any(line.strip() for line in term.lines())


def step_shown(term: Terminal) -> int | None:
    found = STEP.search(term.lines()[0])
    return int(found.group(1)) if found else None


def open_app(argv: Sequence[str], limit: float = 120.0) -> tuple[Terminal, float]:
    """Start ``argv`` in a pty; seconds to its first full screen (inf if it never came)."""
    term = Terminal(argv).spawn()
    frame = term.wait_for(full_screen, limit)
    if frame is None:
        raise RuntimeError(f"{' '.join(argv)}: no full screen within {limit:.0f} s:\n{term.text()}")
    first = frame.end - term.started
    term.settle(0.3)
    return term, first


# --- keys ---------------------------------------------------------------------------------------------

PING_PONG = [b"n"] * 11 + [b"N"] * 11
"""The keys pressed, in turn: 11 steps forward then 11 back (the seed's whole run), over and over."""


@dataclass
class KeySamples:
    changed: list[float] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    missed: int = 0
    cpu: float = 0.0
    """The program's CPU seconds over all the keys (its threads, sleeping excluded), per key."""

    def add(self, result: KeyResult) -> None:
        if result.changed is None:
            self.missed += 1
            return
        self.changed.append(result.changed)
        self.frames.append(result.frames)
        self.written.append(result.written)


def key_samples(
    apps: dict[str, Terminal], presses: int, keys: Sequence[bytes] | None = None
) -> dict[str, KeySamples]:
    """Each app gets the same keys (``PING_PONG`` unless given), one app after the other for each
    key (A, B, C, A, B, C...)."""
    keys = PING_PONG if keys is None else keys
    samples = {name: KeySamples() for name in apps}
    cpu = {name: term.cpu_seconds() for name, term in apps.items()}
    for k in range(presses):
        key = keys[k % len(keys)]
        for name, term in apps.items():
            samples[name].add(term.press(key))
    for name, term in apps.items():
        samples[name].cpu = (term.cpu_seconds() - cpu[name]) / presses
    return samples


def hold_key(term: Terminal, seconds: float = 2.0, rate: float = 30.0) -> tuple[float, int, int, int]:
    """Send ``n`` ``rate`` times a second for ``seconds``, then stop.

    Returns the seconds from the last key to the end of the last frame that changed the screen
    (the backlog), the frames that arrived after the last key, the steps the screen moved, and
    the keys sent.
    """
    term.settle(0.2)
    before = step_shown(term) or 0
    shown = term.lines()
    sent = []
    start = time.perf_counter()
    keys = round(seconds * rate)
    for k in range(keys):
        due = start + k / rate
        while (left := due - time.perf_counter()) > 0:
            term._read_once(left)
        sent.append(time.perf_counter())
        os.write(term.fd, b"n")
    term.read_until_quiet(0.5, limit=60.0)
    last_key = sent[-1]
    last_change = last_key
    after_release = 0
    for frame in term.frames:
        term.stream.feed(frame.data)
        now = term.lines()
        if frame.end > last_key:
            after_release += 1
        if now != shown:
            shown = now
            last_change = max(last_change, frame.end)
    term.frames.clear()
    moved = (step_shown(term) or 0) - before
    return last_change - last_key, after_release, moved, keys


def key_figures(table: Any, quick: bool) -> None:
    presses = 22 if quick else 66
    apps: dict[str, Terminal] = {}
    try:
        for name, argv in (("seed", gradstep_command()), ("demo", DEMO), ("minimal", MINIMAL)):
            apps[name], _ = open_app(argv)
        samples = key_samples(apps, presses)
        table.section("Through a terminal: a key to the screen (pty, 120x40)", "minimal app")
        floor = samples["minimal"]
        for name, label in (("seed", "the seed (`gradstep`)"), ("demo", "the demo graph (debug(loss))")):
            ours = samples[name]
            table.add(
                f"n / N to the screen changing, {label}: median",
                ms(median(ours.changed)),
                ms(median(floor.changed)),
                ratio(median(ours.changed), median(floor.changed)),
                "≤ 1.5x",
            )
            table.add(
                "… p95",
                ms(p95(ours.changed)),
                ms(p95(floor.changed)),
                ratio(p95(ours.changed), p95(floor.changed)),
            )
            table.add(
                "… the program's CPU per key (all threads, from /proc; idle included)",
                ms(ours.cpu),
                ms(floor.cpu),
                ratio(ours.cpu, floor.cpu),
            )
            table.add(
                "… frames per key, bytes written per key (medians)",
                f"{median(ours.frames):.0f}, {median(ours.written):,.0f} B",
                f"{median(floor.frames):.0f}, {median(floor.written):,.0f} B",
                ratio(median(ours.written), median(floor.written)),
            )
            if ours.missed:
                table.notes.append(f"{name}: {ours.missed} of {presses} keys changed nothing on screen")
        # Forward only: every row a step draws is new (a step back shows rows drawn on the way
        # forward, which the panes keep), so this is what a step costs when nothing is kept.
        onward = key_samples({"demo": apps["demo"], "minimal": apps["minimal"]}, presses, [b"n"])
        table.add(
            "n only, the demo graph (every row new: nothing drawn before): median",
            ms(median(onward["demo"].changed)),
            ms(median(onward["minimal"].changed)),
            ratio(median(onward["demo"].changed), median(onward["minimal"].changed)),
            "≤ 1.5x",
        )
        rounds = 2 if quick else 5
        held: dict[str, list[tuple[float, int, int, int]]] = {"demo": [], "minimal": []}
        for _ in range(rounds):
            for name in held:
                held[name].append(hold_key(apps[name]))
        backlog = {name: [r[0] for r in runs] for name, runs in held.items()}
        table.add(
            "holding n (30/s for 2 s): screen still changing after the last key, median",
            ms(median(backlog["demo"])),
            ms(median(backlog["minimal"])),
            "",
            "≤ one frame",
        )
        worst = {
            name: f"{ms(max(backlog[name]))}; {sum(r[2] for r in runs)} / {sum(r[3] for r in runs)}"
            for name, runs in held.items()
        }
        table.add("… worst; steps shown / keys sent (all rounds)", worst["demo"], worst["minimal"])
        table.notes.append(
            f"Keys: {presses} keys to each app (n ×11 then N ×11, over and over), the apps taking"
            " turns key by key; a key's time runs from writing it to the pty until the last byte of"
            " the first frame that changed the screen (frames delimited by synchronized-output"
            " marks); a key is sent once the app has been quiet for 120 ms. Holding: "
            f"{rounds} rounds per app, interleaved; the demo steps forward from the start. Then"
            f" {presses} keys of n alone to the demo and the minimal app, in turns: no row a step"
            " draws has been drawn before, so the panes' kept lines do not help."
        )
    finally:
        for term in apps.values():
            term.close()


# --- start-up -----------------------------------------------------------------------------------------


def startup_figures(table: Any, quick: bool) -> tuple[float, float]:
    """Start to first full screen, gradstep and the minimal app in turn. Returns the minimal app's
    start-up and its time from ``q`` to gone."""
    runs = 3 if quick else 9
    first: dict[str, list[float]] = {"seed": [], "minimal": []}
    rss: dict[str, list[int]] = {"seed": [], "minimal": []}
    quits: dict[str, list[float]] = {"seed": [], "minimal": []}
    for _ in range(runs):
        for name, argv in (("seed", gradstep_command()), ("minimal", MINIMAL)):
            term, seconds = open_app(argv)
            first[name].append(seconds)
            rss[name].append(term.rss_kib())
            quits[name].append(term.quit())
    table.section("Through a terminal: start-up (pty, 120x40)", "minimal app")
    ours, theirs = median(first["seed"]), median(first["minimal"])
    table.add(
        "start to first full screen, `gradstep`: median", ms(ours), ms(theirs), ratio(ours, theirs), "≤ 1.2x"
    )
    table.add(
        "… p95",
        ms(p95(first["seed"])),
        ms(p95(first["minimal"])),
        ratio(p95(first["seed"]), p95(first["minimal"])),
    )
    table.add(
        "q to the program gone: median",
        ms(median(quits["seed"])),
        ms(median(quits["minimal"])),
        ratio(median(quits["seed"]), median(quits["minimal"])),
    )
    table.add(
        "resident memory at first full screen",
        f"{median(rss['seed']) / 1024:.0f} MB",
        f"{median(rss['minimal']) / 1024:.0f} MB",
        ratio(median(rss["seed"]), median(rss["minimal"])),
    )
    table.notes.append(
        f"Start-up: {runs} starts of each, in turn; from fork to the last byte of the frame that"
        " shows the status line and the footer (the minimal app: its counter and footer); includes"
        " the interpreter's start and every import."
    )
    return theirs, median(quits["minimal"])


# --- big files ----------------------------------------------------------------------------------------

TERMS_PER_LINE = 10


def sum_file(nodes: int, directory: Path) -> Path:
    """An expression file summing numbers: ``s = s + 0.5 + 1.5 + ...``, ten terms a line.

    Every term is a constant leaf and a ``+`` node, so the graph is a chain of ``nodes`` nodes
    (one more for the first leaf), as long and as wide as a sum gets.
    """
    path = directory / f"sum_{nodes}.gs"
    if path.exists():
        return path
    terms = (nodes - 1) // 2
    lines = ["s = Value(0.0, label='s0')"]
    for start in range(0, terms, TERMS_PER_LINE):
        chunk = range(start, min(terms, start + TERMS_PER_LINE))
        lines.append("s = s + " + " + ".join(f"{k % 10}.5" for k in chunk))
    lines.append("s")
    path.write_text("\n".join(lines) + "\n")
    return path


PYTHON_SUM = """
import sys
from gradstep.core.engine import Value
s = Value(0.0, label='s0')
for k in range((int(sys.argv[1]) - 1) // 2):
    s = s + (k % 10 + 0.5)
for line in open('/proc/self/status'):
    if line.startswith('VmRSS:'):
        print(line.split()[1])
"""

AST_PARSE = "import ast,sys; ast.parse(open(sys.argv[1]).read())"

BARE_RSS = "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
"""A bare interpreter's resident memory (KiB): taken off ``PYTHON_SUM``'s to leave the graph's."""


def kib_of(arguments: Sequence[str]) -> int:
    """The number (KiB) a fresh interpreter prints running ``python -c *arguments``."""
    done = subprocess.run([sys.executable, "-c", *arguments], capture_output=True, text=True, check=True)
    return int(done.stdout)


def wall(argv: Sequence[str]) -> float:
    """Seconds ``argv`` takes from start to exit, its output thrown away."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


@dataclass
class Load:
    first_frame: float
    ready: float
    rss_kib: int


def open_big(path: Path, limit: float = 180.0) -> Load:
    term = Terminal([*gradstep_command(), str(path)]).spawn()
    try:
        first = term.wait_for(anything_drawn, limit)
        if first is None:
            raise RuntimeError(f"gradstep {path}: nothing on screen within {limit:.0f} s")
        ready = first if graph_ready(term) else term.wait_for(graph_ready, limit)
        if ready is None:
            raise RuntimeError(f"gradstep {path}: the graph was not ready within {limit:.0f} s")
        term.settle(0.3)
        return Load(first.end - term.started, ready.end - term.started, term.rss_kib())
    finally:
        term.quit()


def quit_while_loading(path: Path, limit: float = 180.0) -> float:
    """Seconds from ``q`` (pressed as soon as anything is on screen) until gradstep has exited."""
    term = Terminal([*gradstep_command(), str(path)]).spawn()
    try:
        term.wait_for(anything_drawn, limit)
        return term.quit(limit=limit)
    finally:
        term.close()


def big_file_figures(
    table: Any, quick: bool, minimal_start: float, minimal_quit: float, directory: Path
) -> None:
    sizes = [20_000] if quick else [100_000, 200_000]
    runs = 1 if quick else 5  # (3 left the medians a few per cent apart from one run to the next)
    table.section("Through a terminal: big files (pty, 120x40)", "floor")
    for nodes in sizes:
        path = sum_file(nodes, directory)
        loads: list[Load] = []
        parses: list[float] = []
        graphs: list[int] = []
        minimal_rss: list[int] = []
        for _ in range(runs):
            loads.append(open_big(path))
            parses.append(wall([sys.executable, "-c", AST_PARSE, str(path)]))
            graphs.append(kib_of([PYTHON_SUM, str(nodes)]) - kib_of([BARE_RSS]))
            term, _ = open_app(MINIMAL)
            minimal_rss.append(term.rss_kib())
            term.quit()
        parse = median(parses)
        floor = minimal_start + parse
        first = median([load.first_frame for load in loads])
        ready = median([load.ready for load in loads])
        rss = median([load.rss_kib for load in loads])
        graph = median(graphs)
        memory_floor = median(minimal_rss) + graph
        quits = quit_while_loading(path)
        size = f"{nodes:,}-node sum ({path.stat().st_size / 1e6:.1f} MB)"
        table.add(
            f"{size}: start to first frame",
            ms(first),
            f"{ms(minimal_start)} (minimal app)",
            ratio(first, minimal_start),
            "≤ 1.2x",
        )
        table.add(
            "… to the graph ready (status line shows step 0 of N)",
            ms(ready),
            f"{ms(floor)} (minimal app + ast.parse {ms(parse)})",
            ratio(ready, floor),
            "≤ 1.2x",
        )
        table.add(
            "… q pressed at the first frame: until exited",
            ms(quits),
            f"{ms(minimal_quit)} (minimal app)",
            ratio(quits, minimal_quit),
            "at once",
        )
        table.add(
            "… resident memory, graph ready",
            f"{rss / 1024:.0f} MB",
            f"{memory_floor / 1024:.0f} MB (minimal app {median(minimal_rss) / 1024:.0f}"
            f" + the graph in Python {graph / 1024:.0f})",
            ratio(rss, memory_floor),
            "≤ 1.2x",
        )
    table.notes.append(
        f"Big files: a sum of constants, ten terms a line, {runs} opening(s) of each size; the floor"
        ' is the minimal app\'s start-up (above) plus `python -c "import ast,sys; ast.parse(...)"'
        " FILE` (interpreter start included). Memory is gradstep's VmRSS once the screen is quiet;"
        " its floor is the minimal app's VmRSS at its first full screen plus what the same graph"
        " costs built with gradstep's Value in a fresh interpreter (that interpreter's VmRSS less a"
        " bare one's), each the median of as many runs, taken in turn with gradstep's."
    )


# --- gradstep trace -------------------------------------------------------------------------------------


@dataclass
class Output:
    first_byte: float
    half: float
    """Seconds until half the output had arrived: early if rows stream as they are made."""
    total: float
    size: int
    peak_kib: int
    """Peak resident memory, as last seen while output arrived."""


def high_water_kib(pid: int) -> int:
    """The program's peak resident memory so far (VmHWM, KiB; 0 once it is gone).

    Read from /proc, not from ``ru_maxrss``: that counts the copy of this process the child was
    before it ran the program, and this process may hold the engine's graphs.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_output(argv: Sequence[str]) -> Output:
    """Run ``argv`` with its stdout a pipe read here: when the first byte came, when it ended."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert process.stdout is not None
    arrivals: list[tuple[float, int]] = []
    size = 0
    peak = 0
    fd = process.stdout.fileno()
    while chunk := os.read(fd, 1 << 16):
        size += len(chunk)
        arrivals.append((time.perf_counter() - start, size))
        peak = max(peak, high_water_kib(process.pid))
    process.wait()
    total = time.perf_counter() - start
    first = arrivals[0][0] if arrivals else float("nan")
    half = next((when for when, so_far in arrivals if so_far >= size / 2), float("nan"))
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}")
    return Output(first, half, total, size, peak)


def trace_figures(table: Any, quick: bool, directory: Path) -> None:
    nodes = 2_000 if quick else 20_000
    path = sum_file(nodes, directory)
    runs = 1 if quick else 3
    table_runs = runs  # the table is no slower than --json now
    command = gradstep_command()
    json_runs: list[Output] = []
    parses: list[float] = []
    for _ in range(runs):
        json_runs.append(run_output([*command, "trace", "--json", str(path)]))
        parses.append(wall([sys.executable, "-c", AST_PARSE, str(path)]))
    table_out = [run_output([*command, "trace", str(path)]) for _ in range(table_runs)]
    parse = median(parses)
    table.section(f"`gradstep trace` on a {nodes:,}-node sum, to a pipe", "ast.parse")
    for label, outs, goal in (("--json", json_runs, "≤ 5x"), ("the table", table_out, "≤ 7.5x")):
        total = median([o.total for o in outs])
        table.add(
            f"`gradstep trace {label}`: start to exit".replace("trace the table", "trace"),
            ms(total),
            ms(parse),
            ratio(total, parse),
            goal,
        )
        first = median([o.first_byte for o in outs])
        half = median([o.half for o in outs])
        size = median([o.size for o in outs]) / 1e6
        peak = median([o.peak_kib for o in outs]) / 1024
        table.add(
            "… first byte; half the output; output size; peak memory",
            f"{ms(first)} ({first / total:.0%} of the run); {ms(half)} ({half / total:.0%});"
            f" {size:.1f} MB; {peak:.0f} MB",
            "",
            "",
            "first rows out before the last are made; memory flat",
        )
    table.notes.append(
        f"`gradstep trace`: {runs} run(s) of --json and {table_runs} of the table, stdout a pipe"
        '; ast.parse is `python -c "import ast,sys;'
        " ast.parse(open(sys.argv[1]).read())\" FILE`; every figure includes its interpreter's start."
    )


# --- all of it ----------------------------------------------------------------------------------------


def byte_compile() -> None:
    """Byte-compile gradstep's modules, as ``pip install`` does for an installed package.

    From a checkout (an editable install) with ``PYTHONDONTWRITEBYTECODE`` set, every start would
    compile every gradstep module again (about 50 ms here), while Textual's, installed by pip, are
    compiled already: the start-up figures would measure the compiler, not what a user waits for.
    """
    import compileall

    import gradstep.core
    import gradstep.tui

    for package in (gradstep.core, gradstep.tui):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)


def terminal_figures(table: Any, quick: bool) -> None:
    """Every terminal-measured figure, into ``table`` (bench.run's)."""
    try:
        import pyte  # noqa: F401
    except ImportError:
        table.notes.append("terminal figures skipped: pyte is not installed (pip install -e '.[test]')")
        return
    byte_compile()
    table.notes.append(
        "gradstep's modules were byte-compiled first (as pip does when it installs a package), so"
        " start-up figures count no compiling, as for Textual's own modules."
    )
    key_figures(table, quick)
    minimal_start, minimal_quit = startup_figures(table, quick)
    with tempfile.TemporaryDirectory(prefix="gradstep-bench-") as scratch:
        big_file_figures(table, quick, minimal_start, minimal_quit, Path(scratch))
        trace_figures(table, quick, Path(scratch))


def trace_only(table: Any, quick: bool) -> None:
    """The ``gradstep trace`` figures alone (``python -m bench --trace``)."""
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="gradstep-bench-") as scratch:
        trace_figures(table, quick, Path(scratch))
