"""Predict mode's core: the question order, the answer evaluator and the score.

References are by hand: the seed's contributions are worked out in the comments (L = d*f,
d = e + c, e = a*b with a=2, b=-3, c=10, f=-2), and the neuron's tanh from ``math.tanh``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from gradstep.core import load, parse, trace
from gradstep.core.examples import SEED
from gradstep.core.quiz import AnswerError, Quiz, evaluate_answer, hint, is_right
from gradstep.core.trace import Trace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def seed_quiz() -> Quiz:
    quiz = Quiz(trace(parse(SEED).output))
    quiz.start()
    return quiz


def a_plus_a_quiz() -> Quiz:
    quiz = Quiz(trace(load(EXAMPLES / "a_plus_a.gs").output))
    quiz.start()
    return quiz


def asked_operand(quiz: Quiz) -> str:
    question = quiz.question()
    assert question is not None
    return quiz.trace.name(question.operand)


def test_the_quiz_starts_with_forward_done_and_the_seed_set() -> None:
    quiz = seed_quiz()
    t = quiz.trace
    assert t.position == t.seed_index + 1
    assert t.grad_so_far(t.output) == 1.0
    assert all(t.value(i) is not None for i in range(t.size))
    assert quiz.total == 6 and quiz.score == "score 0/0"


def test_the_seed_asks_d_f_e_c_a_b_and_all_right_scores_6_of_6() -> None:
    quiz = seed_quiz()
    # L.grad = 1: d gets f*1 = -2, f gets d*1 = 4; d.grad = -2: e and c get 1*-2 = -2 each;
    # e.grad = -2: a gets b*-2 = 6, b gets a*-2 = -4.
    asked = []
    for answer in ["-2", "4", "-2", "-2", "6", "-4"]:
        asked.append(asked_operand(quiz))
        assert quiz.answer(answer).kind == "right"
    assert asked == ["d", "f", "e", "c", "a", "b"]
    assert quiz.score == "score 6/6"
    assert quiz.finished and quiz.missed() == []
    assert quiz.trace.position == len(quiz.trace)  # backward is done, leaves' steps included


def test_a_step_is_applied_only_once_all_its_edges_were_asked() -> None:
    quiz = seed_quiz()
    t = quiz.trace
    start = t.position
    quiz.answer("-2")  # d, from L: L's step is not shown yet (f is still to be asked)
    assert t.position == start
    assert t.grad_so_far(t.labels.index("d")) is None  # the screen still shows the grad before
    quiz.answer("4")  # f: now L's step is applied
    assert t.position == start + 1
    assert t.grad_so_far(t.labels.index("d")) == -2.0


def test_arithmetic_answers_are_evaluated_never_executed() -> None:
    quiz = seed_quiz()
    for answer in ["-2 * 1", "(2*2)", "-1 - 1", "1 * -2", "-3 * -2", "2 * (-2)"]:
        assert quiz.answer(answer).kind == "right", answer
    assert quiz.score == "score 6/6"


def test_wrong_answers_show_the_right_value_with_its_arithmetic_and_go_on() -> None:
    quiz = seed_quiz()
    quiz.answer("-2")
    verdict = quiz.answer("-4")  # f gets d * L.grad = 4 * 1 = 4
    assert verdict.kind == "wrong"
    assert verdict.explanation == "+4 from L: L.grad * d = 1 * 4"
    assert verdict.sentence == "✗ -4 is wrong: the right value is 4 (+4 from L: L.grad * d = 1 * 4)"
    assert asked_operand(quiz) == "e"  # it went on
    quiz.answer("-2")
    quiz.answer("-2")
    quiz.answer("6")
    verdict = quiz.answer("4")  # b gets a * e.grad = 2 * -2 = -4
    assert verdict.explanation == "-4 from e: e.grad * a = -2 * 2"
    assert quiz.score == "score 4/6"
    assert [str(m) for m in quiz.missed()] == ["*: 2 of 4 wrong"]


def test_a_malformed_answer_is_refused_and_not_counted() -> None:
    quiz = seed_quiz()
    for text in ["", "d", "f * L", "sqrt(4)", "2 ^ 3", "__import__('os')", "1/0", "a.data", "[1]"]:
        with pytest.raises(AnswerError):
            quiz.answer(text)
    assert quiz.score == "score 0/0" and asked_operand(quiz) == "d"
    assert quiz.answer("-2").kind == "right"
    assert quiz.score == "score 1/1"


def test_a_plus_a_asks_two_questions_for_one_operand() -> None:
    quiz = a_plus_a_quiz()
    first = quiz.question()
    assert first is not None and quiz.trace.name(first.operand) == "a"
    assert (first.number, first.of, first.grad_before) == (0, 2, 0.0)
    assert quiz.answer("1").kind == "right"
    second = quiz.question()
    assert second is not None and second.operand == first.operand and second.edge == first.edge + 1
    assert second.grad_before == 1.0  # the first edge's +1 is in before the second
    assert quiz.answer("2").kind == "wrong"  # the contribution is 1, not the total 2
    assert quiz.score == "score 1/2" and quiz.finished
    assert [str(m) for m in quiz.missed()] == ["+: 1 of 2 wrong"]


def test_a_skip_counts_as_asked_and_missed() -> None:
    quiz = a_plus_a_quiz()
    verdict = quiz.skip()
    assert verdict.kind == "skipped" and verdict.answer is None
    assert "the right value is 1" in verdict.sentence
    quiz.answer("1")
    assert quiz.score == "score 1/2"
    assert [str(m) for m in quiz.missed()] == ["+: 1 of 2 wrong (1 skipped)"]


def test_stepping_back_asks_again_but_only_the_first_answer_scores() -> None:
    quiz = seed_quiz()
    quiz.answer("0")  # d: wrong
    quiz.answer("4")
    quiz.trace.goto(quiz.trace.seed_index + 1)  # back before L's step, as N would
    assert asked_operand(quiz) == "d"
    verdict = quiz.answer("-2")
    assert verdict.kind == "right" and not verdict.counted
    assert quiz.score == "score 1/2"


def test_the_neurons_tanh_question_and_its_miss_by_op() -> None:
    quiz = Quiz(trace(load(EXAMPLES / "neuron.gs").output))
    quiz.start()
    assert asked_operand(quiz) == "n"
    # o = tanh(n): n gets (1 - o**2) * 1; o = tanh(0.8813735870195432) = 1/sqrt(2), so 0.5.
    o = math.tanh(2 * -3 + 0 * 1 + 6.8813735870195432)
    assert quiz.question().expected == pytest.approx(1 - o**2)  # type: ignore[union-attr]
    verdict = quiz.answer("0.7")
    assert verdict.explanation == "+0.5 from o: o.grad * (1 - o**2) = 1 * 0.5"
    assert [str(m) for m in quiz.missed()] == ["tanh: 1 of 1 wrong"]


def test_a_hint_names_the_nodes_and_not_the_number() -> None:
    quiz = seed_quiz()
    assert quiz.take_hint() == "dL/dd = f, so d.grad += f * L.grad"
    t: Trace = trace(load(EXAMPLES / "neuron.gs").output)
    assert hint(t, t.in_start[t.output]) == "do/dn = 1 - o**2, so n.grad += (1 - o**2) * o.grad"
    assert quiz.hints == 1 and quiz.score == "score 0/0"


def test_a_graph_without_edges_has_no_questions() -> None:
    quiz = Quiz(trace(parse("a = Value(2.0)\na\n").output))
    quiz.start()
    assert quiz.finished and quiz.question() is None
    with pytest.raises(LookupError):
        quiz.answer("1")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-2", -2.0),
        ("1e-3", 0.001),
        ("-2 * 3", -6.0),
        ("(7*2)", 14.0),
        ("2**-1", 0.5),
        ("-(1 + 2) / 4", -0.75),
        ("+3", 3.0),
        ("2 ** 3 ** 2", 512.0),  # ** is right-associative, as in the expression language
        ("inf", math.inf),
    ],
)
def test_the_evaluator_reads_numbers_and_arithmetic(text: str, value: float) -> None:
    assert evaluate_answer(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "type a number"),
        ("9**9**9", "too large"),
        ("1/0", "division by zero"),
        ("b", "b is a name"),
        ("sqrt(2)", "no functions"),
        ("2^3", "**"),
        ("(-8)**0.5", "not a real number"),
        ("True", "not a number"),
        ("'1'", "not a number"),
        ("1 if 1 else 2", "not a number or arithmetic"),
        ("x" * 201, "at most 200"),
        ("(" * 150 + "1" + ")" * 150, "at most 200"),
    ],
)
def test_the_evaluator_refuses_everything_else_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message.replace("*", r"\*").replace("(", r"\(")):
        evaluate_answer(text)


def test_right_means_within_1e_6_relative_or_the_six_digits_shown() -> None:
    exact = 0.41997434161402614  # tanh-ish, shown as 0.419974
    assert is_right(0.419974, exact)  # the 6 digits the app shows
    assert is_right(exact * (1 + 9e-7), exact)
    assert not is_right(exact * (1 + 2e-5), exact)
    assert is_right(0.0, 5.551115123125783e-17)  # 0.1 + 0.2 - 0.3 is 0 to a learner
    assert not is_right(0.001, 0.0)
    assert is_right(math.nan, math.nan) and not is_right(1.0, math.nan)
    assert is_right(math.inf, math.inf) and not is_right(1e308, math.inf)
