"""What this installation runs: the hot modules compiled by mypyc (see setup.py) or pure Python."""

from __future__ import annotations

import hashlib
import importlib
import json
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

COMPILABLE_MODULES = (
    "interactions.engine",
    "interactions.validation",
    "interactions.schedule",
    "interactions.knowledge_base",
    "service.jsoncodec",
    "service.audit.rows",
    "service.audit.summary",
)
"""The modules setup.py compiles unless DOSECHECK_PURE_PYTHON=1."""
RECORD_PATH = Path(__file__).with_name("compiled-sources.json")
"""Written by setup.py when it compiles: each compiled module's name -> SHA-256 of its source."""


def compiled_modules() -> tuple[str, ...]:
    """The compilable modules that were imported from a compiled extension."""
    return tuple(name for name in COMPILABLE_MODULES if _is_extension(_file_of(name)))


def stale_compiled_modules() -> tuple[str, ...]:
    """Compiled modules whose source differs from the one they were built from.

    That happens when an editable install is not rebuilt after an edit: the module runs the old
    code, and `pip install -e .` again rebuilds it. Sources are compared by the SHA-256 setup.py
    recorded, not by file times, which an installer sets in whatever order it writes the files.
    """
    compiled = compiled_modules()
    if not compiled:
        return ()
    recorded = json.loads(RECORD_PATH.read_text()) if RECORD_PATH.exists() else {}
    stale = []
    for name in compiled:
        extension = _file_of(name)
        source = extension.with_name(extension.name.split(".", 1)[0] + ".py")
        if source.exists() and recorded.get(name) != hashlib.sha256(source.read_bytes()).hexdigest():
            stale.append(name)
    return tuple(stale)


def describe() -> str:
    """One line for logs and benchmark reports."""
    compiled = compiled_modules()
    if not compiled:
        return "build: pure Python"
    stale = stale_compiled_modules()
    return f"build: compiled (mypyc) {', '.join(compiled)}" + (
        f"; STALE, source edited since the build: {', '.join(stale)}" if stale else "")


def _file_of(name: str) -> Path:
    return Path(importlib.import_module(name).__file__ or "")


def _is_extension(path: Path) -> bool:
    return any(path.name.endswith(suffix) for suffix in EXTENSION_SUFFIXES)
