"""Audits over AuditRegimens against real servers on loopback: order, bad rows, several targets, cancel."""

from __future__ import annotations

import gc
import json
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import load_knowledge_base
from service.audit.runner import AuditInterruptedError, run_audit
from service.cli import app
from service.convert import knowledge_base_info
from service.exit_codes import ExitCode
from service.servicer import RegimenChecker, engine_answer
from tests.service.conftest import RunningServer, running_server
from tests.service.processes import ENV, StartServe, descendants, running, wait_until


def lines_with_bad_rows(count: int) -> list[str]:
    lines = []
    for i in range(count):
        request: dict[str, Any] = {
            "requestId": f"r{i}",
            "regimen": [{"name": "venetoclax", "doseMg": 400}, {"name": "azacitidine", "doseMg": 130}],
            "concomitant": [{"name": "posaconazole"}, {"name": "fluconazol"}],
            "patient": {"cycleStartDate": "2026-01-05"},
        }
        if i % 10 == 3:
            lines.append('{"requestId": "cut off", "regimen": [{"name": "venetoclax", "doseMg"')
            continue
        if i % 10 == 5:
            request["regimen"][0]["doseMg"] = -1  # the server rejects it in-band
        if i % 10 == 7:
            request["regimen"] = []
        if i % 10 == 8:
            request["concomitant"][0]["doseMg"] = "three"  # rejected here, never sent
        lines.append(json.dumps(request))
    return lines


@pytest.fixture
def audit_input(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines_with_bad_rows(400)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with running_server() as running:
        yield running


def records(path: pathlib.Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def fields(response: dict[str, Any]) -> list[str]:
    details = response["error"].get("details", ())
    return [v["field"] for d in details for v in d.get("fieldViolations", ())]


def test_a_stream_with_bad_rows_mixed_in_answers_every_row_in_order(
    server: RunningServer, audit_input: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    out = tmp_path / "out.jsonl"
    run = run_audit(audit_input, out, targets=(server.target,))

    got = records(out)
    assert [r["line"] for r in got] == list(range(1, 401))
    for i, record in enumerate(got):
        response = record["response"]
        if i % 10 == 3:
            assert response["error"]["message"].startswith(f"line {i + 1}: not valid JSON")
            continue
        assert response["requestId"] == f"r{i}"
        if i % 10 == 5:
            assert fields(response) == ["regimen[0].dose_mg"]
        elif i % 10 == 7:
            assert "regimen" in fields(response)
        elif i % 10 == 8:
            assert fields(response) == ["concomitant[0].dose_mg"]
        else:
            assert "error" not in response
            assert response["unrecognized"][0]["name"] == "fluconazol"
    assert run.summary.errors == 160
    assert run.knowledge_bases[0].target == server.target


def test_remote_answers_equal_in_process_answers(
    server: RunningServer, audit_input: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    run_audit(audit_input, tmp_path / "local.jsonl", decisions_path=tmp_path / "local.csv")
    run = run_audit(audit_input, tmp_path / "remote.jsonl", targets=(server.target,),
                    decisions_path=tmp_path / "remote.csv")
    local = [r for r in records(tmp_path / "local.jsonl") if "error" not in r["response"]]
    remote = [r for r in records(tmp_path / "remote.jsonl") if "error" not in r["response"]]
    assert local == remote
    # The decisions CSV is made from the answers as they come back, as in-process (rows with errors: one line each).
    lines = {name: (tmp_path / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()
             for name in ("local", "remote")}
    checked = {name: [line for line in got if ",not checked (error)," not in line] for name, got in lines.items()}
    assert checked["local"] == checked["remote"]
    assert len(checked["remote"]) == 1 + run.summary.decisions_needing_action > 200
    assert len(lines["remote"]) == len(lines["local"]) == 1 + run.summary.decisions_needing_action + run.summary.errors


def test_several_targets_share_the_rows_and_the_results_come_back_in_order(
    audit_input: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    kb = load_knowledge_base()
    counts = [0, 0]

    def counting(replica: int) -> RegimenChecker:
        engine = engine_answer(kb)

        def answer(request: pb.CheckRegimenRequest) -> pb.CheckRegimenResponse:
            counts[replica] += 1
            return engine(request)

        return RegimenChecker(answer, knowledge_base_info(kb))

    with running_server(counting(0)) as first, running_server(counting(1)) as second:
        run = run_audit(audit_input, tmp_path / "out.jsonl", targets=(first.target, second.target))
    got = records(tmp_path / "out.jsonl")
    assert [r["line"] for r in got] == list(range(1, 401))
    assert [r["response"].get("requestId") for r in got if r["line"] % 10 != 4] == [
        f"r{i}" for i in range(400) if i % 10 != 3
    ]
    assert {k.target for k in run.knowledge_bases} == {first.target, second.target}
    assert len({k.content_hash for k in run.knowledge_bases}) == 1
    # Rows that fail to parse are answered by the client; each replica checked a share of the rest.
    assert sum(counts) == 400 - 40 - 40
    assert min(counts) > 0


def test_a_cancelled_audit_leaves_a_prefix_and_resumes_to_exactly_one_answer_per_row(
    server: RunningServer, tmp_path: pathlib.Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines_with_bad_rows(3000)) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"

    def interrupt(rows: int, position: int, size: int) -> None:
        if rows >= 500:
            raise KeyboardInterrupt

    with pytest.raises(AuditInterruptedError) as stopped:
        run_audit(source, out, targets=(server.target,), progress=interrupt)
    # This Ctrl-C is raised inside the event loop (a real one cancels the loop's main task), so the
    # task it leaves holds a KeyboardInterrupt nobody retrieves. Collect that task here: its finaliser
    # logs, and at a random later point it can run inside CPython 3.11's compiler and break it.
    gc.collect()
    written = records(out)
    assert 500 <= len(written) < 3000
    assert [r["line"] for r in written] == list(range(1, len(written) + 1))
    assert stopped.value.run.summary.rows == len(written)

    # The server is unharmed by the cancelled stream, and the audit finishes where it stopped.
    resumed = run_audit(source, out, targets=(server.target,), resume=True)
    got = records(out)
    assert [r["line"] for r in got] == list(range(1, 3001))
    assert resumed.resumed_rows == len(written)
    assert resumed.summary.rows == 3000
    assert resumed.summary.errors == 1200


def test_an_unreachable_target_stops_the_audit_with_its_name(audit_input: pathlib.Path, tmp_path: pathlib.Path) -> None:
    with running_server() as gone:
        target = gone.target
    with pytest.raises(AuditInterruptedError, match=target):
        run_audit(audit_input, tmp_path / "out.jsonl", targets=(target,), connect_timeout_s=0.5)


@pytest.fixture
def long_input(tmp_path: pathlib.Path) -> pathlib.Path:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines_with_bad_rows(3000)) + "\n", encoding="utf-8")
    return source


def test_a_killed_server_is_reported_unavailable_and_the_audit_resumes_elsewhere(
    serve: StartServe, long_input: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    process, target = serve()
    out = tmp_path / "out.jsonl"

    def kill_the_server(rows: int, position: int, size: int) -> None:
        if rows >= 300 and process.poll() is None:
            process.kill()
            process.wait(10)

    with pytest.raises(AuditInterruptedError) as stopped:
        run_audit(long_input, out, targets=(target,), progress=kill_the_server)

    assert stopped.value.reason.startswith(f"{target}: UNAVAILABLE")
    _, replacement = serve()
    resumed = run_audit(long_input, out, targets=(replacement,), resume=True)
    assert [r["line"] for r in records(out)] == list(range(1, 3001))
    assert resumed.resumed_rows == stopped.value.run.summary.rows


def test_a_frozen_server_stops_the_audit_after_the_answer_timeout(
    serve: StartServe, long_input: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    process, target = serve()

    def freeze_the_server(rows: int, position: int, size: int) -> None:
        if rows >= 300:
            process.send_signal(signal.SIGSTOP)  # the connection stays up; nothing answers

    started = time.monotonic()
    try:
        with pytest.raises(AuditInterruptedError) as stopped:
            run_audit(long_input, tmp_path / "out.jsonl", targets=(target,), progress=freeze_the_server,
                      answer_timeout_s=1)
    finally:
        process.send_signal(signal.SIGCONT)

    assert stopped.value.reason == f"{target}: DEADLINE_EXCEEDED: no answer within 1 s"
    assert time.monotonic() - started < 20


def test_a_full_disk_names_the_output_mentions_resume_and_exits_74(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines_with_bad_rows(50)) + "\n", encoding="utf-8")

    # /dev/full takes the open and refuses every write with ENOSPC, as a full disk does.
    result = CliRunner().invoke(app, ["audit", str(source), "-o", "/dev/full", "--overwrite", "--no-progress"])

    assert result.exit_code == ExitCode.OUTPUT_FAILED == 74
    assert "/dev/full could not be written (No space left on device)" in result.output
    assert "--resume" in result.output


def test_audit_helper_processes_die_with_a_killed_audit(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines_with_bad_rows(200)) + "\n", encoding="utf-8")
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as out:
        for _ in range(500):  # 100,000 rows: far more than the few seconds this test waits
            out.write(source.read_text(encoding="utf-8"))
    audit = subprocess.Popen(
        [sys.executable, "-m", "service", "audit", str(big), "-o", str(tmp_path / "out.jsonl"), "--workers", "2",
         "--no-progress"],
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        # Its two workers, once they are checking rows.
        assert wait_until(lambda: len(descendants(audit.pid)) >= 2, timeout_s=60)
        helpers = descendants(audit.pid)
    finally:
        audit.kill()
        audit.wait(10)

    assert wait_until(lambda: not any(running(pid) for pid in helpers), timeout_s=10), helpers
