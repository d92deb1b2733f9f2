"""``gradstep trace`` on three kinds of file, interleaved with ``ast.parse`` of each (prints only).

    python -m bench.trace_files [NODES] [RUNS]     # default 20000 nodes, 7 runs

The bench's own trace rows (``python -m bench --trace``) use the sum; this adds a chain (deep:
``x = tanh(x) * k`` a line) and an MLP (wide: labelled weights shared by every point, relu,
hinge loss), whose numbers are long and whose names are labels. Each run takes
``python -c "import ast,sys; ast.parse(open(sys.argv[1]).read())" FILE``, ``gradstep trace --json
FILE`` and ``gradstep trace FILE`` in turn, stdout a pipe read here; the figures are medians of
wall time (start to exit, interpreter start included) and of CPU time (user + system, from the
kernel's account of the child), each as a ratio to ``ast.parse``'s, and the peak resident memory
(VmHWM) while output arrived.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
from pathlib import Path

from bench.terminal import AST_PARSE, gradstep_command, run_output, sum_file


def chain_file(nodes: int, directory: Path) -> Path:
    """``x = tanh(x) * k``, a line each: three nodes a line, as deep as the file is long."""
    path = directory / f"chain_{nodes}.gs"
    lines = ["x = Value(0.5, label='x')"]
    lines += [f"x = tanh(x) * {1 + (k % 7) / 10}" for k in range((nodes - 1) // 3)]
    path.write_text("\n".join([*lines, "x"]) + "\n")
    return path


def mlp_file(nodes: int, directory: Path) -> Path:
    """An MLP(4, [16, 16, 1]) on as many points as make ``nodes``, labelled as ``core.nn`` labels."""
    path = directory / f"mlp_{nodes}.gs"
    sizes = [4, 16, 16, 1]
    lines = []
    for layer in range(3):
        for j in range(sizes[layer + 1]):
            for i in range(sizes[layer]):
                weight = ((layer * 7 + j * 3 + i) % 11 - 5) / 10
                lines.append(f"w{layer}_{j}_{i} = Value({weight}, label='L{layer}.N{j}.w{i}')")
            lines.append(f"b{layer}_{j} = Value(0.1, label='L{layer}.N{j}.b')")
    parameters = sum(sizes[k] * sizes[k + 1] + sizes[k + 1] for k in range(3))
    per_point = sizes[0] + sum(sizes[k + 1] * (2 * sizes[k] + 1) for k in range(3)) + 4
    margins = []
    for p in range(max(1, (nodes - parameters) // per_point)):
        previous = [f"p{p}x{i}" for i in range(sizes[0])]
        lines += [
            f"p{p}x{i} = Value({((p * 5 + i) % 9 - 4) / 4}, label='x{p}[{i}]')" for i in range(sizes[0])
        ]
        for layer in range(3):
            outputs = []
            for j in range(sizes[layer + 1]):
                terms = " + ".join(f"w{layer}_{j}_{i}*{x}" for i, x in enumerate(previous))
                act = f"p{p}a{layer}_{j}"
                lines.append(f"{act} = b{layer}_{j} + {terms}; {act}.label = 'L{layer}.N{j}.act'")
                if layer < 2:
                    lines.append(
                        f"p{p}h{layer}_{j} = relu({act}); p{p}h{layer}_{j}.label = 'L{layer}.N{j}.out'"
                    )
                    outputs.append(f"p{p}h{layer}_{j}")
                else:  # the score, under its own name
                    lines.append(f"p{p}h{layer}_{j} = {act}")
                    outputs.append(f"p{p}h{layer}_{j}")
            previous = outputs
        lines.append(f"m{p} = relu(1 - {1.0 if p % 2 else -1.0} * {previous[0]}); m{p}.label = 'margin{p}'")
        margins.append(f"m{p}")
    lines += ["loss = " + " + ".join(margins), "loss"]
    path.write_text("\n".join(lines) + "\n")
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    nodes = int(argv[0]) if argv else 20_000
    runs = int(argv[1]) if len(argv) > 1 else 7
    command = gradstep_command()
    print(
        f"gradstep trace, {runs} interleaved runs, {nodes:,}-node files; wall (CPU) as a ratio to ast.parse"
    )
    with tempfile.TemporaryDirectory(prefix="gradstep-trace-") as scratch:
        directory = Path(scratch)
        for path in (sum_file(nodes, directory), chain_file(nodes, directory), mlp_file(nodes, directory)):
            programs = {
                "ast.parse": [sys.executable, "-c", AST_PARSE, str(path)],
                "gradstep trace --json": [*command, "trace", "--json", str(path)],
                "gradstep trace": [*command, "trace", str(path)],
            }
            seen: dict[str, list[tuple[float, float, int]]] = {name: [] for name in programs}
            for _ in range(runs):
                for name, program in programs.items():
                    before = children_cpu()
                    output = run_output(program)
                    seen[name].append((output.total, children_cpu() - before, output.peak_kib))
            wall, cpu = (statistics.median(run[k] for run in seen["ast.parse"]) for k in (0, 1))
            print(
                f"\n{path.name} ({path.stat().st_size / 1e3:.0f} KB), load average {os.getloadavg()[0]:.1f}"
            )
            for name, measured in seen.items():
                ours, ours_cpu = (statistics.median(run[k] for run in measured) for k in (0, 1))
                peak = statistics.median(run[2] for run in measured) / 1024
                print(
                    f"  {name:22s} {ours * 1e3:7.0f} ms {ours / wall:5.2f}x  (CPU {ours_cpu * 1e3:5.0f} ms"
                    f" {ours_cpu / cpu:5.2f}x)" + (f"  peak {peak:.0f} MB" if peak else "")
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
