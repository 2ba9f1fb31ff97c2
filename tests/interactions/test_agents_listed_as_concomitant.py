"""An agent or backbone listed among the other medications is checked as the regimen, never skipped."""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    FieldViolation,
    InvalidRequestError,
    KnowledgeBase,
    Medication,
    PatientContext,
    check,
)
from interactions.engine import NO_REGIMEN

AZA = Medication("azacitidine", 75)
POSA = Medication("posaconazole", 300)


def _venetoclax(default_kb: KnowledgeBase, regimen: tuple[Medication, ...], concomitant: tuple[Medication, ...],
                ) -> tuple[float | None, Action, set[str]]:
    result = check(default_kb, CheckRequest(regimen, concomitant, PatientContext()))
    (dose,) = [d for d in result.doses if d.drug == "venetoclax"]
    findings = {f.rule for f in result.findings if f.object_drug == "venetoclax"}
    return dose.recommended_dose_mg, dose.action, findings


def test_an_agent_sent_as_a_co_medication_gets_its_rules_and_dose(default_kb: KnowledgeBase) -> None:
    """The patient already takes venetoclax; the new order is azacitidine; posaconazole is on the list."""
    listed_apart = _venetoclax(default_kb, (AZA,), (Medication("venetoclax", 400), POSA))

    assert listed_apart == (70, Action.ADJUST_DOSE, {"venetoclax/ven-posaconazole"})
    assert listed_apart == _venetoclax(default_kb, (AZA, Medication("venetoclax", 400)), (POSA,))


def test_an_agent_in_both_lists_is_checked_once(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), AZA),
                                            (Medication("Venclexta 100 mg tablet"), POSA), PatientContext()))

    assert [d.drug for d in result.doses] == ["azacitidine", "venetoclax"]
    venetoclax = next(d for d in result.doses if d.drug == "venetoclax")
    assert venetoclax.recommended_dose_mg == 70
    # The line left out is named (a pharmacist's review: "Venclexta 100" appeared nowhere in the answer).
    assert venetoclax.notes.startswith("Also listed among the other medications as 'Venclexta 100 mg tablet': "
                                       "checked once, at the dose above; confirm which the patient takes.")


def test_an_agent_listed_twice_among_the_other_medications_names_the_line_left_out(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((AZA,), (Medication("venetoclax", 400), Medication("Venclexta", 100)),
                                            PatientContext()))
    (venetoclax,) = [d for d in result.doses if d.drug == "venetoclax"]
    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg) == (400, 400)
    assert "Also listed among the other medications as 'Venclexta' (100 mg)" in venetoclax.rationale


def test_a_stopped_agent_stays_a_stopped_co_medication(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(
        (AZA,), (Medication("venetoclax", 400, stopped_on="2026-01-01"), POSA),
        PatientContext(as_of_date="2026-01-20")))

    assert [d.drug for d in result.doses] == ["azacitidine"]


def test_a_named_regimen_among_the_co_medications_gives_its_dose_to_its_agent(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("gilteritinib", 120),), (Medication("Aza/Ven", 400),),
                                            PatientContext()))

    doses = {d.drug: (d.ordered_dose_mg, d.recommended_dose_mg) for d in result.doses}
    assert doses == {"azacitidine": (0, None), "gilteritinib": (120, 120), "venetoclax": (400, 400)}


def test_a_named_regimen_whose_backbone_is_ordered_brings_its_agent_alone(default_kb: KnowledgeBase) -> None:
    assert _venetoclax(default_kb, (AZA,), (Medication("Aza/Ven", 400), POSA)) == (
        70, Action.ADJUST_DOSE, {"venetoclax/ven-posaconazole"})


def test_a_backbone_listed_alone_stays_a_co_medication(default_kb: KnowledgeBase) -> None:
    """Cytarabine on the list may be a past course: it must not choose venetoclax's 600 mg."""
    result = check(default_kb, CheckRequest((Medication("venetoclax"),), (Medication("cytarabine"),), PatientContext()))

    assert [(d.drug, d.recommended_dose_mg) for d in result.doses] == [("venetoclax", 400)]


def test_a_list_of_co_medications_only_is_checked_by_the_agent_among_them(default_kb: KnowledgeBase) -> None:
    """An export that does not say which drug is the regimen: the targeted agents are."""
    assert _venetoclax(default_kb, (), (Medication("Venclexta 100 mg tab", 400), POSA, Medication("acyclovir"))) == (
        70, Action.ADJUST_DOSE, {"venetoclax/ven-posaconazole"})


@pytest.mark.parametrize(("concomitant", "said"), [
    (("posaconazole", "acyclovir"), NO_REGIMEN),
    (("venetoclx", "posaconazole"), f"{NO_REGIMEN} (not recognised: venetoclx)"),
])
def test_co_medications_only_with_no_agent_among_them_are_invalid_at_regimen(
        default_kb: KnowledgeBase, concomitant: tuple[str, ...], said: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        check(default_kb, CheckRequest((), tuple(map(Medication, concomitant)), PatientContext()))

    assert raised.value.violations == (FieldViolation("regimen", said),)


@pytest.mark.parametrize(("regimen", "listed", "said"), [
    (Medication("gemtuzumab ozogamicin 3 mg/m2 days 1, 4, 7"), Medication("gemtuzumab ozogamicin", 8),
     "'gemtuzumab ozogamicin' (8 mg, above the label's 4.5 mg)"),
    (Medication("venetoclax", 400), Medication("Venclexta", 800), "'Venclexta' (800 mg, above the label's 400 mg)"),
    (Medication("venetoclax", 400), Medication("Venclexta", 100), "'Venclexta' (100 mg): checked once"),
])
def test_a_line_left_out_above_the_label_s_most_says_so(default_kb: KnowledgeBase, regimen: Medication,
                                                         listed: Medication, said: str) -> None:
    # Review revS: only the regimen's line is checked, and a listed 8 mg of gemtuzumab ozogamicin (one 4.5 mg vial
    # a dose at most) went unremarked beside its order per m2.
    result = check(default_kb, CheckRequest((regimen, AZA if regimen.name == "venetoclax" else Medication(
        "daunorubicin", 90)), (listed,), PatientContext()))
    (dose,) = [d for d in result.doses if d.drug == regimen.name.split(" 3")[0]]
    assert f"Also listed among the other medications as {said}" in dose.rationale, dose.rationale
