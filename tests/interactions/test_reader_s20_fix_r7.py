"""s20 fixer R7: what review revFinal found in the reader's lists of dates (commit 72cd8ce).

After a date, "and dec 20" joined the list: decitabine dropped, venetoclax alone, complete.
"""

from __future__ import annotations

import pytest

from interactions import CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from tests.interactions.orders import POSACONAZOLE, VEN_AZA, agent_dose


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg started Dec 1 and dec 20", "venetoclax 400 mg started Dec 1 + dec 20",
    "venetoclax 400 mg started Dec 1 & dec 20", "venetoclax 400 mg started Dec 1 with dec 20",
    "venetoclax 400 mg since Dec 1 plus dec 20", "venetoclax 400 mg started Dec 1st and dec 20",
    "venetoclax 400 mg daily on Dec 1, Dec 8 and Dec 15", "venetoclax 400 mg daily on Dec 1 & Dec 8",
])
def test_a_drugs_month_and_a_day_after_a_joiner_of_drugs_ends_a_list_of_dates_unread(
        default_kb: KnowledgeBase, line: str) -> None:
    # Was venetoclax alone, 400 -> 70 mg beside posaconazole, complete: "dec 20" may be decitabine 20 too, and no rule
    # tells it from a third date ("& Dec 8"): unknown, never decitabine dropped (nor added).
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    result = check(default_kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [line])


@pytest.mark.parametrize("line", ["posaconazole 300 mg daily started Dec 1 and dec 20",
                                  "posaconazole 300 mg daily on Nov 28 and Dec 5"])
def test_a_co_medication_ending_its_dates_with_a_drugs_month_and_a_day_is_unread(
        default_kb: KnowledgeBase, line: str) -> None:
    # Was posaconazole alone, complete: decitabine perhaps dropped beside venetoclax and azacitidine.
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [line])


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily on Dec 1, Dec 8", "venetoclax 400 mg daily from Dec 1 - Dec 14",
    "venetoclax 400 mg daily on Dec 1 and Dec 8th", "venetoclax 400 mg daily on Dec 1 and Jan 20",
    # Day first (review revLast: venetoclax and decitabine, complete, since c296668, the joiner lost before "8 dec").
    "venetoclax 400 mg daily on 1 Dec and 8 Dec", "venetoclax 400 mg daily on 1 Dec, 8 Dec",
    "venetoclax 400 mg daily on 1 Nov and 8 Dec",
])
def test_a_list_of_dates_joined_by_its_punctuation_or_with_an_ordinal_stays_read(
        default_kb: KnowledgeBase, line: str) -> None:
    result = check(default_kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (result.complete, ven.ordered_dose_mg, ven.recommended_dose_mg) == (True, 400, 70)


def test_dec_and_a_day_after_a_numeric_date_is_still_decitabine(default_kb: KnowledgeBase) -> None:
    # The numeric date makes no list of month names: "and dec 20" reads as in "ven 400 + dec 20", both drugs.
    assert default_kb.resolver.read("venetoclax 400 mg daily started 12/1 and dec 20").drugs == (
        "venetoclax", "decitabine")
