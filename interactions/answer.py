"""The answer a caller reads: a check's result, decision first, each finding and citation given once (pure).

The engine's result has one finding per rule and other drug, each carrying its texts and
citations. The answer groups them: one finding per rule and object drug listing the drugs it found,
the engine's schedules (one per drug and monitoring protocol; two protocols of one test on the same
days are one schedule giving both reasons), citations named by id and spelt out once. Its types have
the field names of the contract's messages (`CheckRegimenResponse` and those it holds), so the
service encodes them from the descriptors alone; a citation where the contract has a citation id is
written as its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from interactions.model import (
    Action,
    CheckResult,
    Citation,
    DoseRecommendation,
    Finding,
    Mechanism,
    MonitoringSchedule,
    RampStep,
    Severity,
    UnrecognizedMedication,
    View,
)


class AnswerFinding(NamedTuple):
    """One rule on one object drug, with every other drug of the request it found (`Finding`)."""

    id: str
    rule: str
    object_drug: str
    precipitant_drugs: tuple[str, ...]
    mechanisms: tuple[Mechanism, ...]
    severity: Severity
    action: Action
    alternatives: tuple[str, ...]
    citations: tuple[Citation, ...]
    """Named by id in the answer."""
    recommendation: str


class Decision(NamedTuple):
    """What to give of one regimen drug, and the findings it rests on (`DoseRecommendation`)."""

    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float | None
    """None when not checked (an unrecognised regimen drug): the contract then leaves it out."""
    action: Action
    ramp_up: tuple[RampStep, ...]
    findings: tuple[str, ...]
    avoid_with: tuple[str, ...]
    citations: tuple[Citation, ...]
    """Named by id in the answer."""
    rationale: str


class Answer(NamedTuple):
    """The whole answer to a check (`CheckRegimenResponse`)."""

    request_id: str
    decisions: tuple[Decision, ...]
    findings: tuple[AnswerFinding, ...]
    monitoring: tuple[MonitoringSchedule, ...]
    unrecognized: tuple[UnrecognizedMedication, ...]
    highest_severity: Severity
    complete: bool
    knowledge_base_version: str
    citations: tuple[Citation, ...]
    """Every citation the answer names, once, in the order first named; empty in the BASIC view."""
    view: View
    """BASIC or FULL: which fields the contract sends."""


def answer(result: CheckResult, view: View = View.FULL) -> Answer:
    """The answer to a check, from the engine's result; everything the result says stays derivable.

    Args:
        result: what `interactions.check` returned.
        view: the view asked for; unspecified is FULL.

    Returns:
        Decisions in the result's dose order; findings grouped per rule, object drug and text (in
        the order their first member appears); the result's schedules, those of one drug and test
        on the same days merged.
    """
    findings, id_of = _grouped_findings(result.findings)
    decisions = tuple(_decision(dose, id_of) for dose in result.doses)
    schedules = _merged_schedules(result.schedules)
    view = view or View.FULL
    cited: dict[Citation, None] = {}
    if view is View.FULL:
        for group in (decisions, findings, schedules):
            for item in group:
                cited.update(dict.fromkeys(item.citations))
    return Answer(
        request_id=result.request_id,
        decisions=decisions,
        findings=findings,
        monitoring=schedules,
        unrecognized=result.unrecognized,
        highest_severity=result.highest_severity,
        complete=result.complete,
        knowledge_base_version=result.knowledge_base_version,
        citations=tuple(cited),
        view=view,
    )


_DOSE_CHANGING: frozenset[int] = frozenset({Action.ADJUST_DOSE, Action.HOLD, Action.DISCONTINUE})
"""Actions of a finding that change the agent's dose (a finding to monitor leaves it as it is)."""


def avoid_text(drug: str, avoid_with: Sequence[str], findings: Iterable[tuple[int, Iterable[str]]] = ()) -> str:
    """A decision's `avoid_with` for people, saying for which of them the dose does not change.

    Args:
        drug: the decision's drug.
        avoid_with: the other drugs to avoid or replace while it is given.
        findings: the action and the other drugs of each finding of the decision (the domain's or the
            contract's): an avoided drug that a dose-changing one names does change the dose
            (itraconazole raises ivosidenib, which lowers itraconazole).
    """
    said = f"Avoid or replace while {drug} is given: {', '.join(avoid_with)} (see the findings)"
    changed_by = {other for action, others in findings if action in _DOSE_CHANGING for other in others}
    unchanged = [other for other in avoid_with if other not in changed_by]
    if not unchanged:
        return said + "."
    if len(unchanged) < len(avoid_with):
        return f"{said}; the {drug} dose does not change for {', '.join(unchanged)}."
    return f"{said}; the {drug} dose does not change for {'it' if len(unchanged) == 1 else 'them'}."


def _grouped_findings(findings: tuple[Finding, ...]) -> tuple[tuple[AnswerFinding, ...], dict[Finding, str]]:
    """One answer finding per rule, object drug and text, and the id each engine finding went to.

    Findings of one rule differ in more than their other drug where a site narrowed an override to
    one drug or a stopped drug is still counted: those keep their own text and severity, so a group
    is keyed by them too (the rest of a finding follows from its rule).
    """
    groups: dict[tuple[str, str, str, Severity], tuple[str, list[str], Finding]] = {}
    id_of: dict[Finding, str] = {}
    for finding in findings:
        key = (finding.rule, finding.object_drug, finding.recommendation, finding.severity)
        group = groups.get(key)
        if group is None:
            group = groups[key] = (f"f{len(groups) + 1}", [], finding)
        drugs = group[1]
        if finding.involved:
            drugs.extend(finding.involved)
        elif finding.precipitant_drug and finding.precipitant_drug not in drugs:
            drugs.append(finding.precipitant_drug)
        id_of[finding] = group[0]
    grouped = tuple(
        AnswerFinding(finding_id, first.rule, first.object_drug, tuple(drugs), first.mechanisms, first.severity,
                      first.action, first.alternatives, first.citations, first.recommendation)
        for finding_id, drugs, first in groups.values())
    return grouped, id_of


def _merged_schedules(schedules: tuple[MonitoringSchedule, ...]) -> tuple[MonitoringSchedule, ...]:
    """Schedules of one drug and test on the same days as one, in first-seen order.

    Its reasons are joined and each citation given once: gilteritinib's own ECG days and those of a
    QT-prolonging co-medication are one list of ECGs.
    """
    if len({(s.drug, s.test) for s in schedules}) == len(schedules):
        return schedules  # the usual case: nothing to merge
    merged: dict[tuple[str, int, tuple[tuple[int, int], ...]], MonitoringSchedule] = {}
    for schedule in schedules:
        key = (schedule.drug, schedule.test, tuple((e.cycle, e.day) for e in schedule.events))
        first = merged.get(key)
        merged[key] = schedule if first is None else first._replace(
            citations=tuple(dict.fromkeys((*first.citations, *schedule.citations))),
            reason=f"{first.reason} {schedule.reason}" if schedule.reason not in first.reason else first.reason)
    return tuple(merged.values())


def _decision(dose: DoseRecommendation, id_of: dict[Finding, str]) -> Decision:
    """The decision; where findings set the dose, its rationale is its own words only.

    The rest of the engine's rationale is the applied finding's text, which the answer has once, and
    `findings` says which one applied (the first) and which others were weighed.
    """
    findings = tuple(dict.fromkeys(id_of[f] for f in dose.findings))
    return Decision(dose.drug, dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action, dose.ramp_up, findings,
                    dose.avoid_with, dose.citations, dose.notes.rstrip() if findings else dose.rationale)
