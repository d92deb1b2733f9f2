"""``gradstep export``: the graph and the walkthrough outside the terminal, and the writing of them.

    gradstep export FILE --to dot|md|json|cast|svg [--step K] [-o OUT] [--force]

``--step K`` is a cursor position as the debugger's status line counts it (``step K of N``: K events
applied, 0 is the start); it defaults to the end. What each format makes of it:

- ``dot`` / ``svg``: the graph with data and grads as they stand at step K (``svg`` runs Graphviz's
  ``dot`` on the same text, and says so when Graphviz is not installed);
- ``md``: the walkthrough from the start up to step K;
- ``json``: the ``gradstep trace --json`` document, whose events already hold every step; with
  ``--step`` it also gets ``"step": K`` and ``"state"``, each node's value and grad at step K (``null``
  where the debugger shows ``·`` or ``—``), so without ``--step`` the bytes are the trace's;
- ``cast``: the recording from step 0 to step K.

Every output is the same bytes for the same file. Without ``-o`` it goes to standard output; with
``-o`` an existing file is never replaced without ``--force``, and the input file never at all.
The app's ``x`` key uses ``render`` and ``write_new`` from here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from gradstep import core
from gradstep.core.dot import to_dot
from gradstep.core.examples import SEED, SEED_NAME
from gradstep.core.export import to_document
from gradstep.core.text import escape_lines, shown
from gradstep.core.trace import Trace
from gradstep.core.walkthrough import to_markdown
from gradstep.tui.arguments import SafeArgumentParser

FORMATS = ("dot", "md", "json", "cast", "svg")
EXIT_ERROR = 2
GRAPHVIZ_SECONDS = 120


class ExportError(Exception):
    """An export that cannot be made or written; the message is for the person, as is."""


def state_at(trace: Trace, position: int) -> list[dict[str, Any]]:
    """Each node's value and grad at ``position`` (None: not computed / not received yet)."""
    saved = trace.position
    trace.goto(position)
    try:
        return [
            {"id": i, "value": _json_number(trace.value(i)), "grad": _json_number(trace.grad_so_far(i))}
            for i in range(trace.size)
        ]
    finally:
        trace.goto(saved)


def _json_number(x: float | None) -> float | str | None:
    return None if x is None else (x if x == x and abs(x) != float("inf") else str(x))


def to_json(trace: Trace, source: str, position: int | None) -> str:
    document = to_document(trace, source)
    if position is not None:
        document["step"] = position
        document["state"] = state_at(trace, position)
    return json.dumps(document, allow_nan=False) + "\n"


def graphviz_svg(dot_text: str) -> str:
    """``dot_text`` drawn by Graphviz as SVG. Raises ExportError when Graphviz is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        raise ExportError(
            "--to svg needs Graphviz's `dot` command, which is not on PATH: install Graphviz"
            " (apt install graphviz, brew install graphviz), or export --to dot and draw it elsewhere"
        )
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode(),
            capture_output=True,
            timeout=GRAPHVIZ_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ExportError(f"Graphviz's dot failed: {shown(str(error), 300)}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise ExportError(f"Graphviz's dot failed (status {done.returncode}): {shown(message, 300)}")
    return done.stdout.decode(errors="replace")


def render(trace: Trace, to: str, source: str, position: int | None = None, path: str | None = None) -> str:
    """The export's text. ``path`` is the file to record for ``cast`` (None: the built-in example);
    ``position`` None is the end (for ``json``: the plain trace document)."""
    if to == "dot":
        return to_dot(trace, position, source)
    if to == "svg":
        return graphviz_svg(to_dot(trace, position, source))
    if to == "md":
        return to_markdown(trace, position, source)
    if to == "json":
        return to_json(trace, source, position)
    if to == "cast":
        from gradstep.tui.cast import to_cast

        return to_cast(path, f"gradstep {source}", position)
    raise ExportError(f"unknown format {to!r}: one of {', '.join(FORMATS)}")


def check_output(out: str, *, force: bool = False, source_path: str | None = None) -> None:
    """Raise ExportError if ``out`` may not be written: the input file, a directory, or (without
    ``force``) a file that exists."""
    where = shown(out, 300)
    if source_path is not None and os.path.exists(out) and os.path.samefile(out, source_path):
        raise ExportError(f"{where}: error: that is the input file; gradstep never writes over it")
    if os.path.isdir(out):
        raise ExportError(f"{where}: error: this is a directory; give a file name")
    if not force and os.path.lexists(out):
        raise ExportError(f"{where}: error: the file exists; add --force to replace it")


def write_new(out: str, text: str, *, force: bool = False, source_path: str | None = None) -> None:
    """Write ``text`` to ``out`` if ``check_output`` allows it. Without ``force`` the file is
    created with mode ``x``, so a file that appears meanwhile is refused too."""
    check_output(out, force=force, source_path=source_path)
    try:
        with open(out, "w" if force else "x", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except FileExistsError:
        raise ExportError(f"{shown(out, 300)}: error: the file exists; add --force to replace it") from None
    except OSError as error:
        raise ExportError(
            f"{shown(out, 300)}: error: cannot write the file: {error.strerror or error}"
        ) from None


def _parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="gradstep export",
        description="Export the graph (dot, svg), the walkthrough (md), the trace (json) or a "
        "recording of the stepping (cast, asciicast v2).",
    )
    parser.add_argument("file", nargs="?", help="expression file (default: the built-in example)")
    parser.add_argument("--to", required=True, choices=FORMATS, help="the format")
    parser.add_argument(
        "--step", type=int, metavar="K", help="the step to export, 0 (start) to N (end, the default)"
    )
    parser.add_argument("-o", "--output", metavar="OUT", help="the file to write (default: standard output)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    return parser


def run_export(argv: Sequence[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.file == "":
        return _fail("gradstep: error: the file name is empty (leave it out for the built-in example)")
    try:
        program = core.load(args.file) if args.file is not None else core.parse(SEED, SEED_NAME)
    except core.ExpressionError as error:
        return _fail(str(error))
    trace = core.trace(program.output)
    if args.step is not None and not 0 <= args.step <= len(trace):
        where = shown(program.path, 200)
        parser.error(f"--step {args.step} is outside 0..{len(trace)} ({where} has {len(trace)} steps)")
    try:
        if args.output is not None:  # before the work (a cast takes a moment), and again when writing
            check_output(args.output, force=args.force, source_path=args.file)
        text = render(trace, args.to, program.path, args.step, args.file)
        if args.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_new(args.output, text, force=args.force, source_path=args.file)
    except ExportError as error:
        message = str(error)
        return _fail(message if ": error: " in message else f"gradstep export: error: {message}")
    return 0


def _fail(message: str) -> int:
    print(escape_lines(message), file=sys.stderr)
    return EXIT_ERROR
