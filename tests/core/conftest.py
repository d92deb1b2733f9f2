"""Fixtures for the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gradstep.core import speedups


@pytest.fixture(scope="module", params=["compiled", "python"])
def both_paths(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a module's tests twice: with the engine check's compiled loops, and with the Python
    loops they stand for (as where no compiler built them). Skips the first where none is built."""
    built = speedups.compiled
    if request.param == "compiled" and built is None:
        pytest.skip("the compiled loops are not built here (see test_speedups)")
    speedups.compiled = built if request.param == "compiled" else None
    try:
        yield request.param
    finally:
        speedups.compiled = built
