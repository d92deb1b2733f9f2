"""Running a learner's ``backward()`` once, with every step and every grad change recorded.

Two temporary hooks, both removed before ``record`` returns, so their objects end as their own
backward left them:

* each node's ``_backward`` is wrapped (per instance, as micrograd stores a closure per node; or on
  the class, where it is a method): the wrapper notes which node's step runs, then calls theirs;
* their class gets a ``grad`` hook that logs every write with the step running at the time, so a
  grad changed anywhere is seen, not only on the step's own operands (a ``stray``). Where ``grad``
  lives in the instance dict (micrograd, the lecture) the hook is a set-only descriptor, so reads
  stay at full speed; a slot or their own property is wrapped in a property that goes through it.

Where a class allows neither hook (no ``_backward`` to wrap), only the final grads are compared,
and the recording says why. Their ``backward()`` runs on a daemon thread: one that does not return
within ``timeout`` seconds is reported, not waited for. What it raises is kept with its traceback.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import math
import sys
import threading
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from typing import Any

from . import speedups
from .foreign import ForeignGraph, ForeignGraphError

TIMEOUT = 10.0
"""Seconds their ``backward()`` may take before it is reported as hanging."""

_MISSING = object()


class _Marker:
    """A step's beginning or end in the log (compared by identity, never equal to their nodes)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


START = _Marker("START")
"""``START, node, None``: their node's ``_backward`` was called."""
END = _Marker("END")
"""``END, None, None``: the innermost running step returned."""
ABORT = _Marker("ABORT")
"""``ABORT, None, None``: the innermost running step raised (what it raised went on up)."""


@dataclass
class Recording:
    """What happened during their backward, as one flat log of triples, in the order it happened.

    ``node, old, new``: their node's grad was written (``old`` as it was, ``new`` as set); ``START,
    node, None``, ``END, None, None`` and ``ABORT, None, None``: a step began, returned or raised.
    Steps nest when theirs call each other; a write belongs to the innermost step running (to none
    outside them). One flat list and no object per event: the hooks run once per step and per
    write of a graph of a hundred thousand nodes, so they do as little as Python allows. Where the
    loops are compiled, the log is a ``_speedups.Tape``: the same sequence of triples to Python,
    kept as one small record a triple (a node by its number, a float grad as a double), which the
    compiled judge reads without making an object.
    """

    initial: list[float]
    final: list[float] = field(default_factory=list)
    log: Any = field(default_factory=list)
    """A list, or the compiled ``Tape`` (a sequence with ``extend`` of one triple)."""
    starts: MutableSequence[int] = field(default_factory=list)
    """Where each step's ``START`` is in the log, in the order the steps began."""
    ends: MutableSequence[int] = field(default_factory=list)
    """Where each ``END`` or ``ABORT`` is in the log, in the order the steps ended: where no step
    ran inside another, ``starts[s] < ends[s] < starts[s + 1]``, and the judge goes step by step."""
    stepwise: bool = True
    why_not_stepwise: str = ""
    error: BaseException | None = None
    timed_out: bool = False


def grad_of(obj: Any) -> float:
    """Their node's grad as a float (``None``, as some engines start, is 0)."""
    value = getattr(obj, "grad", 0.0)
    if value is None:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ForeignGraphError(f"a node's grad is {value!r}, not a number") from None


def number(value: Any) -> float:
    if value is None:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _grad_writes(log: list[Any]) -> Any:
    """A set-only descriptor for ``grad``: writes are logged, reads never reach it.

    A data descriptor without ``__get__`` lets Python read ``node.grad`` from the instance dict at
    full speed, while every ``node.grad = ...`` (and ``+=``) comes through ``__set__``.
    """
    extend = log.extend

    def __set__(self: Any, obj: Any, value: Any) -> None:
        store = obj.__dict__
        extend((obj, store.get("grad"), value))
        store["grad"] = value

    return type("_GradWrites", (), {"__set__": __set__, "__slots__": ()})()


def _step_runner(recording: Recording) -> Callable[..., Any]:
    """``run(node, theirs, *args)``: their ``_backward`` called between a ``START`` and an ``END``
    (an ``ABORT`` where it raised), each noted where it is in the log."""
    log = recording.log
    extend, begun, ended = log.extend, recording.starts.append, recording.ends.append
    end, abort = (END, None, None), (ABORT, None, None)

    def run(node: Any, original: Any, *args: Any, **kwargs: Any) -> Any:
        begun(len(log))
        extend((START, node, None))
        try:
            result = original(*args, **kwargs)
        except BaseException:
            ended(len(log))
            extend(abort)
            raise
        ended(len(log))
        extend(end)
        return result

    return run


class _StepHook:
    """A data descriptor for ``_backward`` on their class: reading ``node._backward`` (as their
    ``backward()`` does, to call it) gives their closure wrapped so that the step is recorded.

    Writes go to the instance dict as before, so their objects keep their own closures.
    """

    def __init__(self, recording: Recording, fallback: Any) -> None:
        self.run = _step_runner(recording)
        self.fallback = fallback

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return partial(self.run, obj, obj.__dict__["_backward"])
        except KeyError:
            if self.fallback is None:
                raise AttributeError("_backward") from None
            fallback = self.fallback
            original = fallback.__get__(obj, cls) if hasattr(fallback, "__get__") else fallback
            return partial(self.run, obj, original)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_backward"] = value

    def __delete__(self, obj: Any) -> None:
        del obj.__dict__["_backward"]


class _Hooks:
    """The temporary hooks on their classes and nodes, and how to take them off again."""

    def __init__(self, graph: ForeignGraph, recording: Recording) -> None:
        self.graph = graph
        self.recording = recording
        self.undo: list[Callable[[], None]] = []
        self._table: Any = None
        if speedups.compiled is not None:  # the log kept compact, for the compiled hooks and judge
            recording.log = speedups.compiled.Tape(self.table(), START, END, ABORT)
        self.log = recording.log
        self.grad_stores: list[Any] = []
        """The compiled grad hooks put on, one per class (``_speedups.GradStore``)."""
        self.step_hook: Any = None
        """The compiled step hook, where it is the only one and keeps the steps' places itself."""
        compiled = speedups.compiled
        if compiled is not None and isinstance(graph._by_node, compiled.NodeTable):
            self.classes = {type(graph.objects[0])}  # the compiled walk reads one class only
        else:
            self.classes = set(map(type, graph.objects))

    def table(self) -> Any:
        """Their nodes by address, for the compiled hooks (``_speedups.NodeTable``), made once."""
        compiled = speedups.compiled
        if self._table is None and compiled is not None:
            walked = self.graph._by_node  # the compiled walk's own, where it read the graph
            same = isinstance(walked, compiled.NodeTable) and len(walked) == self.graph.size
            operands = self.graph.operands  # a FlatOperands, where read used the compiled loops
            flat = operands if isinstance(operands, compiled.FlatOperands) else None
            self._table = walked if same else compiled.NodeTable(self.graph.objects, flat)
        return self._table

    # --- steps ---------------------------------------------------------------------------------

    def wrap_steps(self) -> bool:
        """Hook every node's ``_backward``; False when their class has none to hook.

        Where the closures live in the instance dict (micrograd, the lecture), one descriptor on the
        class does it (``_StepHook``): nothing is done per node, and nothing needs undoing per node.
        A ``_backward`` method is wrapped on the class; a slot, per node.
        """
        wrapped_any = False
        patched_classes: set[type] = set()
        classes = self.classes
        per_node: list[tuple[Any, Any, Any]] = []
        run = _step_runner(self.recording)
        for obj in self.graph.objects:
            cls = type(obj)
            if cls in patched_classes:
                wrapped_any = True
                if len(patched_classes) == len(classes):
                    break  # every class is hooked: nothing is left to do per node
                continue
            own = getattr(obj, "__dict__", {}).get("_backward", _MISSING)
            static = inspect.getattr_static(cls, "_backward", _MISSING)
            if own is not _MISSING and (static is _MISSING or inspect.isfunction(static)):
                patched_classes.add(cls)
                self._hook_class(cls)
                wrapped_any = True
                continue
            if own is _MISSING:
                if inspect.isfunction(static):
                    patched_classes.add(cls)
                    self._wrap_method(cls, static)
                    wrapped_any = True
                    continue
                own = getattr(obj, "_backward", _MISSING)  # a slot
                if own is _MISSING or not callable(own):
                    continue
            wrapper = partial(run, obj, own)
            try:
                obj._backward = wrapper
            except (AttributeError, TypeError):
                continue
            per_node.append((obj, own, wrapper))
            wrapped_any = True

        def unwrap() -> None:
            for obj, original, wrapper in per_node:
                with contextlib.suppress(Exception):
                    if getattr(obj, "_backward", None) is wrapper:  # theirs may have replaced it
                        obj._backward = original

        self.undo.append(unwrap)
        return wrapped_any

    def _hook_class(self, cls: type) -> None:
        original = cls.__dict__.get("_backward", _MISSING)
        fallback = inspect.getattr_static(cls, "_backward", None)
        compiled, rec = speedups.compiled, self.recording
        hook: Any
        if compiled is None:
            hook = _StepHook(rec, fallback)
        elif len(self.classes) == 1:  # the only hook on steps: it keeps where they begin and end in C
            hook = self.step_hook = compiled.StepHook(
                rec.log, None, None, START, END, ABORT, fallback, self.table()
            )
        else:
            hook = compiled.StepHook(rec.log, rec.starts, rec.ends, START, END, ABORT, fallback, self.table())
        cls._backward = hook  # type: ignore[attr-defined]

        def restore() -> None:
            if original is _MISSING:
                delattr(cls, "_backward")
            else:
                cls._backward = original  # type: ignore[attr-defined]
            if compiled is not None:
                hook.store_back()

        self.undo.append(restore)

    def _wrap_method(self, cls: type, method: Any) -> None:
        run = _step_runner(self.recording)

        def _backward(node: Any, *args: Any, **kwargs: Any) -> Any:
            return run(node, method, node, *args, **kwargs)

        original = cls.__dict__.get("_backward", _MISSING)
        cls._backward = _backward  # type: ignore[attr-defined]

        def restore() -> None:
            if original is _MISSING:
                delattr(cls, "_backward")
            else:
                cls._backward = original  # type: ignore[attr-defined]

        self.undo.append(restore)

    # --- grads ---------------------------------------------------------------------------------

    def watch_grads(self) -> bool:
        """Log every write of ``grad`` on their classes; False where a class cannot be hooked."""
        return all(self._watch(cls) for cls in self.classes)

    def _watch(self, cls: type) -> bool:
        static = inspect.getattr_static(cls, "grad", _MISSING)
        own = cls.__dict__.get("grad", _MISSING)
        log = self.log
        compiled = speedups.compiled
        hook: Any
        if static is _MISSING and hasattr(cls, "__dict__") and "__slots__" not in vars(cls):
            # grad lives in the instance dict: reads stay fast (in C, the nodes' grads are kept aside)
            if compiled is None:
                hook = _grad_writes(log)
            else:
                hook = compiled.GradStore(log, self.table())
                self.grad_stores.append(hook)
        elif static is not _MISSING and hasattr(type(static), "__set__") and hasattr(type(static), "__get__"):
            descriptor = static  # a slot or their own property: go through it

            def getter(obj: Any) -> Any:
                return descriptor.__get__(obj, cls)

            def write(obj: Any, value: Any) -> None:
                try:
                    old = descriptor.__get__(obj, cls)
                except AttributeError:
                    old = None
                log.extend((obj, old, value))
                descriptor.__set__(obj, value)

            hook = property(getter, write)
        else:
            return False
        try:
            cls.grad = hook  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            return False

        def restore() -> None:
            if own is _MISSING:
                delattr(cls, "grad")
            else:
                cls.grad = own  # type: ignore[attr-defined]
            if any(hook is store for store in self.grad_stores):
                hook.store_back()

        self.undo.append(restore)
        return True

    def remove(self) -> None:
        for undo in reversed(self.undo):
            with contextlib.suppress(Exception):
                undo()
        self.undo.clear()


def _grads(objects: list[Any], convert: Callable[[Any], float]) -> list[float]:
    """Every node's grad as a float: one pass at C speed where all are numbers, else ``convert``."""
    try:
        return list(map(float, map(_GRAD, objects)))
    except Exception:
        return [convert(obj) for obj in objects]


_GRAD = attrgetter("grad")


def record(graph: ForeignGraph, timeout: float = TIMEOUT) -> Recording:
    """Call their output's ``backward()`` once, recorded (see the module doc)."""
    objects = graph.objects
    output = objects[graph.output]
    if not callable(getattr(output, "backward", None)):
        raise ForeignGraphError(
            f"your {type(output).__name__} has no backward(): gradstep calls it on the output"
        )
    recording = Recording([])
    hooks = _Hooks(graph, recording)
    final: list[float] | None = None
    collecting = gc.isenabled()
    gc.disable()  # their graph is full of reference cycles: a collection would walk all of it, often
    try:
        if not hooks.wrap_steps():
            recording.stepwise = False
            recording.why_not_stepwise = (
                "your nodes have no _backward to follow, so only final grads are compared"
            )
        elif not hooks.watch_grads():
            recording.stepwise = False
            recording.why_not_stepwise = (
                "your class's grad cannot be watched, so only final grads are compared"
            )
        # every grad before backward: from the compiled hook where it keeps them all (one class);
        # read through the hooks otherwise, which give what their objects hold
        one_store = len(hooks.grad_stores) == len(hooks.classes) == 1
        initial = hooks.grad_stores[0].floats() if one_store else None
        recording.initial = _grads(objects, grad_of) if initial is None else initial
        failure: list[BaseException] = []

        def run() -> None:
            try:
                output.backward()
            except BaseException as error:  # their code: handed to the caller
                failure.append(error)

        worker = threading.Thread(target=run, name="gradstep-their-backward", daemon=True)
        # Their prints must not mix with a JSON document; restored here even if theirs never returns.
        with contextlib.redirect_stdout(sys.stderr):
            worker.start()
            worker.join(timeout)
        if worker.is_alive():
            recording.timed_out = True
        elif failure:
            recording.error = failure[0]
        # every grad as it is now, from the compiled hook where it kept them all (one class)
        if one_store:
            final = hooks.grad_stores[0].floats()
        if hooks.step_hook is not None:
            recording.starts, recording.ends = hooks.step_hook.positions()
    finally:
        hooks.remove()
        if collecting:
            gc.enable()
    if recording.timed_out:  # a hung backward may still be writing: keep what was recorded up to now
        recording.log = list(recording.log)
        recording.starts = list(recording.starts)
        recording.ends = list(recording.ends)
    if final is None or recording.timed_out:  # (a hung backward may still be writing)
        final = _grads(objects, lambda obj: number(getattr(obj, "grad", 0.0)))
    recording.final = final
    return recording
