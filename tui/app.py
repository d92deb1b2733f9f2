"""The stepping debugger: composes the panes and drives one ``Trace`` with the keys.

The app owns the trace and the breakpoints; widgets get told what to show (attributes flow down)
and post messages when the person picks something (messages flow up). Nothing here computes a
gradient: every number on screen comes from the trace, which recorded backprop once.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from gradstep.core.examples import SEED, SEED_NAME
from gradstep.core.language import ExpressionError, Program, load, parse
from gradstep.core.nudge import NUDGE_H, Nudge, nudge
from gradstep.core.text import shown
from gradstep.core.trace import Trace, trace
from gradstep.tui import forked_load
from gradstep.tui.crash import run_guarded, run_or_raise
from gradstep.tui.loader import Loader, LoadFinished, LoadProgress, LoadRequest
from gradstep.tui.messages import ShowSubtree
from gradstep.tui.served import ServedFolder
from gradstep.tui.widgets.breadcrumb import SHOWN_CRUMBS, Breadcrumb
from gradstep.tui.widgets.error_panel import ErrorPanel
from gradstep.tui.widgets.graph_tree import GraphTree
from gradstep.tui.widgets.groups import GroupsView
from gradstep.tui.widgets.inspector import Inspector
from gradstep.tui.widgets.keys_bar import PALETTE_HINT_WIDTH, KeysBar
from gradstep.tui.widgets.status import StatusBar
from gradstep.tui.widgets.timeline import Timeline
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

if TYPE_CHECKING:
    from gradstep.tui.quiz.bar import QuizBar
    from gradstep.tui.widgets.loading import LoadingBar

POLL_SECONDS = 0.5
"""How often the open file is checked for changes (its mtime and size)."""

BACKGROUND_BYTES = forked_load.BACKGROUND_BYTES
"""Files from this size load in the background (tui/loader.py), with a progress bar; smaller ones
load at once (in milliseconds)."""

FileSignature = forked_load.Signature

GC_YOUNG = 10_000
"""Allocations between two of the cycle collector's young-generation runs while the app runs
(Python's default: 700). A step makes a few thousand short-lived objects (segments, strips), freed
by their counts, not by the collector; at 700 nearly every key paid for a run of the collector
(0.1 ms, and a costlier older-generation run every tenth). Restored when the app ends."""

USES_AFTER = 0.1
"""Seconds after a graph is shown that its table of uses is made (see ``_show_trace``)."""


class _Panes(Horizontal):
    """The tree beside the inspector. ``BLANK``: its children cover it, so the compositor, which
    asks every widget on screen for its lines on every frame, gets blank ones at once."""

    BLANK = True


class _TreePane(Vertical):
    """The breadcrumb above the tree (or the modules view); ``BLANK`` as ``_Panes``."""

    BLANK = True


class _MainScreen(Screen[int]):
    """The app's screen: ``BLANK`` (it draws nothing but its background), as ``_Panes``."""

    BLANK = True


_signature = forked_load.signature

_DRAW_NOW = callable(getattr(Screen, "_on_timer_update", None))
"""Whether this Textual's screen draws its dirty widgets in ``_on_timer_update`` (see
``GradstepApp._draw_now``; tested with Textual 8.0 to 8.2, as pyproject.toml declares)."""


class GradstepApp(App[int]):
    """Step backprop node by node over one graph: from a file, the built-in example, or ``debug()``.

    | Key | Action |
    | :- | :- |
    | `n` / `N` | Next / previous step. |
    | `c` / `C` | Continue to the next breakpoint or the end / reverse to the previous or the start. |
    | `r` | Restart at step 0. |
    | `b` | Toggle a breakpoint on the selected node. |
    | `/` | Jump to a node by label. |
    | `g` | Show the graph's modules (layers, neurons) in place of the tree, or the tree again. |
    | `p` | Predict mode on or off: work out each contribution before it is shown. |
    | `u` / `U` | Nudge the selected node by h and compare with its grad / change h. |
    | `o` | Open another file. |
    | `s` | Save an SVG screenshot. |
    | `x` | Export the current step (graph, walkthrough or trace) to a file. |
    | `?` | Help. |
    | `q` | Quit. |
    """

    CSS_PATH = "gradstep.tcss"
    TITLE = "gradstep"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step", "Next"),
        Binding("N", "step_back", "Prev"),
        Binding("c", "continue", "Cont"),
        Binding("C", "reverse_continue", "Rev"),
        Binding("r", "restart", "Start"),
        Binding("b", "toggle_breakpoint", "Break"),
        Binding("slash", "jump", "Jump"),
        Binding("g", "toggle_groups", "Groups"),
        # p and u show in the footer from FOOTER_ROOMY columns; narrower, the same keys work unseen
        # (the second binding of each), so the footer keeps n ... q at 80 columns.
        Binding("p", "toggle_predict", "Predict"),
        Binding("p", "toggle_predict_unseen", "Predict", show=False),
        Binding("u", "nudge", "Nudge"),
        Binding("u", "nudge_unseen", "Nudge", show=False),
        Binding("U", "nudge_step", "Nudge h", show=False),
        Binding("o", "open", "Open"),
        Binding("s", "screenshot_svg", "Shot", show=False),
        Binding("x", "export", "Export", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    FOOTER_ROOMY = 100
    """From this many columns the footer has room for p and u."""

    WIDE = 110
    """From this many columns the timeline is taller (12 rows, not 6) and the inspector keeps 30
    columns. Set on those two panes, not on the screen as Textual's breakpoints do: a class on the
    screen restyles every widget, which cost start-up time on every start."""

    def __init__(
        self,
        path: str | None = None,
        *,
        graph: Trace | None = None,
        title: str | None = None,
        watch: bool = True,
        served: ServedFolder | None = None,
        predict: bool = False,
    ) -> None:
        """Open ``path``, or ``graph`` (an in-memory trace, e.g. from ``debug()``), or the example.

        ``served``: the app runs for a browser (``gradstep serve``) and reads only in that folder.
        ``predict``: start in predict mode (``gradstep quiz``).
        """
        super().__init__()
        self.path = path
        self.served = served
        self.source_name = title or (path if path is not None else SEED_NAME)
        self.trace: Trace | None = graph
        self.breakpoints: set[int] = set()
        self.error: str | None = None
        self.screenshot_dir: str | None = None
        self._watch = watch and path is not None and graph is None
        self._signature: FileSignature | None = None
        self._initial_graph = graph
        self._inspected: tuple[int, int | None, int | None, int] | None = None
        self._crumbs: tuple[int, int, bool] | None = None
        self._predict = predict
        self.nudge_h = NUDGE_H
        """The step of the ``u`` nudge (``U`` changes it)."""
        self.nudged: Nudge | None = None
        """The nudge on show in the inspector (for its node), or None."""
        self._error_about_graph = True
        self.shown_path: str | None = None
        """The file whose graph is on screen (``path`` is the file watched: after a failed ``o``,
        the file opened, so that saving its fix loads it)."""
        self._loader = Loader(self)
        self._thresholds = gc.get_threshold()
        """The collector's thresholds before the app ran (see ``GC_YOUNG``)."""
        self._quiz_bar: QuizBar | None = None
        """Predict mode's answer bar: made and mounted when predict mode is first turned on."""
        self._loading_bar: LoadingBar | None = None
        """The progress of a big file's load: made and mounted when a first big load begins."""

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The panes are kept at hand: a step talks to each of them (and a message from the tree
        # may still arrive while the app closes, when querying for them would fail).
        self._status = StatusBar(id="status")
        self._tree = GraphTree(id="tree")
        self._breadcrumb = Breadcrumb(id="breadcrumb")
        self._inspector = Inspector(id="inspector")
        self._timeline = Timeline(id="timeline")
        self._groups = GroupsView(id="groups")
        self._keys = KeysBar(id="keys")
        yield self._status
        yield ErrorPanel(id="error")
        if self.path is not None and forked_load.in_background(_signature(self.path)):
            # its progress shows on the first frame
            yield self._make_loading_bar()
        with _Panes(id="panes"):
            with _TreePane(id="tree-pane"):
                yield self._breadcrumb
                yield self._tree
                yield self._groups
            yield self._inspector
        yield self._timeline
        if self._predict:
            yield self._make_quiz_bar()
        yield self._keys

    def _make_loading_bar(self) -> LoadingBar:
        from gradstep.tui.widgets.loading import LoadingBar

        self._loading_bar = LoadingBar(id="loading")
        return self._loading_bar

    @property
    def loading_bar(self) -> LoadingBar:
        """The bar that shows a big file's load (mounted under the status line on first use)."""
        if self._loading_bar is None:
            self.mount(self._make_loading_bar(), after="#error")
        assert self._loading_bar is not None
        return self._loading_bar

    def _hide_loading_bar(self) -> None:
        if self._loading_bar is not None:  # (none is made to be hidden)
            self._loading_bar.stop()

    def _make_quiz_bar(self) -> QuizBar:
        from gradstep.tui.quiz.bar import QuizBar

        self._quiz_bar = QuizBar(id="quiz")
        return self._quiz_bar

    def get_default_screen(self) -> Screen[int]:
        return _MainScreen(id="_default")

    def on_resize(self, event: events.Resize) -> None:
        # Below PALETTE_HINT_WIDTH every key of ours fits in the footer only without the palette's
        # hint (ctrl+p still works, and the help screen lists it).
        width = event.size.width
        self._keys.show_command_palette = width >= PALETTE_HINT_WIDTH
        for pane in (self._timeline, self._inspector):
            pane.set_class(width < self.WIDE, "-narrow")
        self.refresh_bindings()  # p and u in the footer or not (check_action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        roomy = self.size.width >= self.FOOTER_ROOMY
        if action in ("toggle_predict", "nudge"):
            return roomy
        if action in ("toggle_predict_unseen", "nudge_unseen"):
            return not roomy
        return True

    def on_mount(self) -> None:
        gc.set_threshold(GC_YOUNG, *self._thresholds[1:])
        if self._initial_graph is not None:
            self._show_trace(self._initial_graph)
        elif self.path is None:
            self._load_text(SEED, SEED_NAME)
        else:
            self._load_file(self.path)
        if self._watch:
            self.set_interval(POLL_SECONDS, self.check_file)
        self._tree.focus()
        if self._quiz_bar is not None and self._quiz_bar.active:
            self._quiz_bar.input.focus()

    @property
    def loading(self) -> bool:
        """Whether a file is loading in the background (see ``BACKGROUND_BYTES``)."""
        return self._loader.busy

    @property
    def graph_tree(self) -> GraphTree:
        return self._tree

    # --- loading -------------------------------------------------------------------------------

    def _load_text(self, text: str, name: str) -> None:
        try:
            program = parse(text, name)
        except ExpressionError as error:
            self._show_error(str(error))
            return
        self._accept(program)

    def _load_file(self, path: str, *, keep_position: bool = False, opening: bool = False) -> bool:
        """Load ``path``; on an error show it and keep the graph on screen. True when loaded.

        A big file loads in the background (False now; ``on_load_finished`` takes it from there).
        """
        self._signature = _signature(path)
        request = LoadRequest(path, keep_position, opening)
        if self.served is not None and (refusal := self.served.refusal(path)):
            self._load_failed(request, refusal)  # checked before every read, reloads included
            return False
        if forked_load.in_background(self._signature):
            self._loader.start(request, later=self.call_after_refresh)
            self.loading_bar.start(path)
            self._refresh_status()
            return False
        self._loader.cancel()  # a small file asked for now wins over a big one still loading
        self._hide_loading_bar()
        try:
            program = load(path)
        except ExpressionError as error:
            self._load_failed(request, str(error) if self.served is None else self.served.describe(error))
            return False
        except Exception as error:  # the core promises ExpressionError only; never crash anyway
            self._load_failed(request, f"{path}: error: could not load the file: {error!r}")
            return False
        self._accept(program, keep_position=keep_position)
        return True

    def on_load_progress(self, message: LoadProgress) -> None:
        if message.generation == self._loader.generation:
            self.loading_bar.report(message.stage, message.done, message.total)

    def on_load_finished(self, message: LoadFinished) -> None:
        if not self._loader.finished(message.generation):
            return  # a newer load superseded it
        self._hide_loading_bar()
        request = message.request
        if message.error is not None or message.graph is None:
            error = message.error or f"{request.path}: error: could not load the file"
            if isinstance(error, ExpressionError):
                error = str(error) if self.served is None else self.served.describe(error)
            self._load_failed(request, error)
        else:
            self._show_loaded(request.path, message.graph, keep_position=request.keep_position)
        if request.opening:
            self._opened(request.path, message.error is None)
        else:
            self._refresh_status()

    def _load_failed(self, request: LoadRequest, error: str) -> None:
        """Show why ``request`` failed; when it is not the graph's own file (a failed ``o``, or the
        file it left watched), say that it is the file opened that has the error."""
        other = request.path != self.shown_path
        if other and self.trace is not None:
            showing = self.shown_path or self.source_name
            error = (
                f"Could not open {shown(request.path, 200)}: still showing {shown(showing, 200)}.\n{error}"
            )
        self._show_error(error, about_graph=not other)

    def _accept(self, program: Program, *, keep_position: bool = False) -> None:
        try:
            graph = trace(program.output)
        except Exception as error:  # a bug in the core must not take the person's session down
            self._show_error(f"{program.path}: error: could not trace the graph: {error!r}")
            return
        self._show_loaded(program.path, graph, keep_position=keep_position)

    def _show_loaded(self, path: str, new: Trace, *, keep_position: bool = False) -> None:
        """Show the graph of the file ``path``. Only its trace is kept: the program's Values are
        not read again, and would hold as much memory again as the trace."""
        old = self.trace
        self.shown_path = path
        self._show_error(None)
        if keep_position and old is not None:
            self._carry_over(old, new)
        else:
            self.breakpoints = set()
            self._show_trace(new)

    def _carry_over(self, old: Trace, new: Trace) -> None:
        """After a reload: keep the step, the breakpoints and the open nodes, matched by name."""
        by_name: dict[str, int] = {}
        for i in range(new.size):
            if new.labels[i]:
                by_name.setdefault(new.labels[i], i)

        def match(i: int) -> int | None:
            label = old.labels[i]
            if label:
                return by_name.get(label)
            return i if i < new.size and new.labels[i] == "" and old.size == new.size else None

        self.breakpoints = {j for i in self.breakpoints if (j := match(i)) is not None}
        opened = {j for i in self.graph_tree.expanded if (j := match(i)) is not None}
        position = min(old.position, len(new))
        new.goto(position)
        self._show_trace(new, expanded=opened, groups_open=self._groups.expanded_paths)

    def _show_trace(
        self, graph: Trace, *, expanded: set[int] | None = None, groups_open: set[str] | None = None
    ) -> None:
        self.trace = graph
        self.nudged = None  # node numbers may mean other nodes now
        if self._predict:
            assert self._quiz_bar is not None  # composed, or mounted when p turned predict mode on
            self._quiz_bar.start(graph)  # a new graph, a new quiz (from the carried-over step)
        tree = self.graph_tree
        tree.set_trace(graph, expanded)
        self._groups.set_trace(graph, groups_open)
        tree.set_breakpoints(frozenset(self.breakpoints))
        # The inspector asks how a node is used from the first step on: the table of uses (30 ms
        # on the demo graph) is made while the app waits for the first key, not on that key. Not
        # at once after the refresh: its sort holds the GIL, and the writer thread still has the
        # frame to write.
        self.set_timer(USES_AFTER, lambda: self._index_uses(graph))
        timeline = self._timeline
        timeline.set_trace(graph)
        timeline.set_breakpoints(frozenset(self.breakpoints))
        self._refresh_view()
        # The graph, its trace and the tree's index are long-lived and hold no garbage cycles:
        # move them out of the cycle collector's reach, or every full collection during a step
        # walks all of them (seen: worst step 200 ms on the 65,818-node demo, 65 ms frozen).
        gc.freeze()

    def on_unmount(self) -> None:
        self._loader.cancel()
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()  # debug() returns the caller's process to the collector as it found it

    def _show_error(self, message: str | None, *, about_graph: bool = True) -> None:
        """Show ``message`` (None: no error); ``about_graph``: it is about the file of the graph on
        show (the status then says the graph is the last good one)."""
        self.error = message
        self._error_about_graph = about_graph
        self.query_one(ErrorPanel).show_error(message)
        self._refresh_status()

    def check_file(self) -> None:
        """Reload the file when its mtime or size changed since the last look; say so when it is gone."""
        if self.path is None or self._loader.busy:
            return
        signature = _signature(self.path)
        if signature == self._signature:
            return
        if signature is None:  # deleted or moved: the graph stays, and a fresh file loads again
            self._signature = None
            ours = self.path == self.shown_path
            self._show_error(
                f"{shown(self.path, 200)}: the file is gone (deleted or moved); "
                + ("showing the last good graph. " if self.trace is not None and ours else "")
                + "It loads again when the file is back.",
                about_graph=ours,
            )
            return
        self._load_file(self.path, keep_position=True)

    # --- redrawing after the cursor moves --------------------------------------------------------

    def _refresh_view(self) -> None:
        """Tell every pane where the cursor is now. Each does work bounded by what is on screen."""
        graph = self.trace
        tree = self.graph_tree
        if graph is not None:
            tree.show_position()
            self._timeline.set_position(graph.position)
            if self.showing_groups:
                self._groups.show_position()
        self._refresh_breadcrumb()  # now, not when the tree's message arrives: one repaint a step
        if self._quiz_bar is not None:
            self._quiz_bar.sync()
        self._show_inspector(self.selected_node)
        self._refresh_status()

    def _refresh_status(self) -> None:
        source = self.source_name if self.path is None else self.path
        if self.trace is not None and self.shown_path is not None:
            source = self.shown_path  # the graph's file (not the one a failed `o` watches)
        stale = self.error is not None and self._error_about_graph
        self._status.show(
            self.trace,
            source,
            len(self.breakpoints),
            stale=stale,
            note=None if self._quiz_bar is None else self._quiz_bar.score,
            loading=self._loader.busy,
        )

    def _show_inspector(self, node: int | None) -> None:
        # A step both redraws the inspector and, a moment later, hears the tree's highlight message
        # for the same node; draw once per (graph, cursor, node).
        shown = (id(self.trace), None if self.trace is None else self.trace.position, node, id(self.nudged))
        if shown == self._inspected:
            return
        self._inspected = shown
        self._inspector.show(self.trace, node, self.nudged)

    def _refresh_breadcrumb(self) -> None:
        tree = self.graph_tree
        spanning = tree.spanning
        shown = (id(spanning), tree.view_root, tree.reroots)
        if shown == self._crumbs:
            return
        self._crumbs = shown
        breadcrumb = self._breadcrumb
        if spanning is None:
            breadcrumb.show(None, [], 0)
            return
        root = tree.view_root
        breadcrumb.show(
            self.trace,
            spanning.ancestors(root, SHOWN_CRUMBS),
            spanning.depth[root],
            keep_line=tree.reroots,
        )

    @property
    def showing_groups(self) -> bool:
        """Whether the modules view is in the tree's place."""
        return self.query_one("#tree-pane").has_class("-groups")

    @property
    def selected_node(self) -> int | None:
        """The node the person is looking at: under the cursor of the pane on show (in the modules
        view, a group's line selects none, and the tree's cursor, which follows the steps, counts)."""
        if self.showing_groups and (node := self._groups.highlighted_node) is not None:
            return node
        return self.graph_tree.highlighted_node

    def _select(self, node: int) -> None:
        """Put the cursor of the pane on show on ``node`` (the tree if the modules view lacks it)."""
        if not (self.showing_groups and self._groups.reveal(node)):
            self._show_groups(False)
            self.graph_tree.reveal(node)
        self._show_inspector(node)

    def _show_groups(self, show: bool) -> None:
        if show == self.showing_groups:
            return
        self.query_one("#tree-pane").set_class(show, "-groups")
        if show:
            self._groups.show_position()
            node = self.graph_tree.highlighted_node
            if node is not None:
                self._groups.reveal(node)
            self.set_focus(self._groups)  # now: keys typed right after g go to the view
        else:
            self.set_focus(self.graph_tree)
        self._show_inspector(self.selected_node)

    def _move_to(self, position: int) -> None:
        graph = self.trace
        if graph is None:
            return
        graph.goto(position)
        self._refresh_view()

    # --- messages from the panes ---------------------------------------------------------------

    def on_graph_tree_node_highlighted(self, message: GraphTree.NodeHighlighted) -> None:
        if not self.showing_groups:  # hidden, the tree still follows the steps; the view decides
            self._show_inspector(message.node)

    def on_graph_tree_view_root_changed(self, message: GraphTree.ViewRootChanged) -> None:
        self._refresh_breadcrumb()

    def on_timeline_selected(self, message: Timeline.Selected) -> None:
        self._move_to(message.position)

    def on_inspector_node_clicked(self, message: Inspector.NodeClicked) -> None:
        self._select(message.node)

    def on_groups_view_node_highlighted(self, message: GroupsView.NodeHighlighted) -> None:
        self._show_inspector(message.node)

    def on_groups_view_node_chosen(self, message: GroupsView.NodeChosen) -> None:
        self._show_groups(False)
        self._select(message.node)

    def on_quiz_bar_moved(self, message: QuizBar.Moved) -> None:
        self._refresh_view()

    def on_quiz_bar_finished(self, message: QuizBar.Finished) -> None:
        if self._quiz_bar is not None and self._quiz_bar.quiz is not None:
            from gradstep.tui.quiz.summary import SummaryScreen

            self.push_screen(SummaryScreen(self._quiz_bar.quiz))

    def on_show_subtree(self, message: ShowSubtree) -> None:
        self.graph_tree.set_view_root(message.node)
        self.graph_tree.focus()

    # --- actions -------------------------------------------------------------------------------

    def action_step(self) -> None:
        """Apply the next event."""
        if self.trace is not None and self.trace.step():
            self._refresh_view()
            self._draw_now()

    def action_step_back(self) -> None:
        """Undo the last event."""
        if self.trace is not None and self.trace.back():
            self._refresh_view()
            self._draw_now()

    def _draw_now(self) -> None:
        """Put the panes a step changed on screen now, from this key's handler.

        Textual draws a refreshed widget once its own message loop, then the screen's, then the
        screen's update timer have each had their turn: for the five panes of a step, a dozen
        hops between tasks before the frame (0.3 ms of a key's 3.9 ms on the demo graph, measured
        through a terminal). Here the panes go straight into the screen's set of widgets to draw
        and the screen draws them as its timer would (one Textual internal, ``_DRAW_NOW``). Where
        that is not possible, a pane needs a layout, or predict mode's bar changes with the step,
        Textual draws them its own way.
        """
        screen = self.screen
        dirty = getattr(screen, "_dirty_widgets", None)
        if not _DRAW_NOW or not isinstance(dirty, set) or not isinstance(screen, _MainScreen):
            return
        if self.message_queue_size:
            return  # more keys waiting (a key held down, a burst): Textual draws once for them all
        if self._quiz_bar is not None and self._quiz_bar.active:
            return  # the answer bar's own widgets change too: one frame for all of them
        panes = [self._status, self._breadcrumb, self._tree, self._groups, self._inspector, self._timeline]
        if any(getattr(pane, "_layout_required", True) for pane in panes):
            return
        for pane in panes:
            if getattr(pane, "_repaint_required", False):
                pane._repaint_required = False
                dirty.add(pane)
        screen._on_timer_update()  # type: ignore[attr-defined]

    def action_continue(self) -> None:
        """Run to the next step that touches a breakpoint, or to the end."""
        graph = self.trace
        if graph is None:
            return
        target = graph.next_touching(self.breakpoints) if self.breakpoints else None
        self._move_to(len(graph) if target is None else target)

    def action_reverse_continue(self) -> None:
        """Run back to the previous step that touches a breakpoint, or to the start."""
        graph = self.trace
        if graph is None:
            return
        target = graph.previous_touching(self.breakpoints) if self.breakpoints else None
        self._move_to(0 if target is None else target)

    def action_restart(self) -> None:
        """Back to step 0: nothing computed, no grads."""
        self._move_to(0)

    def action_toggle_groups(self) -> None:
        """Show the graph's modules (layers, neurons, from labels like L0.N5.w0) or the tree again."""
        self._show_groups(not self.showing_groups)

    def _index_uses(self, graph: Trace) -> None:
        if graph is self.trace:
            graph.index_uses()

    def action_toggle_breakpoint(self) -> None:
        """Stop at every step that touches the selected node (or stop stopping)."""
        node = self.selected_node
        if node is None or self.trace is None:
            return
        self.breakpoints ^= {node}
        nodes = frozenset(self.breakpoints)
        self.graph_tree.set_breakpoints(nodes)
        self._timeline.set_breakpoints(nodes)
        self._refresh_status()
        state = "set on" if node in self.breakpoints else "cleared from"
        self.notify(f"Breakpoint {state} {shown(self.trace.name(node), 200)}", timeout=2, markup=False)

    async def action_toggle_predict(self) -> None:
        """Predict mode on or off at the cursor: each backward contribution is asked before it is shown."""
        graph = self.trace
        if graph is None:
            return
        self._predict = not self._predict
        if self._quiz_bar is None:
            await self.mount(self._make_quiz_bar(), before=self._keys)
        assert self._quiz_bar is not None
        if self._predict:
            self._quiz_bar.start(graph)  # moves the cursor past the seed if it is before it
            if self._quiz_bar.quiz is not None and self._quiz_bar.quiz.finished:
                self.notify(
                    "Nothing left to predict from here: step back (N, r) and press p again.", markup=False
                )
        else:
            self._quiz_bar.stop()
            (self._groups if self.showing_groups else self.graph_tree).focus()
        self._refresh_view()

    async def action_toggle_predict_unseen(self) -> None:
        await self.action_toggle_predict()

    def action_nudge_unseen(self) -> None:
        self.action_nudge()

    def action_nudge(self) -> None:
        """Show, for the selected node, (L(x+h) - L(x)) / h beside its grad (or stop showing it)."""
        node = self.selected_node
        if node is None or self.trace is None:
            return
        if self.nudged is not None and self.nudged.node == node:
            self.nudged = None
        else:
            self.nudged = nudge(self.trace, node, self.nudge_h)
        self._show_inspector(node)

    def action_nudge_step(self) -> None:
        """Ask for a new h for the nudge."""

        def chosen(h: float | None) -> None:
            if h is None:
                return
            self.nudge_h = h
            if self.nudged is not None and self.trace is not None:
                self.nudged = nudge(self.trace, self.nudged.node, h)
                self._show_inspector(self.selected_node)
            self.notify(f"Nudge h = {h:g}", timeout=2, markup=False)

        from gradstep.tui.screens.nudge_step import NudgeStepScreen

        self.push_screen(NudgeStepScreen(self.nudge_h), chosen)

    def action_jump(self) -> None:
        """Pick a node by label and put the tree's cursor on it."""
        graph = self.trace
        if graph is None:
            return

        def chosen(node: int | None) -> None:
            if node is not None and self.trace is graph:
                self._select(node)
                (self._groups if self.showing_groups else self.graph_tree).focus()

        from gradstep.tui.screens.jump import JumpScreen

        self.push_screen(JumpScreen(graph), chosen)

    def action_open(self) -> None:
        """Ask for a path and open it; an error is shown and the current graph stays."""

        def chosen(path: str | None) -> None:
            if path:
                self.open_path(path)

        start = str(Path(self.path).parent) + os.sep if self.path else ""
        from gradstep.tui.screens.open_file import OpenFileScreen

        self.push_screen(OpenFileScreen(start), chosen)

    def open_path(self, path: str) -> bool:
        """Open ``path`` in place of the current file. On an error, the current graph stays.

        True when loaded now; a big file loads in the background (False now).
        """
        path = os.path.expanduser(path)
        loaded = self._load_file(path, opening=True)
        if loaded or not self._loader.busy:
            self._opened(path, loaded)
        return loaded

    def _opened(self, path: str, loaded: bool) -> None:
        """After ``o``: watch ``path`` if it loaded, or if it is a file whose fix may yet load."""
        if loaded or (os.path.isfile(path) and (self.served is None or self.served.allows(path))):
            # Watch a broken file too: saving the fix loads it.
            self.path = path
            self.source_name = path
            if not self._watch:
                self._watch = True
                self.set_interval(POLL_SECONDS, self.check_file)
        else:
            self._signature = _signature(self.path) if self.path else None
        self._refresh_status()

    def action_screenshot_svg(self) -> None:
        """Save the screen as an SVG (in the current directory) and say where.

        After the next refresh: what the keys before ``s`` changed is on screen then (a panel one
        of them showed is laid out only on that refresh, and the SVG would lack it).
        """
        self.call_after_refresh(self._save_screenshot)

    def _save_screenshot(self) -> None:
        try:
            name = self.save_screenshot(path=self.screenshot_dir)
        except OSError as error:
            problem = shown(str(error.strerror or error), 300)
            self.notify(f"Could not save the screenshot: {problem}", severity="error", markup=False)
            return
        self.notify(f"Screenshot saved: {shown(name, 300)}", timeout=4, markup=False)

    def action_export(self) -> None:
        """Ask for a format and a path, then export the current step there (see tui/exports.py)."""
        graph = self.trace
        if graph is None:
            return
        position = graph.position
        heading = f"Export step {position} of {len(graph)} of {shown(self.source_name, 200)}"

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is not None and self.trace is graph:
                from gradstep.tui.app_export import export_step

                export_step(self, graph, position, *answer)

        stem = Path(self.path).stem if self.path else ("graph" if self._initial_graph is not None else "seed")
        from gradstep.tui.screens.export import ExportScreen

        self.push_screen(ExportScreen(heading, stem, position), chosen)

    def action_help(self) -> None:
        from gradstep.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quit(self) -> None:  # type: ignore[override]
        self._loader.cancel()  # a load still running stops at once: it would slow the way out
        self.exit(0)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Next step (n)", "Apply the next event", self.action_step)
        yield SystemCommand("Previous step (N)", "Undo the last event", self.action_step_back)
        yield SystemCommand("Continue (c)", "Run to the next breakpoint or the end", self.action_continue)
        yield SystemCommand(
            "Reverse continue (C)",
            "Run back to the previous breakpoint or the start",
            self.action_reverse_continue,
        )
        yield SystemCommand("Restart (r)", "Back to step 0", self.action_restart)
        yield SystemCommand("Toggle breakpoint (b)", "On the selected node", self.action_toggle_breakpoint)
        yield SystemCommand("Jump to node (/)", "Find a node by label", self.action_jump)
        yield SystemCommand(
            "Modules view (g)", "Layers and neurons from labels like L0.N5.w0", self.action_toggle_groups
        )
        yield SystemCommand(
            "Predict mode (p)",
            "Work out each backward contribution before it is shown",
            self.action_toggle_predict,
        )
        yield SystemCommand("Nudge (u)", "(L(x+h) - L(x)) / h for the selected node", self.action_nudge)
        yield SystemCommand("Nudge h (U)", "Change the h of the nudge", self.action_nudge_step)
        yield SystemCommand("Open file (o)", "Open another expression file", self.action_open)
        yield SystemCommand(
            "Save screenshot (s)", "An SVG in the current directory", self.action_screenshot_svg
        )
        yield SystemCommand(
            "Export this step (x)", "The graph, walkthrough or trace to a file", self.action_export
        )
        yield SystemCommand("Help (?)", "Keys and how to read the panes", self.action_help)


def run_app(path: str | None, *, served: bool = False) -> int:
    """Run the debugger on ``path`` (None: the built-in example) and return the exit status.

    ``served``: for a browser tab of ``gradstep serve``; only ``path``'s folder may be read.
    """
    return run_guarded(GradstepApp(path, served=ServedFolder.of(path) if served else None))


def run_on_trace(graph: Trace, title: str) -> int:
    """Run the debugger on an in-memory graph (``debug()``): no file, no reload.

    Raises ``DebuggerFailed`` (``tui/crash.py``) when the app stopped on an error."""
    return run_or_raise(GradstepApp(graph=graph, title=title))
