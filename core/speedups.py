"""The engine check's hot loops compiled (``_speedups.c``), where the extension was built.

``compiled`` is that module, or None: where no compiler built it at install, or where
``GRADSTEP_PURE_PYTHON`` is set in the environment. The check then runs the same loops in Python
(each C function names the Python it stands for), with the same results: the tests run both.
Callers read ``compiled`` when they run, so a test can switch it off.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("GRADSTEP_PURE_PYTHON"):
        return None
    try:
        return importlib.import_module("._speedups", __package__)
    except ImportError:  # built without a compiler: the Python loops do the same work
        return None


compiled: ModuleType | None = _load()
"""``gradstep.core._speedups``, or None (see the module doc)."""
