"""A line recording an allergy or intolerance is not a medication taken (a ninth pharmacist review).

"posaconazole allergy" read as posaconazole ("allergy" was an indication word, as in "prn allergies"), so venetoclax
was cut from 400 to 70 mg for an azole the patient does not take. Such a line is neither counted nor passed over:
it is unrecognised, saying why, and the answer is incomplete. An antihistamine taken for allergies is still read.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check

ALLERGY_LINES = ["posaconazole allergy", "allergic to posaconazole", "ALLERGY: posaconazole",
                 "posaconazole intolerance", "Posaconazole (allergy)", "intolerant of posaconazole",
                 "ALLERGIES: sulfa"]


@pytest.mark.parametrize("name", ALLERGY_LINES)
def test_an_allergy_line_names_no_drug_taken(default_kb: KnowledgeBase, name: str) -> None:
    reading = default_kb.resolver.read(name)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
    assert "an allergy or intolerance, not a medication taken" in reading.detail
    # Suggesting the drug would invite listing it as taken.
    assert default_kb.resolver.suggest(name) == ()


@pytest.mark.parametrize(("name", "drugs"), [
    ("Zyrtec 10mg prn allergies", ("cetirizine",)),
    ("cetirizine 10 mg daily for allergies", ("cetirizine",)),
    ("loratadine 10 mg PO daily PRN allergy", ("loratadine",)),
    ("diphenhydramine 25 mg PO q6h as needed for allergies", ("diphenhydramine",)),
])
def test_an_antihistamine_taken_for_allergies_is_read(default_kb: KnowledgeBase, name: str,
                                                     drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(name).drugs == drugs


def test_an_allergy_line_does_not_lower_the_agent_and_the_answer_says_it_is_incomplete(
        default_kb: KnowledgeBase) -> None:
    request = CheckRequest((Medication("venetoclax", 400), Medication("azacitidine", 75)),
                           (Medication("posaconazole allergy"),), PatientContext())
    result = check(default_kb, request)

    (venetoclax,) = [d for d in result.doses if d.drug == "venetoclax"]
    assert (venetoclax.recommended_dose_mg, venetoclax.action) == (400, Action.CONTINUE)  # was 70 mg, ADJUST_DOSE
    assert result.complete is False
    (unrecognized,) = result.unrecognized
    assert (unrecognized.name, unrecognized.reason, unrecognized.suggestions) == (
        "posaconazole allergy", UnrecognizedReason.UNKNOWN, ())
    assert "allergy or intolerance" in unrecognized.detail


@pytest.mark.parametrize(("name", "suggested"), [
    ("posaconazole DR 300 mg daily (voriconazole intolerance)", ("posaconazole",)),
    ("posaconazole DR 300 mg daily - intolerant of fluconazole", ("posaconazole", "fluconazole")),
])
def test_a_line_with_a_dose_and_another_drugs_intolerance_is_not_an_allergy_record(
        default_kb: KnowledgeBase, name: str, suggested: tuple[str, ...]) -> None:
    # A dose says a medication is taken: it was "not a medication taken", with no suggestion.
    request = CheckRequest((Medication("venetoclax", 400),), (Medication(name, 300),), PatientContext())
    result = check(default_kb, request)

    assert result.complete is False
    (unrecognized,) = result.unrecognized
    assert (unrecognized.reason, unrecognized.suggestions) == (UnrecognizedReason.UNKNOWN, suggested)
    assert "not a medication taken" not in unrecognized.detail
    assert "which is taken and which the allergy or intolerance is to is not guessed" in unrecognized.detail


@pytest.mark.parametrize(("name", "drug"), [
    ("loratadine 10 mg daily - allergies", "loratadine"),
    ("posaconazole 300 mg daily (allergy)", "posaconazole"),
    ("posaconazole DR 300 mg daily - intolerance", "posaconazole"),
])
def test_a_line_with_a_dose_or_frequency_and_one_drug_is_that_drug_taken(
        default_kb: KnowledgeBase, name: str, drug: str) -> None:
    assert default_kb.resolver.read(name).drugs == (drug,)


def test_a_taken_azole_with_an_allergy_word_lowers_venetoclax(default_kb: KnowledgeBase) -> None:
    request = CheckRequest((Medication("venetoclax", 400),),
                           (Medication("posaconazole 300 mg daily (allergy)", 300),), PatientContext())
    result = check(default_kb, request)

    (venetoclax,) = result.doses
    assert (venetoclax.recommended_dose_mg, venetoclax.action, result.complete) == (70, Action.ADJUST_DOSE, True)
