"""An agent ordered on a schedule that is not its label's daily one is flagged, its frequency to confirm.

A tenth pharmacist review: "venetoclax 400 mg every other day", "QOD", "MWF", "three times a week", "gilteritinib
120 mg weekly", "venetoclax 400 mg PRN" came back CONTINUE at the ordered dose, complete, with no finding, as if
given once daily as labelled; so did FHIR's "1 per 2 d" and "daily BID" in the frequency field.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, Severity, check
from interactions.model import DoseRecommendation

AZA = Medication("azacitidine", 75)


def _only_decision(kb: KnowledgeBase, agent: Medication) -> DoseRecommendation:
    result = check(kb, CheckRequest((agent, AZA), (), PatientContext()))
    assert result.complete
    (dose,) = [d for d in result.doses if d.drug != "azacitidine"]
    return dose


@pytest.mark.parametrize(("agent", "drug", "mg"), [
    (Medication("venetoclax 400 mg every other day"), "venetoclax", 400),
    (Medication("venetoclax 400 mg QOD"), "venetoclax", 400),
    (Medication("venetoclax 400 mg PO q.o.d."), "venetoclax", 400),
    (Medication("venetoclax 400 mg on alternate days"), "venetoclax", 400),
    (Medication("venetoclax 400 mg q48h"), "venetoclax", 400),
    (Medication("venetoclax 400 mg MWF"), "venetoclax", 400),
    (Medication("venetoclax 400 mg three times a week"), "venetoclax", 400),
    (Medication("gilteritinib 120 mg weekly"), "gilteritinib", 120),
    (Medication("gilteritinib 120 mg once a week"), "gilteritinib", 120),
    (Medication("venetoclax 400 mg PRN"), "venetoclax", 400),
    (Medication("venetoclax 400 mg as needed"), "venetoclax", 400),
    (Medication("midostaurin 50 mg BID PRN"), "midostaurin", 50),
    (Medication("venetoclax 400 mg daily and PRN"), "venetoclax", 400),
    # The frequency in its field, not the name: its own words, and FHIR's Timing.repeat as the CDS Hooks adapter
    # writes it (once every 2 days, once a week).
    (Medication("venetoclax", 400, "QOD"), "venetoclax", 400),
    (Medication("venetoclax", 400, "every other day"), "venetoclax", 400),
    (Medication("gilteritinib", 120, "weekly"), "gilteritinib", 120),
    (Medication("venetoclax", 400, "1 per 2 d"), "venetoclax", 400),
    (Medication("venetoclax", 400, "1 per 1 wk"), "venetoclax", 400),
    (Medication("venetoclax", 400, "PRN"), "venetoclax", 400),
    # The field says daily, the name every other day (or the other way round): which is meant is not guessed.
    (Medication("venetoclax 400 mg QOD", 400, "daily"), "venetoclax", 400),
    (Medication("venetoclax 400 mg daily", 400, "QOD"), "venetoclax", 400),
])
def test_an_agent_on_a_schedule_that_is_no_count_a_day_has_its_frequency_not_read(
        default_kb: KnowledgeBase, agent: Medication, drug: str, mg: float) -> None:
    dose = _only_decision(default_kb, agent)

    assert (dose.drug, dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (drug, mg, mg,
                                                                                       Action.ADJUST_DOSE)
    (finding,) = dose.findings
    assert (finding.rule, finding.severity) == (f"{drug}/frequency-not-read", Severity.MAJOR)
    said = agent.frequency if 0 in default_kb.resolver.frequencies_named(agent.frequency) else agent.name
    labelled = "twice" if drug == "midostaurin" else "once"
    assert finding.recommendation.startswith(
        f"{said!r} gives {drug} on a schedule that is not a number of doses a day, not the label's {labelled} a day: "
        f"how often {drug} is given is not read, and {mg:g} mg was checked as given {labelled} a day, as the label "
        "gives it. Confirm the frequency with the prescriber.")
    assert finding.citations  # the labelled dose's


def test_frequencies_that_disagree_in_the_field_are_not_read(default_kb: KnowledgeBase) -> None:
    # Only the name's were looked at: "daily BID" in the field was CONTINUE 400 mg, no finding.
    (finding,) = _only_decision(default_kb, Medication("venetoclax", 400, "daily BID")).findings
    assert finding.rule == "venetoclax/frequency-not-read"
    assert finding.recommendation.startswith("'daily BID' names several frequencies: how often venetoclax is given")


def test_more_often_than_labelled_still_wins_over_a_schedule_in_the_other_text(default_kb: KnowledgeBase) -> None:
    dose = _only_decision(default_kb, Medication("venetoclax 400 mg BID", 400, "QOD"))
    assert [f.rule for f in dose.findings] == ["venetoclax/labelled-dose", "venetoclax/labelled-frequency"]


@pytest.mark.parametrize(("text", "named"), [
    ("QOD", (0,)), ("every other day", (0,)), ("weekly", (0,)), ("PRN", (0,)), ("1 per 2 d", (0,)),
    ("3 per 1 wk", (0,)), ("q8h PRN", (3, 0)),
    # A schedule that is no count a day adds up with nothing: "and" joins it to no daily one.
    ("daily and PRN", (1, 0)), ("qam and qpm", (2,)), ("daily", (1,)), ("", ()),
])
def test_the_frequencies_a_text_names(default_kb: KnowledgeBase, text: str, named: tuple[int, ...]) -> None:
    assert default_kb.resolver.frequencies_named(text) == named
    assert default_kb.resolver.administrations_per_day(text) == (named[0] or None if len(named) == 1 else None)


@pytest.mark.parametrize("agent", [Medication("venetoclax 400 mg daily"), Medication("venetoclax", 400, "daily"),
                                   Medication("venetoclax 400 mg daily x 28 days"),
                                   Medication("gilteritinib 120 mg PO once daily")])
def test_an_agent_given_daily_as_labelled_stays_silent(default_kb: KnowledgeBase, agent: Medication) -> None:
    dose = _only_decision(default_kb, agent)
    assert (dose.action, dose.findings) == (Action.CONTINUE, ())


@pytest.mark.parametrize("text", [
    # Each was CONTINUE 400 mg with no finding.
    "venetoclax 400 mg q2d", "venetoclax 400 mg q3d", "venetoclax 400 mg every 3 days", "venetoclax 400 mg q72h",
    "venetoclax 400 mg q week", "venetoclax 400 mg 2 times a week", "venetoclax 400 mg two times a week",
    "venetoclax 400 mg 5 days a week", "venetoclax 400 mg every Monday", "venetoclax 400 mg every Mon",
    "venetoclax 400 mg Mon Wed Fri", "venetoclax 400 mg Mon, Wed, Fri",
    # Each was not read at all (the check incomplete): now read, and flagged.
    "venetoclax 400 mg every other week", "venetoclax 400 mg biweekly", "venetoclax 400 mg every second day",
    "venetoclax 400 mg q wk",
])
def test_more_schedules_of_order_text_are_not_read_as_daily(default_kb: KnowledgeBase, text: str) -> None:
    dose = _only_decision(default_kb, Medication(text))
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (400, 400, Action.ADJUST_DOSE)
    assert [f.rule for f in dose.findings] == ["venetoclax/frequency-not-read"]


@pytest.mark.parametrize("text", ["venetoclax 400 mg daily x 14 days q28d", "venetoclax 400 mg daily every 28 days",
                                  "venetoclax 400 mg daily, start on Monday"])
def test_a_cycle_or_a_start_day_beside_daily_is_no_other_schedule(default_kb: KnowledgeBase, text: str) -> None:
    dose = _only_decision(default_kb, Medication(text))
    assert (dose.ordered_dose_mg, dose.action, dose.findings) == (400, Action.CONTINUE, ())
