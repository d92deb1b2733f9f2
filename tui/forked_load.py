"""Loading a big file in a forked child process, so the app keeps only the trace (issue 14, memory).

A load makes millions of short-lived small objects (the syntax tree, the Values, the trace's working
lists) while the app's thread keeps drawing; the few objects the app keeps from that time are
spread through the allocator's arenas, which then cannot go back to the system: measured on a
100,000-node sum, 19 of those 1 MB arenas stayed, almost empty, after the load. In a child, all of
that is the child's and ends with it; the app receives the finished trace, pickled (7 MB, ~15 ms
both ways, at 100,000 nodes) through a pipe, and progress reports the same way.

The child only reads, parses, interprets and traces: it never writes to the terminal (its standard
streams are /dev/null), ignores the terminal's signals, and dies with the thread that forked it.
Where there is no ``fork`` (or it is unsafe, as on macOS) the load stays on the loader's thread.

The command forks the first load early (``start_early``), before it imports Textual: the child
reads and traces on the machine's other core while the app starts, and the app's loader takes it
over (``load_and_trace``) if the file is still the one it read.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from gradstep.core.language import ExpressionError, Progress, load
from gradstep.core.trace import Trace, trace

AVAILABLE = sys.platform == "linux" and hasattr(os, "fork")
"""Whether loads can run in a child here (Linux: ``fork`` is safe enough for a child that only
computes, and the child can be told to die with its parent)."""

REPORT_SECONDS = 0.05
"""The child sends at most one progress report this often (the loader thins them out further)."""

BACKGROUND_BYTES = 32 * 1024
"""Files from this size load in the background (the app's loader, a child process where there can
be one), behind a progress bar; smaller ones load at once."""

_PR_SET_PDEATHSIG = 1

Send = Callable[..., None]


class ChildFailed(Exception):
    """The child's load failed on something other than the file (a bug in the core): its repr is
    the child's exception's, so the app says the same as for a load on its own thread."""

    def __repr__(self) -> str:
        return str(self.args[0])


Signature = tuple[int, int]
"""A file's modification time (ns) and size: what a load read, as far as ``stat`` can tell."""


@dataclass(frozen=True)
class _Child:
    pid: int
    output: int
    """The read end of the pipe the child reports down."""


_early: dict[str, tuple[Signature, _Child]] = {}


def signature(path: str) -> Signature | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def in_background(seen: Signature | None) -> bool:
    """Whether a file of this signature loads in the background (``BACKGROUND_BYTES`` and more)."""
    return seen is not None and seen[1] >= BACKGROUND_BYTES


def start_early(path: str) -> None:
    """Start loading ``path`` in a child now, if it is big enough to load in the background.

    For the command, before it imports the app: the load then runs beside the app's start-up. The
    child dies with this process; a load nobody takes over ends with it.
    """
    seen = signature(path)
    if AVAILABLE and in_background(seen) and path not in _early:
        _early[path] = (seen, _fork(path))


def _take_early(path: str) -> _Child | None:
    """The child started early for ``path``, if the file has not changed since (else it is ended)."""
    seen, child = _early.pop(path, (None, None))
    if child is None:
        return None
    if seen == signature(path):
        return child
    _end(child)
    return None


_F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20
"""The pipe's buffer (Linux's default most a user may ask for; 64 KiB without): the trace, several
MB, then crosses in fewer turns of the two processes."""


def _fork(path: str) -> _Child:
    import fcntl  # (here: Linux only, as fork is)

    read, write = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write, _F_SETPIPE_SZ, PIPE_BYTES)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        _child(path, write)
    os.close(write)
    return _Child(pid, read)


def _end(child: _Child) -> None:
    with contextlib.suppress(OSError):
        os.close(child.output)
    with contextlib.suppress(OSError):
        os.kill(child.pid, signal.SIGKILL)  # gone already when it answered; stopped if not
    with contextlib.suppress(OSError):
        os.waitpid(child.pid, 0)


def load_and_trace(path: str, progress: Progress) -> Trace:
    """``trace(load(path).output)``, computed in a forked child (the one ``start_early`` began for
    ``path``, if any and the file is unchanged).

    Raises what ``load`` raises (``ExpressionError``) and what ``progress`` raises (the load is then
    stopped: the child is killed); a child that fails otherwise becomes a ``ChildFailed``.
    """
    child = _take_early(path) or _fork(path)
    graph: Trace | None = None
    try:
        with os.fdopen(child.output, "rb", closefd=False) as incoming:
            while True:
                try:
                    kind, *rest = pickle.load(incoming)
                except EOFError:
                    if graph is not None:  # the child failed on the spanning tree: the app makes it
                        return graph
                    raise ChildFailed("the loading process ended without a result") from None
                if kind == "progress":
                    stage, done, total = rest
                    progress(stage, done, total)
                elif kind == "done":
                    (graph,) = rest
                    assert isinstance(graph, Trace)
                elif kind == "spanning":
                    (spanning,) = rest
                    assert graph is not None
                    graph.keep_spanning(spanning)
                    return graph
                elif kind == "error":
                    (error,) = rest
                    assert isinstance(error, ExpressionError)
                    raise error
                else:
                    raise ChildFailed(rest[0])
    finally:
        _end(child)


def _child(path: str, write: int) -> None:
    """Load and trace ``path``, sending reports and the result down ``write``; then exit."""
    try:
        _detach()
        gc.disable()  # one pass that frees nothing until exit: the collector would only rescan it
        with os.fdopen(write, "wb") as out:

            def send(*message: object) -> None:
                data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)  # whole, or nothing sent
                out.write(data)
                out.flush()

            _work(path, send)
    except BaseException:  # nothing may reach the terminal, and the app's code must not run on
        pass
    finally:
        os._exit(0)


def _detach() -> None:
    """Die with the loader's thread; leave the terminal and the app's signal handling alone."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the app ended between the fork and the line above
        os._exit(0)
    signal.set_wakeup_fd(-1)  # the app's event loop listens on that one
    for number in (signal.SIGWINCH, signal.SIGINT, signal.SIGTSTP, signal.SIGCONT):
        signal.signal(number, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the child's, until it exits)


def _work(path: str, send: Send) -> None:
    last = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= REPORT_SECONDS or done == 0:
            last = now
            send("progress", stage, done, total)

    try:
        program = load(path, progress)
        send("progress", "tracing", 0, 1)
        graph = trace(program.output)
    except ExpressionError as error:
        try:
            send("error", error)
        except Exception:  # it would not pickle: its words alone
            send("failed", repr(str(error)))
        return
    except Exception as problem:
        send("failed", repr(problem))
        return
    send("done", graph)
    # The app unpacks the trace meanwhile: the tree's walk of the graph costs it nothing then.
    send("spanning", graph.spanning)
