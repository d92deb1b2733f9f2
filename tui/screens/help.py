"""The help screen: every key, and how to read the tree."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# gradstep — keys

Lowercase steps forward, uppercase steps back (as in gdb's reverse debugging).

| key | action |
|---|---|
| `n` / `N` | next step / previous step |
| `c` / `C` | continue to the next breakpoint or the end / back to the previous one or the start |
| `r` | restart: back to step 0 |
| `b` | toggle a breakpoint on the selected node (stop at any step that touches it, see below) |
| `/` | jump to a node by label |
| `g` | the modules view (layers, neurons, from labels like `L0.N5.w0`) in place of the tree, or back |
| `p` | predict mode on/off: each backward contribution is asked (`b.grad += ?`) before it is shown |
| `u` / `U` | nudge the selected node by h: `(L(x+h) - L(x)) / h` beside its grad / change h |
| `o` | open another expression file |
| `s` | save an SVG screenshot in the current directory |
| `x` | export this step (graph as DOT or SVG, walkthrough as Markdown, trace as JSON) to a path you confirm |
| `tab` | move between the tree, the inspector and the timeline |
| `ctrl+p` | command palette: every action by name |
| `?` | this help |
| `q` | quit |

A step **touches** a node when it computes it, reads it in the forward pass (`d = e + c` touches
`c`), sends it a grad, or is its own backward step: a breakpoint stops at each of those.

## The tree

The output is at the root and each node's operands are its children. Each line shows
the node, its op, `= value` and `grad`. `·` is a value the forward pass has not computed yet;
`—` is a grad nothing has been sent yet (it is not 0). The current step's node is highlighted;
the operands receiving its contributions are marked, with what they just received in brackets.

A node used in several places is drawn in full once; the other places show `↪ name  used k×`.
Select one (enter or click) to jump to the full node. Deep graphs are shown from a nearer root:
the line above the tree names the ancestors; click one, or press `shift+left` at the top, to go up.

Tree keys: `up`/`down`, `enter` (jump or expand), `space` expand/collapse, `shift+space` expand all,
`left`/`right` collapse/expand, `shift+left` parent, `shift+up`/`shift+down` siblings.

## The modules view (`g`)

Labels with dots (`L0.N5.w0`, as `gradstep.core.nn.MLP` writes them) name modules: the view groups the
graph's nodes into layers and neurons, with how many are computed and have (final) grads at this
step. An entry used on every forward pass (`L0.N5.out ×100`) opens into its occurrences. Select a
node to inspect it (its ledger stays in the inspector as you step); `enter` shows it in the tree.

## Predict mode (`p`, or `gradstep quiz`)

The answer bar asks, before each backward step is shown, what each operand receives:
`b.grad += ?`. Type a number or arithmetic (`-2 * 3`, `1e-3`, `(7*2)`) and press enter: right
(within 1e-6, or the 6 digits the app shows) applies the step; wrong shows the right value and
its arithmetic, and goes on. `ctrl+t` shows a hint (the local derivative with the node names),
`ctrl+s` skips, `escape` leaves the input for the panes (`shift+tab` comes back). The status
line keeps `score K/N` (right first time / asked); the end shows the ops you missed.

The file reloads when it changes on disk; an error is shown above the last good graph.
"""


class HelpScreen(ModalScreen[None]):
    """Keys and how to read the panes; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96%;
        max-width: 100;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
