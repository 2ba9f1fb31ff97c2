"""The compiled build: setup.py compiles the modules `service.build` reports on, and a stale one is found."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pathlib

import pytest

from service import build

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _setup_py_modules() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    assignment = next(node for node in tree.body if isinstance(node, ast.Assign)
                      and any(getattr(t, "id", "") == "COMPILED_MODULES" for t in node.targets))
    paths = ast.literal_eval(assignment.value)
    return tuple(path.removesuffix(".py").replace("/", ".") for path in paths)


def test_setup_compiles_the_modules_build_reports_on() -> None:
    assert _setup_py_modules() == build.COMPILABLE_MODULES


@pytest.mark.skipif(os.environ.get("DOSECHECK_PURE_PYTHON") == "1", reason="installed without compiling")
def test_this_installation_runs_the_compiled_modules() -> None:
    assert build.compiled_modules() == build.COMPILABLE_MODULES
    assert build.describe().startswith("build: compiled (mypyc)")


def test_a_source_edited_after_its_build_is_stale(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = tmp_path / "engine.cpython-311-x86_64-linux-gnu.so"
    source = tmp_path / "engine.py"
    record = tmp_path / "compiled-sources.json"
    compiled.write_bytes(b"")
    source.write_text("as built\n")
    record.write_text(json.dumps({"interactions.engine": hashlib.sha256(b"as built\n").hexdigest()}))
    monkeypatch.setattr(build, "COMPILABLE_MODULES", ("interactions.engine",))
    monkeypatch.setattr(build, "RECORD_PATH", record)
    monkeypatch.setattr(build, "_file_of", lambda name: compiled)
    monkeypatch.setattr(build, "EXTENSION_SUFFIXES", [".cpython-311-x86_64-linux-gnu.so"])
    # An installer writes the source after the extension: its time says nothing, its content does.
    os.utime(compiled, (1_000, 1_000))
    os.utime(source, (2_000, 2_000))
    assert build.stale_compiled_modules() == ()
    assert "STALE" not in build.describe()
    source.write_text("edited\n")
    assert build.stale_compiled_modules() == ("interactions.engine",)
    assert "STALE" in build.describe()
