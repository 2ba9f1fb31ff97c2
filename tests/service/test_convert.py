"""The proto <-> domain conversion: enums by number and name, nothing lost or clamped."""

from __future__ import annotations

import enum
import math

import pytest
from google.protobuf.descriptor import EnumDescriptor

import interactions
from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import KnowledgeBase
from service import convert

ENUMS = [
    (interactions.Severity, pb.Severity.DESCRIPTOR, "SEVERITY_"),
    (interactions.Action, pb.Action.DESCRIPTOR, "ACTION_"),
    (interactions.Mechanism, pb.Mechanism.DESCRIPTOR, "MECHANISM_"),
    (interactions.MonitoringTest, pb.MonitoringTest.DESCRIPTOR, "MONITORING_TEST_"),
]


@pytest.mark.parametrize(("domain", "proto", "prefix"), ENUMS, ids=[e[0].__name__ for e in ENUMS])
def test_every_domain_enum_member_has_the_proto_value_of_the_same_name(
        domain: type[enum.IntEnum], proto: EnumDescriptor, prefix: str) -> None:
    for member in domain:
        assert proto.values_by_name[prefix + member.name].number == member.value
    assert len(proto.values) == len(domain), "the contract and the domain list the same values"


def test_request_values_pass_through_unchanged() -> None:
    message = pb.CheckRegimenRequest(
        request_id="x",
        regimen=[pb.Medication(name=" " + "v" * 300, dose_mg=math.nan, frequency="BID", held=True)],
        concomitant=[pb.Medication(name="", dose_mg=-math.inf)],
        patient=pb.PatientContext(qtc_ms=1e9, baseline_qtc_ms=-1, cycle_start_date="soon", cycle_length_days=-7),
    )

    request = convert.request_from_proto(message)

    assert request.request_id == "x"
    (medication,) = request.regimen
    assert medication.name == " " + "v" * 300
    assert math.isnan(medication.dose_mg)
    assert (medication.frequency, medication.held) == ("BID", True)
    assert request.concomitant[0].dose_mg == -math.inf
    assert request.patient == interactions.PatientContext(1e9, -1, "soon", -7)


def test_an_absent_patient_is_an_unknown_one() -> None:
    request = convert.request_from_proto(pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax")]))
    assert request.patient == interactions.PatientContext()


def test_knowledge_base_info_carries_every_table(kb: KnowledgeBase) -> None:
    info = convert.knowledge_base_info(kb)

    assert (info.version, info.content_hash, info.title) == (kb.version, kb.content_hash, kb.title)
    assert [s.id for s in info.sources] == [s.id for s in kb.sources]
    assert [(d.name, d.kind, list(d.synonyms)) for d in info.drugs] == [
        (d.name, d.kind, list(d.synonyms)) for d in kb.drugs]
    assert [list(c.components) for c in info.combinations] == [list(c.components) for c in kb.combinations]
    for proto_class, domain_class in zip(info.classes, kb.classes, strict=True):
        assert proto_class.mechanism == domain_class.mechanism
        assert list(proto_class.members) == list(domain_class.members)
        assert dict(proto_class.member_notes) == dict(domain_class.member_notes)
        assert len(proto_class.citations) == len(domain_class.citations)
