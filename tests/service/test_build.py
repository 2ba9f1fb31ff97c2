"""The build: a release build compiles the modules `service.build` lists, an editable one never does."""

from __future__ import annotations

import os
import pathlib
from runpy import run_path

import pytest

from service import build

ROOT = pathlib.Path(__file__).resolve().parents[2]
SETUP = run_path(str(ROOT / "setup.py"), run_name="setup_under_test")


def test_setup_compiles_the_one_list_build_reports_on() -> None:
    assert SETUP["COMPILED_MODULES"] == build.COMPILABLE_MODULES


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["setup.py", "bdist_wheel"], {}, True),
        (["setup.py", "build_ext", "--inplace"], {}, True),
        (["setup.py", "editable_wheel", "--dist-info-dir", "x"], {}, False),
        (["setup.py", "bdist_wheel"], {"DOSECHECK_PURE_PYTHON": "1"}, False),
    ],
)
def test_only_a_release_build_compiles(argv: list[str], environ: dict[str, str], expected: bool) -> None:
    assert SETUP["compiles"](argv, environ) is expected


def test_an_editable_build_finds_the_extensions_an_earlier_build_left(tmp_path: pathlib.Path) -> None:
    (tmp_path / "interactions").mkdir()
    (tmp_path / "service" / "audit").mkdir(parents=True)
    left = [tmp_path / "interactions" / "engine.cpython-311-x86_64-linux-gnu.so",
            tmp_path / "service" / "audit" / "rows.cpython-311-x86_64-linux-gnu.so",
            tmp_path / "3a2b__mypyc.cpython-311-x86_64-linux-gnu.so"]
    kept = [tmp_path / "interactions" / "engine.py",
            tmp_path / "interactions" / "names.cpython-311-x86_64-linux-gnu.so"]  # not a compiled module
    for path in left + kept:
        path.write_bytes(b"")
    assert sorted(SETUP["leftover_extensions"](tmp_path)) == sorted(left)


@pytest.mark.skipif("DOSECHECK_EXPECT_BUILD" not in os.environ, reason="the build under test is not stated")
def test_this_installation_runs_the_build_ci_asked_for() -> None:
    # .ci/run tests both builds: the editable install (pure) and the release modules compiled in a copy.
    if os.environ["DOSECHECK_EXPECT_BUILD"] == "compiled":
        assert build.compiled_modules() == build.COMPILABLE_MODULES
        assert build.describe().startswith("build: compiled (mypyc)")
    else:
        assert build.compiled_modules() == ()
        assert build.describe() == "build: pure Python"
