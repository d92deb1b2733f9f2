"""The inspector widget, driven in a small app of its own.

References are independent of the trace: numbers derived by hand, and the real ``micrograd``
package for the final grads of the shared-node example.
"""

from __future__ import annotations

import itertools

from gradstep.core import Trace, Value, load, parse, trace
from gradstep.core.examples import SEED
from gradstep.tui.widgets.inspector import CONSUMER_CAP, ROW_CAP, Inspector, slice_parts, word_breaks
from hypothesis import given
from hypothesis import strategies as st
from micrograd.engine import Value as MicrogradValue
from rich.cells import cell_len
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region


class InspectorApp(App[None]):
    """An inspector on its own, recording the nodes it reports clicked."""

    def __init__(self) -> None:
        super().__init__()
        self.clicked: list[int] = []

    def compose(self) -> ComposeResult:
        yield Inspector(id="inspector")

    def on_inspector_node_clicked(self, message: Inspector.NodeClicked) -> None:
        self.clicked.append(message.node)


def shown_text(app: InspectorApp) -> str:
    return app.query_one(Inspector).plain


def seed_trace() -> Trace:
    return trace(parse(SEED, "seed.gs").output)


def node(shown: Trace, label: str) -> int:
    return shown.labels.index(label)


async def test_seed_final_grads_are_shown_as_final() -> None:
    shown = seed_trace()
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        inspector = app.query_one(Inspector)
        hand_derived = {"a": "6", "b": "-4", "c": "-2", "d": "-2", "e": "-2", "f": "4", "L": "1"}
        for label, grad in hand_derived.items():
            inspector.show(shown, node(shown, label))
            await pilot.pause()
            text = shown_text(app)
            assert text.splitlines()[0].startswith(label)
            assert f"\ngrad   {grad}  final" in text, text


async def test_value_op_operands_local_derivatives_and_consumers() -> None:
    shown = seed_trace()
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "e"))
        await pilot.pause()
        text = shown_text(app)
        assert "e = a * b" in text
        assert "\nop     *" in text
        assert "\nvalue  -6" in text
        # Written with the graph's own names: the seed's e = a * b has real leaves a and b.
        assert "de/da = b = -3" in text
        assert "de/db = a = 2" in text
        assert "d(a*b)" not in text
        assert "used 1×" in text
        assert "\n  d = e + c" in text


async def test_before_the_forward_pass_nothing_is_invented() -> None:
    shown = seed_trace()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "e"))
        await pilot.pause()
        text = shown_text(app)
        assert "value  not computed yet" in text
        assert "grad   no grad yet" in text
        assert "de/da = b  (known once computed)" in text
        assert "= -3" not in text
        assert "nothing received yet" in text


async def test_seed_appears_in_the_output_ledger() -> None:
    shown = seed_trace()
    shown.goto(shown.seed_index + 1)
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "L"))
        await pilot.pause()
        text = shown_text(app)
        assert "grad 0 → 1  (seed)" in text
        assert "grad   1  so far" in text


async def test_shared_node_ledger_shows_both_contributions_and_the_running_sum() -> None:
    shown = trace(load("examples/shared.gs").output)
    b = node(shown, "b")
    # By hand: e = a*b = -6, m = b+c = 7, L = e*m. m.grad = e = -6, e.grad = m = 7.
    # b gets -6 * 1 from m first (m steps back before e), then 7 * a = 7 * 2 = 14 from e.
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        inspector = app.query_one(Inspector)
        m_step = shown.backward_index(shown.size - 2)
        shown.goto(m_step + 1)
        inspector.show(shown, b)
        await pilot.pause()
        text = shown_text(app)
        assert "grad 0 → -6" in text
        assert "(-6 from m: m.grad * 1 = -6 * 1)" in text
        assert "grad -6 → 8" not in text
        # Received at the step on screen; steps are numbered from 1, as in the status line.
        assert f"grad 0 → -6  step {m_step + 1}  ◀ now" in text
        assert "\n  = -6  so far" in text

        shown.to_end()
        inspector.show(shown, b)
        await pilot.pause()
        text = shown_text(app)
        first, second = text.index("grad 0 → -6"), text.index("grad -6 → 8")
        assert first < second
        assert "(+14 from e: e.grad * a = 7 * 2)" in text
        assert "\n  = 8  final" in text
        assert "◀ now" not in text  # the last step (a's) sent b nothing
        assert "used 2×" in text

    # The real micrograd agrees on the final grad.
    ma, mb, mc = MicrogradValue(2.0), MicrogradValue(-3.0), MicrogradValue(10.0)
    out = (ma * mb) * (mb + mc)
    out.backward()
    assert mb.grad == 8


async def test_a_plus_a_gets_one_then_two() -> None:
    shown = trace(load("examples/a_plus_a.gs").output)
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "a"))
        await pilot.pause()
        text = shown_text(app)
        assert text.index("grad 0 → 1") < text.index("grad 1 → 2")
        assert text.count("(+1 from") == 2
        assert "\n  = 2  final" in text
        assert "used 2×" in text


async def test_a_node_with_3000_consumers_draws_a_capped_view() -> None:
    x = Value(1.0, label="x")
    total = x
    for _ in range(2999):
        total = total + x
    shown = trace(total)
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "x"))
        await pilot.pause()
        text = shown_text(app)
        assert "used 3000×" in text
        assert f"… and {3000 - CONSUMER_CAP} more" in text
        assert f"… {3000 - ROW_CAP} earlier contributions" in text
        assert text.count("\n  grad ") == ROW_CAP
        assert "grad 2999 → 3000" in text  # the latest contributions are the ones drawn
        assert "\n  = 3000  final" in text


async def test_show_none_and_labels_are_not_markup() -> None:
    shown = trace(Value(2.0, label="[bold]x[/]\nnext") * 3)
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        inspector = app.query_one(Inspector)
        inspector.show(shown, 0)
        await pilot.pause()
        assert shown_text(app).startswith("[bold]x[/]\\x0anext")
        inspector.show(None, None)
        await pilot.pause()
        assert "Select a node" in shown_text(app)
        assert inspector.node is None


async def test_clicking_an_operand_posts_node_clicked() -> None:
    shown = seed_trace()
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "e"))
        await pilot.pause()
        lines = shown_text(app).splitlines()
        row = next(y for y, line in enumerate(lines) if line == "  b")
        await pilot.click(Inspector, offset=(3, row))  # inside the pane's one-column padding
        assert app.clicked == [node(shown, "b")]


async def test_a_constant_local_derivative_is_not_repeated() -> None:
    shown = seed_trace()
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(80, 40)) as pilot:
        app.query_one(Inspector).show(shown, node(shown, "d"))
        await pilot.pause()
        text = shown_text(app)
        assert "dd/de = 1\n" in text and "dd/dc = 1\n" in text
        assert "= 1 = 1" not in text
        assert "nothing received" not in text
        assert "(-2 from L: L.grad * f = 1 * -2)" in text  # d gets f = -2 from L = d * f


async def test_a_narrow_pane_breaks_the_arithmetic_before_the_numbers() -> None:
    shown = trace(load("examples/shared.gs").output)
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(34, 30)) as pilot:
        inspector = app.query_one(Inspector)
        inspector.show(shown, node(shown, "b"))
        await pilot.pause()
        lines = shown_text(app).splitlines()
        assert "    +14 from e: e.grad * a" in lines
        assert "      = 7 * 2" in lines
        assert all(len(line) <= inspector.scrollable_content_region.width for line in lines[-6:])


@given(
    words=st.lists(st.text(alphabet="abcdefghij()*+=.", min_size=1, max_size=30), min_size=1, max_size=12),
    start=st.integers(0, 4),
    width=st.integers(1, 40),
)
def test_word_breaks_fit_the_width_and_lose_only_the_spaces_they_break_at(
    words: list[str], start: int, width: int
) -> None:
    plain = " " * start + " ".join(words)
    spans = word_breaks(plain, start, width)
    assert all(end - begin <= width for begin, end in spans)
    # Consecutive spans either touch (a word cut) or skip exactly one space (a break).
    assert spans[0][0] == start and spans[-1][1] == len(plain)
    for (_, end), (begin, _) in itertools.pairwise(spans):
        assert begin == end or (begin == end + 1 and plain[end] == " ")
    # A break is taken at a space whenever a whole word fits: no span ends mid-word needlessly.
    for begin, end in spans[:-1]:
        if plain[end] != " " and " " in plain[begin + 1 : end]:
            raise AssertionError(f"cut mid-word at {end} although a space was available: {plain!r}")


def test_slice_parts_keeps_each_characters_style() -> None:
    bold, red = Style(bold=True), Style(color="red")
    line = [("grad ", None), ("-6", bold), (" step 5", red)]
    assert slice_parts(line, 3, 9) == [("d ", None), ("-6", bold), (" s", red)]
    assert slice_parts(line, 0, 14) == line


async def test_wide_characters_wrap_within_the_pane() -> None:
    weight = Value(0.5, label="权重" * 12)  # 24 characters, 48 cells
    shown = trace(weight * Value(2.0, label="x"))
    shown.to_end()
    app = InspectorApp()
    async with app.run_test(size=(40, 30)) as pilot:
        inspector = app.query_one(Inspector)
        inspector.show(shown, shown.output)
        await pilot.pause()
        width = inspector.scrollable_content_region.width
        drawn = [strip.text for strip in inspector.render_lines(Region(0, 0, *inspector.size))]
        assert all(cell_len(line) <= inspector.size.width for line in drawn)
        assert sum("权重" in line for line in drawn) >= 3  # the name's lines wrapped, not cut
        assert "权重" * 12 in shown_text(app)  # the text itself is whole
        assert width < 48
