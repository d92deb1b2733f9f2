"""The package as a user gets it: ``python -m build`` makes an sdist and a wheel that ``twine check``
passes, and the wheel, installed into a fresh venv (not editable), gives a working ``gradstep``:
``--version``, ``trace`` on the seed with the hand-derived grads, ``export``, and the screenshots
script, which writes the same bytes as a run from the checkout.

Then a distribution that ships top-level ``core`` and ``tui`` packages (PyPI has a ``tui``) goes into
the same venv: gradstep still works, and a script beside a ``core/`` folder of its own gets its own
``core`` and still imports ``gradstep.tui.debug``.

Slow (a build and a venv: about a minute), marked ``slow`` so ``pytest -m 'not slow'`` skips it while
working; plain ``pytest`` (CI) runs it. The build and the venv take setuptools, Textual and Rich from
pip's cache, or the index when the cache lacks them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SEED_GRADS = {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}
SKIP = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
        ".hypothesis", "gradstep.egg-info"}  # fmt: skip


def run(*args: str | Path, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from a copy of the checkout (the build writes nothing here)."""
    source = tmp_path_factory.mktemp("source") / "gradstep"
    shutil.copytree(ROOT, source, ignore=lambda _, names: [n for n in names if n in SKIP])
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--outdir", out, source)
    log = built.stdout + built.stderr
    assert "SetuptoolsDeprecationWarning" not in log and "project.license" not in log, log
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> Path:
    """A fresh venv with the wheel installed (its bin folder)."""
    folder = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", folder)
    bin_dir = folder / "bin"
    (wheel,) = dist.glob("*.whl")
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    return bin_dir


def test_build_makes_an_sdist_and_a_wheel_that_twine_passes(dist: Path) -> None:
    names = sorted(p.name for p in dist.iterdir())
    # the wheel is this platform's: it carries the engine check's compiled loops (core/_speedups.c)
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert len(names) == 2 and names[1] == "gradstep-0.1.0.tar.gz", names
    assert names[0].startswith(f"gradstep-0.1.0-{tag}-{tag}-") and names[0].endswith(".whl"), names
    checked = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir()))
    assert checked.stdout.count("PASSED") == 2, checked.stdout
    with zipfile.ZipFile(dist / names[0]) as wheel:
        files = wheel.namelist()
        metadata = wheel.read("gradstep-0.1.0.dist-info/METADATA").decode()
    assert any(name.startswith("gradstep/core/_speedups.") and name.endswith(".so") for name in files)
    with tarfile.open(dist / names[1]) as sdist:
        assert "gradstep-0.1.0/core/_speedups.c" in sdist.getnames()
    # Everything under gradstep/: no top-level core or tui to collide with other distributions.
    assert {name.split("/")[0] for name in files} == {"gradstep", "gradstep-0.1.0.dist-info"}
    for needed in ("gradstep/tui/gradstep.tcss", "gradstep/examples/seed.gs", "gradstep/core/dot.py"):
        assert needed in files
    assert "License-Expression: MIT" in metadata
    assert "Provides-Extra: micrograd" in metadata


def test_the_installed_command_works(venv: Path, tmp_path: Path) -> None:
    assert run(venv / "gradstep", "--version").stdout.strip() == "gradstep 0.1.0"
    shutil.copy(ROOT / "examples" / "seed.gs", tmp_path / "seed.gs")
    document = json.loads(run(venv / "gradstep", "trace", "--json", "seed.gs", cwd=tmp_path).stdout)
    assert {node["label"]: node["grad"] for node in document["nodes"]} == SEED_GRADS
    assert (
        "b.grad += a.data * e.grad = 2 * -2 = -4"
        in run(venv / "gradstep", "trace", "seed.gs", cwd=tmp_path).stdout
    )
    dot = run(venv / "gradstep", "export", "seed.gs", "--to", "dot", "--step", "7", cwd=tmp_path).stdout
    assert '"{ e | data -6.0000 | grad -2.0000 }"' in dot
    where = run(
        venv / "python", "-c", "import gradstep.tui; print(gradstep.tui.__file__)", cwd=tmp_path
    ).stdout
    assert str(venv.parent) in where  # the venv's own copy, not the checkout
    loops = "from gradstep.core import speedups; print(speedups.compiled.__file__)"
    assert str(venv.parent) in run(venv / "python", "-c", loops, cwd=tmp_path).stdout


def test_installed_screenshots_are_the_checkouts_bytes(venv: Path, tmp_path: Path) -> None:
    run(venv / "python", "-m", "gradstep.tui.screenshots", tmp_path / "installed", cwd=tmp_path)
    run(sys.executable, "-m", "gradstep.tui.screenshots", tmp_path / "checkout", cwd=ROOT)
    installed = sorted((tmp_path / "installed").iterdir())
    assert [p.name for p in installed] == sorted(p.name for p in (tmp_path / "checkout").iterdir())
    assert len(installed) == 9  # six of the debugger, the quiz, a nudge and the hunt
    for shot in installed:
        text = shot.read_text()
        assert text == (tmp_path / "checkout" / shot.name).read_text(), shot.name
        assert str(tmp_path) not in text and "site-packages" not in text and "/tmp" not in text


INFO = "dummy_collider-1.0.dist-info"


def _dummy_wheel(folder: Path) -> Path:
    """A wheel of a distribution 'dummy-collider' shipping top-level ``core`` and ``tui`` packages."""
    path = folder / "dummy_collider-1.0-py3-none-any.whl"
    files = {
        "core/__init__.py": "WHO = 'dummy core'\n",
        "tui/__init__.py": "WHO = 'dummy tui'\n",
        f"{INFO}/METADATA": "Metadata-Version: 2.1\nName: dummy-collider\nVersion: 1.0\n",
        f"{INFO}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + "dummy_collider-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
        wheel.writestr("dummy_collider-1.0.dist-info/RECORD", record)
    return path


def test_gradstep_beside_top_level_core_and_tui_packages(venv: Path, tmp_path: Path) -> None:
    wheel = _dummy_wheel(tmp_path)
    run(
        venv / "python", "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check", wheel
    )
    both = run(venv / "python", "-c", "import core, tui; print(core.WHO, '|', tui.WHO)", cwd=tmp_path)
    assert both.stdout.strip() == "dummy core | dummy tui"
    shutil.copy(ROOT / "examples" / "seed.gs", tmp_path / "seed.gs")
    document = json.loads(run(venv / "gradstep", "trace", "--json", "seed.gs", cwd=tmp_path).stdout)
    assert {node["label"]: node["grad"] for node in document["nodes"]} == SEED_GRADS
    # A script next to its own core/ folder: its import of core finds that folder, and gradstep's
    # imports (which never say plain ``core``) find gradstep's.
    project = tmp_path / "project"
    (project / "core").mkdir(parents=True)
    (project / "core" / "__init__.py").write_text("WHO = 'the script's own core'\n".replace("'s", "s"))
    (project / "script.py").write_text(
        "import core\n"
        "from gradstep.tui import debug\n"
        "from gradstep.core import Value, trace\n"
        "import gradstep.core\n"
        "t = trace(Value(2.0, label='a') * Value(-3.0, label='b'))\n"
        "print(core.WHO, '|', callable(debug), '|', t.grad[0], '|', gradstep.core.__file__)\n"
    )
    who, is_callable, grad, where = run(venv / "python", "script.py", cwd=project).stdout.strip().split(" | ")
    assert who == "the scripts own core" and is_callable == "True" and grad == "-3.0"
    assert str(venv.parent) in where
    # Uninstalling the other distribution takes only its own files: gradstep still works.
    run(venv / "python", "-m", "pip", "uninstall", "--yes", "--quiet", "dummy-collider")
    gone = run(venv / "python", "-c", "import importlib.util as u; print(u.find_spec('core'))", cwd=tmp_path)
    assert gone.stdout.strip() == "None"
    document = json.loads(run(venv / "gradstep", "trace", "--json", "seed.gs", cwd=tmp_path).stdout)
    assert {node["label"]: node["grad"] for node in document["nodes"]} == SEED_GRADS
    assert run(venv / "gradstep", "--version").stdout.startswith("gradstep ")
