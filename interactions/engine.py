"""The rules engine: a regimen and its co-medications -> findings, doses and monitoring (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Final, NamedTuple

from interactions import regimen_checks, schedule
from interactions.identify import identify
from interactions.index import (
    Agent,
    AgentOutcome,
    CompiledPatientRule,
    CompiledQtcRule,
    DoseEffect,
    Duplications,
    KnowledgeBase,
    Precipitant,
    StandardDose,
    dose_effect,
    ramp_steps,
)
from interactions.model import (
    Action,
    CheckRequestLike,
    CheckResult,
    DoseRecommendation,
    FieldViolation,
    Finding,
    HoldReason,
    InvalidRequestError,
    Mechanism,
    Medication,
    MedicationLike,
    MonitoringSchedule,
    PatientLike,
    Severity,
    UnrecognizedMedication,
    UnrecognizedReason,
)
from interactions.schema import DoseChange, PatientRule
from interactions.validation import MAX_DOSE_MG, parse_date, validate

# Dose arithmetic (fractions of labelled doses) is rounded to what a pharmacy can express.
DOSE_DECIMALS = 2
# An ordered dose within this of a table's labelled dose is that dose: callers send 35.4 as
# 35.4000001 or 35.39 after unit conversions, and must not fall to the row below.
TABLE_MATCH_MG = 0.05


_FIRST = itemgetter(0)
_DIGIT: Final = re.compile(r"\d")
"""Whether an agent's name holds a number to read or compare: one search (367 ns for "venetoclax", timeit), not a
generator over its characters (1,086 ns, done twice per agent: 536 against 412 calls per 5 + 30 check, cProfile)."""
_RANK = attrgetter("rank")

# A drug the order itself marks as held, with no QTc rule to resume it, stays held.
_HELD_BY_ORDER = dose_effect(Action.HOLD, None, (), None, Finding(
    "", "", (), Severity.INFO, Action.HOLD, "Marked as held in the order, and no rule of this knowledge base resumes "
    "it for what is known: it stays held until the prescriber resumes it.", ()))


_UNDATED: Final = "the line says the order has ended but not when: counted as stopped on the day of the check"
"""A co-medication whose words say its order ended (`Reading.stopped`), no last dose given: the latest it can have
been, as the CDS Hooks adapter takes an ended order with no date, so that it counts through its whole washout."""
_EXACT: Final = "give the date of its last dose for the exact count"


NO_REGIMEN: Final = ("no regimen medication, and no targeted agent among the concomitant medications: "
                     "list the agents being ordered in regimen")
"""A request of co-medications only is checked when one of them is a targeted agent; else this error."""


def check(kb: KnowledgeBase, request: CheckRequestLike) -> CheckResult:
    """Check a proposed regimen against everything else the patient takes.

    Args:
        kb: the loaded knowledge base.
        request: the regimen, the concomitant medications and what is known of the patient (a
            domain `CheckRequest`, or anything of its shape such as the contract's message).

    Returns:
        Findings (by the regimen agent whose rule found them, then the other drug, then rule
        order), one dose recommendation per regimen drug, and per targeted agent listed among the
        concomitant medications (`_take_along`) (by name; unrecognised ones last), the
        monitoring schedule (by drug, each in schedule order), and every unrecognised name;
        `complete` is False when any name was unrecognised.

    Raises:
        InvalidRequestError: when the request has bad fields (every violation is listed).
    """
    start = validate(request)
    unrecognized: list[UnrecognizedMedication] = []
    dosed_by_name: set[str] = set()
    regimen, unresolved_regimen = _resolve_regimen(kb, request.regimen, unrecognized, dosed_by_name)
    concomitant = request.concomitant
    resolved = [_drugs_of(kb, m) for m in concomitant]
    recognised = list(filter(None, resolved))  # cheaper than `None in resolved`, which compares each tuple
    if len(recognised) < len(resolved):
        unrecognized.extend(identify(kb, m).unrecognized(m.name)
                            for m, components in zip(concomitant, resolved, strict=True) if components is None)
    ended = _ended_by_words(kb, concomitant, resolved, recognised)
    listed_again: dict[str, list[MedicationLike]] = {}
    if not kb.agents.keys().isdisjoint(chain.from_iterable(recognised)):
        _take_along(kb, concomitant, resolved, regimen, dosed_by_name, listed_again, ended)
    if not regimen and not unresolved_regimen:
        not_recognised = "; ".join(u.name for u in unrecognized)
        raise InvalidRequestError((FieldViolation(
            "regimen", NO_REGIMEN + (f" (not recognised: {not_recognised})" if not_recognised else "")),))
    regimen_drugs = frozenset(map(_FIRST, regimen))
    # The drugs present that a rule names, as one integer (bits of kb.drug_bits): ANDed with each agent's
    # instead of intersecting sets, 5 + 30 compiled 28.5 -> 26.5 µs; and with no set of them built on the way,
    # 21.7 -> 20.7 µs (bench.engine.time_checks on bench.peer's regimens, alternating runs).
    present_bits = kb.drug_bits.bits_of_numbered(chain(regimen_drugs, chain.from_iterable(recognised)))
    for joint in kb.joint_effects:
        if present_bits & joint.needed == joint.needed:
            present_bits |= joint.bit

    # Lines stopped (counted through their washout) or held by their field (counted, and said: `_held_note`).
    stopped_or_held = bool(ended) or _any_stopped_or_held(concomitant)
    stopped, undated = (_days_since_stopped(kb, concomitant, request.patient, ended) if stopped_or_held
                        else ({}, frozenset()))

    # Everything below walks sorted inputs, so the request's order never changes the answer.
    regimen.sort(key=_FIRST)
    patient = request.patient
    cycle_length = patient.cycle_length_days or schedule.DEFAULT_CYCLE_LENGTH_DAYS
    # Each (agent, precipitant, rule) has its own finding, built at load; they are gathered as the
    # precipitants' tuples and flattened once.
    finding_groups: list[tuple[Finding, ...]] = []
    highest_severity = Severity.INFO
    # A stopped drug duplicates nothing: a switch of azoles with its stop date is not two azoles (its
    # interactions still count through its washout, below).
    duplicable = present_bits & kb.duplicable
    if stopped:
        duplicable &= ~kb.drug_bits.bits_of_numbered(drug for drug in stopped if drug not in regimen_drugs)
    duplicated, avoid_duplicates = _remembered_duplications(kb, duplicable)
    held_lines: dict[str, str] | None = None  # the co-medications on hold, found once an agent has one to speak of
    doses: list[DoseRecommendation] = []
    schedules: list[MonitoringSchedule] = []
    for drug, medication in regimen:
        # An order whose words say it is on hold ("HOLD venetoclax 400 mg") is held, as if `held` said so.
        held_by_name = not medication.held and kb.resolver.read(medication.name).held
        if held_by_name:
            medication = _with_dose(medication, medication.dose_mg, held=True)
        agent = kb.agents.get(drug)
        if agent is None:
            doses.append(_pass_through(kb, drug, medication))
            continue
        interacting = agent.interacting & present_bits  # the drugs present its rules speak of
        duplicates = avoid_duplicates.get(drug, ())
        patient_rules = [rule for rule in agent.patient_rules if _patient_rule_applies(rule.rule, medication, patient)]
        qtc_rule = _matching_qtc_rule(agent, medication, patient)
        standard = standard_dose_for(agent, regimen_drugs)
        # An order given more often than the label's frequency is checked as its dose a day in that frequency.
        more_often = _more_often_than_labelled(kb, agent, medication, standard)
        ordered = medication
        if more_often is not None and more_often.dose_mg:
            medication = _with_dose(medication, more_often.dose_mg)
        washed_out: list[str] = []
        if stopped:  # a stopped drug's findings are restated per request: nothing to remember them by
            hits = _hits(kb, agent, interacting, stopped, undated)
            outcome = _agent_outcome(agent, medication, hits, duplicates, patient_rules, qtc_rule, standard,
                                     cycle_length, start)
            still = {name for name, _ in hits}
            washed_out = [name for name in kb.drug_bits.decode(interacting) if name in stopped and name not in still]
        else:
            outcome = _remembered_outcome(kb, agent, medication, interacting, duplicates, patient_rules,
                                          qtc_rule, standard, cycle_length, start)
        finding_groups.extend(outcome.finding_groups)
        highest_severity = max(highest_severity, outcome.highest_severity)
        # Said here, not in the remembered outcome: its key holds the dose, not the name it came with.
        dose, note = outcome.dose, ""
        unread = disagreeing = None
        numbered = _DIGIT.search(medication.name) is not None  # `ordered` has the same name
        if drug in dosed_by_name:
            note = f"The {ordered.dose_mg:g} mg dose is read from the name (no dose was given in its own field). "
        elif numbered and not medication.dose_mg and not standard.per_body_surface_area:
            # Dosed per m2 ("3 mg/m2"), `_dose` says the order stands with no dose in mg: asking for one in mg
            # would contradict it. Held or stopped, no dose is given: the numbers are only noted.
            if outcome.dose.action in (Action.HOLD, Action.DISCONTINUE):
                note = f"{_numbers_not_read(medication.name)}: state the dose as one amount in mg. "
            else:
                unread = _dose_not_read(agent, medication, outcome.dose, standard)
        elif numbered and ordered.dose_mg:
            disagreeing = _dose_disagrees(kb, agent, ordered, standard)
        if held_by_name:
            note += f"Read as held: {medication.name!r} says the order is on hold. "
        # Held lines are looked for only where they may be: a held field, or a drug of this agent's rules that a
        # line's words say is on hold (`held_drugs`: every line of the request has been read by now, whatever
        # identified it, so it holds the drugs of any held line here); no cost per line in any other request.
        if interacting and (stopped_or_held or (
                kb.resolver.held_drugs and not kb.resolver.held_drugs.isdisjoint(kb.drug_bits.decode(interacting)))):
            if held_lines is None:
                held_lines = _held_co_medications(kb, concomitant, resolved, ended)
            if held_lines:
                note += _held_note(kb, interacting, held_lines)
        if undated:
            note += _undated_note(kb, interacting, undated, washed_out)
        for name in washed_out:  # nothing else would say that it no longer counts, nor that a dose may go back up
            days = stopped[name]
            when = (f"{name[:1].upper()}{name[1:]}: {_UNDATED}" if name in undated else
                    f"{name[:1].upper()}{name[1:]} was stopped {days} day{'s' if days != 1 else ''} before this check")
            if all(rule.finding.object_drug == name for rule in agent.precipitants[name].rules):
                # Its rules were all on its own levels: gone because it is not given, whatever its washout, and no
                # dose of the agent was lowered for it.
                note += f"{when}; what {drug} does to it no longer matters, as it is not given. "
            else:
                note += (f"{when} and no longer counts (its washout has passed): if the {drug} dose was lowered for "
                         "it, the dose used before it may be given again. ")
        if drug in listed_again:
            # A dose above the label's most is said: only the line above is checked (gemtuzumab ozogamicin 8 mg listed
            # beside a 3 mg/m2 order went unremarked: review revS).
            lines = ", ".join(f"{line.name!r}" + (f" ({line.dose_mg:g} mg{_above(line.dose_mg, standard.maximum)})"
                                                  if line.dose_mg else "")
                              for line in sorted(listed_again[drug], key=attrgetter("name", "dose_mg")))
            note += (f"Also listed among the other medications as {lines}: checked once, at the dose above; "
                     "confirm which the patient takes. ")
        if note:
            dose = dose._replace(rationale=note + dose.rationale, notes=note + dose.notes)
        for said in (more_often.finding if more_often is not None else None, unread, disagreeing):
            if said is not None:
                finding_groups.append((said,))
                highest_severity = max(highest_severity, said.severity)
                dose = dose._replace(
                    ordered_dose_mg=ordered.dose_mg, findings=(*dose.findings, said),
                    action=Action.ADJUST_DOSE if dose.action in (Action.CONTINUE, Action.MONITOR) else dose.action)
        doses.append(dose)
        schedules.extend(outcome.schedules)
    if duplicated:
        finding_groups.append(duplicated)
        highest_severity = max(highest_severity, max(f.severity for f in duplicated))
    if kb.regimen_rules.qt_burden and not _qt_spoken_for(finding_groups):
        # Filed under the first targeted agent: its answer is the one a prescriber reads.
        owners = sorted((drug for drug, _ in regimen), key=lambda drug: (drug not in kb.agents, drug))
        burden = regimen_checks.qt_burden(kb, regimen_drugs.union(*recognised), owners, patient)
        if burden is not None:
            finding, burden_protocols = burden
            finding_groups.append((finding,))
            highest_severity = max(highest_severity, finding.severity)
            schedules.extend(schedule.agent_schedules(finding.object_drug, burden_protocols, cycle_length, start, 0))
    doses.extend(DoseRecommendation(m.name, m.dose_mg, None, Action.UNSPECIFIED,
                                    "Not recognised, so not checked: there is no dose to recommend for this name.")
                 for m in sorted(unresolved_regimen, key=attrgetter("name")))

    return CheckResult(
        request_id=request.request_id,
        findings=tuple(chain.from_iterable(finding_groups)),
        doses=tuple(doses),
        schedules=tuple(schedules),
        unrecognized=tuple(sorted(unrecognized, key=attrgetter("name"))),
        highest_severity=highest_severity,
        complete=not unrecognized,
        knowledge_base_version=kb.version,
    )


def _resolve_regimen(kb: KnowledgeBase, medications: Sequence[MedicationLike],
                     unrecognized: list[UnrecognizedMedication], dosed_by_name: set[str],
                     ) -> tuple[list[tuple[str, MedicationLike]], list[MedicationLike]]:
    """Canonical regimen drugs with the medication each came from, and the medications not recognised.

    A drug ordered twice is an error (two dose recommendations for one drug would contradict each
    other), and so is one dose for a combination product (it cannot be split between its drugs). A
    regimen named with one dose (Aza/Ven 400 mg) is not a product: the dose is that of its one
    targeted agent, and its other drugs' doses are unstated. An agent's line without a dose whose name
    states one ("venetoclax 800 mg PO daily") takes it, its drug added to `dosed_by_name`.
    """
    regimen: list[tuple[str, MedicationLike]] = []
    unresolved: list[MedicationLike] = []
    first_index: dict[str, int] = {}
    violations: list[FieldViolation] = []
    for index, medication in enumerate(medications):
        components = _drugs_of(kb, medication)
        if components is None:
            unrecognized.append(identify(kb, medication).unrecognized(medication.name))
            unresolved.append(medication)
            continue
        ended = "" if kb.resolver.stopped_drugs.isdisjoint(components) else kb.resolver.read(medication.name).stopped
        if ended:
            # Ordered and ended at once: neither given at its dose nor stopped is the safer guess for the agent.
            unrecognized.append(UnrecognizedMedication(medication.name, components, UnrecognizedReason.UNKNOWN, (), (
                f"{ended!r}: the order says it has ended, yet it is in the regimen being ordered: whether it is given "
                "is not guessed; order it without that word, or list it among the other medications with the date "
                "of its last dose")))
            unresolved.append(medication)
            continue
        # Every drug the line names takes its order, but for a named regimen's one dose, its agent's alone
        # (no dict per line: 5 + 30 compiled 21.6 -> 20.7 µs, bench.engine.time_checks, alternating runs).
        dosed_agent, others = "", medication
        agent = _line_agent(kb, medication, components)
        stated = _dose_from_name(kb, medication, agent)
        if stated is not None and agent is not None:
            dosed_agent, medication = agent, stated
            dosed_by_name.add(agent)
            others = _with_dose(medication, 0.0) if len(components) > 1 else medication
        elif len(components) > 1 and medication.dose_mg:
            if agent is None:
                violations.append(FieldViolation(
                    f"regimen[{index}].dose_mg",
                    f"one dose for a product of several drugs ({', '.join(components)}) cannot be split between "
                    "them: list each drug with its own dose"))
                continue
            dosed_agent, others = agent, _with_dose(medication, 0.0)
        for drug in components:
            if drug in first_index:
                violations.append(FieldViolation(
                    f"regimen[{index}].name", f"{drug} is already ordered as regimen[{first_index[drug]}]"))
                continue
            first_index[drug] = index
            regimen.append((drug, medication if drug == dosed_agent else others))
    if violations:
        raise InvalidRequestError(tuple(violations))
    return regimen, unresolved


def _dosed_agent(kb: KnowledgeBase, medication: MedicationLike, components: tuple[str, ...]) -> str | None:
    """The agent a line of several drugs gives its one dose to: a named regimen's one agent (Aza/Ven 400).

    None for anything else (a product, a regimen of two agents): its dose cannot be split between its drugs.
    """
    agents = [drug for drug in components if drug in kb.agents]
    return agents[0] if len(agents) == 1 and kb.resolver.read(medication.name).regimen else None


class LineDose(NamedTuple):
    """How the engine reads the dose of one line naming a drug of the knowledge base (`line_dose`)."""

    agent: str | None
    """The targeted agent the line's one dose is for: its one drug, or a named regimen's one agent ("Aza/Ven")."""
    named_mg: float | None
    """The dose for `agent` its name states when the line gives no dose ("Aza/Ven 400", not "Venclexta 100")."""
    unsplit: bool
    """Whether it names several drugs and none of them takes its one dose: a dose in mg cannot be split."""


def line_dose(kb: KnowledgeBase, medication: MedicationLike) -> LineDose | None:
    """How `check` reads the dose of a regimen line alone; None when it names no drug the knowledge base knows.

    For an adapter that must compare a line's dose with other orders, or keep a dose that cannot be split out of
    the request, before the check: the same reading as `_resolve_regimen`'s, not a second one.
    """
    components = _drugs_of(kb, medication)
    if components is None:
        return None
    agent = _line_agent(kb, medication, components)
    stated = _dose_from_name(kb, medication, agent)
    return LineDose(agent, None if stated is None else stated.dose_mg, len(components) > 1 and agent is None)


def _line_agent(kb: KnowledgeBase, medication: MedicationLike, components: tuple[str, ...]) -> str | None:
    """The targeted agent a line's one dose is for: its one drug, or a named regimen's one agent (`_dosed_agent`)."""
    if len(components) == 1:
        return components[0] if components[0] in kb.agents else None
    return _dosed_agent(kb, medication, components)


def _dose_from_name(kb: KnowledgeBase, medication: MedicationLike, agent: str | None) -> Medication | None:
    """An agent's order with no dose of its own, at the dose its name states (`agent`: `_line_agent`).

    "venetoclax 800 mg PO daily", "Aza/Ven 400". None when the order gives a dose or a code (a coded
    product's display is its strength), names no single agent, or its name states no dose that can be
    told from a product's strength (`MedicationReader.stated_dose`): below the agent's smallest strength
    ("quizartinib 2"), or one of its strengths with nothing saying how often ("Venclexta 100", "Xospata
    40 mg": the tablet, not the dose).
    """
    if medication.dose_mg:
        return None
    named = _named_dose(kb, medication, agent)
    return None if named is None else _with_dose(medication, named)


def _named_dose(kb: KnowledgeBase, medication: MedicationLike, agent: str | None) -> float | None:
    """The dose in mg an agent's order states in its name, whatever its dose field says (see `_dose_from_name`)."""
    if agent is None or medication.coding:
        return None
    stated = kb.resolver.stated_dose(medication.name)
    if stated is None or not 0 < stated.mg <= MAX_DOSE_MG:
        return None
    if stated.per_day and any((standard.doses_per_day or 1) > 1 for standard in kb.agents[agent].standard_doses):
        return None  # "midostaurin 100 mg/day": the label's 50 mg twice a day, or 100 mg twice? Not divided unsaid
    strengths = kb.agents[agent].product_strengths
    if stated.total:
        return stated.mg
    if stated.with_form and not strengths:
        return None  # beside a dose form, a number may be a strength: none is known to tell it from a dose
    if strengths and (stated.mg < strengths[0] - TABLE_MATCH_MG or (
            (stated.with_form or not stated.with_frequency)
            and any(abs(stated.mg - strength) <= TABLE_MATCH_MG for strength in strengths))):
        return None
    return stated.mg


def _take_along(kb: KnowledgeBase, concomitant: Sequence[MedicationLike],
                resolved: Sequence[tuple[str, ...] | None], regimen: list[tuple[str, MedicationLike]],
                dosed_by_name: set[str], listed_again: dict[str, list[MedicationLike]], ended: frozenset[int],
                ) -> None:
    """Adds to `regimen` the targeted agents listed among the other medications.

    A patient already on venetoclax, sent among "everything else" beside a new azacitidine order, is
    still checked with its rules and given its dose: an agent's interactions are never skipped for the
    list it came in. One already in the regimen, listed again, is not taken twice (the lines left out go
    to `listed_again` by agent, for its decision to name); a stopped one (its `stopped_on`, or its words:
    `ended`) stays a stopped co-medication. A named regimen (Aza/Ven 400) comes with its backbone, its one
    dose its agent's, as in the regimen; a backbone listed alone stays a co-medication (it may be a past
    course, and would choose the agent's labelled dose).
    """
    taken = {drug for drug, _ in regimen}
    agents = kb.agents
    candidates: list[tuple[MedicationLike, tuple[str, ...], str | None, bool]] = []
    for at, (medication, components) in enumerate(zip(concomitant, resolved, strict=True)):
        if components is None or medication.stopped_on or at in ended:
            continue
        its_agents = [drug for drug in components if drug in agents]
        if not its_agents or _listed_again(taken, its_agents, medication, listed_again):
            continue
        beside = len(its_agents) < len(components) and not kb.resolver.read(medication.name).regimen
        if beside:
            # An agent written beside the drugs it is taken with ("venetoclax 70 mg w/ posaconazole"): the agent is
            # checked (it was left unchecked, the answer complete), the others stay co-medications, and the dose its
            # name writes is no one drug's ("venetoclax w/ posaconazole 300 mg"); a dose field is the dose checked,
            # as the contract says (it was dropped: 'venetoclax 70 mg PO daily w/ posaconazole', 70 mg, read 0 mg).
            medication, components = _with_dose(medication, medication.dose_mg), tuple(its_agents)
        dosed = None if beside else _line_agent(kb, medication, components)
        stated = _dose_from_name(kb, medication, dosed)
        candidates.append((medication if stated is None else stated, components, dosed, stated is not None))
    # One agent listed twice is taken at its highest dose, whatever the order of the list.
    candidates.sort(key=lambda candidate: (-candidate[0].dose_mg, candidate[0].name))
    for medication, components, dosed, by_name in candidates:
        if _listed_again(taken, [drug for drug in components if drug in agents], medication, listed_again):
            continue
        if by_name and dosed is not None:
            dosed_by_name.add(dosed)
        undosed = _with_dose(medication, 0.0) if len(components) > 1 else medication
        regimen.extend((drug, medication if drug == dosed else undosed) for drug in components if drug not in taken)
        taken.update(components)


def _above(dose_mg: float, maximum: float) -> str:
    """", above the label's 4.5 mg" for a dose above the label's most in force, else ""."""
    return f", above the label's {maximum:g} mg" if dose_mg > maximum else ""


def _listed_again(taken: set[str], its_agents: list[str], medication: MedicationLike,
                  listed_again: dict[str, list[MedicationLike]]) -> bool:
    """Whether the line names an agent taken already; if so it goes to `listed_again` under each such agent."""
    again = taken.intersection(its_agents)
    for drug in again:
        listed_again.setdefault(drug, []).append(medication)
    return bool(again)


OUTCOMES_REMEMBERED = 512
"""Outcomes kept per agent, then forgotten all at once: the same few combinations recur across requests.
About 1.4 KB each (tracemalloc over 10,000 of the benchmark's audit rows), so at most about 0.7 MB per
agent. As many combinations of duplicated drugs are kept. 200 requests of 5 + 30 keep at most 119 per
agent; 1024 let each server worker grow by about 5 MB more under the benchmark's load (README, RSS)."""


def forget(kb: KnowledgeBase) -> None:
    """Empties everything the engine remembers of earlier checks (the next ones work everything out again)."""
    kb.duplications_found.clear()
    for agent in kb.agents.values():
        agent.outcomes.clear()


def _remembered_duplications(kb: KnowledgeBase, duplicable: int) -> Duplications:
    """The duplication findings of the duplicable drugs present (bits of `kb.drug_bits`), remembered by them.

    Worked out (in pure Python) on every check, they made a 5 + 30 check 27.2 µs instead of 20.7, compiled
    (bench.engine.time_checks on bench.peer's regimens, alternating runs).
    """
    remembered = kb.duplications_found
    found = remembered.get(duplicable)
    if found is None:
        findings = tuple(regimen_checks.duplications(kb, set(kb.drug_bits.decode(duplicable))))
        # A duplicate to avoid is named on each regimen agent of its class, as an inducer to avoid is.
        avoid_with: dict[str, tuple[str, ...]] = {}
        for finding in findings:
            if finding.action is Action.AVOID_COMBINATION:
                for drug in finding.involved:
                    avoid_with[drug] = (*avoid_with.get(drug, ()), *(d for d in finding.involved if d != drug))
        found = Duplications(findings, avoid_with)
        if len(remembered) >= OUTCOMES_REMEMBERED:
            remembered.clear()
        remembered[duplicable] = found
    return found


def _remembered_outcome(kb: KnowledgeBase, agent: Agent, medication: MedicationLike, interacting: int,
                        duplicates: tuple[str, ...], patient_rules: list[CompiledPatientRule],
                        qtc_rule: CompiledQtcRule | None, standard: StandardDose, cycle_length: int,
                        start: date | None) -> AgentOutcome:
    """`_agent_outcome` with nothing stopped, remembered by everything it reads.

    The other drugs present that its rules speak of are keyed as their bits: with none stopped, which
    they are decides what the rules say of them. The rules found are keyed by identity: they are built
    at load and owned by the agent, as the memory is, so an identity is never reused while it is kept.
    A 5 + 30 check with catalogue names, compiled: 80 -> 44 µs median (bench.engine, alternating runs;
    77 µs when nothing is remembered).
    """
    key = (interacting, duplicates, medication.dose_mg, medication.treatment_day, medication.held, cycle_length,
           start, id(standard), id(qtc_rule), *map(id, patient_rules))
    remembered = agent.outcomes
    outcome = remembered.get(key)
    if outcome is None:
        outcome = _agent_outcome(agent, medication, _hits(kb, agent, interacting, {}), duplicates, patient_rules,
                                 qtc_rule, standard, cycle_length, start)
        if len(remembered) >= OUTCOMES_REMEMBERED:
            remembered.clear()
        remembered[key] = outcome
    return outcome


def _hits(kb: KnowledgeBase, agent: Agent, interacting: int, stopped: dict[str, int],
          undated: frozenset[str] = frozenset()) -> list[tuple[str, Precipitant]]:
    """What the agent's rules say of each other drug present (`interacting`, bits of `kb.drug_bits`), by name.

    A stopped drug's say it as its washout leaves it; `undated`: as `_days_since_stopped`.
    """
    hits = []
    for name in kb.drug_bits.decode(interacting):
        hit = agent.precipitants[name]
        if name in stopped:
            spec = kb.drug_by_name.get(name)  # None for drugs acting together, named as their pair
            lingering = spec.acts_after_stop if spec and stopped[name] <= (spec.acts_after_stop_days or 0) else ""
            kept = _within_washout(hit, name, stopped[name], lingering, name in undated)
        else:
            kept = hit
        if kept is not None:
            hits.append((name, kept))
    return hits


def _agent_outcome(agent: Agent, medication: MedicationLike, named_hits: list[tuple[str, Precipitant]],
                   duplicates: tuple[str, ...], patient_rules: list[CompiledPatientRule],
                   qtc_rule: CompiledQtcRule | None, standard: StandardDose, cycle_length: int,
                   start: date | None) -> AgentOutcome:
    """Combine the rules found for one agent into its findings, dose and monitoring.

    Args:
        agent: the agent.
        medication: its order.
        named_hits: each other drug present that its rules speak of, by name, with what they say.
        duplicates: the drugs present that duplicate its class and are to be avoided.
        patient_rules: its patient rules whose every condition holds, in file order.
        qtc_rule: its first QTc rule that matches, if any.
        standard: the labelled dose in force.
        cycle_length: days per cycle.
        start: day 1 of cycle 1, if known.
    """
    hits = [hit for _, hit in named_hits]
    # The other drugs to avoid while it is given: its rules say so, or they duplicate its class.
    avoid_with = [name for name, hit in named_hits if hit.to_avoid] + list(duplicates)
    finding_groups: list[tuple[Finding, ...]] = [hit.findings for hit in hits]
    effects = [effect for hit in hits for effect in hit.effects_on_agent]
    protocols = agent.monitoring + tuple(dict.fromkeys(p for hit in hits for p in hit.protocols))
    highest_severity = max((hit.severity for hit in hits), default=Severity.INFO)
    for patient_rule in patient_rules:
        finding_groups.append((patient_rule.finding,))
        highest_severity = max(highest_severity, patient_rule.finding.severity)
        effects.append(patient_rule.effect)
        protocols += patient_rule.monitoring
    if qtc_rule is not None:
        finding_groups.append((qtc_rule.finding,))
        highest_severity = max(highest_severity, qtc_rule.finding.severity)
        effects.append(qtc_rule.effect)
        protocols += qtc_rule.monitoring
    above_label = standard.above_label
    # An order above the label's maximum for the regimen is flagged, held or not: the hold wins the dose,
    # and whoever resumes the order must still hear that its dose is above the label.
    # Below it, one at none of the label's doses is to be confirmed (gilteritinib 100 mg: 120 or 80 mg).
    dose_mg = medication.dose_mg
    flagged = None
    if above_label is not None and dose_mg > standard.maximum + TABLE_MATCH_MG:
        flagged = above_label
    elif agent.off_level is not None and dose_mg and all(abs(dose_mg - level) > TABLE_MATCH_MG
                                                         for level in agent.dose_levels):
        flagged = agent.off_level
    if flagged is not None:
        finding_groups.append((flagged.finding,))
        highest_severity = max(highest_severity, flagged.finding.severity)
        effects.append(flagged)
    # Only a rule written for a held drug may resume it; any other rule is about a running one.
    held_by_order = medication.held and (qtc_rule is None or qtc_rule.rule.if_held is not True)
    dose = _dose(agent, medication, standard, effects, held_by_order, tuple(dict.fromkeys(avoid_with)))
    # Ramp-up labs follow the ramp-up in force: none while the drug is held or to be avoided.
    return AgentOutcome(tuple(finding_groups), highest_severity, dose,
                        schedule.agent_schedules(agent.name, protocols, cycle_length, start, len(dose.ramp_up)))


def _with_dose(medication: MedicationLike, dose_mg: float, held: bool = False) -> Medication:
    """The order with another dose, held if `held`, and without its coding (its drugs are identified already).

    0 for a regimen's partner named with the regimen (the order's dose is its agent's, so the partner's is
    unstated), or the dose an agent's name states; held when its name says it is on hold.
    """
    return Medication(medication.name, dose_mg, medication.frequency, medication.held or held, (),
                      HoldReason(medication.hold_reason), medication.qtc_at_hold_ms, medication.treatment_day,
                      medication.stopped_on)


def _drugs_of(kb: KnowledgeBase, medication: MedicationLike) -> tuple[str, ...] | None:
    """The drugs a medication names; a coded one is identified by code and name together."""
    if medication.coding:
        return identify(kb, medication).drugs or None
    # By exact string, looked up here with no call: 61 -> 58 µs per 5 + 30 check with catalogue names (bench.engine).
    drugs = kb.resolver.resolved.get(medication.name)
    if drugs is None:
        return kb.resolver.resolve(medication.name)
    return drugs or None


def _qt_spoken_for(finding_groups: list[tuple[Finding, ...]]) -> bool:
    """Whether an agent's own QT rule already answered for the regimen (then no QT-burden finding)."""
    for group in finding_groups:
        for finding in group:
            if Mechanism.QT_PROLONGATION in finding.mechanisms:
                return True
    return False


def _patient_rule_applies(rule: PatientRule, medication: MedicationLike, patient: PatientLike) -> bool:
    """Every condition of the rule holds; a value the request does not give never satisfies one."""
    if rule.child_pugh and patient.child_pugh not in rule.child_pugh:
        return False
    bilirubin = patient.bilirubin_uln
    if rule.bilirubin_uln_above is not None and not (bilirubin and bilirubin > rule.bilirubin_uln_above):
        return False
    ceiling = rule.transaminases_uln_at_most
    if ceiling is not None and not (patient.ast_uln and patient.alt_uln
                                    and patient.ast_uln <= ceiling and patient.alt_uln <= ceiling):
        return False
    above = rule.transaminases_uln_above
    if above is not None and not (patient.ast_uln > above or patient.alt_uln > above):
        return False
    missing = rule.transaminases_missing
    if missing is not None and missing != (not (patient.ast_uln and patient.alt_uln)):
        return False
    low_k, low_mg = rule.potassium_below, rule.magnesium_below
    if (low_k is not None or low_mg is not None) and not (
            (low_k is not None and 0 < patient.potassium_mmol_l < low_k)
            or (low_mg is not None and 0 < patient.magnesium_mmol_l < low_mg)):
        return False
    if rule.crcl_below is not None and not 0 < patient.creatinine_clearance_ml_min < rule.crcl_below:
        return False
    wbc = patient.wbc_10e9_l
    if rule.wbc_at_least is not None and not (wbc and wbc >= rule.wbc_at_least):
        return False
    if rule.wbc_above is not None and not (wbc and wbc > rule.wbc_above):
        return False
    if rule.congenital_long_qt is not None and rule.congenital_long_qt != patient.congenital_long_qt:
        return False
    return _fits_the_day(rule.on_first_day, medication)


def _fits_the_day(on_first_day: bool | None, medication: MedicationLike) -> bool:
    """Whether a rule for the start (True) or for a running order (False) is for this order; None: for any."""
    return on_first_day is None or on_first_day == (medication.treatment_day == 1)


def _held_co_medications(kb: KnowledgeBase, concomitant: Sequence[MedicationLike],
                         resolved: Sequence[tuple[str, ...] | None], ended: frozenset[int]) -> dict[str, str]:
    """Drugs every line of which is on hold and not stopped -> those lines, quoted ("'posaconazole ... on hold'").

    A line is on hold by its `held` field or its words (`Reading.held`), read again only for a line naming a drug
    some line's words have held (`MedicationReader.held_drugs`): its name, whatever identified its drugs.
    """
    held_drugs, read = kb.resolver.held_drugs, kb.resolver.read
    # A stopped line is counted through its washout, and says so (`washed_out`).
    held_at = [at for at, medication in enumerate(concomitant) if resolved[at] and not medication.stopped_on and (
        medication.held or (not held_drugs.isdisjoint(resolved[at] or ()) and read(medication.name).held))]
    if not held_at:
        return {}
    lines: dict[str, list[str]] = {}
    for at in held_at:
        for drug in resolved[at] or ():
            lines.setdefault(drug, []).append(repr(concomitant[at].name))
    # A drug also on a line that is not held is taken: nothing to say.
    taken = {drug for at, drugs in enumerate(resolved)
             if drugs and at not in held_at and not concomitant[at].stopped_on and at not in ended for drug in drugs}
    return {drug: ", ".join(quoted) for drug, quoted in lines.items() if drug not in taken}


def _held_note(kb: KnowledgeBase, interacting: int, held: dict[str, str]) -> str:
    """What an agent's decision says of the held co-medications its rules speak of (`interacting`): still counted."""
    note = ""
    for name in kb.drug_bits.decode(interacting):
        if name in held:
            # Counted, the cautious choice: a hold may be lifted at any dose, and the drug acts through its washout.
            note += (f"{name[:1].upper()}{name[1:]} is listed as on hold ({held[name]}) and is still counted: a hold "
                     "may end, and it acts until its washout has passed. If it has been stopped, give the date of its "
                     "last dose so that its washout is counted. ")
    return note


def _any_stopped_or_held(medications: Sequence[MedicationLike]) -> bool:
    # A plain loop, as in validation._all_plausible: a third cheaper than any() over a generator; the held field
    # read in the same loop costs nothing measurable (30 lines: 1.69 -> 1.55 µs, within noise, timeit).
    for medication in medications:  # noqa: SIM110
        if medication.stopped_on or medication.held:
            return True
    return False


def _ended_by_words(kb: KnowledgeBase, concomitant: Sequence[MedicationLike],
                    resolved: Sequence[tuple[str, ...] | None], recognised: list[tuple[str, ...]]) -> frozenset[int]:
    """The co-medication lines whose words say the order has ended (`Reading.stopped`), by position.

    Not a line whose own field says when (`stopped_on`: the words agree, the date is exact) or that it is on hold
    (`held`, counted in full). Lines are read again only when a drug of the request was ever read as ended
    (`MedicationReader.stopped_drugs`, as `_held_co_medications` does for held lines).
    """
    stopped_drugs = kb.resolver.stopped_drugs
    if not stopped_drugs or stopped_drugs.isdisjoint(chain.from_iterable(recognised)):
        return frozenset()
    read = kb.resolver.read
    return frozenset(at for at, medication in enumerate(concomitant) if resolved[at] and not medication.stopped_on
                     and not medication.held and not stopped_drugs.isdisjoint(resolved[at] or ())
                     and read(medication.name).stopped)


def _days_since_stopped(kb: KnowledgeBase, concomitant: Sequence[MedicationLike], patient: PatientLike,
                        ended: frozenset[int]) -> tuple[dict[str, int], frozenset[str]]:
    """Drugs every line of which is stopped -> days since the most recent last dose; and the undated ones.

    Undated: counted from the day of the check because a line's words say it ended, not when (`ended`: 0 days,
    `_UNDATED`). Drugs acting together (`kb.joint_effects`) are there too, by the pair's name: days since the first
    of them was stopped. Without the day of the check (patient.as_of_date) no last dose can be counted: validation
    refuses a stop date then; a line ended by its words needs none. A last dose after the day of the check (a
    planned end) is still taken.
    """
    as_of = parse_date(patient.as_of_date, "patient.as_of_date")[0]
    if as_of is None and not ended:
        return {}, frozenset()
    taken: set[str] = set()
    days: dict[str, int] = {}
    undated: set[str] = set()
    for at, medication in enumerate(concomitant):
        drugs = _drugs_of(kb, medication) or ()
        if at in ended:
            undated.update(drugs)
            since = 0
        else:
            last_dose = parse_date(medication.stopped_on, "stopped_on")[0]
            if last_dose is None or as_of is None:
                taken.update(drugs)
                continue
            since = (as_of - last_dose).days
            if since < 0:  # a last dose still to come (a planned end): taken on the day of the check
                taken.update(drugs)
                continue
        for drug in drugs:
            days[drug] = min(days.get(drug, since), since)
    stopped = {drug: since for drug, since in days.items() if drug not in taken}
    for joint in kb.joint_effects:
        # Drugs acting together stopped doing so when the first of them was stopped.
        if since_joint := [stopped[drug] for drug in joint.drugs if drug in stopped]:
            stopped[joint.name] = max(since_joint)
            if undated.issuperset(drug for drug in joint.drugs if drug in stopped):
                undated.add(joint.name)
    return stopped, frozenset(undated.intersection(stopped))


def _within_washout(hit: Precipitant, drug: str, since: int, acts_after_stop: str, undated: bool,
                    ) -> Precipitant | None:
    """What the rules about a stopped drug still say `since` days after its last dose.

    A rule on the agent with a washout stops applying once the washout has passed; one without (no source
    gives it) still applies, the conservative reading, and so does every rule on a drug that acts long after
    it is stopped, while it does (`acts_after_stop`, for `acts_after_stop_days`: amiodarone, whose
    interactions outlast the 2-3 days of venetoclax's label). A rule on the stopped drug itself (the agent
    lowers an azole's levels) no longer applies: it is not given. The findings that still apply say so; `undated`:
    that the day is the check's because the line's words say it ended, not when (`_UNDATED`), and where a last dose
    would change the count, to give it.
    """
    kept = tuple(rule for rule in hit.rules if rule.finding.object_drug != drug and (
        acts_after_stop or rule.washout_days is None or since <= rule.washout_days))
    if not kept:
        return None
    stopped = (f" ({_UNDATED[:1].upper()}{_UNDATED[1:]}, and still counted" if undated
               else f" (Stopped {since} day{'s' if since != 1 else ''} before this check: still counted")
    exact = f"; {_EXACT}" if undated else ""
    return Precipitant.of(tuple(rule.restated(
        f"{stopped}: {acts_after_stop}{exact}.)" if acts_after_stop
        else f"{stopped} until its washout of {rule.washout_days} days has passed{exact}.)"
        if rule.washout_days is not None
        else f"{stopped}: this knowledge base's sources give no number of days after which it stops acting; "
             "judge from this finding's own words when the previous dose may be given again.)")
        for rule in kept))


def _undated_note(kb: KnowledgeBase, interacting: int, undated: frozenset[str], washed_out: list[str]) -> str:
    """What an agent's decision says of the drugs its rules speak of (`interacting`) ended by their words (`undated`).

    Only those still counted: the `washed_out` ones are said with the others washed out.
    """
    note = ""
    for name in kb.drug_bits.decode(interacting):
        if name in undated and name not in washed_out:
            note += f"{name[:1].upper()}{name[1:]}: {_UNDATED}, through its washout; {_EXACT}. "
    return note


def _pass_through(kb: KnowledgeBase, drug: str, medication: MedicationLike) -> DoseRecommendation:
    """A regimen drug without agent rules (a partner such as azacitidine): the order stands."""
    if medication.held:
        return DoseRecommendation(drug, medication.dose_mg, 0.0, Action.HOLD,
                                  "Marked as held in the order; no rule of the knowledge base changes that.")
    note = kb.drug_by_name[drug].note
    if not medication.dose_mg:  # nothing to recommend: never a dose of 0 a client could give
        return DoseRecommendation(drug, 0.0, None, Action.CONTINUE, note or (
            "No dose was ordered and no dose rule applies to this drug: its order stands as written."))
    return DoseRecommendation(drug, medication.dose_mg, medication.dose_mg, Action.CONTINUE,
                              note or "No dose rule applies to this drug; the ordered dose stands.")


def _matching_qtc_rule(agent: Agent, medication: MedicationLike, patient: PatientLike) -> CompiledQtcRule | None:
    """The first QTc rule of the agent (in file order) whose every condition holds."""
    qtc, baseline, held = patient.qtc_ms, patient.baseline_qtc_ms, medication.held
    at_hold = medication.qtc_at_hold_ms
    for compiled in agent.qtc_rules:
        rule = compiled.rule
        if compiled.needs_qtc and not qtc:
            continue
        if rule.if_held is not None and rule.if_held != held:
            continue
        if compiled.hold_reasons and medication.hold_reason not in compiled.hold_reasons:
            continue
        if rule.qtc_at_hold_above is not None and not (at_hold and at_hold > rule.qtc_at_hold_above):
            continue
        if rule.qtc_at_hold_at_most is not None and not (at_hold and at_hold <= rule.qtc_at_hold_at_most):
            continue
        if rule.qtc_above is not None and not qtc > rule.qtc_above:
            continue
        if rule.qtc_at_most is not None and not qtc <= rule.qtc_at_most:
            continue
        if rule.qtc_below is not None and not qtc < rule.qtc_below:
            continue
        if rule.rise_above_baseline_ms is not None and not (baseline and qtc - baseline > rule.rise_above_baseline_ms):
            continue
        if rule.recovered is not None and not (
            qtc <= rule.recovered.qtc_at_most
            or (baseline and qtc - baseline <= rule.recovered.within_baseline_ms)
        ):
            continue
        if rule.on_days and patient.qtc_day and patient.qtc_day not in rule.on_days:
            continue
        if rule.ordered_dose_at_most is not None and not (
                medication.dose_mg and medication.dose_mg <= rule.ordered_dose_at_most + TABLE_MATCH_MG):
            continue
        if not _fits_the_day(rule.on_first_day, medication):
            continue
        return compiled
    return None


def _dose_not_read(agent: Agent, medication: MedicationLike, dose: DoseRecommendation,
                   standard: StandardDose) -> Finding:
    """The finding for an agent's order whose name holds numbers none of which could be read as its dose.

    The order states a dose that is not known ("VENETOCLAX 100 MG TAB" may be four tablets): the dose checked is
    the one recommended, never passed as the order's own.
    """
    recommended = f"{dose.recommended_dose_mg:g} mg" if dose.recommended_dose_mg else "the labelled dose"
    return Finding(agent.name, "", (Mechanism.LABELLED_DOSE,), Severity.MODERATE, Action.ADJUST_DOSE, (
        f"{_numbers_not_read(medication.name)}: the ordered dose is not known, and {recommended} is the dose to give "
        "unless the prescriber confirms another. State the dose as one amount in mg."), standard.citations,
        rule=f"{agent.name}/dose-not-read")


def _dose_disagrees(kb: KnowledgeBase, agent: Agent, medication: MedicationLike,
                    standard: StandardDose) -> Finding | None:
    """The finding for an agent's order whose name states another dose than its dose field, else None.

    "VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily" sent with 100 mg (the tablet's strength) in the
    field: the field is the dose checked, as the contract says, but one of the two is wrong and which is not
    guessed. A count written after the mass ("100 mg tab x4", left unread as a dose) is compared as its product.
    """
    components = kb.resolver.read(medication.name).drugs
    if not components or _line_agent(kb, medication, components) != agent.name:
        return None  # the dose is not this agent's alone (a product, two agents)
    named = _named_dose(kb, medication, agent.name)
    if named is None and not medication.coding:
        named = kb.resolver.multiplied_dose(medication.name)
    if named is None or abs(named - medication.dose_mg) <= TABLE_MATCH_MG:
        return None
    return Finding(agent.name, "", (Mechanism.LABELLED_DOSE,), Severity.MAJOR, Action.ADJUST_DOSE, (
        f"The dose field says {medication.dose_mg:g} mg but the name {medication.name!r} says {named:g} mg: the "
        f"order was checked at {medication.dose_mg:g} mg (the dose field). Confirm the dose with the prescriber "
        f"and correct the order. {standard.rationale}"), standard.citations, rule=f"{agent.name}/dose-disagrees")


def _numbers_not_read(name: str) -> str:
    return (f"The numbers of {name!r} are not read as its dose (a tablet's strength, a course, several doses or a "
            "ratio may be meant)")


class _MoreOften(NamedTuple):
    """An order given more times a day than its label: the dose it is checked as, and the finding saying so."""

    dose_mg: float
    """0 for an order without a dose: the labelled dose is assumed, as for any."""
    finding: Finding


_TIMES: Final = {1: "once", 2: "twice", 3: "three times", 4: "four times"}


def _more_often_than_labelled(kb: KnowledgeBase, agent: Agent, medication: MedicationLike,
                              standard: StandardDose) -> _MoreOften | None:
    """An agent's order given more often than the label gives it (venetoclax 400 mg BID), else None.

    The frequency is its field's or its name's ("venetoclax 400 mg PO BID"); fewer times a day than the
    label is not flagged (a reduced dose: olutasidenib 150 mg once daily). An order without a dose is
    flagged too, its dose (the labelled one, assumed) left as it is. Its finding is said per request.
    An order whose frequency is not read (`_frequency_not_read`) is flagged too, its dose left as it is.
    """
    labelled = standard.doses_per_day
    if not labelled:
        return None
    resolver = kb.resolver
    texts = (medication.frequency, medication.name) if medication.frequency else (medication.name,)
    # Where the field and the name both say how often and disagree, the more often is checked (and the
    # finding asks to confirm the frequency).
    per_day = max(filter(None, map(resolver.administrations_per_day, texts)), default=None)
    if per_day is None or per_day <= labelled:
        # A schedule that is no count a day ("QOD", "weekly", "PRN") in the field or the name is never the label's;
        # frequencies that disagree are not read unless the other text says how often.
        # A plain loop, not generators: it runs for every agent of every check (cProfile: 431 -> 412 calls a warm
        # 5 + 30 check).
        schedule = disagreeing = None  # a text naming a schedule that is no daily count; one naming several
        for text in texts:
            named = resolver.frequencies_named(text)
            if 0 in named:
                schedule = text
                break
            if disagreeing is None and len(set(named)) > 1:
                disagreeing = text
        if schedule is not None:
            return _MoreOften(0.0, _frequency_not_read(agent, medication, standard, schedule, not_daily=True))
        if disagreeing is not None and not per_day:
            return _MoreOften(0.0, _frequency_not_read(agent, medication, standard, disagreeing, not_daily=False))
        return None
    given = f"The order gives {agent.name} {_TIMES.get(per_day, f'{per_day} times')} a day"
    if medication.dose_mg:
        a_day = medication.dose_mg * per_day
        checked = a_day / labelled
        given += (f" ({medication.dose_mg:g} mg each, {a_day:g} mg a day); the label gives it {_TIMES[labelled]} a "
                  f"day: it is checked as {checked:g} mg {_TIMES[labelled]} a day, and the dose below is given "
                  f"{_TIMES[labelled]} a day.")
    else:
        checked = 0.0
        given += f"; the label gives it {_TIMES[labelled]} a day: the dose below is given {_TIMES[labelled]} a day."
    finding = Finding(agent.name, "", (Mechanism.LABELLED_DOSE,), Severity.MAJOR, Action.ADJUST_DOSE, (
        f"{given} Confirm the frequency with the prescriber. {standard.rationale}"), standard.citations,
        rule=f"{agent.name}/labelled-frequency")
    return _MoreOften(checked, finding)


def _frequency_not_read(agent: Agent, medication: MedicationLike, standard: StandardDose, text: str, *,
                        not_daily: bool) -> Finding:
    """The finding for an agent's order whose frequency `text` (its field's or its name's) is not read.

    "venetoclax 400 mg daily BID", "qd, q12h" (and no field saying which), "QOD", "weekly", "PRN": how often is not
    guessed, and the dose is checked as given as the label gives it; the order must say.
    """
    dose = f"{medication.dose_mg:g} mg" if medication.dose_mg else "the dose"
    labelled = _TIMES[standard.doses_per_day or 1]
    why = (f"gives {agent.name} on a schedule that is not a number of doses a day, not the label's {labelled} a day"
           if not_daily else "names several frequencies")
    return Finding(agent.name, "", (Mechanism.LABELLED_DOSE,), Severity.MAJOR, Action.ADJUST_DOSE, (
        f"{text!r} {why}: how often {agent.name} is given is not read, and {dose} "
        f"was checked as given {labelled} a day, as the label gives it. Confirm the "
        f"frequency with the prescriber. {standard.rationale}"), standard.citations,
        rule=f"{agent.name}/frequency-not-read")


def standard_dose_for(agent: Agent, regimen_drugs: frozenset[str]) -> StandardDose:
    """The labelled dose in force: the first variant whose partner is in the regimen, else the default."""
    for dose in agent.standard_doses:
        if not dose.with_any or regimen_drugs.intersection(dose.with_any):
            return dose
    raise AssertionError("the default standard dose has no with_any, so the loop always returns")


def _dose(agent: Agent, medication: MedicationLike, standard: StandardDose, effects: list[DoseEffect],
          held_by_order: bool, avoid_with: tuple[str, ...]) -> DoseRecommendation:
    """Combine every finding on the agent's dose into one dose: the most restrictive outcome wins.

    Restrictiveness: the highest action, then (between dose changes) the lowest dose; the finding's
    text breaks remaining ties, so the order of the request never changes the answer. A drug held by
    the order, with no rule to resume it, stays held. Findings that say to avoid another drug are not
    among `effects`: they act on that drug, so they are only named (`avoid_with`). An order for a
    known day of treatment gets that day's dose of the ramp-up in force.
    """
    ordered = medication.dose_mg or standard.dose_mg
    day = medication.treatment_day
    # The order for one day of a ramp-up is that day's dose: the ramp-up and the steady dose are those
    # of the labelled dose, and the day's step is then the ceiling. Without a ramp-up the day changes
    # nothing: quizartinib's 53 mg maintenance order is not its 35.4 mg standard dose.
    target = standard.dose_mg if day and standard.ramp_up_mg else ordered
    # Dosed per m2, an order without a dose in mg has none to recommend: the standard dose is the label's cap
    # per dose, which is more than the dose of any patient under the label's body surface area for it. Whether the
    # order states a dose per m2 is not read, so the rationale says what stands for either (review revS: "the dose
    # per m2 ordered stands" was said of an order stating no dose at all).
    per_m2_unread = standard.per_body_surface_area and not medication.dose_mg
    if per_m2_unread:
        assumed = (f"No dose in mg was read from the order, and {agent.name} is dosed per m2: no dose in mg is "
                   f"recommended; a dose per m2 ordered stands, at most {standard.maximum:g} mg a dose (an order "
                   "that states none needs one). ")
    elif not medication.dose_mg:
        assumed = f"No dose in mg was read from the order; the labelled {standard.dose_mg:g} mg is assumed. "
    else:
        assumed = ""
    if held_by_order:
        effects.append(_HELD_BY_ORDER)
    basis: tuple[Finding, ...] = ()
    order_holds = False
    if not effects:
        # An order below the labelled dose ramps up to itself: the steps below it, then the order (never a step
        # above the dose recommended).
        ramp = standard.ramp_up_mg
        if ramp and ramp[-1] > target:
            ramp = tuple(step for step in ramp if step < target)
        dose, action = target, Action.CONTINUE
        text, citations = standard.rationale, standard.citations
    else:
        best = _most_restrictive(effects, target, standard)
        action = best.action
        dose, ramp = _dose_and_ramp(best, target, standard)
        text = best.finding.recommendation
        basis = tuple(dict.fromkeys(e.finding for e in (best, *effects) if e is not _HELD_BY_ORDER))
        listed = len(effects) - held_by_order  # the order's own hold is no finding
        order_holds = best is _HELD_BY_ORDER
        if order_holds and listed:
            # The hold wins the dose, yet the findings set the dose it comes back at (a held venetoclax beside
            # posaconazole was "hold, 0 mg" naming posaconazole's finding, and said nothing else).
            text += _on_resuming(_most_restrictive([e for e in effects if e is not _HELD_BY_ORDER], target, standard),
                                 target, standard)
        elif listed > 1:
            text += f" (Most restrictive of {listed} findings on the {agent.name} dose; all are listed.)"
        bits = 0
        for effect in effects:
            bits |= effect.citation_bits
        citations = agent.citations.decode(bits)
    day_note = ""
    if day and action < Action.HOLD:
        step = ramp[day - 1] if day <= len(ramp) else dose
        dose = min(ordered, step)
        if day <= len(ramp):
            day_note = f"Day {day} of the ramp-up: {step:g} mg. "
        if dose < ordered:
            action = max(action, Action.ADJUST_DOSE)
    steps = ramp_steps(ramp) if effects or ramp != standard.ramp_up_mg else standard.ramp_up
    notes = assumed + day_note
    # The decision's own words, beside the findings it names: the order's hold is none of them.
    own = notes + text if order_holds else notes
    recommended = None if per_m2_unread and action < Action.HOLD else dose
    return DoseRecommendation(agent.name, medication.dose_mg, recommended, action, notes + text, steps, citations,
                              avoid_with, basis, own)


def _most_restrictive(effects: list[DoseEffect], target: float, standard: StandardDose) -> DoseEffect:
    """The effect that sets the dose: the highest action, then (between dose changes) the lowest dose."""
    best = min(effects, key=_RANK)
    if not best.rank[1]:  # an effect of the highest action sets a dose: the lowest one wins
        # Between equal doses the lower ceiling is the more restrictive rule, and its ramp-up counts:
        # an order already at a recommended 70 mg must not take another rule's ramp-up on re-check.
        # The ramp-up is worked out for the winner alone (a third of the engine's time, measured,
        # when it was worked out for every effect).
        best = min((e for e in effects if e.action == best.action),
                   key=lambda e: (*_dose_and_ceiling(e, target, standard.dose_mg), e.finding.recommendation))
    return best


def _on_resuming(best: DoseEffect, target: float, standard: StandardDose) -> str:
    """What a held agent's own findings call for when the prescriber resumes it."""
    if best.action >= Action.HOLD:
        return " Its findings listed hold it too."
    return f" On resuming, its findings listed call for {_dose_and_ramp(best, target, standard)[0]:g} mg."


def _dose_and_ceiling(outcome: DoseEffect, ordered: float, labelled: float) -> tuple[float, float]:
    """The dose one finding calls for and its ceiling: none when stopped, changed, or as ordered.

    A change sets a ceiling from the labelled dose; the ordered dose is given when it is already
    below it, so a recommendation checked again comes back unchanged.
    """
    if outcome.action >= Action.HOLD:
        return 0.0, 0.0
    if outcome.change is not None:
        ceiling = _ceiling(outcome.change, ordered, labelled)
    else:
        ceiling = ordered if outcome.dose_mg is None else outcome.dose_mg
    return min(ordered, ceiling), ceiling


def _dose_and_ramp(outcome: DoseEffect, ordered: float, labelled: StandardDose,
                   ) -> tuple[float, tuple[float, ...]]:
    """The dose and the ramp-up one finding calls for; each ramp step never above the dose."""
    dose = _dose_and_ceiling(outcome, ordered, labelled.dose_mg)[0]
    if outcome.action >= Action.HOLD:
        return dose, ()
    change = outcome.change
    if change is None:
        ramp = labelled.ramp_up_mg
    else:
        ramp = outcome.ramp_up or tuple(_ceiling(change, step, step) for step in labelled.ramp_up_mg)
    return dose, tuple(min(step, dose) for step in ramp)


def _ceiling(change: DoseChange, ordered: float, labelled: float) -> float:
    """The highest dose a rule's change allows.

    A fraction is of the labelled dose; a dose-reduction table is read at the row of the ordered
    dose, else of the nearest labelled dose below it (the table's rows are the labelled doses).
    """
    if change.max_mg is not None:
        return change.max_mg
    if change.fraction is not None:
        return round(labelled * change.fraction, DOSE_DECIMALS)
    below = [reduced for row, reduced in change.table if row <= ordered + TABLE_MATCH_MG]  # ascending
    return below[-1] if below else ordered
