"""The app keeps only the trace of a file it loaded, never the program's Values (issue 14, big
files' memory): the graph built from the file is as big again as the trace, and nothing reads it
once traced.

Values have no weak references (``__slots__``), so a Value still alive is found among the objects
the collector tracks: every Value made by the load has an id above the one made just before it.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gradstep.core import language
from gradstep.core.engine import Value
from gradstep.core.examples import SEED
from gradstep.tui import app as app_module
from gradstep.tui import loader as loader_module
from gradstep.tui.app import BACKGROUND_BYTES, GradstepApp

if TYPE_CHECKING:
    from tests.tui.conftest import Loaded

SIZE = (120, 40)


def big_sum(terms: int = 12_000) -> str:
    lines = ["s = Value(0.0, label='s')"]
    for first in range(0, terms, 10):
        lines.append("s = s + " + " + ".join("0.5" for _ in range(first, min(terms, first + 10))))
    text = "\n".join(lines) + "\ns\n"
    assert len(text) >= BACKGROUND_BYTES  # loads on the loader's thread
    return text


class Watch:
    """Wraps ``load``: a weak reference to each program loaded, and the id before its Values."""

    def __init__(self) -> None:
        self.programs: list[weakref.ref[language.Program]] = []
        self.first_id: int | None = None

    def wrap(self, real: Callable[..., language.Program]) -> Callable[..., language.Program]:
        def load(*args: object, **kwargs: object) -> language.Program:
            if self.first_id is None:
                self.first_id = Value(0.0).id
            program = real(*args, **kwargs)
            self.programs.append(weakref.ref(program))
            return program

        return load

    def values_alive(self) -> int:
        """How many Values made by the loads are still alive (after a full collection)."""
        assert self.first_id is not None, "nothing was loaded"
        gc.unfreeze()  # the app freezes what is alive after a load; frozen objects are not listed
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is Value and o.id > self.first_id)


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Watch:
    watching = Watch()
    monkeypatch.setattr(loader_module, "load", watching.wrap(language.load))
    monkeypatch.setattr(app_module, "load", watching.wrap(language.load))
    monkeypatch.setattr(loader_module, "IN_CHILD", False)  # the load on the loader's thread
    return watching


async def test_a_big_file_loaded_keeps_no_values(tmp_path: Path, watch: Watch, loaded: Loaded) -> None:
    path = tmp_path / "big.gs"
    path.write_text(big_sum())
    app = GradstepApp(str(path), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.loading
        await loaded(app, pilot)
        assert app.trace is not None and app.trace.size == 2 * 12_000 + 1
        assert len(watch.programs) == 1
        assert watch.values_alive() == 0
        assert watch.programs[0]() is None
        assert app.trace.data[app.trace.output] == 6000.0  # the trace holds what is shown


async def test_a_small_file_and_its_reload_keep_no_values(tmp_path: Path, watch: Watch) -> None:
    path = tmp_path / "seed.gs"
    path.write_text(SEED)
    app = GradstepApp(str(path), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.loading and app.trace is not None
        await pilot.press("n", "n")
        app.check_file()  # unchanged: nothing to do
        path.write_text(SEED + "\n")
        app.check_file()  # a reload in place
        await pilot.pause()
        assert len(watch.programs) == 2
        assert app.trace.position == 2
        assert watch.values_alive() == 0
        assert all(program() is None for program in watch.programs)


async def test_the_collector_runs_less_often_while_the_app_runs_and_as_before_after() -> None:
    before = gc.get_threshold()
    app = GradstepApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert gc.get_threshold() == (app_module.GC_YOUNG, *before[1:])
    assert gc.get_threshold() == before  # debug() leaves the caller's process as it found it
