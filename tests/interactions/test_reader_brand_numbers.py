"""Common home-list "Brand + number" strings, read through the engine once the brand's product list was checked
(`numbered_products = false` in drugs.toml): the number is the strength, and the drug's rules fire. Brands whose
products a number may name, or whose list was not checked, stay unknown."""

from __future__ import annotations

import pytest

from interactions import CheckRequest, CheckResult, KnowledgeBase, Medication, check
from interactions.model import UnrecognizedReason


def _with_aza_ven(kb: KnowledgeBase, text: str) -> CheckResult:
    return check(kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine")), (Medication(text),)))


@pytest.mark.parametrize(("text", "drug"), [
    ("Neoral 100", "cyclosporine"),
    ("Neoral 100 BD", "cyclosporine"),
    ("Sandimmune 100", "cyclosporine"),
    ("Gengraf 100", "cyclosporine"),
    ("Prograf 1", "tacrolimus"),
    ("Prograf 0.5mg BD", "tacrolimus"),
    ("Rapamune 1", "sirolimus"),
    ("Cordarone 200", "amiodarone"),
    ("Zithromax 250", "azithromycin"),
    ("Lanoxin 0.125", "digoxin"),
    ("Decadron 4", "dexamethasone"),
    ("Coreg 6.25", "carvedilol"),
    ("Coreg CR 20", "carvedilol"),  # CR, XR, XL: suffixes of the same drug, never a product number
    ("Seroquel 25", "quetiapine"),
    ("Seroquel XR 300", "quetiapine"),
    ("Risperdal 1", "risperidone"),
    ("Risperdal Consta 25", "risperidone"),
    ("Celexa 20", "citalopram"),
    ("Prozac 20", "fluoxetine"),
    ("Lasix 40", "furosemide"),
    ("Norvasc 5", "amlodipine"),
    ("Synthroid 100", "levothyroxine"),
    ("Levoxyl 75", "levothyroxine"),
    ("Keppra 500", "levetiracetam"),
    ("Keppra XR 500", "levetiracetam"),
    ("Ativan 1", "lorazepam"),
    ("Xanax 0.5", "alprazolam"),
    ("Neurontin 300", "gabapentin"),
    ("Lopressor 25", "metoprolol"),
    ("Toprol XL 50", "metoprolol"),
    ("Zocor 20", "simvastatin"),
    ("Haldol 5", "haloperidol"),
    ("Haldol Decanoate 50", "haloperidol"),
    ("Flagyl 500", "metronidazole"),
    ("Flagyl 375", "metronidazole"),  # the capsule's name is its strength
    ("Effexor XR 75", "venlafaxine"),
    ("Remeron 15", "mirtazapine"),
    ("RemeronSolTab 15", "mirtazapine"),
    ("Zyprexa 5", "olanzapine"),
    ("Zyprexa Zydis 10", "olanzapine"),
    ("Reglan 10", "metoclopramide"),
    ("Compazine 10", "prochlorperazine"),
    ("Medrol 4", "methylprednisolone"),
    ("Solu-Medrol 125", "methylprednisolone"),
    ("Ambien 10", "zolpidem"),
    ("Ambien CR 6.25", "zolpidem"),
    ("Klonopin 0.5", "clonazepam"),
    ("Valium 5", "diazepam"),
    ("Dilaudid 2", "hydromorphone"),
    ("OxyContin 10", "oxycodone"),
    ("MS Contin 15", "morphine"),
    ("Lyrica 75", "pregabalin"),
    ("Lyrica CR 165", "pregabalin"),
    ("Lovenox 40", "enoxaparin"),
    ("Glucophage 500", "metformin"),
    ("Glucophage XR 500", "metformin"),
    ("Zestril 10", "lisinopril"),
    ("Prinivil 10", "lisinopril"),
    ("Aldactone 25", "spironolactone"),
    ("Tamiflu 75", "oseltamivir"),
    ("Cymbalta 60", "duloxetine"),
    ("Flomax 0.4", "tamsulosin"),
    ("Keflex 500", "cephalexin"),
    ("Pravachol 40", "pravastatin"),
    ("Actigall 300", "ursodiol"),
    ("Toradol 10", "ketorolac"),
    ("Famvir 500", "famciclovir"),
    ("Wellbutrin 150", "bupropion"),
])
def test_a_number_after_a_checked_brand_is_its_strength(default_kb: KnowledgeBase, text: str, drug: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((drug,), UnrecognizedReason.UNSPECIFIED), reading.detail


@pytest.mark.parametrize(("text", "dose_mg", "rules"), [
    # antifungal and antiviral prophylaxis: the brand's number is read and the drug's own rule fires
    ("Noxafil 300", 70, {"venetoclax/ven-posaconazole"}),
    ("Noxafil 100", 70, {"venetoclax/ven-posaconazole"}),
    ("Vfend 200", 100, {"venetoclax/ven-strong-cyp3a-inhibitor"}),
    ("Cresemba 186", 200, {"venetoclax/ven-moderate-cyp3a-inhibitor", "venetoclax/ven-pgp-inhibitor"}),
    ("Prevymis 480", 200, {"venetoclax/ven-moderate-cyp3a-inhibitor"}),
    # calcineurin inhibitors and other CYP3A or P-gp inhibitors newly read with their strength
    ("Neoral 100", 200, {"venetoclax/ven-moderate-cyp3a-inhibitor", "venetoclax/ven-pgp-inhibitor"}),
    ("Sandimmune 100", 200, {"venetoclax/ven-moderate-cyp3a-inhibitor", "venetoclax/ven-pgp-inhibitor"}),
    ("Cordarone 200", 200, {"venetoclax/ven-moderate-cyp3a-inhibitor", "venetoclax/ven-pgp-inhibitor"}),
    ("Zithromax 250", 200, {"venetoclax/ven-pgp-inhibitor"}),
    ("Coreg 6.25", 200, {"venetoclax/ven-pgp-inhibitor"}),
    ("Decadron 4", 400, {"venetoclax/ven-dexamethasone"}),
    ("Lanoxin 0.125", 400, {"venetoclax/ven-on-digoxin"}),
    ("Prograf 1", 400, set()),
    ("Norvasc 5", 400, set()),
    # no rule of the knowledge base is about these drugs with venetoclax
    ("Zyprexa 5", 400, set()),
    ("Reglan 10", 400, set()),
    ("Compazine 10", 400, set()),
    ("Medrol 4", 400, set()),
    ("Ambien 10", 400, set()),
    ("Klonopin 0.5", 400, set()),
    ("Valium 5", 400, set()),
    ("Dilaudid 2", 400, set()),
    ("OxyContin 10", 400, set()),
    ("MS Contin 15", 400, set()),
    ("Lyrica 75", 400, set()),
    ("Lovenox 40", 400, set()),
    ("Glucophage 500", 400, set()),
    ("Zestril 10", 400, set()),
    ("Aldactone 25", 400, set()),
    ("Tamiflu 75", 400, set()),
    ("Cymbalta 60", 400, set()),
    ("Flomax 0.4", 400, set()),
    ("Keflex 500", 400, set()),
    ("Pravachol 40", 400, set()),
    ("Actigall 300", 400, set()),
    ("Toradol 10", 400, set()),
    ("Famvir 500", 400, set()),
    ("Wellbutrin 150", 400, set()),
])
def test_the_brand_s_drug_takes_its_rule_beside_aza_ven(default_kb: KnowledgeBase, text: str, dose_mg: float,
                                                        rules: set[str]) -> None:
    result = _with_aza_ven(default_kb, text)
    assert (result.complete, result.unrecognized) == (True, ())
    assert [d.recommended_dose_mg for d in result.doses if d.drug == "venetoclax"] == [dose_mg]
    assert {f.rule for f in result.findings} == rules


@pytest.mark.parametrize(("text", "rule", "drug"), [
    ("Celexa 20", "quizartinib/quiz-qt-known-risk", "citalopram"),
    ("Prograf 1", "quizartinib/quiz-qt-prolonging", "tacrolimus"),
    ("Seroquel 25", "quizartinib/quiz-qt-prolonging", "quetiapine"),
    ("Haldol 5", "quizartinib/quiz-qt-known-risk", "haloperidol"),
    ("Flagyl 500", "quizartinib/quiz-qt-prolonging", "metronidazole"),
    ("Effexor XR 75", "quizartinib/quiz-qt-prolonging", "venlafaxine"),
    ("Remeron 15", "quizartinib/quiz-qt-prolonging", "mirtazapine"),
])
def test_qt_prolonging_brands_with_a_strength_reach_the_qt_rules(default_kb: KnowledgeBase, text: str, rule: str,
                                                                 drug: str) -> None:
    result = check(default_kb, CheckRequest((Medication("quizartinib", 35.4),), (Medication(text),)))
    assert result.complete
    assert (rule, drug) in {(f.rule, f.precipitant_drug) for f in result.findings}


@pytest.mark.parametrize("text", [
    "Tylenol 2",  # Tylenol numbers its codeine products
    "Lopressor HCT 50/25",  # HCT names the product with hydrochlorothiazide
    "Benadryl 25",  # UK Benadryl products hold acrivastine or cetirizine; US ones add other drugs
    "Colace 100",  # Colace 2-in-1 holds senna too
    "Lantus 10",  # insulin: premixes numbered 70/30, 75/25 under the same brands; units, not mg
    "Pepcid 20",  # Pepcid Complete holds calcium carbonate and magnesium hydroxide too
    "Imodium 2",  # Imodium Multi-Symptom Relief holds simethicone too
    "Ultram 50",  # product list not checked (Ultracet, with acetaminophen, is another brand)
    "Percocet 5",  # oxycodone with acetaminophen: another brand, not read as OxyContin's oxycodone
    "Zestoretic 20",  # lisinopril with hydrochlorothiazide
    "Hyzaar 50",  # losartan with hydrochlorothiazide
    "Cozaar 50",  # Cozaar Comp (UK) and Cozaar Plus (Belgium) hold hydrochlorothiazide too
    "CellCept 500",  # its products are the mofetil alone, but "mycophenolate 360" would read as the mofetil too
])
def test_a_brand_whose_numbers_were_not_cleared_stays_unknown(default_kb: KnowledgeBase, text: str) -> None:
    result = _with_aza_ven(default_kb, text)
    assert not result.complete
    assert [(u.name, u.reason) for u in result.unrecognized] == [(text, UnrecognizedReason.UNKNOWN)]
