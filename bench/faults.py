"""Fault runs: an audit killed and resumed, and a server killed and restarted under a remote audit.

    python -m bench.faults [--rows 4000] [--audit-workers 1] [--kb DIR] [--json PATH]

1. `dosecheck audit INPUT` (in-process) is killed with SIGKILL once about half its rows are
   written, then run again with `--resume`: rows written before the kill, rows kept and checked by
   the resume, helper processes left behind by the kill, and whether every input row ends with
   exactly one record (by line and by request id).
2. `dosecheck audit INPUT --target` runs against a real `dosecheck serve`; the server's whole
   process group is killed with SIGKILL once about half the rows are written (a crash, an OOM
   kill), the audit's exit code and message are recorded, the server is started again on the same
   port and the audit resumed.

Each audit is a `python -m service audit` process, as an operator runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import orjson

from bench.processes import ServerProcess
from bench.workload import Workload, write_jsonl
from interactions import load_knowledge_base

POLL_S = 0.005
EXIT_TIMEOUT_S = 120.0
"""The longest an audit (or its resume) may take; more means it hangs."""
REMOTE_WINDOW = 4096
"""Rows `dosecheck audit --target` reads ahead of what it has written (`run_remote`'s window)."""


@dataclass(slots=True)
class OutputWatch:
    """Follows an audit's output as it grows, reading only the new bytes, and counts whole records."""

    path: pathlib.Path
    offset: int = 0
    records: int = 0

    def poll(self) -> int:
        """Counts the records written since the last poll.

        Returns:
            Whole records (lines ending in a newline) written so far.
        """
        try:
            with self.path.open("rb") as out:
                out.seek(self.offset)
                new = out.read()
        except FileNotFoundError:
            return 0
        # A half-written last line is counted when its newline arrives.
        self.records += new.count(b"\n")
        self.offset += new.rfind(b"\n") + 1
        return self.records


def audit_command(input_path: pathlib.Path, output: pathlib.Path, *options: str) -> list[str]:
    """`dosecheck audit` as a module run by this interpreter (the venv's `dosecheck` script is the same).

    Args:
        input_path: the regimens.
        output: the results.
        options: further flags.

    Returns:
        The command line.
    """
    return [sys.executable, "-m", "service", "audit", str(input_path), "-o", str(output), "--no-progress", *options]


def start_audit(command: list[str], workdir: pathlib.Path, name: str) -> tuple[subprocess.Popen[bytes], pathlib.Path]:
    """Starts an audit in its own process group, its messages to a file.

    Args:
        command: the audit's command line.
        workdir: where the messages go.
        name: the messages' file name.

    Returns:
        The process and its messages' file.
    """
    messages = workdir / name
    with messages.open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    return process, messages


def wait_for_records(process: subprocess.Popen[bytes], watch: OutputWatch, records: int) -> bool:
    """Waits until the output holds `records` whole records, or the process ends first.

    Args:
        process: the audit.
        watch: its output.
        records: how many.

    Returns:
        True when the records were written while it still ran.
    """
    deadline = time.monotonic() + EXIT_TIMEOUT_S
    while time.monotonic() < deadline:
        if watch.poll() >= records:
            return process.poll() is None
        if process.poll() is not None:
            return False
        time.sleep(POLL_S)
    raise TimeoutError(f"the audit wrote {watch.records} records in {EXIT_TIMEOUT_S:.0f} s")


def process_group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group.

    Args:
        pgid: the group (the pid of its leader, started with `start_new_session`).

    Returns:
        Their process ids.
    """
    members = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp.
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def answered(output: pathlib.Path, expected_ids: list[str]) -> dict[str, Any]:
    """Whether every input row has exactly one record: by input line and by request id.

    Args:
        output: the audit's output.
        expected_ids: the request id of each input line, in order (line 1 first).

    Returns:
        Records, rows answered exactly once, missing and duplicated rows, and `exactly_once`.
    """
    lines: dict[int, int] = {}
    ids: dict[str, int] = {}
    with output.open("rb") as records:
        for raw in records:
            record = orjson.loads(raw)
            lines[record["line"]] = lines.get(record["line"], 0) + 1
            request_id = record["response"].get("requestId", "")
            ids[request_id] = ids.get(request_id, 0) + 1
    missing = [i for i in expected_ids if i not in ids]
    duplicated = [i for i, n in ids.items() if n > 1] + [f"line {line}" for line, n in lines.items() if n > 1]
    expected_lines = set(range(1, len(expected_ids) + 1))
    return {
        "records": sum(lines.values()),
        "rows": len(expected_ids),
        "missing": missing[:10],
        "duplicated": duplicated[:10],
        "exactly_once": not missing and not duplicated and set(lines) == expected_lines
        and set(ids) == set(expected_ids),
    }


def _finish(process: subprocess.Popen[bytes], messages: pathlib.Path) -> dict[str, Any]:
    started = time.perf_counter()
    code = process.wait(EXIT_TIMEOUT_S)
    return {
        "exit_code": code,
        "wait_s": round(time.perf_counter() - started, 3),
        "message": messages.read_text(errors="replace").strip()[-1500:],
    }


def _resume(command: list[str], workdir: pathlib.Path, output: pathlib.Path) -> dict[str, Any]:
    before = OutputWatch(output)
    records = before.poll()
    partial = output.stat().st_size - before.offset if output.exists() else 0
    started = time.perf_counter()
    process, messages = start_audit([*command, "--resume"], workdir, "resume.log")
    finished = _finish(process, messages)
    return {
        "records_before": records,
        "partial_record_bytes_before": partial,
        "wall_s": round(time.perf_counter() - started, 3),
        **finished,
    }


def audit_killed_and_resumed(
    workdir: pathlib.Path,
    input_path: pathlib.Path,
    ids: list[str],
    kb_path: pathlib.Path | None,
    workers: int,
    kill_at: int,
) -> dict[str, Any]:
    """Fault 1: an in-process audit killed midway (SIGKILL to the audit process alone), then resumed.

    Args:
        workdir: scratch directory.
        input_path: the regimens (JSON Lines).
        ids: their request ids, in order.
        kb_path: the knowledge base (None = the built-in one).
        workers: the audit's `--workers`.
        kill_at: the records written when it is killed.

    Returns:
        The figures.
    """
    output = workdir / "killed-audit.jsonl"
    options = ["--workers", str(workers)] + (["--kb", str(kb_path)] if kb_path else [])
    command = audit_command(input_path, output, *options)
    started = time.perf_counter()
    process, _ = start_audit(command, workdir, "killed-audit.log")
    watch = OutputWatch(output)
    running = wait_for_records(process, watch, kill_at)
    killed_at = time.perf_counter() - started
    if running:
        process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.0)  # helpers are told by the kernel or a pidfd thread; give them a moment to go
    left = process_group(process.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    result = {
        "workers": workers,
        "killed": running,
        "exit_code": process.returncode,
        "killed_after_s": round(killed_at, 3),
        "records_at_kill": watch.poll(),
        "helpers_left_1s_after_kill": len(left),
        "resume": _resume(command, workdir, output),
    }
    result["answered"] = answered(output, ids)
    return result


def server_killed_under_audit(
    workdir: pathlib.Path,
    input_path: pathlib.Path,
    ids: list[str],
    kb_path: pathlib.Path | None,
    server_workers: int,
    kill_at: int,
) -> dict[str, Any]:
    """Fault 2: a server killed (SIGKILL to its whole process group) under `audit --target`, restarted, resumed.

    Args:
        workdir: scratch directory.
        input_path: the regimens (JSON Lines).
        ids: their request ids, in order.
        kb_path: the knowledge base (None = the built-in one).
        server_workers: the server's worker processes.
        kill_at: the records written when the server is killed; the audit sends up to
            `REMOTE_WINDOW` rows ahead of what is written, so more than that must remain for the
            kill to catch rows the server has not answered yet.

    Returns:
        The figures.
    """
    output = workdir / "remote-audit.jsonl"

    def server(port: int | None = None) -> ServerProcess:
        return ServerProcess("real", workers=server_workers, workdir=workdir, kb_path=kb_path,
                             requests_file=input_path, port=port)

    with server() as first:
        command = audit_command(input_path, output, "--target", first.target)
        started = time.perf_counter()
        process, messages = start_audit(command, workdir, "remote-audit.log")
        watch = OutputWatch(output)
        running = wait_for_records(process, watch, kill_at)
        killed_at = time.perf_counter() - started
        os.killpg(first.pids()[0], signal.SIGKILL)
        killed = time.perf_counter()
        records_at_kill = watch.poll()
        audit_end = _finish(process, messages)
        audit_end["after_kill_s"] = round(time.perf_counter() - killed, 3)
        records_at_audit_exit = watch.poll()
        port = first.port
    restart_started = time.perf_counter()
    with server(port):
        restart_s = time.perf_counter() - restart_started
        resume = _resume(command, workdir, output)
    return {
        "server_workers": server_workers,
        "audit_running_at_kill": running,
        "killed_after_s": round(killed_at, 3),
        "records_at_kill": records_at_kill,
        "audit_after_kill": audit_end,
        "records_at_audit_exit": records_at_audit_exit,
        "restart_s": round(restart_s, 3),
        "resume": resume,
        "answered": answered(output, ids),
    }


def faults(
    rows: int, *, kb_path: pathlib.Path | None, audit_workers: int, server_workers: int, kill_at: float = 0.5
) -> dict[str, Any]:
    """Both fault runs on the same seeded input.

    Args:
        rows: audit rows (5 regimen drugs and 0 to 30 co-medications each).
        kill_at: the share of the rows written when the audit, or the server, is killed.
        kb_path: the knowledge base (None = the built-in one).
        audit_workers: the in-process audit's `--workers`.
        server_workers: the server's worker processes.

    Returns:
        The JSON-able figures of both runs.
    """
    requests = Workload(load_knowledge_base(kb_path)).audit_rows(rows)
    ids = [request.request_id for request in requests]
    at = round(rows * kill_at)
    with tempfile.TemporaryDirectory(prefix="dosecheck-faults-") as scratch:
        workdir = pathlib.Path(scratch)
        input_path = workdir / "audit.jsonl"
        write_jsonl(requests, input_path)
        return {
            "rows": rows,
            "knowledge_base": str(kb_path or "built-in"),
            "kill_at_records": at,
            "audit_killed_and_resumed": audit_killed_and_resumed(workdir, input_path, ids, kb_path, audit_workers, at),
            "server_killed_under_audit": server_killed_under_audit(
                workdir, input_path, ids, kb_path, server_workers, at
            ),
        }


def main(argv: list[str] | None = None) -> int:
    """Parses the command line, runs both faults, prints the figures as JSON (and writes them).

    Args:
        argv: the arguments; None = sys.argv[1:].

    Returns:
        0 when every row of both audits ended with exactly one record, 1 otherwise.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=12_000, help=f"more than twice {REMOTE_WINDOW} (see --kill-at)")
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of the rows written at the kill")
    parser.add_argument("--audit-workers", type=int, default=1, help="the in-process audit's --workers")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--kb", type=pathlib.Path, help="knowledge-base directory (default: the built-in one)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = parser.parse_args(argv)
    result = faults(args.rows, kb_path=args.kb, audit_workers=args.audit_workers, server_workers=args.server_workers,
                    kill_at=args.kill_at)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    runs = ("audit_killed_and_resumed", "server_killed_under_audit")
    ok = all(result[run]["answered"]["exactly_once"] for run in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
