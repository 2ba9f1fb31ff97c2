"""Real `dosecheck` processes for tests: `serve` on a free port, and what is left of a process tree."""

from __future__ import annotations

import os
import pathlib
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "protos")])}

StartServe = Callable[..., tuple[subprocess.Popen[str], str]]


_PORTS = random.Random()  # its own, seeded by the OS: Hypothesis seeds the global one alike in every process
_FIRST_PORT = 10000


def _ephemeral_low() -> int:
    """The first port of the kernel's range for client sockets (Linux's default: 32768)."""
    try:
        return int(pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port that binds now, for a server process to bind a moment later.

    Drawn at random below the kernel's range for client sockets: a port of that range (bind to 0) could be
    taken by another test process's client connection before the server bound it, and the server refused it
    (exit 2: CI saw it once with two test processes). Below it only another draw can, at random odds.
    """
    high = max(_ephemeral_low(), _FIRST_PORT + 1000)
    while True:
        port = _PORTS.randrange(_FIRST_PORT, high)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or lingering after a test: another draw
            return port


@contextmanager
def serve_processes(log_dir: pathlib.Path) -> Iterator[StartServe]:
    """Starts `dosecheck serve` processes on free ports; kills those still running at the end.

    Their stderr goes to a file in `log_dir` (a pipe nobody reads would fill and stall the server);
    `stderr_of` reads it.
    """
    processes: list[subprocess.Popen[str]] = []

    def start(*flags: str, credentials: grpc.ChannelCredentials | None = None) -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        log_path = log_dir / f"serve-port-{port}.log"
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--port", str(port), "--log-format", "json", *flags],
                env=ENV, stdout=subprocess.DEVNULL, stderr=log, text=True,
            )
        log_path.rename(log_dir / f"serve-{process.pid}.log")
        processes.append(process)
        target = f"127.0.0.1:{port}"
        wait_until_serving(target, process, credentials=credentials)
        return process, target

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(30)


def stderr_of(process: subprocess.Popen[str], log_dir: pathlib.Path) -> str:
    return (log_dir / f"serve-{process.pid}.log").read_text(encoding="utf-8")


def wait_until_serving(target: str, process: subprocess.Popen[str], timeout_s: float = 60, *,
                       credentials: grpc.ChannelCredentials | None = None) -> None:
    """Waits for SERVING; `credentials` for a TLS port (a plaintext channel otherwise)."""
    deadline = time.monotonic() + timeout_s
    with (grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited with {process.returncode}"
            try:
                status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    pytest.fail("the server did not report SERVING in time")


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children...), read from /proc."""
    found = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            children = [int(p) for p in pathlib.Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        except FileNotFoundError:
            continue
        found.extend(children)
        pending.extend(children)
    return found


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an orphan's zombie may wait long for its reaper)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def serve_once(*flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `dosecheck serve` expecting it to end by itself, refusing or stopping (a timeout fails the test)."""
    return subprocess.run([sys.executable, "-m", "service", "serve", *flags], env={**ENV, **(env or {})},
                          capture_output=True, text=True, timeout=60, check=False)
