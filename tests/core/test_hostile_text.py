"""Outside text in the core: escaping, labels a file may and may not hold, graphs that lie.

The references are Python's own: ``unicodedata`` categories, ``repr``-style escapes, ``json``.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import micrograd.engine
import pytest
from gradstep.core import ExpressionError, Value, load, parse, trace
from gradstep.core.language import MAX_LABEL
from gradstep.core.ops import ADD
from gradstep.core.text import BIDI_CONTROLS, escape, escape_lines, label_problem
from hypothesis import given, settings
from hypothesis import strategies as st

C0 = [chr(c) for c in (*range(0x00, 0x20), 0x7F)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SEQUENCES = [
    "\x1b[2J",  # CSI: erase the screen
    "\x1b[32mOK\x1b[0m",  # CSI: a forged green OK
    "\x1b]2;TITLE\x1b\\",  # OSC 2: the terminal's title
    "\x1b]52;c;aGVsbG8=\x07",  # OSC 52: the clipboard
    "\x1bPq#0;2;0;0;0\x1b\\",  # DCS
    "\x9b2J",  # 8-bit CSI
    "\x9d0;T\x9c",  # 8-bit OSC
]
HOSTILE = C0 + C1 + BIDI + ZERO_WIDTH + SEQUENCES + ["\u2028", "\u2029", "\ud800", "\ue000"]


def assert_inert(shown: str, *, newlines: bool = False) -> None:
    """Nothing in ``shown`` is a control, a format character or a line separator."""
    for char in shown:
        if newlines and char == "\n":
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"), (char, shown)


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t.encode("unicode_escape").decode())
def test_escape_shows_every_hostile_character_visibly(text: str) -> None:
    shown = escape(f"a{text}b")
    assert_inert(shown)
    assert shown.startswith("a") and shown.endswith("b")
    assert "\\" in shown  # visible, as Python writes it in a literal
    assert escape(shown) == shown  # escaping twice changes nothing


@given(st.text())
@settings(max_examples=300)
def test_escape_of_any_text_is_inert_and_keeps_the_safe_characters(text: str) -> None:
    shown = escape(text)
    assert_inert(shown)
    assert escape(shown) == shown
    if all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in text):
        assert shown == text


def test_escape_leaves_nbsp_emoji_and_wide_text_alone() -> None:
    for text in ["a\xa0b", "ä € 中文", "\U0001f600", "x\ufe0f"]:
        assert escape(text) == text


@given(st.lists(st.text(), max_size=5))
def test_escape_lines_keeps_the_line_breaks_only(lines: list[str]) -> None:
    text = "\n".join(lines)
    shown = escape_lines(text)
    assert shown.count("\n") == text.count("\n")
    assert_inert(shown, newlines=True)


# --- labels written in a file --------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "a\xa0b",
        "\U0001f469\u200d\U0001f4bb",
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        "x\u200by",
        "naïve",
        "中文",
        "\U0001f44d\U0001f3fd",
    ],
)
def test_a_file_may_label_with_nbsp_emoji_and_joiners(label: str) -> None:
    program = parse(f"a = Value(1.0, label={label!r})\nb = a * a\n")
    assert program.names["a"].label == label


@pytest.mark.parametrize("char", C0 + C1 + BIDI + ["\u2028", "\u2029"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_file_may_not_label_with_controls_or_bidi(char: str) -> None:
    source = f"a = Value(1.0, label='x{char.encode('unicode_escape').decode()}y')\n"
    with pytest.raises(ExpressionError) as caught:
        parse(f"b = Value(2.0)\n{source}", "f.gs")
    error = caught.value
    assert (error.line, error.column) == (2, 22)  # the string
    assert "label may not contain" in error.message
    if char in BIDI_CONTROLS:
        assert f"U+{ord(char):04X}" in error.message
    assert_inert(str(error), newlines=True)


@given(st.text(max_size=20))
def test_label_problem_refuses_exactly_controls_separators_surrogates_and_bidi(text: str) -> None:
    bad = any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in BIDI_CONTROLS for c in text)
    assert (label_problem(text) is not None) == bad


def test_a_name_longer_than_the_label_limit_is_refused() -> None:
    name = "x" * 20_000
    with pytest.raises(ExpressionError) as caught:
        parse(f"{name} = Value(1.0)\n{name}\n")
    assert (caught.value.line, caught.value.column) == (1, 1)
    assert f"at most {MAX_LABEL}" in caught.value.message
    parse(f"{'y' * MAX_LABEL} = Value(1.0)\n")  # at the limit: fine


def test_error_display_escapes_path_line_and_keeps_the_caret_under_its_character(tmp_path: Path) -> None:
    text = "b = nope  # \x1b]2;TITLE\x1b\\\n"
    with pytest.raises(ExpressionError) as caught:
        parse(text, "f\x1b[2J\u202e.gs")
    shown = str(caught.value)
    assert_inert(shown, newlines=True)
    assert shown.startswith("f\\x1b[2J\\u202e.gs:1:5: error:")
    path = tmp_path / "f.gs"
    path.write_bytes(b"a = Value(1.0)\nb = a  # \x1b[31m \xff here\n")  # not UTF-8 after the ESC
    with pytest.raises(ExpressionError) as caught:
        load(path)
    assert (caught.value.line, caught.value.column) == (2, 16)
    lines = str(caught.value).splitlines()
    at = lines.index("    b = a  # \\x1b[31m \ufffd here")
    assert lines[at + 1].index("^") == lines[at].index("\ufffd")


# --- graphs handed to trace() --------------------------------------------------------------------


def test_trace_of_a_number_is_a_type_error() -> None:
    for thing in (3.0, 3, "a", None, [Value(1.0)]):
        with pytest.raises(TypeError, match="gradstep Value"):
            trace(thing)  # type: ignore[arg-type]


def test_trace_reads_a_micrograd_value_through_the_adapter() -> None:
    a, b = micrograd.engine.Value(2.0), micrograd.engine.Value(-3.0)
    out = (a * b + a).relu() + a
    out.backward()
    graph = trace(out)  # type: ignore[arg-type]
    graph.goto(len(graph))
    leaves = {graph.data[i]: graph.grad[i] for i in range(graph.size) if graph.ops[i] is None}
    assert leaves == {2.0: a.grad, -3.0: b.grad}


def test_a_cycle_made_by_changing_operands_is_refused() -> None:
    a = Value(2.0, label="a")
    b = a * 3
    c = b + a
    a._op, a._a, a._b = ADD, c, c  # a now depends on itself
    with pytest.raises(ValueError, match="cycle"):
        trace(c)
    d = Value(1.0)
    e = d * d
    e._a = e  # its own operand
    with pytest.raises(ValueError, match="cycle"):
        trace(e)


def test_an_operand_swapped_for_a_later_node_is_refused() -> None:
    a = Value(1.0)
    b = a * 2
    later = Value(5.0)
    b._b = later  # no cycle, but made after its result
    with pytest.raises(ValueError, match="made after"):
        trace(b)
    b._b = 4.0  # type: ignore[assignment]
    with pytest.raises(TypeError, match="not a Value"):
        trace(b)


@pytest.mark.parametrize("label", [5, 2.5, None, ("x", 1), b"bytes"])
def test_a_label_that_is_not_a_string_is_shown_as_its_text(label: object) -> None:
    a = Value(2.0, label=label)  # type: ignore[arg-type]
    graph = trace(a * a)
    assert graph.labels[0] == ("" if label is None else str(label))
    assert graph.name(0) == graph.labels[0] or label is None
