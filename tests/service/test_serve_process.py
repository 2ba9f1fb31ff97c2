"""`dosecheck serve` as a real process: SIGTERM with calls in flight, and several workers on one port."""

from __future__ import annotations

import json
import os
import pathlib
import queue
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from dosecheck.v1 import dosecheck_pb2_grpc
from tests.service.helpers import clinical_request

ROOT = pathlib.Path(__file__).resolve().parents[2]
END = object()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def serve(tmp_path: pathlib.Path) -> Iterator[Any]:
    """Starts `dosecheck serve` on a free port; kills it at the end if a test left it running."""
    processes: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> tuple[subprocess.Popen[str], str]:
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "protos")])}
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--log-format", "json", *flags],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        processes.append(process)
        target = f"127.0.0.1:{port}"
        _wait_until_serving(target, process)
        return process, target

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _wait_until_serving(target: str, process: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(target) as channel:
        stub: Any = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    pytest.fail("the server did not report SERVING in time")


def _rows(source: queue.Queue[Any]) -> Iterator[Any]:
    while (row := source.get()) is not END:
        yield row


def test_sigterm_finishes_calls_in_flight_then_exits_0(serve: Any) -> None:
    process, target = serve("--grace", "20")
    with grpc.insecure_channel(target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        health: Any = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service="dosecheck.v1.RegimenChecker"), timeout=30)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        source: queue.Queue[Any] = queue.Queue()
        stream = stub.AuditRegimens(_rows(source), timeout=30)
        for i in range(3):
            source.put(clinical_request(f"row-{i}"))
        answered = [next(stream).request_id for _ in range(3)]
        unary = [stub.CheckRegimen.future(clinical_request(f"u-{i}"), timeout=30) for i in range(40)]

        process.send_signal(signal.SIGTERM)

        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        with pytest.raises(grpc.RpcError) as ended:
            answered.extend(r.request_id for r in stream)
        source.put(END)
        outcomes = []
        for future in unary:
            try:
                outcomes.append((grpc.StatusCode.OK, future.result().request_id))
            except grpc.RpcError as error:
                outcomes.append((error.code(), error.details() or ""))

    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert answered == ["row-0", "row-1", "row-2"]
    assert {code for code, _ in outcomes} == {grpc.StatusCode.OK}, outcomes
    log = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {"rpc": "AuditRegimens", "code": "UNAVAILABLE"}.items() <= next(
        entry for entry in log if entry.get("rpc") == "AuditRegimens").items()
    assert "venetoclax" not in stderr  # the log never holds drug names
    assert "stopped" in {entry["message"] for entry in log}


def test_two_workers_share_the_port_and_stop_together(serve: Any) -> None:
    process, target = serve("--workers", "2")
    children = _children(process.pid)
    assert len(children) == 2

    for _ in range(6):  # separate connections, which the kernel spreads over the workers
        with grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
            assert stub.CheckRegimen(clinical_request(), timeout=10).doses

    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 0
    assert not any(_alive(pid) for pid in children)


def _children(pid: int) -> list[int]:
    return [int(p) for p in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
