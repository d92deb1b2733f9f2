"""``gradstep check --engine SPEC FILE [--json]``: a learner's engine on an expression file.

Without ``--json`` it opens the debugger in check mode (their steps with ✓/✗). With ``--json`` it
prints one document and exits 0 when every step matches the chain rule, 1 at a mismatch, 2 for a
usage, file or engine error (one message on stderr). The JSON route never imports Textual.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from gradstep.core.checker import check_file
from gradstep.core.foreign import ForeignGraphError
from gradstep.core.language import ExpressionError
from gradstep.core.learner import EngineError
from gradstep.core.text import escape_lines
from gradstep.tui.arguments import SafeArgumentParser

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="gradstep check",
        description=(
            "Run your own engine's backward() on an expression file and stop at the first step "
            "that differs from the chain rule."
        ),
    )
    parser.add_argument(
        "--engine",
        required=True,
        metavar="SPEC",
        help="your engine: a file (engine.py) or a module (micrograd.engine), optionally :ClassName "
        "(default Value). Importing it runs your code.",
    )
    parser.add_argument("file", help="expression file to build with your engine")
    parser.add_argument("--json", action="store_true", help="print one JSON document (see README)")
    return parser


def run_check(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if not args.file:
        return _fail("gradstep: error: the file name is empty")
    if not os.path.exists(args.file):
        return _fail(f"gradstep: error: {args.file}: no such file")
    try:
        verdict = check_file(args.file, args.engine)
    except (ExpressionError, EngineError) as error:
        return _fail(str(error))
    except ForeignGraphError as error:
        return _fail(f"gradstep: error: {error}")
    code = EXIT_OK if verdict.ok else EXIT_MISMATCH
    problem = verdict.first_mismatch
    if problem is not None and problem.traceback:
        print(escape_lines(problem.traceback), file=sys.stderr)
    if args.json:
        json.dump(verdict.to_json(), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        from gradstep.tui.check_mode import run_check_app

        run_check_app(verdict)
    if problem is not None and problem.kind == "error" and "did not return" in problem.message:
        # Their backward still runs on its thread: leave without waiting for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _fail(message: str) -> int:
    print(escape_lines(message), file=sys.stderr)
    return EXIT_ERROR
