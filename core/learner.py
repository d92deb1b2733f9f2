"""Loading a learner's own engine from ``--engine SPEC``.

``SPEC`` is a file (``path/to/engine.py``) or an importable module (``micrograd.engine``), with an
optional ``:ClassName`` (default ``Value``). Importing it runs the learner's code: that is what they
ask for when they name their engine. Expression files are never executed; only the engine is.

Every failure is an ``EngineError`` with one message a person can act on. When the learner's own
code raised, the message ends with *their* traceback (frames from their files only), which is the
useful part for them.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import threading
import traceback
import types
from dataclasses import dataclass

DEFAULT_CLASS = "Value"


class EngineError(Exception):
    """The engine named by a spec cannot be loaded or used; ``str()`` is the whole message."""


@dataclass(frozen=True)
class Engine:
    """A loaded engine: its class and how to name it (``engines/overwrite.py:Value``)."""

    cls: type
    spec: str


def split_spec(spec: str) -> tuple[str, str]:
    """``'path/engine.py:Value'`` -> ``('path/engine.py', 'Value')``; the class defaults to ``Value``.

    Only a trailing ``:Identifier`` is a class name, so a path holding ``:`` elsewhere still works.
    """
    where, sep, name = spec.rpartition(":")
    if sep and where and name.isidentifier():
        return where, name
    return spec, DEFAULT_CLASS


def _is_path(where: str) -> bool:
    return where.endswith(".py") or os.sep in where or "/" in where or os.path.isfile(where)


def their_traceback(error: BaseException, skip: tuple[str, ...] = ()) -> str:
    """The traceback of ``error`` keeping only frames outside gradstep (and ``skip``): their code."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if _theirs(frame.filename) and not any(os.path.abspath(frame.filename).startswith(s) for s in skip)
    ]
    if not frames:
        return ""  # raised where gradstep called them: the message says it all
    lines = ["Traceback (their code, most recent call last):\n"]
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip("\n")


_HERE = os.path.dirname(os.path.abspath(__file__))
_THREADING = os.path.abspath(threading.__file__)


def _theirs(filename: str) -> bool:
    """True for a frame of the learner's code: not gradstep's, not the import machinery's."""
    path = os.path.abspath(filename)
    return not (path.startswith(_HERE) or path == _THREADING or filename.startswith("<frozen"))


def _below(text: str) -> str:
    return f"\n{text}" if text else ""


def where_raised(error: BaseException) -> str:
    """``file:line`` of the innermost frame of ``error`` outside gradstep: where *their* code raised."""
    found = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if _theirs(frame.filename):
            found = f"{frame.filename}:{frame.lineno}"
    return found


def load_engine(spec: str) -> Engine:
    """Import the engine named by ``spec`` and return its class. Raises ``EngineError`` only."""
    where, name = split_spec(spec)
    if not where:
        raise EngineError("gradstep: error: --engine needs a file (engine.py) or a module (micrograd.engine)")
    # Their import-time prints must not mix with a JSON document on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        module = _import_file(where) if _is_path(where) else _import_module(where)
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        classes = sorted(k for k, v in vars(module).items() if isinstance(v, type) and not k.startswith("_"))
        has = f" (it has: {', '.join(classes[:8])})" if classes else ""
        what = "no class" if cls is None else "something that is not a class named"
        raise EngineError(f"gradstep: error: {where} has {what} {name}{has}; name one with {where}:ClassName")
    return Engine(cls, f"{where}:{name}")


def _import_file(path: str) -> types.ModuleType:
    if not os.path.exists(path):
        raise EngineError(f"gradstep: error: {path}: no such engine file")
    if os.path.isdir(path):
        raise EngineError(f"gradstep: error: {path}: is a directory, not an engine file")
    module_name = "gradstep_engine_" + "".join(c if c.isalnum() else "_" for c in os.path.abspath(path))
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise EngineError(f"gradstep: error: {path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # their engine may import its neighbours
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(module_name, None)
        raise EngineError(
            f"{error.filename or path}:{error.lineno or 0}:{error.offset or 0}: error: "
            f"your engine has a syntax error: {error.msg}"
        ) from None
    except BaseException as error:  # their code: anything may come out of it
        sys.modules.pop(module_name, None)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise EngineError(
            f"{where_raised(error) or path}: error: importing your engine raised "
            f"{type(error).__name__}: {error}{_below(their_traceback(error))}"
        ) from None
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    return module


def _import_module(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            raise EngineError(
                f"gradstep: error: no module named {error.name!r} (give a file path, engine.py, or "
                "an importable module, micrograd.engine)"
            ) from None
        raise EngineError(
            f"gradstep: error: importing {name} raised {error}\n{their_traceback(error)}"
        ) from None
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        raise EngineError(
            f"{where_raised(error) or name}: error: importing your engine raised "
            f"{type(error).__name__}: {error}{_below(their_traceback(error))}"
        ) from None
