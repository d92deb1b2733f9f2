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
from dataclasses import dataclass

from core.engine import Value, topological_order
from core.events import BackwardStep, Edge, Event, ForwardEvent, SeedStep
from core.ops import Op, describe_local, format_number


@dataclass(frozen=True, slots=True)
class Contribution:
    """One entry of a node's ledger: a grad it received at event ``index``.

    ``source`` is the consumer that sent it (None for the seed); ``edge`` holds the arithmetic.
    """

    index: int
    source: int | None
    edge: Edge


class Trace:
    """The recorded graph, its timeline of events, and a cursor over the timeline.

    Nodes are numbered 0..n-1 in creation order, so operands have smaller ids than results.
    """

    def __init__(self, output: Value) -> None:
        order = topological_order(output)
        n = len(order)
        index = {node._id: i for i, node in enumerate(order)}
        self.size = n
        self.output = n - 1
        self.labels: list[str] = [node.label for node in order]
        self.ops: list[Op | None] = [node._op for node in order]
        self.params = array("d", [node._param for node in order])
        self.data = array("d", [node.data for node in order])

        in_start = [0] * (n + 1)
        in_ids: list[int] = []
        for i, node in enumerate(order):
            a = node._a
            if a is not None:
                in_ids.append(index[a._id])
                b = node._b
                if b is not None:
                    in_ids.append(index[b._id])
            in_start[i + 1] = len(in_ids)
        self.in_start = array("q", in_start)
        self.in_ids = array("q", in_ids)
        self._record_forward()
        self._record_backward()
        self._index_consumers()
        self._index_touches()
        self.position = 0
        self._grads = array("d", bytes(8 * n))

    # --- recording -----------------------------------------------------------------------------

    def _record_forward(self) -> None:
        forward_nodes = [i for i, op in enumerate(self.ops) if op is not None]
        forward_index = [-1] * self.size
        for k, i in enumerate(forward_nodes):
            forward_index[i] = k
        self.forward_nodes = array("q", forward_nodes)
        self.forward_index = array("q", forward_index)
        self.seed_index = len(forward_nodes)
        self.length = self.seed_index + 1 + self.size

    def _record_backward(self) -> None:
        """Run backprop once over the arrays, keeping each edge's local derivative and grad before."""
        n, ops, data, params = self.size, self.ops, self.data, self.params
        in_start, in_ids = self.in_start, self.in_ids
        never = self.length
        grads = [0.0] * n
        first = [never] * n
        local = [0.0] * len(in_ids)
        before = [0.0] * len(in_ids)
        grads[self.output] = 1.0
        first[self.output] = self.seed_index
        event = self.seed_index
        for i in range(n - 1, -1, -1):
            event += 1
            op = ops[i]
            if op is None:
                continue
            upstream = grads[i]
            start = in_start[i]
            if op.arity == 1:
                j = in_ids[start]
                (local[start],) = op.local((data[j],), data[i], params[i])
                before[start] = grads[j]
                grads[j] += local[start] * upstream
                if first[j] == never:
                    first[j] = event
            else:
                j, m = in_ids[start], in_ids[start + 1]
                local[start], local[start + 1] = op.local((data[j], data[m]), data[i], params[i])
                before[start] = grads[j]
                grads[j] += local[start] * upstream
                before[start + 1] = grads[m]
                grads[m] += local[start + 1] * upstream
                if first[j] == never:
                    first[j] = event
                if first[m] == never:
                    first[m] = event
        self.local = array("d", local)
        self.before = array("d", before)
        self.grad = array("d", grads)
        self.first_grad_event = array("q", first)

    def _index_consumers(self) -> None:
        """For each node, the edges that use it (a CSR table), so consumers cost O(uses)."""
        n, in_ids = self.size, self.in_ids
        counts = [0] * (n + 1)
        for j in in_ids:
            counts[j + 1] += 1
        for i in range(n):
            counts[i + 1] += counts[i]
        out_start = counts[:]
        out_edges = [0] * len(in_ids)
        owner = [0] * len(in_ids)
        fill = counts[:n]
        in_start = self.in_start
        for i in range(n):
            for e in range(in_start[i], in_start[i + 1]):
                owner[e] = i
                j = in_ids[e]
                out_edges[fill[j]] = e
                fill[j] += 1
        self.out_start = array("q", out_start)
        self.out_edges = array("q", out_edges)
        self.edge_owner = array("q", owner)

    def _index_touches(self) -> None:
        """For each node, the sorted events that touch it: computed, seeded, its step, its grads."""
        n, length = self.size, self.length
        per_node: list[list[int]] = [[] for _ in range(n)]
        for k, i in enumerate(self.forward_nodes):
            per_node[i].append(k)
        per_node[self.output].append(self.seed_index)
        in_start, in_ids = self.in_start, self.in_ids
        for k in range(self.seed_index + 1, length):
            i = n - 1 - (k - self.seed_index - 1)
            per_node[i].append(k)
            last = -1
            for e in range(in_start[i], in_start[i + 1]):
                j = in_ids[e]
                if j != last:
                    per_node[j].append(k)
                last = j
        starts = [0] * (n + 1)
        flat: list[int] = []
        for i, events in enumerate(per_node):
            events.sort()
            flat.extend(events)
            starts[i + 1] = len(flat)
        self.touch_start = array("q", starts)
        self.touch_events = array("q", flat)

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

    def consumers(self, i: int) -> tuple[int, ...]:
        """The nodes that use node ``i``, one entry per use (``a + a`` lists its node twice)."""
        owner = self.edge_owner
        return tuple(owner[e] for e in self.out_edges[self.out_start[i] : self.out_start[i + 1]])

    def uses(self, i: int) -> int:
        """How many times node ``i`` is used as an operand."""
        return self.out_start[i + 1] - self.out_start[i]

    def symbol(self, i: int) -> str:
        """Node ``i``'s op as written (``*``, ``**2``, ``tanh``); empty for a leaf."""
        op = self.ops[i]
        return "" if op is None else op.symbol(self.params[i])

    def formula(self, e: int) -> str:
        """The local derivative of edge ``e`` as a formula, e.g. ``d(a*b)/da = b``."""
        i = self.edge_owner[e]
        op = self.ops[i]
        assert op is not None
        return describe_local(op, e - self.in_start[i], self.params[i])

    def arithmetic(self, e: int) -> str:
        """Edge ``e``'s contribution with its arithmetic: ``b.grad += a.data * e.grad = 2 * -2 = -4``."""
        i = self.edge_owner[e]
        op = self.ops[i]
        assert op is not None
        operands = self.inputs(i)
        k = self.params[i]
        local_text = op.in_names[e - self.in_start[i]].format(
            a=self._data_ref(operands[0]),
            b=self._data_ref(operands[-1]),
            out=self._data_ref(i),
            k=format_number(k),
            k1=format_number(k - 1),
        )
        upstream = self.grad[i]
        return (
            f"{self.name(self.in_ids[e])}.grad += {local_text} * {self.name(i)}.grad"
            f" = {format_number(self.local[e])} * {format_number(upstream)}"
            f" = {format_number(self.local[e] * upstream)}"
        )

    def _data_ref(self, i: int) -> str:
        """``a.data`` for a named node; a constant is just its number."""
        if self.ops[i] is None and not self.labels[i]:
            return format_number(self.data[i])
        return f"{self.name(i)}.data"

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
        if all(parts):
            if op.arity == 2:
                text = f"{parts[0]}{op.name}{parts[1]}"
            elif op.name == "neg":
                text = f"-{parts[0]}"
            elif op.name == "**":
                text = f"{parts[0]}{self.symbol(i)}"
            else:
                text = f"{op.name}({parts[0]})"
            if len(text) <= 24:
                return text
        return f"#{i}"

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
        self._grads = array("d", bytes(8 * self.size))
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

    def ledger(self, i: int) -> list[Contribution]:
        """Every grad node ``i`` has received up to the cursor, in the order received."""
        entries: list[Contribution] = []
        if i == self.output and self.seed_index < self.position:
            entries.append(Contribution(self.seed_index, None, Edge(i, 1.0, 1.0, 0.0)))
        received = []
        for e in self.out_edges[self.out_start[i] : self.out_start[i + 1]]:
            k = self.backward_index(self.edge_owner[e])
            if k < self.position:
                received.append((k, e))
        received.sort()  # by event, then by edge: the order the contributions were added
        entries.extend(Contribution(k, self.edge_owner[e], self._edge(e)) for k, e in received)
        return entries

    def touches(self, i: int) -> array[int]:
        """The events that touch node ``i``, sorted."""
        return self.touch_events[self.touch_start[i] : self.touch_start[i + 1]]

    def next_touching(self, nodes: Iterable[int]) -> int | None:
        """The position just after the next event (from the cursor on) touching any of ``nodes``."""
        best: int | None = None
        for i in nodes:
            lo, hi = self.touch_start[i], self.touch_start[i + 1]
            at = bisect.bisect_left(self.touch_events, self.position, lo, hi)
            if at < hi and (best is None or self.touch_events[at] < best):
                best = self.touch_events[at]
        return None if best is None else best + 1

    def previous_touching(self, nodes: Iterable[int]) -> int | None:
        """The position just after the last event before the current one touching any of ``nodes``."""
        best: int | None = None
        for i in nodes:
            lo, hi = self.touch_start[i], self.touch_start[i + 1]
            at = bisect.bisect_left(self.touch_events, self.position - 1, lo, hi) - 1
            if at >= lo and (best is None or self.touch_events[at] > best):
                best = self.touch_events[at]
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

    @property
    def memory_bytes(self) -> int:
        """The bytes held by the trace's arrays (labels and ops are shared with the graph)."""
        arrays = (
            self.params, self.data, self.in_start, self.in_ids, self.forward_nodes,
            self.forward_index, self.local, self.before, self.grad, self.first_grad_event,
            self.out_start, self.out_edges, self.edge_owner, self.touch_start, self.touch_events,
            self._grads,
        )  # fmt: skip
        return sum(a.itemsize * len(a) for a in arrays)


def trace(output: Value) -> Trace:
    """Record ``output``'s graph and its whole backprop timeline. Leaves the Values untouched."""
    return Trace(output)
