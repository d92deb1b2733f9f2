"""The command line's argument parser, which never echoes an argument raw.

argparse quotes what it could not use (``unrecognized arguments: ...``, ``invalid choice: ...``)
in its error message as it was typed, escape sequences included: a crafted argument could retitle
the terminal or paint over the message. ``SafeArgumentParser`` shows them escaped
(``gradstep.core.text.escape``), and otherwise behaves as argparse does (usage, exit status 2).
It also lets a failed write of ``--help`` or ``--version`` be known (argparse ignores it, so
``gradstep --version > /dev/full`` would report success).
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, NoReturn

from gradstep.core.text import escape_lines


class SafeArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose error messages show outside text escaped."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{escape_lines(self.prog)}: error: {escape_lines(message)}\n")

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        # argparse's own swallows OSError; the command's main() reports it (tui/cli.py).
        if message:
            (file or sys.stderr).write(message)
