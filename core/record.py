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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .foreign import ForeignGraph, ForeignGraphError

TIMEOUT = 10.0
"""Seconds their ``backward()`` may take before it is reported as hanging."""

_MISSING = object()


@dataclass
class Recording:
    """What happened during their backward.

    ``steps[s]`` is the node whose ``_backward`` ran as step ``s`` (0-based; nested calls each count),
    ``starts[s]`` how many writes had happened when it began. ``writes`` holds ``(step, ident, old,
    new)``: the innermost step running (-1 outside any), ``id()`` of the object written (the graph's
    ``index`` gives its number) and the grad before and after.
    """

    initial: list[float]
    final: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    finished: set[int] = field(default_factory=set)
    """The steps whose ``_backward`` returned (the one that raised is not among them)."""
    starts: list[int] = field(default_factory=list)
    writes: list[tuple[int, int, Any, Any]] = field(default_factory=list)
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


class _GradWrites:
    """A set-only descriptor for ``grad``: writes are logged, reads never reach it.

    A data descriptor without ``__get__`` lets Python read ``node.grad`` from the instance dict at
    full speed, while every ``node.grad = ...`` (and ``+=``) comes through ``__set__``.
    """

    def __init__(self, writes: list[tuple[int, int, Any, Any]], current: list[int]) -> None:
        self.log = writes.append
        self.current = current

    def __set__(self, obj: Any, value: Any) -> None:
        store = obj.__dict__
        self.log((self.current[0], id(obj), store.get("grad"), value))
        store["grad"] = value


class _StepHook:
    """A data descriptor for ``_backward`` on their class: reading ``node._backward`` (as their
    ``backward()`` does, to call it) gives their closure wrapped so that the step is recorded.

    Writes go to the instance dict as before, so their objects keep their own closures.
    """

    def __init__(self, index: dict[int, int], rec: Recording, current: list[int], fallback: Any) -> None:
        self.index = index
        self.rec = rec
        self.current = current
        self.fallback = fallback

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None:
            return self
        original = obj.__dict__.get("_backward", _MISSING)
        if original is _MISSING:
            if self.fallback is None:
                raise AttributeError("_backward")
            original = self.fallback.__get__(obj, cls) if hasattr(self.fallback, "__get__") else self.fallback
        rec, current, node = self.rec, self.current, self.index.get(id(obj), -1)

        def _backward(*args: Any, **kwargs: Any) -> Any:
            rec.starts.append(len(rec.writes))
            outer = current[0]
            step = current[0] = len(rec.steps)
            rec.steps.append(node)
            try:
                result = original(*args, **kwargs)
                rec.finished.add(step)
                return result
            finally:
                current[0] = outer

        return _backward

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_backward"] = value

    def __delete__(self, obj: Any) -> None:
        del obj.__dict__["_backward"]


class _Hooks:
    """The temporary hooks on their classes and nodes, and how to take them off again."""

    def __init__(self, graph: ForeignGraph, recording: Recording) -> None:
        self.graph = graph
        self.recording = recording
        self.current = [-1]
        """The innermost step running, -1 outside any (a list: the hooks share it)."""
        self.undo: list[Callable[[], None]] = []

    # --- steps ---------------------------------------------------------------------------------

    def wrap_steps(self) -> bool:
        """Hook every node's ``_backward``; False when their class has none to hook.

        Where the closures live in the instance dict (micrograd, the lecture), one descriptor on the
        class does it (``_StepHook``): nothing is done per node, and nothing needs undoing per node.
        A ``_backward`` method is wrapped on the class; a slot, per node.
        """
        wrapped_any = False
        patched_classes: set[type] = set()
        per_node: list[tuple[Any, Any, Any]] = []
        rec, current = self.recording, self.current
        make = _step_wrapper
        for k, obj in enumerate(self.graph.objects):
            cls = type(obj)
            if cls in patched_classes:
                wrapped_any = True
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
            wrapper = make(k, own, rec, current)
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
        cls._backward = _StepHook(self.graph.index, self.recording, self.current, fallback)  # type: ignore[attr-defined]

        def restore() -> None:
            if original is _MISSING:
                delattr(cls, "_backward")
            else:
                cls._backward = original  # type: ignore[attr-defined]

        self.undo.append(restore)

    def _wrap_method(self, cls: type, method: Any) -> None:
        index, rec, current = self.graph.index, self.recording, self.current
        steps, starts, writes, finished = rec.steps, rec.starts, rec.writes, rec.finished

        def _backward(node: Any, *args: Any, **kwargs: Any) -> Any:
            starts.append(len(writes))
            outer = current[0]
            step = current[0] = len(steps)
            steps.append(index.get(id(node), -1))
            try:
                result = method(node, *args, **kwargs)
                finished.add(step)
                return result
            finally:
                current[0] = outer

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
        return all(self._watch(cls) for cls in {type(obj) for obj in self.graph.objects})

    def _watch(self, cls: type) -> bool:
        static = inspect.getattr_static(cls, "grad", _MISSING)
        own = cls.__dict__.get("grad", _MISSING)
        writes, current = self.recording.writes, self.current
        hook: Any
        if static is _MISSING and hasattr(cls, "__dict__") and "__slots__" not in vars(cls):
            hook = _GradWrites(writes, current)  # grad lives in the instance dict: reads stay fast
        elif static is not _MISSING and hasattr(type(static), "__set__") and hasattr(type(static), "__get__"):
            descriptor = static  # a slot or their own property: go through it

            def getter(obj: Any) -> Any:
                return descriptor.__get__(obj, cls)

            def write(obj: Any, value: Any) -> None:
                try:
                    old = descriptor.__get__(obj, cls)
                except AttributeError:
                    old = None
                writes.append((current[0], id(obj), old, value))
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

        self.undo.append(restore)
        return True

    def remove(self) -> None:
        for undo in reversed(self.undo):
            with contextlib.suppress(Exception):
                undo()
        self.undo.clear()


def _step_wrapper(k: int, original: Any, rec: Recording, current: list[int]) -> Callable[..., Any]:
    steps, starts, writes, finished = rec.steps, rec.starts, rec.writes, rec.finished

    def _backward(*args: Any, **kwargs: Any) -> Any:
        starts.append(len(writes))
        outer = current[0]
        step = current[0] = len(steps)
        steps.append(k)
        try:
            result = original(*args, **kwargs)
            finished.add(step)
            return result
        finally:
            current[0] = outer

    return _backward


def record(graph: ForeignGraph, timeout: float = TIMEOUT) -> Recording:
    """Call their output's ``backward()`` once, recorded (see the module doc)."""
    objects = graph.objects
    output = objects[graph.output]
    if not callable(getattr(output, "backward", None)):
        raise ForeignGraphError(
            f"your {type(output).__name__} has no backward(): gradstep calls it on the output"
        )
    recording = Recording([grad_of(obj) for obj in objects])
    hooks = _Hooks(graph, recording)
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
    finally:
        hooks.remove()
        if collecting:
            gc.enable()
    # A hung backward may still be writing: keep what was recorded up to now.
    recording.steps = list(recording.steps)
    recording.writes = list(recording.writes)
    recording.final = [number(getattr(obj, "grad", 0.0)) for obj in objects]
    return recording
