"""The proto <-> domain conversion: enums by number and name, nothing lost or clamped."""

from __future__ import annotations

import contextlib
import enum
import math
import pathlib

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import EnumDescriptor

import interactions
from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import KnowledgeBase
from service import convert
from tests.oracles import domain_request

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "regimens.jsonl"

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


def test_the_engine_reads_the_request_message_as_it_arrived(kb: KnowledgeBase) -> None:
    message = pb.CheckRegimenRequest(
        request_id="x",
        regimen=[pb.Medication(name="venetoclax", dose_mg=400), pb.Medication(name="azacitidine", dose_mg=75)],
        concomitant=[pb.Medication(name="Noxafil 300 mg delayed-release tablet"), pb.Medication(name="acyclovir")],
        patient=pb.PatientContext(qtc_ms=450, cycle_start_date="2026-01-05"),
    )

    assert interactions.check(kb, message) == interactions.check(kb, domain_request(message))


def test_values_reach_the_domain_unchanged_so_it_names_the_bad_field(kb: KnowledgeBase) -> None:
    message = pb.CheckRegimenRequest(
        regimen=[pb.Medication(name=" " + "v" * 300, dose_mg=math.nan)],
        concomitant=[pb.Medication(name="", dose_mg=-math.inf)],
        patient=pb.PatientContext(qtc_ms=1e9, cycle_start_date="soon", cycle_length_days=-7),
    )

    with pytest.raises(interactions.InvalidRequestError) as raised:
        interactions.check(kb, message)

    assert [v.field for v in raised.value.violations] == [
        "regimen[0].name", "regimen[0].dose_mg", "concomitant[0].name", "concomitant[0].dose_mg",
        "patient.qtc_ms", "patient.cycle_length_days", "patient.cycle_start_date"]


def test_an_absent_patient_is_an_unknown_one(kb: KnowledgeBase) -> None:
    result = interactions.check(kb, pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax")]))
    assert all(event.date == "" for event in result.monitoring)
    assert not [f for f in result.findings if f.mechanisms == (interactions.Mechanism.QTC_THRESHOLD,)]


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
    flag_ida = next(r for r in info.regimens if r.name == "FLAG-IDA")
    assert set(flag_ida.components) == {"fludarabine", "cytarabine", "filgrastim", "idarubicin"}
    assert flag_ida.citations
    levofloxacin = next(d for d in info.drugs if d.name == "levofloxacin")
    assert (levofloxacin.qt_risk, bool(levofloxacin.reviewed)) == ("known", True)


def _reference_response(result: interactions.CheckResult) -> pb.CheckRegimenResponse:
    """The response built field by field, the obvious way, to check the cached encodings against."""

    def citations(items: tuple[interactions.Citation, ...]) -> list[pb.Citation]:
        return [pb.Citation(source=c.source, detail=c.detail) for c in items]

    return pb.CheckRegimenResponse(
        request_id=result.request_id,
        findings=[pb.Finding(object_drug=f.object_drug, precipitant_drug=f.precipitant_drug,
                             mechanisms=list(f.mechanisms), severity=f.severity, action=f.action,
                             recommendation=f.recommendation, citations=citations(f.citations),
                             alternatives=f.alternatives, involved=f.involved)
                  for f in result.findings],
        doses=[pb.DoseRecommendation(drug=d.drug, ordered_dose_mg=d.ordered_dose_mg,
                                     recommended_dose_mg=d.recommended_dose_mg, action=d.action,
                                     rationale=d.rationale,
                                     ramp_up=[pb.RampStep(day=s.day, dose_mg=s.dose_mg) for s in d.ramp_up],
                                     citations=citations(d.citations), avoid_with=d.avoid_with)
               for d in result.doses],
        monitoring=[pb.MonitoringEvent(drug=e.drug, test=e.test, label=e.label, cycle=e.cycle, day=e.day,
                                       date=e.date, reason=e.reason, citations=citations(e.citations))
                    for e in result.monitoring],
        unrecognized=[pb.UnrecognizedMedication(name=u.name, suggestions=u.suggestions, reason=u.reason,
                                                ingredients=u.ingredients, detail=u.detail)
                      for u in result.unrecognized],
        highest_severity=result.highest_severity,
        complete=result.complete,
        knowledge_base_version=result.knowledge_base_version,
    )


def _sample_results(kb: KnowledgeBase) -> list[interactions.CheckResult]:
    """Results for the audit sample's few hundred realistic regimens (the valid ones)."""
    results = []
    for line in EXAMPLES.read_text().splitlines():
        request = json_format.Parse(line, pb.CheckRegimenRequest())
        with contextlib.suppress(interactions.InvalidRequestError):
            results.append(interactions.check(kb, request))
    return results


def test_responses_from_cached_encodings_equal_responses_built_field_by_field(kb: KnowledgeBase) -> None:
    results = _sample_results(kb)
    assert len(results) > 100
    assert sum(len(r.findings) for r in results) > 100
    assert sum(len(r.monitoring) for r in results) > 100

    for _ in range(2):  # the second pass answers from the caches
        for result in results:
            assert convert.response_from_result(result) == _reference_response(result)


def test_knowledge_base_info_says_which_class_facts_need_verifying(kb: KnowledgeBase) -> None:
    info = convert.knowledge_base_info(kb)
    marked = [c.detail for cls in info.classes for c in cls.citations if "verify" in c.detail]
    in_files = [c for cls in kb.classes for c in cls.citations if c.verify]
    assert len(marked) == len(in_files) > 0
