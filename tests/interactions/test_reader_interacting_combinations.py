"""Combination products that hold a drug some rule is about read as every drug they hold, so that the
rule fires (as NOT_REVIEWED or unknown wholes they left the check incomplete and the interaction unnamed)."""

from __future__ import annotations

import pytest

from interactions import CheckRequest, CheckResult, KnowledgeBase, Medication, check
from interactions.model import Action, UnrecognizedReason

INTERACTING_COMBINATIONS: list[tuple[str, set[str]]] = [
    # HIV: efavirenz, rilpivirine
    ("Atripla", {"efavirenz", "emtricitabine", "tenofovir disoproxil"}),
    ("Atripla 600-200-300 mg PO daily", {"efavirenz", "emtricitabine", "tenofovir disoproxil"}),
    ("Symfi", {"efavirenz", "lamivudine", "tenofovir disoproxil"}),
    ("Symfi Lo 1 tab daily", {"efavirenz", "lamivudine", "tenofovir disoproxil"}),
    ("Complera", {"emtricitabine", "rilpivirine", "tenofovir disoproxil"}),
    ("Eviplera", {"emtricitabine", "rilpivirine", "tenofovir disoproxil"}),
    ("Odefsey 200/25/25 mg tablet daily with food", {"emtricitabine", "rilpivirine", "tenofovir alafenamide"}),
    ("Juluca", {"dolutegravir", "rilpivirine"}),
    ("Cabenuva 600/900 mg IM monthly", {"cabotegravir", "rilpivirine"}),
    ("Rezolsta", {"darunavir", "cobicistat"}),
    # tuberculosis: rifampin
    ("Rifamate", {"isoniazid", "rifampin"}),
    ("Rifamate 2 capsules daily", {"isoniazid", "rifampin"}),
    ("Rifinah", {"isoniazid", "rifampin"}),
    ("Rifater 6 tabs PO daily", {"isoniazid", "pyrazinamide", "rifampin"}),
    ("Rimstar", {"ethambutol", "isoniazid", "pyrazinamide", "rifampin"}),
    # H. pylori packs: clarithromycin, rifabutin, metronidazole
    ("Prevpac", {"lansoprazole", "amoxicillin", "clarithromycin"}),
    ("Prevpac 1 pack BID x 14 days", {"lansoprazole", "amoxicillin", "clarithromycin"}),
    ("Omeclamox-Pak", {"omeprazole", "amoxicillin", "clarithromycin"}),
    ("Talicia", {"omeprazole", "amoxicillin", "rifabutin"}),
    ("Talicia 4 capsules TID", {"omeprazole", "amoxicillin", "rifabutin"}),
    ("Helidac", {"bismuth subsalicylate", "metronidazole", "tetracycline"}),
    ("Pylera", {"bismuth subcitrate potassium", "metronidazole", "tetracycline"}),
    ("Pylera 3 caps QID", {"bismuth subcitrate potassium", "metronidazole", "tetracycline"}),
    ("Zegerid", {"omeprazole", "sodium bicarbonate"}),
    ("Zegerid OTC 20 mg capsule daily", {"omeprazole", "sodium bicarbonate"}),
    # others: QT list, P-gp inhibitor, moderate inducer, hormone and duplication rules
    ("Limbitrol", {"amitriptyline", "chlordiazepoxide"}),
    ("Triavil", {"amitriptyline", "perphenazine"}),
    ("Capozide", {"captopril", "hydrochlorothiazide"}),
    ("Seglentis", {"celecoxib", "tramadol"}),
    ("Roszet 10/10 mg daily", {"ezetimibe", "rosuvastatin"}),
    ("Symbyax 6/25 mg qhs", {"olanzapine", "fluoxetine"}),
    ("Namzaric", {"memantine", "donepezil"}),
    ("Vesomni", {"solifenacin", "tamsulosin"}),
    ("Donnatal 1 tab TID", {"phenobarbital", "hyoscyamine", "atropine", "scopolamine"}),
    ("Promethazine DM 5 mL q6h prn cough", {"promethazine", "dextromethorphan"}),
    ("Prempro", {"conjugated estrogens", "medroxyprogesterone"}),
    ("Activella", {"estradiol", "norethindrone"}),
    ("CombiPatch", {"estradiol", "norethindrone"}),
    ("femhrt", {"ethinyl estradiol", "norethindrone"}),
    ("Seasonique", {"ethinyl estradiol", "levonorgestrel"}),
    ("Twirla patch weekly", {"ethinyl estradiol", "levonorgestrel"}),
    ("Climara Pro", {"estradiol", "levonorgestrel"}),
    ("Kaftrio", {"elexacaftor", "tezacaftor", "ivacaftor"}),
    ("Maviret", {"glecaprevir", "pibrentasvir"}),
]


@pytest.mark.parametrize(("text", "named"), INTERACTING_COMBINATIONS)
def test_a_combination_holding_an_interacting_drug_reads_as_all_its_drugs(default_kb: KnowledgeBase, text: str,
                                                                         named: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert (set(reading.drugs), reading.reason) == (named, UnrecognizedReason.UNSPECIFIED), reading.detail


def _venetoclax_with(kb: KnowledgeBase, text: str) -> CheckResult:
    return check(kb, CheckRequest(regimen=(Medication("venetoclax", dose_mg=400),),
                                  concomitant=(Medication(text),)))


def test_the_rifampin_of_rifamate_is_avoided_with_venetoclax(default_kb: KnowledgeBase) -> None:
    result = _venetoclax_with(default_kb, "Rifamate 2 capsules daily")
    [finding] = result.findings
    [dose] = result.doses
    assert result.complete
    assert (finding.precipitant_drug, finding.action, finding.rule) == (
        "rifampin", Action.AVOID_COMBINATION, "venetoclax/ven-strong-cyp3a-inducer")
    assert dose.avoid_with == ("rifampin",)


def test_the_clarithromycin_of_prevpac_sets_the_strong_inhibitor_venetoclax_dose(default_kb: KnowledgeBase) -> None:
    result = _venetoclax_with(default_kb, "Prevpac")
    [dose] = result.doses
    assert result.complete
    assert dose.recommended_dose_mg == 100
    assert [step.dose_mg for step in dose.ramp_up] == [10, 20, 50, 100]
    assert {finding.precipitant_drug for finding in dose.findings} == {"clarithromycin"}


def test_the_efavirenz_of_atripla_is_avoided_with_venetoclax(default_kb: KnowledgeBase) -> None:
    result = _venetoclax_with(default_kb, "Atripla 600-200-300 mg PO daily")
    assert result.complete
    assert [(f.precipitant_drug, f.action, f.rule) for f in result.findings] == [
        ("efavirenz", Action.AVOID_COMBINATION, "venetoclax/ven-moderate-cyp3a-inducer")]


def test_the_rifabutin_of_talicia_is_avoided_with_venetoclax(default_kb: KnowledgeBase) -> None:
    result = _venetoclax_with(default_kb, "Talicia 4 caps TID")
    assert result.complete
    assert [(f.precipitant_drug, f.action, f.rule) for f in result.findings] == [
        ("rifabutin", Action.AVOID_COMBINATION, "venetoclax/ven-moderate-cyp3a-inducer")]


@pytest.mark.parametrize("text", ["Voquezna Triple Pak", "Voquezna Dual Pak"])
def test_a_pack_holding_a_drug_whose_cyp3a_effect_is_unread_stays_unknown(default_kb: KnowledgeBase,
                                                                          text: str) -> None:
    # Vonoprazan's own CYP3A inhibition was not read from its label: recognised with no class, it would
    # pass silently if it were a moderate inhibitor. Unknown, the check says it is incomplete.
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)


def test_ivosidenib_with_a_combined_contraceptive_flags_both_hormones_and_keeps_its_dose(
        default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(regimen=(Medication("ivosidenib", dose_mg=500),),
                                            concomitant=(Medication("Seasonique"),)))
    [dose] = result.doses
    assert result.complete
    assert dose.recommended_dose_mg == 500
    assert {(f.object_drug, f.rule) for f in result.findings} >= {
        ("ethinyl estradiol", "ivosidenib/ivo-on-hormonal-contraceptives"),
        ("levonorgestrel", "ivosidenib/ivo-on-hormonal-contraceptives")}
