"""Check mode: *their* engine's backward, step by step, beside the chain rule.

The timeline lists their steps in their order, each ✓ or ✗ (what was wrong before backward runs is
the first line); ``c`` stops at the next ✗. The status line says what went wrong at the cursor. The
inspector shows the selected node's grad in their engine beside the chain rule's, and each
contribution of the current step beside the expected one, with the arithmetic. The tree marks with
✗ the nodes whose final grad is wrong. Everything shown comes from the ``Verdict``: nothing here
runs their code again.
"""

from __future__ import annotations

from typing import ClassVar

from gradstep.core.checker import Mismatch, Step, Verdict
from gradstep.core.ops import format_number
from gradstep.core.text import shown
from gradstep.tui.crash import run_or_raise
from gradstep.tui.widgets.keys_bar import PALETTE_HINT_WIDTH
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

_N = format_number


class CheckApp(App[int]):
    """The debugger in check mode over one ``Verdict``."""

    TITLE = "gradstep check"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next", "next step"),
        Binding("N", "previous", "previous step"),
        Binding("c", "next_problem", "continue to ✗"),
        Binding("C", "previous_problem", "back to ✗"),
        Binding("r", "start", "start"),
        Binding("q", "quit", "quit"),
    ]
    CSS = """
    #status { height: auto; max-height: 5; padding: 0 1; background: $panel; }
    #middle { height: 1fr; }
    #tree { width: 1fr; border: round $primary; }
    #inspector-box { width: 1fr; border: round $primary; }
    #timeline { height: 30%; min-height: 5; border: round $primary; }
    """

    def __init__(self, verdict: Verdict) -> None:
        super().__init__()
        self.verdict = verdict
        self.names = verdict.names
        self.before = [p for p in verdict.problems if p.step is None and p.kind in _BEFORE]
        # problems found after the last step (a step that never ran, a grad changed between steps)
        self.after = [p for p in verdict.problems if p.step is None and p not in self.before]
        # position 0 is "before backward"; position k is their step k
        self.position = 0
        self.selected: int | None = None
        self._tree_nodes: dict[int, TreeNode[int]] = {}

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="middle"):
            yield Tree[int](Text(""), id="tree")
            with VerticalScroll(id="inspector-box"):
                yield Static(id="inspector")
        yield OptionList(*self.timeline_options(), id="timeline")
        yield Footer(compact=True)

    def on_resize(self, event: events.Resize) -> None:
        # At 80 columns every key (q included) fits only without the palette's hint (ctrl+p still
        # works), as in the debugger.
        self.query_one(Footer).show_command_palette = event.size.width >= PALETTE_HINT_WIDTH

    def on_mount(self) -> None:
        self.query_one("#tree", Tree).border_title = "their graph (✗: final grad wrong)"
        self.query_one("#inspector-box").border_title = "inspector"
        self.query_one("#timeline", OptionList).border_title = "their steps"
        self.build_tree()
        self.show()

    def timeline_options(self) -> list[Option]:
        before_ok = not self.before
        first = Text("✓ " if before_ok else "✗ ", style="green" if before_ok else "bold red")
        first.append("before backward: ")
        first.append("values and grads as expected" if before_ok else shown(self.before[0].message, 200))
        options = [Option(first)]
        for step in self.verdict.steps:
            line = Text("✓ " if step.ok else "✗ ", style="green" if step.ok else "bold red")
            line.append(f"{step.number:>4}  ")
            line.append(shown(self.names[step.node], 40), style="bold")
            symbol = self.verdict.graph.symbol(step.node)
            if symbol:
                line.append(f" {symbol}", style="cyan")
            if step.problem is not None:
                line.append(f"  {step.problem.kind}", style="red")
            options.append(Option(line))
        return options

    def build_tree(self) -> None:
        tree: Tree[int] = self.query_one("#tree", Tree)
        graph = self.verdict.graph
        tree.root.set_label(self.node_label(graph.output))
        tree.root.data = graph.output
        self._tree_nodes = {graph.output: tree.root}
        self.fill(tree.root)
        tree.root.expand()

    def fill(self, parent: TreeNode[int]) -> None:
        """Add ``parent``'s operands (once; a node met again is a back-reference ↪)."""
        k = parent.data
        if k is None or parent.children:
            return
        for j in self.verdict.graph.operands[k]:
            if j in self._tree_nodes:
                label = Text("↪ ", style="dim")
                label.append(shown(self.names[j], 40))
                parent.add_leaf(label, data=j)
                continue
            has_operands = bool(self.verdict.graph.operands[j])
            child = parent.add(self.node_label(j), data=j, allow_expand=has_operands)
            self._tree_nodes[j] = child

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[int]) -> None:
        self.fill(event.node)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[int]) -> None:
        if event.node.data is not None:
            self.selected = event.node.data
            self.show_inspector()

    def node_label(self, k: int) -> Text:
        node = self.verdict.nodes[k]
        label = Text("✗ " if not node.ok else "  ", style="bold red")
        label.append(shown(self.names[k], 40), style="bold")
        symbol = self.verdict.graph.symbol(k)
        if symbol:
            label.append(f" {symbol}", style="cyan")
        label.append(f"  data {_N(node.data)}  grad {_N(node.got_grad)}")
        if not node.ok:
            label.append(f" (chain rule: {_N(node.expected_grad)})", style="red")
        return label

    # --- the cursor ----------------------------------------------------------------------------

    @property
    def step(self) -> Step | None:
        return self.verdict.steps[self.position - 1] if self.position > 0 else None

    def move(self, position: int) -> None:
        self.position = max(0, min(position, len(self.verdict.steps)))
        step = self.step
        if step is not None:
            self.selected = step.node
        self.show()

    def action_next(self) -> None:
        self.move(self.position + 1)

    def action_previous(self) -> None:
        self.move(self.position - 1)

    def action_start(self) -> None:
        self.move(0)

    def action_next_problem(self) -> None:
        """Stop at the next ✗ after the cursor, or at the end."""
        for position in range(self.position + 1, len(self.verdict.steps) + 1):
            if not self.verdict.steps[position - 1].ok:
                self.move(position)
                return
        self.move(len(self.verdict.steps))

    def action_previous_problem(self) -> None:
        for position in range(self.position - 1, 0, -1):
            if not self.verdict.steps[position - 1].ok:
                self.move(position)
                return
        self.move(0)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.move(event.option_index)

    # --- drawing -------------------------------------------------------------------------------

    def show(self) -> None:
        timeline = self.query_one("#timeline", OptionList)
        timeline.highlighted = self.position
        self.query_one("#status", Static).update(self.status_text())
        self.show_inspector()

    def status_text(self) -> Text:
        v = self.verdict
        text = Text()
        text.append(f"check {shown(v.engine, 60)} on {shown(v.source or 'debug()', 60)} · ")
        text.append(f"step {self.position} of {len(v.steps)}", style="bold")
        verdict = "all steps match the chain rule" if v.ok else f"first problem: {v.first_mismatch.kind}"  # type: ignore[union-attr]
        text.append(f" · {verdict}\n", style="green" if v.ok else "red")
        problem: Mismatch | None
        if self.position == 0:
            problem = self.before[0] if self.before else None
            if problem is None:
                text.append("before backward: every value as the file means it, every grad 0")
        else:
            step = self.step
            assert step is not None
            problem = step.problem
            if problem is None and self.position == len(v.steps) and self.after:
                problem = self.after[0]
            if problem is None:
                text.append(
                    f"✓ step {step.number}: {shown(self.names[step.node], 40)}'s _backward, "
                    "as the chain rule says"
                )
        if problem is not None:
            text.append(f"✗ {problem.kind}: ", style="bold red")
            text.append(shown(problem.message, 400))
        return text

    def show_inspector(self) -> None:
        self.query_one("#inspector", Static).update(self.inspector_text())

    def inspector_text(self) -> Text:
        v = self.verdict
        k = self.selected if self.selected is not None else v.graph.output
        node = v.nodes[k]
        text = Text()
        text.append(shown(self.names[k], 60), style="bold")
        symbol = v.graph.symbol(k)
        if symbol:
            text.append(f"  {symbol}", style="cyan")
        text.append(f"\ndata {_N(node.data)}\n")
        text.append("final grad: ")
        text.append(f"theirs {_N(node.got_grad)}", style="bold" if node.ok else "bold red")
        text.append(f" · chain rule {_N(node.expected_grad)}\n")
        step = self.step
        if step is not None and step.node == k:
            text.append(f"\nstep {step.number}: their {shown(self.names[k], 40)}.grad was {_N(step.grad)}")
            text.append(f" (chain rule: {_N(step.expected_grad)})\n")
            for c in step.contributions:
                mark = "✓" if c.ok else "✗"
                text.append(
                    f"{mark} → {shown(self.names[c.operand], 40)}", style="green" if c.ok else "bold red"
                )
                uses = f" (used {c.uses}×)" if c.uses > 1 else ""
                text.append(f"{uses}\n   theirs   {_N(c.before)} → {_N(c.after)}  (sent {_N(c.got)})\n")
                text.append(
                    f"   expected {_N(c.before)} → {_N(c.before + c.expected)}  (sent {_N(c.expected)})\n"
                )
                text.append(f"   {shown(c.formula, 200)}: {shown(c.arithmetic, 200)}\n", style="dim")
            for j, old, new in step.strays:
                text.append(
                    f"✗ stray: {shown(self.names[j], 40)}.grad {_N(old)} → {_N(new)}\n", style="bold red"
                )
            if step.problem is not None and step.problem.kind == "error":
                text.append("their _backward raised before it finished (see the status line)\n", style="red")
            elif not step.contributions:
                text.append("a leaf: its step sends nothing\n", style="dim")
        return text


_BEFORE = ("disconnected", "forward", "not-zeroed")


def run_check_app(verdict: Verdict) -> int:
    """Open check mode on ``verdict`` and return the exit status; raises ``DebuggerFailed``
    (``tui/crash.py``) when the app stopped on an error."""
    return run_or_raise(CheckApp(verdict))
