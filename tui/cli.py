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
import json
import os
import sys
from collections.abc import Callable, Sequence

from gradstep import core
from gradstep.core.examples import SEED, SEED_NAME
from gradstep.tui.check_cmd import run_check
from gradstep.tui.serve import run_serve

EXIT_ERROR = 2


def _trace_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    parser = argparse.ArgumentParser(
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
    print(message, file=sys.stderr)
    return EXIT_ERROR


def _check_readable(path: str) -> str | None:
    """Why ``path`` cannot be opened, or None if it can; worded as ``gradstep trace`` words it
    (the core's ``load``), so both commands say the same about the same file."""
    if not os.path.exists(path):
        return f"{path}: error: no such file"
    if os.path.isdir(path):
        return f"{path}: error: this is a directory, not an expression file"
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        return f"{path}: error: cannot read the file: {error.strerror or error}"
    return None


def run_trace(argv: Sequence[str]) -> int:
    args = _trace_parser().parse_args(argv)
    try:
        program = core.load(args.file) if args.file else core.parse(SEED, SEED_NAME)
    except core.ExpressionError as error:
        return _fail(str(error))
    result = core.trace(program.output)
    if args.gradcheck:
        return _gradcheck(result, program.path, as_json=args.json)
    if args.json:
        from gradstep.core.export import to_document

        json.dump(to_document(result, program.path), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
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
"""The subcommands, each given the arguments after its name; the bare command opens the debugger."""


def run(argv: Sequence[str]) -> int:
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    args = _app_parser().parse_args(argv)
    if args.file is not None:
        problem = _check_readable(args.file)
        if problem:
            return _fail(problem)
    from gradstep.tui.app import run_app

    return run_app(args.file, served=args.served)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    try:
        return run(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `gradstep trace big.gs | head`: the reader left; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
