"""Loading a big file off the app's thread, with progress, so the app answers keys meanwhile.

The file is read, parsed (slice by slice: ``ast.parse`` holds the interpreter lock while it runs),
interpreted and traced on a daemon thread; it posts ``LoadProgress`` now and then and one
``LoadFinished`` at the end (``post_message`` is thread-safe). A newer load supersedes an older
one: the older stops at its next progress report, and anything it would still post is ignored.
The thread is a daemon, so ``q`` quits at once even while the parser runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from gradstep.core.language import ExpressionError, load
from gradstep.core.trace import Trace, trace
from gradstep.tui import forked_load
from textual.app import App
from textual.message import Message

IN_CHILD = True
"""Load in a forked process where that can be done (see ``forked_load``): the app then keeps only
the trace, not the allocator's leftovers of the load. Tests that patch ``load`` turn it off."""

REPORT_SECONDS = 0.1
"""At most one progress report this often (each one redraws the bar)."""


def _give_back_memory() -> None:
    """Hand the memory the parse freed back to the system (glibc keeps it otherwise: measured ~9 MB
    more resident after a 200,000-node file); nothing where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)


SWITCH_SECONDS = 0.0005
"""The interpreter's thread switch interval while a file loads (the default is 5 ms): the app's
thread takes the interpreter lock dozens of times to answer one key, and each time waits for the
loading thread to let go of it."""


_switching = threading.Lock()
_loads_running = 0
_switch_before = 0.0
_collector_before = True


@contextlib.contextmanager
def _quick_switches() -> Iterator[None]:
    """While at least one load runs: ``SWITCH_SECONDS``, and no cyclic garbage collection (a full
    collection over the half-built graph and its syntax tree holds the lock for most of a second,
    and a load makes no cycles to collect); as found before, after the last load."""
    global _loads_running, _switch_before, _collector_before
    with _switching:
        if _loads_running == 0:
            _switch_before = sys.getswitchinterval()
            _collector_before = gc.isenabled()
            sys.setswitchinterval(SWITCH_SECONDS)
            gc.disable()
        _loads_running += 1
    try:
        yield
    finally:
        with _switching:
            _loads_running -= 1
            if _loads_running == 0:
                sys.setswitchinterval(_switch_before)
                if _collector_before:
                    gc.enable()


class Superseded(Exception):
    """Raised inside a load's progress report when a newer load has started."""


@dataclass(frozen=True)
class LoadRequest:
    """What to do with a load's result: reload in place (keep the step) or open a new file."""

    path: str
    keep_position: bool = False
    opening: bool = False


class LoadProgress(Message):
    """A background load reached ``done`` of ``total`` in ``stage`` (see core.language.Progress)."""

    def __init__(self, generation: int, stage: str, done: int, total: int) -> None:
        super().__init__()
        self.generation = generation
        self.stage = stage
        self.done = done
        self.total = total


class LoadFinished(Message):
    """A background load ended: the ``graph`` traced, or the ``error`` (the file's, or a sentence
    when the core failed). The program's Values are not sent: the trace holds all that is shown."""

    def __init__(
        self,
        generation: int,
        request: LoadRequest,
        graph: Trace | None,
        error: ExpressionError | str | None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.request = request
        self.graph = graph
        self.error = error


class Loader:
    """Runs one load at a time on a daemon thread for ``app``; ``generation`` names the newest."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.generation = 0
        self.request: LoadRequest | None = None
        """The load under way, or None."""

    @property
    def busy(self) -> bool:
        return self.request is not None

    def start(self, request: LoadRequest, later: Callable[[Callable[[], None]], object] | None = None) -> int:
        """Start loading ``request.path`` (superseding any load under way); its generation.

        ``later``: runs the thread's start when it calls it back (the app's ``call_after_refresh``:
        the frame and the bar are drawn first, without the load competing for the interpreter).
        """
        self.generation += 1
        self.request = request
        generation = self.generation
        thread = threading.Thread(
            target=self._run, args=(generation, request), name="gradstep-load", daemon=True
        )
        if later is None:
            thread.start()
        else:
            later(thread.start)
        return generation

    def finished(self, generation: int) -> bool:
        """Whether ``generation``'s result is the one to use (the newest); marks the loader idle."""
        if generation != self.generation:
            return False
        self.request = None
        return True

    def cancel(self) -> None:
        """Forget the load under way (its thread stops at its next report)."""
        self.generation += 1
        self.request = None

    def _post(self, message: Message) -> None:
        with contextlib.suppress(RuntimeError):  # the app closed its event loop: nobody is waiting
            self.app.post_message(message)

    def _run(self, generation: int, request: LoadRequest) -> None:
        with _quick_switches():
            self._load(generation, request)

    def _load(self, generation: int, request: LoadRequest) -> None:
        last = 0.0

        def progress(stage: str, done: int, total: int) -> None:
            nonlocal last
            if generation != self.generation:
                raise Superseded
            now = time.monotonic()
            if now - last >= REPORT_SECONDS or done == 0:
                last = now
                self._post(LoadProgress(generation, stage, done, total))

        graph: Trace | None = None
        error: ExpressionError | str | None = None
        try:
            if forked_load.AVAILABLE and IN_CHILD:
                graph = forked_load.load_and_trace(request.path, progress)
            else:
                program = load(request.path, progress)
                progress("tracing", 0, 1)
                graph = trace(program.output)
                graph.spanning  # noqa: B018 (made here, off the app's thread)
                del program  # its Values die here, so the memory given back next includes theirs
            _give_back_memory()
            progress("drawing", 0, 1)
        except Superseded:
            return
        except ExpressionError as problem:
            graph, error = None, problem
        except Exception as problem:  # a bug in the core must not take the person's session down
            graph, error = None, f"{request.path}: error: could not load the file: {problem!r}"
        self._post(LoadFinished(generation, request, graph, error))
