"""AuditRegimens (server side): every row answered in order, bad rows in-band, cancel, deadline, drain."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from google.rpc import code_pb2

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import KnowledgeBase
from service import convert
from service.servicer import DRAINING_MESSAGE, RegimenChecker, engine_answer
from tests.service.conftest import RunningServer, running_server
from tests.service.helpers import clinical_request, violated_fields

END = object()


def rows_from(source: queue.Queue[Any]) -> Iterator[pb.CheckRegimenRequest]:
    """Requests as a test puts them in the queue, until END: lets a test send rows one at a time."""
    while (row := source.get()) is not END:
        yield row


def test_every_row_is_answered_in_order_and_bad_rows_do_not_break_the_stream(stub: Any) -> None:
    rows = []
    for i in range(60):
        row = clinical_request(f"row-{i}")
        if i % 7 == 3:
            row.regimen[0].dose_mg = float("nan")
        if i % 11 == 5:
            row.ClearField("regimen")
        rows.append(row)

    responses = list(stub.AuditRegimens(iter(rows), timeout=30))

    assert [r.request_id for r in responses] == [r.request_id for r in rows]
    for i, response in enumerate(responses):
        if i % 11 == 5:
            assert response.error.code == code_pb2.INVALID_ARGUMENT
            assert "regimen" in violated_fields(response.error)
            assert not response.decisions
        elif i % 7 == 3:
            assert response.error.code == code_pb2.INVALID_ARGUMENT
            assert violated_fields(response.error) == ["regimen[0].dose_mg"]
        else:
            assert not response.HasField("error")
            assert next(d for d in response.decisions if d.drug == "venetoclax").recommended_dose_mg == 70


def test_an_empty_stream_ends_ok_with_no_answers(stub: Any) -> None:
    assert list(stub.AuditRegimens(iter([]), timeout=10)) == []


def test_an_unexpected_error_on_one_row_is_internal_for_that_row_only(kb: KnowledgeBase) -> None:
    real = engine_answer(kb)

    def answer(request: pb.CheckRegimenRequest) -> pb.CheckRegimenResponse:
        if request.request_id == "row-2":
            raise RuntimeError("bug")
        return real(request)

    with running_server(RegimenChecker(answer, pb.KnowledgeBaseInfo())) as server, \
            grpc.insecure_channel(server.target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        responses = list(stub.AuditRegimens(iter([clinical_request(f"row-{i}") for i in range(4)]), timeout=10))

    assert [r.error.code for r in responses] == [code_pb2.OK, code_pb2.OK, code_pb2.INTERNAL, code_pb2.OK]
    assert "bug" not in responses[2].error.message


def test_cancelling_mid_stream_ends_the_call_on_the_server(stub: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.observe")
    source: queue.Queue[Any] = queue.Queue()
    call = stub.AuditRegimens(rows_from(source), timeout=30)
    for i in range(3):
        source.put(clinical_request(f"c-{i}"))
        assert next(call).request_id == f"c-{i}"

    call.cancel()

    with pytest.raises(grpc.RpcError) as raised:
        next(call)
    assert raised.value.code() == grpc.StatusCode.CANCELLED
    # gRPC's Python server reads a cancel between rows as the end of the rows: it was logged OK, 40 times of 40.
    _wait_for(lambda: _logged_cancelled_after(caplog, received=3))
    assert not _logged(caplog, "AuditRegimens", "OK")
    # Only now: the end of the rows, had it been sent, would end the call as well.
    source.put(END)
    assert stub.CheckRegimen(clinical_request(), timeout=10).decisions  # the server is unharmed


def test_cancelling_while_a_row_is_answered_is_logged_cancelled(kb: KnowledgeBase,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.observe")
    release = threading.Event()
    with _slow_row_in_a_stream(kb, release) as (_server, call, _source):
        time.sleep(0.1)  # the server takes the slow row
        call.cancel()
        threading.Timer(0.2, release.set).start()
        # grpc leaves the handler at its answer's `yield`: it was logged OK every time.
        _wait_for(lambda: _logged(caplog, "AuditRegimens", "CANCELLED"))
    assert not _logged(caplog, "AuditRegimens", "OK")


def test_a_deadline_ends_a_stalled_stream(stub: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.observe")
    source: queue.Queue[Any] = queue.Queue()
    call = stub.AuditRegimens(rows_from(source), timeout=0.5)
    source.put(clinical_request("d-0"))
    assert next(call).request_id == "d-0"

    with pytest.raises(grpc.RpcError) as raised:
        next(call)  # no further row arrives before the deadline
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    _wait_for(lambda: _logged(caplog, "AuditRegimens", "DEADLINE_EXCEEDED"))
    source.put(END)  # only now, as in the cancel test


def test_shutdown_answers_accepted_rows_then_ends_the_stream_with_unavailable(kb: KnowledgeBase) -> None:
    with running_server(RegimenChecker.for_knowledge_base(kb)) as server, \
            grpc.insecure_channel(server.target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        source: queue.Queue[Any] = queue.Queue()
        call = stub.AuditRegimens(rows_from(source), timeout=30)
        for i in range(5):
            source.put(clinical_request(f"s-{i}"))
        answered = [next(call).request_id for _ in range(5)]

        started = time.monotonic()
        stopping = asyncio.run_coroutine_threadsafe(server.server.stop(grace_s=20), server.loop)
        with pytest.raises(grpc.RpcError) as raised:
            answered.extend(r.request_id for r in call)
        stopping.result(30)
        source.put(END)

    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert answered == [f"s-{i}" for i in range(5)]
    assert time.monotonic() - started < 10, "a drained stream must not hold the shutdown for the whole grace"


def test_a_drain_begun_twice_still_ends_a_waiting_stream_with_unavailable(kb: KnowledgeBase) -> None:
    servicer = RegimenChecker.for_knowledge_base(kb)
    with running_server(servicer) as server, grpc.insecure_channel(server.target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        source: queue.Queue[Any] = queue.Queue()
        call = stub.AuditRegimens(rows_from(source), timeout=30)
        source.put(clinical_request("t-0"))
        assert next(call).request_id == "t-0"

        def drain_twice() -> None:
            servicer.begin_drain()
            servicer.begin_drain()

        server.loop.call_soon_threadsafe(drain_twice)
        with pytest.raises(grpc.RpcError) as raised:
            next(call)
        source.put(END)

    assert (raised.value.code(), raised.value.details()) == (grpc.StatusCode.UNAVAILABLE, DRAINING_MESSAGE)


def test_rows_in_flight_at_shutdown_are_answered_before_unavailable(kb: KnowledgeBase) -> None:
    release = threading.Event()
    with _slow_row_in_a_stream(kb, release) as (server, call, source):
        time.sleep(0.3)  # let the server take the slow row
        # The drain must be requested from another thread: the server's loop is blocked in the slow row.
        stopping = asyncio.run_coroutine_threadsafe(server.server.stop(grace_s=20), server.loop)
        threading.Timer(0.3, release.set).start()
        source.put(clinical_request("after-shutdown"))
        answered = []
        with pytest.raises(grpc.RpcError) as raised:
            answered.extend(r.request_id for r in call)
        stopping.result(30)

    assert answered == ["slow"]
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


@contextmanager
def _slow_row_in_a_stream(kb: KnowledgeBase, release: threading.Event) -> Iterator[tuple[RunningServer, Any,
                                                                                          queue.Queue[Any]]]:
    """A stream whose row "first" is answered and whose row "slow" is held in the server until `release` is set."""
    real = engine_answer(kb)

    def slow_answer(request: pb.CheckRegimenRequest) -> convert.EncodedResponse:
        if request.request_id == "slow":
            release.wait(10)
        return real(request)

    with running_server(RegimenChecker(slow_answer, pb.KnowledgeBaseInfo())) as server, \
            grpc.insecure_channel(server.target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        source: queue.Queue[Any] = queue.Queue()
        call = stub.AuditRegimens(rows_from(source), timeout=30)
        source.put(clinical_request("first"))
        assert next(call).request_id == "first"
        source.put(clinical_request("slow"))
        try:
            yield server, call, source
        finally:
            release.set()
            source.put(END)


def _logged(caplog: pytest.LogCaptureFixture, rpc: str, code: str) -> bool:
    return any(getattr(r, "rpc", None) == rpc and getattr(r, "code", None) == code for r in caplog.records)


def _logged_cancelled_after(caplog: pytest.LogCaptureFixture, received: int) -> bool:
    return any(
        getattr(r, "rpc", None) == "AuditRegimens"
        and getattr(r, "code", None) == "CANCELLED"
        and f"received={received} answered={received} " in r.getMessage()
        for r in caplog.records
    )


def _wait_for(condition: Any, timeout_s: float = 20) -> None:
    # 5 s was once too short in CI's compiled run on the shared cores: the wait ends as soon as the condition holds.
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
