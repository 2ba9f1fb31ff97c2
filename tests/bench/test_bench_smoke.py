"""The benchmark still runs: every part with tiny windows, and the fallback load generator on its own."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from bench import load
from bench.processes import ServerProcess
from bench.workload import Workload, grpc_frame
from interactions import load_knowledge_base
from service import convert

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE_KB = ROOT / "tests" / "interactions" / "fixture_kb"

GOALS = [
    "Engine: median per check, 5 + 30",
    "Engine: median per check, 5 + 30, EHR-format names (warm)",
    "Reading a never-seen medication string, median",
    "Knowledge base load and validate",
    "CheckRegimen QPS real/echo, 8 in flight",
    "CheckRegimen QPS real/echo, 64 in flight",
    "CheckRegimen p99 latency, 8 in flight (real)",
    "Audit in-process, 1 process",
    "Audit in-process scaling, 2 workers / 1",
    "AuditRegimens stream, real server, 4 streams",
    "Audit output per row, plain BASIC JSON (`-o *.jsonl`)",
    "Audit output per row, gzip (the default, `*.jsonl.gz`)",
    "Answer to the 5 + 30 request, BASIC",
    "Answer to the 5 + 30 request, FULL",
    "Server RSS growth, start-up to after all load",
    "Service calls failed during the runs",
]


def _env() -> dict[str, str]:
    # The subprocesses import bench, service and the generated stubs as pytest's pythonpath does.
    paths = [str(ROOT), str(ROOT / "protos"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def test_smoke_run_prints_every_goal_and_writes_json(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--kb", str(FIXTURE_KB), "--json", str(out)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for goal in GOALS:
        matching = [r for r in rows if r.startswith(f"| {goal} |")]
        assert len(matching) == 1, f"no table row for {goal!r}"
        assert matching[0].rstrip().endswith(("| met |", "| **NOT met** |"))
    results = json.loads(out.read_text())
    assert [g["name"] for g in results["summary"]["goals"]] == GOALS
    expected_tool = load.H2LOAD if load.h2load_available() else load.PYTHON
    assert results["load_generator"] == expected_tool
    assert f"Load generator: **{expected_tool}**" in done.stdout
    assert results["machine_before"]["cores"] >= 1
    memory = results["memory"]
    # Resident memory is anonymous plus file-backed (plus shared memory, which the server does not use).
    split = memory["anonymous_growth_bytes"] + memory["file_backed_growth_bytes"]
    assert abs(memory["after_load_bytes"] - memory["after_start_bytes"] - split) < 1 << 20
    for in_flight in ("1", "8", "64"):
        for kind in ("real", "echo"):
            (run,) = results["unary"][in_flight][kind]
            assert run["count"] > 0
            assert run["errors"] == 0


def test_fallback_client_loads_a_server(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The smoke run above uses h2load where it is installed; the Python client must not rot meanwhile.
    kb = load_knowledge_base(FIXTURE_KB)
    requests = tmp_path / "requests.grpc"
    rows = Workload(kb).audit_rows(3)
    requests.write_bytes(b"".join(grpc_frame(convert.request_to_proto(row).SerializeToString()) for row in rows))
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the server and client subprocesses
    with ServerProcess("echo", workers=1, workdir=tmp_path, kb_path=FIXTURE_KB, requests_file=requests) as server:
        unary = load.python_unary(server.target, requests, 4, 0.2, 0.5, server.cpu_seconds)
        stream = load.python_stream(server.target, requests, 2, 0.2, 0.5, server.cpu_seconds)
    assert (unary.tool, unary.errors, stream.errors) == (load.PYTHON, 0, 0)
    assert unary.count > 0
    assert unary.p50_us is not None
    assert stream.count > 0


def test_stream_memory_answers_every_row_and_flags_the_invalid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import stream_memory

    assert stream_memory.main(["--rows", "2000"]) == 0
    printed = capsys.readouterr().out
    assert "'rows': 2000, 'errors': 2," in printed


def test_stream_memory_sends_distinct_rows_in_turn(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import stream_memory

    rows = stream_memory.distinct_rows(300)
    assert len({row.SerializeToString() for row in rows}) == 300
    assert all(row.view == stream_memory.pb.VIEW_BASIC for row in rows)
    assert stream_memory.main(["--rows", "1500", "--distinct", "300"]) == 0
    assert "'rows': 1500, 'errors': 1," in capsys.readouterr().out
