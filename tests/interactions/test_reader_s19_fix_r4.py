"""Fixer R4 of session 19: two readings review 4 found too wide.

A gel made local ("ERYTHROMYCIN 2% GEL") made every term holding "gel" local, the oral ones too: "erythromycin 250 mg
gel caps", "clarithromycin 500 mg gel-cap", "posaconazole oral gel" were NOT_REVIEWED, the check incomplete and
venetoclax left at 400 mg where the inhibitor taken by mouth reduces it (USPI Venclexta 2.4). "Dec." before a day read
as a date also after a joiner or before a course ("venetoclax 400 mg daily + dec. 20 D1-5"): the whole line unknown,
venetoclax unchecked with it, where decitabine was meant.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from tests.interactions.orders import AZA, agent_dose

VEN_400 = Medication("venetoclax", 400)
POSACONAZOLE = Medication("posaconazole 300 mg daily")
"""A strong CYP3A inhibitor: venetoclax beside it is 70 mg (USPI Venclexta 2.4)."""


@pytest.mark.parametrize(("line", "drug", "dose"), [
    # USPI Venclexta 2.4: 200 mg beside a moderate CYP3A inhibitor (erythromycin, fluconazole), 100 mg beside a strong
    # one (clarithromycin, ketoconazole), 70 mg beside posaconazole.
    ("erythromycin 250 mg gel caps", "erythromycin", 200), ("erythromycin 250 mg gel capsule", "erythromycin", 200),
    ("clarithromycin 500 mg gel-cap", "clarithromycin", 100), ("clarithromycin 500 mg gelcaps", "clarithromycin", 100),
    ("ketoconazole oral gel", "ketoconazole", 100), ("fluconazole oral gel", "fluconazole", 200),
    ("posaconazole oral gel", "posaconazole", 70),
])
def test_a_gel_cap_or_oral_gel_of_an_inhibitor_is_taken_by_mouth(default_kb: KnowledgeBase, line: str, drug: str,
                                                                  dose: float) -> None:
    # Was NOT_REVIEWED, complete=false, venetoclax 400 mg CONTINUE.
    assert default_kb.resolver.read(line).drugs == (drug,)
    result = check(default_kb, CheckRequest((VEN_400, AZA), (Medication(line),), PatientContext()))
    assert (result.complete, result.unrecognized) == (True, ())
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (dose, Action.ADJUST_DOSE)


def test_st_john_s_wort_gel_caps_is_the_inducer_to_avoid(default_kb: KnowledgeBase) -> None:
    # Was NOT_REVIEWED, complete=false, and no "avoid" (USPI Venclexta 7.1: avoid strong CYP3A inducers).
    result = check(default_kb, CheckRequest((VEN_400, AZA), (Medication("St John's wort gel caps"),), PatientContext()))
    assert result.complete
    assert agent_dose(result, "venetoclax").avoid_with == ("st john's wort",)
    assert [f.rule for f in result.findings] == ["venetoclax/ven-strong-cyp3a-inducer"]


@pytest.mark.parametrize(("line", "drug"), [
    ("ERYTHROMYCIN 2% GEL", "erythromycin"), ("KETOCONAZOLE 2% GEL", "ketoconazole"),
    ("erythromycin topical gel 2%", "erythromycin"), ("ketoconazole 2% topical gel", "ketoconazole"),
])
def test_a_gel_with_no_word_of_another_route_is_still_local(default_kb: KnowledgeBase, line: str, drug: str) -> None:
    result = check(default_kb, CheckRequest((VEN_400, AZA), (Medication(line),), PatientContext()))
    assert agent_dose(result, "venetoclax").recommended_dose_mg == 400
    assert not result.complete
    (unread,) = result.unrecognized
    assert (unread.reason, unread.ingredients) == (UnrecognizedReason.NOT_REVIEWED, (drug,))


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily + dec. 20 D1-5", "venetoclax 400 mg daily; DEC. 20 D1-5", "ven 400 + dec. 20 x 5d",
    "venetoclax 400 mg daily + dec. 20 IV D1-5", "venetoclax 400 mg daily + dec. 5 days", "ven 400 + dec. 1-5",
    "venetoclax 400 mg daily, DEC. 20 D1-5",
])
def test_dec_after_a_joiner_or_before_a_course_is_decitabine(default_kb: KnowledgeBase, line: str) -> None:
    # Was read as a date: the whole line UNKNOWN, complete=false, venetoclax not reduced beside posaconazole.
    assert sorted(default_kb.resolver.read(line).drugs) == ["decitabine", "venetoclax"]
    result = check(default_kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))
    assert (result.complete, result.unrecognized) == (True, ())
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (70, Action.ADJUST_DOSE)
    assert "decitabine" in [d.drug for d in result.doses]


# With a year or after a word of a date ("Dec. 1, 2026", "started Dec. 20") it is read as a date since s20
# (test_reader_s20_r6.py): venetoclax, complete.
@pytest.mark.parametrize("line", ["venetoclax 400 mg daily, Dec. 1"])
def test_dec_before_a_day_with_no_joiner_nor_course_is_still_a_date(default_kb: KnowledgeBase, line: str) -> None:
    reading = default_kb.resolver.read(line)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
