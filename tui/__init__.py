"""gradstep's terminal UI. ``debug(value)`` opens the stepping debugger on any graph.

Textual is imported only when the app starts, so ``gradstep trace`` stays light.
"""

from __future__ import annotations
