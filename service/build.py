"""What this installation runs: the hot modules compiled by mypyc (a release build) or pure Python.

Imports only the standard library: setup.py reads `COMPILABLE_MODULES` from this file.
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

COMPILABLE_MODULES = (
    "interactions.engine",
    "interactions.validation",
    "interactions.schedule",
    "interactions.index",
    "interactions.answer",  # answer() of an audit row (bench rows, BASIC): 35.7 -> 25.2 µs
    "service.contract",
    "service.audit.rows",
    "service.audit.summary",
)
"""The modules a release build (a wheel, the Docker image) compiles; an editable install never does."""


def compiled_modules() -> tuple[str, ...]:
    """The compilable modules that were imported from a compiled extension."""
    return tuple(name for name in COMPILABLE_MODULES if _is_extension(_file_of(name)))


def describe() -> str:
    """One line for logs and benchmark reports."""
    compiled = compiled_modules()
    return f"build: compiled (mypyc) {', '.join(compiled)}" if compiled else "build: pure Python"


def _file_of(name: str) -> Path:
    return Path(importlib.import_module(name).__file__ or "")


def _is_extension(path: Path) -> bool:
    return any(path.name.endswith(suffix) for suffix in EXTENSION_SUFFIXES)
