"""Outside text made safe to show: the one border every file, label, path and message crosses.

Text that came from outside gradstep (a source line, a path, a label from ``debug()``, an exception's
message) may hold characters a terminal acts on instead of showing: C0 and C1 controls start escape
sequences (a title change, a clipboard write, a cursor move that paints over the real error), and
format characters (bidi overrides, zero-width spaces and joiners) reorder or hide text, or make a
row take fewer cells than it is counted as, shifting the pane borders after it. ``escape`` shows each
of those as Python writes it in a string literal (``\\x1b``, ``\\u202e``) and leaves the rest, NBSP
and emoji included, as it is. Its result is still data: hand it to Rich as a ``Text`` (or with
``markup=False``) and to Textual as ``Content``, never inside a markup string.
"""

from __future__ import annotations

import unicodedata

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Controls, format characters, surrogates, private use, unassigned, line and paragraph separators."""


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


class _Table(dict[int, str]):
    """Each character met so far and how it is shown; filled on first sight (no start-up cost)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        shown = _visible(char) if unicodedata.category(char) in _UNSAFE_CATEGORIES else char
        if len(self) < 65536:  # a text of every code point must not keep them all
            self[code] = shown
        return shown


_TABLE = _Table()


def is_safe(text: str) -> bool:
    """True when ``escape(text)`` would return ``text`` unchanged."""
    return escape(text) == text


def escape(text: str) -> str:
    """``text`` with every character a terminal would act on, or count wrongly, shown visibly."""
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_TABLE)


def escape_lines(text: str) -> str:
    """A message of several lines made safe line by line: its line breaks (``\\n``) stay, every
    other character a terminal would act on is shown visibly (a ``\\r`` too: it would let a line
    paint over the one before)."""
    if text.isascii() and text.isprintable():
        return text
    return "\n".join(escape(line) for line in text.split("\n"))


BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder the text around them on screen (a label could show as another name)."""

_LABEL_REFUSED = frozenset({"Cc", "Cs", "Zl", "Zp"})


def label_problem(text: str) -> str | None:
    """Why ``text`` cannot be a label written in a file, or None.

    Controls, line breaks, surrogates and bidi controls are refused. Everything else is a
    character someone may mean, NBSP, emoji joined by ZWJ and flags made of tag characters included;
    the panes show the invisible ones visibly (``escape``).
    """
    if text.isascii() and text.isprintable():
        return None
    for char in text:
        if char in BIDI_CONTROLS:
            name = unicodedata.name(char, "a bidi control")
            return f"a label may not contain U+{ord(char):04X} ({name}): it reorders the text around it"
        if unicodedata.category(char) in _LABEL_REFUSED:
            return f"a label may not contain control characters or line breaks (found {_visible(char)})"
    return None


def clip(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, ending in ``…`` when it was longer (for one message line)."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def shown(text: str, limit: int | None = None) -> str:
    """Outside text as one safe line: escaped, then clipped when a ``limit`` is given."""
    safe = escape(text)
    return safe if limit is None else clip(safe, limit)
