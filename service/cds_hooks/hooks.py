"""The order-select and order-sign services: a hook call in, the engine's check, cards out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import httpx

from interactions import CheckRequest, CheckResult, InvalidRequestError, KnowledgeBase, PatientContext, check
from interactions.identify import identify
from service.cds_hooks import prefetch
from service.cds_hooks.cards import IssuedCard, Subject, cards_for
from service.cds_hooks.fhir_in import (
    OrderedMedication,
    found_in,
    latest_qtc_ms,
    medication_index,
    read_medications,
    violation_issue,
)
from service.cds_hooks.store import Issued, Store
from service.cds_hooks.wire import CdsRequest, Issue

REGIMEN_KINDS = frozenset({"agent", "partner"})
"""Drug kinds of drugs.toml that belong in the regimen (the agents and their backbone partners)."""
PDDI_CONFIGURATION = "pddi-configuration-items"


class HookService(NamedTuple):
    """One entry of the discovery document."""

    id: str
    hook: str
    title: str
    description: str


SERVICES = {
    s.id: s for s in (
        HookService("dosecheck-order-select", "order-select", "dosecheck: AML regimen check at order selection",
                    "Checks the targeted AML agents being selected against the patient's other medications and "
                    "QTc: interactions, the dose to give with its ramp-up, and the monitoring schedule."),
        HookService("dosecheck-order-sign", "order-sign", "dosecheck: AML regimen check before signing",
                    "Checks the targeted AML agents being signed against the patient's other medications and "
                    "QTc: interactions, the dose to give with its ramp-up, and the monitoring schedule."),
    )
}


class BadRequestError(Exception):
    """The call cannot be read or checked (HTTP 400); each issue says what is wrong and where."""

    def __init__(self, *issues: Issue) -> None:
        self.issues = issues
        super().__init__("; ".join(issue.diagnostics for issue in issues))


class Orders(NamedTuple):
    """A call's medications sorted into what the engine reads and what the cards need."""

    request: CheckRequest
    by_drug: dict[str, OrderedMedication]
    new_drugs: frozenset[str]
    read_from: dict[str, OrderedMedication]
    """The order or statement behind each part of the request (`regimen[0]`, `concomitant[1]`, and `patient`
    for the cycle start), to tell the engine's violations where they are (`violation_issue`)."""


async def answer(kb: KnowledgeBase, store: Store, client: httpx.AsyncClient, service: HookService,
                 call: CdsRequest, on_result: Callable[[CheckResult], None] | None = None) -> list[IssuedCard]:
    """The cards for one hook call, checked against `kb` from start to end (a reload does not reach it).

    `on_result` is called with the engine's result (metrics: `Metrics.result`, as for gRPC calls).

    Raises:
        BadRequestError: the call does not fit the hook (wrong hook, no patient, no draft orders).
        PreconditionFailedError: required data is neither prefetched nor obtainable (HTTP 412).
    """
    if call.hook != service.hook:
        raise BadRequestError(Issue("value", f"service {service.id} answers the {service.hook} hook, not {call.hook!r}",
                                    ("hook",)))
    context = call.context
    patient_id = _patient_id(call)
    draft_resources = found_in(context.get("draftOrders"), "context.draftOrders")
    if "draftOrders" not in context:
        raise BadRequestError(Issue("required", "context.draftOrders is required", ("context.draftOrders",)))
    data = await prefetch.gather(call, patient_id, client)
    known = medication_index(found.resource for found in [*draft_resources, *data["medicationRequests"]])
    drafts = read_medications(draft_resources, known, current_only=False)
    draft_references = {d.reference for d in drafts if d.reference}
    current = [m for m in read_medications([*data["medicationRequests"], *data["medicationStatements"]], known,
                                           current_only=True)
               if not m.reference or m.reference not in draft_references]
    selections = _selections(context) if service.hook == "order-select" else set()
    orders = _sort(kb, drafts, current, selections, latest_qtc_ms(found.resource for found in data["qtc"])[0])
    if orders is None:
        return []
    try:
        result = check(kb, orders.request)
    except InvalidRequestError as error:
        raise BadRequestError(*(violation_issue(v, orders.read_from) for v in error.violations)) from None
    if on_result is not None:
        on_result(result)
    subject = Subject(patient_id, _text(context.get("encounterId")), kb.version, orders.by_drug, orders.new_drugs,
                      {s.id: s for s in kb.sources})
    cards = cards_for(result, subject)
    cards = _coordinate(store, service, call, patient_id, cards)
    store.record_issued(service.id, call.hookInstance,
                        [Issued(c.card.uuid or "", c.kind, c.fingerprint) for c in cards])
    return cards


def _sort(kb: KnowledgeBase, drafts: Sequence[OrderedMedication], current: Sequence[OrderedMedication],
          selections: set[str], qtc_ms: float) -> Orders | None:
    """The regimen and the concomitant medications; None when there is no regimen to check.

    The regimen holds the agents and their partners, and the draft orders not recognised (which may
    be agents under an unknown name); the rest is concomitant.

    A drug ordered twice (a ramp-up written as several orders) is checked once, at its highest dose.
    """
    regimen: dict[str, tuple[OrderedMedication, bool]] = {}
    concomitant: list[OrderedMedication] = []
    by_drug: dict[str, OrderedMedication] = {}
    new_drugs: set[str] = set()
    for ordered, draft in [*((m, True) for m in drafts), *((m, False) for m in current)]:
        drugs = identify(kb, ordered.medication).drugs or None  # by RxNorm code and name, as the engine does
        names = drugs or (ordered.label,)
        for drug in names:
            by_drug.setdefault(drug, ordered)
        if draft and (not selections or ordered.reference in selections):
            new_drugs.update(names)
        in_regimen = draft and drugs is None
        if drugs is not None and len(drugs) == 1 and kb.drug_by_name[drugs[0]].kind in REGIMEN_KINDS:
            in_regimen = draft or drugs[0] not in regimen
        if not in_regimen:
            concomitant.append(ordered)
            continue
        key = drugs[0] if drugs else f"\0{ordered.label}"
        kept = regimen.get(key)
        if kept is None or (draft, ordered.medication.dose_mg) > (kept[1], kept[0].medication.dose_mg):
            regimen[key] = (ordered, draft)
            by_drug[names[0]] = ordered
    if not regimen:
        return None
    regimen_orders = [m for m, _ in regimen.values()]
    started = min((m for m, draft in regimen.values() if m.start_date and draft), key=lambda m: m.start_date,
                  default=None)
    request = CheckRequest(
        regimen=tuple(m.medication for m in regimen_orders),
        concomitant=tuple(m.medication for m in concomitant),
        patient=PatientContext(qtc_ms=qtc_ms if 200 <= qtc_ms <= 800 else 0.0,
                               cycle_start_date=started.start_date if started else ""),
    )
    read_from = {f"regimen[{i}]": m for i, m in enumerate(regimen_orders)}
    read_from.update((f"concomitant[{i}]", m) for i, m in enumerate(concomitant))
    if started is not None:
        read_from["patient"] = started
    return Orders(request, by_drug, frozenset(new_drugs), read_from)


def _coordinate(store: Store, service: HookService, call: CdsRequest, patient_id: str,
                cards: list[IssuedCard]) -> list[IssuedCard]:
    """PDDI-CDS coordination, only when the caller asks for it.

    At order-select, remember the cards shown; at order-sign, leave out those the same clinician
    already saw for the same patient and encounter.
    """
    options = (call.extension or {}).get(PDDI_CONFIGURATION)
    if not isinstance(options, Mapping):
        return cards
    user = _text(call.context.get("userId")) or _text(getattr(call, "userId", None))
    encounter = _text(call.context.get("encounterId"))
    if service.hook == "order-select" and _flag(options, "cache-for-order-sign-filtering"):
        store.remember_shown(user, patient_id, encounter, [c.fingerprint for c in cards])
    if service.hook == "order-sign" and _flag(options, "filter-out-repeated-alerts"):
        seen = store.already_shown(user, patient_id, encounter, [c.fingerprint for c in cards])
        return [c for c in cards if c.fingerprint not in seen]
    return cards


def _patient_id(call: CdsRequest) -> str:
    """context.patientId (PDDI's examples put `patient` at the top level; some send `Patient/<id>`)."""
    raw, where = call.context.get("patientId"), "context.patientId"
    if raw is None:
        raw, where = getattr(call, "patient", None), "patient"
    text = _text(raw).removeprefix("Patient/")
    if not text:
        raise BadRequestError(Issue("required", "context.patientId is required", ("context.patientId",)))
    if not prefetch.FHIR_ID.match(text):
        raise BadRequestError(Issue("value", f"{where} is not a FHIR id", (where,)))
    return text


def _selections(context: Mapping[str, Any]) -> set[str]:
    selections = context.get("selections")
    return {s for s in selections if isinstance(s, str)} if isinstance(selections, list) else set()


def _flag(options: Mapping[str, Any], name: str) -> bool:
    value = options.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
