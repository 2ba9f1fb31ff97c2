"""The one module that converts between the protobuf contract and the domain of `interactions`.

Requests need no conversion: a CheckRegimenRequest has the shape of the domain's
`CheckRequestLike` (same field names and types), so the engine reads the message as it arrived.
Values therefore pass through unchanged (a NaN dose stays NaN, a 300-character name stays whole) so the
domain's validation sees exactly what the caller sent and names the offending field. Enum values
convert by number: the domain's IntEnums use the contract's numbers (a test checks every member),
so they are handed to protobuf as they are and only `cast` for the type checker.

Building sub-messages dominates the cost of a call (more than the engine for a large regimen), so
findings (made once per knowledge-base rule) and monitoring events (the engine caches each drug's
schedule) are encoded once and cached, and the server sends a response as bytes: the encoding of
its small part followed by those cached encodings, which is how a repeated field looks on the wire
anyway. That costs half of building the message and then serialising it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import (
    CheckRequest,
    CheckResult,
    Citation,
    Finding,
    KnowledgeBase,
    Medication,
    MonitoringEvent,
)
from interactions.identify import Identification
from interactions.schema import CodeSpec, citations_of
from service.identity_cache import cached_by_identity


def request_to_proto(request: CheckRequest) -> pb.CheckRegimenRequest:
    """The wire form of a domain request, for callers of the service (the server validates it).

    Args:
        request: The decoded request.

    Returns:
        The CheckRegimenRequest to send.
    """
    # The domain's request types name their fields as the contract does, so they convert field for field.
    return pb.CheckRegimenRequest(
        request_id=request.request_id,
        regimen=_medications(request.regimen),
        concomitant=_medications(request.concomitant),
        patient=pb.PatientContext(**request.patient._asdict()),
    )


def _medications(meds: tuple[Medication, ...]) -> list[pb.Medication]:
    return [pb.Medication(**{**m._asdict(), "coding": [pb.Coding(**c._asdict()) for c in m.coding]}) for m in meds]


class EncodedResponse(NamedTuple):
    """An encoded CheckRegimenResponse with its counts, which the call's log line reports."""

    data: bytes
    findings: int
    unrecognized: int


def encode_response(result: CheckResult) -> EncodedResponse:
    """The encoded CheckRegimenResponse for a domain result: what the server sends.

    The scalar fields, doses and unrecognised names are built as a message and encoded; the
    findings and monitoring events are appended from their cached encodings (see the module
    docstring). Concatenated encodings of one message type decode as one message, with each
    repeated field's entries in the order appended.

    Args:
        result: what `interactions.check` returned.

    Returns:
        The encoded response, `error` unset.
    """
    head = pb.CheckRegimenResponse(
        request_id=result.request_id,
        highest_severity=cast("pb.Severity", result.highest_severity),
        complete=result.complete,
        knowledge_base_version=result.knowledge_base_version,
    )
    # Built in place with add(): building them apart and passing them in would copy each again.
    add_dose = head.doses.add
    for d in result.doses:
        dose = add_dose(
            drug=d.drug,
            ordered_dose_mg=d.ordered_dose_mg,
            recommended_dose_mg=d.recommended_dose_mg,
            action=cast("pb.Action", d.action),
            rationale=d.rationale,
            avoid_with=d.avoid_with,
        )
        add_step = dose.ramp_up.add
        for step in d.ramp_up:
            add_step(day=step.day, dose_mg=step.dose_mg)
        add_citation = dose.citations.add
        for c in d.citations:
            add_citation(source=c.source, detail=c.detail)
    add_unrecognized = head.unrecognized.add
    for u in result.unrecognized:
        add_unrecognized(name=u.name, suggestions=u.suggestions, reason=cast("pb.UnrecognizedReason", u.reason),
                         ingredients=u.ingredients, detail=u.detail)
    parts = [head.SerializeToString()]
    parts.extend(_finding_field.many(result.findings))
    parts.extend(_event_field.many(result.monitoring))
    return EncodedResponse(b"".join(parts), len(result.findings), len(result.unrecognized))


def response_from_result(result: CheckResult) -> pb.CheckRegimenResponse:
    """The CheckRegimenResponse for a domain result, as a message (for callers that read it).

    Args:
        result: what `interactions.check` returned.

    Returns:
        The response message, `error` unset.
    """
    return pb.CheckRegimenResponse.FromString(encode_response(result).data)


@cached_by_identity()
def _finding_field(finding: Finding) -> bytes:
    """`finding` encoded as one entry of CheckRegimenResponse.findings (tag, length, message)."""
    message = pb.Finding(
        object_drug=finding.object_drug,
        precipitant_drug=finding.precipitant_drug,
        mechanisms=cast("list[pb.Mechanism]", finding.mechanisms),
        severity=cast("pb.Severity", finding.severity),
        action=cast("pb.Action", finding.action),
        recommendation=finding.recommendation,
        citations=_citations(finding.citations),
        alternatives=finding.alternatives,
        involved=finding.involved,
    )
    return pb.CheckRegimenResponse(findings=[message]).SerializeToString()


@cached_by_identity()
def _event_field(event: MonitoringEvent) -> bytes:
    """`event` encoded as one entry of CheckRegimenResponse.monitoring (tag, length, message)."""
    message = pb.MonitoringEvent(
        drug=event.drug,
        test=cast("pb.MonitoringTest", event.test),
        label=event.label,
        cycle=event.cycle,
        day=event.day,
        date=event.date,
        reason=event.reason,
        citations=_citations(event.citations),
    )
    return pb.CheckRegimenResponse(monitoring=[message]).SerializeToString()


def _citations(citations: Iterable[Citation]) -> list[pb.Citation]:
    return [pb.Citation(source=c.source, detail=c.detail) for c in citations]


def resolutions(medications: Sequence[pb.Medication], found: Sequence[Identification],
                version: str) -> pb.ResolveMedicationsResponse:
    """The ResolveMedicationsResponse for each medication and what it was identified as, in order."""
    return pb.ResolveMedicationsResponse(
        resolutions=[
            pb.MedicationResolution(name=m.name, coding=m.coding, drugs=f.drugs,
                                    reason=cast("pb.UnrecognizedReason", f.reason), ingredients=f.ingredients,
                                    suggestions=f.suggestions, detail=f.detail)
            for m, f in zip(medications, found, strict=True)
        ],
        knowledge_base_version=version,
    )


def _codes(codes: Iterable[CodeSpec]) -> list[pb.Coding]:
    return [pb.Coding(system=c.system, code=c.code) for c in codes]


def knowledge_base_info(kb: KnowledgeBase) -> pb.KnowledgeBaseInfo:
    """The KnowledgeBaseInfo describing a loaded knowledge base (built once: it never changes).

    Args:
        kb: the loaded, validated knowledge base.

    Returns:
        Its version, hash, sources, drug dictionary, class tables and the site's overrides.
    """
    return pb.KnowledgeBaseInfo(
        version=kb.version,
        content_hash=kb.content_hash,
        title=kb.title,
        sources=[pb.Source(id=s.id, title=s.title, url=s.url) for s in kb.sources],
        drugs=[pb.DrugEntry(name=d.name, kind=d.kind, synonyms=d.synonyms,
                            reviewed=_citations(citations_of(d.reviewed)), qt_risk=d.qt_risk or "",
                            codes=_codes(d.codes), sold_only_in=d.sold_only_in)
               for d in kb.drugs],
        combinations=[
            pb.Combination(name=c.name, synonyms=c.synonyms, components=c.components, codes=_codes(c.codes))
            for c in kb.combinations
        ],
        regimens=[pb.Regimen(name=r.name, synonyms=r.synonyms, components=r.components,
                             citations=_citations(citations_of(r.citations))) for r in kb.regimens],
        classes=[
            pb.DrugClass(
                id=c.id,
                mechanism=cast("pb.Mechanism", c.mechanism),
                title=c.title,
                members=c.members,
                member_notes=c.member_notes,
                citations=_citations(citations_of(c.citations)),
            )
            for c in kb.classes
        ],
        site=kb.site.site if kb.site else "",
        site_overrides=[
            pb.SiteOverride(agent=o.agent, rule=o.rule, precipitant=o.precipitant,
                            severity=cast("pb.Severity", o.severity or 0), suppressed=o.suppress, author=o.author,
                            reason=o.reason)
            for o in (kb.site.overrides if kb.site else ())
        ],
    )
