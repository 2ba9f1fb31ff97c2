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
from interactions import KnowledgeBase, View
from interactions.answer import Answer, AnswerFinding, Decision, answer
from service import convert
from service.contract import to_json, to_message
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


def test_every_citation_an_answer_can_name_is_listed_once_under_its_own_id(kb: KnowledgeBase) -> None:
    citations = convert.knowledge_base_info(kb).citations
    listed = {c.id: (c.source, c.detail, c.verify) for c in citations}
    assert len(listed) == len(citations) > 200  # no two citations share an id
    named = [cited for result in _sample_results(kb) for cited in answer(result).citations]
    for cited in named:
        assert listed[cited.id] == (cited.source, cited.detail, cited.verify)
    assert any(cited.verify for cited in named)


def _sample_results(kb: KnowledgeBase) -> list[interactions.CheckResult]:
    """Results for the audit sample's few hundred realistic regimens (the valid ones)."""
    results = []
    for line in EXAMPLES.read_text().splitlines():
        request = json_format.Parse(line, pb.CheckRegimenRequest())
        with contextlib.suppress(interactions.InvalidRequestError):
            results.append(interactions.check(kb, request))
    return results


@pytest.mark.parametrize("view", [View.BASIC, View.FULL])
def test_the_codec_writes_what_json_format_writes_and_reads_back_without_loss(kb: KnowledgeBase, view: View) -> None:
    results = _sample_results(kb)
    assert sum(len(r.findings) for r in results) > 100
    for result in results:
        domain = answer(result, view)
        message = to_message(domain, pb.CheckRegimenResponse, view)
        written = to_json(domain, pb.CheckRegimenResponse, view)
        assert written == json_format.MessageToDict(message) == to_json(message, pb.CheckRegimenResponse)
        assert json_format.ParseDict(written, pb.CheckRegimenResponse()) == message
        # What the server sends, from the encodings of the answer's parts, is the same message.
        assert pb.CheckRegimenResponse.FromString(convert.encode_response(result, view).data) == message


def test_the_codec_writes_json_formats_special_values() -> None:
    message = pb.CheckRegimenResponse(request_id="x", highest_severity=pb.SEVERITY_MAJOR, complete=True)
    message.findings.add(object_drug="a", mechanisms=[pb.MECHANISM_PGP_INHIBITOR, 99], severity=pb.SEVERITY_MINOR)
    decision = message.decisions.add(drug="a", ordered_dose_mg=float("nan"), recommended_dose_mg=float("inf"))
    decision.ramp_up.add(day=1)
    message.error.code = 3
    message.error.details.add().Pack(pb.CheckRegimenRequest(request_id="y"))
    for value in (message, pb.CheckRegimenResponse(), pb.CheckRegimenRequest(request_id="z", view=pb.VIEW_BASIC)):
        assert to_json(value, type(value)) == json_format.MessageToDict(value)


def test_every_field_of_the_answer_messages_is_on_its_domain_type() -> None:
    for domain, message in ((Answer, pb.CheckRegimenResponse), (Decision, pb.DoseRecommendation),
                            (AnswerFinding, pb.Finding), (interactions.MonitoringSchedule, pb.MonitoringSchedule),
                            (interactions.MonitoringEvent, pb.MonitoringEvent),
                            (interactions.UnrecognizedMedication, pb.UnrecognizedMedication),
                            (interactions.RampStep, pb.RampStep), (interactions.Citation, pb.Citation)):
        missing = {f.name for f in message.DESCRIPTOR.fields} - set(dir(domain)) - {"error"}
        assert not missing, f"{domain.__name__} lacks {missing}"


def test_the_answer_keeps_every_finding_and_event_of_the_result(kb: KnowledgeBase) -> None:
    for result in _sample_results(kb):
        full = answer(result)
        grouped = {(f.rule, f.object_drug, drug) for f in full.findings for drug in f.precipitant_drugs or ("",)}
        for finding in result.findings:
            for drug in finding.involved or (finding.precipitant_drug,):
                assert (finding.rule, finding.object_drug, drug) in grouped
        assert len({f.id for f in full.findings}) == len(full.findings)
        assert {i for d in full.decisions for i in d.findings} <= {f.id for f in full.findings}
        by_id = {f.id: f for f in full.findings}
        for dose, decision in zip(result.doses, full.decisions, strict=True):
            # A decision's rationale is its own words; the applied finding (its first) says the rest once.
            if decision.findings:
                assert "Finding" not in decision.rationale
                assert dose.rationale.startswith(decision.rationale)
                assert by_id[decision.findings[0]].recommendation in dose.rationale
            else:
                assert decision.rationale == dose.rationale
        # Each event's reasons are those of the schedules that have its day.
        reasons: dict[tuple[object, ...], list[str]] = {}
        for schedule in full.monitoring:
            for event in schedule.events:
                reasons.setdefault((schedule.drug, schedule.test, event.cycle, event.day), []).append(schedule.reason)
        assert {(e.drug, e.test, e.cycle, e.day): e.reason for e in result.monitoring} == {
            day: " ".join(texts) for day, texts in reasons.items()}
        named = {c for group in (full.findings, full.decisions, full.monitoring) for item in group
                 for c in item.citations}
        assert named == set(full.citations)


def test_no_valid_request_answers_near_the_message_limit(kb: KnowledgeBase) -> None:
    # The largest valid request: 200 medications, every one an interacting drug, on every agent.
    agents = sorted(kb.agents)
    others = sorted({drug for agent in kb.agents.values() for drug in agent.precipitants} - set(agents))
    request = interactions.CheckRequest(
        tuple(interactions.Medication(a) for a in agents),
        tuple(interactions.Medication(f"{others[i % len(others)]} {i} mg") for i in range(200 - len(agents))),
        interactions.PatientContext(qtc_ms=520, baseline_qtc_ms=400, cycle_start_date="2026-01-05"))
    response = convert.response_for(interactions.check(kb, request), View.FULL)
    assert len(response.findings) > 50
    assert response.ByteSize() < 1024 * 1024  # a quarter of gRPC's 4 MiB default


def test_knowledge_base_info_says_which_class_facts_need_verifying(kb: KnowledgeBase) -> None:
    info = convert.knowledge_base_info(kb)
    marked = [(c.source, c.detail) for cls in info.classes for c in cls.citations if c.verify]
    in_files = [(c.source, c.detail) for cls in kb.classes for c in cls.citations if c.verify]
    assert marked == in_files
    assert len(marked) > 0
