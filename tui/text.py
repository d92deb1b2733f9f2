"""Text helpers shared by the widgets."""

from __future__ import annotations

_CONTROL = {code: "?" for code in (*range(0x00, 0x20), 0x7F)}


def printable(text: str) -> str:
    """User text made safe for one terminal row.

    Expression files cannot hold control characters in labels, but ``debug()`` graphs come from
    Python code, whose labels may hold anything (a newline would break a row).
    """
    return text.translate(_CONTROL)
