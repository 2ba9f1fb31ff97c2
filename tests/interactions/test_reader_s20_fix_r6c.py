"""s20 fixer R6c: what review R6b found in the reader's month-name dates (commits 90b2ecd, 4364829, 44b185d).

A second date after "and", "&", "," or "+" added decitabine, complete; "plus" was no joiner before "dec 2nd"
(decitabine dropped, complete); a numeric date before a course ("since 12/1 x 14 d") or a range ("from 12/1-12/14",
"from Dec 1-14", "from Dec 1 to 14") left the line unread or its dose unread; "dec from Dec 8 to 100 mg" read as
decitabine instead of a change of dose.
"""

from __future__ import annotations

import pytest

from interactions import Action, KnowledgeBase, UnrecognizedReason
from tests.interactions.orders import agent_dose, as_a_co_medication, beside_posaconazole

# A list of dates beside the agent: test_reader_s20_fix_r6.py, test_a_range_or_list_of_dates_is_one_date.


@pytest.mark.parametrize(("line", "drug", "venetoclax_mg"), [
    ("fluconazole 400 mg daily on Dec 1, Dec 2", "fluconazole", 200),
    ("methotrexate 12 mg IT on Dec 1 and Dec 8th", "methotrexate", 400),
    ("posaconazole 300 mg daily started Dec 1 - Dec 15", "posaconazole", 70),
    ("posaconazole 300 mg daily on Nov 28, Dec 5", "posaconazole", 70),
])
def test_a_co_medication_dated_with_a_list_of_dates_adds_no_decitabine(
        default_kb: KnowledgeBase, line: str, drug: str, venetoclax_mg: float) -> None:
    # Was the drug and decitabine, complete: beside azacitidine, two hypomethylating agents.
    assert default_kb.resolver.read(line).drugs == (drug,)
    result = as_a_co_medication(default_kb, line)
    assert (result.complete, result.unrecognized) == (True, ())
    assert "decitabine" not in {d.drug for d in result.doses}
    assert agent_dose(result, "venetoclax").recommended_dose_mg == venetoclax_mg


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily on Dec 1 and dec 20 mg/m2 D1-5", "venetoclax 400 mg daily from Dec 1 - Dec 14 mg",
])
def test_a_list_of_dates_before_a_dose_is_not_guessed(default_kb: KnowledgeBase, line: str) -> None:
    # Matched whole or not at all: never a date "on Dec 1" before decitabine perhaps, nor a date eating it.
    result = beside_posaconazole(default_kb, line)
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [line])


@pytest.mark.parametrize("line", ["ven 400 plus dec 2nd", "ven 400 plus (dec 20)", "ven 400 w/ dec 2nd"])
def test_dec_and_a_day_after_any_joiner_of_names_toml_is_not_guessed(default_kb: KnowledgeBase, line: str) -> None:
    # Was venetoclax alone, 400 -> 70 mg, complete: decitabine dropped. Unknown, as "+ dec 2nd" is.
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    assert (beside_posaconazole(default_kb, line).complete, as_a_co_medication(default_kb, line).complete) == (
        False, False)


@pytest.mark.parametrize("line", ["posaconazole 300 mg daily, dec 3rd", "posaconazole 300 mg daily, Dec 1, 2026"])
def test_a_dated_line_after_a_comma_stays_read(default_kb: KnowledgeBase, line: str) -> None:
    # A list's comma is no joiner of drugs: a year or an ordinal makes it a date, as before.
    result = as_a_co_medication(default_kb, line)
    assert (result.complete, agent_dose(result, "venetoclax").recommended_dose_mg) == (True, 70)


@pytest.mark.parametrize(("line", "ordered_mg"), [
    ("venetoclax 400 mg daily since 12/1 x 14 d", 400), ("venetoclax 400 mg daily from 12/1 x 14 days", 400),
    ("venetoclax 400 mg daily from 12/1-12/14", 400), ("venetoclax 400 mg daily from Dec 1-14", 400),
    ("venetoclax 400 mg daily started 12/1 x 14 d", 400), ("venetoclax 100 mg daily from Dec 1 to 14", 100),
    ("venetoclax 400 mg daily on Dec 1 and 8", 400),
])
def test_a_date_before_a_course_or_ending_a_range_leaves_the_dose_read(
        default_kb: KnowledgeBase, line: str, ordered_mg: float) -> None:
    # Were UNKNOWN ('since', 'from'), NOT CHECKED, or complete with the dose unread and the labelled 400 mg assumed.
    result = beside_posaconazole(default_kb, line)
    assert result.complete
    ven = agent_dose(result, "venetoclax")
    assert (ven.ordered_dose_mg, ven.recommended_dose_mg, ven.action) == (ordered_mg, 70, Action.ADJUST_DOSE)


@pytest.mark.parametrize("line", ["venetoclax 400 mg daily since 12/1/26", "venetoclax 400 mg daily from 10/20 mg"])
def test_a_numeric_date_with_a_two_digit_year_or_before_a_unit_is_not_guessed(default_kb: KnowledgeBase,
                                                                               line: str) -> None:
    assert not beside_posaconazole(default_kb, line).complete


def test_a_bare_number_after_a_range_word_before_a_dose_form_is_no_day(default_kb: KnowledgeBase) -> None:
    # "4 tabs" is a count of 100 mg tablets, never the 4th: 400 mg.
    result = beside_posaconazole(default_kb, "venetoclax 100 mg tab started Dec 1 on 4 tabs daily")
    assert agent_dose(result, "venetoclax").ordered_dose_mg == 400


def test_a_change_of_dose_beside_a_date_is_a_change_of_dose(default_kb: KnowledgeBase) -> None:
    # Was venetoclax and decitabine CONTINUE, complete ("dec" decitabine, "from Dec 8" a date).
    line = "venetoclax 400 mg daily, dec from Dec 8 to 100 mg"
    reading = default_kb.resolver.read(line)
    assert (reading.reason, reading.detail) == (
        UnrecognizedReason.UNKNOWN, "'dec from': a change of dose; which dose is given now is not guessed: list the "
                                    "dose given")
    assert not beside_posaconazole(default_kb, line).complete


def test_the_month_spelt_out_after_a_joiner_is_the_one_naming_a_drug(default_kb: KnowledgeBase) -> None:
    # Derived from the data (months that are drug names): "dec" is decitabine's, "nov" names no drug.
    assert "'december'" in default_kb.resolver.read("ven 400 plus dec 2nd").detail
    assert default_kb.resolver.read("ven 400 plus nov 2nd").drugs == ("venetoclax",)
