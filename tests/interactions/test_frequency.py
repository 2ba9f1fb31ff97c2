"""An agent ordered more times a day than its label is flagged and checked as its dose a day.

A pharmacist's review (session 12): "venetoclax 400 mg PO BID" was CONTINUE 400 mg, complete, with no
finding: 800 mg a day. The frequency was read nowhere, in its field or in the name; ivosidenib 250 mg BID
with posaconazole was "250 mg, ADJUST_DOSE", the order equal to the recommendation at twice the dose a day.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, Severity, check
from interactions.model import CheckResult, DoseRecommendation

AZA = Medication("azacitidine", 75)


def decision(result: CheckResult, drug: str) -> DoseRecommendation:
    (dose,) = [d for d in result.doses if d.drug == drug]
    return dose


def frequency_findings(result: CheckResult) -> list[str]:
    return [f.rule for f in result.findings if f.rule.endswith("/labelled-frequency")]


@pytest.mark.parametrize(("text", "per_day"), [
    ("BID", 2), ("twice daily", 2), ("Q12H", 2), ("2 times a day", 2), ("bd", 2),
    ("once daily", 1), ("daily", 1), ("qhs", 1), ("TID", 3), ("q8h", 3), ("QID", 4), ("q6h", 4),
    ("venetoclax 400 mg PO BID", 2), ("gilteritinib 40 mg TID", 3),
    # FHIR Timing.repeat as the CDS Hooks adapter writes it.
    ("2 per 1 d", 2), ("1 per 1 d", 1), ("1 per 12 h", 2), ("3 per 1 d", 3),
    ("b.i.d.", 2), ("twice-daily", 2), ("2x daily", 2), ("2 times per day", 2), ("every 12 hrs", 2), ("q12hr", 2),
    ("q.d.", 1), ("once-daily", 1), ("t.i.d.", 3), ("q.i.d.", 4),
    # Frequencies joined by "and" add up: each of "qam and qpm" says once, together twice (an eighth pharmacist
    # review: read as none, "venetoclax 400 mg qam and qpm" was checked as 400 mg once daily); the same one said twice
    # is that one.
    ("qam and qpm", 2), ("mane and nocte", 2), ("in the morning and in the evening", 2), ("qam & qhs", 2),
    ("every morning and evening", 2), ("morning and evening", 2), ("BID (morning and evening)", 2),
    ("daily ... daily", 1),
    # Saying nothing, or two frequencies that disagree, or not a whole number a day from 1 to 24: not read.
    ("", None), ("as directed", None), ("daily BID", None), ("every other day", None), ("1 per 2 d", None),
    ("qam, qpm and qhs daily", None), ("1000 per 1 h", None),
])
def test_the_times_a_day_a_frequency_says(default_kb: KnowledgeBase, text: str, per_day: int | None) -> None:
    assert default_kb.resolver.administrations_per_day(text) == per_day


@pytest.mark.parametrize("venetoclax", [
    Medication("venetoclax 400 mg PO BID"),
    Medication("venetoclax", 400, "BID"),
    Medication("venetoclax", 400, "2 per 1 d"),
])
def test_venetoclax_twice_a_day_is_above_the_label(default_kb: KnowledgeBase, venetoclax: Medication) -> None:
    result = check(default_kb, CheckRequest((venetoclax, AZA), (), PatientContext()))

    dose = decision(result, "venetoclax")
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (400, 400, Action.ADJUST_DOSE)
    assert [f.rule for f in dose.findings] == ["venetoclax/labelled-dose", "venetoclax/labelled-frequency"]
    (finding,) = [f for f in result.findings if f.rule == "venetoclax/labelled-frequency"]
    assert finding.severity is Severity.MAJOR
    assert "twice a day (400 mg each, 800 mg a day); the label gives it once a day" in finding.recommendation
    assert result.highest_severity is Severity.MAJOR
    assert finding.citations  # the labelled dose's


def test_a_reduced_dose_given_twice_a_day_is_checked_as_its_dose_a_day(default_kb: KnowledgeBase) -> None:
    # 250 mg twice a day is 500 mg a day: with posaconazole the label's 250 mg once daily is a reduction.
    result = check(default_kb, CheckRequest((Medication("ivosidenib", 250, "BID"),), (Medication("posaconazole"),),
                                            PatientContext()))
    dose = decision(result, "ivosidenib")
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (250, 250, Action.ADJUST_DOSE)
    assert dose.findings[-1].rule == "ivosidenib/labelled-frequency"
    assert "checked as 500 mg once a day" in dose.findings[-1].recommendation


def test_a_dose_split_over_the_day_is_given_once_at_its_sum(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("gilteritinib", 40, "TID"),), (), PatientContext()))
    dose = decision(result, "gilteritinib")
    # Checked as 40 mg it stood at 40 mg: a third of the labelled dose, once a day.
    assert (dose.recommended_dose_mg, dose.action) == (120, Action.ADJUST_DOSE)
    assert frequency_findings(result) == ["gilteritinib/labelled-frequency"]


@pytest.mark.parametrize("medication", [
    Medication("olutasidenib", 150, "once daily"),  # fewer times a day than labelled: a reduced dose stands
    Medication("midostaurin", 50, "BID"),  # as labelled
    Medication("sorafenib", 400, "twice daily"),
    Medication("venetoclax", 400, "daily"),
    Medication("venetoclax", 400, "daily BID"),  # says two things: not read
])
def test_an_order_as_often_as_labelled_or_less_has_no_frequency_finding(default_kb: KnowledgeBase,
                                                                        medication: Medication) -> None:
    result = check(default_kb, CheckRequest((medication, AZA), (), PatientContext()))
    assert frequency_findings(result) == []


def test_a_held_order_given_too_often_stays_held(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 400 mg PO BID", held=True), AZA), (),
                                            PatientContext()))
    dose = decision(result, "venetoclax")
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)
    assert frequency_findings(result) == ["venetoclax/labelled-frequency"]


def test_every_daily_agent_says_how_often_its_label_gives_it(default_kb: KnowledgeBase) -> None:
    per_day = {drug: [dose.doses_per_day for dose in agent.standard_doses] for drug, agent in default_kb.agents.items()}
    assert per_day.pop("gemtuzumab ozogamicin") == [None]  # infusions on days 1, 4 and 7
    assert all(counts and None not in counts for counts in per_day.values()), per_day
    assert per_day["olutasidenib"] == per_day["midostaurin"] == per_day["sorafenib"] == [2]


def test_a_dose_read_from_the_name_is_quoted_as_written(default_kb: KnowledgeBase) -> None:
    # The reviewer's finding: "The 800 mg dose is read from the name" of "venetoclax 400 mg PO BID".
    result = check(default_kb, CheckRequest((Medication("venetoclax 400 mg PO BID"), AZA), (), PatientContext()))
    assert decision(result, "venetoclax").rationale.startswith("The 400 mg dose is read from the name")


@pytest.mark.parametrize(("frequency", "name"), [("daily", "venetoclax 400 mg PO BID"), ("BID", "venetoclax daily")])
def test_where_the_field_and_the_name_disagree_the_more_often_is_checked(default_kb: KnowledgeBase, frequency: str,
                                                                         name: str) -> None:
    result = check(default_kb, CheckRequest((Medication(name, 400, frequency), AZA), (), PatientContext()))
    assert frequency_findings(result) == ["venetoclax/labelled-frequency"]


@pytest.mark.parametrize("venetoclax", [Medication("venetoclax", frequency="BID"),
                                        Medication("venetoclax 100 mg tab x4 BID")])
def test_an_order_too_often_without_a_dose_is_flagged_at_the_labelled_dose(default_kb: KnowledgeBase,
                                                                          venetoclax: Medication) -> None:
    # The reviewer's finding: with no dose the frequency went unsaid ("labelled 400 mg assumed").
    result = check(default_kb, CheckRequest((venetoclax, AZA), (), PatientContext()))
    dose = decision(result, "venetoclax")
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (0, 400, Action.ADJUST_DOSE)
    (finding,) = [f for f in result.findings if f.rule == "venetoclax/labelled-frequency"]
    assert finding.recommendation.startswith("The order gives venetoclax twice a day; the label gives it once a day")


@pytest.mark.parametrize(("text", "per_day"), [
    # Two frequencies written apart, each after its dose, add up as "qam and qpm" does (read as once daily, 800 mg
    # of venetoclax a day was CONTINUE at 400).
    ("venetoclax 400 mg qam, 400 mg qpm", 2), ("gilteritinib 120 mg qam; 120 mg qhs", 2),
    ("venetoclax 200 mg qam + 200 mg qpm", 2),
    # A change of dose, the same frequency written again, or one said twice without a dose between: once.
    ("venetoclax 100 mg qam -> 200 mg qpm", 1), ("venetoclax 100 mg daily then 200 mg daily", 1),
    ("venetoclax 400 mg daily in the morning", 1),
])
def test_frequencies_written_apart_each_after_its_dose_add_up(default_kb: KnowledgeBase, text: str,
                                                              per_day: int) -> None:
    assert default_kb.resolver.administrations_per_day(text) == per_day


@pytest.mark.parametrize(("agent", "a_day"), [
    (Medication("venetoclax 400 mg qam, 400 mg qpm", 400), "(400 mg each, 800 mg a day)"),
    (Medication("gilteritinib 120 mg qam; 120 mg qhs", 120), "(120 mg each, 240 mg a day)"),
])
def test_an_agent_written_twice_a_day_apart_is_above_the_label(default_kb: KnowledgeBase, agent: Medication,
                                                               a_day: str) -> None:
    result = check(default_kb, CheckRequest((agent,), (), PatientContext()))

    (dose,) = result.doses
    assert dose.action is Action.ADJUST_DOSE  # was CONTINUE, nothing said
    (finding,) = [f for f in result.findings if f.rule.endswith("/labelled-frequency")]
    assert f"twice a day {a_day}" in finding.recommendation


def test_two_frequencies_apart_that_are_not_both_once_a_day_still_disagree(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.administrations_per_day("venetoclax 400 mg daily, 100 mg BID") is None
