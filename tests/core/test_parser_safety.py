"""The expression parser under attack: random text, random Python, and published sandbox escapes.

The property is the same throughout: ``parse`` either returns a ``Program`` made of gradstep
Values or raises ``ExpressionError`` - never another exception, never a hang (hypothesis deadlines)
and never a side effect (canary files that an executed escape would create must not appear).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from gradstep import core
from gradstep.core import ExpressionError, Program, Value, load, parse
from gradstep.core.engine import topological_order
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SAFETY = settings(
    max_examples=300,
    deadline=timedelta(seconds=5),  # a hang fails; the limit is far above any honest parse
    suppress_health_check=[HealthCheck.too_slow],
)


def parse_outcome(text: str) -> Program | ExpressionError:
    """Parse, returning the refusal instead of raising it; any other exception escapes the test."""
    try:
        program = parse(text, "attack.gs")
    except ExpressionError as error:
        assert error.message
        assert isinstance(error.line, int) and isinstance(error.column, int)
        str(error)  # the display itself must not fail
        return error
    check_only_values(program)
    return program


def check_only_values(program: Program) -> None:
    """An accepted program holds gradstep Values and floats, nothing else of Python's."""
    assert isinstance(program.output, Value)
    assert all(isinstance(value, Value) for value in program.names.values())
    for node in topological_order(program.output):
        assert type(node.data) is float
        assert isinstance(node.label, str)


# --- random text -----------------------------------------------------------------------------


@SAFETY
@given(st.text())
def test_random_text_is_accepted_or_refused(text: str) -> None:
    parse_outcome(text)


@SAFETY
@given(st.text(alphabet=st.sampled_from("aVxlue()=+-*/.,:;'\"_[]{}#\n\t 0123456789e")))
def test_random_text_from_a_python_alphabet_is_accepted_or_refused(text: str) -> None:
    parse_outcome(text)


@settings(max_examples=100, deadline=timedelta(seconds=5))
@given(st.binary(max_size=200))
def test_random_bytes_in_a_file_are_accepted_or_refused(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.gs"
        path.write_bytes(raw)
        try:
            check_only_values(load(path))
        except ExpressionError as error:
            assert str(path) in str(error)


# --- random Python ---------------------------------------------------------------------------

NAMES = [
    "a", "b", "x", "L", "Value", "tanh", "exp", "log", "relu", "sigmoid", "__import__", "__builtins__",
    "__class__", "eval", "exec", "open", "getattr", "print", "os", "sys", "type", "globals", "True", "None",
    "...", "_", "self", "lambda_",
]  # fmt: skip
ATTRIBUTES = [
    "label", "data", "grad", "tanh", "exp", "relu", "backward", "__class__", "__bases__", "__subclasses__",
    "__globals__", "__code__", "__mro__", "__dict__", "__reduce__", "gi_frame", "f_back", "f_globals",
    "format", "_a", "_op", "system", "__init__", "mro",
]  # fmt: skip
NUMBERS = ["0", "1", "2.5", "-3", "9", "1e308", "1e-320", "0.0", "10", "0x10", "1_000", "2j", "9" * 30]
STRINGS = ["'a'", "'__class__'", "'{0.__class__}'", "b'x'", "f'{a}'", "'''x'''", "r'\\n'"]
BINARY = ["+", "-", "*", "/", "**", "//", "%", "@", "<<", "&", "|", "^", "<", "==", " and ", " or ", " is "]
UNARY = ["-", "+", "~", "not ", "await ", "*"]

atoms = st.sampled_from(NAMES + NUMBERS + STRINGS)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(BINARY), inner),
        st.builds(lambda op, a: f"{op}{a}", st.sampled_from(UNARY), inner),
        st.builds(lambda a: f"({a})", inner),
        st.builds(lambda f, args: f"{f}({', '.join(args)})", inner, st.lists(inner, max_size=3)),
        st.builds(lambda f, a, k: f"{f}({a}, {k}={a})", inner, inner, st.sampled_from(["label", "key", "x"])),
        st.builds(lambda a, attr: f"{a}.{attr}", inner, st.sampled_from(ATTRIBUTES)),
        st.builds(lambda a, attr: f"{a}.{attr}()", inner, st.sampled_from(ATTRIBUTES)),
        st.builds(lambda a, i: f"{a}[{i}]", inner, inner),
        st.builds(lambda a: f"lambda: {a}", inner),
        st.builds(lambda a, b: f"[{a} for _ in {b}]", inner, inner),
        st.builds(lambda a, b: f"({a} for _ in {b})", inner, inner),
        st.builds(lambda a, b: f"{{{a}: {b}}}", inner, inner),
        st.builds(lambda a, b: f"({a}, {b})", inner, inner),
        st.builds(lambda a, b, c: f"{a} if {b} else {c}", inner, inner, inner),
        st.builds(lambda a: f"(y := {a})", inner),
        st.builds(lambda a: f"yield {a}", inner),
    )


expressions = st.recursive(atoms, _compound, max_leaves=12)
targets = st.sampled_from(["a", "b", "c", "s", "a.label", "a.data", "a.__class__", "x[0]", "__x", "Value"])

statements = st.one_of(
    st.builds(lambda t, e: f"{t} = {e}", targets, expressions),
    st.builds(lambda t, e: f"{t} += {e}", targets, expressions),
    st.builds(lambda e: e, expressions),
    st.builds(lambda e: f"{e}.backward()", expressions),
    st.sampled_from(
        [
            "import os",
            "from os import system",
            "del a",
            "pass",
            "global a",
            "for i in a:\n    pass",
            "while a:\n    break",
            "with a:\n    pass",
            "def f():\n    return a",
            "class A:\n    pass",
            "try:\n    pass\nexcept Exception:\n    pass",
            "@tanh\ndef f():\n    pass",
            "a: int = 1",
            "assert a",
            "raise a",
            "async def f():\n    await a",
        ]
    ),
)

PRELUDE = "a = Value(1.5, label='a')\nb = Value(-2.0)\nc = a * b\n"


@SAFETY
@given(st.lists(statements, min_size=1, max_size=6), st.sampled_from(["\n", "; "]))
def test_random_python_is_accepted_or_refused(lines: list[str], separator: str) -> None:
    parse_outcome(PRELUDE + separator.join(lines) + "\n")


# A grammar of only the allowed language, so acceptance is exercised as hard as refusal.
allowed_atoms = st.one_of(
    st.sampled_from(["a", "b", "c"]),
    st.floats(-1e3, 1e3, allow_nan=False).map(repr),
    st.sampled_from(["Value(2.0)", "Value(-1, 'k')", "Value(0.5, label='h')"]),
)


def _allowed_compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["+", "-", "*", "/"]), inner),
        st.builds(lambda a, k: f"({a}) ** {k}", inner, st.sampled_from(["2", "3", "-1", "0.5", "-0.5"])),
        st.builds(lambda op, a: f"{op}({a})", st.sampled_from(["-", "+"]), inner),
        st.builds(
            lambda f, a: f"{f}({a})", st.sampled_from(["tanh", "exp", "log", "relu", "sigmoid"]), inner
        ),
        st.builds(
            lambda f, a: f"({a}).{f}()", st.sampled_from(["tanh", "exp", "log", "relu", "sigmoid"]), inner
        ),
    )


allowed_expressions = st.recursive(allowed_atoms, _allowed_compound, max_leaves=10)


@SAFETY
@given(st.lists(allowed_expressions, min_size=1, max_size=5))
def test_random_allowed_programs_are_accepted_or_refused_for_a_numeric_reason(lines: list[str]) -> None:
    text = PRELUDE + "".join(f"s = {line}\n" for line in lines)
    outcome = parse_outcome(text)
    if isinstance(outcome, ExpressionError):
        numeric = ("division by zero", "log", "overflow", "not a real number", "too large")
        assert any(word in outcome.message for word in numeric), outcome.message


# --- published sandbox escapes ---------------------------------------------------------------

ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "a.__class__.__bases__[0].__subclasses__()",
    "a.__class__.__mro__[1].__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "str.__mro__[1]",
    "__import__('os').system('ls')",
    "__builtins__",
    "__builtins__.__import__('os')",
    "eval('1')",
    "exec('a = 1')",
    "compile('1', '', 'eval')",
    "open('/etc/passwd').read()",
    "getattr(a, '__globals__')",
    "getattr(getattr((), '__class__'), '__bases__')",
    "(x for x in []).gi_frame.f_back.f_globals",
    "a.tanh().gi_frame.f_globals['__builtins__']",
    "tanh.__code__",
    "tanh.__globals__",
    "Value.__init__.__globals__",
    "Value(1.0).__class__.__init__.__globals__['os']",
    "a.backward.__self__",
    "a.tanh.__func__",
    "'a'.format",
    "'{0.__class__.__bases__}'.format(a)",
    "print.__reduce__()",
    "type(a)",
    "vars()",
    "globals()",
    "locals()",
    "dir(a)",
    "breakpoint()",
    "help()",
    "input()",
    "__loader__",
    "__spec__",
    "a._op",
    "a._a",
    "Value._result",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "lambda: __import__('os')",
    "a.__dict__",
    "a.__reduce_ex__(2)",
    "Value(1.0, label=__import__('os').getcwd())",
    "Value(1.0, label='x'.upper())",
    "tanh(a, __import__('os'))",
    "Value(1.0, **{'label': 'x'})",
    "Value(*[1.0])",
    "(y := __import__('os'))",
    "f'{__import__(\"os\")}'",
    "a if __import__('os') else a",
]


@pytest.mark.parametrize("attack", ESCAPES)
def test_published_escape_is_refused_as_an_expression(attack: str) -> None:
    outcome = parse_outcome(PRELUDE + f"s = {attack}\n")
    assert isinstance(outcome, ExpressionError), attack
    assert outcome.line == 4


@pytest.mark.parametrize("attack", ESCAPES)
def test_published_escape_is_refused_as_a_statement(attack: str) -> None:
    outcome = parse_outcome(PRELUDE + f"{attack}\n")
    assert isinstance(outcome, ExpressionError), attack


STATEMENT_ESCAPES = [
    "import os",
    "import subprocess; subprocess.run(['ls'])",
    "from os import system",
    "a.__class__ = Value",
    "a.data = 1.0",
    "a.backward = tanh",
    "__builtins__ = 1",
    "del a",
    "def f():\n    yield 1",
    "class E(Exception):\n    pass",
    "@eval\ndef f():\n    pass",
    "a.label = __import__('os').getcwd()",
    "a.label = 'x' + 'y'",
    "with open('/etc/passwd') as handle:\n    pass",
    "try:\n    pass\nexcept:\n    pass",
]


@pytest.mark.parametrize("attack", STATEMENT_ESCAPES)
def test_statement_escape_is_refused(attack: str) -> None:
    assert isinstance(parse_outcome(PRELUDE + attack + "\n"), ExpressionError), attack


def test_nothing_is_ever_executed(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    target = repr(str(canary))
    attacks = [
        f"__import__('os').system('touch ' + {target})",
        f"open({target}, 'w')",
        f"__import__('pathlib').Path({target}).touch()",
        f"exec(\"open({target}, 'w')\")",
        f"eval(\"open({target}, 'w')\")",
        f"(x for x in []).gi_frame.f_globals['__builtins__'].open({target}, 'w')",
        f"().__class__.__bases__[0].__subclasses__()[0]({target})",
        f"Value(1.0, label=open({target}, 'w').name)",
        f"tanh(open({target}, 'w'))",
        f"a.label = open({target}, 'w').name",
    ]
    for attack in attacks:
        for text in (PRELUDE + f"s = {attack}\n", PRELUDE + attack + "\n", attack + "\n"):
            assert isinstance(parse_outcome(text), ExpressionError), text
    assert not canary.exists()
    assert list(tmp_path.iterdir()) == []


# --- resource attacks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "s = 10**10**10\n",
        "s = 9 ** 9 ** 9\n",
        "s = Value(9)**9**9**9\n",
        "s = Value(9) ** (9 ** 9 ** 9)\n",
        "s = (-9) ** 9 ** 9\n",
        "s = Value(2.0) ** 1e10\n",
        "s = 2.0 ** 99999 * Value(1.0)\n",
        "s = Value(1e300) * 1e300\n",
        "s = exp(Value(1e5))\n",
        "s = Value(1.0) * " + "9" * 5000 + "\n",
    ],
    ids=["10**10**10", "9**9**9", "Value(9)**9**9**9", "parenthesised tower", "negative tower",
         "value to 1e10", "float power", "product overflow", "exp overflow", "5000-digit literal"],
)  # fmt: skip
def test_explosive_arithmetic_is_refused(text: str) -> None:
    outcome = parse_outcome(text)
    assert isinstance(outcome, ExpressionError)
    assert outcome.line == 1


def test_ten_thousand_nested_parentheses_are_refused() -> None:
    outcome = parse_outcome("x = Value(1.0)\ny = " + "(" * 10_000 + "x" + ")" * 10_000 + "\n")
    assert isinstance(outcome, ExpressionError)
    assert "deep" in outcome.message


def test_hundred_thousand_unary_minus_are_refused() -> None:
    outcome = parse_outcome("x = Value(1.0)\ny = " + "- " * 100_000 + "x\n")
    assert isinstance(outcome, ExpressionError)
    assert "deep" in outcome.message


def test_deep_call_nesting_is_refused() -> None:
    outcome = parse_outcome("x = Value(0.1)\ny = " + "tanh(" * 5000 + "x" + ")" * 5000 + "\n")
    assert isinstance(outcome, ExpressionError)


def test_deep_nesting_leaves_the_recursion_limit_alone() -> None:
    before = sys.getrecursionlimit()
    parse_outcome("x = Value(1.0)\ny = " + "- " * 100_000 + "x\n")
    parse_outcome("x = Value(1.0)\ns = " + " + ".join(["x"] * 3000) + "\n")
    assert sys.getrecursionlimit() == before


def test_three_thousand_term_sum_on_one_line_is_accepted_and_correct() -> None:
    outcome = parse_outcome("x = Value(0.5, label='x')\ns = " + " + ".join(["x"] * 3000) + "\ns\n")
    assert isinstance(outcome, Program)
    assert outcome.output.data == 1500.0
    outcome.output.backward()
    assert outcome.names["x"].grad == 3000.0


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.gs"
    with path.open("w") as handle:
        handle.write("x = Value(1.0)\n")
        handle.write("# padding\n" * (core.language.MAX_FILE_BYTES // 10 + 1))
    outcome: Program | ExpressionError
    try:
        outcome = load(path)
    except ExpressionError as error:
        outcome = error
    assert isinstance(outcome, ExpressionError)
    assert "limit" in outcome.message


def test_huge_text_is_refused() -> None:
    outcome = parse_outcome("x = Value(1.0)\n" + " " * (core.language.MAX_FILE_BYTES + 1))
    assert isinstance(outcome, ExpressionError)


def test_long_label_is_refused() -> None:
    too_long = "x" * (core.language.MAX_LABEL + 1)
    assert isinstance(parse_outcome(f"a = Value(1.0, label='{too_long}')\n"), ExpressionError)
