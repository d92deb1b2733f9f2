"""The ``gradstep`` command.

    gradstep [FILE]               open the stepping debugger (the built-in example without FILE)
    gradstep trace [--json] [FILE] print the whole trace and exit
    gradstep export FILE --to FMT  the graph, walkthrough, trace or a recording (tui/exports.py)
    gradstep serve [FILE] [--port N] [--host H]   the debugger in a browser, one app per tab
    gradstep trace --gradcheck [--json] FILE   check every leaf's grad against a central difference
    gradstep quiz [FILE]          predict mode: work out each contribution before it is shown
    gradstep hunt [FILE] [--seed N]   find a bug planted in gradstep's lecture engine

Errors go to stderr with exit status 2, never as a traceback. ``gradstep trace`` never imports
Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import io
import json
import os
import sys
from collections.abc import Callable, Sequence

from gradstep import core
from gradstep.core.examples import SEED, SEED_NAME
from gradstep.core.text import escape, escape_lines
from gradstep.tui.arguments import SafeArgumentParser
from gradstep.tui.crash import EXIT_CRASH, DebuggerFailed

EXIT_ERROR = 2


def _trace_parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="gradstep trace",
        description="Print every forward op and every backward step of an expression file.",
    )
    parser.add_argument("file", nargs="?", help="expression file (default: the built-in example)")
    parser.add_argument("--json", action="store_true", help="print one JSON document (see README)")
    parser.add_argument(
        "--gradcheck",
        action="store_true",
        help="check every leaf's grad against a central difference; exit 1 if one disagrees",
    )
    return parser


def _app_parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="gradstep",
        description="A terminal stepping debugger for backpropagation.",
        epilog=(
            "commands:\n"
            "  gradstep trace [--json] [FILE]  print the whole trace and exit\n"
            "  gradstep trace --gradcheck [--json] [FILE]  check every grad by central differences\n"
            "  gradstep quiz [FILE]  predict each backward contribution before it is shown\n"
            "  gradstep hunt [FILE] [--seed N]  find the first wrong step of a planted engine bug\n"
            "  gradstep check --engine SPEC FILE [--json]  your engine's backward beside the chain rule\n"
            "  gradstep export FILE --to dot|md|json|cast|svg [--step K] [-o OUT] [--force]\n"
            "  gradstep serve [FILE] [--port N] [--host H]  the debugger in a browser, one app per tab"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", help="expression file to open (default: the built-in example)")
    parser.add_argument("--version", action="version", version=f"gradstep {core.__version__}")
    # Internal: how `gradstep serve` starts the app of each browser tab. It only narrows what the
    # app may read (to FILE's folder, derived from FILE, never given), so it needs no checking.
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    return parser


def _fail(message: str) -> int:
    """The message on stderr, each line escaped: it may quote a path or a file's text."""
    print(escape_lines(message), file=sys.stderr)
    return EXIT_ERROR


EMPTY_NAME = "gradstep: error: the file name is empty (leave it out for the built-in example)"


def _check_readable(path: str) -> str | None:
    """Why ``path`` cannot be opened, or None if it can; worded as ``gradstep trace`` words it
    (the core's ``load``), so both commands say the same about the same file."""
    from gradstep.core.files import NotRegularFile, open_regular

    if not path:
        return EMPTY_NAME
    shown = escape(path)
    if not os.path.exists(path):
        return f"{shown}: error: no such file"
    try:
        with open_regular(path):  # a FIFO or a device is refused before it can block
            pass
    except NotRegularFile as error:
        return f"{shown}: error: this is {error.kind}, not an expression file"
    except OSError as error:
        return f"{shown}: error: cannot read the file: {escape(str(error.strerror or error))}"
    return None


def run_trace(argv: Sequence[str]) -> int:
    args = _trace_parser().parse_args(argv)
    if args.file == "":
        return _fail(EMPTY_NAME)
    # One pass that allocates a node per term and frees nothing until exit: the cycle collector
    # would only rescan the growing graph (it has no cycles), 15-30% of a big file's load.
    gc.disable()
    try:
        program = core.load(args.file) if args.file is not None else core.parse(SEED, SEED_NAME)
    except core.ExpressionError as error:
        return _fail(str(error))
    result = core.trace(program.output)
    if args.gradcheck:
        return _gradcheck(result, program.path, as_json=args.json)
    if args.json:
        from gradstep.core.export import iter_document_json

        write = sys.stdout.write
        for piece in iter_document_json(result, program.path):  # streamed, never held whole
            write(piece)
        write("\n")
        return 0
    from gradstep.tui.trace_view import print_trace

    print_trace(result, program.path)
    return 0


def run_export(argv: Sequence[str]) -> int:
    from gradstep.tui.exports import run_export

    return run_export(argv)


def _gradcheck(result: core.Trace, source: str, *, as_json: bool) -> int:
    """Exit 0 when every leaf agrees with its central difference, 1 otherwise."""
    from gradstep.core.nudge import gradcheck

    check = gradcheck(result)
    if as_json:
        json.dump(check.to_json(), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        from gradstep.tui.gradcheck_view import print_gradcheck

        print_gradcheck(check, source)
    return 0 if check.ok else 1


def run_serve(argv: Sequence[str]) -> int:
    from gradstep.tui.serve import run_serve as run

    return run(argv)


def run_check(argv: Sequence[str]) -> int:
    from gradstep.tui.check_cmd import run_check as run

    return run(argv)


def run_quiz(argv: Sequence[str]) -> int:
    from gradstep.tui.quiz.command import run_quiz as run

    return run(argv)


def run_hunt(argv: Sequence[str]) -> int:
    from gradstep.tui.hunt.command import run_hunt as run

    return run(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "trace": run_trace,
    "export": run_export,
    "serve": run_serve,
    "quiz": run_quiz,
    "check": run_check,
    "hunt": run_hunt,
}
"""The subcommands, each given the arguments after its name; the bare command opens the debugger.
Each imports its module when it runs, so one command's start-up never pays for another's imports
(``serve`` alone brings asyncio)."""


def run(argv: Sequence[str]) -> int:
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    args = _app_parser().parse_args(argv)
    if args.file is not None:
        problem = _check_readable(args.file)
        if problem:
            return _fail(problem)
        if not args.served:  # a big file starts loading beside the app's start-up, on another core
            from gradstep.tui import forked_load

            forked_load.start_early(args.file)
    from gradstep.tui.app import run_app

    return run_app(args.file, served=args.served)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Output that cannot be written ends the command with one line on stderr, never a traceback:
    a reader that left (``| head``) ends it quietly with 141, as SIGPIPE would; a closed stdout or a
    failed write (a full disk, ``/dev/full``) with status 2. Characters the output's encoding
    lacks (``PYTHONIOENCODING=ascii``) are written as backslash escapes.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    if sys.stdout is None:  # started with stdout closed (`>&-`): a file opened now would become fd 1
        return _fail("gradstep: error: standard output is closed")
    stdout_was = _file_identity(sys.stdout)
    try:
        try:
            status = run(sys.argv[1:] if argv is None else list(argv))
        except SystemExit as leaving:  # argparse's --help, --version and usage errors
            code = leaving.code
            status = code if isinstance(code, int) else (0 if code is None else EXIT_ERROR)
            if status == 1 and stdout_was != _DEVNULL and _file_identity(sys.stdout) == _DEVNULL:
                status = EXIT_PIPE  # Rich's Console.on_broken_pipe: stdout to /dev/null, then exit(1)
        sys.stdout.flush()  # now, where a failure is caught, not at exit
        return status
    except KeyboardInterrupt:
        return 130
    except DebuggerFailed as failure:
        return _tell(str(failure), EXIT_CRASH)
    except BrokenPipeError:
        _detach_stdout()  # the reader left: nothing more to write, and nothing to flush at exit
        return EXIT_PIPE
    except OSError as error:
        if error.errno not in _WRITE_ERRORS:
            raise
        _detach_stdout()
        return _tell(f"gradstep: error: cannot write the output: {escape(error.strerror or str(error))}")


EXIT_PIPE = 128 + 13
"""A reader that left (``gradstep trace f | head``): the status a shell shows for SIGPIPE."""

_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def _file_identity(stream: object) -> tuple[int, int] | None:
    try:
        status = os.fstat(stream.fileno())  # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        return None
    return (status.st_dev, status.st_ino)


try:
    _DEVNULL: tuple[int, int] | None = (os.stat(os.devnull).st_dev, os.stat(os.devnull).st_ino)
except OSError:
    _DEVNULL = None


def _detach_stdout() -> None:
    """Point fd 1 at /dev/null, so the flush at exit has somewhere to put what is left."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _tell(message: str, status: int = EXIT_ERROR) -> int:
    with contextlib.suppress(OSError, AttributeError):  # stderr gone too: the status still says it
        print(escape_lines(message), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
