"""An agent's `frequency` field that names no frequency read is said, never taken for the label's (session 17).

The field exists to say how often: "per protocol" or "with food" in it were checked as the label's once a day,
CONTINUE, with no finding; what it says is now a MAJOR frequency-not-read, the dose left as ordered.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, Severity, check

AZACITIDINE = Medication("azacitidine")


def _venetoclax(kb: KnowledgeBase, frequency: str) -> tuple[float | None, Action, tuple[tuple[str, Severity], ...]]:
    result = check(kb, CheckRequest((Medication("venetoclax", 400, frequency), AZACITIDINE), (), PatientContext()))
    dose = next(d for d in result.doses if d.drug == "venetoclax")
    return dose.recommended_dose_mg, dose.action, tuple((f.rule, f.severity) for f in result.findings)


@pytest.mark.parametrize("frequency", ["per protocol", "Continuous", "PO", "with food", "Days 1-14"])
def test_a_frequency_field_naming_no_frequency_read_is_frequency_not_read(default_kb: KnowledgeBase,
                                                                            frequency: str) -> None:
    assert _venetoclax(default_kb, frequency) == (
        400, Action.ADJUST_DOSE, (("venetoclax/frequency-not-read", Severity.MAJOR),))
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400, frequency), AZACITIDINE), (),
                                            PatientContext()))
    assert result.findings[0].recommendation.startswith(
        f"{frequency!r} names no frequency that is read: how often venetoclax is given is not read, and 400 mg was "
        "checked as given once a day, as the label gives it. Confirm the frequency with the prescriber.")


@pytest.mark.parametrize("frequency", ["daily", "Q AM", "every morning", "Every evening", "Q Day", "QHS",
                                       "Daily at 0800", "once daily with food"])
def test_a_frequency_field_naming_once_a_day_is_the_label(default_kb: KnowledgeBase, frequency: str) -> None:
    assert _venetoclax(default_kb, frequency) == (400, Action.CONTINUE, ())


def test_no_frequency_given_is_the_label_as_before(default_kb: KnowledgeBase) -> None:
    assert _venetoclax(default_kb, "") == (400, Action.CONTINUE, ())


def test_a_name_saying_more_often_than_the_label_still_wins_over_an_unread_field(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 400 mg BID", 400, "per protocol"), AZACITIDINE),
                                            (), PatientContext()))
    assert [f.rule for f in result.findings] == ["venetoclax/labelled-dose", "venetoclax/labelled-frequency"]
