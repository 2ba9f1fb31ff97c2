"""Cards out: one per regimen agent whose answer needs attention, and one for what was not checked.

Each card names the drug and the decision in its summary, says everything in its Markdown detail
(clients may ignore dose-only suggestions, cds-hooks.md §14.2), and offers suggestions a prescriber
can accept: the whole draft MedicationRequest at the recommended dose (`update`), the removal of a
drug to avoid (`delete`), the scheduled ECGs (`create` ServiceRequest) and the interaction itself
(`create` DetectedIssue, as the PDDI-CDS IG recommends).

The draft order comes from the caller, so it is read with the `fhir.resources` R4B MedicationRequest
model (an order the model rejects gets no `update`) and written back as the model's JSON. The
resources dosecheck writes itself (the dosages, ServiceRequests, DetectedIssues) are built as FHIR
JSON directly: as `fhir.resources` models (validated on construction, dumped by
fhir_core's Python serialiser) the bench.cds_hooks call cost 4.8 ms in-process, 80% of it theirs;
as plain JSON it costs 1.5 ms (measured through the ASGI app, no server). tests/cds_hooks checks
every resource a card carries against the R4B models.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any, Final, Literal, NamedTuple

from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

from interactions import (
    Action,
    CheckResult,
    Citation,
    DoseRecommendation,
    Finding,
    Mechanism,
    MonitoringEvent,
    MonitoringTest,
    Severity,
    UnrecognizedMedication,
    UnrecognizedReason,
)
from interactions.answer import avoid_text
from interactions.schema import SourceSpec, citation_text
from service.cds_hooks import wire
from service.cds_hooks.fhir_in import (
    ONE_DOSE_FOR_SEVERAL,
    TWO_DOSES,
    OrderedMedication,
    QtcReading,
    course_first,
    dose_read,
    product_strength,
)

SUMMARY_LIMIT = 139
"""The spec's "<140-character" summary."""
UCUM = "http://unitsofmeasure.org"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SNOMED = "http://snomed.info/sct"
ECG_CODE = (SNOMED, "268400002", "12 lead ECG")
"""SNOMED CT 12-lead ECG (the code DICOM CID 3670 "ECG Procedure Type" lists)."""
DRUG_INTERACTION = (ACT_CODE, "DRG", "Drug Interaction Alert")
"""v3 ActCode DRG, as the HL7 PDDI-CDS IG's DetectedIssue examples use it."""
ORDERED = (DOSE_RATE_TYPE, "ordered", "Ordered")
OVERRIDE_SYSTEM = "urn:dosecheck:cds-hooks:override-reason"
OVERRIDE_REASONS = (
    wire.Coding(system=OVERRIDE_SYSTEM, code="benefit-outweighs-risk", display="Benefit outweighs the risk"),
    wire.Coding(system=OVERRIDE_SYSTEM, code="already-managed", display="Already managed (dose or plan adjusted)"),
    wire.Coding(system=OVERRIDE_SYSTEM, code="will-monitor", display="Will monitor closely"),
    wire.Coding(system=OVERRIDE_SYSTEM, code="not-applicable", display="Not applicable to this patient"),
)
DETECTED_ISSUE_SEVERITY = {
    Severity.CONTRAINDICATED: "high",
    Severity.MAJOR: "high",
    Severity.MODERATE: "moderate",
    Severity.MINOR: "low",
    Severity.INFO: "low",
    Severity.UNSPECIFIED: "low",
}
"""FHIR DetectedIssue.severity (high|moderate|low) from the knowledge base's five-level scale."""
MAX_MONITORING_LINES = 20


class Subject(NamedTuple):
    """Who and where the cards are about, and what the orders are."""

    patient_id: str
    encounter_id: str
    kb_version: str
    by_drug: Mapping[str, OrderedMedication]
    """Canonical drug -> the order or statement it came from."""
    new_drugs: frozenset[str]
    """Canonical drugs of the orders being selected or signed now (the rest is context)."""
    sources: Mapping[str, SourceSpec]
    """Knowledge-base source id -> its title and URL, for links."""
    labels: Mapping[UnrecognizedMedication, str]
    """What to call a medication the engine reports unrecognised without a name (sent only as a code)."""
    starts: frozenset[str]
    """Agents whose draft order is a start: the patient takes no current order or statement of them (a listed draft
    or intended statement is not one taken)."""
    other_drafts: Mapping[str, Sequence[OrderedMedication]]
    """Agent -> its other draft orders in the call, besides the one checked (`by_drug`)."""
    qtc: QtcReading
    """The QTc the check used, and a newer one that could not be read."""
    as_of: str
    """The day of the check (ISO), from which days since a stop or an ECG are counted."""
    withheld: Mapping[str, str]
    """Prefetch key -> what the EHR said it left out of that list (`prefetch.withheld`)."""
    unnamed: frozenset[UnrecognizedMedication]
    """Orders and statements not checked because they name no medication that can be read."""
    unread: frozenset[UnrecognizedMedication]
    """Those of `unnamed` whose Medication, referenced, the FHIR server could not give."""
    labelled_per_day: Mapping[str, int]
    """Agent -> how many doses a day its label gives: a dose given more often is checked as a dose a day in it."""
    given_before: Mapping[str, str]
    """Agent of a start -> the last day of an ended order or statement of it on the list: it may be a next cycle."""
    not_yet_given: Mapping[str, Sequence[str]]
    """Agent of a start -> its listed orders and statements that say it is not given yet (an unsigned draft, a
    statement of intent), each named with its status."""
    duplicates: Mapping[str, Sequence[tuple[OrderedMedication, float]]]
    """Regimen drug -> its current orders on the list giving one dose alike, each with that dose (the labelled one
    assumed for an order stating none): checked as one, said as possible duplicates."""
    labelled_mg: Mapping[str, float]
    """Agent -> its labelled dose in force with the regimen's drugs: the dose the engine assumes for an order of it
    stating none."""


class IssuedCard(NamedTuple):
    """A card with what the feedback report and the select/sign coordination need."""

    card: wire.Card
    kind: str
    """dose-change, hold, discontinue, avoid-combination, monitor or not-checked."""
    fingerprint: str
    """Stable over calls for the same advice (the uuid is not): what order-sign filtering compares."""


def cards_for(result: CheckResult, subject: Subject) -> list[IssuedCard]:
    """The cards of one check, agents first (by name), then the not-checked card.

    Args:
        result: the engine's answer.
        subject: the patient, the orders and which of them are new.

    Returns:
        The cards; empty when nothing needs attention.
    """
    issued = []
    for dose in result.doses:
        recommended = dose.recommended_dose_mg
        if dose.drug not in subject.by_drug or (recommended is None and dose.drug not in subject.labelled_mg):
            # No dose to give: an unrecognised regimen entry (the not-checked card speaks for it), or a
            # partner ordered without a dose (the agents' cards speak of its findings). An agent with no dose in mg
            # to recommend (gemtuzumab ozogamicin ordered per m2) still has its findings and decision to say: skipped,
            # a duplicate or a hold of it had no card (8a3ca4d).
            continue
        findings = [f for f in result.findings if dose.drug in (f.object_drug, f.precipitant_drug)]
        monitoring = [e for e in result.monitoring if e.drug == dose.drug]
        baseline_ecg = _baseline_ecg_missing(dose.drug, monitoring, subject)
        duplicated = dose.drug in subject.duplicates  # said whatever is ordered now: a dose may be given twice
        if (dose.action is Action.CONTINUE and not findings and not dose.avoid_with and not baseline_ecg
                and not _unread_dose(dose, subject) and not _ramp_up_missing(dose, subject) and not duplicated
                and not _panels_unsearched(findings, monitoring, subject)):
            continue
        others = {f.precipitant_drug if f.object_drug == dose.drug else f.object_drug for f in findings} - {""}
        if dose.drug not in subject.new_drugs and not others & subject.new_drugs and not duplicated:
            continue  # old advice about orders already signed: nothing new was ordered that changes it
        issued.append(_agent_card(dose, recommended, findings, monitoring, subject, baseline_ecg))
    if result.unrecognized or subject.withheld:
        issued.append(not_checked_card(result.unrecognized, subject))
    return issued


def _judged_by_qtc(findings: Sequence[Finding], monitoring: Sequence[MonitoringEvent]) -> bool:
    """Whether the agent's answer speaks of the QTc: a QTc threshold among its findings, or ECGs in its schedule."""
    return (any(Mechanism.QTC_THRESHOLD in f.mechanisms for f in findings)
            or any(e.test is MonitoringTest.ECG for e in monitoring))


def _panels_unsearched(findings: Sequence[Finding], monitoring: Sequence[MonitoringEvent], subject: Subject) -> bool:
    """Whether the QTcs in ECG panels were not searched (`QtcReading.panels_missed`), for an agent judged by its QTc.

    A newer QTc than the one used may be among them. Said on a card of its own (a warning, as nothing else may make
    one): the agent went on on an older QTc, maybe.
    """
    return bool(subject.qtc.panels_missed) and _judged_by_qtc(findings, monitoring)


def _baseline_ecg_missing(drug: str, monitoring: Sequence[MonitoringEvent], subject: Subject) -> bool:
    """Whether the agent's schedule has an ECG on its first day (C1D1) and the check had no QTc to judge it by.

    For a start (an ECG before the first dose, as those agents' labels ask), and for any order when the latest
    QTc Observation could not be read.
    """
    unknown = not subject.qtc.ms or bool(subject.qtc.unreadable)
    return (unknown and (drug in subject.starts or bool(subject.qtc.unreadable))
            and any(e.test is MonitoringTest.ECG and (e.cycle, e.day) == (1, 1) for e in monitoring))


def _agent_card(dose: DoseRecommendation, recommended: float | None, findings: Sequence[Finding],
                monitoring: Sequence[MonitoringEvent], subject: Subject, baseline_ecg: bool) -> IssuedCard:
    """The card of a checked regimen drug.

    `recommended`: its recommended dose, None for an agent with no dose in mg to recommend (ordered per m2): its card
    then says the ordered dose and offers no dose to write.

    `baseline_ecg`: no QTc could be had for an agent whose first day has an ECG (`_baseline_ecg_missing`). Said as
    a warning at least: the agents' QTc rules (quizartinib is not started above 450 ms) cannot be applied without
    one, which is more than information, though nothing is known to be wrong.
    """
    kind = _kind(dose)
    summary = _summary(dose, recommended, findings, subject, baseline_ecg,
                       _panels_unsearched(findings, monitoring, subject))
    indicator = _indicator(dose, findings)
    if (baseline_ecg or _unread_dose(dose, subject) or _ramp_up_missing(dose, subject)
            or dose.drug in subject.duplicates or _panels_unsearched(findings, monitoring, subject)
            ) and indicator == "info":
        indicator = "warning"
    update = _dose_suggestion(dose, recommended, subject)
    updated = _updated(dose, subject) if update else None
    # The update removes the orders given with the one it updates as products of other strengths (its `parts`): its
    # own product must then give every dose, the one they gave together too.
    parts_kept = updated is None or not any(_removable(part, subject) for part in updated.parts)
    suggestions = [s for s in (
        update,
        *_avoid_suggestions(dose, subject),
        _ecg_suggestion(dose.drug, monitoring, subject),
        _detected_issue_suggestion(findings, subject),
    ) if s is not None]
    card = wire.Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail=_detail(dose, recommended, findings, monitoring, subject, baseline_ecg, updated, parts_kept),
        indicator=indicator,
        source=_source(subject),
        suggestions=suggestions or None,
        selectionBehavior="any" if suggestions else None,
        overrideReasons=list(OVERRIDE_REASONS),
        links=_links(dose.citations, findings, subject) or None,
    )
    return IssuedCard(card, kind, _fingerprint(dose.drug, kind, summary, indicator))


def _kind(dose: DoseRecommendation) -> str:
    if dose.action is Action.ADJUST_DOSE:
        return "dose-change"
    if dose.action is Action.HOLD:
        return "hold"
    if dose.action is Action.DISCONTINUE:
        return "discontinue"
    return "avoid-combination" if dose.avoid_with else "monitor"


_OWN_REASONS: Final = {Mechanism.QTC_THRESHOLD: "QTc threshold", Mechanism.PATIENT_FACTOR: "patient factor",
                       Mechanism.LABELLED_DOSE: "labelled dose"}
_TO_CONFIRM: Final = {"dose-disagrees": "dose field and text disagree: confirm dose",
                      "frequency-not-read": "frequency not read: confirm it",
                      "dose-level": "ordered dose not a labelled one: confirm it"}
"""The engine's findings (by rule, after `<agent>/`) that the order itself is unclear, said in the summary: "give
400 mg (labelled dose)" alone would not tell the prescriber what to confirm. Short, so that the summary keeps them
beside the decision and the duplicate flag (`SUMMARY_LIMIT`)."""


def _summary(dose: DoseRecommendation, recommended: float | None, findings: Sequence[Finding], subject: Subject,
             baseline_ecg: bool, panels_unsearched: bool) -> str:
    """"Venetoclax: reduce to 70 mg with posaconazole", within the spec's 140 characters.

    The decision is said with the drugs of the findings that set it (`_applied`), not every drug that changes
    the dose: with posaconazole (70 mg) and clarithromycin (100 mg), the 70 mg is posaconazole's. A QTc threshold
    is named by the QTc it was judged on ("QTcF 460 ms on 2026-11-30"); a hold or stop of a start is "do not start".
    """
    drug = dose.drug[:1].upper() + dose.drug[1:] + (" (order on hold)" if subject.by_drug[dose.drug].on_hold else "")
    setting = _applied(dose)
    causes = list(dict.fromkeys(f.precipitant_drug for f in setting if f.precipitant_drug))
    reasons = dict(_OWN_REASONS)
    if subject.qtc.ms:
        reasons[Mechanism.QTC_THRESHOLD] = _qtc_text(subject.qtc)
    to_confirm = {f.rule: _TO_CONFIRM[rule] for f in dose.findings
                  if (rule := f.rule.removeprefix(f"{dose.drug}/")) in _TO_CONFIRM}
    # A finding with no other drug: a QTc threshold, a patient factor or a dose above the label; one saying what to
    # confirm is said as that instead.
    own = list(dict.fromkeys(reasons[m] for f in setting if not f.precipitant_drug and f.rule not in to_confirm
                             for m in f.mechanisms if m in reasons))
    decisions = []
    assumed = _assumed(dose, subject)
    ramp_up = (f"start with the ramp-up ({', '.join(_mg(s.dose_mg) for s in dose.ramp_up)} mg)"
               if _ramp_up_missing(dose, subject) and not dose.avoid_with else "")  # else the drug to avoid first
    if assumed and recommended is not None:  # `_assumed` says so too (`_unread_dose`): mypy cannot see it
        decisions.append(f"dose not read ({_cut(assumed, UNREAD_LIMIT)}), {_mg(recommended)} mg assumed")
        decisions += [ramp_up] if ramp_up else []
    elif dose.action is Action.ADJUST_DOSE and recommended is not None:
        # The same dose can be an adjustment (a ramp-up capped at it): "give" then, never "increase to".
        # Given more often than the label, by the dose a day (40 mg q8h to 120 mg once daily is no increase).
        ordered, given = dose.ordered_dose_mg, recommended
        if _in_labelled_times(dose, subject):
            ordered *= subject.by_drug[dose.drug].doses_per_day or 1
            given *= subject.labelled_per_day[dose.drug]
        verb = "reduce to" if given < ordered else ("increase to" if 0 < ordered < given else "give")
        decisions.append(f"{verb} {_mg(recommended)} mg{_in_labelled_times(dose, subject)}")
    elif dose.action is Action.ADJUST_DOSE:  # no dose in mg to say (ordered per m2): the detail says why
        decisions.append("adjust the ordered dose")
    elif dose.action in (Action.HOLD, Action.DISCONTINUE):
        decisions.append(_stop_text(dose, subject))
    elif ramp_up:  # the detail says the drug to avoid
        decisions.append(ramp_up)
    elif not dose.avoid_with and (findings or not (baseline_ecg or dose.drug in subject.duplicates
                                                   or panels_unsearched)):
        decisions.append("monitor")
    if decisions and (causes or own) and not assumed:
        decisions[0] += " with " + " and ".join(causes) if causes else f" ({', '.join(own)})"
    # Before what to confirm: a dose given twice is the larger harm, and the end of a long summary is what is cut.
    if dose.drug in subject.duplicates:
        decisions.append("possible duplicate orders")
    decisions += dict.fromkeys(to_confirm.values())
    if dose.avoid_with:
        decisions.insert(0, "avoid " + ", ".join(dose.avoid_with))
    if baseline_ecg and not decisions:  # else the decision comes first, and the detail says it
        decisions.append("QTc unreadable, ECG needed" if subject.qtc.unreadable
                         else "no QTc found, ECG before starting")
    elif panels_unsearched and not decisions:
        decisions.append("ECG panels not searched, check the latest ECG")
    return _cut(f"{drug}: {'; '.join(decisions)}", SUMMARY_LIMIT)


def _assumed(dose: DoseRecommendation, subject: Subject) -> str:
    """What a new order states of its dose when none was read and the dose to give is the labelled one, assumed.

    That is, set by no finding but the one saying the order's dose was not read; else "".
    """
    unread = _unread_dose(dose, subject)
    if not unread or dose.action in (Action.HOLD, Action.DISCONTINUE):
        return ""
    return unread if all(f.rule == f"{dose.drug}/dose-not-read" for f in _applied(dose)) else ""


def _unread_dose(dose: DoseRecommendation, subject: Subject) -> str:
    """What a new order states of its dose when none was read in mg from it ("4 tablet", "100-800 mg"), else "".

    The labelled dose is then assumed: said on a card of its own, since nothing else may make one. Not when the
    engine recommends no dose in mg (gemtuzumab ozogamicin ordered per m2): none is assumed, the order stands.
    """
    ordered = subject.by_drug[dose.drug]
    return (ordered.dose_as_sent if dose.drug in subject.new_drugs and not dose.ordered_dose_mg
            and dose.recommended_dose_mg is not None else "")


def _product_cannot_give(ramp_up_mg: Sequence[float], recommended: float, ordered: OrderedMedication,
                         parts_kept: bool) -> list[str]:
    """A line saying which doses to give the ordered product's strength cannot make up, if any.

    "Venetoclax 100 MG Oral Tablet" at 10, 20, 50 and 70 mg: the update keeps the order's product, so whoever
    accepts it must know that another strength is needed. `ramp_up_mg`: the ramp-up's doses for a start, none for a
    patient already taking the agent (its update gives the steady dose alone). `parts_kept`: whether the orders given
    with it as products of other strengths (its `parts`) stay, no update removing them.
    """
    strength = product_strength(ordered)
    if not strength:
        return []
    doses = dict.fromkeys([*ramp_up_mg, recommended])
    if ordered.parts and parts_kept:  # the dose they give together is theirs; an update removing them leaves it
        doses.pop(ordered.medication.dose_mg, None)
    cannot = [d for d in doses if d > 0 and abs(d / strength - round(d / strength)) > 1e-6]
    if not cannot:
        return []
    return [f"The ordered product ({_mg(strength)} mg a unit) cannot give {', '.join(_mg(d) for d in cannot)} mg: "
            "the order needs a product of another strength."]


def _ramp_up_missing(dose: DoseRecommendation, subject: Subject) -> bool:
    """Whether a start of an agent with a labelled ramp-up gives a day of it above the ramp-up's dose that day.

    Venetoclax 400 mg daily from its first day (or steps of 400, 400, 400 mg, or 100 mg then 400 mg from day 2)
    skips the ramp-up its label gives against tumour lysis. A start whose steps are each at most the ramp-up's is
    taken to give it; one after an ended order of the agent may be a next cycle (not a start: its card asks).
    """
    if (not dose.ramp_up or dose.drug not in subject.starts or dose.drug not in subject.new_drugs
            or dose.drug in subject.given_before):  # a next cycle, maybe: the detail says so
        return False
    # The order's steps, or its drafts' first doses in date order (the steps as orders of their own; undated ones
    # lowest first), against the ramp-up's days: one above its day (100 mg, then 400 mg from day 2) skips a step. A
    # dose in the name only ("Aza/Ven 400") is its first; a draft with none is at the labelled dose in force, which the
    # engine assumes for it: taken as 0 mg, "venetoclax + azacitidine" (the course, 400 mg) was the ramp-up's day 1
    # before a venetoclax 200 mg draft, read as day 2, and the start had no card (USPI 2.2: 100 mg on day 1). Not the
    # dose to give (70 mg with posaconazole): as written, the order gives the dose assumed, not the card's.
    assumed = subject.labelled_mg.get(dose.drug, 0.0)
    drafts = (subject.by_drug[dose.drug], *subject.other_drafts.get(dose.drug, ()))
    given = drafts[0].steps_mg if len(drafts) == 1 else tuple(
        first for _, first in sorted((d.start_date or "9999", next(iter(d.steps_mg), 0.0) or d.named_mg or assumed)
                                     for d in drafts))
    # No dose read (the dose field and the text disagreeing: 400 mg and "Take 1 tablet (100 mg total)") shows no ramp-up
    # either: taken as given, the start lost the ramp-up's update.
    return not any(given) or any(step > day.dose_mg + 1e-6 for step, day in zip(given, dose.ramp_up, strict=False))


def _course_start(drug: str, subject: Subject) -> str:
    """The first day of an agent's course (ISO, `course_first`), or "".

    A course written as one order a day (a ramp-up) starts on its first order's day, not on that of the order checked
    (the highest dose, its last step), whose update replaces them all: dated from the last step, the ramp-up and its
    tumour lysis labs were two days late.
    """
    return course_first(subject.by_drug[drug], subject.other_drafts.get(drug, ()), subject.as_of,
                        assumed=subject.labelled_mg.get(drug, 0.0)).start_date


def _more_often_than_labelled(dose: DoseRecommendation) -> bool:
    """Whether the order gives the agent more often than its label: its dose is then one a day in the label's times."""
    return any(f.rule == f"{dose.drug}/labelled-frequency" for f in dose.findings)


def _times_a_day(per_day: int) -> str:
    return {1: "once daily", 2: "twice daily"}.get(per_day, f"{per_day} times daily")


def _in_labelled_times(dose: DoseRecommendation, subject: Subject) -> str:
    """" once daily, not twice daily" after the dose to give, for an order given more often than the label; else "".

    Without it, "give 400 mg" for 400 mg BID reads as no change, and "increase to 120 mg" for 40 mg q8h triples it.
    """
    labelled = subject.labelled_per_day.get(dose.drug)
    if not labelled or not _more_often_than_labelled(dose):
        return ""
    ordered = subject.by_drug[dose.drug].doses_per_day
    return f" {_times_a_day(labelled)}, not {_times_a_day(ordered) if ordered else 'more often'}"


def _applied(dose: DoseRecommendation) -> list[Finding]:
    """The findings that set the decision.

    The one the engine applied (first of `dose.findings`), and the others of its rule: a rule has one effect on the
    dose whichever of its drugs it is for (clarithromycin and voriconazole: the same 100 mg), their findings
    differing only in text and severity (`answer._grouped_findings`). None when the decision is not the applied
    finding's (the order's own hold, a day of the ramp-up).
    """
    if not dose.findings or dose.findings[0].action != dose.action:
        return []
    first = dose.findings[0]
    return [f for f in dose.findings if f is first or (first.rule and (f.rule, f.action) == (first.rule, first.action))]


def _indicator(dose: DoseRecommendation, findings: Sequence[Finding]) -> Literal["info", "warning", "critical"]:
    """How urgent a card is.

    critical: stop or hold the agent, a contraindication, or a major combination to avoid; warning:
    a dose change, a combination to avoid, or a moderate or major finding; info otherwise.

    A combination to avoid is critical by the severity of the findings that say to avoid it, never by another
    finding's: a moderate 5-HT2B "avoid escitalopram" beside a major QT finding whose action is to monitor would
    else read as a major reason to stop escitalopram, which no finding says. The major finding still makes the
    card a warning, and its action is said in the detail.
    """
    severity = max((f.severity for f in findings), default=Severity.INFO)
    avoided = set(dose.avoid_with)
    avoid_severity = max((f.severity for f in findings if f.action is Action.AVOID_COMBINATION
                          and avoided & {f.object_drug, f.precipitant_drug, *f.involved}), default=Severity.INFO)
    if (dose.action in (Action.HOLD, Action.DISCONTINUE) or severity >= Severity.CONTRAINDICATED
            or avoid_severity >= Severity.MAJOR):
        return "critical"
    if dose.action is Action.ADJUST_DOSE or dose.avoid_with or severity >= Severity.MODERATE:
        return "warning"
    return "info"


def _qtc_text(qtc: QtcReading) -> str:
    """"QTcF 510 ms on 2024-10-02", as the prescriber finds it in the chart."""
    return f"{qtc.kind} {_mg(qtc.ms)} ms{f' on {qtc.date}' if qtc.date else ''}"


def _detail(dose: DoseRecommendation, recommended: float | None, findings: Sequence[Finding],
            monitoring: Sequence[MonitoringEvent], subject: Subject, baseline_ecg: bool,
            updated: OrderedMedication | None, parts_kept: bool) -> str:
    """The card's detail; `updated`: the draft its update rewrites (`_updated`), None when no update is offered."""
    ordered = subject.by_drug[dose.drug]
    lines = [f"**{dose.drug}**: {_ordered_text(dose, ordered)}; "
             f"**{_action_text(dose, recommended, subject)}** ({dose.action.name.replace('_', ' ').lower()})."]
    if ordered.dose_note:
        lines.append(_escape(ordered.dose_note))
    if dose.drug in subject.duplicates:
        alike = subject.duplicates[dose.drug]
        named = _and_list([f"{o.reference or 'an order without an id'} ({_escape(o.label)}, "
                           f"{_duplicate_dose_text(o, mg, recommended)})" for o, mg in alike])
        doses_mg = {mg for _, mg in alike}
        if recommended is None:
            same, checked = "", "one order"
        elif len(doses_mg) == 1 and 0 not in doses_mg:
            same, checked = " at the same dose", f"one dose of {_mg(alike[0][1])} mg"
        else:  # an agent dosed per m2: any two orders on one day, in mg or per m2
            same, checked = "", f"one dose of {_mg(dose.ordered_dose_mg or recommended)} mg"
        lines.append(f"Possible duplicate orders: {named} are in effect today{same} (current, or being ordered now). "
                     f"Checked as {checked}, not their sum: confirm that only one is given and the other stopped.")
    if ordered.on_hold:
        lines.append("The order's status is on hold: this is the dose to give once it is resumed.")
    if _names_several(ordered) and (dose.action is Action.ADJUST_DOSE or _ramp_up_missing(dose, subject)):
        instead = (f"the update is of {updated.reference} ({_escape(updated.label)}), {dose.drug} on its own, the "
                   "whole course" if updated is not None else f"order {dose.drug} on its own at this dose")
        lines.append(f"{_escape(ordered.label)} names {dose.drug} with other drugs in one order: no change of it is "
                     f"offered (it would give them this dose too); {instead}. {_replace_text(dose.drug, [ordered])}")
    if dose.drug in subject.starts:
        planned = subject.not_yet_given.get(dose.drug, ())
        lines.append(f"Read as a start: the patient's current medication list has no order or statement of "
                     f"{dose.drug}{' given yet' if planned else ''}, so this draft is taken as its first day"
                     f"{' (the ramp-up below is from that day)' if dose.ramp_up else ''}.")
        if planned:
            lines.append(f"Listed but not given yet, so not taken as a course under way: {_escape(', '.join(planned))}"
                         f". If one is this same order, the other is a duplicate.")
        if dose.drug in subject.given_before:
            lines.append(f"An ended order of {dose.drug} is on the list (last given "
                         f"{subject.given_before[dose.drug]}): if this draft continues that treatment (a next "
                         "cycle), it is not a start: confirm whether the ramp-up applies.")
    lines += _other_drafts_text(dose.drug, ordered, updated, subject)
    if baseline_ecg or _judged_by_qtc(findings, monitoring):
        lines.append(_qtc_line(subject, baseline_ecg))
    if dose.ramp_up and dose.drug in subject.starts:  # the label's steady dose for one already taking it
        start = _date(_course_start(dose.drug, subject))
        steps = [f"day {s.day}{_on(start, s.day)}: {_mg(s.dose_mg)} mg" for s in dose.ramp_up]
        lines.append(f"Ramp-up: {'; '.join(steps)}; then {_dose_text(recommended)}.")
    if recommended is not None and (dose.action is Action.ADJUST_DOSE or _ramp_up_missing(dose, subject)):
        lines += _product_cannot_give([s.dose_mg for s in dose.ramp_up] if dose.drug in subject.starts else [],
                                      recommended, updated or ordered, parts_kept)
    if dose.avoid_with:  # first: a busy reader sees the drug to avoid before the dose's own reasons
        lines.append(avoid_text(dose.drug, dose.avoid_with,
                                [(f.action, (f.precipitant_drug, *f.involved)) for f in dose.findings]))
    if all(f.recommendation != dose.rationale for f in findings):  # else the finding below says it
        lines += ["", _escape(dose.rationale)]
    if findings:
        lines += ["", "**Findings**"]
        for finding in findings:
            alternatives = f" Alternatives: {', '.join(finding.alternatives)}." if finding.alternatives else ""
            lines.append(f"- *{finding.severity.name.lower()}*: {_drugs(finding)} ({_mechanisms(finding)}): "
                         f"{_escape(finding.recommendation)}{alternatives} ({_cited(finding.citations)})")
    if monitoring:
        lines += ["", "**Monitoring**"]
        days = [(key, list(events)) for key, events in groupby(monitoring, key=lambda e: (e.label, e.date))]
        for (label, date), events in days[:MAX_MONITORING_LINES]:
            tests = ", ".join(dict.fromkeys(e.test.name.replace("_", " ").lower() for e in events))
            lines.append(f"- {label}{f' ({date})' if date else ''}: {tests}")
        if len(days) > MAX_MONITORING_LINES:
            lines.append(f"- and {len(days) - MAX_MONITORING_LINES} more days")
    lines += _stopped_text(findings, subject)
    if dose.citations:
        lines += ["", f"Dose sources: {_cited(dose.citations)}."]
    lines += ["", f"dosecheck knowledge base {subject.kb_version}. Decision support: a pharmacist or physician "
                  "must review it against the current label."]
    return "\n".join(lines)


def _duplicate_dose_text(order: OrderedMedication, mg: float, recommended: float | None) -> str:
    """The dose of one of the orders found alike (`subject.duplicates`), as the line naming them says it.

    A dose in another unit is said as sent ("4 tab"): it was stated, and "no dose stated" of it was untrue. With no
    dose in mg recommended, or none assumed (`mg` 0: an agent dosed per m2), the labelled mg is not said as a dose
    checked.
    """
    if dose_read(order):
        return f"{_mg(mg)} mg"
    if order.dose_as_sent:
        return f"{_escape(order.dose_as_sent)}, not a dose in mg"
    return "no dose in mg stated" if recommended is None or not mg else f"no dose stated: {_mg(mg)} mg assumed"


def _ordered_text(dose: DoseRecommendation, ordered: OrderedMedication) -> str:
    """The dose ordered as the prescriber sees it: in mg, else as sent (`4 {pill}`), else that none (in mg) is stated.

    A dose read in mg from a count of tablets says how (`4 {pill} x 100 mg = 400 mg`).
    """
    if dose.ordered_dose_mg:
        # So that the strength it was read by can be checked against the order.
        how = (f"{_escape(ordered.dose_as_sent)} x {_mg(ordered.mg_per_dose_unit)} mg = "
               if ordered.mg_per_dose_unit else "")
        per_day = ordered.doses_per_day
        a_day = (f" {_times_a_day(per_day)} ({_mg(dose.ordered_dose_mg * per_day)} mg a day)"
                 if per_day and per_day > 1 else "")
        return f"ordered {how}{_mg(dose.ordered_dose_mg)} mg{a_day}"
    if ordered.dose_as_sent.startswith(TWO_DOSES):  # each a dose in mg: which is meant is not guessed
        return f"ordered {_escape(ordered.dose_as_sent)}, which disagree"
    if ordered.dose_as_sent.startswith(ONE_DOSE_FOR_SEVERAL):
        return f"ordered {_escape(ordered.dose_as_sent)}, which cannot be split between them"
    if ordered.dose_as_sent:
        return f"ordered {_escape(ordered.dose_as_sent)}, which is not a dose in mg"
    # With no dose in mg to recommend the order stands ("keep the ordered dose"): gemtuzumab ozogamicin per m2 in its
    # name, whose card said "no dose ordered" of "3 mg/m2 days 1, 4, 7".
    return "no dose in mg ordered" if dose.recommended_dose_mg is None else "no dose ordered"


def _qtc_line(subject: Subject, baseline_ecg: bool) -> str:
    """The QTc the check used, with its date and age, and a newer QTc that could not be read."""
    qtc = subject.qtc
    if qtc.ms:
        as_of, taken = _date(subject.as_of), _date(qtc.date)
        age = f", {(as_of - taken).days} days before this check" if as_of and taken and as_of >= taken else ""
        line = f"QTc used: {_qtc_text(qtc)}{age}."
    else:
        line = "No QTc was found for this patient."
    if qtc.unreadable:
        line += (f" A newer QTc could not be read and was not used ({_escape(qtc.unreadable)}): "
                 "check it in the chart.")
    if qtc.undated_lower:
        line += (f" Lower QTcs with no date either ({_escape(qtc.undated_lower)}): which is the latest cannot be told, "
                 "so the highest was used.")
    if qtc.unsorted:
        line += (" The QTc search was not sorted by the EHR's server (`_sort` is not in its self link), so an older "
                 "QTc may have been used: check the latest in the chart.")
    if qtc.panels_missed:
        line += (f" QTcs recorded inside ECG panels could not be searched for ({_escape(qtc.panels_missed)}): check "
                 "the latest ECG in the chart.")
    if baseline_ecg:
        line += " The label's schedule has an ECG before the first dose: get one before starting."
    return line


def _other_drafts_text(drug: str, ordered: OrderedMedication, updated: OrderedMedication | None,
                       subject: Subject) -> list[str]:
    """The other draft orders of the agent in the call, which the update (of `updated`, if any) would contradict."""
    others = subject.other_drafts.get(drug, ())
    if not others:
        return []
    named = ", ".join(f"{o.reference or 'an order without an id'} ({_escape(o.label)}"
                      f"{f', {_mg(o.medication.dose_mg)} mg' if o.medication.dose_mg else ''})" for o in others)
    checked = ordered.reference or "the highest-dose order"
    listed = f"Other draft orders of {drug} in this call: {named}."
    if _names_several(ordered):
        # No update of an order naming other drugs is offered (`_dose_suggestion`): "Aza/Ven" checked beside a
        # venetoclax 200 mg draft promised one ("the suggestion removes the others"), and both were signed as written.
        checked_several = f"{listed} The check is for {checked}, the whole course; it names other drugs too"
        if updated is not None:  # the agent's own draft (`_updated`), named with the order to replace (`_detail`)
            removes = ("; the suggestion removes its other drafts alone"
                       if any(_removable(o, subject) and o.reference != updated.reference for o in others) else "")
            return [f"{checked_several}: sign {drug} in one order only{removes}."]
        alone = [o.reference or "an order without an id" for o in others if not _names_several(o)]
        instead = f" ({' or '.join(alone)})" if alone else ""
        return [f"{checked_several}, so no update is offered: order {drug} alone at this card's dose{instead}, "
                f"and sign {drug} in one order only."]
    kept = [o for o in others if _names_several(o)]
    return [f"{listed} The check and its update are for {checked}, the whole course; "
            f"{_fate_of_others(drug, others, subject)}.{f' {_replace_text(drug, kept)}' if kept else ''}"]


def _fate_of_others(drug: str, others: Sequence[OrderedMedication], subject: Subject) -> str:
    """What the update does with the other drafts of the agent: removes them, but not one naming other drugs too.

    Never removed (dfdbb99), "Aza/Ven" said removed beside the updated venetoclax draft was signed as well,
    venetoclax ordered twice.
    """
    kept = [_order_name(o) for o in others if _names_several(o)]
    if not kept:
        return "the suggestion removes the others"
    removes = "; the suggestion removes the others" if len(kept) < len(others) else ""
    names, are = ("names", "is") if len(kept) == 1 else ("name", "are")
    return (f"{_and_list(kept)} also {names} other drugs and {are} kept as written: sign {drug} in one order "
            f"only{removes}")


def _replace_text(drug: str, several: Sequence[OrderedMedication]) -> str:
    """The orders naming the agent among other drugs to replace by those drugs alone, said in a sentence.

    Kept as written beside the agent's own order or its update, each still gives the agent its dose: "sign venetoclax
    in one order only" did not say which order to change, and both signed gave venetoclax twice (USPI 2.2: 400 mg).
    """
    return (f"Replace {_replacements(drug, several, _order_name)}: as written "
            f"{'it gives' if len(several) == 1 else 'they give'} {drug} too.")


def _replacements(drug: str, several: Sequence[OrderedMedication], name: Callable[[OrderedMedication], str]) -> str:
    """"m1 with azacitidine alone and m2 with cytarabine alone": each order by `name`, with its drugs but the agent.

    The detail names the orders by their id, the suggestion's label by what the prescriber sees: their label.
    """
    return _and_list([f"{name(o)} with {_and_list([d for d in o.drugs if d != drug])} alone" for o in several])


def _order_name(ordered: OrderedMedication) -> str:
    """An order as the detail names it: by its reference, else as one without an id, with its label."""
    return ordered.reference or f"an order without an id ({_escape(ordered.label)})"


def _and_list(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return " and ".join(filter(None, (", ".join(items[:-1]), *items[-1:])))


def _stopped_text(findings: Sequence[Finding], subject: Subject) -> list[str]:
    """The listed medications of these findings that have ended, and those whose end date has passed.

    The stopped ones with the day each was taken as stopped on. Those still current (active, on hold) whose end
    date is before the day of the check look stale: they are counted as taken, as their status says (the
    conservative reading: a drug still taken is never left out), and the prescriber is asked to check them.
    """
    stopped, stale = [], []
    as_of = _date(subject.as_of)
    for drug in dict.fromkeys(d for f in findings for d in (f.object_drug, f.precipitant_drug, *f.involved)):
        ordered = subject.by_drug.get(drug)
        if ordered is None:
            continue
        status = ordered.resource.get("status")
        named = f"{_escape(ordered.label)} ({ordered.reference or 'listed'}, {status})"
        if ordered.stop is not None:
            day = ordered.medication.stopped_on
            where = (f"its end, {ordered.stop.element}, is {ordered.stop.date}" if ordered.stop.date
                     else "it gives no end date")
            latest = ", the day of this check (the latest it can be)" if day == subject.as_of else ""
            stopped.append(f"- {named}: {where}; counted as last taken on {day}{latest}.")
        elif ordered.planned_end is not None and as_of and (end := _date(ordered.planned_end.date)) and end < as_of:
            days = (as_of - end).days
            stale.append(f"- {named}: its end, {ordered.planned_end.element}, was {ordered.planned_end.date}, "
                         f"{days} day{'s' if days > 1 else ''} before this check; still counted as taken, as its "
                         "status says. Check whether it is still taken.")
    return [*(["", "**Stopped medications counted**", *stopped] if stopped else []),
            *(["", "**Current medications that look stale**", *stale] if stale else [])]


def _action_text(dose: DoseRecommendation, recommended: float | None, subject: Subject) -> str:
    if dose.action in (Action.HOLD, Action.DISCONTINUE):
        return _stop_text(dose, subject)
    if recommended is None:  # no dose in mg to give (ordered per m2): never "None mg"
        return "adjust the ordered dose" if dose.action is Action.ADJUST_DOSE else "keep the ordered dose"
    if _assumed(dose, subject):
        return f"give {_mg(recommended)} mg, assumed"  # not "keep 400 mg" of an order whose dose was not read
    if dose.action is Action.ADJUST_DOSE:
        return f"give {_mg(recommended)} mg{_in_labelled_times(dose, subject)}"
    return f"keep {_dose_text(recommended)}"


def _dose_text(recommended: float | None) -> str:
    """"400 mg"; "the ordered dose" when there is no dose in mg to say (None), or none was ordered (0)."""
    return f"{_mg(recommended)} mg" if recommended else "the ordered dose"


def _stop_text(dose: DoseRecommendation, subject: Subject) -> str:
    """A hold or stop as said to the prescriber: of a start, "do not start"."""
    return "do not start" if dose.drug in subject.starts else dose.action.name.lower()


def _cut(text: str, limit: int) -> str:
    """The text, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


_NOT_CHECKED_WHY: Final = {
    UnrecognizedReason.NOT_REVIEWED: "not reviewed",
    UnrecognizedReason.CONFLICT: "with conflicting names",
}
"""How the not-checked card's summary says why, by the engine's reason (`not_checked_why` for the others)."""
UNREAD_LIMIT = 40
"""The longest an unread dose is quoted in a summary."""
NOT_CHECKED_NAME_LIMIT = 40
"""The longest a name is shown in the not-checked card's summary: one long compounded name must not hide the others."""


def not_checked_card(unrecognized: Sequence[UnrecognizedMedication], subject: Subject) -> IssuedCard:
    """The card naming every medication that was not checked, and saying the check is incomplete.

    The summary counts them by why ("1 not reviewed (Loestrin 1/20); 2 not recognised (...)") and, when the spec's
    140 characters cannot hold every name, shows those that matter first (`_not_checked_order`) and counts the rest.
    """
    ordered = sorted(unrecognized, key=lambda item: _not_checked_order(item, subject))
    names = [_unrecognized_name(u, subject) for u in ordered]
    groups: dict[str, list[str]] = {}
    for item, name in zip(ordered, names, strict=True):
        groups.setdefault(not_checked_why(item, subject), []).append(name)
    summary = (_not_checked_summary(groups, withheld=bool(subject.withheld)) if names
               else "Not checked: the EHR withheld part of the patient's list")
    lines = [f"- **The EHR withheld part of {key}**: it says {_escape(said)!r}. Medications left out of the list "
             "were not checked." for key, said in subject.withheld.items()]
    lines = ["dosecheck could not check these medications, so **the interaction check is incomplete**:", "", *lines]
    for item, name in zip(ordered, names, strict=True):
        why = item.detail or item.reason.name.replace("_", " ").lower()
        suggestions = f" Did you mean: {', '.join(item.suggestions)}?" if item.suggestions else ""
        lines.append(f"- **{_escape(name)}**: {_escape(why)}.{suggestions}")
    lines += ["", "Check them by hand, or order them by a name or RxNorm code the knowledge base knows "
                  f"(dosecheck knowledge base {subject.kb_version})."]
    card = wire.Card(uuid=str(uuid.uuid4()), summary=summary, detail="\n".join(lines), indicator="warning",
                     source=_source(subject), overrideReasons=list(OVERRIDE_REASONS))
    return IssuedCard(card, "not-checked", _fingerprint("", "not-checked", summary, "warning"))


def not_checked_why(item: UnrecognizedMedication, subject: Subject) -> str:
    """Why a medication was not checked, as the not-checked card's summary says it."""
    if item in subject.unread:
        return "could not be read from the FHIR server"
    if item in subject.unnamed:
        return "not named"
    return _NOT_CHECKED_WHY.get(item.reason, "not recognised")


def _not_checked_order(item: UnrecognizedMedication, subject: Subject) -> tuple[int, bool, str]:
    """Which not-checked medications the summary names first, when it cannot name them all.

    By what is known of them, most first: a drug the knowledge base names but has not reviewed (an herb or a
    supplement it lists is one) or names twice over; then an order that names no medication that can be read (its
    Medication not given by the FHIR server), which may be an agent itself; then unknown names close to a known one
    (a misspelt drug); then other unknown names; last, a code alone. Within each, the orders being placed now
    first. Nothing is guessed from the words of a name: which words make an herb is vocabulary, and the knowledge
    base's to hold (names.toml).
    """
    if item.reason in _NOT_CHECKED_WHY:
        rank = 0
    elif item in subject.unnamed:
        rank = 1
    else:
        rank = 2 if item.suggestions else 3 if item.name else 4
    name = _unrecognized_name(item, subject)
    return rank, name not in subject.new_drugs, name.lower()


def _not_checked_summary(groups: Mapping[str, Sequence[str]], *, withheld: bool) -> str:
    """"Not checked: 3 medications: 1 not reviewed (A); 2 not recognised (B, C)", within the spec's 140 characters.

    One group reads "Not checked: 1 medication not recognised (A)". Names are shortened to NOT_CHECKED_NAME_LIMIT;
    when they still do not fit, the last are left out and counted ("+2 more"), the counts always kept. A list the
    EHR withheld part of is said first: the names do not cover what it left out.
    """
    total = sum(len(names) for names in groups.values())
    shortened = {why: [_cut(n, NOT_CHECKED_NAME_LIMIT) for n in names] for why, names in groups.items()}
    withheld_note = "part of the list withheld; " if withheld else ""
    head = f"Not checked: {withheld_note}{total} medication{'s' if total > 1 else ''}"
    text = head
    for shown in range(total, -1, -1):
        parts, left = [], shown
        for why, names in shortened.items():
            kept, left = names[:left], max(left - len(names), 0)
            listed = [*kept, f"+{len(names) - len(kept)} more"] if kept and len(kept) < len(names) else kept
            parts.append(f"{len(names)} {why} ({', '.join(listed)})" if listed else f"{len(names)} {why}")
        text = f"{head} {parts[0].partition(' ')[2]}" if len(parts) == 1 else f"{head}: {'; '.join(parts)}"
        if len(text) <= SUMMARY_LIMIT:
            return text
    return _cut(text, SUMMARY_LIMIT)


def too_many_card(orders: Sequence[str], medications: int, limit: int, subject: Subject) -> IssuedCard:
    """The card saying that nothing was checked: the patient's medications are more than one check takes.

    An HTTP error instead would reach the EHR's log, not the prescriber: the orders would go unchecked in
    silence. Checking only some of the medications would pass over the others.
    """
    summary = f"Not checked: {medications} medications, more than the {limit} checked at once"
    detail = (f"The orders and the patient's medication list hold {medications} distinct medications; dosecheck "
              f"checks at most {limit} in one call, so **no interaction or dose check was done** for "
              f"{', '.join(f'**{_escape(name)}**' for name in orders)}. Check them by hand, or against a shorter "
              f"list of the medications the patient takes now (dosecheck knowledge base {subject.kb_version}).")
    card = wire.Card(uuid=str(uuid.uuid4()), summary=summary, detail=detail, indicator="warning",
                     source=_source(subject), overrideReasons=list(OVERRIDE_REASONS))
    return IssuedCard(card, "not-checked", _fingerprint("", "too-many", summary, "warning"))


def _unrecognized_name(item: UnrecognizedMedication, subject: Subject) -> str:
    return item.name or subject.labels.get(item, "(unnamed)")


def _dose_suggestion(dose: DoseRecommendation, recommended: float | None, subject: Subject,
                     ) -> wire.Suggestion | None:
    """The whole draft order at the recommended dose with its ramp-up (an `update` carries the whole resource).

    None when there is no dose in mg to write (`recommended` None or 0: ordered per m2, or held), when the agent is
    not a draft order being placed now, or cannot be read as R4, or when the order names
    other drugs too: its update at the agent's dose ("Aza/Ven 400" as 10, 20, 50, 70 mg) would give that dose to
    them, or leave them out, once accepted.
    """
    ordered = _updated(dose, subject)
    if (recommended is None or (dose.action is not Action.ADJUST_DOSE and not _ramp_up_missing(dose, subject))
            or recommended <= 0
            or dose.drug not in subject.new_drugs or _names_several(ordered)
            or not _updatable(ordered)):
        return None
    order = _as_r4_order(ordered.resource)
    if order is None:
        return None
    instructions = order.get("dosageInstruction") or ()
    template: Mapping[str, Any] = next(iter(instructions), {})
    if len(instructions) > 1:  # steps: the update is the whole course, not the first step's days
        template = _from_the_start(template)
    # The order's own timing, unless it gives the agent more often than its label (the recommended dose is one
    # in the label's times: kept twice a day it would be twice the dose) or says none.
    labelled = subject.labelled_per_day.get(dose.drug)
    if _more_often_than_labelled(dose) and not labelled:
        return None
    per_day = labelled if _more_often_than_labelled(dose) or (labelled and not template.get("timing")) else None
    template = _in_times_a_day(template, per_day) if per_day else template
    how_often = f" {_times_a_day(per_day)}" if per_day else ""
    # A ramp-up is for a start (the label's steady dose applies to a patient already taking the agent).
    ramp_up = dose.ramp_up if dose.drug in subject.starts else ()
    if ordered.steps_mg == (*(step.dose_mg for step in ramp_up), recommended) and not _more_often_than_labelled(dose):
        # The order is the update already (one accepted and placed again); at the dose but more often than the label
        # (gilteritinib 120 mg twice daily) it is not: its times are what the update changes.
        return None
    start = _date(_course_start(dose.drug, subject))
    # A step is one day of the ramp-up, its bounds that day: with the order's days of the week kept ("Day 1: 10 mg"
    # on Mondays only), a step falling on another day gave nothing. The maintenance dose keeps them.
    step_template = _every_day(template)
    dosages = [_dosage(step_template, step.dose_mg, step.day, f"Day {step.day}: {_mg(step.dose_mg)} mg",
                       _day_bounds(start, step.day, step.day)) for step in ramp_up]
    maintenance_day = len(ramp_up) + 1
    # Not the order's own text: it states the order's dose ("Take 4 tablets (400 mg total)"), not this one.
    dosages.append(_dosage(template, recommended, maintenance_day if ramp_up else None,
                           f"{'Then ' if ramp_up else ''}{_mg(recommended)} mg{how_often}",
                           _day_bounds(start, maintenance_day, None) if ramp_up else None))
    order["dosageInstruction"] = dosages
    ramp = f" after a ramp-up of {', '.join(_mg(s.dose_mg) for s in ramp_up)} mg" if ramp_up else ""
    label = f"Change {dose.drug} to {_mg(recommended)} mg{ramp}"
    several = [o for o in (subject.by_drug[dose.drug], *subject.other_drafts.get(dose.drug, ())) if _names_several(o)]
    if several:
        # In the label, not only the detail: accepted in one click with the order naming other drugs signed as
        # written, venetoclax was given twice (about 400 mg + 70 mg with posaconazole). No delete of it: its other
        # drugs are to be given (review revC6b, should-fix 1).
        replace = f"{label}; replace {_replacements(dose.drug, several, lambda o: _cut(o.label, 40))}"
        label = replace if len(replace) <= 200 else (
            f"{label}; replace the {len(several)} orders also naming {dose.drug} with their other drugs alone")
    # The update is the whole course, and the whole dose: other drafts of the agent would contradict it (two day-1
    # doses), and so would the orders given with it as products of other strengths (its `parts`).
    removals = [wire.Action(type="delete", description=f"Remove {other.label}: the updated order replaces it",
                            resourceId=other.reference)
                for other in (*subject.other_drafts.get(dose.drug, ()), *ordered.parts)
                if other.reference != ordered.reference and _removable(other, subject)]
    return wire.Suggestion(
        label=label[:200],
        uuid=str(uuid.uuid4()),
        isRecommended=True,
        actions=[wire.Action(type="update", description=f"{dose.drug}: {_mg(recommended)} mg{ramp}",
                             resource=order), *removals],
    )


def _updated(dose: DoseRecommendation, subject: Subject) -> OrderedMedication:
    """The draft an update of the agent would rewrite: the one checked, or the agent's own draft beside it.

    When the one checked names other drugs too, the highest-dose draft of the agent alone that an update can rewrite
    (a MedicationRequest, by its id), if any: "venetoclax + azacitidine" beside a venetoclax 200 mg draft of a start
    had no update, or before s19 one of the order naming azacitidine, which would have given it venetoclax's doses;
    the highest one without an id left none, beside v1 70 mg. So whether only the ramp-up is missing or the dose
    must change (70 mg with posaconazole): either way the order naming other drugs still gives the agent a dose as
    written, and the card asks to replace it with those drugs alone (`_replace_text`).
    """
    ordered = subject.by_drug[dose.drug]
    if not _names_several(ordered):
        return ordered
    alone = [o for o in subject.other_drafts.get(dose.drug, ())
             if o.drugs == (dose.drug,) and _updatable(o)]
    return max(alone, key=dose_read, default=ordered)


def _removable(other: OrderedMedication, subject: Subject) -> bool:
    """Whether an update can remove a draft beside the one it updates: a MedicationRequest, by its id.

    Not one naming other drugs too: "Aza/Ven" beside a venetoclax draft was removed, its azacitidine with it.
    """
    return _updatable(other) and not _names_several(other)


def _updatable(ordered: OrderedMedication) -> bool:
    """Whether a suggestion can act on an order: a MedicationRequest, by its id (a statement or one without is not)."""
    return ordered.reference.startswith("MedicationRequest/")


def _names_several(ordered: OrderedMedication) -> bool:
    """Whether an order names several drugs ("Aza/Ven 400"): no update or removal of it is offered for one of them."""
    return len(ordered.drugs) > 1


def _avoid_suggestions(dose: DoseRecommendation, subject: Subject) -> Iterable[wire.Suggestion]:
    """Removing a drug to avoid, when it is a draft order being placed now."""
    for drug in dose.avoid_with:
        ordered = subject.by_drug.get(drug)
        if ordered is not None and drug in subject.new_drugs and _updatable(ordered):
            yield wire.Suggestion(
                label=f"Remove the {ordered.label} order"[:200], uuid=str(uuid.uuid4()),
                actions=[wire.Action(type="delete", description=f"Remove {ordered.label} (avoid with {dose.drug})",
                                     resourceId=ordered.reference)])


def _ecg_suggestion(drug: str, monitoring: Sequence[MonitoringEvent], subject: Subject) -> wire.Suggestion | None:
    ecgs = [e for e in monitoring if e.test is MonitoringTest.ECG]
    if not ecgs:
        return None
    actions = []
    for event in ecgs:
        request = _present(
            resourceType="ServiceRequest", status="draft", intent="order",
            code={"coding": [_coding(*ECG_CODE)], "text": "12-lead ECG"},
            subject={"reference": f"Patient/{subject.patient_id}"},
            encounter={"reference": f"Encounter/{subject.encounter_id}"} if subject.encounter_id else None,
            occurrenceDateTime=event.date or None,
            reasonCode=[{"text": f"{drug} monitoring ({event.label})"}],
            note=[{"text": f"{event.label}: {event.reason}"}],
        )
        on = f" on {event.date}" if event.date else ""
        actions.append(wire.Action(type="create", description=f"ECG {event.label}{on}", resource=request))
    when = ", ".join(e.date or e.label for e in ecgs)
    return wire.Suggestion(label=f"Order the ECGs for {drug}: {when}"[:200], uuid=str(uuid.uuid4()), actions=actions)


def _detected_issue_suggestion(findings: Sequence[Finding], subject: Subject) -> wire.Suggestion | None:
    if not findings:
        return None
    identified = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    actions = []
    for finding in findings:
        implicated = [subject.by_drug[d].reference for d in (finding.object_drug, finding.precipitant_drug)
                      if d in subject.by_drug and subject.by_drug[d].reference]
        urls = [subject.sources[c.source].url for c in finding.citations
                if c.source in subject.sources and subject.sources[c.source].url]
        issue = _present(
            resourceType="DetectedIssue", status="preliminary",
            code=_present(coding=[_coding(*DRUG_INTERACTION)] if finding.precipitant_drug else None,
                          text=_issue_title(finding)),
            severity=DETECTED_ISSUE_SEVERITY[finding.severity],
            patient={"reference": f"Patient/{subject.patient_id}"},
            identifiedDateTime=identified,
            author={"display": f"dosecheck (knowledge base {subject.kb_version})"},
            implicated=[{"reference": r} for r in implicated] or None,
            detail=f"{finding.recommendation} ({_cited(finding.citations)})",
            reference=urls[0] if urls else None,
        )
        actions.append(wire.Action(type="create", description=f"Record: {_issue_title(finding)}", resource=issue))
    return wire.Suggestion(label="Record the interactions in the chart (DetectedIssue)", uuid=str(uuid.uuid4()),
                           actions=actions)


def _issue_title(finding: Finding) -> str:
    """"venetoclax with posaconazole (cyp3a4 strong inhibitor): adjust dose".

    The mechanism tells apart two findings of the same drugs (gilteritinib with posaconazole: CYP3A and QT); a
    finding about several drugs together (the QT burden) names them all; one about no other drug (a QTc threshold)
    only its mechanism.
    """
    return f"{_drugs(finding)} ({_mechanisms(finding)}): {finding.action.name.replace('_', ' ').lower()}"


def _drugs(finding: Finding) -> str:
    """"venetoclax with posaconazole"; the drugs of a finding about several together; the object drug alone."""
    others = ", ".join(finding.involved) if finding.involved and not finding.precipitant_drug \
        else finding.precipitant_drug
    return f"{finding.object_drug} with {others}" if others else finding.object_drug


def _mechanisms(finding: Finding) -> str:
    return ", ".join(m.name.replace("_", " ").lower() for m in finding.mechanisms)


def _as_r4_order(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The draft order as R4 JSON, after undoing the STU3/R5 and sandbox deviations it may have.

    The model's JSON, not the order as received: the model coerces values ("1" to 1) and drops nulls.
    None when the order cannot be read as R4.
    """
    try:
        return _json(MedicationRequest.model_validate(resource))
    except ValidationError:
        pass
    fixed = dict(resource)
    dosages = fixed.get("dosageInstruction")
    if isinstance(dosages, dict):
        dosages = [dosages]
    if isinstance(dosages, list):
        fixed["dosageInstruction"] = [_r4_dosage(d) for d in dosages if isinstance(d, dict)]
    if isinstance(fixed.get("category"), dict):
        fixed["category"] = [fixed["category"]]
    medication = fixed.pop("medication", None)
    if isinstance(medication, dict):
        if isinstance(medication.get("concept"), dict):
            fixed["medicationCodeableConcept"] = medication["concept"]
        elif isinstance(medication.get("reference"), dict):
            fixed["medicationReference"] = medication["reference"]
    if isinstance(fixed.get("medicationCodeableConcept"), str):  # read as its text (fhir_in._concept_name)
        fixed["medicationCodeableConcept"] = {"text": fixed["medicationCodeableConcept"]}
    fixed.setdefault("intent", "order")
    try:
        return _json(MedicationRequest.model_validate(fixed))
    except ValidationError:
        return None


def _r4_dosage(dosage: Mapping[str, Any]) -> dict[str, Any]:
    fixed = dict(dosage)
    entries = fixed.get("doseAndRate")
    if isinstance(entries, dict):
        fixed["doseAndRate"] = [entries]
    quantity = fixed.pop("doseQuantity", None)
    if isinstance(quantity, dict) and not fixed.get("doseAndRate"):
        fixed["doseAndRate"] = [{"doseQuantity": quantity}]
    return fixed


def _dosage(template: Mapping[str, Any], dose_mg: float, sequence: int | None, text: str,
            bounds: tuple[str, dict[str, Any]] | None) -> dict[str, Any]:
    """The template's route and frequency at `dose_mg`, typed `ordered`, within `bounds` (R4 JSON)."""
    timing = template.get("timing")
    if bounds is not None:  # one step's days: the order's own bounds and count are the course's, not the step's
        repeat = {k: v for k, v in (timing or {}).get("repeat", {}).items() if k not in _COURSE_LIMITS}
        repeat[bounds[0]] = bounds[1]
        timing = _present(code=(timing or {}).get("code"), repeat=repeat)
    # Never `asNeeded`: an antineoplastic's dose, and a ramp-up's steps, are not given as needed.
    return _present(
        sequence=sequence, text=text, timing=timing, route=template.get("route"), method=template.get("method"),
        doseAndRate=[{"type": {"coding": [_coding(*ORDERED)]},
                      "doseQuantity": {"value": _decimal(dose_mg), "unit": "mg", "system": UCUM, "code": "mg"}}],
    )


_COURSE_LIMITS: Final = ("boundsPeriod", "boundsDuration", "boundsRange", "count", "countMax")
"""What of a Timing.repeat says when a dosage applies, rather than how often."""


def _from_the_start(template: Mapping[str, Any]) -> dict[str, Any]:
    """The first step of an order of several, with nothing of when it ends: its start only, if it says one."""
    timing = template.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(timing, dict) or not isinstance(repeat, dict):
        return dict(template)
    period = repeat.get("boundsPeriod")
    kept = {k: v for k, v in repeat.items() if k not in _COURSE_LIMITS}
    if isinstance(period, dict) and period.get("start"):
        kept["boundsPeriod"] = {"start": period["start"]}
    return {**template, "timing": {**timing, "repeat": kept}}


def _in_times_a_day(template: Mapping[str, Any], per_day: int) -> dict[str, Any]:
    """The dosage with its timing `per_day` times a day: nothing of the order's own (code, when, timeOfDay) left.

    But its bounds and its days of the week: the card changes how often a day the agent is given, not on which days.
    Without `dayOfWeek`, gilteritinib 120 mg twice a day on Mondays was updated to 120 mg once daily every day.
    """
    timing = template.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    bounds = {k: v for k, v in repeat.items() if k in ("boundsPeriod", "boundsDuration", "boundsRange", "dayOfWeek")} \
        if isinstance(repeat, dict) else {}
    return {**template, "timing": {"repeat": {**bounds, "frequency": per_day, "period": 1, "periodUnit": "d"}}}


def _every_day(template: Mapping[str, Any]) -> Mapping[str, Any]:
    """The dosage without its days of the week (`dayOfWeek`), as the template of a ramp-up's one-day steps."""
    timing = template.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(timing, dict) or not isinstance(repeat, dict) or "dayOfWeek" not in repeat:
        return template
    return {**template, "timing": {**timing, "repeat": {k: v for k, v in repeat.items() if k != "dayOfWeek"}}}


def _day_bounds(start: datetime.date | None, first_day: int, last_day: int | None,
                ) -> tuple[str, dict[str, Any]] | None:
    """Days of the cycle as dates when the start is known: (`boundsPeriod` or `boundsDuration`, its value).

    Without a start: one day as a duration (the sequence orders the steps), and nothing for the
    open-ended maintenance dose.
    """
    if start is None:
        return ("boundsDuration", {"value": 1, "unit": "d", "system": UCUM, "code": "d"}) \
            if last_day is not None else None
    end = (start + datetime.timedelta(days=last_day - 1)).isoformat() if last_day is not None else None
    return "boundsPeriod", _present(start=(start + datetime.timedelta(days=first_day - 1)).isoformat(), end=end)


def _source(subject: Subject) -> wire.Source:
    return wire.Source(label=f"dosecheck (knowledge base {subject.kb_version})")


def _links(dose_citations: Sequence[Citation], findings: Sequence[Finding], subject: Subject) -> list[wire.Link]:
    cited = dict.fromkeys(c.source for c in (*dose_citations, *(c for f in findings for c in f.citations)))
    return [wire.Link(label=subject.sources[s].title[:120], url=subject.sources[s].url) for s in cited
            if s in subject.sources and subject.sources[s].url]


def _fingerprint(drug: str, kind: str, summary: str, indicator: str) -> str:
    return hashlib.sha256("\x1f".join((drug, kind, summary, indicator)).encode()).hexdigest()[:32]


def _cited(citations: Sequence[Citation]) -> str:
    return "; ".join(citation_text(c) for c in citations)


def _json(resource: MedicationRequest) -> dict[str, Any]:
    dumped: dict[str, Any] = resource.model_dump(mode="json", exclude_none=True, by_alias=True)
    return dumped


def _present(**elements: Any) -> dict[str, Any]:
    """A FHIR element of the values given, leaving out those that are None (FHIR JSON has no nulls)."""
    return {name: value for name, value in elements.items() if value is not None}


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _decimal(value: float) -> int | float:
    """A FHIR decimal as the dose is written in text (`_mg`), integral values without a fraction."""
    rounded = float(_mg(value))
    return int(rounded) if rounded.is_integer() else rounded


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _on(start: datetime.date | None, day: int) -> str:
    return f" ({(start + datetime.timedelta(days=day - 1)).isoformat()})" if start else ""


def _mg(value: float) -> str:
    return f"{value:g}"


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _escape(text: str) -> str:
    """Markdown-neutral text: the knowledge base's prose must not turn into emphasis or HTML.

    No entity (`&lt;`): EHRs that show the detail as plain text would show it as such. `<=` and `>=` become
    `≤` and `≥`; a `<` that could open an HTML tag gets a space after it, which CommonMark never reads as one.
    """
    text = text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
    return _TAG_START.sub("< ", text.replace("<=", "≤").replace(">=", "≥"))
