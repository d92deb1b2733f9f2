"""Predict mode and the nudge, driven with Pilot as a learner would: keys typed, enter pressed."""

from __future__ import annotations

from pathlib import Path

from gradstep.tui.app import GradstepApp
from gradstep.tui.quiz.bar import AnswerInput, QuizBar
from gradstep.tui.quiz.summary import SummaryScreen
from gradstep.tui.screens.nudge_step import NudgeStepScreen
from gradstep.tui.widgets.inspector import Inspector
from textual import events
from textual.pilot import Pilot

SIZE = (120, 40)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY_NAMES = {" ": "space", "*": "asterisk", "(": "left_parenthesis", ")": "right_parenthesis"}


async def type_answer(pilot: Pilot[int], text: str) -> None:
    """Type ``text`` into the focused input key by key, then press enter."""
    await pilot.press(*(KEY_NAMES.get(char, char) for char in text), "enter")
    await pilot.pause()


def status(app: GradstepApp) -> str:
    return app._status.plain


def bar(app: GradstepApp) -> QuizBar:
    return app.query_one(QuizBar)


async def test_a_whole_quiz_on_the_seed() -> None:
    app = GradstepApp(None, predict=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        graph = app.trace
        assert graph is not None and graph.position == graph.seed_index + 1  # forward done, seed set
        assert isinstance(app.focused, AnswerInput)
        assert "score 0/0" in status(app)
        prompts = []
        for answer in ["-2", "4", "-1 * 2", "(-2)", "-3 * -2", "2 * -2"]:
            prompts.append(str(app.query_one("#quiz-prompt").render()).strip())
            await type_answer(pilot, answer)
            assert bar(app).feedback.startswith("✓ right")
        assert prompts == [f"{name}.grad += ?" for name in "dfecab"]
        assert isinstance(app.screen, SummaryScreen)
        assert "score 6/6" in app.screen.plain
        assert "nothing: every contribution right the first time" in app.screen.plain
        assert graph.position == len(graph)
        await pilot.press("enter")  # back to the debugger, at the end
        assert not isinstance(app.screen, SummaryScreen)
        assert "score 6/6" in status(app)


async def test_wrong_malformed_hint_and_skip_in_the_answer_bar() -> None:
    app = GradstepApp(None, predict=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_answer(pilot, "f")  # a name: refused, not counted, retype
        assert bar(app).feedback.startswith("Not an answer: f is a name")
        assert "score 0/0" in status(app)
        await pilot.press("ctrl+u")
        await type_answer(pilot, "-2")
        assert "score 1/1" in status(app)
        await pilot.press("ctrl+t")  # the hint for f
        assert bar(app).feedback == "Hint: dL/df = d, so f.grad += d * L.grad"
        await type_answer(pilot, "-4")
        assert bar(app).feedback == "✗ -4 is wrong: the right value is 4 (+4 from L: L.grad * d = 1 * 4)"
        assert "score 1/2" in status(app)
        await pilot.press("ctrl+s")  # skip e
        assert bar(app).feedback.startswith("skipped: the right value is -2")
        assert "score 1/3" in status(app)
        for answer in ["-2", "6", "-4"]:
            await type_answer(pilot, answer)
        assert isinstance(app.screen, SummaryScreen)
        text = app.screen.plain
        assert "score 4/6" in text
        assert "*: 1 of 4 wrong" in text and "+: 1 of 2 wrong (1 skipped)" in text
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_plus_a_asks_twice_for_one_operand(tmp_path: Path) -> None:
    app = GradstepApp(str(EXAMPLES / "a_plus_a.gs"), predict=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        context = str(app.query_one("#quiz-context").render())
        assert "a.grad — (nothing yet)" in context and "edge 1 of 2" in context
        await type_answer(pilot, "1")
        context = str(app.query_one("#quiz-context").render())
        assert "a.grad 1 (from the edge before)" in context and "edge 2 of 2" in context
        await type_answer(pilot, "1")
        assert isinstance(app.screen, SummaryScreen) and "score 2/2" in app.screen.plain


async def test_p_turns_predict_mode_on_and_off_at_the_cursor(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        graph = app.trace
        assert graph is not None
        await pilot.press("n")  # in the forward pass: predict mode starts after the seed
        await pilot.press("p")
        assert bar(app).active and graph.position == graph.seed_index + 1
        assert isinstance(app.focused, AnswerInput) and "score 0/0" in status(app)
        await type_answer(pilot, "-2")
        await type_answer(pilot, "4")
        await pilot.press("escape", "p")  # to the tree, then predict mode off
        assert not bar(app).active and "score" not in status(app)
        assert graph.position == graph.seed_index + 2  # L's step was applied
        await pilot.press("n", "n")  # the ordinary debugger again: f's step, d's step
        assert graph.position == graph.seed_index + 4
        await pilot.press("p")  # on again, here: the next question is about e's step
        assert str(app.query_one("#quiz-prompt").render()).strip() == "a.grad += ?"


async def test_u_nudges_the_selected_node_and_U_changes_h(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")  # L, d, e: the cursor on e
        await pilot.press("u")
        text = app.query_one(Inspector).plain
        # e + h = -5.999, d = 4.001, L = -8.002: (L(e+h) - L(e)) / h = -2, the grad.
        assert "Nudge  e by h = 0.001" in text
        assert "L(e) = -8\n" in text and "L(e+h) = -8.002\n" in text
        assert "(L(e+h) - L(e)) / h = -2\n" in text
        assert "dL/de from backprop = -2\n" in text
        await pilot.press("U")
        assert isinstance(app.screen, NudgeStepScreen)
        await pilot.press("ctrl+u")
        await type_answer(pilot, "0.5")
        assert app.nudge_h == 0.5
        text = app.query_one(Inspector).plain
        assert "by h = 0.5" in text and "L(e+h) = -9\n" in text  # (-5.5 + 10) * -2
        await pilot.press("u")  # off again
        assert "Nudge" not in app.query_one(Inspector).plain


async def test_u_on_an_intermediate_node_says_its_inputs_are_held(seed_file: Path) -> None:
    app = GradstepApp(str(seed_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "u")  # d
        text = app.query_one(Inspector).plain
        assert "L(d+h) = -8.002" in text and "d's inputs held" in text


async def test_answers_typed_in_one_burst_each_meet_their_question() -> None:
    """Keys arriving together (a paste, a script, a fast typist): enter must submit the characters
    typed before it, not those behind it."""
    app = GradstepApp(None, predict=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst = "-3\b2\r4\r-2\r-2\r6\r-4\r"
        names = {"\r": "enter", "\b": "backspace", "-": "minus"}
        for char in burst:  # posted all at once, as a terminal's read delivers them
            key = names.get(char, char)
            app.post_message(events.Key(key, None if key in ("enter", "backspace") else char))
        await pilot.pause(0.5)
        assert isinstance(app.screen, SummaryScreen)
        assert "score 6/6" in app.screen.plain
