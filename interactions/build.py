"""What this installation runs: the engine's modules compiled by mypyc (see setup.py) or pure Python."""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

COMPILABLE_MODULES = ("interactions.engine", "interactions.validation", "interactions.schedule")
"""The modules setup.py compiles unless DOSECHECK_PURE_PYTHON=1."""


def compiled_modules() -> tuple[str, ...]:
    """The compilable modules that were imported from a compiled extension."""
    return tuple(name for name in COMPILABLE_MODULES if _is_extension(_file_of(name)))


def stale_compiled_modules() -> tuple[str, ...]:
    """Compiled modules whose source was edited after they were built (an editable install not rebuilt).

    Such a module runs the old code: `pip install -e .` again rebuilds it.
    """
    stale = []
    for name in compiled_modules():
        compiled = _file_of(name)
        source = compiled.with_name(compiled.name.split(".", 1)[0] + ".py")
        if source.exists() and source.stat().st_mtime > compiled.stat().st_mtime:
            stale.append(name)
    return tuple(stale)


def describe() -> str:
    """One line for logs and benchmark reports."""
    compiled = compiled_modules()
    if not compiled:
        return "engine: pure Python"
    stale = stale_compiled_modules()
    return f"engine: compiled (mypyc) {', '.join(compiled)}" + (
        f"; STALE, source edited since the build: {', '.join(stale)}" if stale else "")


def _file_of(name: str) -> Path:
    return Path(importlib.import_module(name).__file__ or "")


def _is_extension(path: Path) -> bool:
    return any(path.name.endswith(suffix) for suffix in EXTENSION_SUFFIXES)
