"""The graph's nodes grouped by the modules their labels name: ``L0.N5.w0`` is in ``L0`` › ``L0.N5``.

A network built with a Module helper (core/nn.py, or micrograd's nn.py with labels added) names
its nodes by where they live, and a person learning backprop thinks in those terms: layer 0,
neuron 5, its weights' grads, the neuron's 100 outputs (one per data point). The graph itself has
no such structure, so it is read back from the labels: every label holding a ``.`` is split on
``.``; each prefix (``L0``, ``L0.N5``) is a *group*, the whole label is an *entry* holding every
node with exactly that label, in creation order. Labels without a dot (``x3[0]``, ``loss``) are not
grouped. The two kinds are one kind of *item* here: an item has its own nodes (an entry), children
(a group), or, when a label is also another label's prefix, both.

A summary at the cursor (how many of an item's nodes are computed, have a grad, have a final grad)
is asked for every visible row on every step, so it must not walk the item's nodes. Each of those
states begins at one known event of the node (``forward_index``, ``first_grad_event``,
``backward_index``), so each item keeps those events sorted for all the nodes under it, and a
count at cursor ``p`` is the number of events before ``p``: one ``bisect`` per count.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass

from .trace import INDEX, Trace


@dataclass(frozen=True, slots=True)
class Summary:
    """An item's nodes (its own and every descendant's) at one cursor position.

    Leaves (a network's parameters) exist from the start and matter for their grads; computed
    nodes (``results``) also matter for when the forward pass reaches them. So they are counted
    apart; the totals are properties.
    """

    leaves: int
    leaves_with_grad: int
    leaves_final: int
    results: int
    results_computed: int
    results_with_grad: int
    results_final: int

    @property
    def nodes(self) -> int:
        return self.leaves + self.results

    @property
    def computed(self) -> int:
        """Nodes with a value at the cursor (a leaf always has one)."""
        return self.leaves + self.results_computed

    @property
    def with_grad(self) -> int:
        return self.leaves_with_grad + self.results_with_grad

    @property
    def final(self) -> int:
        return self.leaves_final + self.results_final


class ModuleTree:
    """The module groups of a trace's labels, with per-item summaries in O(log nodes).

    Items are numbered 0..len-1 in order of first appearance: a label's prefixes get their numbers
    when the first node whose label has them is created, so children come in creation order
    (``N0, N1, …, N10``, not string order). Built in one pass over the labels (each labelled node
    is added to its entry and each of the entry's ancestors, so O(nodes × label depth)) plus one
    sort of the labelled nodes by the event of their first grad.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.names: list[str] = []
        """Each item's last label part (``w0`` for ``L0.N5.w0``)."""
        self.paths: list[str] = []
        """Each item's whole dotted name (``L0.N5.w0``)."""
        self.parent = array(INDEX)
        """Each item's parent item, -1 for a top-level group."""
        self.depth = array(INDEX)
        self.children: list[list[int]] = []
        self.roots: list[int] = []
        """The top-level groups, in order of first appearance."""
        self.item_of = array(INDEX, [-1]) * trace.size
        """Node -> the entry holding it, -1 for a node whose label has no dot."""
        self._by_path: dict[str, int] = {}
        own: list[list[int]] = []
        labels, item_of = trace.labels, self.item_of
        for i in range(trace.size):
            label = labels[i]
            if "." not in label:
                continue
            item = self._by_path.get(label)
            if item is None:
                item = self._add(label)
                own.extend([] for _ in range(len(self.paths) - len(own)))
            own[item].append(i)
            item_of[i] = item
        self._own = [array(INDEX, nodes) for nodes in own]
        self._collect_events()

    def _add(self, label: str) -> int:
        """Create the items for ``label`` and whichever of its prefixes are new; return its item."""
        parts = label.split(".")
        parent = -1
        path = ""
        for depth, part in enumerate(parts):
            path = part if depth == 0 else f"{path}.{part}"
            item = self._by_path.get(path)
            if item is None:
                item = len(self.paths)
                self._by_path[path] = item
                self.names.append(part)
                self.paths.append(path)
                self.parent.append(parent)
                self.depth.append(depth)
                self.children.append([])
                (self.children[parent] if parent >= 0 else self.roots).append(item)
            parent = item
        return parent

    def _collect_events(self) -> None:
        """For each item, the sorted events at which the nodes under it change state.

        Forward events rise with creation order and backward steps fall with it, so walking the
        labelled nodes in creation order appends those already sorted (the backward lists
        reversed); first grads have no such order, so the nodes are walked again sorted by it.
        """
        trace = self.trace
        count = len(self.paths)
        forward_index, first_grad = trace.forward_index, trace.first_grad_event
        leaf_final: list[list[int]] = [[] for _ in range(count)]
        leaf_grad: list[list[int]] = [[] for _ in range(count)]
        result_forward: list[list[int]] = [[] for _ in range(count)]
        result_final: list[list[int]] = [[] for _ in range(count)]
        result_grad: list[list[int]] = [[] for _ in range(count)]
        labelled = [i for i in range(trace.size) if self.item_of[i] >= 0]
        chains = [self.ancestors(item) for item in range(count)]
        for i in labelled:
            final = trace.backward_index(i)
            if trace.ops[i] is None:
                for item in chains[self.item_of[i]]:
                    leaf_final[item].append(final)
            else:
                computed = forward_index[i]
                for item in chains[self.item_of[i]]:
                    result_forward[item].append(computed)
                    result_final[item].append(final)
        labelled.sort(key=first_grad.__getitem__)
        for i in labelled:
            grads = leaf_grad if trace.ops[i] is None else result_grad
            for item in chains[self.item_of[i]]:
                grads[item].append(first_grad[i])
        self._leaf_final = [array(INDEX, reversed(events)) for events in leaf_final]
        self._leaf_grad = [array(INDEX, events) for events in leaf_grad]
        self._result_forward = [array(INDEX, events) for events in result_forward]
        self._result_final = [array(INDEX, reversed(events)) for events in result_final]
        self._result_grad = [array(INDEX, events) for events in result_grad]

    # --- the tree ------------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of items (groups and entries)."""
        return len(self.paths)

    def find(self, path: str) -> int | None:
        """The item named ``path`` (``L0.N5``), or None."""
        return self._by_path.get(path)

    def own_nodes(self, item: int) -> array[int]:
        """The nodes labelled exactly ``paths[item]``, in creation order (empty for a pure group)."""
        return self._own[item]

    def ancestors(self, item: int) -> list[int]:
        """``item`` and its enclosing groups, nearest first."""
        chain = [item]
        while self.parent[chain[-1]] >= 0:
            chain.append(self.parent[chain[-1]])
        return chain

    def occurrence(self, node: int) -> int | None:
        """Where ``node`` stands among its entry's nodes (0 = first created), or None if ungrouped."""
        item = self.item_of[node]
        if item < 0:
            return None
        return bisect_left(self._own[item], node)

    # --- state at a cursor position ------------------------------------------------------------

    def summary(self, item: int, position: int | None = None) -> Summary:
        """Counts over every node under ``item`` at ``position`` (the trace's cursor by default).

        A node counts once the event that starts its state comes before the cursor, exactly as
        ``Trace.value``, ``grad_so_far`` and ``is_final`` decide; O(log nodes).
        """
        p = self.trace.position if position is None else position
        leaf_final = self._leaf_final[item]
        result_forward = self._result_forward[item]
        return Summary(
            leaves=len(leaf_final),
            leaves_with_grad=bisect_left(self._leaf_grad[item], p),
            leaves_final=bisect_left(leaf_final, p),
            results=len(result_forward),
            results_computed=bisect_left(result_forward, p),
            results_with_grad=bisect_left(self._result_grad[item], p),
            results_final=bisect_left(self._result_final[item], p),
        )
