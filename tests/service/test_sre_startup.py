"""What an on-call engineer met running `dosecheck serve`, each found by doing it against a real server.

Starting it wrongly (a second server on the same port, a port or pid file that cannot be used, a JSON
setting written as plain text, a misspelt variable) is refused with exit 2 and one clear line, or
warned of; `kb reload` signals only a running server; the logs tell the workers apart; a worker
that ends by itself stops the server with exit 70; metrics serve on IPv6 and leave no directory behind.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from typer.testing import CliRunner

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from service.cli import app
from service.exit_codes import ExitCode
from service.metrics import DIRECTORY_PREFIX, MULTIPROC_ENV, _remove_orphans
from service.settings import Settings
from tests.service.processes import (
    ENV,
    StartServe,
    descendants,
    free_port,
    running,
    serve_once,
    stderr_of,
    wait_until,
)


def _serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        stub: Any = health_pb2_grpc.HealthStub(channel)  # its type stub declares no methods
        reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_server_on_a_port_in_use_refuses_with_exit_2_and_leaves_the_first_alone(
        serve: StartServe, tmp_path: pathlib.Path, workers: str) -> None:
    # Both with 2 workers bind with SO_REUSEPORT: the second used to join the first's port, and the
    # kernel split callers between the two servers; with 1 worker it ended in a traceback, exit 1.
    first, target = serve("--workers", "2")
    port = target.rsplit(":", 1)[1]
    pid_file = tmp_path / "second.pid"

    second = serve_once("--port", port, "--workers", workers, "--pid-file", str(pid_file))

    assert second.returncode == ExitCode.UNUSABLE, second.stderr
    assert f"refusing to start: gRPC port {port}: cannot bind 127.0.0.1:{port}: Address already in use" \
        in second.stderr
    assert "Traceback" not in second.stderr
    assert not pid_file.exists()
    assert first.poll() is None
    assert _serving(target)


@pytest.mark.parametrize("flag", ["--port", "--http-port", "--metrics-port"])
def test_each_port_in_use_refuses_with_exit_2_naming_it(tmp_path: pathlib.Path, flag: str) -> None:
    ports = {"--port": str(free_port()), "--http-port": str(free_port()), "--metrics-port": str(free_port())}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        ports[flag] = str(taken.getsockname()[1])
        result = serve_once(*(part for pair in ports.items() for part in pair), "--http-db", str(tmp_path / "db"))
    what = {"--port": "gRPC", "--http-port": "CDS Hooks HTTP", "--metrics-port": "metrics"}[flag]
    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    assert f"refusing to start: {what} port {ports[flag]}: cannot bind" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_address_not_of_this_host_refuses_with_exit_2() -> None:
    result = serve_once("--host", "192.0.2.1", "--port", str(free_port()), "--insecure-allow-plaintext")
    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    assert "cannot bind 192.0.2.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pid_file_that_cannot_be_written_refuses_with_exit_2(tmp_path: pathlib.Path) -> None:
    pid_file = tmp_path / "no-such-directory" / "dosecheck.pid"
    result = serve_once("--port", str(free_port()), env={"DOSECHECK_PID_FILE": str(pid_file)})
    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    assert f"pid file (--pid-file, DOSECHECK_PID_FILE) {pid_file}: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("variable", ["DOSECHECK_ISSUERS", "DOSECHECK_HTTP_ISSUERS", "DOSECHECK_JWT_ALGORITHMS",
                                      "DOSECHECK_HTTP_JWT_ALGORITHMS", "DOSECHECK_HTTP_CORS_ORIGINS"])
def test_a_json_setting_written_as_plain_text_is_a_settings_error_with_exit_2(variable: str) -> None:
    # pydantic-settings decoded these itself and ended with a SettingsError traceback, exit 1.
    result = serve_once("--port", str(free_port()), env={variable: "https://sandbox.cds-hooks.org"})
    assert result.returncode == ExitCode.UNUSABLE, result.stderr
    field = variable.removeprefix("DOSECHECK_").lower()
    assert "dosecheck: invalid settings" in result.stderr
    assert field in result.stderr
    assert "not JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_settings_written_as_json_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOSECHECK_HTTP_CORS_ORIGINS", '["https://sandbox.cds-hooks.org"]')
    monkeypatch.setenv("DOSECHECK_JWT_ALGORITHMS", '["RS384"]')
    settings = Settings()
    assert settings.http_cors_origins == ("https://sandbox.cds-hooks.org",)
    assert settings.jwt_algorithms == ("RS384",)


def _ipv6_loopback() -> bool:
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")
def test_metrics_serve_on_an_ipv6_address(tmp_path: pathlib.Path) -> None:
    # The metrics port's check bound an IPv4 socket to the IPv6 address and refused to start.
    port, metrics_port = free_port(), free_port()
    with open(tmp_path / "serve.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "::1", "--port", str(port),
             "--metrics-port", str(metrics_port), "--log-format", "json"],
            env=ENV, stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        def scraped() -> bool:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                text = httpx.get(f"http://[::1]:{metrics_port}/metrics", timeout=2).text
            except httpx.HTTPError:
                return False
            return "dosecheck_knowledge_base_info{" in text

        assert wait_until(scraped, 60)
        assert _serving(f"[::1]:{port}")
    finally:
        process.terminate()
        assert process.wait(30) == 0


def test_json_log_lines_carry_no_terminal_colour_codes(serve: StartServe, tmp_path: pathlib.Path) -> None:
    # Uvicorn's records carry `color_message`, the message again with ANSI escapes.
    process, _ = serve("--http-port", str(free_port()), "--http-db", str(tmp_path / "hooks.sqlite3"))
    process.terminate()
    assert process.wait(30) == 0
    lines = [json.loads(line) for line in stderr_of(process, tmp_path).splitlines()]
    uvicorn = [line for line in lines if line["logger"].startswith("uvicorn")]
    assert uvicorn, lines
    assert all("color_message" not in line and "\x1b" not in json.dumps(line, ensure_ascii=False) for line in lines)


def test_a_misspelt_setting_is_named_in_a_warning_with_the_one_meant(serve: StartServe, tmp_path: pathlib.Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Ignored silently, it left the default in force: a 1 s drain where the manifest meant 5 s.
    monkeypatch.setitem(ENV, "DOSECHECK_DRAIN_DELAY", "5")
    monkeypatch.setitem(ENV, "DOSECHECK_CLIENT_TLS_CA", "/etc/ca.pem")  # our clients' option: no setting, no warning
    process, _ = serve()
    process.terminate()
    assert process.wait(30) == 0
    warnings = [line["message"] for line in map(json.loads, stderr_of(process, tmp_path).splitlines())
                if line["level"] == "warning"]
    ignored = [w for w in warnings if w.startswith("ignored: variables that name no setting: ")]
    assert len(ignored) == 1, warnings
    assert "DOSECHECK_DRAIN_DELAY (did you mean DOSECHECK_DRAIN_DELAY_S?)" in ignored[0]
    assert "CLIENT" not in ignored[0]


def test_kb_reload_signals_no_process_through_a_pid_file_left_by_a_killed_server(
        serve: StartServe, tmp_path: pathlib.Path) -> None:
    # It sent SIGHUP to whatever process had reused the pid, and SIGHUP ends most processes.
    pid_path = tmp_path / "dosecheck.pid"
    server, _ = serve("--pid-file", str(pid_path))
    server.kill()
    server.wait(30)
    assert pid_path.exists()
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        pid_path.write_text(f"{bystander.pid}\n", encoding="ascii")  # the pid, reused
        result = CliRunner().invoke(app, ["kb", "reload", "--pid-file", str(pid_path)])
        assert result.exit_code == ExitCode.UNUSABLE, result.output
        assert f"no server holds {pid_path} (pid {bystander.pid})" in result.output
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait(10)


def test_a_second_server_with_the_same_pid_file_refuses_with_exit_2(serve: StartServe, tmp_path: pathlib.Path) -> None:
    pid_path = tmp_path / "dosecheck.pid"
    first, _ = serve("--pid-file", str(pid_path))

    second = serve_once("--port", str(free_port()), "--pid-file", str(pid_path))

    assert second.returncode == ExitCode.UNUSABLE, second.stderr
    assert f"{pid_path} is held by a running server (pid {first.pid})" in second.stderr
    assert int(pid_path.read_text(encoding="ascii")) == first.pid
    result = CliRunner().invoke(app, ["kb", "reload", "--pid-file", str(pid_path)])
    assert result.exit_code == 0, result.output
    first.terminate()
    assert first.wait(30) == 0
    assert not pid_path.exists()


def test_each_workers_log_lines_name_its_pid(serve: StartServe, tmp_path: pathlib.Path) -> None:
    # Two workers refusing a reload wrote two identical lines: one worker twice, or both?
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "site.toml").write_text('site = "Example"\nextends = "built-in"\n', encoding="utf-8")
    process, _ = serve("--workers", "2", "--kb", str(kb))
    (kb / "site.toml").write_text("not = = toml\n", encoding="utf-8")

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stderr_of(process, tmp_path).splitlines()]

    def refusals() -> list[dict[str, Any]]:
        return [line for line in lines() if line["message"].startswith("knowledge-base reload refused")]

    process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: len(refusals()) == 2, 30)
    workers = {line["pid"] for line in lines() if line["message"].startswith("serving dosecheck.v1")}
    assert workers == {line["pid"] for line in refusals()}
    assert len(workers) == 2
    assert process.pid not in workers
    assert all(line["pid"] == process.pid for line in lines() if line["message"].startswith("supervising"))
    process.terminate()
    assert process.wait(30) == 0


def test_a_worker_that_ends_cleanly_by_itself_still_stops_the_server_with_exit_70(
        serve: StartServe, tmp_path: pathlib.Path) -> None:
    # A worker sent SIGTERM on its own drains and exits 0; the server stopped the other and exited 0,
    # which a supervisor (systemd's Restart=on-failure) takes for a stop that was asked for.
    process, _ = serve("--workers", "2", "--drain-delay", "0")
    first, second = descendants(process.pid)

    os.kill(first, signal.SIGTERM)

    assert process.wait(30) == ExitCode.FAILED
    assert wait_until(lambda: not running(second), 10)
    assert f"(pid {first}) exited with 0; stopping the others" in stderr_of(process, tmp_path)


def test_a_restarted_container_removes_the_metrics_directory_of_its_killed_predecessor(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In a container the server is always process 1: the directory a killed one left was named by a
    # live pid (this one's), so it was kept at every restart, in a /tmp that a restarted pod keeps.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left = tmp_path / f"{DIRECTORY_PREFIX}{os.getpid()}-killed"
    left.mkdir()
    (left / "counter_7.db").write_bytes(b"\0" * 65536)
    in_use = tmp_path / f"{DIRECTORY_PREFIX}{os.getpid()}-in-use"
    in_use.mkdir()
    monkeypatch.setenv(MULTIPROC_ENV, str(in_use))
    alive = tmp_path / f"{DIRECTORY_PREFIX}1-alive"  # process 1 lives: its server's directory stays
    alive.mkdir()

    _remove_orphans()

    assert not left.exists()
    assert in_use.exists()
    assert alive.exists()


@pytest.mark.parametrize("command", [["kb", "reload"], ["kb", "validate"], ["kb", "show", "venetoclax"],
                                     ["kb", "diff", "built-in", "built-in"]], ids=" ".join)
def test_a_command_with_an_unusable_setting_says_which_with_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                                  command: list[str]) -> None:
    # They read the settings (the pid file's, the cache directory's) through Settings() and ended in a
    # traceback, exit 1.
    monkeypatch.setenv("DOSECHECK_PORT", "tcp://10.0.0.11:50051")  # a Kubernetes service link
    result = CliRunner().invoke(app, command)
    assert result.exit_code == ExitCode.UNUSABLE, result.output
    assert "dosecheck: invalid settings" in result.output
    assert "port" in result.output


def test_a_successful_health_probe_is_logged_at_debug_only_a_check_at_info(serve: StartServe,
                                                                           tmp_path: pathlib.Path) -> None:
    # Load balancers and kubelets probe every few seconds: one INFO line each was most of the log.
    process, target = serve()
    for _ in range(3):
        assert _serving(target)
    with grpc.insecure_channel(target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        stub.CheckRegimen(pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax")]), timeout=10)
    process.terminate()
    assert process.wait(30) == 0

    calls = [line for line in (json.loads(text) for text in stderr_of(process, tmp_path).splitlines())
             if "rpc" in line]
    assert [(line["rpc"], line["code"]) for line in calls] == [("CheckRegimen", "OK")]
