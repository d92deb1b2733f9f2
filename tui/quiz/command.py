"""``gradstep quiz [FILE]``: the debugger in predict mode, from the first backward step."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gradstep.tui.arguments import SafeArgumentParser

EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="gradstep quiz",
        description=(
            "Predict each backward contribution (b.grad += ?) before it is shown, "
            "then see your score and the ops you missed."
        ),
    )
    parser.add_argument("file", nargs="?", help="expression file (default: the built-in example)")
    return parser


def run_quiz(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.file is not None:
        from gradstep.tui.cli import _check_readable

        problem = _check_readable(args.file)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_ERROR
    from gradstep.tui.app import GradstepApp
    from gradstep.tui.crash import run_guarded

    return run_guarded(GradstepApp(args.file, predict=True))
