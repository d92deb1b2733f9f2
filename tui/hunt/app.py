"""The hunt in the debugger: check mode over the planted run, with every answer hidden until asked.

Before the learner answers, nothing on screen says which step is wrong: the timeline lists the
steps without ✓/✗, the tree shows the run's grads without marks, the status line says where the
cursor is, and the inspector shows what the step did (the node's grad, each operand's grad before and
after, the local derivative's formula) but not what it should have done. ``c``/``C`` (to the next ✗)
are off. ``m`` marks the step at the cursor as the first wrong one and opens the kind picker; once a
kind is picked, the answer is judged and everything check mode shows is revealed, with the
comparison screen (``v`` shows it again).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from gradstep.core.hunt import Hunt, Judgement, judge
from gradstep.core.ops import format_number
from gradstep.core.planted import PlantKind
from gradstep.core.text import shown
from gradstep.tui.check_mode import CheckApp
from gradstep.tui.hunt.picker import KindPicker
from gradstep.tui.hunt.result import ComparisonScreen
from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown, OptionList, Tree
from textual.widgets.option_list import Option

_N = format_number

HELP = """\
# gradstep hunt — keys

A bug is planted in a lecture-style engine; this is its backward, step by step, in its own order.
Find the **first** step that went wrong: work out what each step should send (the inspector shows
the node's grad, each operand's grad before and after, and the local derivative's formula).

| key | action |
|---|---|
| `n` / `N` | next step / previous step |
| `r` | back to the start (before backward) |
| `m` | mark the step at the cursor as the first wrong one, then pick the kind of bug |
| `v` | after answering: the correct run beside the planted one again |
| `c` / `C` | after answering: to the next ✗ / back to the previous one |
| `ctrl+p` | command palette: every action by name |
| `?` | this help |
| `q` | quit |

The kinds: `overwrite` (= where += belongs), `local` (a wrong local derivative in one op),
`missing` (a step sends nothing), `order` (a step runs before its node has its whole grad),
`seed` (the output's grad is not 1 when backward starts).

`gradstep hunt FILE --seed N` plants the same bug every time; the seed of each hunt is in the
status line.
"""


class HuntHelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close"),
        Binding("question_mark,q", "close", "close", show=False),
    ]
    DEFAULT_CSS = """
    HuntHelpScreen { align: center middle; }
    HuntHelpScreen > VerticalScroll {
        width: 90%; max-width: 90; height: 90%; border: thick $primary; background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)


class HuntApp(CheckApp):
    """Check mode over a hunt's planted run, its answers hidden until the learner answers."""

    TITLE = "gradstep hunt"
    BINDINGS: ClassVar[list[BindingType]] = [
        # check mode's keys, worded shorter so that m and ? stay in the footer at 80 columns
        Binding("n", "next", "next"),
        Binding("N", "previous", "prev"),
        Binding("c", "next_problem", "to ✗"),
        Binding("C", "previous_problem", "back to ✗"),
        Binding("m", "mark", "mark first wrong"),
        Binding("v", "compare", "comparison"),
        Binding("question_mark", "help", "help"),
    ]

    def __init__(self, hunt: Hunt) -> None:
        super().__init__(hunt.planted.verdict)
        self.hunt = hunt
        self.judgement: Judgement | None = None

    @property
    def answered(self) -> bool:
        return self.judgement is not None

    def on_mount(self) -> None:
        # CheckApp's own on_mount runs after this one (Textual calls each class's handler) and sets
        # titles that speak of ✗: set the hunt's once it is done.
        self.call_later(self.set_titles)

    def set_titles(self) -> None:
        tree, timeline = self.query_one("#tree", Tree), self.query_one("#timeline", OptionList)
        if self.answered:
            tree.border_title = "the planted run's graph (✗: final grad wrong)"
            timeline.border_title = "the planted run's steps"
        else:
            tree.border_title = "the planted run's graph (final grads)"
            timeline.border_title = "its steps (m: mark the first wrong one)"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _STEPPING and len(self.screen_stack) > 1:
            return False  # the picker, the comparison or the help is on top: its own keys only
        if action in ("next_problem", "previous_problem", "compare"):
            return self.answered
        if action == "mark":
            return not self.answered
        return True

    # --- what is shown before the answer -------------------------------------------------------

    def timeline_options(self) -> list[Option]:
        if self.answered:
            return super().timeline_options()
        options = [Option(Text("  before backward"))]
        for step in self.verdict.steps:
            line = Text(f"  {step.number:>4}  ")
            line.append(shown(self.names[step.node], 40), style="bold")
            symbol = self.verdict.graph.symbol(step.node)
            if symbol:
                line.append(f" {symbol}", style="cyan")
            options.append(Option(line))
        return options

    def node_label(self, k: int) -> Text:
        if self.answered:
            return super().node_label(k)
        node = self.verdict.nodes[k]
        label = Text("  ")
        label.append(shown(self.names[k], 40), style="bold")
        symbol = self.verdict.graph.symbol(k)
        if symbol:
            label.append(f" {symbol}", style="cyan")
        label.append(f"  data {_N(node.data)}  grad {_N(node.got_grad)}")
        return label

    def status_text(self) -> Text:
        if self.answered:
            assert self.judgement is not None
            text = Text(
                "✓ " if self.judgement.right else "✗ ",
                style="bold green" if self.judgement.right else "bold red",
            )
            text.append(self.judgement.message + "\n")
            text.append_text(super().status_text())
            return text
        v = self.verdict
        text = Text()
        text.append(f"hunt on {shown(self.hunt.path, 60)} · seed {self.hunt.seed} · ")
        text.append(f"step {self.position} of {len(v.steps)}\n", style="bold")
        step = self.step
        if step is None:
            text.append("a bug is planted: step with n, press m at the step that went wrong first")
            for kind, why in self.hunt.survey.hidden:
                text.append(f"\nthis file cannot reveal {kind}: ", style="dim")
                text.append(shown(why, 200), style="dim")
        else:
            text.append(f"step {step.number}: {shown(self.names[step.node], 40)}'s _backward ran")
            text.append(" · m: mark it as the first wrong step", style="dim")
        return text

    def inspector_text(self) -> Text:
        if self.answered:
            return super().inspector_text()
        v = self.verdict
        k = self.selected if self.selected is not None else v.graph.output
        node = v.nodes[k]
        text = Text()
        text.append(shown(self.names[k], 60), style="bold")
        symbol = v.graph.symbol(k)
        if symbol:
            text.append(f"  {symbol}", style="cyan")
        text.append(f"\ndata {_N(node.data)}\nfinal grad in this run: {_N(node.got_grad)}\n")
        operands = v.graph.operands[k]
        if operands:
            text.append("operands: ")
            text.append(", ".join(f"{shown(self.names[j], 30)} = {_N(v.graph.data[j])}" for j in operands))
            text.append("\n")
        step = self.step
        if step is not None and step.node == k:
            text.append(f"\nstep {step.number}: {shown(self.names[k], 40)}.grad was {_N(step.grad)}\n")
            for c in step.contributions:
                uses = f" (used {c.uses}×)" if c.uses > 1 else ""
                text.append(f"→ {shown(self.names[c.operand], 40)}{uses}: ", style="bold")
                text.append(f"grad {_N(c.before)} → {_N(c.after)}\n")
                text.append(f"   {c.formula}\n", style="dim")
            if not step.contributions:
                text.append("a leaf: its step sends nothing\n", style="dim")
        return text

    # --- answering -----------------------------------------------------------------------------

    def action_mark(self) -> None:
        if self.answered:
            return
        if self.step is None:
            self.notify(
                "step first (n): mark a step of backward, not the start", severity="warning", markup=False
            )
            return
        marked = self.position
        self.push_screen(KindPicker(marked, self.hunt.survey.hidden), lambda kind: self.answer(marked, kind))

    def answer(self, marked: int, kind: PlantKind | None) -> None:
        """Judge the answer, reveal what check mode shows, and open the comparison."""
        if kind is None or self.answered:
            return
        self.judgement = judge(self.hunt, marked, kind)
        timeline = self.query_one("#timeline", OptionList)
        timeline.clear_options()
        timeline.add_options(self.timeline_options())
        for k, node in self._tree_nodes.items():
            node.set_label(self.node_label(k))
        self.set_titles()
        self.show()
        self.refresh_bindings()
        self.action_compare()

    def action_compare(self) -> None:
        if self.judgement is not None and not isinstance(self.screen, ComparisonScreen):
            self.push_screen(ComparisonScreen(self.hunt, self.judgement))

    def action_help(self) -> None:
        if not isinstance(self.screen, HuntHelpScreen):
            self.push_screen(HuntHelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Next step (n)", "Go to the next step", self.action_next)
        yield SystemCommand("Previous step (N)", "Go to the previous step", self.action_previous)
        yield SystemCommand("Start (r)", "Back to before backward", self.action_start)
        if self.answered:
            yield SystemCommand(
                "Comparison (v)", "The correct run beside the planted one", self.action_compare
            )
            yield SystemCommand("Continue to ✗ (c)", "The next wrong step", self.action_next_problem)
        else:
            yield SystemCommand(
                "Mark first wrong step (m)",
                "Mark the step at the cursor, then pick the kind",
                self.action_mark,
            )
        yield SystemCommand("Help (?)", "The hunt's keys", self.action_help)


_STEPPING = ("next", "previous", "start", "next_problem", "previous_problem", "mark", "compare")


def run_hunt_app(hunt: Hunt) -> int:
    """Open the hunt and return the exit status."""
    result = HuntApp(hunt).run()
    return result if isinstance(result, int) else 0
