"""Fixtures for driving the app with Pilot: expression files on disk that tests may rewrite."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from core import Value, trace
from core.datasets import make_moons
from core.examples import SEED
from core.nn import MLP
from core.trace import Trace


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
    """A labelled MLP(2, [4, 4, 1]) hinge loss on six two-moons points: a few hundred nodes, deep
    enough to re-root the tree, wide enough to scroll it, and grouped by layer and neuron."""
    random.seed(3)  # the MLP's weights come from the global generator, as in micrograd
    points, labels = make_moons(6, noise=0.1, rng=random.Random(3))
    model = MLP(2, [4, 4, 1])
    total = Value(0.0, label="total")
    for (x0, x1), y in zip(points, labels, strict=True):
        score = model([Value(x0), Value(x1)])
        assert isinstance(score, Value)
        total = total + (1 + -(2 * y - 1) * score).relu()
    return trace(total)
