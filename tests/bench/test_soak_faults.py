"""The soak, the fault runs and the idle load still run, and show what they are there to show: in seconds."""

from __future__ import annotations

import pathlib

import pytest

from bench import faults, idle, soak
from bench.workload import Workload, write_jsonl
from interactions import load_knowledge_base
from tests.bench.test_bench_smoke import FIXTURE_KB, _env


@pytest.fixture(autouse=True)
def _subprocesses_import_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    # Servers and audits run as `python -m ...` subprocesses.
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])


def _audit_input(tmp_path: pathlib.Path, rows: int) -> tuple[pathlib.Path, list[str]]:
    requests = Workload(load_knowledge_base(FIXTURE_KB)).audit_rows(rows)
    path = tmp_path / "audit.jsonl"
    write_jsonl(requests, path)
    return path, [request.request_id for request in requests]


def test_a_three_second_soak_fails_no_call_and_samples_every_worker() -> None:
    result = soak.soak(0.05, 16, kb_path=FIXTURE_KB, server_workers=2, window_s=1.0)
    assert result["failures"] == {}
    assert result["calls"] > 100
    assert len(result["windows"]) == 3
    for window in result["windows"]:
        assert window["calls"] > 0
        assert window["p99_ms"] >= window["p50_ms"] > 0
    rss = result["worker_rss_mib"]
    # The same two workers from start to end (none died and was replaced), each with real memory.
    assert len(rss["start"]) == 2
    assert rss["start"].keys() == rss["after_first_window"].keys() == rss["end"].keys()
    assert all(mib > 10 for mib in rss["end"].values())


@pytest.mark.parametrize("workers", [1, 2])
def test_an_audit_killed_midway_resumes_to_one_record_per_row(tmp_path: pathlib.Path, workers: int) -> None:
    rows = 3000
    input_path, ids = _audit_input(tmp_path, rows)
    result = faults.audit_killed_and_resumed(tmp_path, input_path, ids, FIXTURE_KB, workers, rows // 2)
    assert result["killed"]
    assert result["exit_code"] == -9  # SIGKILL
    assert rows // 2 <= result["records_at_kill"] < rows
    assert result["helpers_left_1s_after_kill"] == 0
    resume = result["resume"]
    assert resume["exit_code"] == 0
    assert resume["records_before"] == result["records_at_kill"]
    assert f"({resume['records_before']:,} kept from an earlier run)" in resume["message"]
    assert result["answered"] == {"records": rows, "rows": rows, "missing": [], "duplicated": [], "exactly_once": True}


def test_a_server_killed_under_a_remote_audit_is_named_unavailable_and_the_resume_finishes(
    tmp_path: pathlib.Path,
) -> None:
    rows = 6000  # the audit sends up to 4,096 rows ahead: more must remain unanswered at the kill
    input_path, ids = _audit_input(tmp_path, rows)
    result = faults.server_killed_under_audit(tmp_path, input_path, ids, FIXTURE_KB, 2, 1000)
    assert result["audit_running_at_kill"]
    stopped = result["audit_after_kill"]
    assert stopped["exit_code"] == 130
    assert "UNAVAILABLE" in stopped["message"]
    assert "--resume" in stopped["message"]
    assert result["records_at_kill"] <= result["records_at_audit_exit"] < rows
    assert result["resume"]["exit_code"] == 0
    assert result["resume"]["records_before"] == result["records_at_audit_exit"]
    assert result["answered"]["exactly_once"]
    assert result["answered"]["records"] == rows


def test_idle_connections_and_a_silent_stream_are_held_while_calls_succeed() -> None:
    result = idle.idle_load(50, 4, 1.5, kb_path=FIXTURE_KB, server_workers=2, warmup_s=0.5)
    for window in ("without_idle_load", "with_idle_load"):
        assert result[window]["failures"] == {}
        assert result[window]["calls"] > 0
    assert result["idle_connections_open_at_end"] == 50
    # The server side holds them too: the 50 idle connections and the silent stream's.
    assert result["server_established_with_idle"] >= 51
    assert result["silent_stream_open_at_end"]


def test_the_idle_limit_closes_a_connection_without_calls_and_the_stream_idle_timeout_a_silent_stream() -> None:
    result = idle.silent_stream_probe(4, kb_path=FIXTURE_KB, extra_env={"DOSECHECK_STREAM_IDLE_TIMEOUT_S": "2"})
    closed = result["idle_connection"]["goaway_after_s"]
    assert closed is not None
    assert closed < 2.5  # max_connection_idle_s = 1
    # Past the age limit and with keepalive answered, only the stream idle timeout ends the stream.
    stream = result["silent_stream"]
    assert stream["status"] == "DEADLINE_EXCEEDED"
    assert 2 <= stream["ended_after_s"] < 3.5
    assert "no row for 2 s" in stream["details"]
