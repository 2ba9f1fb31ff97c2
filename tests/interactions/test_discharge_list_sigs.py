"""Sig words of a whole discharge list as EHRs print it (an eighth pharmacist review).

A 30-line discharge list beside Aza/Ven came back incomplete for seven ordinary lines, each for one sig word:
"Inhale 2 puffs", "Inject 20 Units under the skin", "1 drop both eyes", "SPIRIVA RESPIMAT", and posaconazole's
"loading dose", whose line was then not counted at all beside venetoclax (incomplete, but the 70 mg not given).
"Apply" stays unread: a cream of an interacting drug written without its form ("ketoconazole 2 % - apply") must not
read as taken by mouth.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, UnrecognizedReason, check


@pytest.mark.parametrize(("line", "drugs"), [
    ("albuterol (PROVENTIL HFA) 90 mcg/actuation inhaler - Inhale 2 puffs every 4 hours as needed for wheezing",
     ("albuterol",)),
    ("insulin glargine (LANTUS) 100 unit/mL injection - Inject 20 Units under the skin nightly", ("insulin",)),
    ("filgrastim-sndz (ZARXIO) 480 mcg/0.8 mL syringe - Inject 480 mcg under the skin daily", ("filgrastim",)),
    ("tiotropium (SPIRIVA RESPIMAT) 2.5 mcg/actuation inhaler", ("tiotropium",)),
    ("prednisolone acetate 1 % ophthalmic suspension - 1 drop both eyes four times daily", ("prednisolone",)),
    ("posaconazole 300 mg PO BID x 2 doses (loading dose), then 300 mg daily", ("posaconazole",)),
    ("posaconazole loading 300 mg BID x2 then 300 mg daily", ("posaconazole",)),
    ("melatonin 3 mg at night", ("melatonin",)),
])
def test_a_discharge_list_sig_is_order_text(default_kb: KnowledgeBase, line: str, drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(line).drugs == drugs


def test_a_loading_dose_line_of_posaconazole_sets_the_venetoclax_dose(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(
        (Medication("venetoclax", 400), Medication("azacitidine", 130)),
        (Medication("posaconazole 300 mg PO BID x 2 doses (loading dose), then 300 mg daily"),)))

    (venetoclax,) = [d for d in result.doses if d.drug == "venetoclax"]
    assert (venetoclax.recommended_dose_mg, venetoclax.action) == (70, Action.ADJUST_DOSE)  # was 400, incomplete
    assert result.complete


def test_apply_without_a_form_stays_unread(default_kb: KnowledgeBase) -> None:
    reading = default_kb.resolver.read("ketoconazole 2 % - apply to affected area twice daily")
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
