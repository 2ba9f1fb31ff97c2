"""Session 9's SRE review, mended: what `dosecheck serve` and `dosecheck health` tell an on-call engineer.

In JSON mode every line `serve` writes is a JSON object, the reasons for exit codes 2 and 70 too;
`health` names a service the server does not know; the CDS Hooks access log never carries a
caller's unknown path or method; a SIGTERM while the server starts ends it cleanly.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.exit_codes import ExitCode
from service.metrics import DIRECTORY_PREFIX
from service.server import SERVICE_NAME
from tests.service.conftest import running_server
from tests.service.processes import ENV, StartServe, descendants, free_port, serve_once, stderr_of


def _errors(stderr: str) -> list[dict[str, Any]]:
    """The error records of `stderr`, every line of which must be a JSON object."""
    return [line for line in _json_lines(stderr) if line["level"] == "error"]


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line of `stderr` as a JSON object; fails naming the first line that is not one."""
    lines = []
    for line in stderr.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    assert all(isinstance(line, dict) for line in lines), lines
    return lines


_SITE = 'site = "Example"\nextends = "built-in"\n'


def _invalid_kb(tmp_path: pathlib.Path) -> pathlib.Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "site.toml").write_text("not = = toml\n", encoding="utf-8")
    return kb


def _site_pipe(tmp_path: pathlib.Path) -> pathlib.Path:
    """A site's knowledge base whose site.toml is a named pipe: loading it waits for `_answering`."""
    kb = tmp_path / "kb"
    kb.mkdir()
    os.mkfifo(kb / "site.toml")
    return kb


def _answer(fifo: pathlib.Path, reading: threading.Event, answer: threading.Event) -> None:
    while True:
        try:
            # Non-blocking: it opens only once a reader waits on the other end.
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            time.sleep(0.01)
    reading.set()
    answer.wait(60)
    # A plain file from now on, for the knowledge base's further reads (its digest).
    (fifo.parent / "site.toml.new").write_text(_SITE, encoding="utf-8")
    (fifo.parent / "site.toml.new").replace(fifo)
    with os.fdopen(writer, "w", encoding="utf-8") as site:
        site.write(_SITE)


@contextlib.contextmanager
def _answering(fifo: pathlib.Path, process: subprocess.Popen[str]) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Events `reading` (the server waits on the pipe) and `answer` (set it to send the site.toml).

    At the end the server is answered, and killed if it still runs.
    """
    reading, answer = threading.Event(), threading.Event()
    writer = threading.Thread(target=_answer, args=(fifo, reading, answer), daemon=True)
    writer.start()
    try:
        yield reading, answer
    finally:
        answer.set()
        if process.poll() is None:
            process.kill()
        process.wait(30)
        writer.join(10)


# 1. Start-up failures in JSON mode

def test_a_knowledge_base_that_does_not_validate_is_refused_in_one_json_line_listing_the_problems(
        tmp_path: pathlib.Path) -> None:
    result = serve_once("--port", str(free_port()), "--log-format", "json", "--kb", str(_invalid_kb(tmp_path)))

    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    (refusal,) = _errors(result.stderr)
    assert refusal["message"].startswith("refusing to start: the knowledge base is invalid (1 problems):")
    assert refusal["exit_code"] == ExitCode.UNUSABLE
    assert [problem.split(":")[0] for problem in refusal["problems"]] == ["site.toml"]
    assert "not valid TOML" in refusal["problems"][0]


def test_a_port_in_use_is_refused_in_a_json_line_when_the_variable_asks_for_json() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = serve_once("--port", str(port), env={"DOSECHECK_LOG_FORMAT": "json"})

    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    (refusal,) = _errors(result.stderr)
    assert refusal["message"] == f"refusing to start: gRPC port {port}: cannot bind 127.0.0.1:{port}: " \
        "Address already in use"
    assert refusal["exit_code"] == ExitCode.UNUSABLE


def test_an_unreadable_tls_file_is_refused_in_a_json_line(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "missing.pem"
    result = serve_once("--port", str(free_port()), "--log-format", "json",
                         "--tls-cert", str(missing), "--tls-key", str(missing))

    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    (refusal,) = _errors(result.stderr)
    assert refusal["message"] == f"refusing to start: TLS: {missing}: No such file or directory"


def test_in_text_mode_a_refusal_stays_readable_text(tmp_path: pathlib.Path) -> None:
    result = serve_once("--port", str(free_port()), "--log-format", "text", "--kb", str(_invalid_kb(tmp_path)))

    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    # A warning may come first (a DOSECHECK_ variable of the test run that names no setting).
    first, problem = [line for line in result.stderr.splitlines() if " WARNING " not in line]
    assert " ERROR " in first
    assert first.endswith("refusing to start: the knowledge base is invalid (1 problems):")
    assert problem.startswith("  site.toml: not valid TOML")


def test_a_worker_that_dies_stops_the_server_with_exit_70_told_in_json_lines(
        serve: StartServe, tmp_path: pathlib.Path) -> None:
    process, _ = serve("--workers", "2")
    first, _second = descendants(process.pid)

    os.kill(first, signal.SIGKILL)

    assert process.wait(30) == ExitCode.FAILED
    lines = _json_lines(stderr_of(process, tmp_path))
    (reason,) = [line for line in lines if line.get("exit_code") == ExitCode.FAILED]
    assert f"(pid {first}) exited with -9; stopping the others" in reason["message"]


def test_a_port_taken_while_the_knowledge_base_loads_ends_with_exit_70_and_a_json_traceback(
        tmp_path: pathlib.Path) -> None:
    # The ports are checked before the knowledge base loads; one taken in between fails gRPC's own
    # bind, which the interpreter printed as a plain-text traceback, exit 1. The site's file is a
    # pipe: the load waits on it until the port is taken.
    port, pid_path, kb = free_port(), tmp_path / "serve.pid", _site_pipe(tmp_path)
    with open(tmp_path / "serve.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--log-format", "json",
             "--pid-file", str(pid_path), "--kb", str(kb)],
            env=ENV, stdout=subprocess.DEVNULL, stderr=log, text=True)
    with _answering(kb / "site.toml", process) as (reading, answer), socket.socket() as taker:
        assert reading.wait(60), "the server never read its site.toml"
        taker.bind(("127.0.0.1", port))
        taker.listen()
        answer.set()
        assert process.wait(60) == ExitCode.FAILED

    # gRPC's C core writes its own error line (absl's format, `E1201 09:08:55.288639 ...`) straight to
    # the file descriptor, out of Python's reach; every other line is JSON.
    stderr = (tmp_path / "serve.log").read_text(encoding="utf-8")
    lines = _json_lines("\n".join(line for line in stderr.splitlines() if not re.match(r"[EWI]\d{4} ", line)))
    (failure,) = [line for line in lines if line["level"] == "error"]
    assert failure["message"] == "stopping: unexpected error"
    assert failure["exit_code"] == ExitCode.FAILED
    assert "Traceback" in failure["traceback"]
    assert not pid_path.exists()


# 2. `dosecheck health` for a service the server does not know

def test_health_for_an_unknown_service_names_it_and_what_the_server_knows_with_exit_2() -> None:
    with running_server() as server:
        result = CliRunner().invoke(app, ["health", "--target", server.target, "--service", "dosecheck.v1.Nope"])
        known = CliRunner().invoke(app, ["health", "--target", server.target, "--service", SERVICE_NAME])

    assert result.exit_code == ExitCode.UNUSABLE, result.output
    assert result.output.strip() == (
        'dosecheck: NOT_FOUND: unknown service "dosecheck.v1.Nope": a dosecheck server knows "" '
        f"(the whole server) and {SERVICE_NAME}")
    assert known.exit_code == 0, known.output
    assert known.output.strip() == "SERVING"


# 3. The CDS Hooks access log

_HOSTILE = [
    ("GET", "/cds-services/../../x"),
    ("GET", "/cds-services/x%0A2026-12-01 09:00:00,000 ERROR forged%1b[31m"),
    ("GET", "/" + "a" * 10_000),
    ("POST", "/cds-services/not-ours%0Aforged"),
    ("FORGED" * 1000, "/healthz/live"),
]


def _send(port: int, method: str, path: str) -> int:
    """Sends a request as written and returns the status of the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # http.client sends the target as given: no dot segments removed, nothing re-encoded.
        connection.putrequest(method, path.replace(" ", "%20"), skip_accept_encoding=True)
        connection.putheader("Content-Length", "0")
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_access_log_tells_a_path_or_method_not_of_ours_by_a_placeholder(
        serve: StartServe, tmp_path: pathlib.Path) -> None:
    http_port = free_port()
    process, _ = serve("--http-port", str(http_port), "--http-db", str(tmp_path / "hooks.sqlite3"))
    for method, path in _HOSTILE:
        _send(http_port, method, path)
    assert _send(http_port, "GET", "/cds-services") == 200
    process.terminate()
    assert process.wait(30) == 0

    access = [line for line in _json_lines(stderr_of(process, tmp_path))
              if line["logger"] == "service.cds_hooks.access"]
    told = [line["message"].rsplit(" ", 1)[0] for line in access]  # without the duration
    assert told == [
        "GET unmatched 404",
        "GET /cds-services/{service_id} 405",  # the hook's route, which takes POST only
        "GET unmatched 404",
        "POST /cds-services/{service_id} 415",  # sent without a JSON body
        "other /healthz/live 405",
        "GET /cds-services 200",
    ]
    assert [line["http_method"] for line in access] == ["GET", "GET", "GET", "POST", "other", "GET"]


# 4. SIGTERM while the knowledge base loads

@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_while_the_knowledge_base_loads_exits_0_leaving_no_pid_file_or_metrics_directory(
        tmp_path: pathlib.Path, workers: str) -> None:
    # SIGTERM's default action ended it with 143, leaving both behind. The site's file is a pipe:
    # the load waits on it until the signal has been sent.
    pid_path, temp, kb = tmp_path / "serve.pid", tmp_path / "tmp", _site_pipe(tmp_path)
    temp.mkdir()
    with open(tmp_path / "serve.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(free_port()), "--workers", workers,
             "--metrics-port", str(free_port()), "--pid-file", str(pid_path), "--log-format", "json",
             "--kb", str(kb)],
            env={**ENV, "TMPDIR": str(temp)}, stdout=subprocess.DEVNULL, stderr=log, text=True)
    with _answering(kb / "site.toml", process) as (reading, answer):
        assert reading.wait(60), "the server never read its site.toml"
        assert pid_path.exists()
        process.send_signal(signal.SIGTERM)
        answer.set()
        assert process.wait(60) == ExitCode.OK

    messages = [line["message"] for line in _json_lines((tmp_path / "serve.log").read_text(encoding="utf-8"))]
    assert "stopped before serving: SIGTERM came while starting" in messages
    assert not any(message.startswith("serving ") for message in messages)
    assert not pid_path.exists()
    assert not list(temp.glob(f"{DIRECTORY_PREFIX}*"))
