"""Input that must neither hang nor cost what it should not: non-regular files, the limits, depth,
and errors that point where Python points (issue 10, sections 4 and 5).

The references are Python's own: its tokenizer's rows, columns and lines, ``ast.parse``'s
``SyntaxError`` positions, and the kernel's file types.
"""

from __future__ import annotations

import ast
import io
import os
import stat
import subprocess
import sys
import threading
import tokenize
from pathlib import Path

import pytest
from gradstep import core
from gradstep.core import ExpressionError, language, load, parse
from gradstep.core import files as core_files
from gradstep.core.files import NotRegularFile, open_regular
from hypothesis import given, settings
from hypothesis import strategies as st

SOON = 20.0
"""Seconds within which a refusal must come (it takes milliseconds; a hang takes forever)."""


def load_soon(path: str | Path) -> ExpressionError | None:
    """``load(path)`` on a thread: the error it raised, None if it loaded; fails if it blocks."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load(path)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(SOON)
    assert outcome, f"load({path}) blocked"
    error = outcome[0]
    assert error is None or isinstance(error, ExpressionError), repr(error)
    return error


# --- only regular files ---------------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "f.gs"
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_without_blocking(fifo: Path) -> None:
    error = load_soon(fifo)
    assert error is not None and "named pipe (FIFO)" in error.message and error.path == str(fifo)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(path: str) -> None:
    error = load_soon(path)
    assert error is not None and "character device" in error.message


def test_a_directory_is_refused(tmp_path: Path) -> None:
    error = load_soon(tmp_path)
    assert error is not None and "directory" in error.message


def test_a_link_to_a_fifo_is_refused(tmp_path: Path, fifo: Path) -> None:
    link = tmp_path / "link.gs"
    link.symlink_to(fifo)
    error = load_soon(link)
    assert error is not None and "FIFO" in error.message


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_on_the_descriptor(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: ``stat`` saw a regular file, then the name was swapped for a FIFO. The open must not
    block (non-blocking) and the descriptor's own type must refuse it."""
    real_stat = os.stat

    def looks_regular(path: str) -> os.stat_result:
        status = list(real_stat(path))
        status[0] = stat.S_IFREG | 0o644
        return os.stat_result(status)

    monkeypatch.setattr(core_files.os, "stat", looks_regular)
    with pytest.raises(NotRegularFile) as caught:
        open_regular(fifo)
    assert caught.value.kind == "a named pipe (FIFO)"


def test_a_regular_file_opens_and_reads(tmp_path: Path) -> None:
    path = tmp_path / "a.gs"
    path.write_bytes(b"a = Value(1.0)\n")
    with open_regular(path) as handle:
        assert handle.read() == b"a = Value(1.0)\n"


COMMANDS = [["trace"], ["trace", "--json"], ["trace", "--gradcheck"], ["export", "--to", "dot"], ["quiz"], []]


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "/dev/null", "dir"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "app")
def test_every_command_refuses_what_is_not_a_regular_file(
    tmp_path: Path, command: list[str], target: str
) -> None:
    if target == "fifo":
        path = str(tmp_path / "f.gs")
        os.mkfifo(path)
    elif target == "dir":
        path = str(tmp_path)
    else:
        path = target
    argv = [*command[:1], path, *command[1:]] if command[:1] == ["export"] else [*command, path]
    done = subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *argv],
        capture_output=True,
        text=True,
        timeout=SOON * 3,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done
    assert "not an expression file" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_check_refuses_a_fifo(fifo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", "check", "--engine", "micrograd.engine", str(fifo)],
        capture_output=True,
        text=True,
        timeout=SOON * 3,
    )
    assert done.returncode == 2 and "FIFO" in done.stderr and "Traceback" not in done.stderr, done


# --- lines and columns are Python's ----------------------------------------------------------------

BREAKS = ["\n", "\r\n", "\r"]
"""Python's line breaks."""
ODD = ["\u2028", "\u2029", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\t", "é", "€", "😀"]
"""Characters ``str.splitlines`` (or a byte count) would read as something else than Python does."""


def python_position(text: str, name: str) -> tuple[int, int, str]:
    """Row, 1-based column and line of the first NAME token ``name``, by Python's own tokenizer."""
    for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
        if token.type == tokenize.NAME and token.string == name:
            return token.start[0], token.start[1] + 1, token.line.rstrip("\n")
    raise AssertionError(f"no {name} in {text!r}")


filler = st.text(st.sampled_from([*ODD, "x", " "]), max_size=6)


@st.composite
def files_with_an_undefined_name(draw: st.DrawFn) -> str:
    """Good statements with odd characters in comments and labels, any line breaks, then `nope`."""
    parts: list[str] = []
    for i in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["comment", "label", "blank", "ff"]))
        if kind == "comment":
            parts.append(f"v{i} = Value({i}.0)  # {draw(filler)}")
        elif kind == "label":
            parts.append(f"v{i} = Value({i}.0)")
            parts.append(f"v{i}.label = 'l{i}{draw(st.sampled_from(['é', '€', '😀', 'x']))}'")
        elif kind == "ff":
            parts.append(f"\x0cv{i} = Value({i}.0)")  # a form feed at a line's start is whitespace
        else:
            parts.append(f"# {draw(filler)}")
    prefix = draw(st.sampled_from(["", "a = 1.0 + ", "a = Value(2.0, label='é😀') * "]))
    parts.append(f"{prefix}nope")
    text = ""
    for part in parts:
        text += part + draw(st.sampled_from(BREAKS))
    return text


@settings(max_examples=150, deadline=None)
@given(files_with_an_undefined_name())
def test_an_error_points_where_python_points(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text, "f.gs")
    error = caught.value
    row, column, line = python_position(text, "nope")
    assert (error.line, error.column) == (row, column), (error.line, error.column, text)
    assert error.source_line == line
    excerpt, caret = error.excerpt()
    assert excerpt[caret : caret + 4] == "nope"
    shown = str(error).splitlines()
    at = shown.index("    " + excerpt)
    assert shown[at + 1] == "    " + " " * caret + "^"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(BREAKS), min_size=3, max_size=3),
    st.sampled_from(ODD),
    st.sampled_from(["b = a +", "b = (a", "b = a $ 1", "b = 'open"]),
)
def test_a_syntax_error_points_where_python_points(breaks: list[str], odd: str, broken: str) -> None:
    text = f"a = Value(1.0)  # {odd}{breaks[0]}# {odd}{odd}{breaks[1]}{broken}{breaks[2]}"
    with pytest.raises(SyntaxError) as expected:
        ast.parse(text)
    with pytest.raises(ExpressionError) as caught:
        parse(text, "f.gs")
    assert caught.value.line == expected.value.lineno
    assert caught.value.column == expected.value.offset
    assert caught.value.source_line == language.source_lines(text)[caught.value.line - 1]
    assert caught.value.source_line.startswith(broken[:5])


def test_source_lines_split_only_where_python_does() -> None:
    text = "a\u2028b\x0cc\x0bd\x85e\rf\r\ng\nh"
    assert language.source_lines(text) == ["a\u2028b\x0cc\x0bd\x85e", "f", "g", "h"]


def test_a_utf8_error_after_cr_only_lines_names_the_right_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.gs"
    path.write_bytes(b"a = Value(1.0)\rb = a\r# caf\xe9\rb\r")
    error = load_soon(path)
    assert error is not None and (error.line, error.column) == (3, 6), str(error)


# --- limits: refused before the work that grows with them --------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n", ";"])
def test_the_statement_limit_counts_every_line_break(newline: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "MAX_STATEMENTS", 1000)
    at_limit = "a = Value(1.0)" + newline + ("a = a" + newline) * 998 + "a"
    assert parse(at_limit).output.data == 1.0
    with pytest.raises(ExpressionError, match="more than 1,000 lines and statements"):
        parse(at_limit + newline + "a")


def test_comments_and_strings_do_not_count_towards_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "MAX_OPERATIONS", 100)
    monkeypatch.setattr(language, "MAX_STATEMENTS", 100)
    text = "# " + "-+*/;(" * 100 + "\na = Value(1.0, label='" + "+" * 150 + "')\nb = a + a\nb\n"
    assert parse(text).output.data == 2.0
    with pytest.raises(ExpressionError, match="more than 100 operations"):
        parse("a = Value(1.0)\nb = a" + " + a" * 100 + "\n")


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "a = Value(1.0)\ns = a" + "+a" * n,
        lambda n: "a = Value(1.0)\ns = a" + "-1" * n,
        lambda n: "a = Value(1.0)\ns = a" + ".tanh()" * (n // 2),
        lambda n: "a = 1\r" * n,
        lambda n: "a=1;" * n,
    ],
    ids=["sum", "difference", "calls", "cr-lines", "semicolons"],
)
def test_a_file_far_over_a_limit_is_refused_with_little_memory(make: object, tmp_path: Path) -> None:
    """A million of anything inside 2 MiB: refused by counting, in a fresh interpreter whose peak
    memory is measured (the parse it avoids would take over a gigabyte). The peak is the process's
    own VmHWM: ``ru_maxrss`` after fork and exec still counts the parent's (pytest's) peak."""
    path = tmp_path / "big.gs"
    path.write_text(make(1_000_000)[: language.MAX_FILE_BYTES], newline="")  # type: ignore[operator]
    script = (
        "import sys\nfrom gradstep.core import ExpressionError, load\n"
        "try:\n    load(sys.argv[1])\nexcept ExpressionError as error:\n    print(str(error))\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "print(status.split()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    *message, peak = done.stdout.splitlines()
    assert "more than" in "\n".join(message), done
    assert len("\n".join(message)) < 500  # no line echoed
    assert int(peak) < 80_000, f"peak {int(peak) // 1024} MB"


def test_a_long_line_is_cut_around_the_column_in_the_message() -> None:
    text = "a = Value(1.0)\ns = a" + " + a" * 40_000 + " + nope" + " + a" * 1_000 + "\n"
    with pytest.raises(ExpressionError) as caught:
        parse(text, "f.gs")
    error = caught.value
    shown = str(error)
    assert len(shown) < 1_000 and f"f.gs:2:{len('s = a') + 4 * 40_000 + 4}:" in shown
    excerpt, caret = error.excerpt()
    assert excerpt.startswith("…") and excerpt.endswith("…") and excerpt[caret : caret + 4] == "nope"


# --- depth -------------------------------------------------------------------------------------------


def test_unary_signs_at_the_limit_are_read_and_over_it_refused() -> None:
    limit = language.MAX_SIGNS
    program = parse("a = Value(2.0)\nb = " + "-" * limit + "a\n")
    assert program.output.data == 2.0 * (-1) ** limit
    program = parse("a = Value(2.0)\nb = a + " + "- " * limit + "a\n")  # the binary + is no sign
    assert program.output.data == 4.0
    with pytest.raises(ExpressionError) as caught:
        parse("a = Value(2.0)\nb = a + " + "-" * (limit + 1) + "a\n")
    assert "more than 1,000 signs in a row" in caught.value.message and caught.value.line == 2


def test_signs_in_a_comment_are_no_nesting() -> None:
    assert parse("# " + "-" * 5000 + "\na = Value(1.0)\n").output.data == 1.0


def test_powers_at_the_limit_are_read_and_over_it_refused() -> None:
    limit = language.MAX_POWERS
    assert parse("a = Value(2.0)\nb = a" + " ** 1.0" * limit + "\n").output.data == 2.0
    with pytest.raises(ExpressionError, match="more than 1,000 powers"):
        parse("a = Value(2.0)\nb = a" + " ** 1.0" * (limit + 1) + "\n")


def test_what_pythons_parser_cannot_nest_is_refused_cleanly() -> None:
    """Forms the pre-scan does not see (signs split by line continuations) meet Python's own limit:
    a clean refusal too."""
    text = "a = Value(2.0)\nb = (" + "-\\\n" * 7000 + "a)\n"
    with pytest.raises(ExpressionError, match="nests too deeply"):
        parse(text)


def run_limited(path: Path, command: str = "trace --json") -> subprocess.CompletedProcess[str]:
    """``gradstep COMMAND FILE`` under a 400 MB address-space limit."""
    gradstep = Path(sys.executable).with_name("gradstep")
    script = f"ulimit -v 400000; exec {gradstep} {command} {path} > /dev/null"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ("s = a" + "+a" * (language.MAX_DEPTH - 1), True),
        ("s = a" + "+a" * (language.MAX_DEPTH + 500), False),
        ("s = a" + ".tanh()" * 60_000, False),
        ("s = " + "-" * language.MAX_SIGNS + "a", True),
        ("s = a" + " ** 1.0" * language.MAX_POWERS, True),
    ],
    ids=["sum-at-limit", "sum-over", "calls-over", "signs-at-limit", "powers-at-limit"],
)
def test_depth_limits_hold_under_a_memory_limit(tmp_path: Path, body: str, accepted: bool) -> None:
    """At the documented depth a file is read under ``ulimit -v 400000``; past it, one clean line:
    no traceback, no segfault (the old 512 MiB parsing stack could not even start there)."""
    path = tmp_path / "deep.gs"
    path.write_text("a = Value(1.0)\n" + body + "\n")
    done = run_limited(path)
    assert "Traceback" not in done.stderr and done.returncode in (0, 2), done
    if accepted:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == 2 and "nests more than 100,000 levels deep" in done.stderr, done.stderr


def test_core_load_is_reexported() -> None:
    assert core.load is load


# --- loading slice by slice (the app's loading thread) -----------------------------------------------


@st.composite
def multiline_files(draw: st.DrawFn) -> str:
    """Statements of one or several lines (brackets, line continuations), some of them broken."""
    lines = ["a = Value(1.5, label='a')"]
    for i in range(draw(st.integers(1, 30))):
        form = draw(st.sampled_from(["plain", "paren", "backslash", "label", "comment", "broken"]))
        if form == "plain":
            lines.append(f"v{i} = a * {i}.5")
        elif form == "paren":
            lines.append(f"v{i} = (a +\n   {i}.0 *\n   a)")
        elif form == "backslash":
            lines.append(f"v{i} = a - \\\n    {i}.0")
        elif form == "label":
            lines.append(f"v{i} = a + 1\nv{i}.label = 'n{i}'")
        elif form == "comment":
            lines.append(f"# note {i} ( [ ")
        elif draw(st.booleans()):
            lines.append(f"v{i} = (a +\n  nope{i})")
    lines.append(draw(st.sampled_from(["a", "a.backward()", ""])))
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines) + "\n"


def outcome(text: str, **kwargs: object) -> object:
    try:
        program = parse(text, "f.gs", **kwargs)  # type: ignore[arg-type]
    except ExpressionError as error:
        return ("error", error.line, error.column, error.message, error.source_line)
    return ("ok", program.output.data, program.output.label, sorted(program.names))


@settings(max_examples=150, deadline=None)
@given(multiline_files(), st.integers(1, 60))
def test_loading_slice_by_slice_reads_as_one_parse(text: str, chunk: int) -> None:
    seen: list[tuple[str, int, int]] = []
    whole = outcome(text)
    original = language.CHUNK_CHARACTERS
    language.CHUNK_CHARACTERS = chunk  # tiny slices: statements cut everywhere
    try:
        sliced = outcome(text, progress=lambda *report: seen.append(report))
    finally:
        language.CHUNK_CHARACTERS = original
    assert sliced == whole
    parsing = [done for stage, done, _ in seen if stage == "parsing"]
    assert parsing == sorted(parsing)


def test_progress_reports_the_stages_and_can_stop_a_load() -> None:
    text = "a = Value(1.0)\n" + "a = a + 1.0\n" * 10_000 + "a\n"
    seen: list[tuple[str, int, int]] = []
    assert parse(text, progress=lambda *report: seen.append(report)).output.data == 10_001.0
    assert {stage for stage, _, _ in seen} == {"parsing", "building"}
    assert seen[-1][0] == "building" and all(done <= total for _, done, total in seen)

    class Stop(Exception):
        pass

    def stop(stage: str, done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        parse(text, progress=stop)
