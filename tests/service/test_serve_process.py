"""`dosecheck serve` as a real process: SIGTERM with calls in flight or under load, several workers, SIGKILL."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import pathlib
import queue
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from dosecheck.v1 import dosecheck_pb2_grpc
from tests.service.helpers import clinical_request
from tests.service.processes import running, stderr_of, wait_until

END = object()


def _rows(source: queue.Queue[Any]) -> Iterator[Any]:
    while (row := source.get()) is not END:
        yield row


def test_sigterm_finishes_calls_in_flight_then_exits_0(serve: Any, tmp_path: pathlib.Path) -> None:
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

    process.wait(timeout=30)
    stderr = stderr_of(process, tmp_path)
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
            assert stub.CheckRegimen(clinical_request(), timeout=10).decisions

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert process.returncode == 0
    assert not any(running(pid) for pid in children)


def test_sigterm_under_load_answers_unavailable_never_cancelled(serve: Any) -> None:
    # gRPC answers CANCELLED (which no retry policy retries) for calls that reached the server but
    # were not yet taken up when it stops; the server must not stop with any such call waiting.
    process, target = serve("--drain-delay", "0.3", "--grace", "5")
    outcomes: collections.Counter[str] = collections.Counter()

    async def caller(stub: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await stub.CheckRegimen(clinical_request(), timeout=10)
                outcomes["OK"] += 1
            except grpc.aio.AioRpcError as error:
                outcomes[error.code().name] += 1
                await asyncio.sleep(0.1)  # a caller's back-off before it retries

    async def load() -> None:
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.aio.insecure_channel(target, options=options) for _ in range(4)]
        stop = asyncio.Event()
        callers = [
            asyncio.create_task(caller(dosecheck_pb2_grpc.RegimenCheckerStub(channels[i % 4]), stop))
            for i in range(16)
        ]
        await asyncio.sleep(1)
        process.send_signal(signal.SIGTERM)
        while process.poll() is None:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # calls made after the port closed fail to connect: UNAVAILABLE
        stop.set()
        await asyncio.gather(*callers)
        await asyncio.gather(*(channel.close() for channel in channels))

    asyncio.run(load())

    assert process.returncode == 0
    assert outcomes["OK"] > 100
    # Calls answered UNAVAILABLE at once while the port stayed open came back within the callers'
    # back-off, and those arriving as gRPC stopped ended CANCELLED (13 of 1,536 in one CI run).
    assert set(outcomes) == {"OK", "UNAVAILABLE"}, outcomes


def test_a_call_refused_at_shutdown_is_answered_once_the_port_is_closed(serve: Any) -> None:
    # A caller told UNAVAILABLE retries: while the port is open its retry reaches this server again,
    # and one that arrives as gRPC stops is CANCELLED. So a refused call is answered only after.
    process, target = serve("--drain-delay", "0", "--grace", "5")
    host, port = target.rsplit(":", 1)
    with grpc.insecure_channel(target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        stub.CheckRegimen(clinical_request(), timeout=10)
        process.send_signal(signal.SIGTERM)
        refused = None
        deadline = time.monotonic() + 10
        while refused is None and time.monotonic() < deadline:  # answered until the drain begins
            try:
                stub.CheckRegimen(clinical_request(), timeout=10)
            except grpc.RpcError as error:
                refused = error.code()
        assert refused == grpc.StatusCode.UNAVAILABLE
        # Refused, or reset when it reached the listening socket as gRPC closed it (once in a loaded CI run).
        with pytest.raises((ConnectionRefusedError, ConnectionResetError)), \
                socket.create_connection((host, int(port)), timeout=5):
            pass
    process.wait(timeout=30)
    assert process.returncode == 0


def test_workers_die_with_a_killed_supervisor(serve: Any) -> None:
    process, target = serve("--workers", "2", "--drain-delay", "0")
    workers = _children(process.pid)
    assert len(workers) == 2

    process.kill()  # SIGKILL: the supervisor forwards nothing
    process.wait(10)

    assert wait_until(lambda: not any(running(pid) for pid in workers), timeout_s=10), workers
    with grpc.insecure_channel(target) as channel, pytest.raises(grpc.FutureTimeoutError):
        grpc.channel_ready_future(channel).result(timeout=1)  # nothing listens on the port any more


def test_a_worker_that_dies_stops_the_others_and_serve_exits_70(serve: Any, tmp_path: pathlib.Path) -> None:
    process, _ = serve("--workers", "2", "--drain-delay", "0")
    first, second = _children(process.pid)

    os.kill(first, signal.SIGKILL)  # a crash: nothing the supervisor asked for

    assert process.wait(20) == 70  # ExitCode.FAILED, not 1 (which means "some input not checked")
    assert not running(second)
    assert "exited with -9; stopping the others" in stderr_of(process, tmp_path)


def _children(pid: int) -> list[int]:
    return [int(p) for p in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
