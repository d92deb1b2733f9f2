"""Fixtures for driving the app with Pilot: expression files on disk that tests may rewrite."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from gradstep.core import demo, trace
from gradstep.core.examples import SEED
from gradstep.core.trace import Trace
from gradstep.tui.app import GradstepApp
from textual.pilot import Pilot


def write(path: Path, text: str) -> Path:
    """Write ``text`` and move the mtime on, so the app's poll sees a change even within one tick."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))
    return path


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    """The seed's expression in a file of its own, so tests may rewrite it."""
    return write(tmp_path / "seed.gs", SEED)


@pytest.fixture
def rewrite() -> Callable[[Path, str], Path]:
    """``rewrite(path, text)``: change a file so that the app's next poll sees it changed."""
    return write


@pytest.fixture
def small_network() -> Trace:
    """``demo.small_network_loss()`` traced: a labelled MLP(2, [4, 4, 1]) on six points."""
    return trace(demo.small_network_loss())


Loaded = Callable[[GradstepApp, Pilot[int]], Awaitable[None]]


@pytest.fixture
def loaded() -> Loaded:
    """``await loaded(app, pilot)``: wait until the file loading in the background is on screen."""
    return wait_until_loaded


async def wait_until_loaded(app: GradstepApp, pilot: Pilot[int], limit: float = 120.0) -> None:
    """Wait until the file the app loads in the background (a big one) is on screen."""
    waited = 0.0
    while app.loading:
        assert waited < limit, "the file did not load"
        await pilot.pause(0.05)
        waited += 0.05
    await pilot.pause()
