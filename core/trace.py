"""Backprop as data: the whole timeline of one graph, and a cursor that walks it.

``trace(output)`` records the graph into flat arrays and runs backprop once, keeping for every
edge its local derivative and the operand's grad before the contribution. The timeline is

    forward events (one per computed node, creation order), the seed, backward steps (one per
    node, reverse creation order)

and the cursor ``position`` counts the events applied. Moving the cursor applies or undoes one
event's edges (at most two), so a step costs the same on a 7-node graph as on a 100,000-node one;
nothing re-runs backprop. Events are materialised as dataclasses only when asked for.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from .engine import Value, topological_order
from .events import BackwardStep, Edge, Event, ForwardEvent, SeedStep
from .ops import ADD, MUL, OPS, RELU, Op, format_number, short_expression
from .spanning import Spanning

INDEX = "i"
"""The array type of node, edge and event numbers: C int, 4 bytes, enough for 2**31 events."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One entry of a node's ledger: a grad it received at event ``index``.

    ``source`` is the consumer that sent it (None for the seed); ``edge`` holds the arithmetic and
    ``number`` says which edge it was (for ``formula``, ``arithmetic``; None for the seed).
    """

    index: int
    source: int | None
    edge: Edge
    number: int | None = field(default=None, compare=False)


class Trace:
    """The recorded graph, its timeline of events, and a cursor over the timeline.

    Nodes are numbered 0..n-1 in creation order, so operands have smaller ids than results.
    """

    def __init__(self, output: Value) -> None:
        try:
            order = topological_order(output)
        except AttributeError:  # an operand swapped for something that is not a Value
            raise TypeError("an operand in the graph is not a Value (were its operands changed?)") from None
        n = len(order)
        self.size = n
        self.output = n - 1
        labels = [node.label for node in order]
        if not all(type(label) is str for label in labels):  # a debug() graph's label may be anything
            labels = [label if type(label) is str else _as_label(label) for label in labels]
        self.labels: list[str] = labels
        self.ops: list[Op | None] = [node._op for node in order]
        self.params = array("d", [node._param for node in order])
        self._consumer_table: tuple[array[int], array[int]] | None = None
        self._spanning: Spanning | None = None
        self._record(order)
        self.position = 0
        self._grads = array("d", [0.0]) * n

    # --- recording -----------------------------------------------------------------------------

    def _record(self, order: list[Value]) -> None:
        """Number the graph, lay out its edges and run backprop once, in one pass from the output.

        For every edge it keeps the local derivative and the operand's grad before the edge's
        contribution; for every node its forward event and the first event that gives it a grad.
        The operand table (``in_start``, ``in_ids``, ``edge_owner``) is filled back to front in
        the same pass, because each node's edges are known when the node is reached.
        ``+``, ``*`` and ``relu`` are written out, since they make most nodes of a network; the
        numbers are exactly the table's (``1.0 * upstream`` is ``upstream``, the local of ``a*b``
        for ``a`` is ``b``). Every other op asks ``op.local``.
        """
        n, ops, params = self.size, self.ops, self.params
        index: dict[Value | None, int] = dict(zip(order, range(n), strict=True))  # identity hashing
        get = index.get
        firsts = [get(node._a) for node in order]  # None for a leaf
        seconds = [get(node._b) for node in order]  # None for a leaf or a one-operand op
        data = [node.data for node in order]
        leaves = firsts.count(None)  # (not ops.count(None): that calls Op.__eq__ once per node)
        edge_count = 2 * n - leaves - seconds.count(None)
        seed = n - leaves
        never = length = seed + 1 + n
        # Arrays written in place (a store is cheap; converting a list afterwards is not) and lists
        # for what the pass reads back (reading an array boxes a new number each time).
        in_start = array(INDEX, [0]) * (n + 1)
        in_ids = array(INDEX, [0]) * edge_count
        owner = array(INDEX, [0]) * edge_count
        local = array("d", [0.0]) * edge_count
        before = array("d", [0.0]) * edge_count
        forward_nodes = array(INDEX, [0]) * seed
        forward_index = array(INDEX, [-1]) * n
        grads = [0.0] * n
        first = [never] * n
        grads[n - 1] = 1.0
        first[n - 1] = seed
        steps_end = seed + n  # node i's backward step is event steps_end - i
        computed = seed
        pos = in_start[n] = edge_count
        for i in range(n - 1, -1, -1):
            op = ops[i]
            if op is None:
                in_start[i] = pos
                continue
            computed -= 1
            forward_index[i] = computed
            forward_nodes[computed] = i
            upstream = grads[i]
            j = firsts[i]
            m = seconds[i]
            if j is None or j >= i or (m is not None and m >= i):  # operands are made before their result
                raise ValueError(_misordered(order, i))
            if first[j] == never:
                first[j] = steps_end - i
            if m is None:
                pos -= 1
                in_ids[pos] = j
                owner[pos] = i
                if op is RELU:
                    da = 1.0 if data[i] > 0 else 0.0
                else:
                    (da,) = op.local((data[j],), data[i], params[i])
                local[pos] = da
                before[pos] = grads[j]
                grads[j] += da * upstream
            else:
                pos -= 2
                in_ids[pos] = j
                in_ids[pos + 1] = m
                owner[pos] = owner[pos + 1] = i
                if first[m] == never:
                    first[m] = steps_end - i
                if op is ADD:
                    da = db = 1.0
                elif op is MUL:
                    da = data[m]
                    db = data[j]
                else:
                    da, db = op.local((data[j], data[m]), data[i], params[i])
                local[pos] = da
                local[pos + 1] = db
                before[pos] = grads[j]
                grads[j] += da * upstream
                before[pos + 1] = grads[m]
                grads[m] += db * upstream
            in_start[i] = pos
        self.data = array("d", data)
        self.in_start = in_start
        self.in_ids = in_ids
        self.edge_owner = owner
        self.forward_nodes = forward_nodes
        self.forward_index = forward_index
        self.seed_index = seed
        self.length = length
        self.local = local
        self.before = before
        self.grad = array("d", grads)
        self.first_grad_event = array(INDEX, first)

    @property
    def spanning(self) -> Spanning:
        """The spanning tree the graph is drawn as (``core/spanning.py``), made on first use."""
        if self._spanning is None:
            self._spanning = Spanning(self)
        return self._spanning

    def keep_spanning(self, spanning: Spanning) -> None:
        """Take ``spanning``, made elsewhere from this very graph (a loading process makes it
        while the app unpacks the trace), in place of making it here."""
        if spanning.root != self.output or spanning.size != self.size:
            raise ValueError("that spanning tree is another graph's")
        self._spanning = spanning

    def index_uses(self) -> None:
        """Make the table of uses now (see ``out_start``), not on the first question about a
        node's uses: the debugger makes it while it waits for the first key."""
        self._index_consumers()

    def _index_consumers(self) -> tuple[array[int], array[int]]:
        """For each node, the edges that use it (a CSR table), so ``consumers`` costs O(uses).

        Built on first use: stepping never needs it, the panes that show a node's consumers do.
        A stable sort of the edges by operand keeps each node's uses in edge order, which is the
        order of their owners: ``consumers`` lists the earliest consumer first.
        """
        if self._consumer_table is None:
            in_ids = self.in_ids.tolist()
            counts = [0] * (self.size + 1)
            for j in in_ids:
                counts[j + 1] += 1
            out_start = array(INDEX, accumulate(counts))
            out_edges = array(INDEX, sorted(range(len(in_ids)), key=in_ids.__getitem__))
            self._consumer_table = (out_start, out_edges)
        return self._consumer_table

    @property
    def out_start(self) -> array[int]:
        """Node ``i``'s uses are ``out_edges[out_start[i] : out_start[i + 1]]``."""
        return self._index_consumers()[0]

    @property
    def out_edges(self) -> array[int]:
        """Edge numbers grouped by operand (see ``out_start``), each group in edge order."""
        return self._index_consumers()[1]

    # --- the timeline --------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of events; the cursor runs from 0 (nothing applied) to ``len(trace)``."""
        return self.length

    def step_node(self, k: int) -> int:
        """The node event ``k`` is about."""
        if k < self.seed_index:
            return self.forward_nodes[k]
        if k == self.seed_index:
            return self.output
        return self.size - 1 - (k - self.seed_index - 1)

    def phase(self, k: int) -> str:
        """``forward``, ``seed`` or ``backward``: what kind of event ``k`` is."""
        if k < self.seed_index:
            return "forward"
        return "seed" if k == self.seed_index else "backward"

    def event(self, k: int) -> Event:
        """Event ``k`` as a dataclass (built on demand)."""
        if not 0 <= k < self.length:
            raise IndexError(f"event {k} is outside 0..{self.length - 1}")
        i = self.step_node(k)
        if k < self.seed_index:
            return ForwardEvent(k, i, self.symbol(i), self.inputs(i), self.data[i])
        if k == self.seed_index:
            return SeedStep(k, i)
        op = self.ops[i]
        symbol = self.symbol(i) if op is not None else ""
        return BackwardStep(k, i, symbol, self.grad[i], tuple(self._edge(e) for e in self.edges(i)))

    def events(self) -> Iterator[Event]:
        return (self.event(k) for k in range(self.length))

    def _edge(self, e: int) -> Edge:
        return Edge(self.in_ids[e], self.local[e], self.grad[self.edge_owner[e]], self.before[e])

    # --- the graph -----------------------------------------------------------------------------

    def edges(self, i: int) -> range:
        """The edge numbers of node ``i``'s operands, in operand order."""
        return range(self.in_start[i], self.in_start[i + 1])

    def inputs(self, i: int) -> tuple[int, ...]:
        """Node ``i``'s operands, in order."""
        return tuple(self.in_ids[self.in_start[i] : self.in_start[i + 1]])

    def consumers(self, i: int, limit: int | None = None) -> tuple[int, ...]:
        """The nodes that use node ``i``, one entry per use (``a + a`` lists its node twice).

        In creation order; with ``limit``, only the first ``limit`` (O(limit), not O(uses)).
        """
        if i == self.output:  # every node is in the output's past: nothing uses it
            return ()
        owner = self.edge_owner
        start, end = self.out_start[i], self.out_start[i + 1]
        if limit is not None:
            end = min(end, start + limit)
        return tuple(owner[e] for e in self.out_edges[start:end])

    def uses(self, i: int) -> int:
        """How many times node ``i`` is used as an operand."""
        if i == self.output:  # (without building the table of uses: the app asks this first)
            return 0
        return self.out_start[i + 1] - self.out_start[i]

    def symbol(self, i: int) -> str:
        """Node ``i``'s op as written (``*``, ``**2``, ``tanh``); empty for a leaf."""
        op = self.ops[i]
        return "" if op is None else op.symbol(self.params[i])

    def formula(self, e: int) -> str:
        """The local derivative of edge ``e`` with the graph's own names: ``dL/dd = f`` for
        ``L = d * f``'s edge into ``d``, ``do/dn = 1 - o**2`` for ``o = tanh(n)``.

        Written with the nodes' names, not ``a``/``b`` placeholders, which in a graph with leaves
        called ``a`` and ``b`` read as those leaves. ``describe_local`` has the generic form.
        """
        i = self.edge_owner[e]
        return f"{self.partial(i, self.in_ids[e])} = {unwrap(self.local_expression(e, suffix=''))}"

    def partial(self, i: int, j: int) -> str:
        """``dL/dd``: the derivative of node ``i`` by its operand ``j``, by their names
        (``d(a*b)/d(2)`` when they are an expression or a constant)."""
        return f"d{self._wrapped(i)}/d{self._wrapped(j)}"

    def _wrapped(self, i: int) -> str:
        """A label as it is; an expression, a number or a ``#id`` in parentheses."""
        name = self.name(i)
        return name if self.labels[i] else f"({name})"

    def arithmetic(self, e: int) -> str:
        """Edge ``e``'s contribution with its arithmetic: ``b.grad += a.data * e.grad = 2 * -2 = -4``."""
        i = self.edge_owner[e]
        upstream = self.grad[i]
        return (
            f"{self.ref(self.in_ids[e])}.grad += {self.local_expression(e)} * {self.ref(i)}.grad"
            f" = {format_number(self.local[e])} * {format_number(upstream)}"
            f" = {format_number(self.local[e] * upstream)}"
        )

    def local_expression(self, e: int, suffix: str = ".data") -> str:
        """Edge ``e``'s local derivative written with node names: ``a.data`` for ``e = a * b``'s
        edge into ``b``; ``(1 - o.data**2)`` for ``o = tanh(n)``. ``suffix=""`` drops ``.data``."""
        i = self.edge_owner[e]
        op = self.ops[i]
        assert op is not None
        operands = self.inputs(i)
        k = self.params[i]
        return op.in_names[e - self.in_start[i]].format(
            a=self._data_ref(operands[0], suffix),
            b=self._data_ref(operands[-1], suffix),
            out=self._data_ref(i, suffix),
            k=format_number(k),
            k1=format_number(k - 1),
        )

    def _data_ref(self, i: int, suffix: str) -> str:
        """``a.data`` for a named node; a constant is just its number."""
        if self.ops[i] is None and not self.labels[i]:
            return format_number(self.data[i])
        return f"{self.ref(i)}{suffix}"

    def ref(self, i: int) -> str:
        """Node ``i``'s name, in parentheses when it is an expression: ``(a*b).grad``, ``(2).grad``."""
        name = self.name(i)
        bare = self.labels[i] or name.startswith("#") or (name[:1].isalpha() and name.endswith(")"))
        return name if bare else f"({name})"

    def name(self, i: int) -> str:
        """A short name for node ``i``: its label, a constant's value, or a small expression.

        Unlabelled results are named from their operands' names only when those are labels, so
        naming never walks the graph.
        """
        if self.labels[i]:
            return self.labels[i]
        op = self.ops[i]
        if op is None:
            return format_number(self.data[i])
        parts = [
            self.labels[j] or (format_number(self.data[j]) if self.ops[j] is None else "")
            for j in self.inputs(i)
        ]
        return short_expression(op, self.symbol(i), parts) or f"#{i}"

    def expression(self, i: int) -> str:
        """How node ``i`` was computed, from its operands' names: ``a * b``, ``tanh(n)``, ``x**2``."""
        op = self.ops[i]
        if op is None:
            return format_number(self.data[i])
        names = [self.name(j) for j in self.inputs(i)]
        if op.arity == 2:
            return f"{names[0]} {op.name} {names[1]}"
        if op.name == "neg":
            return f"-{names[0]}"
        if op.name == "**":
            return f"{names[0]}{self.symbol(i)}"
        return f"{op.name}({names[0]})"

    # --- the cursor ----------------------------------------------------------------------------

    def _apply(self, k: int) -> None:
        if k < self.seed_index:
            return
        grads = self._grads
        if k == self.seed_index:
            grads[self.output] = 1.0
            return
        i = self.size - 1 - (k - self.seed_index - 1)
        upstream = self.grad[i]
        for e in range(self.in_start[i], self.in_start[i + 1]):
            grads[self.in_ids[e]] = self.before[e] + self.local[e] * upstream

    def _undo(self, k: int) -> None:
        if k < self.seed_index:
            return
        grads = self._grads
        if k == self.seed_index:
            grads[self.output] = 0.0
            return
        i = self.size - 1 - (k - self.seed_index - 1)
        for e in range(self.in_start[i + 1] - 1, self.in_start[i] - 1, -1):
            grads[self.in_ids[e]] = self.before[e]

    def step(self) -> bool:
        """Apply the next event. False at the end."""
        if self.position >= self.length:
            return False
        self._apply(self.position)
        self.position += 1
        return True

    def back(self) -> bool:
        """Undo the last applied event. False at the start."""
        if self.position <= 0:
            return False
        self.position -= 1
        self._undo(self.position)
        return True

    def to_start(self) -> None:
        self._grads = array("d", [0.0]) * self.size
        self.position = 0

    def to_end(self) -> None:
        self._grads = array("d", self.grad)
        self.position = self.length

    def goto(self, k: int) -> None:
        """Move the cursor to position ``k`` (clamped), from wherever is nearest."""
        k = max(0, min(k, self.length))
        if k < abs(k - self.position):
            self.to_start()
        elif self.length - k < abs(k - self.position):
            self.to_end()
        while self.position < k:
            self.step()
        while self.position > k:
            self.back()

    @property
    def current(self) -> int | None:
        """The event just applied (the one on screen), or None at the start."""
        return self.position - 1 if self.position else None

    # --- state at the cursor -------------------------------------------------------------------

    def value(self, i: int) -> float | None:
        """Node ``i``'s value, or None while the forward pass has not computed it yet."""
        k = self.forward_index[i]
        return self.data[i] if k < self.position else None

    def grad_so_far(self, i: int) -> float | None:
        """Node ``i``'s grad at the cursor, or None if it has received nothing yet."""
        return self._grads[i] if self.first_grad_event[i] < self.position else None

    def is_final(self, i: int) -> bool:
        """True once node ``i``'s own backward step has run: its grad can no longer change."""
        return self.backward_index(i) < self.position

    def backward_index(self, i: int) -> int:
        """The event of node ``i``'s own backward step."""
        return self.seed_index + self.size - i

    def _received_uses(self, i: int) -> range:
        """The slice of node ``i``'s use list (``out_edges``, sorted by consumer) whose consumers
        have stepped back by the cursor. Backward steps run in reverse creation order, so those
        are exactly the consumers created after a threshold: one binary search."""
        if i == self.output:  # used by nothing (and the table of uses is not built for it)
            return range(0)
        start, end = self.out_start[i], self.out_start[i + 1]
        # Consumer j has stepped once backward_index(j) = seed_index + size - j < position.
        threshold = self.seed_index + self.size - self.position
        owner = self.edge_owner
        first = bisect.bisect_right(self.out_edges, threshold, start, end, key=owner.__getitem__)
        return range(first, end)

    def received(self, i: int) -> int:
        """How many contributions node ``i`` has received up to the cursor (O(log uses))."""
        seeded = i == self.output and self.seed_index < self.position
        return len(self._received_uses(i)) + seeded

    def ledger(self, i: int, last: int | None = None) -> list[Contribution]:
        """Every grad node ``i`` has received up to the cursor, in the order received.

        With ``last``, only the latest ``last`` of them, in O(log uses + last): the latest come
        from the earliest-created consumers, the front of the received slice.
        """
        if i == self.output:  # used by nothing: its only grad is the seed
            if self.seed_index >= self.position or last == 0:
                return []
            return [Contribution(self.seed_index, None, Edge(i, 1.0, 1.0, 0.0))]
        uses = self._received_uses(i)
        if last is not None:
            # One extra: a consumer's two edges into this node (``x - x``) arrive in edge order,
            # so the latest of such a pair may sit just past the window.
            uses = uses[: last + 1]
        owner = self.edge_owner
        edges = sorted(self.out_edges[uses.start : uses.stop], key=lambda e: (-owner[e], e))
        if last is not None:
            edges = edges[-last:] if last else []
        return [Contribution(self.backward_index(owner[e]), owner[e], self._edge(e), e) for e in edges]

    def touches(self, i: int) -> array[int]:
        """The events that touch node ``i``, sorted: where it is computed, where the forward pass
        uses it (``d = e + c`` touches ``c``), the seed (the output), its consumers' backward steps
        (which send it grads) and its own.

        A breakpoint on a leaf thus stops where the leaf first matters, in the forward pass.
        Built from the consumer table on demand (O(uses)), so recording keeps no per-node lists.
        Consumers have larger ids: they are computed after node ``i`` and step back before it.
        """
        events = array(INDEX)
        computed = self.forward_index[i]
        if computed >= 0:
            events.append(computed)
        owner = self.edge_owner
        uses = self.out_edges[self.out_start[i] : self.out_start[i + 1]]
        last = -1
        for e in uses:  # in edge order: the consumers in creation order, so their forward events too
            consumer = owner[e]
            if consumer != last:  # a + a: one event, two edges
                events.append(self.forward_index[consumer])
            last = consumer
        if i == self.output:
            events.append(self.seed_index)
        last = -1
        for e in reversed(uses):
            consumer = owner[e]
            if consumer != last:  # a + a: one step, two edges
                events.append(self.backward_index(consumer))
            last = consumer
        events.append(self.backward_index(i))
        return events

    def next_touching(self, nodes: Iterable[int]) -> int | None:
        """The position just after the next event (from the cursor on) touching any of ``nodes``."""
        best: int | None = None
        for i in nodes:
            events = self.touches(i)
            at = bisect.bisect_left(events, self.position)
            if at < len(events) and (best is None or events[at] < best):
                best = events[at]
        return None if best is None else best + 1

    def previous_touching(self, nodes: Iterable[int]) -> int | None:
        """The position just after the last event before the current one touching any of ``nodes``."""
        best: int | None = None
        for i in nodes:
            events = self.touches(i)
            at = bisect.bisect_left(events, self.position - 1) - 1
            if at >= 0 and (best is None or events[at] > best):
                best = events[at]
        return None if best is None else best + 1

    # --- words ---------------------------------------------------------------------------------

    def describe(self, k: int) -> str:
        """Event ``k`` in words: ``d: backward through +, 2 contributions``."""
        i = self.step_node(k)
        name = self.name(i)
        if k < self.seed_index:
            return f"{name} = {self.expression(i)} = {format_number(self.data[i])}"
        if k == self.seed_index:
            return f"{name}: seed, {name}.grad = 1"
        if self.ops[i] is None:
            return f"{name}: leaf, grad final = {format_number(self.grad[i])}"
        count = self.in_start[i + 1] - self.in_start[i]
        plural = "" if count == 1 else "s"
        return f"{name}: backward through {self.symbol(i)}, {count} contribution{plural}"

    def __getstate__(self) -> dict[str, object]:
        """For pickling (the app loads a big file in another process): ops by name, since an op's
        functions do not pickle and the code compares ops by identity (``op is ADD``)."""
        state = dict(self.__dict__)
        state["ops"] = [None if op is None else op.name for op in self.ops]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        names = state["ops"]
        assert isinstance(names, list)
        state["ops"] = [None if name is None else OPS[name] for name in names]
        self.__dict__.update(state)

    @property
    def memory_bytes(self) -> int:
        """The bytes held by the trace's arrays (labels and ops are shared with the graph)."""
        arrays = (
            self.params, self.data, self.in_start, self.in_ids, self.forward_nodes,
            self.forward_index, self.local, self.before, self.grad, self.first_grad_event,
            self.out_start, self.out_edges, self.edge_owner, self._grads,
        )  # fmt: skip
        return sum(a.itemsize * len(a) for a in arrays)


def unwrap(expression: str) -> str:
    """``1 - o**2`` for ``(1 - o**2)``: a formula standing alone needs no outer parentheses."""
    if not (expression.startswith("(") and expression.endswith(")")):
        return expression
    depth = 0
    for k, char in enumerate(expression):
        depth += 1 if char == "(" else -1 if char == ")" else 0
        if depth == 0 and k < len(expression) - 1:
            return expression  # (a) * (b): the first parenthesis closes early
    return expression[1:-1]


def trace(output: Value) -> Trace:
    """Record ``output``'s graph and its whole backprop timeline. Leaves the Values untouched.

    A micrograd ``Value`` is read through the adapter (``core/adapter.py``) into a new gradstep
    graph. Raises ``TypeError`` for anything else, and ``ValueError`` for a graph that loops back on
    itself or whose operands were swapped for later nodes after it was built.
    """
    if not isinstance(output, Value):
        from .adapter import from_micrograd, is_micrograd

        if not is_micrograd(output):
            raise TypeError(
                f"trace() takes a gradstep Value (or a micrograd Value), not {type(output).__name__}"
            )
        output = from_micrograd(output)
    return Trace(output)


def _as_label(label: object) -> str:
    """A label that is not a string (``Value(1, label=5)``) as the text it stands for."""
    if label is None:
        return ""
    try:
        return str(label)
    except Exception:  # a __str__ that fails must not stop the graph from being shown
        return f"<{type(label).__name__}>"


def _misordered(order: list[Value], i: int) -> str:
    """Why node ``i`` has an operand at or after it: a cycle, or operands changed after the fact."""
    start = order[i]
    if start._a is None:
        return f"a node has the op {start._op} but no operands (were its operands changed?)"
    seen: set[int] = set()
    stack = [start]
    while stack:  # does start reach itself through its operands?
        node = stack.pop()
        for operand in node.operands:
            if operand is start:
                return "the graph has a cycle: a node is its own operand (were its operands changed?)"
            if id(operand) not in seen:
                seen.add(id(operand))
                stack.append(operand)
    return (
        "a node's operand was made after it (were its operands changed?): "
        "gradstep needs every operand made before its result"
    )
