"""The rules engine: a regimen and its co-medications -> findings, doses and monitoring (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from interactions import schedule
from interactions.knowledge_base import Agent, CompiledQtcRule, KnowledgeBase, PairRule, standard_dose_for
from interactions.model import (
    Action,
    CheckRequest,
    CheckResult,
    Citation,
    DoseRecommendation,
    FieldViolation,
    Finding,
    InvalidRequestError,
    Medication,
    MonitoringEvent,
    PatientContext,
    RampStep,
    Severity,
    UnrecognizedMedication,
)
from interactions.schema import DoseChange, citations_of
from interactions.validation import validate

# Dose arithmetic (fractions of labelled doses) is rounded to what a pharmacy can express.
DOSE_DECIMALS = 2


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one finding would do to a drug's dose, before the most restrictive one is chosen."""

    action: Action
    dose_mg: float
    ramp_up: tuple[float, ...]
    text: str
    citations: tuple[Citation, ...]


def check(kb: KnowledgeBase, request: CheckRequest) -> CheckResult:
    """Check a proposed regimen against everything else the patient takes.

    Args:
        kb: the loaded knowledge base.
        request: the regimen, the concomitant medications and what is known of the patient.

    Returns:
        Findings, one dose recommendation per regimen drug, the monitoring schedule, and every
        unrecognised name; `complete` is False when any name was unrecognised.

    Raises:
        InvalidRequestError: when the request has bad fields (every violation is listed).
    """
    start = validate(request)
    unrecognized: list[UnrecognizedMedication] = []
    regimen, unresolved_regimen = _resolve_regimen(kb, request.regimen, unrecognized)
    present = dict.fromkeys(drug for drug, _ in regimen)
    for medication in request.concomitant:
        components = kb.resolver.resolve(medication.name)
        if components is None:
            unrecognized.append(UnrecognizedMedication(medication.name, kb.resolver.suggest(medication.name)))
        else:
            present.update(dict.fromkeys(components))

    # Sorted once, so that what follows (finding, reason and citation order) never depends on input order.
    present_sorted = sorted(present)
    regimen_drugs = frozenset(drug for drug, _ in regimen)
    cycle_length = request.patient.cycle_length_days or schedule.DEFAULT_CYCLE_LENGTH_DAYS
    findings: dict[int, Finding] = {}  # keyed by identity: a rule's finding is built once at load
    doses: list[DoseRecommendation] = []
    events: list[MonitoringEvent] = []
    for drug, medication in regimen:
        agent = kb.agents.get(drug)
        if agent is None:
            doses.append(_pass_through(kb, drug, medication))
            continue
        pair_rules = [p for other in present_sorted if other != drug for p in agent.pair_rules.get(other, ())]
        qtc_rule = _matching_qtc_rule(agent, medication.held, request.patient)
        for compiled in (*pair_rules, *((qtc_rule,) if qtc_rule else ())):
            findings[id(compiled.finding)] = compiled.finding
        dose = _dose(agent, medication, regimen_drugs, pair_rules, qtc_rule)
        doses.append(dose)
        ramp_days = len(dose.ramp_up) or len(standard_dose_for(agent, regimen_drugs).ramp_up)
        protocols = [*agent.monitoring, *(p for rule in pair_rules for p in rule.monitoring),
                     *(qtc_rule.monitoring if qtc_rule else ())]
        for protocol in protocols:
            events.extend(schedule.events(drug, protocol, cycle_length, start, ramp_days))
    doses.extend(DoseRecommendation(m.name, m.dose_mg, 0.0, Action.UNSPECIFIED,
                                    "Not recognised: no dose check was possible for this name.")
                 for m in unresolved_regimen)

    ordered_findings = tuple(sorted(findings.values(), key=_finding_order))
    return CheckResult(
        request_id=request.request_id,
        findings=ordered_findings,
        doses=tuple(sorted(doses, key=lambda d: d.drug)),
        monitoring=schedule.merge(events),
        unrecognized=tuple(sorted(unrecognized, key=lambda u: u.name)),
        highest_severity=max((f.severity for f in ordered_findings), default=Severity.INFO),
        complete=not unrecognized,
        knowledge_base_version=kb.version,
    )


def _resolve_regimen(kb: KnowledgeBase, medications: Sequence[Medication],
                     unrecognized: list[UnrecognizedMedication],
                     ) -> tuple[list[tuple[str, Medication]], list[Medication]]:
    """Canonical regimen drugs with the medication each came from, and the medications not recognised.

    A drug ordered twice is an error: two dose recommendations for one drug would contradict each other.
    """
    regimen: list[tuple[str, Medication]] = []
    unresolved: list[Medication] = []
    first_index: dict[str, int] = {}
    duplicates: list[FieldViolation] = []
    for index, medication in enumerate(medications):
        components = kb.resolver.resolve(medication.name)
        if components is None:
            unrecognized.append(UnrecognizedMedication(medication.name, kb.resolver.suggest(medication.name)))
            unresolved.append(medication)
            continue
        for drug in components:
            if drug in first_index:
                duplicates.append(FieldViolation(
                    f"regimen[{index}].name", f"{drug} is already ordered as regimen[{first_index[drug]}]"))
                continue
            first_index[drug] = index
            regimen.append((drug, medication))
    if duplicates:
        raise InvalidRequestError(tuple(duplicates))
    return regimen, unresolved


def _finding_order(finding: Finding) -> tuple[str, str, int, int, str]:
    return (finding.object_drug, finding.precipitant_drug, -finding.action, finding.mechanisms[0],
            finding.recommendation)


def _pass_through(kb: KnowledgeBase, drug: str, medication: Medication) -> DoseRecommendation:
    """A regimen drug without agent rules (a partner such as azacitidine): the order stands."""
    if medication.held:
        return DoseRecommendation(drug, medication.dose_mg, 0.0, Action.HOLD,
                                  "Marked as held in the order; no rule of the knowledge base changes that.")
    note = kb.drug_by_name[drug].note
    return DoseRecommendation(drug, medication.dose_mg, medication.dose_mg, Action.CONTINUE,
                              note or "No dose rule applies to this drug; the ordered dose stands.")


def _matching_qtc_rule(agent: Agent, held: bool, patient: PatientContext) -> CompiledQtcRule | None:
    """The first QTc rule of the agent (in file order) whose every condition holds."""
    qtc, baseline = patient.qtc_ms, patient.baseline_qtc_ms
    for compiled in agent.qtc_rules:
        rule = compiled.rule
        needs_qtc = (rule.qtc_above is not None or rule.qtc_at_most is not None
                     or rule.rise_above_baseline_ms is not None or rule.recovered is not None)
        if needs_qtc and not qtc:
            continue
        if rule.if_held is not None and rule.if_held != held:
            continue
        if rule.qtc_above is not None and not qtc > rule.qtc_above:
            continue
        if rule.qtc_at_most is not None and not qtc <= rule.qtc_at_most:
            continue
        if rule.rise_above_baseline_ms is not None and not (baseline and qtc - baseline > rule.rise_above_baseline_ms):
            continue
        if rule.recovered is not None and not (
            qtc <= rule.recovered.qtc_at_most
            or (baseline and qtc - baseline <= rule.recovered.within_baseline_ms)
        ):
            continue
        return compiled
    return None


def _dose(agent: Agent, medication: Medication, regimen_drugs: frozenset[str],
          pair_rules: Iterable[PairRule], qtc_rule: CompiledQtcRule | None) -> DoseRecommendation:
    """Combine every finding on the agent into one dose: the most restrictive outcome wins."""
    standard = standard_dose_for(agent, regimen_drugs)
    ordered = medication.dose_mg or standard.dose_mg
    outcomes = [_interaction_outcome(p, ordered, standard.ramp_up) for p in pair_rules
                if p.rule.direction == "on_agent"]
    if qtc_rule is not None:
        outcomes.append(_qtc_outcome(qtc_rule, ordered, standard.ramp_up))
    elif medication.held:
        outcomes.append(_Outcome(Action.HOLD, 0.0, (), "Marked as held in the order; no QTc rule says to resume.",
                                 ()))
    assumed = "" if medication.dose_mg else f"No dose was stated; the labelled {standard.dose_mg:g} mg is assumed. "
    if not outcomes:
        return DoseRecommendation(agent.name, medication.dose_mg, ordered, Action.CONTINUE,
                                  f"{assumed}{standard.rationale}", _ramp(standard.ramp_up),
                                  citations_of(standard.citations))
    # Most restrictive first: highest action, then the lowest dose; the text breaks ties so that the
    # order of the request never changes the answer.
    outcomes.sort(key=lambda o: (-o.action, o.dose_mg, o.text))
    winner = outcomes[0]
    rationale = assumed + winner.text
    if len(outcomes) > 1:
        rationale += f" (Most restrictive of {len(outcomes)} findings on {agent.name}; all are listed.)"
    citations = tuple(dict.fromkeys(c for o in outcomes for c in o.citations))
    return DoseRecommendation(agent.name, medication.dose_mg, winner.dose_mg, winner.action, rationale,
                              _ramp(winner.ramp_up), citations)


def _interaction_outcome(pair: PairRule, ordered: float, standard_ramp: tuple[float, ...]) -> _Outcome:
    rule, finding = pair.rule, pair.finding
    if rule.action >= Action.HOLD:
        return _Outcome(rule.action, 0.0, (), finding.recommendation, finding.citations)
    if rule.dose is None:
        return _Outcome(rule.action, ordered, standard_ramp, finding.recommendation, finding.citations)
    dose = _changed(rule.dose, ordered)
    ramp = rule.ramp_up or tuple(_changed(rule.dose, step) for step in standard_ramp)
    return _Outcome(rule.action, dose, tuple(min(step, dose) for step in ramp), finding.recommendation,
                    finding.citations)


def _qtc_outcome(compiled: CompiledQtcRule, ordered: float, standard_ramp: tuple[float, ...]) -> _Outcome:
    rule, finding = compiled.rule, compiled.finding
    if rule.action >= Action.HOLD:
        return _Outcome(rule.action, 0.0, (), finding.recommendation, finding.citations)
    dose = ordered if rule.dose_mg is None else min(ordered, rule.dose_mg)
    return _Outcome(rule.action, dose, tuple(min(step, dose) for step in standard_ramp), finding.recommendation,
                    finding.citations)


def _changed(change: DoseChange, ordered: float) -> float:
    """The ordered dose after a rule's change; never above the ordered dose."""
    if change.max_mg is not None:
        return min(ordered, change.max_mg)
    if change.fraction is not None:
        return round(ordered * change.fraction, DOSE_DECIMALS)
    # A dose-reduction table: the row of the ordered dose, else of the nearest labelled dose below it.
    rows = sorted(change.table)
    below = [reduced for labelled, reduced in rows if labelled <= ordered + 0.05]
    return min(ordered, below[-1]) if below else ordered


def _ramp(steps: Sequence[float]) -> tuple[RampStep, ...]:
    return tuple(RampStep(day, dose) for day, dose in enumerate(steps, start=1))


__all__ = ["check"]
