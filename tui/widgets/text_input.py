"""An input line that never holds a character the terminal would act on.

Textual's ``Input`` draws its value as it is: a pasted escape sequence, or a path from the command
line put in as the starting value, would reach the terminal raw. ``TextInput`` drops such
characters (controls, bidi and other format characters, line separators; see
``gradstep.core.text.escape``) from every value, typed, pasted or set.
"""

from __future__ import annotations

from gradstep.core.text import escape
from textual.widgets import Input


def visible_only(text: str) -> str:
    """``text`` without the characters ``escape`` would show as an escape."""
    if escape(text) == text:
        return text
    return "".join(char for char in text if escape(char) == char)


class TextInput(Input):
    """``Input`` whose value holds only characters that are safe to draw."""

    def validate_value(self, value: str) -> str:
        return visible_only(value)
