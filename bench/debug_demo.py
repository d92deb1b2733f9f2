"""Open micrograd's demo loss (65,818 nodes) in the debugger, as ``debug(loss)`` does from a script.

    python bench/debug_demo.py

The terminal benchmarks run this in a pseudo-terminal: it is what a person who calls
``gradstep.tui.debug(loss)`` in their own training script gets.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradstep.core.demo import gradstep_loss
from gradstep.tui import debug

if __name__ == "__main__":
    loss, _ = gradstep_loss()
    debug(loss, title="micrograd demo")
