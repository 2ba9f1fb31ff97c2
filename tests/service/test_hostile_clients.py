"""What a hostile or broken client sends, through a real server: bad bytes, floods of violations, big messages."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import KnowledgeBase
from interactions.validation import MAX_MEDICATIONS
from service.servicer import RegimenChecker
from service.settings import Settings
from tests.service.conftest import LOOPBACK, RunningServer, running_server
from tests.service.helpers import clinical_request, status_of, violated_fields

CHECK = "/dosecheck.v1.RegimenChecker/CheckRegimen"
AUDIT = "/dosecheck.v1.RegimenChecker/AuditRegimens"
NOT_PROTOBUF = b"\xff\xff\xff\xff"  # a field number of 0 with a truncated varint: never a message


def _same(data: bytes) -> bytes:
    return data


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _wait_for_log_line(caplog: pytest.LogCaptureFixture, rpc: str, code: str) -> logging.LogRecord:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the server logs once the status is sent, maybe after the client saw it
        for record in caplog.records:
            if getattr(record, "rpc", None) == rpc and getattr(record, "code", None) == code:
                return record
        time.sleep(0.01)
    pytest.fail(f"no log line for {rpc} {code}")


def test_bytes_that_are_not_protobuf_are_invalid_argument_logged_in_one_line_without_traceback(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    check = channel.unary_unary(CHECK, request_serializer=_same, response_deserializer=_same)

    with pytest.raises(grpc.RpcError) as raised:
        check(NOT_PROTOBUF, timeout=10)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "dosecheck.v1.CheckRegimenRequest" in (raised.value.details() or "")
    assert status_of(raised.value).code == code_pb2.INVALID_ARGUMENT
    line = _wait_for_log_line(caplog, "CheckRegimen", "INVALID_ARGUMENT")
    assert line.levelno == logging.INFO
    assert not _tracebacks(caplog)


def test_a_row_that_is_not_protobuf_is_answered_with_its_error_and_the_stream_goes_on(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    audit = channel.stream_stream(AUDIT, request_serializer=_same,
                                  response_deserializer=pb.CheckRegimenResponse.FromString)
    rows = [clinical_request("before").SerializeToString(), NOT_PROTOBUF, clinical_request("after").SerializeToString()]

    answers = list(audit(iter(rows), timeout=10))

    assert [a.request_id for a in answers] == ["before", "", "after"]
    assert [a.error.code for a in answers] == [code_pb2.OK, code_pb2.INVALID_ARGUMENT, code_pb2.OK]
    assert answers[2].decisions
    line = _wait_for_log_line(caplog, "AuditRegimens", "OK")
    assert (line.received, line.answered, line.errors) == (3, 3, 1)
    assert not _tracebacks(caplog)


@pytest.mark.parametrize("stopped_on", ["", "\U0001f48a" * 40], ids=["ascii", "quoting-emoji"])
def test_two_hundred_bad_medications_are_invalid_argument_within_the_trailers_soft_limit(
    stub: Any, stopped_on: str
) -> None:
    # Uncapped, these 200 violations made 17.9 KB of trailers, over the 16 KiB that gRPC clients
    # accept: they saw RESOURCE_EXHAUSTED instead of what was wrong. Past a soft 8 KiB clients refuse
    # trailers at random, so a status quoting emoji (three bytes percent-encoded per UTF-8 byte)
    # failed only now and then (9.6 KB).
    request = pb.CheckRegimenRequest(
        regimen=[pb.Medication(name=f"drug {i}", dose_mg=-1, stopped_on=stopped_on) for i in range(MAX_MEDICATIONS)]
    )

    for _ in range(20):  # over the soft limit, some of these calls would fail
        with pytest.raises(grpc.RpcError) as raised:
            stub.CheckRegimen(request, timeout=10)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    trailers = raised.value.trailing_metadata() or ()
    assert sum(len(k) + len(v) for k, v in trailers) < 7 * 1024
    status = status_of(raised.value)
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    *listed, count = bad_request.field_violations
    per_medication = 2 if stopped_on else 1
    assert len(listed) >= 10
    assert [v.field for v in listed][::per_medication] == [
        f"regimen[{i}].dose_mg" for i in range(-(-len(listed) // per_medication))]
    assert count.description == f"{MAX_MEDICATIONS * per_medication - len(listed)} more violations not listed"
    assert status.message.startswith("regimen[0].dose_mg: ")
    assert status.message.endswith("more violations in the status details")


def test_a_message_over_the_receive_limit_is_resource_exhausted_and_normal_calls_go_on(kb: KnowledgeBase) -> None:
    small = Settings(**{**LOOPBACK.model_dump(), "max_receive_message_bytes": 64 * 1024})
    with running_server(RegimenChecker.for_knowledge_base(kb), settings=small) as server, \
            grpc.insecure_channel(server.target) as channel:
        stub = dosecheck_pb2_grpc.RegimenCheckerStub(channel)
        huge = clinical_request()
        huge.concomitant.extend(pb.Medication(name="x" * 190, frequency="y" * 190) for _ in range(180))
        assert huge.ByteSize() > 64 * 1024

        with pytest.raises(grpc.RpcError) as raised:
            stub.CheckRegimen(huge, timeout=10)

        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert stub.CheckRegimen(clinical_request(), timeout=10).decisions


def test_the_limits_are_the_servers_grpc_options() -> None:
    options = dict(Settings(max_connection_age_grace_s=30).grpc_options)

    assert options["grpc.max_receive_message_length"] == 8 * 1024 * 1024
    assert options["grpc.max_send_message_length"] == 4 * 1024 * 1024
    assert options["grpc.max_concurrent_streams"] == 100
    assert options["grpc.keepalive_time_ms"] == 60_000
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == 10_000
    assert options["grpc.max_connection_idle_ms"] == 300_000
    assert options["grpc.max_connection_age_grace_ms"] == 30_000
    assert "grpc.max_connection_age_grace_ms" not in dict(Settings().grpc_options)


# The fuzz test: whatever a caller puts in a request, the answer is OK or INVALID_ARGUMENT.
def _names(kb_names: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(kb_names) | st.text(max_size=220) | st.sampled_from(["", " ", "\x00", "venetoclax 400mg"])


doubles = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [math.nan, math.inf, -math.inf, 1e308, -0.0, 0.0, 70.0, 400.0, 100_000.0, 100_000.1])
dates = st.sampled_from(["", "2026-01-05", "9999-12-31", "0001-01-01", "1899-12-31", "2200-12-31", "2026-02-29",
                         "2024-02-29", "26-01-05", "2026-1-5"]) | st.text(max_size=12)
int32s = st.integers(-(2**31), 2**31 - 1)
codings = st.lists(st.builds(pb.Coding, system=st.sampled_from(["http://www.nlm.nih.gov/research/umls/rxnorm", "",
                                                                 "urn:other"]) | st.text(max_size=30),
                             code=st.sampled_from(["1747556", "121191", ""]) | st.text(max_size=12),
                             display=st.text(max_size=30)), max_size=12)


def _medications(kb_names: list[str]) -> st.SearchStrategy[list[pb.Medication]]:
    """Lists of medications: tame ones (known names, plausible doses) that reach the engine, wild ones
    with anything in every field, and the same medication repeated up to the limit and over it."""
    tame = st.builds(pb.Medication, name=st.sampled_from(kb_names), dose_mg=st.floats(0, 1000), held=st.booleans())
    wild = st.builds(
        pb.Medication, name=_names(kb_names), dose_mg=doubles, frequency=st.text(max_size=30), held=st.booleans(),
        coding=codings, hold_reason=int32s | st.integers(0, 6), qtc_at_hold_ms=doubles,
        treatment_day=int32s | st.integers(0, 30), stopped_on=dates,
    )
    return (st.lists(tame, min_size=1, max_size=8) | st.lists(tame | wild, max_size=6)
            | st.builds(lambda m, n: [m] * n, tame | wild, st.integers(0, 205)))


tame_patients = st.builds(pb.PatientContext, cycle_start_date=st.sampled_from(["", "2026-01-05"]),
                          qtc_ms=st.sampled_from([0.0, 450.0, 510.0]))
wild_patients = st.builds(
    pb.PatientContext, qtc_ms=doubles, baseline_qtc_ms=doubles, cycle_start_date=dates, as_of_date=dates,
    cycle_length_days=int32s | st.integers(0, 90), qtc_day=st.sampled_from(["C1D8", "C0D0", ""]) | st.text(max_size=8),
    potassium_mmol_l=doubles, magnesium_mmol_l=doubles, congenital_long_qt=st.booleans(), bilirubin_uln=doubles,
    ast_uln=doubles, alt_uln=doubles, child_pugh=st.sampled_from(["", "A", "B", "C", "D"]),
    creatinine_clearance_ml_min=doubles, wbc_10e9_l=doubles,
)


@pytest.fixture(scope="module")
def kb_names(kb: KnowledgeBase, server: RunningServer) -> list[str]:
    info = dosecheck_pb2_grpc.RegimenCheckerStub(grpc.insecure_channel(server.target)).GetKnowledgeBase(
        pb.GetKnowledgeBaseRequest(), timeout=10)
    return [d.name for d in info.drugs]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzzed_requests_are_answered_ok_or_invalid_argument_never_internal(
    stub: Any, kb_names: list[str], data: st.DataObject
) -> None:
    medications = _medications(kb_names)
    request = pb.CheckRegimenRequest(
        request_id=data.draw(st.text(max_size=20) | st.text(min_size=195, max_size=210)),
        regimen=data.draw(medications), concomitant=data.draw(medications),
        patient=data.draw(tame_patients | wild_patients),
    )
    outcome = _outcome(lambda: stub.CheckRegimen(request, timeout=30))
    event("rejected" if isinstance(outcome, grpc.RpcError) else "answered")
    if isinstance(outcome, grpc.RpcError):
        assert outcome.code() == grpc.StatusCode.INVALID_ARGUMENT, (outcome.code(), outcome.details())
        assert violated_fields(status_of(outcome))
    else:
        assert outcome.knowledge_base_version


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_fuzzed_bytes_are_answered_ok_or_invalid_argument(channel: grpc.Channel, payload: bytes) -> None:
    check = channel.unary_unary(CHECK, request_serializer=_same,
                                response_deserializer=pb.CheckRegimenResponse.FromString)
    outcome = _outcome(lambda: check(payload, timeout=10))
    if isinstance(outcome, grpc.RpcError):
        assert outcome.code() == grpc.StatusCode.INVALID_ARGUMENT, (outcome.code(), outcome.details())
    else:
        assert outcome.knowledge_base_version


def _outcome(call: Any) -> Any:
    try:
        return call()
    except grpc.RpcError as error:
        return error
