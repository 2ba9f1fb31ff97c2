"""The order-select and order-sign services: a hook call in, the engine's check, cards out."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Mapping, Sequence, Set
from itertools import chain
from typing import Any, NamedTuple

import httpx

from interactions import (
    CheckRequest,
    CheckResult,
    InvalidRequestError,
    KnowledgeBase,
    LineDose,
    Medication,
    PatientContext,
    UnrecognizedMedication,
    UnrecognizedReason,
    check,
    line_dose,
    standard_dose_for,
)
from interactions.identify import Identification, identify
from interactions.index import StandardDose
from interactions.validation import MAX_MEDICATIONS
from service.cds_hooks import prefetch
from service.cds_hooks.cards import IssuedCard, Subject, cards_for, not_checked_card, too_many_card
from service.cds_hooks.fhir_in import (
    MEDICATION_ORDERS,
    NOT_YET_GIVEN,
    ONE_DOSE_FOR_SEVERAL,
    Clock,
    Found,
    OrderedMedication,
    clock_at,
    course_first,
    dosage_end,
    dose_read,
    dose_units_as_compared,
    is_bundle,
    latest_qtc,
    limited_in_time,
    medication_index,
    medication_reference,
    misshapen_medication,
    on_its_days,
    other_patient,
    product_strength,
    read_medications,
    starts_later,
    times_of_day,
    unresolved_references,
    violation_issue,
)
from service.cds_hooks.store import Issued, Store
from service.cds_hooks.wire import CdsRequest, Issue, json_kind

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
    unnamed: tuple[UnrecognizedMedication, ...]
    """Orders and statements that name no medication at all (no text, display or code): the engine refuses
    them, so they are kept out of the request and reported as not checked."""
    labels: dict[UnrecognizedMedication, str]
    """What to call a medication the engine reports unrecognised without a name (one sent only as a code)."""
    starts: frozenset[str]
    """Agents of the draft orders that the patient takes no current order or statement of: starts."""
    other_drafts: dict[str, tuple[OrderedMedication, ...]]
    """Agent -> its other draft orders in the call, besides the one checked (`by_drug`)."""
    unread: frozenset[UnrecognizedMedication]
    """Those of `unnamed` that name no medication because the FHIR server could not give the Medication they
    reference."""
    given_before: dict[str, str]
    """Agent -> the last day of an ended order or statement of it on the list (ISO): a start may continue it."""
    not_yet_given: dict[str, tuple[str, ...]]
    """Agent of a start -> its listed orders and statements not given yet (`_not_yet_given`), named."""
    duplicates: dict[str, tuple[tuple[OrderedMedication, float], ...]]
    """Regimen drug -> its current orders on the list that give one dose alike, each with that dose (`_duplicates`)."""
    labelled_mg: dict[str, float]
    """Agent of the regimen -> its labelled dose in force with the regimen's drugs (`standard_dose_for`): the dose the
    engine assumes for an order of it stating none."""


async def answer(kb: KnowledgeBase, store: Store, client: httpx.AsyncClient, service: HookService,
                 call: CdsRequest, on_result: Callable[[CheckResult], None] | None = None, *,
                 fhir_deadline_s: float, time_zone: datetime.tzinfo | None = None) -> list[IssuedCard]:
    """The cards for one hook call, checked against `kb` from start to end (a reload does not reach it).

    `on_result` is called with the engine's result (metrics: `Metrics.result`, as for gRPC calls). Every fetch
    from the caller's FHIR server (the lists, then the Medications) ends within `fhir_deadline_s` of the start.
    `time_zone` is the EHR's (`DOSECHECK_HTTP_TIME_ZONE`), its dates without a time days there; None: unknown
    (`fhir_in.clock_at`).

    Raises:
        BadRequestError: the call does not fit the hook (wrong hook, no patient, no draft orders).
        PreconditionFailedError: required data is neither prefetched nor obtainable (HTTP 412).
    """
    if call.hook != service.hook:
        raise BadRequestError(Issue("value", f"service {service.id} answers the {service.hook} hook, not {call.hook!r}",
                                    ("hook",)))
    context = call.context
    patient_id = _patient_id(call)
    draft_resources = _draft_orders(context)
    _refuse_other_patients(draft_resources, patient_id)
    deadline = prefetch.Deadline(asyncio.get_running_loop().time() + fhir_deadline_s, fhir_deadline_s)
    gathered = await prefetch.gather(call, patient_id, client, deadline)
    data = gathered.resources
    listed = [*data["medicationRequests"], *data["medicationStatements"]]
    known = medication_index([*draft_resources, *listed])
    fetched, unfetched = await prefetch.medications(call, [
        *unresolved_references(draft_resources, known), *unresolved_references(listed, known)], client, deadline)
    known.update(fetched)
    draft_orders = read_medications(draft_resources, known, kb.resolver, listed=False)
    on_list = read_medications(listed, known, kb.resolver, listed=True)
    # Before they are given together: a draft made a part of another is still a draft, not a listed medication.
    draft_references = {d.reference for d in draft_orders if d.reference}
    drafts = _given_together(kb, draft_orders, drafts=True)
    current = _given_together(kb, [m for m in on_list if not m.reference or m.reference not in draft_references],
                              drafts=False)
    clock = clock_at(datetime.datetime.now(datetime.UTC), time_zone)
    selected = _selected(context, draft_resources) if service.hook == "order-select" else None
    qtc = latest_qtc(found.resource for key in prefetch.QTC_KEYS for found in data[key])._replace(
        unsorted=gathered.qtc_unsorted, panels_missed=gathered.missed.get("qtcPanels", ""))
    if gathered.qtc_voided:  # no valid QTc could be had: said as one not read, so the agents' QTc rules are not passed
        qtc = qtc._replace(unreadable=f"{gathered.qtc_voided}, and the QTcs before it could not be read from the "
                                      "EHR's FHIR server")
    orders = _sort(kb, drafts, current, selected, qtc.ms, unfetched, clock,
                   [m for m in on_list if m.reference in draft_references and m.stop is None])
    if orders is None:
        return []
    subject = Subject(patient_id, _text(context.get("encounterId")), kb.version, orders.by_drug, orders.new_drugs,
                      {s.id: s for s in kb.sources}, orders.labels, orders.starts, orders.other_drafts, qtc,
                      _as_of(clock), prefetch.withheld(data), frozenset(orders.unnamed), orders.unread,
                      _labelled_per_day(kb),
                      orders.given_before, orders.not_yet_given, orders.duplicates, orders.labelled_mg)
    medications = len(orders.request.regimen) + len(orders.request.concomitant)
    if medications > MAX_MEDICATIONS:
        cards = [too_many_card([draft.label for draft in drafts], medications, MAX_MEDICATIONS, subject)]
    elif orders.request.regimen:
        try:
            result = check(kb, orders.request)
        except InvalidRequestError as error:
            raise BadRequestError(*(violation_issue(v, orders.read_from) for v in error.violations)) from None
        if orders.unnamed or subject.withheld:
            result = result._replace(unrecognized=(*result.unrecognized, *orders.unnamed), complete=False)
        if on_result is not None:
            on_result(result)
        cards = cards_for(result, subject)
    else:  # only draft orders that name no medication: nothing the engine can check, but never silence
        cards = [not_checked_card(orders.unnamed, subject)]
    cards = _coordinate(store, service, call, patient_id, cards)
    store.record_issued(service.id, call.hookInstance,
                        [Issued(c.card.uuid or "", c.kind, c.fingerprint) for c in cards])
    return cards


def _as_of(clock: Clock) -> str:
    """The day of the check: the earliest calendar date anywhere on Earth at this instant (UTC-12, `Clock.earliest`).

    The hook call carries no date of its own, and the EHR's stop dates are in its own time zone (or an offset it
    sends), which is never behind UTC-12: counted from this date, the days since a stop are never more than the
    EHR's own count, so a washout is never taken as passed too early (at worst two days late, for an EHR at UTC+14).
    """
    return clock.earliest.isoformat()


def _sort(kb: KnowledgeBase, drafts: Sequence[OrderedMedication], current: Sequence[OrderedMedication],
          selected: set[str] | None, qtc_ms: float, unfetched: Mapping[str, str], clock: Clock,
          resigned: Sequence[OrderedMedication]) -> Orders | None:
    """The regimen and the concomitant medications; None when there is nothing to check or report.

    The regimen holds the agents and their partners, and the draft orders not recognised (which may
    be agents under an unknown name); the rest is concomitant. `selected` holds the draft orders being
    selected (order-select); None means all of them. `unfetched` says why a referenced Medication could not
    be read from the FHIR server, for the orders it leaves naming no medication.

    A listed order or statement that has ended is concomitant as stopped on its end date, never after `as_of`
    (the day of the check, `_as_of`, then also told the engine); one that gives no end date at all as
    stopped on `as_of`, the latest it can have been: its washout is never counted from a day it may not have begun.

    A draft order of an agent that the patient takes no current order or statement of is a start (a listed one not
    given yet, `_not_yet_given`, is none: it is named in `not_yet_given`; a draft that re-signs a listed order under
    its id, `resigned` its listed copies, is that order revised, one unless its copy is not given yet): the engine is
    told it is treatment day 1 (quizartinib is not started with QTcF above 450 ms), except for an agent with a
    ramp-up, whose whole ramp-up from the draft's first day is given as it stands (day 1 would make the answer
    that day's dose, not the course's the draft orders).

    A drug ordered twice (a ramp-up written as several orders) is checked once, at its highest dose, the others
    named in `other_drafts`; a medication listed twice exactly alike (a search that returns each renewal) is
    checked once.
    """
    regimen: dict[str, tuple[OrderedMedication, bool]] = {}
    concomitant: list[OrderedMedication] = []
    listed: set[Medication] = set()
    by_drug: dict[str, OrderedMedication] = {}
    new_drugs: set[str] = set()
    unnamed: list[tuple[OrderedMedication, bool]] = []
    labels: dict[UnrecognizedMedication, str] = {}
    taken: set[str] = set()
    other_drafts: dict[str, list[OrderedMedication]] = {}
    given_before: dict[str, str] = {}
    not_yet_given: dict[str, list[str]] = {}
    in_effect: dict[str, list[tuple[OrderedMedication, bool]]] = {}  # drug -> its orders given today, each with `draft`
    as_of = _as_of(clock)
    # A draft re-signing a listed order not given yet (order-sign 1.1) is no course under way: venetoclax 400 mg from
    # its first day had no ramp-up card (USPI 2.2). Its copy is named, as any listed order not given yet, unless it is
    # the draft itself come back on the list (the prefetch asks for drafts too): no other order.
    revised: set[str] = set()
    for copy in resigned:
        if not (why := _not_yet_given(copy, clock)):
            revised.add(copy.reference)
        elif _status(copy) not in NOT_YET_GIVEN:
            for drug in _identified(kb, copy)[0].drugs:
                not_yet_given.setdefault(drug, []).append(f"{copy.reference} ({why})")
    # A listed order given today before one held, ended or not yet given, then one of one drug before one naming it
    # among others: the order of the agent alone states its dose and frequency, and is its line whatever the list's
    # order; but a held venetoclax 800 mg order put first made the card "hold" while the active "venetoclax /
    # azacitidine" 400 mg order was still given with posaconazole (USPI 2.4: 70 mg).
    listed_first = sorted((_identified(kb, m) for m in current),
                          key=lambda found: (not _given_today(found[0], clock), len(found[0].drugs) > 1))
    for (ordered, identification), draft in [*((_identified(kb, m), True) for m in drafts),
                                             *((found, False) for found in listed_first)]:
        if ordered.stop is not None:
            ordered = ordered._replace(medication=ordered.medication._replace(
                stopped_on=min(ordered.stop.date or as_of, as_of)))
        medication = ordered.medication
        if identification is None:
            unnamed.append((ordered, draft))
            continue
        drugs = ordered.drugs or None
        read: LineDose | None = None
        if drugs is not None:
            # One reading of the dose for both: the one in the name of an order with none, one that cannot be split.
            read = line_dose(kb, medication) if any(drug in kb.agents for drug in drugs) else None
            ordered = _on_its_days(kb, _dose_not_split(_with_named_dose(ordered, read), read, drugs), drugs)
            medication = ordered.medication
        if drugs is None and not medication.name:
            labels[identification.unrecognized("")] = ordered.label
        names = drugs or (ordered.label,)
        for drug in names:
            by_drug.setdefault(drug, ordered)
        # Not given yet: a draft by its start alone (its status is "draft"), a listed one by its status or start.
        why = starts_later(ordered, clock) if draft else _not_yet_given(ordered, clock)
        if not draft and ordered.stop is not None:
            for drug in names:
                given_before[drug] = max(given_before.get(drug, ""), ordered.medication.stopped_on)
        elif not draft and why:
            for drug in names:
                not_yet_given.setdefault(drug, []).append(f"{ordered.reference or ordered.label} ({why})")
        elif not draft or ordered.reference in revised:
            taken.update(names)
        dosed = _dosed(kb, ordered, names, read)
        # A listed order on hold is not given today: a draft beside it is its resumption most likely, no duplicate.
        if (ordered.stop is None and not why and not ordered.medication.held and len(dosed) == 1
                and ordered.resource.get("resourceType") in MEDICATION_ORDERS):
            in_effect.setdefault(dosed[0], []).append((ordered, draft))
        if draft and (selected is None or ordered.reference in selected):
            new_drugs.update(names)
        in_regimen = draft and drugs is None
        # A listed one joins the regimen when none of its drugs is in a line yet (the engine refuses a drug twice).
        covered = {drug for lined, _ in regimen.values() for drug in lined.drugs}
        if drugs is not None and len(drugs) == 1 and kb.drug_by_name[drugs[0]].kind in REGIMEN_KINDS:
            # A stopped one is a co-medication with its stop date: its effects on the others count through
            # their washouts, and it is not checked as taken (the engine reads no stop date in the regimen).
            in_regimen = draft or (drugs[0] not in covered and ordered.stop is None)
        elif drugs is not None and _a_line_of_several(kb, drugs, medication.dose_mg):
            in_regimen = draft or (ordered.stop is None and covered.isdisjoint(drugs))
            if not in_regimen and ordered.stop is None:
                # Its agent is in a line already (a draft of it): its partners are lines alone, as they choose the
                # labelled dose. Beside the active "Ven/LDAC", a venetoclax 600 mg draft was "reduce to 400 mg", its
                # low-dose cytarabine unseen (USPI 2.2: 600 mg with it). Until the order is ended by its status, as a
                # listed cytarabine order alone: the regimen, not today's cytarabine, sets venetoclax's dose (low-dose
                # cytarabine on days 1-10 of each 28-day cycle, venetoclax daily; on hold, between its days or before
                # its first, "reduce to 400 mg" was wrong; review revLast, of 73944d5).
                for drug in [drug for drug in drugs if drug not in covered]:
                    regimen[drug] = (_partner_line(ordered, drug), False)
        if not in_regimen:
            if medication not in listed:
                listed.add(medication)
                concomitant.append(ordered)
            continue
        key = drugs[0] if drugs and len(drugs) == 1 else f"\0{ordered.label}"
        kept = regimen.get(key)
        if kept is None or (draft, dose_read(ordered)) > (kept[1], dose_read(kept[0])):
            if kept is not None and kept[1]:
                other_drafts.setdefault(key, []).append(kept[0])
            regimen[key] = (ordered, draft)
            by_drug[names[0]] = ordered
        elif draft:
            other_drafts.setdefault(key, []).append(ordered)
    _one_line_a_drug(kb, regimen, by_drug, other_drafts)
    if not regimen and not any(draft for _, draft in unnamed):
        return None
    starts = frozenset(drug for m, draft in regimen.values() if draft
                       for drug in m.drugs if drug in kb.agents and drug not in taken)
    regimen_drugs = frozenset(drug for m, _ in regimen.values() for drug in m.drugs)
    regimen_orders = [m._replace(medication=m.medication._replace(treatment_day=1))
                      if _day_one(kb, m.drugs, starts) else m for m, _ in regimen.values()]
    labelled = {drug: standard_dose_for(kb.agents[drug], regimen_drugs) for drug in regimen_drugs if drug in kb.agents}
    labelled_mg = {drug: standard.dose_mg for drug, standard in labelled.items()}
    # The cycle starts on the first day of the drafts' courses, a ramp-up written as one order a day included; a line
    # of several drugs has its other drafts under each drug (`_one_line_a_drug`), and one stating no dose is at its
    # agent's labelled dose, as the engine assumes.
    started = min((first for key, (m, draft) in regimen.items() if draft
                   if (first := course_first(m, [*chain.from_iterable(
                       other_drafts.get(drug, ()) for drug in m.drugs or (key,))], as_of,
                       assumed=next((labelled_mg[d] for d in m.drugs if d in labelled_mg), 0.0))).start_date),
                  key=lambda m: m.start_date, default=None)
    request = CheckRequest(
        regimen=tuple(m.medication for m in regimen_orders),
        concomitant=tuple(m.medication for m in concomitant),
        patient=PatientContext(qtc_ms=qtc_ms if 200 <= qtc_ms <= 800 else 0.0,
                               cycle_start_date=started.start_date if started else "",
                               # Only when something was stopped: the engine reads the date for nothing else.
                               as_of_date=as_of if any(m.stop is not None for m in concomitant) else ""),
    )
    read_from = {f"regimen[{i}]": m for i, m in enumerate(regimen_orders)}
    read_from.update((f"concomitant[{i}]", m) for i, m in enumerate(concomitant))
    if started is not None:
        read_from["patient"] = started
    not_named = [_not_named(ordered, unfetched) for ordered, _ in unnamed]
    return Orders(request, by_drug, frozenset(new_drugs), read_from, tuple(item for item, _ in not_named), labels,
                  starts, {drug: tuple(others) for drug, others in other_drafts.items()},
                  frozenset(item for item, unread in not_named if unread),
                  {drug: day for drug, day in given_before.items() if drug in starts},
                  {drug: tuple(named) for drug, named in not_yet_given.items() if drug in starts},
                  _duplicates(in_effect, {drug for key, (m, _) in regimen.items() for drug in m.drugs or (key,)},
                              labelled, as_of),
                  labelled_mg)


def _no_dose_stated(ordered: OrderedMedication) -> bool:
    """Whether an order states no dose at all: none in mg, in its name, or as sent (`4 {pill}`, one not split)."""
    return not dose_read(ordered) and not ordered.dose_as_sent


def _duplicates(in_effect: Mapping[str, Sequence[tuple[OrderedMedication, bool]]], regimen: Set[str],
                labelled: Mapping[str, StandardDose],
                as_of: str) -> dict[str, tuple[tuple[OrderedMedication, float], ...]]:
    """Regimen drug -> its orders in effect today at one dose (each with it in mg), when two or more are, one listed.

    In effect today: current on the list and not on hold, or drafts, not surely starting later
    (`fhir_in.starts_later`). A listed order on hold is not given today: a draft beside it is most likely its
    resumption (reviewC, should-fix 5: "Aza/Ven" 400 mg beside venetoclax 400 mg on hold was a duplicate).

    Two active orders of venetoclax 400 mg (as 100 mg tablets and as 50 mg tablets, or twice alike), or a new 400 mg
    draft beside the active 400 mg order, are checked as one dose of 400 mg, a product switched or an order renewed
    most likely; but if both are dispensed the patient takes 800 mg, so the card says they may be duplicates rather
    than staying silent. Drafts alone are when they start the same known day at the same times of the day. Not
    duplicates: orders at different times of the day of an agent its label (`labelled`) gives more than once a day
    (drafts of them are doses of one day, `_times_of_day_together`: midostaurin 50 mg MORN + 50 mg EVE is its labelled
    twice a day; of an agent given once a day two times are two doses: review revS, must-fix 1), an order surely
    starting later (the next cycle's, `_sort` leaves it out), a listed order that a draft names as its
    `priorPrescription` (the draft renews it) or whose dosage ends before the draft starts (`_given_on_one_day`),
    drafts alone undated (this cycle's and the next's, maybe) or of different days (a ramp-up as one order a day: the
    other drafts are said apart), and orders given together as products of other strengths (one order here already,
    `_given_together`).

    Orders are alike by their dose as compared (`_compared_as`); each is given with its dose in mg, or for one with
    none the labelled dose in force the engine assumes for it (at which the card's ramp-up and course count it too; a
    current order's partners are in the regimen, `_partner_line`; none, 0, for an agent dosed per m2): "venetoclax +
    azacitidine" and a venetoclax 200 mg draft beside the active venetoclax 400 mg order had no card, though signed
    with it they give 600 mg or more a day (USPI 2.2: 400 mg).
    """
    found: dict[str, tuple[tuple[OrderedMedication, float], ...]] = {}
    for drug, orders in in_effect.items():
        if drug not in regimen:
            continue
        renewed = {_reference(ordered.resource.get("priorPrescription")) for ordered, draft in orders if draft} - {""}
        by_dose: dict[tuple[float | str, frozenset[str]], list[tuple[OrderedMedication, bool]]] = {}
        standard = labelled.get(drug)
        per_m2 = standard is not None and standard.per_body_surface_area
        labelled_mg = standard.dose_mg if standard is not None else 0.0
        once_a_day = standard is not None and (standard.doses_per_day or 1) == 1
        for ordered, draft in orders:
            compared = "per m2" if per_m2 else _compared_as(ordered, labelled_mg)
            if compared is not None and (draft or ordered.reference not in renewed):
                times = frozenset() if once_a_day else times_of_day(ordered)
                by_dose.setdefault((compared, times), []).append((ordered, draft))
        assumed = 0.0 if per_m2 else labelled_mg  # a dose per m2 is no dose in mg to assume
        alike = tuple((ordered, dose_read(ordered) or assumed)
                      for same in by_dose.values() for ordered, draft in same
                      if any(_given_on_one_day((ordered, draft), other, as_of) for other in same
                             if other[0] is not ordered))
        if alike:
            found[drug] = alike
    return found


def _compared_as(ordered: OrderedMedication, labelled_mg: float) -> float | str | None:
    """The dose an order of an agent dosed in mg is compared with its other orders at (`_duplicates`); None when not.

    Its dose in mg; the labelled dose in mg (`labelled_mg`) for one stating no dose at all; else its dose field's
    quantity as sent, in another unit ("4 tab"): the same value and unit is the same dose, a count of tablets or
    capsules whatever the unit's spelling ("4 tab" is "4 tablet", `dose_units_as_compared`). A dose read otherwise (a
    text, a range, two doses that disagree, one not split between drugs: `_dosed` leaves those of several drugs out) is
    not compared: its field's path is not the dose's (`fhir_in._dose_mg`).

    Every order of an agent dosed per m2 is alike instead ("per m2", `_duplicates`), whatever it states, a dose in its
    text or a range too: a dose per m2 is any dose in mg (gemtuzumab ozogamicin 3 mg/m2 is 4.5 mg at 1.5 m2, 3.6 mg at
    1.2 m2; the engine reads none from "3 mg/m2" in a name), and the label gives one dose a day (days 1, 4 and 7), never
    two orders. Compared only at the same dose, 3 mg/m2 in its dose field beside its active order alike had no card
    (review revC9, must-fix 2), nor 4.5 mg beside 3 mg/m2 (review revR, must-fix 1), nor a dose in the text beside 4.5
    mg (review revS, must-fix 2).
    """
    if (mg := dose_read(ordered)) > 0:
        return mg
    if _no_dose_stated(ordered):
        return labelled_mg or None
    in_field = bool(ordered.dose_as_sent) and "dose_mg" in ordered.paths
    return dose_units_as_compared(ordered.dose_as_sent) if in_field else None


def _given_on_one_day(one: tuple[OrderedMedication, bool], other: tuple[OrderedMedication, bool], as_of: str) -> bool:
    """Whether two orders of one dose in effect today (`_duplicates`), each with `draft`, may be given on one day.

    Two listed ones, yes; two drafts, when they start the same known day; a listed one and a draft unless the listed
    one's dosage ends today or later and before the draft starts: venetoclax 400 mg dated tomorrow beside its active
    order whose `boundsPeriod.end` is today is its renewal, and was "possible duplicate orders" (review revC9,
    should-fix 1). Not its dispensing window's end (`validityPeriod.end`): a supply dispensed on its last day is taken
    for weeks after (review revR, should-fix 2), and a later window hid the dosage's end (review revS, should-fix 3).
    Nor a dosage that ended before the day of the check (`as_of`, the earliest date on Earth) while the order is still
    active: a stale order may still be dispensed, and the card's "confirm that only one is given and the other
    stopped" is what it needs (reviews revR should-fix 3, revS should-fix 4).
    """
    (first, first_draft), (second, second_draft) = one, other
    if first_draft and second_draft:
        return first.start_date == second.start_date != ""
    if not (first_draft or second_draft):
        return True
    listed, draft = (second, first) if first_draft else (first, second)
    end = dosage_end(listed)
    return not (end and as_of <= end < draft.start_date[:10])


def _reference(value: object) -> str:
    """A FHIR Reference's `reference`, relative and without its version (`MedicationRequest/ven-0`), or ""."""
    reference = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(reference, str) or "/" not in reference:
        return ""
    return "/".join(reference.split("/_history/")[0].split("/")[-2:])


def _given_together(kb: KnowledgeBase, orders: Sequence[OrderedMedication], *,
                    drafts: bool) -> list[OrderedMedication]:
    """The orders, with those of one regimen drug given together made one.

    Products of different strengths making one dose (`_products_together`), then, of draft orders, the doses of one
    day given at different times of it (`_times_of_day_together`), and a scheduled one beside one as needed
    (`_beside_as_needed`).
    """
    together = _products_together(kb, orders, drafts=drafts)
    return _beside_as_needed(kb, _times_of_day_together(kb, together)) if drafts else together


def _beside_as_needed(kb: KnowledgeBase, drafts: Sequence[OrderedMedication]) -> list[OrderedMedication]:
    """The draft orders, a regimen drug's scheduled ones said to be given beside its drafts as needed (PRN).

    An agent's PRN draft is no part of its daily dose (`_daily_dose_of`), and beside a scheduled draft of the label's
    dose it went unsaid: gilteritinib 120 mg daily and 40 mg PRN had no card, though both signed give up to 160 mg a
    day. How often the PRN doses add to the scheduled ones cannot be read: the scheduled draft's frequency says PRN
    too (as a PRN dosage does, `fhir_in._frequency`), so that its card asks to confirm it and names the PRN drafts.
    """
    drugs = [_regimen_drug(kb, ordered) for ordered in drafts]
    as_needed: dict[str, list[OrderedMedication]] = {}
    for drug, ordered in zip(drugs, drafts, strict=True):
        if drug and _is_as_needed(ordered):
            as_needed.setdefault(drug, []).append(ordered)
    said = []
    for drug, ordered in zip(drugs, drafts, strict=True):
        if drug in as_needed and not _is_as_needed(ordered):
            named = ", ".join(f"{o.reference or o.label} {o.medication.dose_mg:g} mg" for o in as_needed[drug])
            frequency = f"PRN, {ordered.medication.frequency}".removesuffix(", ")
            note = f"Draft orders of {drug} as needed (PRN) beside it ({named}): how often they add to it is not read."
            ordered = ordered._replace(medication=ordered.medication._replace(frequency=frequency), doses_per_day=None,
                                       dose_note=f"{ordered.dose_note} {note}".strip())
        said.append(ordered)
    return said


def _is_as_needed(ordered: OrderedMedication) -> bool:
    """Whether an order is given as needed: its frequency says PRN (`fhir_in._frequency`)."""
    return ordered.medication.frequency.startswith("PRN")


def _regimen_drug(kb: KnowledgeBase, ordered: OrderedMedication) -> str:
    """The one regimen drug (agent or backbone partner) an order names, else ""."""
    drugs = identify(kb, ordered.medication).drugs
    return drugs[0] if len(drugs) == 1 and kb.drug_by_name[drugs[0]].kind in REGIMEN_KINDS else ""


def _products_together(kb: KnowledgeBase, orders: Sequence[OrderedMedication], *,
                       drafts: bool) -> list[OrderedMedication]:
    """The orders, with those of one regimen drug given together as products of different strengths made one.

    Venetoclax 70 mg, its dose with posaconazole, has no tablet of its own: it is ordered as 50 mg and 2 x 10 mg
    tablets, an order for each product, from the same day and as often. Checked at the higher of them, the card
    said to give 50 mg. Orders of one drug are one dose, their sum, when each is current, has one dosage
    instruction with a dose in mg on a count a day or none said (`_daily_dose_of`), is of a product whose strength
    per unit is known (`product_strength`) and is not another's, gives a dose none of the others gives, and starts
    the same day as many times a day at the same times of the day. The one of the highest dose stands for them (its
    product is the one an update keeps), the others being its `parts`. Orders of one product (a renewal listed beside
    the order it renews), of different days (a ramp-up as several orders), of one dose (400 mg as 100 mg tablets and
    as 50 mg tablets: a product switched, not 800 mg), at different times of the day or as needed are left as they
    are.

    Draft orders (`drafts`) dated to start the same day (`_dated`) need no known strength: all are being signed now,
    so all are given that day. Venetoclax 50 mg and 20 mg named without a strength, beside posaconazole, was checked
    as 50 mg, the update removing the 20 mg order. Their sum is checked, and the card says it is.
    """
    groups: dict[tuple[str, str, int | None, frozenset[str]], list[int]] = {}
    for i, ordered in enumerate(orders):
        drug = _daily_dose_of(kb, ordered)
        if drug and (product_strength(ordered) or (drafts and _dated(ordered))):
            groups.setdefault((drug, ordered.start_date, ordered.doses_per_day, times_of_day(ordered)), []).append(i)
    merged: dict[int, OrderedMedication] = {}
    absorbed: set[int] = set()
    for (drug, _, _, _), members in groups.items():
        strengths = [strength for i in members if (strength := product_strength(orders[i]))]
        doses = [orders[i].medication.dose_mg for i in members]
        if len(members) < 2 or len(set(strengths)) < len(strengths) or len(set(doses)) < len(doses):
            continue
        first = max(members, key=lambda i: orders[i].medication.dose_mg)  # one: the doses differ
        parts = tuple(orders[i] for i in members if i != first)
        base = orders[first]
        together = (base, *parts)
        total = round(sum(o.medication.dose_mg for o in together), 6)
        named = " + ".join(f"{o.reference or o.label} {o.medication.dose_mg:g} mg" for o in together)
        absorbed.update(i for i in members if i != first)
        how = ("each a product of its own strength" if len(strengths) == len(members)
               else "draft orders from the same day, at the same frequency")
        # Named by the drug alone: the product's name and code would give the engine a strength the dose is not.
        merged[first] = base._replace(
            medication=base.medication._replace(name=drug, coding=(), dose_mg=total), dose_as_sent="",
            mg_per_dose_unit=0.0, steps_mg=(total,), parts=parts,
            dose_note=f"{len(together)} orders of {drug} given together, {how} ({named}): read as one dose of "
                      f"{total:g} mg.")
    return [merged.get(i, ordered) for i, ordered in enumerate(orders) if i not in absorbed]


def _times_of_day_together(kb: KnowledgeBase, orders: Sequence[OrderedMedication]) -> list[OrderedMedication]:
    """The draft orders, with those of one regimen drug from one day at different times of it made one order.

    Drafts given at different times of the day (`when` MORN and EVE, `timeOfDay` 08:00 and 20:00) are doses of the
    day, as an order's several dosage instructions are (`fhir_in._read_dosages`): the same dose in each is that dose
    as often as they add up to (gilteritinib 120 mg MORN + 120 mg EVE: 120 mg twice a day; midostaurin 50 mg MORN +
    EVE: its labelled twice a day); different doses are not read as one dose, said as sent (sorafenib 400 mg MORN +
    200 mg EVE). Summed into one dose given once a day, 400 + 200 mg of sorafenib was "reduce to 400 mg", its update
    deleting the 200 mg draft (400 mg a day). Each must be dated (`_dated`), give a count a day (not as needed) and
    name times none of the others names. The first of the highest dose stands for them, the others its `parts`.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, ordered in enumerate(orders):
        drug = _daily_dose_of(kb, ordered)
        if drug and times_of_day(ordered) and _dated(ordered):
            groups.setdefault((drug, ordered.start_date), []).append(i)
    merged: dict[int, OrderedMedication] = {}
    absorbed: set[int] = set()
    for (drug, _), members in groups.items():
        times = [times_of_day(orders[i]) for i in members]
        if len(members) < 2 or len(frozenset().union(*times)) < sum(map(len, times)):
            continue  # one order, or two at one time of the day: products together or possible duplicates
        first = max(members, key=lambda i: orders[i].medication.dose_mg)
        base = orders[first]
        others = [orders[i] for i in members if i != first]
        absorbed.update(i for i in members if i != first)
        per_day = sum(orders[i].doses_per_day or 1 for i in members)
        doses = {orders[i].medication.dose_mg for i in members}
        named = " + ".join(f"{o.reference or o.label} {o.medication.dose_mg:g} mg {'/'.join(sorted(times_of_day(o)))}"
                           for o in (orders[i] for i in members))
        said = f"{len(members)} draft orders of {drug} at different times of the day ({named})"
        parts = (*base.parts, *chain.from_iterable((o, *o.parts) for o in others))
        frequency = f"{per_day} per 1 d"
        steps = tuple(orders[i].medication.dose_mg for i in members)  # as an order's instructions given together
        if len(doses) == 1:
            merged[first] = base._replace(
                medication=base.medication._replace(frequency=frequency), doses_per_day=per_day, parts=parts,
                steps_mg=steps,
                dose_note=f"{said}: read as {base.medication.dose_mg:g} mg {per_day} times a day.")
        else:
            # Named by the drug alone: a product's strength in its name would be read as the dose.
            merged[first] = base._replace(
                medication=base.medication._replace(name=drug, coding=(), dose_mg=0.0, frequency=frequency),
                dose_as_sent=" + ".join(f"{orders[i].medication.dose_mg:g} mg" for i in members),
                mg_per_dose_unit=0.0, steps_mg=steps, doses_per_day=per_day, parts=parts,
                dose_note=f"{said}: different doses, not read as one dose.")
    return [merged.get(i, ordered) for i, ordered in enumerate(orders) if i not in absorbed]


def _daily_dose_of(kb: KnowledgeBase, ordered: OrderedMedication) -> str:
    """The regimen drug of a current order of one dose in mg given a count a day (or saying no frequency), else "".

    An order as needed, or on a schedule that is no count a day, gives no part of a daily dose: a 40 mg PRN draft
    beside gilteritinib 120 mg was summed to 160 mg, and the update deleted it.
    """
    if ordered.stop is not None or len(ordered.steps_mg) != 1 or ordered.medication.dose_mg <= 0 or (
            ordered.medication.frequency and not ordered.doses_per_day):
        return ""
    return _regimen_drug(kb, ordered)


def _dated(ordered: OrderedMedication) -> bool:
    """Whether an order is dated to start on a day of its own and is given from then on, not for a number of doses.

    Its dosage's `boundsPeriod.start`: a start taken from `dispenseRequest.validityPeriod` is the day the
    prescription can be filled, the same for every order of a ramp-up. A step (`count`, `boundsDuration`,
    `boundsPeriod.end`) is no dose given every day: venetoclax 100, 200 and 400 mg drafts of one count each were
    summed to 700 mg ("reduce to 400 mg").
    """
    return ordered.paths.get("cycle_start_date", "").endswith("boundsPeriod.start") and not limited_in_time(ordered)


def _dosed(kb: KnowledgeBase, ordered: OrderedMedication, names: Sequence[str], read: LineDose | None) -> list[str]:
    """The drugs an order gives a dose of, to compare with their other orders (`_duplicates`).

    An order naming several drugs is a dose of the agent its dose is for, in its name or its field (`read`; "Aza/Ven"
    400 mg: without the field's, beside the active venetoclax 400 mg order, no card, 800 mg a day once signed), or of
    each agent at its labelled dose when it states none.
    """
    if len(names) == 1:
        return list(names)
    return [drug for drug in names if drug in kb.agents and (
        _no_dose_stated(ordered) or (dose_read(ordered) > 0 and read is not None and read.agent == drug))]


def _not_yet_given(ordered: OrderedMedication, clock: Clock) -> str:
    """Why a listed order or statement not ended is not given yet at `clock`, or "".

    Its status (`NOT_YET_GIVEN`), or the day it surely starts after `clock.now` (`starts_later`).

    An active venetoclax order starting in 7 days counted as taken: a venetoclax 400 mg draft from today, the patient's
    first, was no start and had no card, its ramp-up unsaid (USPI 2.2). It may be this course written twice, or a
    course to come: the card names it.
    """
    status = _status(ordered)
    if status in NOT_YET_GIVEN:
        return status
    if not (later := starts_later(ordered, clock)):
        return ""
    return f"{status}, from {later}" if status else f"from {later}"


def _given_today(ordered: OrderedMedication, clock: Clock) -> bool:
    """Whether a listed order or statement is given now: not ended, held, or not yet given (`_not_yet_given`)."""
    return ordered.stop is None and not ordered.medication.held and not _not_yet_given(ordered, clock)


def _status(ordered: OrderedMedication) -> str:
    """An order's or statement's status as sent, lower case ("" when it has none)."""
    return _text(ordered.resource.get("status")).lower()


def _labelled_per_day(kb: KnowledgeBase) -> dict[str, int]:
    """Agent -> how many doses a day its label gives, where every labelled dose of it agrees."""
    counts = {name: {dose.doses_per_day for dose in agent.standard_doses} for name, agent in kb.agents.items()}
    return {name: per_day for name, (per_day, *others) in counts.items() if per_day and not others}


def _day_one(kb: KnowledgeBase, drugs: Sequence[str], starts: frozenset[str]) -> bool:
    """Whether the engine is told a line of the regimen is treatment day 1: a start of agents without a ramp-up.

    A line naming several drugs ("Aza/Ven 400") with an agent started that has a ramp-up is not: day 1 would make
    the answer that day's dose, not the course's the draft orders (see `_sort`).
    """
    started = [drug for drug in drugs if drug in starts]
    return bool(started) and not any(dose.ramp_up_mg for drug in started for dose in kb.agents[drug].standard_doses)


def _with_named_dose(ordered: OrderedMedication, read: LineDose | None) -> OrderedMedication:
    """An order of an agent with no dose in mg, with the dose its name states as the engine reads it (`named_mg`).

    `read`: the engine's reading of its dose (`line_dose`), None when it names no agent.

    "Aza/Ven 400", "venetoclax 400 mg daily": taken as 0 beside another draft of the agent, "Aza/Ven 400" undated
    beside a venetoclax 100 mg draft of today had no card (its 400 mg skips the ramp-up's day 2, USPI 2.2), and after
    steps of 100 and 200 mg its ramp-up was dated from its own day 3.
    """
    if ordered.medication.dose_mg or read is None or read.named_mg is None:
        return ordered
    return ordered._replace(named_mg=read.named_mg)


def _dose_not_split(ordered: OrderedMedication, read: LineDose | None, drugs: Sequence[str]) -> OrderedMedication:
    """An order of an agent and other drugs with one dose in mg that none of them takes, that dose not read.

    `read`: the engine's reading of its dose (`line_dose`), None when it names no agent.

    The engine cannot split it ("azacitidine/venetoclax" 400 mg): it is said as sent, and the agent gets the labelled
    dose assumed, as the engine's `<agent>/dose-not-read` does for such a co-medication line. A draft of it refused
    with a 400 at the dose lost every card of the call, other agents' too; a listed one, left a co-medication, left
    its agent unchecked: beside a posaconazole draft, no card.
    """
    medication = ordered.medication
    if not medication.dose_mg or read is None or not read.unsplit:
        return ordered
    said = f"{ONE_DOSE_FOR_SEVERAL}{medication.dose_mg:g} mg for {' and '.join(drugs)}"
    return ordered._replace(medication=medication._replace(dose_mg=0.0), dose_as_sent=said, mg_per_dose_unit=0.0,
                            steps_mg=tuple(0.0 for _ in ordered.steps_mg))


def _on_its_days(kb: KnowledgeBase, ordered: OrderedMedication, drugs: Sequence[str]) -> OrderedMedication:
    """An agent's order given on some days of the week, more often a day than its label gives, at its count a day.

    Its frequency is their count a week ("2 per 1 wk", `fhir_in.on_its_days`), a frequency to confirm: gilteritinib
    120 mg twice a day on Mondays lost the MAJOR "reduce to 120 mg once daily, not twice daily" (USPI 2.2) to
    "frequency not read", the 240 mg on the days given unsaid. Above the label, its count a day is the frequency, as
    the most often of a Timing's parts is (`fhir_in._frequency`), and the days are said. At or below it the count a
    week stays: on some days only, the label's count a day is still no labelled course.
    """
    daily, per_day = on_its_days(ordered)
    if not per_day or len(drugs) != 1 or per_day <= _labelled_per_day(kb).get(drugs[0], per_day):
        return ordered
    note = (f"Given on some days of the week only ({ordered.paths['frequency']}.dayOfWeek): checked at its {per_day} "
            "doses a day on those days.")
    return ordered._replace(medication=ordered.medication._replace(frequency=daily),
                            doses_per_day=kb.resolver.administrations_per_day(daily),
                            dose_note=f"{ordered.dose_note} {note}".strip())


def _a_line_of_several(kb: KnowledgeBase, drugs: Sequence[str], dose_mg: float) -> bool:
    """Whether an order naming several drugs is a line of the regimen (`_sort`), each drug of it, for the engine.

    An order naming an agent among other drugs ("Aza/Ven 400", "venetoclax / posaconazole", a Medication of two
    ingredients), left a co-medication, was no check at all: as a draft beside posaconazole, or listed beside a
    posaconazole draft, no card (USPI 2.4: 70 mg). The rule: with no dose in mg, any order naming a regimen drug;
    with one, an order naming an agent, whose dose the engine gives to it (a named regimen's: "Aza/Ven" 400 mg). One
    that cannot be split has no dose by then (`_dose_not_split`); one naming partners only (Inqovi 35 mg: decitabine
    and cedazuridine) stays a co-medication, as before, not a 400 losing every card.
    """
    if not dose_mg:
        return any(kb.drug_by_name[drug].kind in REGIMEN_KINDS for drug in drugs)
    return any(drug in kb.agents for drug in drugs)


def _one_line_a_drug(kb: KnowledgeBase, regimen: dict[str, tuple[OrderedMedication, bool]],
                     by_drug: dict[str, OrderedMedication], other_drafts: dict[str, list[OrderedMedication]]) -> None:
    """Leaves each drug in one line of the regimen, where a draft naming several drugs shares one with another line.

    The engine refuses a drug in two lines ("venetoclax is already ordered as regimen[0]"), and a draft naming
    several drugs ("Aza/Ven 400") is keyed by its label, not by a drug: beside the listed venetoclax order, or a
    venetoclax draft, every card was lost to a 400. As a draft of one drug does, it replaces a listed order of any of
    its drugs (still taken: no start), and another draft of one is named among its `other_drafts`, keyed by that drug.

    But a draft of its one agent alone at a dose as high or higher is the agent's line (`_gives_way`), the draft of
    several drugs named among that agent's other drafts, and its other drugs lines of their own.
    """
    for key in [key for key, (lined, draft) in regimen.items() if draft and len(lined.drugs) > 1]:
        if key not in regimen:  # replaced by an earlier draft naming several drugs
            continue
        line, _ = regimen[key]
        drugs = set(line.drugs)
        agent = _gives_way(kb, regimen, key)
        if agent:
            regimen.pop(key)
            # `_sort` pointed the agent at the draft of several drugs when it came later: the card checks the agent's
            # own draft, so its update must be that draft's (it updated "venetoclax + azacitidine", then deleted it).
            alone = _with_doubts_of(kb, regimen[agent][0], line)
            regimen[agent] = (alone, True)
            by_drug[agent] = alone
            other_drafts.setdefault(agent, []).extend((line, *other_drafts.pop(key, [])))
            covered = {drug for lined, _ in regimen.values() for drug in lined.drugs}
            # Its partners ("Aza" of "Aza/Ven") are lines alone: a partner in the regimen chooses the labelled dose.
            for drug in [drug for drug in line.drugs if drug not in covered]:
                regimen[drug] = (_partner_line(line, drug), True)
            continue
        for other_key in [other for other, (lined, _) in regimen.items()
                          if other != key and drugs.intersection(lined.drugs)]:
            other, other_draft = regimen.pop(other_key)
            earlier = other_drafts.pop(other_key, [])
            if other_draft:
                for drug in drugs.intersection(other.drugs):
                    other_drafts.setdefault(drug, []).extend((other, *earlier))
        for drug in drugs:
            by_drug[drug] = line


def _partner_line(line: OrderedMedication, drug: str) -> OrderedMedication:
    """One drug of an order naming several, as a line of the regimen alone: by its name, with no dose of the order's."""
    return line._replace(medication=line.medication._replace(name=drug, coding=(), dose_mg=0.0), drugs=(drug,))


def _gives_way(kb: KnowledgeBase, regimen: Mapping[str, tuple[OrderedMedication, bool]], key: str) -> str | None:
    """The one agent of a draft naming several drugs whose own draft, at a dose as high or higher, is its line; or None.

    The draft of the agent alone states its dose and frequency; "Aza/Ven" gives the agent a dose only in its name,
    if any. Kept over a venetoclax 800 mg or 400 mg twice-daily draft, "Aza/Ven" left that order unchecked: no card,
    or only "possible duplicate", where "reduce to 400 mg (labelled dose)" or "once daily, not twice" was due (USPI
    2.2). A lower one is a step of its ramp-up, and the draft of several drugs the course's dose, as `_sort` keeps the
    highest of two drafts. With no dose in mg, the draft of several drugs is at the labelled dose the engine assumes
    for it: compared as 0, "Ven/LDAC" gave way to a venetoclax 400 mg draft, and its 600 mg target (USPI 2.2, with
    low-dose cytarabine) was lost to "keep 400 mg".
    """
    line = regimen[key][0]
    agents = [drug for drug in line.drugs if drug in kb.agents]
    if len(agents) != 1 or agents[0] not in regimen:
        return None
    alone, draft = regimen[agents[0]]
    labelled = standard_dose_for(kb.agents[agents[0]], frozenset(drug for lined, _ in regimen.values()
                                                                 for drug in lined.drugs))
    # A day's dose, as each order states its count a day (one when it states none): compared one dose with the other,
    # venetoclax 400 mg twice daily gave way to "Ven/LDAC" (600 mg once daily), its 800 mg a day unchecked.
    line_a_day = (dose_read(line) * (line.doses_per_day or 1) if dose_read(line)
                  else labelled.dose_mg * (labelled.doses_per_day or 1))
    return agents[0] if draft and dose_read(alone) * (alone.doses_per_day or 1) >= line_a_day else None


def _with_doubts_of(kb: KnowledgeBase, alone: OrderedMedication, line: OrderedMedication) -> OrderedMedication:
    """The agent's own draft, with what is doubtful in the dose of the draft of several drugs that gave way to it.

    That draft is no line of the regimen, so the engine says nothing of it: "Ven/LDAC 600" with 400 mg in its dose
    field lost "dose field and text disagree", "azacitidine/venetoclax" 400 mg its "cannot be split". Both are still
    to be signed, so both are said, in the card's detail of the agent.
    """
    ordered = f"{line.reference or 'an order without an id'} ({line.label})"
    if line.dose_as_sent.startswith(ONE_DOSE_FOR_SEVERAL):
        doubt = f"{ordered} orders {line.dose_as_sent}, which cannot be split between them: confirm its dose."
    else:
        field = line.medication.dose_mg
        read = line_dose(kb, line.medication._replace(dose_mg=0.0)) if field else None
        if read is None or read.named_mg is None or read.named_mg == field:
            return alone
        doubt = (f"{ordered} states {read.named_mg:g} mg in its name and {field:g} mg in its dose field: confirm which "
                 "is meant.")
    return alone._replace(dose_note=f"{alone.dose_note} {doubt}".strip())


def _identified(kb: KnowledgeBase, ordered: OrderedMedication) -> tuple[OrderedMedication, Identification | None]:
    """An order with the drugs it names (`drugs`) and its identification, by RxNorm code and name as the engine's.

    None for one that names no medication at all (no text, display or code): it is reported as not checked.
    """
    medication = ordered.medication
    if not medication.name and not medication.coding:
        return ordered, None
    identification = identify(kb, medication)
    return ordered._replace(drugs=identification.drugs), identification


def _not_named(ordered: OrderedMedication, unfetched: Mapping[str, str]) -> tuple[UnrecognizedMedication, bool]:
    """An order or statement that names no medication, as not checked.

    And whether that is because the FHIR server could not give the Medication it references (`unfetched` says why).
    """
    reference = medication_reference(ordered.resource)
    why = unfetched.get(reference) if reference else None
    misshapen = misshapen_medication(ordered.resource)
    if misshapen:
        said = f"it names no medication that can be read: {misshapen}"
    else:
        if why:
            resolved = f"the Medication it references, {reference}, could not be read from the FHIR server: {why}"
        elif reference.startswith("#"):
            resolved = (f"the contained Medication it references, {reference}, is not there or names none either: "
                        "no code, text or name for every ingredient")
        else:
            resolved = "no Medication resource it references is in the call"
        said = f"it names no medication (no text, display or code at {ordered.paths.get('name', 'its medication')}" \
               f", and {resolved})"
    item = UnrecognizedMedication(ordered.reference or ordered.label, (), UnrecognizedReason.UNKNOWN, detail=said)
    return item, bool(why)


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


def _draft_orders(context: Mapping[str, Any]) -> list[Found]:
    """The resources of context.draftOrders: a Bundle (of any type, or none), a list of resources or one resource.

    Raises:
        BadRequestError: draftOrders is missing or is none of those, or holds an entry that is not a resource
            (an order the service cannot read must not pass unchecked).
    """
    where = "context.draftOrders"
    if "draftOrders" not in context:
        raise BadRequestError(Issue("required", f"{where} is required", (where,)))
    value = context["draftOrders"]
    bundle = isinstance(value, dict) and is_bundle(value)
    if isinstance(value, list):
        items = [Found(f"{where}[{i}]", item) for i, item in enumerate(value)]
    elif bundle and isinstance(value.get("entry", []), list):
        items = [Found(f"{where}.entry[{i}].resource", entry["resource"], _text(entry.get("fullUrl")))
                 if isinstance(entry, dict) and "resource" in entry else Found(f"{where}.entry[{i}]", entry)
                 for i, entry in enumerate(value.get("entry", []))]
    elif isinstance(value, dict) and isinstance(value.get("resourceType"), str) and not bundle:
        items = [Found(where, value)]
    else:
        sent = "a Bundle whose entry is not an array" if bundle else _not_a_resource(value)
        raise BadRequestError(Issue("value", f"{where} must be a Bundle of the orders (an array of them or one "
                                    f"resource is read too), not {sent}", (where,)))
    wrong = [Issue("value", f"{at} is not a FHIR resource (an object with a resourceType), but {_not_a_resource(item)}",
                   (at,)) for at, item, _ in items
             if not (isinstance(item, dict) and isinstance(item.get("resourceType"), str))]
    if wrong:
        raise BadRequestError(*wrong)
    return items  # each a resource: found_in would walk them again


def _refuse_other_patients(drafts: Sequence[Found], patient_id: str) -> None:
    """Refuse draft orders for another patient than the call's (context.patientId).

    Such an order was checked as this patient's: the EHR has mixed up two patients' data, and which of them the
    call is for cannot be told, so nothing of it is checked (a 400 naming the order's patient element).

    Raises:
        BadRequestError: one issue per such draft.
    """
    wrong = []
    for at, resource, _ in drafts:
        element, reference = other_patient(resource, patient_id)
        if element:
            wrong.append(Issue("value", f"{at} ({resource['resourceType']}/{_text(resource.get('id')) or '?'}) is for "
                                        f"{reference}, not the call's patient (context.patientId {patient_id}): "
                                        "another patient's order is not checked", (f"{at}.{element}",)))
    if wrong:
        raise BadRequestError(*wrong)


def _not_a_resource(value: object) -> str:
    if isinstance(value, dict):
        return "an object without a resourceType" if "resourceType" not in value else "a resourceType not a string"
    return json_kind(value)


def _patient_id(call: CdsRequest) -> str:
    """context.patientId (PDDI's examples put `patient` at the top level; some send `Patient/<id>`)."""
    raw, where = call.context.get("patientId"), "context.patientId"
    if raw is None:
        raw, where = getattr(call, "patient", None), "patient"
    if raw is not None and not isinstance(raw, str):
        raise BadRequestError(Issue("value", f"{where} must be a string, the patient's FHIR id", (where,)))
    text = _text(raw).removeprefix("Patient/")
    if not text:
        raise BadRequestError(Issue("required", "context.patientId is required", ("context.patientId",)))
    if not prefetch.FHIR_ID.match(text):
        raise BadRequestError(Issue("value", f"{where} is not a FHIR id", (where,)))
    return text


def _selected(context: Mapping[str, Any], drafts: Sequence[Found]) -> set[str] | None:
    """The draft orders (`Type/id`) that context.selections point at; None (all of them) when none does.

    A selection is read as `Type/id` (ord-1), a bare id, or an absolute URL ending in `Type/id`. Selections
    that point at nothing in draftOrders are a client's mistake: every draft is then taken as new, so that
    cards are shown rather than none.
    """
    selections = context.get("selections")
    if not isinstance(selections, list):
        return None
    references = {f"{r['resourceType']}/{r['id']}" for r in (d.resource for d in drafts)
                  if isinstance(r.get("id"), str) and r["id"]}
    wanted = {s.strip() for s in selections if isinstance(s, str) and s.strip()}
    selected = {reference for reference in references for selection in wanted
                if selection == reference or selection.endswith(f"/{reference}")
                or ("/" not in selection and reference.partition("/")[2] == selection)}
    return selected or None


def _flag(options: Mapping[str, Any], name: str) -> bool:
    value = options.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
