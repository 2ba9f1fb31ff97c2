"""A line that says one drug was changed to another is not read as both drugs taken together.

An eighth pharmacist review: "posaconazole -> micafungin" (a switch, as ward notes write it) read as posaconazole and
micafungin, and venetoclax was cut to 70 mg for an azole the patient no longer takes. "->" now reads as "then" does:
which drug is taken is not guessed (CONFLICT), and the check is incomplete until the list says.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, check
from interactions.model import UnrecognizedReason


@pytest.mark.parametrize("text", ["posaconazole -> micafungin", "posaconazole->micafungin",
                                  "voriconazole 200 mg BID -> isavuconazonium 372 mg daily"])
def test_a_switch_is_not_read_as_both_drugs(default_kb: KnowledgeBase, text: str) -> None:
    reading = default_kb.resolver.read(text)

    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.CONFLICT)


def test_venetoclax_is_not_cut_for_an_azole_switched_away_from(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine", 130)),
                                            (Medication("posaconazole -> micafungin"),), PatientContext()))

    (venetoclax,) = [d for d in result.doses if d.drug == "venetoclax"]
    assert (venetoclax.recommended_dose_mg, venetoclax.action) == (400, Action.CONTINUE)  # was 70, ADJUST_DOSE
    assert not result.complete
    assert [(u.name, u.reason) for u in result.unrecognized] == [
        ("posaconazole -> micafungin", UnrecognizedReason.CONFLICT)]


def test_a_ramp_up_written_with_arrows_is_still_no_dose(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.read("venetoclax 100->200->400 mg").drugs == ("venetoclax",)
    assert default_kb.resolver.stated_dose("venetoclax 100->200->400 mg") is None
