"""The one module that converts between the protobuf contract and the domain of `interactions`.

Requests need no conversion: a CheckRegimenRequest has the shape of the domain's
`CheckRequestLike` (same field names and types), so the engine reads the message as it arrived.
Values therefore pass through unchanged (a NaN dose stays NaN, a 300-character name stays whole) so the
domain's validation sees exactly what the caller sent and names the offending field. Answers are
built by the descriptor-driven codec (`service.contract`): the domain's answer types have the
messages' field names, and enum values their numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import CheckRequest, CheckResult, Citation, KnowledgeBase, View
from interactions.answer import answer
from interactions.describe import all_citations
from interactions.identify import Identification
from interactions.schema import CodeSpec, citations_of
from service.contract import encode, to_message
from service.errors import error_response


def request_to_proto(request: CheckRequest) -> pb.CheckRegimenRequest:
    """The wire form of a domain request, for callers of the service (the server validates it)."""
    return cast("pb.CheckRegimenRequest", to_message(request, pb.CheckRegimenRequest))


class EncodedResponse(NamedTuple):
    """A CheckRegimenResponse's wire form, with what the call's log line and metrics count of it."""

    data: bytes
    findings: int
    unrecognized: int
    error: bool


def encode_response(result: CheckResult, view: View = View.FULL) -> EncodedResponse:
    """The encoded CheckRegimenResponse for a domain result in a view (unspecified is FULL): what the server sends."""
    view = view or View.FULL
    answered = answer(result, view)
    return EncodedResponse(encode(answered, pb.CheckRegimenResponse, view), len(answered.findings),
                           len(answered.unrecognized), False)


def encode_error(request_id: str, exc: Exception) -> EncodedResponse:
    """The encoded response of an audit row that could not be checked (`error` set; see `errors.rpc_status_for`)."""
    return EncodedResponse(error_response(request_id, exc).SerializeToString(), 0, 0, True)


def response_for(result: CheckResult, view: View = View.FULL) -> pb.CheckRegimenResponse:
    """The CheckRegimenResponse for a domain result in a view (unspecified is FULL).

    Args:
        result: what `interactions.check` returned.
        view: BASIC leaves out the texts and the spelt-out citations.

    Returns:
        The response message, `error` unset: what the server sends, decoded.
    """
    return pb.CheckRegimenResponse.FromString(encode_response(result, view).data)


def _citations(citations: Iterable[Citation]) -> list[pb.Citation]:
    return [pb.Citation(source=c.source, detail=c.detail, id=c.id, verify=c.verify) for c in citations]


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
        citations=_citations(all_citations(kb)),
        site=kb.site.site if kb.site else "",
        site_overrides=[
            pb.SiteOverride(agent=o.agent, rule=o.rule, precipitant=o.precipitant,
                            severity=cast("pb.Severity", o.severity or 0), suppressed=o.suppress, author=o.author,
                            reason=o.reason)
            for o in (kb.site.overrides if kb.site else ())
        ],
    )
