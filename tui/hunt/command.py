"""``gradstep hunt [FILE] [--seed N]``: a bug planted in gradstep's lecture engine, to find.

Without FILE it uses the bundled ``examples/hunt.gs`` (every kind shows there). Errors (a missing or
bad file, a file that reveals none of the bugs) go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.resources import as_file, files

from gradstep.core.planted import PLANT_KINDS

EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradstep hunt",
        description=(
            "Plant one of the canonical backward bugs (" + ", ".join(PLANT_KINDS) + ") in gradstep's "
            "lecture-style engine, one this file can reveal, and open the buggy run: step, press m at "
            "the first wrong step, pick the kind, then see the correct run beside the buggy one."
        ),
    )
    parser.add_argument("file", nargs="?", help="expression file (default: the bundled examples/hunt.gs)")
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="choose the bug with this seed: the same file and seed give the same bug "
        "(default: a random seed, shown in the status line)",
    )
    return parser


def run_hunt(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.file is None:
        with as_file(files("gradstep.examples") / "hunt.gs") as path:
            return _hunt(str(path), "examples/hunt.gs", args.seed)
    from gradstep.tui.cli import _check_readable

    problem = _check_readable(args.file)
    if problem:
        return _fail(problem)
    return _hunt(args.file, args.file, args.seed)


def _hunt(path: str, shown_as: str, seed: int | None) -> int:
    from gradstep.core.hunt import HuntError, new_seed, start
    from gradstep.core.language import ExpressionError
    from gradstep.core.learner import EngineError

    try:
        hunt = start(path, new_seed() if seed is None else seed, shown_as)
    except (HuntError, ExpressionError, EngineError) as error:
        return _fail(str(error))
    from gradstep.tui.hunt.app import run_hunt_app

    return run_hunt_app(hunt)


def _fail(message: str) -> int:
    from gradstep.core.text import escape

    print("\n".join(escape(line) for line in message.split("\n")), file=sys.stderr)
    return EXIT_ERROR
