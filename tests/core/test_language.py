"""The expression language: what a file may say, what it means, and how each refusal reads.

Accepted programs are checked for the numbers they produce (by hand) and the graph they build;
refusals are checked for the line and column they point at, the source line they show and the caret
under the offending column, because that is what a person fixing their file reads.
"""

from __future__ import annotations

import math
from pathlib import Path

import micrograd.engine
import pytest
from gradstep import core
from gradstep.core import ExpressionError, Program, load, parse, trace
from gradstep.core.engine import topological_order
from gradstep.core.examples import SEED
from gradstep.core.language import EXCERPT_WIDTH
from gradstep.core.text import escape
from hypothesis import example, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parent / "seed_documents"
"""A copy of the project's seed document (the lecture's expression, as a learner wrote it up), kept
in the repository so these tests run in every clone."""
EXAMPLES = sorted((REPO / "examples").glob("*.gs"))

SEED_GRADS = {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}


def grads_by_label(program: Program) -> dict[str, float]:
    """Run the engine's backward on the program and collect each labelled node's grad."""
    program.output.backward()
    return {node.label: node.grad for node in topological_order(program.output) if node.label}


def seed_expression_from(document: str) -> str:
    """The expression block of the seed document: from `a = Value(2.0` to the bare `L` line."""
    lines = document.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("a = Value(2.0"))
    end = next(k for k in range(start, len(lines)) if lines[k].strip() == "L")
    return "\n".join(lines[start : end + 1]) + "\n"


# --- the seed and the examples ---------------------------------------------------------------


def test_seed_document_expression_loads_verbatim_with_hand_values() -> None:
    documents = sorted(SEEDS.glob("*.txt"))
    assert documents, f"no seed document in {SEEDS}"
    found = 0
    for document in documents:
        text = document.read_text()
        if "a = Value(2.0" not in text:
            continue
        found += 1
        program = parse(seed_expression_from(text), str(document))
        assert program.output.label == "L" and program.output.data == -8.0
        assert grads_by_label(program) == SEED_GRADS
    assert found, "no seed document holds the expression"


def test_seed_document_and_example_are_the_same_expression() -> None:
    documents = sorted(SEEDS.glob("*.txt"))
    assert documents, f"no seed document in {SEEDS}"
    blocks = [seed_expression_from(d.read_text()) for d in documents if "a = Value(2.0" in d.read_text()]
    assert (REPO / "examples" / "seed.gs").read_text() in blocks


def test_seed_example_gives_the_hand_values() -> None:
    program = load(REPO / "examples" / "seed.gs")
    values = {node.label: node.data for node in topological_order(program.output)}
    assert values == {"a": 2.0, "b": -3.0, "c": 10.0, "e": -6.0, "d": 4.0, "f": -2.0, "L": -8.0}
    assert grads_by_label(program) == SEED_GRADS


def test_built_in_seed_is_the_example_file() -> None:
    assert (REPO / "examples" / "seed.gs").read_text() == SEED


def test_neuron_example() -> None:
    program = load(REPO / "examples" / "neuron.gs")
    assert program.output.label == "o"
    assert program.output.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    grads = grads_by_label(program)
    for name, expected in {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}.items():
        assert grads[name] == pytest.approx(expected, abs=1e-12)


def test_shared_and_a_plus_a_examples() -> None:
    shared = grads_by_label(load(REPO / "examples" / "shared.gs"))
    assert (shared["a"], shared["b"], shared["c"]) == (-21.0, 8.0, -6.0)
    a_plus_a = load(REPO / "examples" / "a_plus_a.gs")
    assert a_plus_a.output.data == 6.0
    assert grads_by_label(a_plus_a)["a"] == 2.0


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_loads_and_traces(path: Path) -> None:
    program = load(path)
    assert program.path == str(path)
    assert program.source == path.read_text()
    t = trace(program.output)
    t.to_end()
    assert t.size >= 2


def test_the_required_examples_are_shipped() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"seed.gs", "neuron.gs", "shared.gs", "a_plus_a.gs"} <= names


# --- statements and output -------------------------------------------------------------------


def test_statements_semicolons_comments_and_blank_lines() -> None:
    text = "# a comment\n\na = Value(2.0)  # trailing comment\n   \nb = a * 3; c = b + 1 ; c\n# end\n"
    program = parse(text)
    assert program.output.data == 7.0
    assert set(program.names) == {"a", "b", "c"}


def test_output_is_the_trailing_bare_name() -> None:
    program = parse("a = Value(2.0)\nb = a * a\nc = b + a\nb\n")
    assert program.output is program.names["b"]


def test_output_is_named_by_backward_call() -> None:
    program = parse("a = Value(2.0)\nb = a * a\nc = b + a\nb.backward()\n")
    assert program.output is program.names["b"]


def test_output_is_the_last_value_assigned() -> None:
    program = parse("a = Value(2.0)\nb = a * a\nc = b + a\n")
    assert program.output is program.names["c"]
    assert program.output.data == 6.0


def test_setting_a_label_does_not_change_the_output() -> None:
    # `a.label = ...` assigns a label, not a value: the output is still the last value assigned.
    program = parse("a = Value(2.0)\nb = a * a\na.label = 'input'\n")
    assert program.output is program.names["b"]
    assert program.names["a"].label == "input"


def test_a_trailing_expression_may_compute() -> None:
    program = parse("a = Value(2.0)\n(a + 1) * a\n")
    assert program.output.data == 6.0
    assert program.output.op is not None and program.output.op.name == "*"


def test_rebinding_keeps_every_node() -> None:
    program = parse("x = Value(1.5, label='x')\ns = x\ns = s + x\ns = s + x\ns = s * x\ns\n")
    out = program.output
    assert out.data == (1.5 * 3) * 1.5
    order = topological_order(out)
    assert [node.op.name if node.op else "leaf" for node in order] == ["leaf", "+", "+", "*"]
    out.backward()
    x = program.names["x"]
    assert x.grad == pytest.approx(2 * 3 * 1.5)  # d(3x * x)/dx = 6x


def test_augmented_assignment_rebinds() -> None:
    program = parse("a = Value(2.0)\ns = a\ns += a\ns *= a\ns\n")
    assert program.output.data == 8.0


# --- names, labels, numbers ------------------------------------------------------------------


def test_labels_are_taken_from_names_unless_given() -> None:
    program = parse("a = Value(2.0)\nb = Value(3.0, label='bee')\nd = a * b\nd\n")
    assert program.names["a"].label == "a"
    assert program.names["b"].label == "bee"
    assert program.names["d"].label == "d"


def test_alias_keeps_the_first_name() -> None:
    program = parse("a = Value(2.0)\nb = a\nb\n")
    assert program.names["b"] is program.names["a"]
    assert program.output.label == "a"


def test_label_statement_sets_the_label() -> None:
    program = parse("a = Value(2.0)\ne = a * a; e.label = 'E'\ne\n")
    assert program.output.label == "E"


def test_a_bare_number_bound_to_a_name_is_a_leaf() -> None:
    program = parse("a = 2.0\nb = a * a\nb\n")
    a = program.names["a"]
    assert a.op is None and a.label == "a" and a.data == 2.0
    program.output.backward()
    assert a.grad == 4.0


def test_numbers_are_floats() -> None:
    program = parse("a = Value(2)\nb = a / 4\nb\n")
    assert isinstance(program.names["a"].data, float)
    assert program.output.data == 0.5


def test_value_with_positional_and_keyword_label() -> None:
    program = parse("a = Value(2.0, 'first')\nb = Value(-1, label='second')\nc = a * b\nc\n")
    assert program.names["a"].label == "first"
    assert program.names["b"].label == "second"
    assert program.names["b"].data == -1.0


def test_numbers_mixed_in_become_constant_leaves() -> None:
    program = parse("a = Value(2.0)\nb = 3 * a - 1\nb\n")
    order = topological_order(program.output)
    constants = [node.data for node in order if node.op is None and not node.label]
    assert constants == [3.0, 1.0]
    assert program.output.data == 5.0


def test_unary_plus_minus_parentheses_and_precedence() -> None:
    program = parse("x = Value(3.0)\ny = -x ** 2 + +(x - 1) * 2\ny\n")
    assert program.output.data == -9.0 + 4.0
    program.output.backward()
    assert program.names["x"].grad == -6.0 + 2.0


@pytest.mark.parametrize("name", ["tanh", "exp", "log", "relu", "sigmoid"])
def test_functions_as_call_and_as_method(name: str) -> None:
    as_call = parse(f"x = Value(0.75)\ny = {name}(x)\ny\n").output
    as_method = parse(f"x = Value(0.75)\ny = x.{name}()\ny\n").output
    reference = {
        "tanh": math.tanh(0.75),
        "exp": math.exp(0.75),
        "log": math.log(0.75),
        "relu": 0.75,
        "sigmoid": 1 / (1 + math.exp(-0.75)),
    }[name]
    assert as_call.data == pytest.approx(reference, rel=1e-15)
    assert as_method.data == as_call.data
    assert as_call.op is not None and as_call.op.name == name
    assert as_method.op is as_call.op


def test_power_with_number_exponent() -> None:
    program = parse("x = Value(4.0)\ny = x ** -0.5\ny\n")
    assert program.output.data == 0.5
    assert program.output.param == -0.5


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.gs"
    path.write_bytes(b"\xef\xbb\xbfa = Value(2.0)\nb = a + a\nb\n")
    assert load(path).output.data == 4.0


# --- refusals --------------------------------------------------------------------------------


def refused(text: str, line: int, column: int, words: str, path: str = "f.gs") -> ExpressionError:
    """Parse ``text``, expect a refusal at ``line``:``column`` mentioning ``words``, check its display."""
    with pytest.raises(ExpressionError) as caught:
        parse(text, path)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert words.lower() in error.message.lower(), error.message
    shown = str(error)
    assert f"{path}:{line}:{column}:" in shown
    source_line = text.splitlines()[line - 1]
    assert error.source_line == source_line
    lines = shown.splitlines()
    excerpt, caret = error.excerpt()
    if len(source_line) <= EXCERPT_WIDTH:
        assert (excerpt, caret) == (source_line, column - 1)
    else:  # a long line is cut around the column, the caret under the same character
        assert len(excerpt) <= EXCERPT_WIDTH + 2 and excerpt.strip("…") in source_line
        assert excerpt[caret] == source_line[column - 1]
    at = lines.index("    " + escape(excerpt))  # shown escaped: a NUL as \x00
    assert lines[at + 1] == "    " + " " * len(escape(excerpt[:caret])) + "^"
    return error


REFUSALS: list[tuple[str, str, int, int, str]] = [
    ("import", "a = Value(1.0)\nimport os\n", 2, 1, "imports"),
    ("from import", "from os import path\n", 1, 1, "imports"),
    ("attribute", "a = Value(1.0)\nb = a.data\n", 2, 5, "`.data`"),
    ("attribute call", "a = Value(1.0)\nb = a.foo()\n", 2, 5, "`.foo`"),
    ("set other attribute", "a = Value(1.0)\na.grad = 3.0\n", 2, 1, "only `.label`"),
    ("dunder attribute", "a = Value(1.0)\nb = a.__class__\n", 2, 5, "internals"),
    ("dunder name", "x = __import__('os')\n", 1, 5, "double underscores"),
    ("dunder builtins", "a = Value(1.0)\nb = __builtins__\n", 2, 5, "double underscores"),
    ("dunder binding", "__x = Value(1.0)\n", 1, 1, "double underscores"),
    ("other call", "a = Value(1.0)\nb = print(a)\n", 2, 5, "`print()`"),
    ("eval", "x = eval('1')\n", 1, 5, "`eval()`"),
    ("open", "x = open('/etc/passwd')\n", 1, 5, "`open()`"),
    ("string", "a = Value(1.0)\nb = 'text'\n", 2, 5, "string"),
    ("string operand", "a = Value(1.0)\nb = a * 'x'\n", 2, 9, "string"),
    ("lambda", "f = lambda: 1\n", 1, 5, "lambda"),
    ("list comprehension", "a = Value(1.0)\nb = [a for _ in a]\n", 2, 5, "comprehension"),
    ("generator", "a = Value(1.0)\nb = (a for _ in a)\n", 2, 5, "comprehension"),
    ("for loop", "a = Value(1.0)\nfor i in a:\n    a = a + 1\n", 2, 1, "loops"),
    ("while loop", "a = Value(1.0)\nwhile a:\n    a = a + 1\n", 2, 1, "loops"),
    ("subscript", "a = Value(1.0)\nb = a[0]\n", 2, 5, "subscripts"),
    ("undefined", "a = Value(1.0)\nb = a * q\n", 2, 9, "`q` is not defined"),
    ("use before definition", "b = a\na = Value(1.0)\n", 1, 5, "`a` is not defined"),
    ("division by zero numbers", "a = 1 / 0\n", 1, 9, "division by zero"),
    ("division by zero value", "a = Value(1.0)\nb = a / (a - a).relu()\n", 2, 9, "division by zero"),
    ("division by zero constant", "a = Value(1.0)\nb = a / 0.0\n", 2, 9, "division by zero"),
    ("log of zero", "a = Value(0.0)\nb = log(a)\n", 2, 5, "log"),
    ("log of negative", "a = Value(-2.0)\nb = a.log()\n", 2, 5, "log"),
    ("log of negative number", "b = log(-1)\n", 1, 5, "log"),
    ("overflow", "a = Value(1e200)\nb = a * a\n", 2, 5, "overflow"),
    ("overflow exp", "a = Value(1000.0)\nb = a.exp()\n", 2, 5, "overflow"),
    ("huge literal", "a = 1e400\n", 1, 5, "too large"),
    ("power tower", "a = 9 ** 9 ** 9\n", 1, 5, "overflow"),
    ("power tower on a value", "a = Value(9)**9**9**9\n", 1, 15, "overflow"),
    ("ten to the ten to the ten", "a = 10**10**10\n", 1, 5, "overflow"),
    ("value exponent", "a = Value(2.0)\nb = a ** a\n", 2, 10, "exponent"),
    ("complex result", "a = Value(-8.0)\nb = a ** 0.5\n", 2, 5, "real number"),
    ("zero to negative power", "a = Value(0.0)\nb = a ** -1\n", 2, 5, "division by zero"),
    ("comparison", "a = Value(1.0)\nb = a < 2\n", 2, 5, "comparisons"),
    ("condition", "a = Value(1.0)\nif a:\n    b = a\n", 2, 1, "conditions"),
    ("tuple", "a, b = 1, 2\n", 1, 1, "tuples"),
    ("chained assignment", "a = b = Value(1.0)\n", 1, 5, "chained"),
    ("function definition", "def f():\n    return 1\n", 1, 1, "function"),
    ("class", "class A:\n    pass\n", 1, 1, "class"),
    ("walrus", "a = (b := Value(1.0))\n", 1, 6, ":="),
    ("f-string", "a = Value(1.0, label=f'x')\n", 1, 22, "label"),
    ("bitwise", "a = Value(1.0)\nb = a @ a\n", 2, 5, "operator"),
    ("invert", "a = Value(1.0)\nb = ~a\n", 2, 5, "unary"),
    ("assign to Value", "Value = 3\n", 1, 1, "built-in"),
    ("function used as a value", "a = tanh\n", 1, 5, "call it"),
    ("Value of a Value", "a = Value(Value(1.0))\n", 1, 11, "number"),
    ("Value with unknown keyword", "a = Value(1.0, grad=2.0)\n", 1, 21, "no argument"),
    ("label not a string", "a = Value(1.0, label=3)\n", 1, 22, "label must be a string"),
    ("label with a line break", "a = Value(1.0)\na.label = 'x\\ny'\n", 2, 11, "control characters"),
    ("method with arguments", "a = Value(1.0)\nb = a.tanh(2)\n", 2, 5, "no arguments"),
    ("function with two arguments", "a = Value(1.0)\nb = tanh(a, a)\n", 2, 5, "exactly one"),
    ("backward with arguments", "a = Value(1.0)\na.backward(1)\n", 2, 1, "no arguments"),
    ("backward inside an expression", "a = Value(1.0)\nb = a.backward()\n", 2, 5, "own line"),
    ("boolean", "a = True\n", 1, 5, "not a number"),
    ("None", "a = None\n", 1, 5, "not a number"),
    ("complex literal", "a = 2j\n", 1, 5, "complex"),
    ("syntax error", "a = Value(1.0\n", 1, 10, "syntax error"),
    ("nothing assigned", "# nothing here\n", 1, 1, "nothing to trace"),
    ("del", "a = Value(1.0)\ndel a\n", 2, 1, "del"),
    ("with", "with a:\n    b = 1\n", 1, 1, "with"),
    ("global", "global a\n", 1, 1, "global"),
    ("augmented attribute", "a = Value(1.0)\na.label += 'x'\n", 2, 1, "not allowed"),
    ("label on an attribute", "a = Value(1.0)\na.b.label = 'x'\n", 2, 1, "set a label on a name"),
    ("backward on an expression", "a = Value(1.0)\n(a + a).backward()\n", 2, 2, "on a name"),
    ("two labels", "a = Value(1.0, 'x', label='y')\n", 1, 5, "one label"),
    ("Value without a number", "a = Value()\n", 1, 5, "takes a number"),
    ("400-digit integer", "a = 1" + "0" * 400 + "\n", 1, 5, "too large"),
    ("complex from numbers", "a = (-8.0) ** 0.5\n", 1, 5, "not a real number"),
    ("label too long", "a = Value(1.0)\na.label = '" + "x" * 201 + "'\n", 2, 11, "at most 200"),
    ("negated value exponent", "a = Value(1.0)\nb = a ** -a\n", 2, 10, "exponent"),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "column", "words"), REFUSALS, ids=[case[0] for case in REFUSALS]
)
def test_refusal_points_at_the_problem(name: str, text: str, line: int, column: int, words: str) -> None:
    error = refused(text, line, column, words)
    assert error.path == "f.gs"


def test_refusals_say_what_is_allowed_instead() -> None:
    error = refused("a = Value(1.0)\nb = print(a)\n", 2, 5, "print")
    assert "Value(" in error.hint and "tanh" in error.hint
    assert error.hint in str(error)


def test_columns_count_characters_not_bytes() -> None:
    refused("ééé = Value(1.0); b = ééé.data\n", 1, 23, "`.data`")


def test_undefined_name_lists_the_names_defined_so_far() -> None:
    error = refused("alpha = Value(1.0)\nbeta = alpha * gamma\n", 2, 16, "`gamma`")
    assert "alpha" in error.hint


def test_nul_character_is_refused_with_its_position() -> None:
    refused("a = Value(1.0)\nb = a\0\n", 2, 6, "NUL")


def test_not_utf8_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "latin1.gs"
    path.write_bytes(b"a = Value(1.0)\nb = a # caf\xe9\n")
    with pytest.raises(ExpressionError) as caught:
        load(path)
    assert (caught.value.line, caught.value.column) == (2, 12)
    assert "UTF-8" in caught.value.message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ExpressionError) as missing:
        load(tmp_path / "absent.gs")
    assert str(tmp_path / "absent.gs") in str(missing.value)
    assert missing.value.line == 0
    with pytest.raises(ExpressionError) as directory:
        load(tmp_path)
    assert "directory" in str(directory.value)


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.gs"
    line = b"a = Value(1.0)\n"
    with path.open("wb") as handle:
        handle.write(line * (core.language.MAX_FILE_BYTES // len(line) + 1))
    assert path.stat().st_size > core.language.MAX_FILE_BYTES
    with pytest.raises(ExpressionError) as caught:
        load(path)
    assert caught.value.line == 0
    assert f"{core.language.MAX_FILE_BYTES:,}" in str(caught.value)
    assert str(path) in str(caught.value)


def test_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ExpressionError):
        parse("#" * (core.language.MAX_FILE_BYTES + 1))


def test_node_count_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.language, "MAX_NODES", 100)
    # Line 1 makes one node; every later line makes two (the constant 1 and the sum).
    text = "x = Value(1.0)\n" + "x = x + 1\n" * 60
    error = refused(text, 51, 5, "more than 100 nodes")
    assert error.line == 51
    accepted = parse("x = Value(1.0)\n" + "x = x + 1\n" * 49)
    assert accepted.output.data == 50.0


def test_nesting_depth_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.language, "MAX_DEPTH", 50)
    with pytest.raises(ExpressionError) as caught:
        parse("x = Value(1.0)\ns = " + " + ".join(["x"] * 60) + "\n")
    assert "50" in caught.value.message and "deep" in caught.value.message
    assert caught.value.line == 2
    assert parse("x = Value(1.0)\ns = " + " + ".join(["x"] * 40) + "\n").output.data == 40.0


def test_deep_parentheses_are_refused() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("x = Value(1.0)\ny = " + "(" * 10_000 + "x" + ")" * 10_000 + "\n")
    assert "deep" in str(caught.value)


def test_long_sum_on_one_line_is_accepted() -> None:
    terms = [f"x{k}" for k in range(3000)]
    text = "".join(f"x{k} = Value({k}.0)\n" for k in range(3000)) + "s = " + " + ".join(terms) + "\ns\n"
    program = parse(text)
    assert program.output.data == sum(range(3000))
    program.output.backward()
    assert all(program.names[name].grad == 1.0 for name in terms)


def test_syntax_error_columns_count_characters() -> None:
    refused("é = Value(1.0\n", 1, 10, "never closed")
    refused("aé = 1 +* 2\n", 1, 9, "syntax error")


def test_tab_in_a_line_keeps_the_caret_under_the_column() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("ab = Value(1.0)\nb =\tab.data\n", "f.gs")
    assert (caught.value.line, caught.value.column) == (2, 5)
    lines = str(caught.value).splitlines()
    shown = next(k for k, line in enumerate(lines) if "ab.data" in line)
    assert lines[shown + 1].index("^") == lines[shown].index("ab.data")


def test_windows_line_endings() -> None:
    program = parse("a = Value(2.0)\r\nb = a * a\r\nb\r\n")
    assert program.output.data == 4.0
    refused("a = Value(1.0)\r\nb = a.data\r\n", 2, 5, "`.data`")


def test_error_on_a_continuation_line_points_at_that_line() -> None:
    refused("a = (Value(1.0) +\n   q)\n", 2, 4, "`q` is not defined")


def test_undefined_derivatives_do_not_stop_the_trace() -> None:
    # d sqrt(x)/dx at 0 is infinite: the graph still loads, and the trace reports inf, not an error.
    program = parse("x = Value(0.0)\ny = x ** 0.5\nz = y * 0\nw = z + y\n")
    t = trace(program.output)
    t.to_end()
    assert t.grad_so_far(0) == math.inf
    assert all(isinstance(t.describe(k), str) for k in range(len(t)))


# --- the interpreter against Python itself ---------------------------------------------------

# Programs in the shared subset of gradstep's language and Python, using only what micrograd has
# (+ - * / ** relu, unary -), so Python running the same text on micrograd's Value is a reference
# for the interpreter's precedence, reflected operators, constant folding and rebinding.

_subset_atoms = st.one_of(
    st.sampled_from(["a", "b", "c", "s"]),
    st.sampled_from(["2", "0.5", "3.0", "1e-3", "7"]),
)


def _subset_compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda x, op, y: f"{x} {op} {y}", inner, st.sampled_from(["+", "-", "*", "/"]), inner),
        st.builds(lambda x, k: f"{x} ** {k}", inner, st.sampled_from(["2", "3", "-1", "0.5", "2 ** -1"])),
        st.builds(lambda x: f"-{x}", inner),
        st.builds(lambda x: f"({x})", inner),
        st.builds(lambda x: f"({x}).relu()", inner),
    )


_subset_expressions = st.recursive(_subset_atoms, _subset_compound, max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(
    # Leaves away from tiny magnitudes, where micrograd's b * b**-1 cancels to noise that gradstep's
    # a / b avoids (tiny denominators have their own hand-checked test in test_engine).
    st.lists(st.one_of(st.just(0.0), st.floats(0.01, 2.0), st.floats(-2.0, -0.01)), min_size=3, max_size=3),
    st.lists(_subset_expressions, min_size=1, max_size=4),
)
def test_interpreter_agrees_with_python_running_micrograd(leaves: list[float], lines: list[str]) -> None:
    text = f"a = Value({leaves[0]!r})\nb = Value({leaves[1]!r})\nc = Value({leaves[2]!r})\ns = a\n"
    text += "".join(f"s = {line}\n" for line in lines)
    try:
        program = parse(text)
    except ExpressionError as error:
        numeric = ("division by zero", "overflow", "not a real number")
        assert any(word in error.message for word in numeric), error.message
        return
    namespace: dict[str, object] = {"Value": micrograd.engine.Value}
    try:
        exec(compile(text, "<micrograd reference>", "exec"), namespace)  # our own generated text
    except AttributeError:
        return  # `(2).relu()`: Python has no relu on a number; gradstep makes the number a leaf
    reference = namespace["s"]
    if not isinstance(reference, micrograd.engine.Value):
        return  # Python folded the whole line to a number, which gradstep makes a leaf
    ours = program.output
    assert math.isclose(ours.data, reference.data, rel_tol=1e-9, abs_tol=1e-9)
    ours.backward()
    try:
        reference.backward()
    except (ZeroDivisionError, OverflowError):
        return  # micrograd cannot differentiate 0 ** 0.5, or b ** -2 for a tiny b; gradstep can
    scale = max(1.0, *(abs(program.names[name].grad) for name in "abc"))
    for name in "abc":
        theirs = namespace[name]
        assert isinstance(theirs, micrograd.engine.Value)
        assert math.isclose(program.names[name].grad, theirs.grad, rel_tol=1e-9, abs_tol=1e-9 * scale), name


# --- the short way for + - * against the general way -------------------------------------------


def _graph_and_error(text: str) -> tuple[list[tuple[object, ...]], str | None]:
    """Every node the program's output depends on (creation order: op, data, label, operand
    positions), or the error's words and place."""
    try:
        program = parse(text)
    except ExpressionError as error:
        return [], str(error)
    result = core.trace(program.output)
    nodes = [
        (result.ops[i], result.data[i], result.labels[i], tuple(result.inputs(i))) for i in range(result.size)
    ]
    return nodes, None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["0.0", "1.5", "-2.0", "1e308", "-1e308"]), min_size=3, max_size=3),
    st.lists(_subset_expressions, min_size=1, max_size=4),
    st.sampled_from([12, 25, 1_000]),
)
@example(["1.5", "-2.0", "0.0"], ["s + a * b + c"] * 4, 12)  # crosses the limit in a + - * line
@example(["1e308", "1e308", "0.0"], ["a + b"], 1_000)  # overflows in a + - * line
def test_the_short_way_makes_the_graph_and_errors_of_the_general_way(
    leaves: list[str], lines: list[str], max_nodes: int
) -> None:
    text = f"a = Value({leaves[0]})\nb = Value({leaves[1]})\nc = Value({leaves[2]})\ns = a\n"
    text += "".join(f"s = {line}\n" for line in lines)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core.language, "MAX_NODES", max_nodes)  # near the limit too
        quick = _graph_and_error(text)
        patch.setattr(core.language, "_QUICK", {})  # every step the general way
        general = _graph_and_error(text)
    assert quick == general
