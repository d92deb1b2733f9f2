"""What a debugger served to a browser may read: the served file's folder, nothing else.

Served, anyone who reaches the port presses the keys, and ``o`` opens a path they type. Opening a
file shows it, and an error in it quotes the offending line: without a fence, a way to read the
first line of any file on the server. The fence is the folder the served file really lives in
(symbolic links resolved, so a link in the folder cannot point out of it): files directly in it
open, except hidden ones (``.env``, ``.git``), which nobody serves on purpose. A served app started
without a file (the built-in example) opens nothing else.

The folder is derived from the served file, never given: nothing a caller passes can widen it.
Plain Python (no Textual), so the rule is tested on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gradstep.core.language import ExpressionError
from gradstep.core.text import escape


@dataclass(frozen=True)
class ServedFolder:
    """The fence of one served app: ``root`` is the real folder, ``None`` when no file was served."""

    root: str | None
    """The served file's real folder (``os.path.realpath``), or None: nothing else opens."""
    served_file: str | None
    """The served file's real path: always allowed, even when its name starts with a dot."""
    shown_folder: str
    """The folder as the person named it (``examples``), for messages: no server paths leak."""

    @classmethod
    def of(cls, path: str | None) -> ServedFolder:
        """The fence for serving ``path`` (None: the built-in example)."""
        if path is None:
            return cls(None, None, "")
        real = os.path.realpath(path)
        return cls(os.path.dirname(real), real, os.path.dirname(path) or ".")

    def allows(self, path: str) -> bool:
        """Whether ``path`` may be read: a file directly in the folder, not hidden, or the served one."""
        if self.root is None:
            return False
        real = os.path.realpath(os.path.expanduser(path))
        if real == self.served_file:
            return True
        return os.path.dirname(real) == self.root and not os.path.basename(real).startswith(".")

    def refusal(self, path: str) -> str | None:
        """Why ``path`` may not be opened here (one error message), or None when it may."""
        if self.allows(path):
            return None
        shown = escape(path)
        if self.root is None:
            return (
                f"{shown}: error: this served debugger opens no other files\n"
                "  it was started on the built-in example; serve a file to open the others in its folder"
            )
        return (
            f"{shown}: error: not in the served folder\n"
            f"  a served debugger opens only the files in {escape(self.shown_folder)}"
            f"{'' if self.shown_folder.endswith(os.sep) else os.sep} (not hidden ones, not in subfolders)"
        )

    def describe(self, error: ExpressionError) -> str:
        """``error`` as the app shows it: in full for a file in the folder, else the refusal alone.

        Loading checks the fence first, so a file outside never gets this far; this is the second
        wall (a file swapped for a link between the check and the read), and it quotes nothing.
        """
        refusal = self.refusal(error.path)
        return str(error) if refusal is None else refusal
