"""Health, reflection, the INTERNAL mapping and the per-call log line, through real servers."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import KnowledgeBase
from service.errors import INTERNAL_MESSAGE
from service.logs import JsonFormatter
from service.server import SERVICE_NAME, Hangups
from service.servicer import RegimenChecker
from tests.service.conftest import RunningServer, running_server
from tests.service.helpers import clinical_request

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _health(channel: grpc.Channel, service: str) -> int:
    stub: Any = health_pb2_grpc.HealthStub(channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status)


def test_health_is_not_serving_until_ready_then_serving_then_not_serving_on_shutdown(kb: KnowledgeBase) -> None:
    with running_server(RegimenChecker.for_knowledge_base(kb), ready=False) as server, \
            grpc.insecure_channel(server.target) as channel:
        assert SERVICE_NAME == "dosecheck.v1.RegimenChecker"
        assert _health(channel, "") == NOT_SERVING
        assert _health(channel, SERVICE_NAME) == NOT_SERVING

        server.run(server.server.mark_ready())
        assert _health(channel, "") == SERVING
        assert _health(channel, SERVICE_NAME) == SERVING

        stub: Any = health_pb2_grpc.HealthStub(channel)
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=10)
        assert next(watch).status == SERVING
        stopping = asyncio.run_coroutine_threadsafe(server.server.stop(grace_s=1), server.loop)
        assert next(watch).status == NOT_SERVING
        stopping.result(10)


def test_reflection_lists_the_service_and_its_methods(server: RunningServer, channel: grpc.Channel) -> None:
    database = ProtoReflectionDescriptorDatabase(channel)

    assert SERVICE_NAME in database.get_services()
    assert "grpc.health.v1.Health" in database.get_services()
    service = DescriptorPool(database).FindServiceByName(SERVICE_NAME)
    assert [m.name for m in service.methods] == ["CheckRegimen", "AuditRegimens", "GetKnowledgeBase",
                                                    "ResolveMedications"]


def test_an_unexpected_error_is_internal_logged_with_traceback_and_not_leaked(
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: pb.CheckRegimenRequest) -> pb.CheckRegimenResponse:
        raise RuntimeError("patient MRN 12345 leaked")

    with running_server(RegimenChecker(broken, pb.KnowledgeBaseInfo())) as server, \
            grpc.insecure_channel(server.target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.CheckRegimen(clinical_request(), timeout=10)

    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert raised.value.details() == INTERNAL_MESSAGE
    assert "MRN" not in str(raised.value.trailing_metadata())
    traced = [r for r in caplog.records if r.exc_info and r.levelno == logging.ERROR]
    assert traced
    assert "patient MRN 12345 leaked" in str(traced[0].exc_info[1])


def test_one_log_line_per_call_with_counts_and_no_drug_names(
        stub: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.observe")
    caplog.clear()

    stub.CheckRegimen(clinical_request(), timeout=10)
    with pytest.raises(grpc.RpcError):
        stub.CheckRegimen(pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax", dose_mg=-1)]), timeout=10)

    def lines_logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "service.observe"]

    deadline = time.monotonic() + 5
    while len(lines_logged()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the server logs once the status is sent, so maybe after the client saw it
    lines = lines_logged()
    assert [(r.rpc, r.code) for r in lines] == [("CheckRegimen", "OK"), ("CheckRegimen", "INVALID_ARGUMENT")]
    ok = lines[0]
    assert (ok.regimen, ok.concomitant, ok.unrecognized) == (2, 1, 0)
    assert ok.findings >= 1
    assert ok.duration_ms >= 0
    for record in lines:
        rendered = JsonFormatter().format(record)
        entry = json.loads(rendered)
        assert entry["rpc"] == "CheckRegimen"
        assert "venetoclax" not in rendered
        assert "posaconazole" not in rendered



@pytest.mark.parametrize("early", [True, False], ids=["sighup-while-starting", "no-early-sighup"])
def test_a_sighup_that_came_while_a_worker_started_is_replayed_to_its_subscribers(early: bool) -> None:
    # Sent just after a server starts, a SIGHUP may reach a worker still starting: it must neither end
    # the worker nor be lost (the worker would serve its old certificate until the next one).
    previous = signal.getsignal(signal.SIGHUP)
    loop = asyncio.new_event_loop()
    try:
        hangups = Hangups.catch()
        if early:
            os.kill(os.getpid(), signal.SIGHUP)
        hangups.install(loop)
        calls: list[str] = []
        hangups.subscribe(lambda: calls.append("reload"))
        assert calls == (["reload"] if early else [])
        os.kill(os.getpid(), signal.SIGHUP)
        loop.run_until_complete(asyncio.sleep(0.1))
        assert calls == (["reload", "reload"] if early else ["reload"])
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        loop.close()
        signal.signal(signal.SIGHUP, previous)
