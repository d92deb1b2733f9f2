"""Big files' memory and load time alone, through a pty: ``python -m bench.big_memory [NODES] [RUNS]``.

Each run, in turn: gradstep opens a NODES-node sum (VmRSS once the graph is ready and the screen
quiet, and the time to the graph ready); the minimal app starts (its VmRSS at its first full
screen, and its start-up); a fresh interpreter builds the same graph with ``Value`` and a bare one
starts (their VmRSS: the graph's own cost is the difference); ``ast.parse`` of the file runs in a
fresh interpreter. The memory floor is the minimal app plus the graph's cost; the load floor the
minimal app's start-up plus ``ast.parse``. The same figures as ``python -m bench --terminal``'s big
files rows, without the rest of the run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.terminal import (
    AST_PARSE,
    BARE_RSS,
    MINIMAL,
    PYTHON_SUM,
    byte_compile,
    kib_of,
    median,
    open_app,
    open_big,
    sum_file,
    wall,
)


def main(nodes: int = 100_000, runs: int = 3) -> None:
    byte_compile()
    memory: list[float] = []
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="gradstep-bench-") as scratch:
        path = sum_file(nodes, Path(scratch))
        for _ in range(runs):
            load = open_big(path)
            term, start = open_app(MINIMAL)
            minimal = term.rss_kib()
            term.quit()
            graph = kib_of([PYTHON_SUM, str(nodes)]) - kib_of([BARE_RSS])
            parse = wall([sys.executable, "-c", AST_PARSE, str(path)])
            floor = minimal + graph
            memory.append(load.rss_kib / floor)
            loads.append(load.ready / (start + parse))
            print(
                f"gradstep {load.rss_kib / 1024:.1f} MB, ready in {load.ready:.2f} s | floor"
                f" {floor / 1024:.1f} MB (minimal app {minimal / 1024:.1f} + graph in Python"
                f" {graph / 1024:.1f}): {load.rss_kib / floor:.2f}x | load floor {start:.2f} s"
                f" + ast.parse {parse:.2f} s: {load.ready / (start + parse):.2f}x",
                flush=True,
            )
    print(f"{nodes:,} nodes, {runs} runs, medians: memory {median(memory):.2f}x, ready {median(loads):.2f}x")


if __name__ == "__main__":
    arguments = [int(argument) for argument in sys.argv[1:3]]
    main(*arguments)
