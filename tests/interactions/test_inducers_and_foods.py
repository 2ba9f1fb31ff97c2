"""Venetoclax with a CYP3A inducer that also inhibits P-gp, and with a food that inhibits CYP3A: the label's
instruction (avoid) without a dose change that would go the wrong way (a pharmacist's and an integrator's findings)."""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, check

AZA_VEN = (Medication("venetoclax", 400), Medication("azacitidine", 130))


def _venetoclax(kb: KnowledgeBase, *concomitant: str) -> tuple[float | None, Action, tuple[str, ...], set[str]]:
    """Venetoclax's dose, action and drugs to avoid, and the rules of every finding on it."""
    result = check(kb, CheckRequest(AZA_VEN, tuple(Medication(name) for name in concomitant)))
    assert result.complete, result.unrecognized
    (dose,) = [d for d in result.doses if d.drug == "venetoclax"]
    rules = {f.rule for f in result.findings if f.rule.startswith("venetoclax/")}
    return dose.recommended_dose_mg, dose.action, dose.avoid_with, rules


@pytest.mark.parametrize(("drug", "rule"), [
    ("enzalutamide", "venetoclax/ven-strong-cyp3a-inducer"),
    ("elagolix", "venetoclax/ven-moderate-cyp3a-inducer"),
])
def test_an_inducer_that_also_inhibits_p_gp_is_avoided_without_halving_the_dose(
        default_kb: KnowledgeBase, drug: str, rule: str) -> None:
    # Was 200 mg from the P-gp row: the inducer lowers venetoclax exposure on the whole.
    assert _venetoclax(default_kb, drug) == (400, Action.CONTINUE, (drug,), {rule})


@pytest.mark.parametrize("food", ["grapefruit", "grapefruit juice", "seville orange", "starfruit"])
def test_a_food_that_inhibits_cyp3a_is_to_be_stopped_not_dosed_around(default_kb: KnowledgeBase, food: str) -> None:
    # Grapefruit was also dosed as a strong inhibitor (100 mg after a 10/20/50/100 ramp-up).
    dose, action, avoid, rules = _venetoclax(default_kb, food)
    assert (dose, action, rules) == (400, Action.CONTINUE, {"venetoclax/ven-food-cyp3a"})
    assert len(avoid) == 1


def test_a_p_gp_inhibitor_that_is_no_inducer_still_halves_the_dose(default_kb: KnowledgeBase) -> None:
    assert _venetoclax(default_kb, "azithromycin")[:2] == (200, Action.ADJUST_DOSE)


def test_grapefruit_beside_a_strong_inhibitor_drug_keeps_the_drug_s_reduction(default_kb: KnowledgeBase) -> None:
    dose, action, avoid, rules = _venetoclax(default_kb, "grapefruit", "voriconazole")
    assert (dose, action, avoid) == (100, Action.ADJUST_DOSE, ("grapefruit",))
    assert rules == {"venetoclax/ven-food-cyp3a", "venetoclax/ven-strong-cyp3a-inhibitor"}
