"""s20 fixer R6: what review R6 found in the reader's month-name dates (commit 90b2ecd).

A range written with a dash ("from Dec 1 - Dec 14") added decitabine, complete; after a joiner, "(dec 20)", "dec 2nd"
and "dec 20 2026" were dates and dropped decitabine, complete; "venetoclax 400 mg daily, Dec 1" added decitabine.
"""

from __future__ import annotations

import pytest

from interactions import Action, KnowledgeBase, UnrecognizedReason
from tests.interactions.orders import agent_dose, as_a_co_medication, beside_posaconazole


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily from Dec 1 - Dec 14", "venetoclax 400 mg daily since Dec 1 - Dec 14",
    "venetoclax 400 mg daily started Dec 1 \u2013 Dec 14", "venetoclax 400 mg daily from Nov 28 - Dec 11",
    "venetoclax 400 mg daily from Dec 1-Dec 14", "venetoclax 400 mg daily (Dec 1 - Dec 14)",
    # Lists (fixer R6c); "& Dec 8", "and Dec 15" after a date: not guessed since fixer R7 (test_reader_s20_fix_r7).
    "venetoclax 400 mg daily on Dec 1 & Dec 8th", "venetoclax 400 mg daily on Dec 1 and Dec 8, 2026",
    "venetoclax 400 mg daily on Dec 1, Dec 8", "venetoclax 400 mg daily on Dec 1 + Jan 8",
    "venetoclax 400 mg daily on Dec 1, Dec 8, Dec 15", "venetoclax 400 mg daily from Dec 1 to Dec 14",
])
def test_a_range_or_list_of_dates_is_one_date(default_kb: KnowledgeBase, line: str) -> None:
    # Was venetoclax and decitabine CONTINUE, complete (the second "Dec" decitabine), venetoclax's dose unread:
    # venetoclax alone, 400 -> 70 mg.
    result = beside_posaconazole(default_kb, line)
    assert (result.complete, sorted(d.drug for d in result.doses)) == (True, ["venetoclax"])
    ven = agent_dose(result, "venetoclax")
    assert (ven.ordered_dose_mg, ven.recommended_dose_mg, ven.action) == (400, 70, Action.ADJUST_DOSE)


def test_an_azole_dated_with_a_range_is_the_azole_alone(default_kb: KnowledgeBase) -> None:
    # Was posaconazole and decitabine: as a co-medication, an AVOID_COMBINATION with azacitidine and no dose read.
    line = "posaconazole 300 mg daily from Dec 1-Dec 14"
    assert default_kb.resolver.read(line).drugs == ("posaconazole",)
    result = as_a_co_medication(default_kb, line)
    assert (result.complete, result.unrecognized) == (True, ())
    assert "decitabine" not in {d.drug for d in result.doses}
    assert agent_dose(result, "venetoclax").recommended_dose_mg == 70


def test_a_range_before_a_unit_is_no_date(default_kb: KnowledgeBase) -> None:
    # Matched whole or not at all: never a date "from Dec 1" before decitabine 14 mg.
    assert not beside_posaconazole(default_kb, "venetoclax 400 mg daily from Dec 1 - Dec 14 mg").complete


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg + (dec 20)", "ven 400 + (dec 5)", "venetoclax 400 mg / (dec 20)", "ven 400 + dec 2nd",
    "ven 400 + dec 20 2026", "ven 400 and (dec 20)", "ven 400 with dec 3rd", "ven 400 & dec 20, 2026",
    # As was already read.
    "ven 400 + Dec. 1",
])
def test_dec_and_a_day_after_a_joiner_is_not_guessed(default_kb: KnowledgeBase, line: str) -> None:
    # Was venetoclax alone, 400 -> 70 mg, complete: decitabine dropped. Unknown, the check incomplete.
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    result = beside_posaconazole(default_kb, line)
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [line])
    assert not as_a_co_medication(default_kb, line).complete


def test_a_word_of_a_date_after_a_joiner_makes_it_a_date(default_kb: KnowledgeBase) -> None:
    line = "venetoclax 400 mg + (started Dec 1)"
    assert default_kb.resolver.read(line).drugs == ("venetoclax",)
    assert agent_dose(beside_posaconazole(default_kb, line), "venetoclax").recommended_dose_mg == 70


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily, Dec 1", "venetoclax 400 mg daily; Dec 1", "venetoclax 400 mg daily,Dec 1",
    "posaconazole 300 mg daily, Dec 14", "venetoclax 400 mg, dec 20",
])
def test_dec_and_a_day_after_a_comma_is_not_guessed(default_kb: KnowledgeBase, line: str) -> None:
    # Was the drug and decitabine CONTINUE, complete (venetoclax's dose unread): unknown, as ", Dec. 1" is.
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    assert not beside_posaconazole(default_kb, line).complete
    result = as_a_co_medication(default_kb, line)
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [line])
    assert not any("decitabine" in f.rule for f in result.findings)


@pytest.mark.parametrize("line", [
    "Aza/Ven 400 mg, dec 20 mg/m2", "venetoclax 400 mg daily, dec 20 mg/m2 D1-5", "ven 400; dec 20 D1-5",
    "ven 400, dec 20 x 5 days",
])
def test_dec_and_a_dose_after_a_comma_stays_decitabine(default_kb: KnowledgeBase, line: str) -> None:
    assert "decitabine" in default_kb.resolver.read(line).drugs


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily since 12/1", "venetoclax 400 mg daily until 12/14/2026",
    "venetoclax 400 mg daily from 2026-12-01", "venetoclax 400 mg daily since 1.12.2026",
])
def test_a_word_of_a_date_before_a_numeric_date_is_read(default_kb: KnowledgeBase, line: str) -> None:
    # Was UNKNOWN ('since', 'until', 'from'), NOT CHECKED, while "since Dec 1" read: venetoclax 400 -> 70 mg.
    result = beside_posaconazole(default_kb, line)
    assert (result.complete, result.unrecognized) == (True, ())
    assert agent_dose(result, "venetoclax").recommended_dose_mg == 70


@pytest.mark.parametrize("line", ["venetoclax 400 mg daily on hold since 12/1", "venetoclax 400 mg - held since 11/20"])
def test_on_hold_since_a_numeric_date_is_a_hold(default_kb: KnowledgeBase, line: str) -> None:
    # As "on hold since Dec 1" and "held 11/20": was UNKNOWN ('since'), test_medication_list_lines' example of an
    # unknown word beside venetoclax until now.
    ven = agent_dose(beside_posaconazole(default_kb, line), "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (0, Action.HOLD)


@pytest.mark.parametrize("line", ["posaconazole 300 mg daily off hold since 12/1",
                                  "posaconazole 300 mg daily stopped since 12/1",
                                  "venetoclax 400 mg daily since 20/50"])
def test_an_end_beside_a_numeric_date_or_no_date_after_a_word_is_not_guessed(default_kb: KnowledgeBase,
                                                                              line: str) -> None:
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    assert not as_a_co_medication(default_kb, line).complete


@pytest.mark.parametrize("line", ["venetoclax 400 mg x 2 c", "venetoclax 400 mg for 2 c",
                                  "venetoclax 400 mg daily x 2 month"])
def test_a_count_before_a_course_word_not_of_days_or_weeks_is_not_read(default_kb: KnowledgeBase, line: str) -> None:
    # Read complete since s20 helper R6 ("c": cycles, or "with"?), as it was not before: unknown again.
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    assert not beside_posaconazole(default_kb, line).complete


@pytest.mark.parametrize("line", ["venetoclax 400 mg daily x 14 d", "venetoclax 400 mg daily x 2 wk"])
def test_a_count_of_days_or_weeks_stays_read(default_kb: KnowledgeBase, line: str) -> None:
    assert agent_dose(beside_posaconazole(default_kb, line), "venetoclax").recommended_dose_mg == 70
