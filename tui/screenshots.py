"""Save the README's screenshots: ``python -m gradstep.tui.screenshots [DIR]`` (default ``screenshots/``).

Each shot drives the real app headless (``App.run_test``) with the same keys a person would press,
then saves Textual's SVG. Nothing here is a mock-up: if the app changes, rerun this.

The same build writes the same bytes, from a checkout or an installed package alike: the examples
come from the installed ``gradstep.examples`` and are copied into a temporary folder that becomes the
current directory for the run, so every shot shows ``examples/shared.gs`` whatever the folders are
(no temporary or site-packages path gets into a picture), and Rich names the SVG's classes from a
hash of its content, not at random.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from gradstep.tui.app import GradstepApp
from textual.app import App

EXAMPLES = Path("examples")
"""Where the shots open their files, relative to the run's own folder (see ``examples_folder``)."""
SIZE = (120, 36)


@contextmanager
def examples_folder() -> Iterator[Path]:
    """A temporary current directory holding ``examples/*.gs`` copied from the installed package."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / EXAMPLES).mkdir()
        for item in files("gradstep.examples").iterdir():
            if item.name.endswith(".gs"):
                (Path(folder) / EXAMPLES / item.name).write_bytes(item.read_bytes())
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(here)


def _hunt_app() -> App[int]:
    from gradstep.core.hunt import start
    from gradstep.tui.hunt.app import HuntApp

    return HuntApp(start(str(EXAMPLES / "hunt.gs"), 2))


async def _shoot(app: App[int], keys: list[str], target: Path, *, settle: float = 0.3) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause(settle)
        app.save_screenshot(filename=target.name, path=str(target.parent))


async def _error_in_app(target: Path) -> None:
    """A good graph on screen, then the file gets an error: the error shows, the graph stays.

    The file changed is the run's temporary copy (see ``examples_folder``)."""
    path = EXAMPLES / "shared.gs"
    app = GradstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(6):
            await pilot.press("n")
        path.write_text(path.read_text().replace("m = b + c", "m = b + c +"))
        await pilot.pause(1.5)  # the app polls the file twice a second
        app.save_screenshot(filename=target.name, path=str(target.parent))


async def main(folder: Path) -> list[Path]:
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with examples_folder():
        return await _all_shots(folder)


async def _all_shots(folder: Path) -> list[Path]:
    shots: dict[str, tuple[App[int], list[str]]] = {
        "start.svg": (GradstepApp(None), []),
        # Step 7 on shared.gs: e's step sends +14 to b, which already had -6 from m.
        "shared-node-ledger.svg": (GradstepApp(str(EXAMPLES / "shared.gs")), ["n"] * 7 + ["down", "down"]),
        "neuron-mid-backward.svg": (GradstepApp(str(EXAMPLES / "neuron.gs")), ["n"] * 9),
        "end.svg": (GradstepApp(str(EXAMPLES / "neuron.gs")), ["c"]),
        # The modules view late in backward: layer 0's second neuron open, its weight w1 selected,
        # one of its two contributions received (one per data point).
        "modules.svg": (
            GradstepApp(str(EXAMPLES / "tiny_mlp.gs")),
            ["n"] * 70 + ["g", "down", "down", "right", "down", "down"],
        ),
        # Predict mode on the seed: d answered right, f wrong; the bar asks for e.
        "quiz.svg": (GradstepApp(None, predict=True), ["minus", "2", "enter", "minus", "4", "enter"]),
        # The neuron at the end, n nudged by h = 0.001: the slope beside the grad.
        "nudge.svg": (GradstepApp(str(EXAMPLES / "neuron.gs")), ["c", "up", "up", "up", "u"]),
        # The hunt on examples/hunt.gs with seed 2 (overwrite in +): step 7 marked, overwrite picked.
        "hunt.svg": (_hunt_app(), ["n"] * 7 + ["m", "enter"]),
    }
    written = []
    for name, (app, keys) in shots.items():
        await _shoot(app, keys, folder / name)
        written.append(folder / name)
    await _error_in_app(folder / "error.svg")
    written.append(folder / "error.svg")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    for path in asyncio.run(main(target)):
        print(path)
