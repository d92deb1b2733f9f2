"""Hostile text and hostile stdouts through every command: nothing reaches the terminal raw, and
nothing ends in a traceback or a wrong exit status.

Escape sequences, C0/C1 controls, bidi overrides and zero-width characters are put in comments,
labels, file names and arguments, and each command's stdout and stderr are checked character by
character against ``unicodedata``'s categories. Most variants run ``main()`` in-process (hundreds
of them); the stdout cases (``/dev/full``, a closed stdout, ``| head``, an ASCII encoding) run the
real command in a subprocess, since they are about the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from gradstep.tui.cli import main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
ENGINE = str(ROOT / "examples" / "engines" / "correct.py")

C0 = [chr(c) for c in (*range(0x00, 0x20), 0x7F)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SEQUENCES = {
    "csi-clear": "\x1b[2J\x1b[H",
    "csi-forged-ok": "\x1b[2K\r\x1b[32mOK\x1b[0m",
    "osc-title": "\x1b]2;PWNED\x1b\\",
    "osc-52": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "dcs": "\x1bP1$r0m\x1b\\",
    "c1-csi": "\x9b2J",
    "c1-osc": "\x9d2;PWNED\x9c",
    "rlo": "\u202eevil",
}
UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def inert(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on (line breaks and tabs are fine)."""
    return [c for c in text if c not in "\n\t" and unicodedata.category(c) in UNSAFE]


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def comment_file(folder: Path, hostile: str, name: str = "f.gs") -> Path:
    """A file whose comment and string hold ``hostile``, with an error on the line after."""
    path = folder / name
    path.write_text(f"a = Value(2.0, label='a')  # {hostile}\nb = a * nope  # {hostile}\n", encoding="utf-8")
    return path


# --- stderr of every command: a comment, a file name, an argument ------------------------------


def test_the_reported_attack_no_longer_retitles_or_forges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.gs"
    path.write_text("b = nope  # \x1b]2;TITLE\x1b\\ \x1b[2K\x1b[1G\x1b[32mOK\x1b[0m\n")
    status, out, err = run_main(capsys, "trace", str(path))
    assert status == 2 and out == ""
    assert inert(err) == []
    assert "\\x1b]2;TITLE\\x1b\\" in err and "\\x1b[32mOK" in err  # shown, visibly
    assert err.splitlines()[0].endswith("f.gs:1:5: error: `nope` is not defined")


COMMANDS = [
    ("trace",),
    ("trace", "--json"),
    ("trace", "--gradcheck"),
    ("export", "--to", "md"),
    ("export", "--to", "json"),
    ("check", "--engine", ENGINE),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("hostile", C0 + C1 + BIDI + ZERO_WIDTH + list(SEQUENCES.values()), ids=ascii)
def test_a_comment_never_reaches_stderr_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], hostile: str
) -> None:
    if hostile in ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"):
        hostile = "x" + hostile  # a line break ends the comment: the rest is on a line of its own
    path = comment_file(tmp_path, hostile)
    cmd, *options = command
    status, out, err = run_main(capsys, cmd, str(path), *options)
    assert status == 2, err
    assert out == ""
    assert err and inert(err) == []
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "command", [*COMMANDS, ("quiz",), ("serve",), ()], ids=lambda c: " ".join(c) or "app"
)
@pytest.mark.parametrize("hostile", [*SEQUENCES.values(), "\x07", "\x85", "\u2066"], ids=ascii)
def test_a_file_name_never_reaches_stderr_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], hostile: str
) -> None:
    missing = str(tmp_path / f"no{hostile}such.gs")
    cmd, *options = command or ("",)
    args = [missing, *options] if not cmd else [cmd, missing, *options]
    status, _out, err = run_main(capsys, *args)
    assert status == 2
    assert "no such file" in err and inert(err) == []


@pytest.mark.parametrize("command", ["trace", "export", "check", "quiz", "serve", ""])
@pytest.mark.parametrize("hostile", list(SEQUENCES.values()), ids=ascii)
def test_an_unknown_argument_is_echoed_escaped(
    capsys: pytest.CaptureFixture[str], command: str, hostile: str
) -> None:
    args = [f"--{hostile}"] if not command else [command, f"--{hostile}"]
    status, _out, err = run_main(capsys, *args)
    assert status == 2
    assert "error:" in err and inert(err) == []


@given(st.text(min_size=1, max_size=12))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_in_a_comment_reaches_stderr_inert(capsys: pytest.CaptureFixture[str], text: str) -> None:
    import tempfile

    text = text.replace("\x00", "\\0")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.gs"
        path.write_bytes(f"b = nope  # {text}\n".encode("utf-8", "surrogatepass"))
        status, _out, err = run_main(capsys, "trace", str(path))
    assert status == 2
    assert inert(err) == []


def test_a_label_with_a_control_is_refused_with_its_place_and_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for hostile in SEQUENCES.values():
        path = tmp_path / "f.gs"
        literal = hostile.encode("unicode_escape").decode()
        path.write_text(f"a = Value(1.0)\nb = Value(2.0, label='{literal}')\n")
        status, _out, err = run_main(capsys, "trace", str(path))
        assert status == 2
        assert ":2:22: error: a label may not contain" in err
        assert inert(err) == []


def test_an_empty_file_name_is_an_error_not_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["trace", ""],
        [""],
        ["export", "", "--to", "md"],
        ["quiz", ""],
        ["check", "--engine", ENGINE, ""],
    ):
        status, out, err = run_main(capsys, *args)
        assert status == 2, args
        assert out == ""
        assert "the file name is empty" in err


# --- stdout: the trace table and JSON ------------------------------------------------------------

ACCEPTED_LABELS = ["a\xa0b", "\U0001f469\u200d\U0001f4bb", "z\u200bw", "p\ue000q", "x[i]", "[/]", "[bold]b"]


def labelled_file(folder: Path, name: str = "ok.gs") -> Path:
    lines = [f"v{k} = Value({k + 1}.0, label={label!r})" for k, label in enumerate(ACCEPTED_LABELS)]
    total = " + ".join(f"v{k}" for k in range(len(ACCEPTED_LABELS)))
    path = folder / name
    path.write_text("\n".join([*lines, f"out = ({total}) * v0", "out"]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("hostile", list(SEQUENCES.values()), ids=ascii)
def test_the_trace_table_shows_labels_and_paths_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str
) -> None:
    path = labelled_file(tmp_path, f"f{hostile}.gs")
    for args in (
        ["trace", str(path)],
        ["trace", "--gradcheck", str(path)],
        ["export", str(path), "--to", "md"],
    ):
        status, out, err = run_main(capsys, *args)
        assert status == 0, err
        assert inert(out) == [], args
        assert "x[i]" in out and "[/]" in out  # labels as written, never as markup


def test_json_keeps_every_label_and_path_exact_and_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = labelled_file(tmp_path, "f\x1b]2;T\x07.gs")
    for args in (["trace", "--json", str(path)], ["export", str(path), "--to", "json"]):
        status, out, err = run_main(capsys, *args)
        assert status == 0, err
        assert inert(out.rstrip("\n")) == [] and out.isascii()  # JSON escapes: \u001b, \u200d
        document = json.loads(out)
        assert document["source"] == str(path)  # round-trips exactly
        labels = [node["label"] for node in document["nodes"] if node["label"]]
        assert labels[: len(ACCEPTED_LABELS)] == ACCEPTED_LABELS


def test_check_json_round_trips_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = labelled_file(tmp_path)
    status, out, err = run_main(capsys, "check", "--engine", ENGINE, str(path), "--json")
    assert status == 0, err
    assert out.isascii()
    json.loads(out)


# --- stdouts that fail: the real command ---------------------------------------------------------


def gradstep(
    *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradstep.tui.cli", *args],
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, **(env or {})},
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file whose every output is well over a pipe's 64 KiB."""
    path = tmp_path_factory.mktemp("big") / "big.gs"
    lines = ["a = Value(1.0, label='a\xa0\U0001f600')"] + ["a = a * 0.5 + 1"] * 400 + ["a"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


OUTPUTS = [
    ("trace", "{big}"),
    ("trace", "--json", "{big}"),
    ("trace", "--gradcheck", "{big}"),
    ("export", "{big}", "--to", "md"),
    ("export", "{big}", "--to", "dot"),
    ("check", "--engine", ENGINE, "{big}", "--json"),
    ("--version",),
    ("--help",),
    ("trace", "--help"),
]
BUFFERING = {"buffered": {"PYTHONUNBUFFERED": ""}, "unbuffered": {"PYTHONUNBUFFERED": "1"}}


def filled(command: tuple[str, ...], big: Path) -> list[str]:
    return [part.format(big=big) for part in command]


@pytest.mark.parametrize("buffering", BUFFERING)
@pytest.mark.parametrize("command", OUTPUTS, ids=" ".join)
def test_a_full_disk_is_one_line_and_status_2(
    big_file: Path, command: tuple[str, ...], buffering: str
) -> None:
    with open("/dev/full", "w") as full:
        result = gradstep(
            *filled(command, big_file), env=BUFFERING[buffering], stdout=full, stderr=subprocess.PIPE
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr == "gradstep: error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("command", OUTPUTS, ids=" ".join)
def test_a_closed_stdout_is_one_line_and_status_2(big_file: Path, command: tuple[str, ...]) -> None:
    result = gradstep(
        *filled(command, big_file),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == "gradstep: error: standard output is closed\n"


@pytest.mark.parametrize("buffering", BUFFERING)
@pytest.mark.parametrize("command", OUTPUTS[:6], ids=" ".join)
def test_a_reader_that_leaves_ends_it_quietly_with_141(
    big_file: Path, command: tuple[str, ...], buffering: str
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gradstep.tui.cli", *filled(command, big_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, **BUFFERING[buffering]},
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100)  # `| head -c 100`
    process.stdout.close()
    err = process.stderr.read().decode()
    status = process.wait(timeout=60)
    assert err == ""
    if buffering == "buffered":
        assert status == 141
    else:
        # Unbuffered (PYTHONUNBUFFERED), a write the reader's leaving cuts short returns its count
        # instead of raising, and Python's text layer does not look at the count: nothing fails.
        assert status in (0, 141)


@pytest.mark.parametrize("command", OUTPUTS, ids=" ".join)
def test_an_ascii_stdout_gets_backslash_escapes(tmp_path: Path, command: tuple[str, ...]) -> None:
    small = labelled_file(tmp_path, "f\u00e9\u202e.gs")
    result = gradstep(*filled(command, small), env={"PYTHONIOENCODING": "ascii"}, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.isascii()
    if "--json" in command:
        assert json.loads(result.stdout)
