"""The timeline widget, driven in a small app of its own.

Expected numbers are derived by hand from the seed expression (a=2, b=-3, c=10, f=-2):
e = a*b = -6, d = e+c = 4, L = d*f = -8; grads L 1, d -2, f 4, e -2, c -2, a 6, b -4.
Nodes in creation order: a0 b1 c2 e3 d4 f5 L6. Events: forward e0 d1 L2, seed 3, then the
backward steps L4 f5 d6 e7 c8 b9 a10.
"""

from __future__ import annotations

import pytest
from gradstep.core import Trace, Value, parse, trace
from gradstep.core.examples import SEED
from gradstep.core.ops import format_number
from gradstep.tui.widgets.timeline import BREAKPOINT_MARKER, CURRENT_MARKER, SCROLL_MARGIN, Timeline
from textual.app import App, ComposeResult
from textual.widgets import Static


class TimelineApp(App[None]):
    """A timeline on its own, recording what it posts."""

    def __init__(self, shown: Trace) -> None:
        super().__init__()
        self.shown = shown
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("above")
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        timeline = self.query_one(Timeline)
        timeline.set_trace(self.shown)
        timeline.set_position(self.shown.position)
        timeline.focus()

    def on_timeline_selected(self, message: Timeline.Selected) -> None:
        self.selected.append(message.position)


def seed_trace() -> Trace:
    return trace(parse(SEED, "seed.gs").output)


def visible_lines(timeline: Timeline) -> list[str]:
    return [timeline.render_line(y).text for y in range(timeline.scrollable_content_region.height)]


def line_of(timeline: Timeline, index: int) -> str:
    """The rendered row of event ``index`` (which must be on screen)."""
    return visible_lines(timeline)[index - timeline.scroll_offset.y]


async def test_lines_describe_every_event_with_hand_derived_numbers() -> None:
    shown = seed_trace()
    shown.to_end()
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        timeline = app.query_one(Timeline)
        assert timeline.virtual_size.height == 11
        lines = visible_lines(timeline)[:11]
        expected = [
            ("forward", "e = a * b = -6"),
            ("forward", "d = e + c = 4"),
            ("forward", "L = d * f = -8"),
            ("seed", "L: seed, L.grad = 1"),
            ("backward", "L: backward through *, 2 contributions"),
            ("backward", "f: leaf, grad final = 4"),
            ("backward", "d: backward through +, 2 contributions"),
            ("backward", "e: backward through *, 2 contributions"),
            ("backward", "c: leaf, grad final = -2"),
            ("backward", "b: leaf, grad final = -4"),
            ("backward", "a: leaf, grad final = 6"),
        ]
        for index, (line, (phase, words)) in enumerate(zip(lines, expected, strict=True)):
            assert line.split()[-len(words.split()) :] == words.split(), line
            assert f"{index + 1:>2} {phase}" in line, line
        assert visible_lines(timeline)[11].strip() == ""


async def test_current_entry_is_marked_and_moves_with_the_position() -> None:
    shown = seed_trace()
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.query_one(Timeline)
        await pilot.pause()
        assert not any(line.startswith(CURRENT_MARKER) for line in visible_lines(timeline))
        timeline.set_position(5)
        await pilot.pause()
        marked = [i for i, line in enumerate(visible_lines(timeline)) if line.startswith(CURRENT_MARKER)]
        assert marked == [4]
        assert "L: backward through *" in visible_lines(timeline)[4]
        timeline.set_position(len(shown))
        await pilot.pause()
        marked = [i for i, line in enumerate(visible_lines(timeline)) if line.startswith(CURRENT_MARKER)]
        assert marked == [10]


async def test_enter_selects_the_highlighted_entry() -> None:
    shown = seed_trace()
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("home", "down", "down", "enter")
        assert app.selected == [3]  # event 2 (L = d * f) is on screen at position 3
        await pilot.press("end", "enter")
        assert app.selected[-1] == len(shown)
        await pilot.press("up", "up", "enter")
        assert app.selected[-1] == len(shown) - 2
        await pilot.press("pageup", "enter")
        assert app.selected[-1] == 1  # one page up from event 8 clamps at the first event
        await pilot.press("pagedown", "enter")
        assert app.selected[-1] == len(shown)


async def test_the_highlight_is_separate_from_the_current_marker() -> None:
    shown = seed_trace()
    shown.goto(4)
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.query_one(Timeline)
        await pilot.press("down", "down")
        assert timeline.highlighted == 5
        assert timeline.position == 4
        assert visible_lines(timeline)[3].startswith(CURRENT_MARKER)
        assert not visible_lines(timeline)[5].startswith(CURRENT_MARKER)
        assert app.selected == []


async def test_click_selects_the_clicked_entry() -> None:
    shown = seed_trace()
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(Timeline, offset=(10, 6))
        assert app.selected == [7]
        assert app.query_one(Timeline).highlighted == 6


async def test_breakpoint_entries_are_where_continue_stops() -> None:
    shown = seed_trace()
    b = shown.labels.index("b")
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.set_breakpoints(frozenset({b}))
        await pilot.pause()
        marked = [i for i, line in enumerate(visible_lines(timeline)) if line[1:2] == BREAKPOINT_MARKER]
        # b is a leaf: touched where e = a*b reads it (0), by e's backward step (which sends it a
        # grad) and by its own step.
        assert marked == [0, 7, 9]
        assert shown.next_touching([b]) == 1  # continue from the start stops just after event 0
        timeline.set_breakpoints(frozenset({shown.labels.index("d")}))
        await pilot.pause()
        marked = [i for i, line in enumerate(visible_lines(timeline)) if line[1:2] == BREAKPOINT_MARKER]
        # d: computed (1), read by L = d * f (2), L's step sends it a grad (4), its own step (6).
        assert marked == [1, 2, 4, 6]
        for k in range(len(shown)):
            assert timeline.touches_breakpoint(k) == (k in set(shown.touches(shown.labels.index("d"))))


async def test_no_trace_renders_blank_and_ignores_keys() -> None:
    class EmptyApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Timeline()

    app = EmptyApp()
    async with app.run_test(size=(40, 10)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.set_trace(None)
        timeline.focus()
        await pilot.press("down", "end", "enter")
        assert timeline.highlighted is None
        assert all(line.strip() == "" for line in visible_lines(timeline))


async def test_stepping_keeps_the_current_entry_in_view_with_context() -> None:
    shown = seed_trace()
    app = TimelineApp(shown)
    async with app.run_test(size=(60, 8)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.styles.height = 6
        await pilot.pause()
        height = timeline.scrollable_content_region.height
        assert height == 6
        for position in [*range(1, len(shown) + 1), *range(len(shown), 0, -1)]:
            timeline.set_position(position)
            await pilot.pause()
            current = position - 1
            top = timeline.scroll_offset.y
            assert top <= current < top + height
            assert line_of(timeline, current).startswith(CURRENT_MARKER)
            # Two rows of context on each side, unless the list ends first.
            assert current - top >= min(SCROLL_MARGIN, current)
            assert top + height - 1 - current >= min(SCROLL_MARGIN, len(shown) - 1 - current)


def long_chain_trace() -> Trace:
    """Over 200,000 events: 70,000 multiplications, each with its own constant leaf."""
    x = Value(1.0, label="x")
    for _ in range(70_000):
        x = x * 1.0001
    return trace(x)


async def test_200k_entries_render_only_visible_rows_and_scroll_to_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = long_chain_trace()
    assert len(shown) >= 200_000
    described: list[int] = []
    describe = shown.describe

    def counting_describe(k: int) -> str:
        described.append(k)
        return describe(k)

    monkeypatch.setattr(shown, "describe", counting_describe)
    app = TimelineApp(shown)
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.query_one(Timeline)
        await pilot.pause()
        height = timeline.scrollable_content_region.height
        assert timeline.virtual_size.height == len(shown)
        assert line_of(timeline, 0).split()[:2] == ["1", "forward"]
        # Virtualised: only rows on screen were ever described, not the 200,000 entries.
        assert 0 < len(described) <= 4 * height
        described.clear()

        await pilot.press("end")
        await pilot.pause()
        last = len(shown) - 1
        assert timeline.scroll_offset.y == len(shown) - height
        assert line_of(timeline, last).split()[:2] == [str(last + 1), "backward"]
        # x.grad = 1.0001 ** 70000: the product of every constant on the chain.
        assert (
            line_of(timeline, last)
            .rstrip()
            .endswith(f"x: leaf, grad final = {format_number(1.0001**70_000)}")
        )
        assert len(described) <= 4 * height

        shown.to_end()
        timeline.set_position(len(shown))
        timeline.set_position(0)
        timeline.set_position(len(shown) // 2)
        await pilot.pause()
        middle = len(shown) // 2 - 1
        top = timeline.scroll_offset.y
        assert top + SCROLL_MARGIN <= middle < top + height - SCROLL_MARGIN
        assert line_of(timeline, middle).startswith(CURRENT_MARKER)
        await pilot.press("enter")
        assert app.selected == [len(shown) // 2]
