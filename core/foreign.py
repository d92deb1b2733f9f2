"""Reading a learner's graph as they built it: duck-typed, as learners write their ``Value``.

What gradstep reads from each node, and where:

* ``data`` (a number) and ``grad``;
* its operands in ``_prev`` or ``_children``: a set, a list or a tuple. A list or tuple keeps the
  operand order. A set does not, so for ``-`` and ``/`` the order is recovered from the values
  (the order whose result is the node's ``data``); ``+`` and ``*`` do not care, and their operands
  are put in creation order. A binary op whose set holds one operand is that operand used twice
  (``a + a``);
* its op name in ``_op`` or ``op``, as micrograd and the lecture write them (``+ * **2 ReLU tanh
  exp``) and the usual others (``- / neg relu log sigmoid``). A name gradstep does not know is
  inferred from the values where exactly one known op fits every node carrying that name; else it
  is a ``ForeignGraphError`` naming the op and the node;
* a ``label`` where present.

The graph is read into flat lists numbered in creation order (operands before results), with
explicit stacks, so a deep chain reads without recursion. Nothing of theirs is changed.
"""

from __future__ import annotations

import inspect
import math
import operator
import types
from collections.abc import Iterable, MutableSequence, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, methodcaller
from typing import Any, TypeVar, Union, overload

from . import speedups
from .ops import ADD, DIV, EXP, LOG, MUL, NEG, OPS, POW, RELU, SIGMOID, SUB, TANH, Op, format_number

KNOWN_NAMES: dict[str, Op] = {
    "+": ADD,
    "*": MUL,
    "-": SUB,
    "/": DIV,
    "neg": NEG,
    "tanh": TANH,
    "exp": EXP,
    "log": LOG,
    "ReLU": RELU,
    "relu": RELU,
    "sigmoid": SIGMOID,
}
"""Op names as learners write them (``**k`` is read separately: the exponent is in the name)."""

READS = "+ * - / **k neg tanh exp log ReLU/relu sigmoid"
"""The op names gradstep reads, for error messages."""

_GUESS_POWERS = (2.0, 3.0, -1.0, 0.5)
"""Exponents tried when a ``**`` op is written under a name gradstep does not know."""


OTHER_OP = 4
OP_CODES: dict[int, int] = {id(None): 0, id(ADD): 1, id(MUL): 2, id(RELU): 3}
"""``id(op)`` -> the op's code in the compiled loops (``_speedups.c``), which know these ops' local
derivatives; every other op is ``OTHER_OP``."""


class ForeignGraphError(Exception):
    """Their graph cannot be read (an op name nothing fits, operands that are not nodes, ...)."""


@dataclass
class ForeignGraph:
    """Their graph as flat lists, node ``k`` in creation order (operands before results).

    ``operands[k]`` lists operand numbers in order, twice for ``a + a``. ``objects[k]`` is their
    node itself, so the checker can read its ``grad`` and wrap its ``_backward``.
    """

    objects: list[Any]
    ops: list[Op | None]
    params: list[float]
    operands: MutableSequence[tuple[int, ...]]
    """A list, or the compiled walk's ``FlatOperands`` (the same tuples, made when asked for)."""
    op_names: list[str]
    data: list[float]
    labels: Sequence[str]
    output: int
    _index: dict[int, int] | None = field(repr=False, compare=False)
    """``id(their node)`` -> its number; None until ``index`` is first asked for."""
    reachable: bytearray
    """1 for nodes the output depends on (itself included)."""
    orderless: bytearray
    """1 for nodes whose operands came in a set (their order is recovered, not read)."""
    warnings: list[str] = field(default_factory=list)
    codes: bytearray | None = field(default=None, repr=False, compare=False)
    """Each node's op code for the compiled loops (``OP_CODES``), where they read the graph."""
    _consumers: list[list[int]] | None = None
    _by_node: Any = field(default=None, repr=False, compare=False)
    """their node -> its number (a dict, or the compiled walk's ``NodeTable``), where all are of one
    class that hashes by identity"""

    @property
    def size(self) -> int:
        return len(self.objects)

    @property
    def index(self) -> dict[int, int]:
        """``id(their node)`` -> its number (made when first asked for: a check of micrograd's graph
        never asks)."""
        if self._index is None:
            self._index = dict(zip(map(id, self.objects), range(len(self.objects)), strict=True))
        return self._index

    def consumers(self, k: int) -> list[int]:
        """The nodes the output depends on that use ``k`` (once per use)."""
        if self._consumers is None:
            table: list[list[int]] = [[] for _ in self.objects]
            for c, ins in enumerate(self.operands):
                if self.reachable[c]:
                    for j in ins:
                        table[j].append(c)
            self._consumers = table
        return self._consumers[k]

    def symbol(self, k: int) -> str:
        op = self.ops[k]
        return "" if op is None else op.symbol(self.params[k])


@dataclass(frozen=True)
class _Access:
    """Where one class keeps its operands and op name (found once per class)."""

    children: str
    op: str | None
    plain_label: bool
    """``label`` can only be in the instance dict (see ``_plain_label``)."""


def _access(cls: type, sample: Any) -> _Access:
    children = next((name for name in ("_prev", "_children") if hasattr(sample, name)), None)
    if children is None:
        raise ForeignGraphError(
            f"your {cls.__name__} keeps its operands in neither _prev nor _children: "
            "gradstep reads them from one of those"
        )
    if not hasattr(sample, "data"):
        raise ForeignGraphError(f"your {cls.__name__} has no .data: gradstep reads each node's value from it")
    op = next((name for name in ("_op", "op") if hasattr(sample, name)), None)
    return _Access(children, op, _plain_label(cls))


def _number(obj: Any, what: str = "data") -> float:
    value = getattr(obj, what)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ForeignGraphError(f"a node's {what} is {value!r}, not a number") from None


def _parse_name(name: str) -> tuple[Op, float] | None:
    op = KNOWN_NAMES.get(name)
    if op is not None:
        return op, 0.0
    if name.startswith("**"):
        try:
            exponent = float(name[2:])
        except ValueError:
            return None
        if math.isfinite(exponent):
            return POW, exponent
    return None


def close(a: float, b: float) -> bool:
    """Equal within the checker's tolerance: relative 1e-9, absolute floor 1e-12 (see ``checker``)."""
    if a == b:
        return True
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


def _fits(op: Op, param: float, args: Sequence[float], out: float) -> bool:
    try:
        value = op.forward(tuple(args), param)
    except (ArithmeticError, ValueError):
        return False
    return close(value, out)


_RawNumbers = Union[list[list[int]], "_Raw"]
_Walked = tuple[
    list[Any],
    _RawNumbers,
    list[bool],
    list[Any],
    list[float],
    Sequence[str],
    dict[int, int] | None,
    Any,
    Any,
]
"""A walk's lists, node ``k`` in creation order: the nodes, their operands' numbers, whether those
came in order (not in a set), their op names, data and labels; ``id()`` -> number (None where it is
made from the next when first asked for), node -> number where the nodes hash by identity, and
what ``_speedups.arrange`` makes of the lists where the compiled walk made it too (else None)."""


def _walk(output: Any, roots: Sequence[Any]) -> _Walked:
    """The walk of ``read``, for any graph: nodes known by ``id()``, every error found."""
    access: dict[type, _Access] = {}
    index: dict[int, int] = {}
    """id -> number; -1 while the node's operands are being numbered (it is on the current path)"""
    objects: list[Any] = []
    raw: list[list[int]] = []
    names: list[Any] = []
    ordered: list[bool] = []
    data: list[float] = []
    labels: list[str] = []
    # One depth-first walk from each root in turn, then the output: a node is numbered when its
    # operands are, so numbers are creation order as far as the graph can tell. No recursion: a
    # node's entry comes off the stack first to push its operands (above a tuple, which comes off
    # when they are numbered, to number the node).
    index_get = index.get
    for start in [*roots, output]:
        if id(start) in index:
            continue
        stack: list[Any] = [start]
        push, pop = stack.append, stack.pop
        while stack:
            obj = pop()
            if obj.__class__ is tuple:
                obj, ident, children, in_order, how = obj
                index[ident] = len(objects)
                objects.append(obj)
                if len(children) == 2:
                    first, second = children
                    raw.append([index[id(first)], index[id(second)]])
                else:
                    raw.append([index[id(child)] for child in children])
                ordered.append(in_order)
                names.append(getattr(obj, how.op, "") if how.op else "")
                try:
                    value = obj.data
                except AttributeError:
                    raise _not_a_node(stack, obj) from None
                data.append(value if value.__class__ is float else _number(obj))
                label = obj.__dict__.get("label", "") if how.plain_label else getattr(obj, "label", "")
                labels.append(label if label.__class__ is str else _label(obj))
                continue
            ident = id(obj)
            if ident in index:
                continue
            cls = obj.__class__
            how = access.get(cls)
            if how is None:
                how = access[cls] = _access(cls, obj)
            given = getattr(obj, how.children)
            children = [] if given is None else list(given)
            index[ident] = -1
            push(
                (
                    obj,
                    ident,
                    children,
                    given.__class__ is not set and not isinstance(given, (set, frozenset)),
                    how,
                )
            )
            for child in reversed(children):
                number = index_get(id(child))
                if number is None:
                    if child.__class__ not in access and not hasattr(child, "data"):
                        raise ForeignGraphError(
                            f"an operand of a node (data={getattr(obj, 'data', '?')!r}) is a "
                            f"{type(child).__name__}, not a node"
                        )
                    push(child)
                elif number < 0:
                    raise ForeignGraphError("the graph has a cycle: a node is its own operand")
    return objects, raw, ordered, names, data, labels, index, None, None


def _walk_by_node(output: Any, roots: Sequence[Any]) -> _Walked | None:
    """The walk of ``read`` where every node is of one class that hashes by identity and keeps
    its label, if any, in the instance dict (micrograd's ``Value``): nodes are their own keys (no
    ``id()`` call), and their data, op names and labels are read afterwards, each list at once.
    None where anything else turns up (another class, a cycle, data that is not a number): the
    general walk then reads the graph and says what is wrong."""
    sample = roots[0] if roots else output  # the node the general walk learns the class from
    cls = sample.__class__
    if getattr(cls, "__hash__", None) is not object.__hash__:
        return None
    how = _access(cls, sample)
    if not how.plain_label:
        return None
    compiled = speedups.compiled
    if compiled is not None:  # the same walk in C, reading what _read_nodes reads on the way
        walked = compiled.walk([*roots, output], cls, how.children, how.op, _known_entry, ADD, MUL)
        return _walk_compiled(walked)
    children_of = attrgetter(how.children)
    index: dict[Any, int] = {}
    """node -> number; -1 while its operands are being numbered (it is on the current path)"""
    objects: list[Any] = []
    raw: list[list[int]] = []
    ordered: list[bool] = []
    index_get = index.get
    for start in [*roots, output]:
        if start.__class__ is not cls:
            return None
        if start in index:
            continue
        stack: list[Any] = [start]
        push, pop = stack.append, stack.pop
        while stack:
            obj = pop()
            if obj.__class__ is tuple:
                obj, children, in_order = obj
                index[obj] = len(objects)
                objects.append(obj)
                if len(children) == 2:
                    first, second = children
                    raw.append([index[first], index[second]])
                else:
                    raw.append([index[child] for child in children])
                ordered.append(in_order)
                continue
            if obj in index:
                continue
            given = children_of(obj)
            children = [] if given is None else list(given)
            index[obj] = -1
            push((obj, children, not isinstance(given, (set, frozenset))))
            for child in reversed(children):
                if child.__class__ is not cls:
                    return None
                number = index_get(child)
                if number is None:
                    push(child)
                elif number < 0:
                    return None  # a cycle
    data = list(map(float, map(attrgetter("data"), objects)))
    names: list[Any] = list(map(attrgetter(how.op), objects)) if how.op else [""] * len(objects)
    labels: list[Any] = list(map(_LABEL_OF, map(_DICT_OF, objects)))
    return _checked_labels(objects, raw, ordered, index, data, names, labels)


def _walk_compiled(walked: tuple[Any, ...] | None) -> _Walked | None:
    """``_speedups.walk``'s lists as ``_walk_by_node`` gives them, the labels read when asked for.

    The walk arranged the nodes ``arrange`` would as it numbered them, their operands kept flat
    (``FlatOperands``); ``raw`` holds the operand numbers of the nodes it left, as theirs gives them."""
    if walked is None:
        return None
    objects, raw, ordered, table, data, names, arranged = walked
    return objects, _Raw(raw), ordered, names, data, _Labels(objects), None, table, arranged


class _Raw(dict[int, tuple[int, ...]]):
    """The compiled walk's ``raw``: the operand numbers of the nodes ``arrange`` leaves, () for the
    others (a leaf's; an arranged node's are in ``operands``)."""

    def __missing__(self, k: int) -> tuple[int, ...]:
        return ()


T = TypeVar("T")


class Lazy(Sequence[T]):
    """A sequence whose items are made when asked for: subclasses give ``__len__`` and ``_item(i)``
    for ``0 <= i < len``; indexing from the end, bounds and slices are handled here."""

    def _item(self, index: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._item(index)


class _Labels(Lazy[str]):
    """Their nodes' labels, each read when first asked for (``_label``; "" where there is none): a
    check names the few nodes it reports, the app all of them. Their class keeps ``label`` in the
    instance only (``_plain_label``), so a label read later is the label the node has now."""

    def __init__(self, objects: list[Any]) -> None:
        self._objects = objects
        self._read: list[str | None] = [None] * len(objects)

    def __len__(self) -> int:
        return len(self._read)

    def _item(self, index: int) -> str:
        label = self._read[index]
        if label is None:
            label = self._read[index] = _label(self._objects[index])
        return label


def _checked_labels(
    objects: list[Any],
    raw: list[list[int]],
    ordered: list[bool],
    index: Any,
    data: list[float],
    names: list[Any],
    labels: list[Any],
) -> _Walked:
    """The walk's lists, with every label a str (``_label`` of what is not)."""
    compiled = speedups.compiled
    if (compiled is None or not compiled.all_exactly(labels, str)) and not all(
        map(isinstance, labels, repeat(str))
    ):
        labels = [
            label if label.__class__ is str else _label(obj)
            for obj, label in zip(objects, labels, strict=True)
        ]
    return objects, raw, ordered, names, data, labels, None, index, None


_DICT_OF = attrgetter("__dict__")
_LABEL_OF = methodcaller("get", "label", "")


def read(output: Any, roots: Sequence[Any] = ()) -> ForeignGraph:
    """Read the graph of ``output`` (and of ``roots``, other nodes the file made, in creation order).

    Nodes are numbered in creation order as far as the graph can tell: each root in turn, its
    operands first (depth first), then whatever the output still needs.
    """
    try:
        walked = _walk_by_node(output, roots)
    except Exception:  # whatever it was, the general walk meets it too, and says what it is
        walked = None
    if walked is None:
        walked = _walk(output, roots)
    objects, raw, ordered, names, data, labels, index, by_node, arranged = walked
    out = by_node[output] if by_node is not None else index[id(output)] if index is not None else -1
    # 3. Ops, their parameters and the operand order.
    ops: list[Op | None] = [None] * len(objects)
    params = [0.0] * len(objects)
    operands: MutableSequence[tuple[int, ...]] = [()] * len(objects)
    warnings: list[str] = []
    unknown: dict[str, list[int]] = {}
    parsed: dict[Any, tuple[Op, float] | None] = {}
    left: Iterable[int] = range(len(objects))
    compiled = speedups.compiled
    codes: bytearray | None = None
    if arranged:  # the compiled walk did the easy nodes (as arrange does), the others below
        ops, params, operands, codes, left = arranged
    elif compiled is not None:  # the easy nodes in C, the others below
        easy = _known_names(names)
        ops, params, operands, codes, left = compiled.arrange(names, raw, ordered, easy, ADD, MUL)
    for k in left:
        name = names[k]
        slots = raw[k]
        if not slots:
            continue  # a leaf, whatever its op says (disconnected nodes are the checker's to report)
        key = name if name.__class__ is str or isinstance(name, str) else repr(name)
        known = parsed.get(key, _UNSEEN)
        if known is _UNSEEN:
            known = parsed[key] = _parse_name(key) if isinstance(name, str) else None
        if known is None:
            unknown.setdefault(key, []).append(k)
            continue
        op, ops[k], params[k] = known[0], known[0], known[1]
        if (op is ADD or op is MUL) and len(slots) == 2:  # _arrange's answer, without a call
            a, b = slots
            operands[k] = (a, b) if ordered[k] or a < b else (b, a)
        else:
            operands[k] = _arrange(op, known[1], slots, ordered[k], data, k, key, warnings)
    for key, nodes in unknown.items():
        op, param = _infer(key, nodes, raw, data, labels)
        warnings.append(
            f"op {key!r} is not a name gradstep knows: read as {op.symbol(param)} from the values"
        )
        for k in nodes:
            ops[k], params[k] = op, param
            operands[k] = _arrange(op, param, raw[k], ordered[k], data, k, key, warnings)
    if codes is not None:  # the codes of the nodes arranged here
        for k in left:
            codes[k] = OP_CODES.get(id(ops[k]), OTHER_OP)
    if not roots:  # every node was reached from the output
        reachable = bytearray(b"\x01") * len(objects)
    else:
        reachable = bytearray(len(objects))
        reachable[out] = 1
        for k in range(out, -1, -1):  # operands come before results: one backward sweep
            if reachable[k]:
                for j in operands[k] or raw[k]:
                    reachable[j] = 1
    if compiled is not None:
        orderless = compiled.where_is(ordered, False)
        all_str = compiled.all_exactly(names, str)
    else:
        orderless = bytearray(map(operator.not_, ordered))
        all_str = set(map(type, names)) <= {str}
    return ForeignGraph(
        objects,
        ops,
        params,
        operands,
        list(names) if all_str else [_name(n) for n in names],
        data,
        labels,
        out,
        index,
        reachable,
        orderless,
        warnings,
        _by_node=by_node,
        codes=codes,
    )


def _known_names(names: list[Any]) -> dict[str, tuple[Op, float, int, int]]:
    """Each op name of the graph that gradstep knows, with its op, parameter, arity and code (for
    ``_speedups.arrange``)."""
    known = {}
    for name in {name for name in names if name.__class__ is str}:
        if (entry := _known_entry(name)) is not None:
            known[name] = entry
    return known


def _known_entry(name: Any) -> tuple[Op, float, int, int] | None:
    """An op name gradstep knows, with its op, parameter, arity and code; None for any other."""
    if name.__class__ is str and (parsed := _parse_name(name)) is not None:
        return parsed[0], parsed[1], parsed[0].arity, OP_CODES.get(id(parsed[0]), OTHER_OP)
    return None


def _plain_label(cls: type) -> bool:
    """True when ``obj.label`` can only come from the instance dict (as for micrograd's ``Value``,
    which sets none): reading the dict spares the AttributeError ``getattr(obj, "label", "")``
    makes and drops for every node without one."""
    return (
        inspect.getattr_static(cls, "label", _ABSENT) is _ABSENT
        and inspect.getattr_static(cls, "__getattr__", _ABSENT) is _ABSENT
        and getattr(cls, "__getattribute__", None) is object.__getattribute__
        and any(isinstance(vars(k).get("__dict__"), types.GetSetDescriptorType) for k in cls.__mro__)
    )


_ABSENT = object()
_UNSEEN: Any = object()


def _not_a_node(stack: list[Any], obj: Any) -> ForeignGraphError:
    """The error for a node of a known class without ``data``, naming the node that uses it."""
    for entry in reversed(stack):
        if entry.__class__ is tuple and any(child is obj for child in entry[2]):
            parent = entry[0]
            return ForeignGraphError(
                f"an operand of a node (data={getattr(parent, 'data', '?')!r}) is a "
                f"{type(obj).__name__}, not a node"
            )
    return ForeignGraphError(
        f"your {type(obj).__name__} has no .data: gradstep reads each node's value from it"
    )


def _name(name: Any) -> str:
    return name if isinstance(name, str) else ("" if name is None else repr(name))


def _label(obj: Any) -> str:
    label = getattr(obj, "label", "")
    if label is None:
        return ""
    return label if isinstance(label, str) else str(label)


def _arrange(
    op: Op,
    param: float,
    slots: Sequence[int],
    ordered: bool,
    data: list[float],
    k: int,
    name: str,
    warnings: list[str],
) -> tuple[int, ...]:
    """The operands of node ``k`` in op order: ``a + a`` twice, ``a - b`` with ``a`` first."""
    if op.arity == 1:
        if len(slots) != 1:
            raise ForeignGraphError(
                f"op {name!r} takes one operand, but node #{k} (data={format_number(data[k])}) "
                f"has {len(slots)}"
            )
        return (slots[0],)
    if len(slots) == 1:
        return (slots[0], slots[0])  # a + a: a set keeps one element for both uses
    if len(slots) != 2:
        raise ForeignGraphError(
            f"op {name!r} takes two operands, but node #{k} (data={format_number(data[k])}) has {len(slots)}"
        )
    a, b = slots
    if ordered:
        return (a, b)
    if op is ADD or op is MUL:
        return (a, b) if a < b else (b, a)
    forward = _fits(op, param, (data[a], data[b]), data[k])
    backward = _fits(op, param, (data[b], data[a]), data[k])
    if forward and backward and data[a] != data[b]:
        warnings.append(
            f"node #{k} ({name}): both operand orders give its value, so which operand is first "
            "cannot be recovered from the set"
        )
    if backward and not forward:
        return (b, a)
    return (a, b) if a < b or forward else (b, a)


def _infer(
    name: str, nodes: list[int], raw: _RawNumbers, data: list[float], labels: Sequence[str]
) -> tuple[Op, float]:
    """The one known op that gives every node named ``name`` its value, or a ``ForeignGraphError``."""
    candidates: list[tuple[Op, float]] = []
    for op in OPS.values():
        if op is POW:
            candidates += [(POW, k) for k in _GUESS_POWERS]
        else:
            candidates.append((op, 0.0))
    fitting = []
    for op, param in candidates:
        if all(_fits_node(op, param, raw[k], data, k) for k in nodes):
            fitting.append((op, param))
    if len(fitting) == 1:
        return fitting[0]
    k = nodes[0]
    who = f"{labels[k]!r}" if labels[k] else f"#{k}"
    operands = ", ".join(format_number(data[j]) for j in raw[k])
    shown = name if len(name) <= 40 else name[:39] + "…"
    if not fitting:
        why = "no op gradstep knows gives its value"
    else:
        why = "several ops give its value (" + ", ".join(op.symbol(p) for op, p in fitting) + ")"
    raise ForeignGraphError(
        f"cannot read op {shown!r} of node {who} (data={format_number(data[k])}, operands {operands}): "
        f"{why}; name it as one of {READS}"
    )


def _fits_node(op: Op, param: float, slots: Sequence[int], data: list[float], k: int) -> bool:
    if op.arity == 1:
        return len(slots) == 1 and _fits(op, param, (data[slots[0]],), data[k])
    if len(slots) == 1:
        return _fits(op, param, (data[slots[0]], data[slots[0]]), data[k])
    if len(slots) != 2:
        return False
    a, b = slots
    return _fits(op, param, (data[a], data[b]), data[k]) or _fits(op, param, (data[b], data[a]), data[k])
