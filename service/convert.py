"""The one module that converts between the protobuf contract and the domain of `interactions`.

Values pass through unchanged (a NaN dose stays NaN, a 300-character name stays whole) so the
domain's validation sees exactly what the caller sent and names the offending field. Enum values
convert by number: the domain's IntEnums use the contract's numbers (a test checks every member),
so they are handed to protobuf as they are and only `cast` for the type checker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import (
    CheckRequest,
    CheckResult,
    Citation,
    KnowledgeBase,
    Medication,
    PatientContext,
)


def request_from_proto(message: pb.CheckRegimenRequest) -> CheckRequest:
    """The domain request for a CheckRegimenRequest (an absent `patient` is an unknown one).

    Args:
        message: the request as received.

    Returns:
        The same request in domain types, unvalidated.
    """
    patient = message.patient
    return CheckRequest(
        regimen=_medications(message.regimen),
        concomitant=_medications(message.concomitant),
        patient=PatientContext(
            qtc_ms=patient.qtc_ms,
            baseline_qtc_ms=patient.baseline_qtc_ms,
            cycle_start_date=patient.cycle_start_date,
            cycle_length_days=patient.cycle_length_days,
        ),
        request_id=message.request_id,
    )


def _medications(messages: Iterable[pb.Medication]) -> tuple[Medication, ...]:
    return tuple(
        [Medication(name=m.name, dose_mg=m.dose_mg, frequency=m.frequency, held=m.held) for m in messages]
    )


def response_from_result(result: CheckResult) -> pb.CheckRegimenResponse:
    """The CheckRegimenResponse for a domain result.

    Sub-messages are created in place with `add()`: building them apart and passing them in would
    copy each one again, which doubles the cost of this hot path.

    Args:
        result: what `interactions.check` returned.

    Returns:
        The response message, `error` unset.
    """
    response = pb.CheckRegimenResponse(
        request_id=result.request_id,
        highest_severity=cast("pb.Severity", result.highest_severity),
        complete=result.complete,
        knowledge_base_version=result.knowledge_base_version,
    )
    add_finding = response.findings.add
    for f in result.findings:
        _add_citations(
            add_finding(
                object_drug=f.object_drug,
                precipitant_drug=f.precipitant_drug,
                mechanisms=cast("list[pb.Mechanism]", f.mechanisms),
                severity=cast("pb.Severity", f.severity),
                action=cast("pb.Action", f.action),
                recommendation=f.recommendation,
            ).citations,
            f.citations,
        )
    add_dose = response.doses.add
    for d in result.doses:
        dose = add_dose(
            drug=d.drug,
            ordered_dose_mg=d.ordered_dose_mg,
            recommended_dose_mg=d.recommended_dose_mg,
            action=cast("pb.Action", d.action),
            rationale=d.rationale,
        )
        add_step = dose.ramp_up.add
        for step in d.ramp_up:
            add_step(day=step.day, dose_mg=step.dose_mg)
        _add_citations(dose.citations, d.citations)
    add_event = response.monitoring.add
    for e in result.monitoring:
        _add_citations(
            add_event(
                drug=e.drug,
                test=cast("pb.MonitoringTest", e.test),
                label=e.label,
                cycle=e.cycle,
                day=e.day,
                date=e.date,
                reason=e.reason,
            ).citations,
            e.citations,
        )
    add_unrecognized = response.unrecognized.add
    for u in result.unrecognized:
        add_unrecognized(name=u.name, suggestions=u.suggestions)
    return response


def _add_citations(field: RepeatedCompositeFieldContainer[pb.Citation], citations: Iterable[Citation]) -> None:
    add = field.add
    for c in citations:
        add(source=c.source, detail=c.detail)


def knowledge_base_info(kb: KnowledgeBase) -> pb.KnowledgeBaseInfo:
    """The KnowledgeBaseInfo describing a loaded knowledge base (built once: it never changes).

    Args:
        kb: the loaded, validated knowledge base.

    Returns:
        Its version, hash, sources, drug dictionary and class tables.
    """
    return pb.KnowledgeBaseInfo(
        version=kb.version,
        content_hash=kb.content_hash,
        title=kb.title,
        sources=[pb.Source(id=s.id, title=s.title, url=s.url) for s in kb.sources],
        drugs=[pb.DrugEntry(name=d.name, kind=d.kind, synonyms=d.synonyms) for d in kb.drugs],
        combinations=[
            pb.Combination(name=c.name, synonyms=c.synonyms, components=c.components) for c in kb.combinations
        ],
        classes=[
            pb.DrugClass(
                id=c.id,
                mechanism=cast("pb.Mechanism", c.mechanism),
                title=c.title,
                members=c.members,
                member_notes=c.member_notes,
                citations=[pb.Citation(source=x.source, detail=x.detail) for x in c.citations],
            )
            for c in kb.classes
        ],
    )
