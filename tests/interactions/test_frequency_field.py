"""An agent's `frequency` field as order composers fill it: their names of once a day are the label's (session 17).

A field naming no frequency read ("per protocol", "with food", "AM", "Days 1-14") is taken as the label gives it, as
a name without one is: flagging it was tried and put "confirm the frequency" on everyday orders (review 1, s17).
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, Severity, check

AZACITIDINE = Medication("azacitidine")


def _venetoclax(kb: KnowledgeBase, frequency: str) -> tuple[float | None, Action, tuple[tuple[str, Severity], ...]]:
    result = check(kb, CheckRequest((Medication("venetoclax", 400, frequency), AZACITIDINE), (), PatientContext()))
    dose = next(d for d in result.doses if d.drug == "venetoclax")
    return dose.recommended_dose_mg, dose.action, tuple((f.rule, f.severity) for f in result.findings)


@pytest.mark.parametrize("frequency", ["Q AM", "Q PM", "every morning", "Every evening", "each morning", "Q Day"])
def test_order_composers_names_of_once_a_day_are_read(default_kb: KnowledgeBase, frequency: str) -> None:
    assert default_kb.resolver.administrations_per_day(frequency) == 1
    assert default_kb.resolver.administrations_per_day(f"400 mg {frequency} and 400 mg at bedtime") == 2


def test_once_in_the_morning_and_once_in_the_evening_is_twice_a_day(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("gilteritinib 120 mg every morning and every evening"),),
                                            (), PatientContext()))
    assert [f.rule for f in result.findings] == ["gilteritinib/labelled-dose", "gilteritinib/labelled-frequency"]


@pytest.mark.parametrize("frequency", ["per protocol", "with food", "AM", "Days 1-14", " "])
def test_a_field_naming_no_frequency_read_is_the_label_as_a_name_without_one_is(default_kb: KnowledgeBase,
                                                                                frequency: str) -> None:
    assert _venetoclax(default_kb, frequency) == (400, Action.CONTINUE, ())


def test_no_frequency_given_is_the_label_as_before(default_kb: KnowledgeBase) -> None:
    assert _venetoclax(default_kb, "") == (400, Action.CONTINUE, ())


def test_a_name_saying_more_often_than_the_label_wins_over_a_field_naming_no_frequency(
        default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 400 mg BID", 400, "per protocol"), AZACITIDINE),
                                            (), PatientContext()))
    assert [f.rule for f in result.findings] == ["venetoclax/labelled-dose", "venetoclax/labelled-frequency"]


@pytest.mark.parametrize("schedule", ["Tu/Th", "Tue Thu", "Tues/Thurs", "Tuesday and Thursday", "Sat/Sun", "Weekends",
                                      "Weekdays", "Fortnightly"])
def test_days_of_the_week_and_fortnights_are_no_daily_count(default_kb: KnowledgeBase, schedule: str) -> None:
    # Each was no frequency read: as the field or in the name, venetoclax 400 mg was checked as daily, no finding.
    not_read = (400, Action.ADJUST_DOSE, (("venetoclax/frequency-not-read", Severity.MAJOR),))
    assert _venetoclax(default_kb, schedule) == not_read
    result = check(default_kb, CheckRequest((Medication(f"venetoclax 400 mg PO {schedule}"), AZACITIDINE), (),
                                            PatientContext()))
    assert (result.complete, [f.rule for f in result.findings]) == (True, ["venetoclax/frequency-not-read"])
