"""gradstep's benchmarks: the engine against micrograd, the trace's memory, the debugger's speed.

    python -m bench              # all of it; writes bench/RESULTS.md
    python -m bench --no-write   # all of it; prints the table only
    python -m bench --quick      # fewer repeats, smaller files
    python -m bench --ui-only    # only the debugger figures
    python -m bench --terminal   # only the figures measured through a terminal (bench/terminal.py)
    python -m bench --no-ui      # skip the debugger figures
    python -m bench --check      # only the engine check beside micrograd's backward
    python bench/run.py          # the same as python -m bench

Only the full run (no --quick, --ui-only, --no-ui or --terminal) writes bench/RESULTS.md: the
committed table is the one the README quotes, and a partial or quick run must not replace it by
accident.

Every figure is a median over interleaved runs in one process (gradstep, micrograd, gradstep,
...), with the interpreter's default settings: the cycle collector stays on. Between runs an
untimed ``gc.collect()`` clears the previous run's garbage, so that no run pays for the cycles
another left behind (micrograd's closures make every node a cycle; gradstep's nodes have none).
A run still pays for the collections its own allocations trigger.

The workload is micrograd's demo (demo.ipynb): MLP(2, [16, 16, 1]) on 100 two-moons points, SVM
max-margin loss plus L2, 65,818 nodes; ``core/demo.py`` builds it for both engines
from the same weights. If micrograd is not installed the table says so and shows gradstep alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gradstep.core import demo  # noqa: E402
from gradstep.core.adapter import as_value  # noqa: E402
from gradstep.core.engine import Value  # noqa: E402
from gradstep.core.examples import SEED  # noqa: E402
from gradstep.core.language import parse  # noqa: E402
from gradstep.core.trace import Trace, trace  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CHAIN_DEPTH = 100_000
SCREEN = (120, 40)


# --- the table ------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a figure for gradstep and for the comparison, and their ratio."""

    figure: str
    ours: str
    theirs: str = ""
    ratio: str = ""
    goal: str = ""


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        self.rows.append(Row(*cells))
        print(f"  {cells[0]}: {' | '.join(cells[1:])}", flush=True)

    def section(self, title: str, theirs: str) -> None:
        self.rows.append(Row(f"**{title}**", "gradstep", theirs, "ratio", "goal"))

    def markdown(self) -> str:
        lines = []
        for row in self.rows:
            cells = [row.figure, row.ours, row.theirs, row.ratio, row.goal]
            if row.figure.startswith("**"):
                if lines:
                    lines.append("")
                lines.append("| " + " | ".join(cells) + " |")
                lines.append("| :- | -: | -: | -: | :- |")
            else:
                lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def seconds(x: float) -> str:
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def times(ratio: float) -> str:
    return f"{ratio:.1f}x"


def median_runs(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function, runs interleaved, an untimed collection before each."""
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            gc.collect()
            start = time.perf_counter()
            result = function()
            samples[name].append(time.perf_counter() - start)
            del result
    return {name: statistics.median(values) for name, values in samples.items()}


LOOP_STEPS = 5
"""Steps in one timed run of a training loop: enough that the collector's runs fall inside."""


def loop_step_medians(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Seconds per step of a training loop: ``LOOP_STEPS`` steps back to back, each graph dropped
    as the next is built, no collection forced anywhere, so each engine pays what its own garbage
    makes the cycle collector do (micrograd's closures put every node in a cycle, so its graphs
    are freed by the collector's full runs; gradstep's are freed by reference counting). The
    median over ``repeats`` runs, the engines taking turns, with an untimed collection between
    turns: without it gradstep's turn paid for collecting micrograd's last graphs (76 of its
    113-124 ms a step, against 12 ms when it ran alone)."""
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            # Untimed: the garbage the engine before left (micrograd's last graphs are cycles)
            # goes now, or its collection would fall inside this engine's time.
            gc.collect()
            start = time.perf_counter()
            for _ in range(LOOP_STEPS):
                function()
            samples[name].append((time.perf_counter() - start) / LOOP_STEPS)
    return {name: statistics.median(values) for name, values in samples.items()}


# --- the machine ----------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def logical_cpus() -> int:
    import os

    return os.cpu_count() or 1


def machine() -> str:
    versions = [f"Python {platform.python_version()} ({platform.python_implementation()})"]
    for package in ("micrograd", "textual"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:
            versions.append(f"{package} not installed")
    return f"{cpu_model()}, {logical_cpus()} logical CPUs, {platform.system()}; " + ", ".join(versions)


# --- the engine -----------------------------------------------------------------------------------


def micrograd_available() -> bool:
    return importlib.util.find_spec("micrograd") is not None


def engine_figures(table: Table, repeats: int) -> None:
    has_micrograd = micrograd_available()
    table.section("Engine: micrograd's demo, one training step", "micrograd")
    points, targets = demo.dataset()
    model = demo.gradstep_model()

    def gradstep_build() -> Value:
        return demo.build_loss(model, points, targets, Value)  # type: ignore[no-any-return]

    def gradstep_step() -> Value:
        model.zero_grad()
        loss = gradstep_build()
        loss.backward()
        return loss

    def gradstep_traced_step() -> tuple[Trace, Value]:
        # Returns the loss too, as the other steps do: no engine's timing includes freeing its graph.
        model.zero_grad()
        loss = gradstep_build()
        return trace(loss), loss

    def gradstep_traced_step_with_consumers() -> tuple[Trace, Value]:
        recorded, loss = gradstep_traced_step()
        recorded.out_start  # noqa: B018  (the consumer index, which the debugger's panes build on first use)
        return recorded, loss

    functions: dict[str, Callable[[], object]] = {
        "build": gradstep_build,
        "step": gradstep_step,
        "traced": gradstep_traced_step,
        "traced+consumers": gradstep_traced_step_with_consumers,
    }
    loss = gradstep_build()
    nodes = trace(loss).size
    if has_micrograd:
        from micrograd.engine import Value as MicrogradValue

        their_model = demo.micrograd_model(model)

        def micrograd_build() -> Any:
            return demo.build_loss(their_model, points, targets, MicrogradValue)

        def micrograd_step() -> Any:
            their_model.zero_grad()
            their_loss = micrograd_build()
            their_loss.backward()
            return their_loss

        functions |= {"their build": micrograd_build, "their step": micrograd_step}
        their_loss = micrograd_build()
        table.add("graph nodes", f"{nodes:,}", f"{demo.count_nodes(their_loss):,}")
        table.add("loss", f"{loss.data:.15f}", f"{their_loss.data:.15f}", "", "equal to 1e-9")
        table.add("loss difference", f"{abs(loss.data - their_loss.data):.1e}", "", "", "≤ 1e-9")
        del their_loss
    else:
        table.add("graph nodes", f"{nodes:,}", "micrograd not installed")
        table.notes.append("micrograd is not importable here: only gradstep's figures were measured.")
    del loss
    medians = median_runs(functions, repeats)
    # A training loop keeps nothing: each step's graph (and trace) is dropped when the call returns.
    loops: dict[str, Callable[[], object]] = {"loop": gradstep_step, "traced loop": gradstep_traced_step}
    if has_micrograd:
        loops["their loop"] = micrograd_step
    medians |= loop_step_medians(loops, repeats)
    rows = [
        ("build the loss", "build", "their build", ""),
        ("step: zero grads, build, backward()", "step", "their step", "≥ 8x"),
        ("step with the full trace recorded", "traced", "their step", "≥ 4x"),
        ("… and the consumer index (built on first use)", "traced+consumers", "their step", ""),
        (
            "training-loop step: the above, then the graph freed, collector's runs included",
            "loop",
            "their loop",
            "≥ 8x",
        ),
        ("… with the full trace recorded", "traced loop", "their loop", "≥ 4x"),
    ]
    for label, ours, theirs, goal in rows:
        if has_micrograd:
            ratio = times(medians[theirs] / medians[ours])
            table.add(label, seconds(medians[ours]), seconds(medians[theirs]), ratio, goal)
        else:
            table.add(label, seconds(medians[ours]), "—")
    memory_figures(table, model, points, targets, has_micrograd)


def graph_bytes(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes allocated while ``build()`` runs and still held by what it returns."""
    gc.collect()
    tracemalloc.start()
    try:
        result = build()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return held, result


def memory_figures(table: Table, model: Any, points: Any, targets: Any, has_micrograd: bool) -> None:
    held, loss = graph_bytes(lambda: demo.build_loss(model, points, targets, Value))
    nodes = trace(loss).size
    recorded = trace(loss)
    per_event = recorded.memory_bytes / len(recorded)
    if has_micrograd:
        from micrograd.engine import Value as MicrogradValue

        their_model = demo.micrograd_model(model)
        their_held, _ = graph_bytes(lambda: demo.build_loss(their_model, points, targets, MicrogradValue))
        table.add(
            "graph memory per node",
            f"{held / nodes:.0f} B",
            f"{their_held / nodes:.0f} B",
            times(their_held / held),
        )
    else:
        table.add("graph memory per node", f"{held / nodes:.0f} B", "—")
    table.add(
        "trace memory per event",
        f"{per_event:.0f} B",
        "",
        "",
        f"{len(recorded):,} events, {recorded.memory_bytes / 1e6:.1f} MB in arrays",
    )


def chain_figures(table: Table) -> None:
    table.section(f"A {CHAIN_DEPTH:,}-deep chain", "micrograd")

    def gradstep_chain() -> Value:
        x = Value(1.0, "x")
        for _ in range(CHAIN_DEPTH):
            x = x * 1.00001
        return x

    gc.collect()
    start = time.perf_counter()
    chain = gradstep_chain()
    chain.backward()
    backward = time.perf_counter() - start
    start = time.perf_counter()
    recorded = trace(chain)
    recorded.to_end()
    traced = time.perf_counter() - start
    theirs = "micrograd not installed"
    convert = ""
    if micrograd_available():
        from micrograd.engine import Value as MicrogradValue

        x = MicrogradValue(1.0)
        for _ in range(CHAIN_DEPTH):
            x = x * 1.00001
        try:
            x.backward()
            theirs = "ok"
        except RecursionError:
            theirs = "RecursionError"
        gc.collect()
        start = time.perf_counter()
        as_value(x)
        convert = seconds(time.perf_counter() - start)
    table.add("build + backward()", seconds(backward), theirs)
    table.add("trace + move to the end", seconds(traced), "")
    if convert:
        table.add("read micrograd's chain (adapter)", convert, "")


def adapter_figures(table: Table, repeats: int) -> None:
    if not micrograd_available():
        return
    model = demo.gradstep_model()
    their_loss, _ = demo.micrograd_loss(model)
    medians = median_runs({"convert": lambda: as_value(their_loss)}, max(3, repeats // 2))
    table.add("read micrograd's demo graph (adapter)", seconds(medians["convert"]), "")


def check_figures(table: Table, repeats: int) -> None:
    """``gradstep check`` on micrograd's demo graph built with micrograd, beside micrograd's backward.

    Each run builds two fresh graphs, untimed (their backward needs a new graph with zeroed grads,
    and ``check`` runs their backward): on one, micrograd's own ``backward()``; on the other,
    ``check(loss)``, which reads the graph, runs that same ``backward()`` with every step and grad
    write recorded, and judges every step against the chain rule. The two take turns; medians of
    wall time and of CPU time (this process, their backward's thread included). Then one check
    taken apart: reading the graph, their backward recorded, judging.
    """
    if not micrograd_available():
        return
    from gradstep.core.checker import _Judge, check
    from gradstep.core.foreign import read
    from gradstep.core.record import record

    table.section("Checking an engine: micrograd's demo graph, built with micrograd", "micrograd")
    model = demo.gradstep_model()

    def fresh() -> Any:
        return demo.micrograd_loss(model)[0]

    from gradstep.core import speedups

    built = speedups.compiled
    wall: dict[str, list[float]] = {"theirs": [], "check": [], "python": []}
    cpu: dict[str, list[float]] = {"theirs": [], "check": [], "python": []}
    for _ in range(max(5, repeats)):
        for name in wall:
            loss = fresh()
            gc.collect()
            # "python": the same check without the compiled loops (core/_speedups.c), for their gain
            speedups.compiled = None if name == "python" else built
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                if name == "theirs":
                    loss.backward()
                else:
                    verdict = check(loss)
                    assert verdict.ok, "micrograd's demo must pass its own check"
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
            finally:
                speedups.compiled = built
            del loss
            verdict = None  # freed outside the timed part, as their graph is
    medians = {name: statistics.median(values) for name, values in wall.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    rows = [
        ("check(loss) vs micrograd's backward()", medians, "check", "≤ 3x"),
        ("the same, CPU time", cpu_medians, "check", "≤ 3x"),
    ]
    if built is not None:
        rows.append(("  the same without the compiled loops (CPU)", cpu_medians, "python", ""))
    for figure, of, name, goal in rows:
        table.add(figure, seconds(of[name]), seconds(of["theirs"]), times(of[name] / of["theirs"]), goal)
    parts: dict[str, list[float]] = {"read": [], "record": [], "judge": [], "walk": [], "pass": []}
    for _ in range(max(5, repeats // 2)):  # 5 at least: a burst of the machine lands on one part
        loss = fresh()
        gc.collect()
        gc.disable()  # as check() does
        try:
            start = time.process_time()
            graph = read(loss)
            read_at = time.process_time()
            recording = record(graph)
            record_at = time.process_time()
            _Judge(graph, recording, "micrograd", None, (), None).verdict()
            judge_at = time.process_time()
            _least_walk(loss)
            walk_at = time.process_time()
            keys = recording.log[::3]  # the first of each triple, as a list (the log may be a Tape)
            pass_start = time.process_time()
            _least_pass(keys, dict(zip(graph.objects, range(graph.size), strict=True)))
            pass_at = time.process_time()
        finally:
            gc.enable()
        parts["read"].append(read_at - start)
        parts["record"].append(record_at - read_at)
        parts["judge"].append(judge_at - record_at)
        parts["walk"].append(walk_at - judge_at)
        parts["pass"].append(pass_at - pass_start)
        del loss, graph, recording
    theirs = cpu_medians["theirs"]
    for name, figure in [
        ("read", "  read their graph (CPU)"),
        ("record", "  their backward(), recorded (CPU)"),
        ("judge", "  judge every step, the references (CPU)"),
        ("walk", "  the least walk: only find the nodes (CPU)"),
        ("pass", "  the least pass over the record (CPU)"),
    ]:
        part = statistics.median(parts[name])
        table.add(figure, seconds(part), "", times(part / theirs), "")


# --- the debugger ---------------------------------------------------------------------------------


def seed_graph() -> Value:
    return parse(SEED, "seed.gs").output


async def settle(app: Any) -> None:
    """Wait until ``app`` has done everything it was given, then paint what it changed.

    Done means a 20 ms sleep in which the process used under 1 ms of CPU (as Textual's own
    ``wait_for_idle``): the key's handler, the messages it posted and theirs, the idle events.
    """
    while True:
        cpu = time.process_time()
        await asyncio.sleep(0.02)
        if time.process_time() - cpu < 0.001:
            break
    app.screen._on_timer_update()  # the compositor's refresh, if its timer has not run it yet


async def press(app: Any, key: str) -> float:
    """CPU seconds from posting ``key`` to the app, as the terminal driver does, until it settled."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    cpu = time.process_time()
    app.post_message(event)
    await settle(app)
    return time.process_time() - cpu


async def first_paint_and_run(output: Any, label: str) -> tuple[float, float]:
    """Seconds from calling what ``debug(output)`` calls (``as_value``, ``trace``, the app) to
    the first screen the compositor renders, and seconds for ``c`` to run to the end."""
    from gradstep.tui.app import GradstepApp
    from textual.screen import Screen

    paints: list[float] = []
    original_refresh = Screen._compositor_refresh

    def recording_refresh(screen: Screen[Any]) -> None:
        original_refresh(screen)
        paints.append(time.perf_counter())

    gc.collect()
    Screen._compositor_refresh = recording_refresh  # type: ignore[method-assign, assignment]
    try:
        start = time.perf_counter()
        app = GradstepApp(graph=trace(as_value(output)), title=label)
        async with app.run_test(size=SCREEN) as pilot:
            await pilot.pause()
            first_paint = paints[0] - start if paints else float("nan")
            graph = app.trace
            assert graph is not None
            begin = time.perf_counter()
            await pilot.press("c")
            await pilot.pause()
            to_end = time.perf_counter() - begin
            assert graph.position == len(graph)
    finally:
        Screen._compositor_refresh = original_refresh  # type: ignore[method-assign]
    return first_paint, to_end


async def step_costs(outputs: dict[str, Any], samples: int, rounds: int) -> dict[str, list[float]]:
    """The app's own CPU time for each ``n`` and ``N``, on every graph, interleaved.

    All the graphs are open at once, each in its own app (headless, 120x40, one process), and
    the steps take turns: ``n`` then ``N`` from a place on the first graph, the same on the next
    graph, then the next place. A slow spell of the machine (one running 1.5x slower for seconds
    is common here) so falls on every graph alike, where rounds of one graph after another would
    each get their own.

    A step's cost is the process's CPU time (sleeping excluded) from posting the key to the app,
    as the terminal driver does, until it has settled and the screen is updated, less the
    harness's own cost for a key: the app's own work for that key (its handler, what that sets
    off, the repaint). The harness's cost is the median, per graph, of a key bound to nothing,
    pressed before every step. Keys go straight to the app, not through the test pilot, whose
    wait for every widget to drain its queue costs about 3 ms a key, more than a step.
    """
    from gradstep.tui.app import GradstepApp

    apps = {name: GradstepApp(graph=trace(as_value(output)), title=name) for name, output in outputs.items()}
    keys: dict[str, list[float]] = {name: [] for name in apps}
    idles: dict[str, list[float]] = {name: [] for name in apps}
    async with AsyncExitStack() as stack:
        for app in apps.values():
            pilot = await stack.enter_async_context(app.run_test(size=SCREEN))
            await pilot.pause()
        places = {
            name: [p for k in range(rounds) for p in _step_positions(app.trace, samples, k / rounds)]
            for name, app in apps.items()
        }
        for k in range(rounds * (samples + 1)):
            for name, app in apps.items():
                graph = app.trace
                position = places[name][k]
                app._move_to(position)
                await settle(app)
                for key, moved in (("n", 1), ("N", -1)):
                    idles[name].append(await press(app, "f12"))  # bound to nothing: the dispatch alone
                    keys[name].append(await press(app, key))
                    if 0 <= position + moved <= len(graph):
                        assert graph.position == position + moved, f"{key} did not step on {name}"
                    position = graph.position
    costs = {}
    for name in apps:
        idle = statistics.median(idles[name])
        costs[name] = [max(0.0, cost - idle) for cost in keys[name]]
    return costs


def _step_positions(graph: Trace, samples: int, shift: float = 0.0) -> Iterator[int]:
    """Cursor positions spread over the timeline: the forward pass, the seed, the backward pass;
    ``shift`` (0 to 1) moves them along by that part of the gap between two of them."""
    length = len(graph)
    for k in range(samples):
        yield min(length - 1, max(0, round((k + shift) * (length - 1) / max(1, samples - 1))))
    yield graph.seed_index


def app_figures(table: Table, samples: int, rounds: int) -> None:
    """The debugger on the demo graph against the seed's (and a small network's)."""
    try:
        import gradstep.tui.app  # noqa: F401
    except ImportError as error:
        table.notes.append(f"debugger figures skipped: {error}")
        return

    seed_output, demo_output, small_output = seed_graph(), demo.gradstep_loss()[0], demo.small_network_loss()
    opened: dict[str, list[tuple[float, float]]] = {"seed": [], "demo": []}
    for _ in range(3):
        for name, output in (("seed", seed_output), ("demo", demo_output)):
            opened[name].append(asyncio.run(first_paint_and_run(output, name)))
    paint = {name: statistics.median(p for p, _ in runs) for name, runs in opened.items()}
    to_end = {name: statistics.median(c for _, c in runs) for name, runs in opened.items()}
    graphs = {"seed": seed_output, "demo": demo_output, "small": small_output}
    costs = asyncio.run(step_costs(graphs, samples, rounds))
    step = {name: statistics.median(values) for name, values in costs.items()}

    table.section("Debugger headless, the app's CPU (not what a person waits for)", "seed graph")
    table.add(
        "first paint of debug(loss)",
        seconds(paint["demo"]),
        seconds(paint["seed"]),
        times(paint["demo"] / paint["seed"]),
        "demo ≤ 1 s",
    )
    table.add(
        "one step (n / N): the app's CPU, median",
        seconds(step["demo"]),
        seconds(step["seed"]),
        f"{step['demo'] / step['seed']:.2f}",
        "ratio ≤ 1.2, < 16 ms",
    )
    worst = {name: max(values) for name, values in costs.items()}
    table.add("one step (n / N): the app's CPU, worst", seconds(worst["demo"]), seconds(worst["seed"]))
    table.add(
        f"… the same, {small_output_size(small_output)}-node MLP graph (panes as full) instead of the seed",
        seconds(step["demo"]),
        seconds(step["small"]),
        f"{step['demo'] / step['small']:.2f}",
        "",
    )
    table.add("c: run to the end", seconds(to_end["demo"]), seconds(to_end["seed"]), "", "≤ 1 s")
    table.notes.append(
        f"Debugger: {len(costs['demo'])} steps on each graph (n and N from {rounds * (samples + 1)} places"
        " spread over the run), the graphs open side by side in one process and their steps interleaved;"
        " a step is the app's own CPU time for the key (see bench/run.py), 120x40."
    )
    if micrograd_available():
        their_loss = demo.micrograd_loss(demo.gradstep_model())[0]
        via_adapter, _ = asyncio.run(first_paint_and_run(their_loss, "micrograd demo"))
        table.add("first paint of debug(micrograd loss)", seconds(via_adapter), "", "", "")


def small_output_size(output: Value) -> str:
    return f"{trace(output).size:,}"


def _least_walk(output: Any) -> set[Any]:
    """A floor for reading their graph: find its nodes, no numbering, nothing read from them."""
    seen: set[Any] = set()
    stack = [output]
    pop, push, add = stack.pop, stack.append, seen.add
    while stack:
        node = pop()
        if node in seen:
            continue
        add(node)
        for child in node._prev:
            if child not in seen:
                push(child)
    return seen


def _least_pass(keys: list[Any], numbers: dict[Any, int]) -> None:
    """A floor for judging: one dict lookup per event of the record (``keys``: the first item of
    each of its triples), nothing compared."""
    get = numbers.get
    for key in keys:
        get(key, -1)


def check_only(repeats: int) -> int:
    """``--check``: the engine check's figures alone, printed (never written to RESULTS.md)."""
    table = Table()
    print(f"gradstep benchmarks on {machine()}", flush=True)
    check_figures(table, repeats)
    print()
    print(f"Medians of {max(5, repeats)} interleaved runs (see bench/run.py).\n")
    print(table.markdown())
    return 0


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gradstep's benchmarks")
    parser.add_argument(
        "--quick", action="store_true", help=f"fewer repeats (prints only: never writes {RESULTS.name})"
    )
    parser.add_argument("--no-ui", action="store_true", help="skip the debugger figures")
    parser.add_argument("--check", action="store_true", help="only the engine check's figures (prints only)")
    parser.add_argument("--ui-only", action="store_true", help="only the debugger figures")
    parser.add_argument("--terminal", action="store_true", help="only the figures measured in a terminal")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    parser.add_argument(
        "--trace", action="store_true", help="only the `gradstep trace` figures (prints only)"
    )
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 9
    if args.check:
        return check_only(repeats)
    table = Table()
    where = machine()
    print(f"gradstep benchmarks on {where}", flush=True)
    if not micrograd_available():
        print("micrograd is not installed: gradstep only (pip install 'gradstep[micrograd]')", flush=True)
    if not (args.ui_only or args.terminal or args.trace):
        engine_figures(table, repeats)
        adapter_figures(table, repeats)
        chain_figures(table)
        check_figures(table, repeats)
    if args.trace:
        from bench.terminal import trace_only

        trace_only(table, args.quick)
    elif not args.no_ui:
        from bench.terminal import terminal_figures

        terminal_figures(table, args.quick)
        if not args.terminal:
            app_figures(table, 4 if args.quick else 48, 1 if args.quick else 3)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    text = "\n".join(
        [
            "# gradstep benchmark results",
            "",
            f"`{command}`, {when}, on {where}.",
            f"Medians of {repeats} interleaved runs; cycle collector on (see bench/run.py).",
            "",
            table.markdown(),
            "",
            *(f"- {note}" for note in table.notes),
        ]
    ).rstrip()
    print()
    print(text)
    # Only a full run writes (see the module's docstring).
    if not (args.no_write or args.quick or args.ui_only or args.no_ui or args.terminal or args.trace):
        RESULTS.write_text(text + "\n")
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
