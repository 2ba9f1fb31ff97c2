"""Home-medication combination brands read as every drug they hold, or stay unknown when the name alone
does not say which of a brand's products (and so which drugs) is meant."""

from __future__ import annotations

import pytest

from interactions import CheckRequest, KnowledgeBase, Medication, check
from interactions.model import UnrecognizedReason

HOME_COMBINATIONS: list[tuple[str, set[str]]] = [
    # sleep aids and PM pain relievers
    ("Tylenol PM", {"acetaminophen", "diphenhydramine"}),
    ("Tylenol PM Extra Strength 2 tabs qhs prn sleep", {"acetaminophen", "diphenhydramine"}),
    ("Advil PM", {"ibuprofen", "diphenhydramine"}),
    ("Motrin PM", {"ibuprofen", "diphenhydramine"}),
    ("Aleve PM", {"naproxen", "diphenhydramine"}),
    ("Excedrin PM", {"acetaminophen", "aspirin", "diphenhydramine"}),
    ("Bayer PM", {"aspirin", "diphenhydramine"}),
    ("Excedrin Migraine", {"acetaminophen", "aspirin", "caffeine"}),
    ("ZzzQuil", {"diphenhydramine"}),
    ("Unisom SleepTabs", {"doxylamine"}),
    # cough, cold and allergy
    ("Robitussin DM", {"guaifenesin", "dextromethorphan"}),
    ("Mucinex DM", {"guaifenesin", "dextromethorphan"}),
    ("guaifenesin DM 600-30 mg tablet", {"guaifenesin", "dextromethorphan"}),
    ("Robitussin AC", {"guaifenesin", "codeine"}),
    ("Cheratussin AC", {"guaifenesin", "codeine"}),
    ("Guaifenesin AC", {"guaifenesin", "codeine"}),
    ("Guaifenesin AC syrup 10 mL", {"guaifenesin", "codeine"}),
    ("Zyrtec-D", {"cetirizine", "pseudoephedrine"}),
    ("Zyrtec D", {"cetirizine", "pseudoephedrine"}),
    ("Claritin-D", {"loratadine", "pseudoephedrine"}),
    ("Claritin-D 24 hour", {"loratadine", "pseudoephedrine"}),
    ("Allegra-D", {"fexofenadine", "pseudoephedrine"}),
    ("Allegra D", {"fexofenadine", "pseudoephedrine"}),
    ("Allegra-D 24 hour", {"fexofenadine", "pseudoephedrine"}),
    ("Advil Cold and Sinus", {"ibuprofen", "pseudoephedrine"}),
    ("Sudafed PE", {"phenylephrine"}),
    ("Sudafed", {"pseudoephedrine"}),
    ("Phenergan VC", {"promethazine", "phenylephrine"}),
    ("Tussionex", {"hydrocodone", "chlorpheniramine"}),
    ("Duo-Neb", {"ipratropium", "albuterol"}),
    ("DuoNeb 3 mL neb q6h", {"ipratropium", "albuterol"}),
    # gut
    ("Imodium A-D", {"loperamide"}),
    ("Senna-S", {"senna", "docusate"}),
    # prescription combinations
    ("Diovan HCT", {"valsartan", "hydrochlorothiazide"}),
    ("Benicar HCT", {"olmesartan", "hydrochlorothiazide"}),
    ("Hyzaar", {"losartan", "hydrochlorothiazide"}),
    ("Lotrel", {"amlodipine", "benazepril"}),
    ("Janumet", {"sitagliptin", "metformin"}),
    ("Caduet", {"amlodipine", "atorvastatin"}),
    ("Vytorin", {"ezetimibe", "simvastatin"}),
    ("Sinemet", {"carbidopa", "levodopa"}),
    ("Ultracet", {"tramadol", "acetaminophen"}),
    ("Fosamax Plus D", {"alendronate", "cholecalciferol"}),
    ("Tylenol #3", {"acetaminophen", "codeine"}),
    ("TYLENOL #3 TAB", {"acetaminophen", "codeine"}),
    ("Tylenol #4", {"acetaminophen", "codeine"}),
    ("Tylenol 3", {"acetaminophen", "codeine"}),
    ("Tylenol with Codeine #3", {"acetaminophen", "codeine"}),
    # combinations holding a drug some rule is about
    ("Tarka 2/240 mg ER tablet", {"trandolapril", "verapamil"}),
    ("Nuedexta 20/10 mg BID", {"dextromethorphan", "quinidine"}),
    ("Suboxone 8/2", {"buprenorphine", "naloxone"}),
    ("Zubsolv", {"buprenorphine", "naloxone"}),
]


@pytest.mark.parametrize(("text", "named"), HOME_COMBINATIONS)
def test_a_home_combination_brand_reads_as_all_its_drugs(default_kb: KnowledgeBase, text: str,
                                                         named: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert (set(reading.drugs), reading.reason) == (named, UnrecognizedReason.UNSPECIFIED), reading.detail


@pytest.mark.parametrize("text", [
    # several current products under the one name, with different ingredients: which one is not guessed
    "NyQuil", "DayQuil", "NyQuil Cold and Flu", "Tylenol Cold and Flu", "Maalox", "Unisom",
    # a suffix naming another product that drugs.toml does not name stays unknown, never the brand alone
    "Mucinex D", "Aleve-D", "Tylenol #2",
])
def test_a_brand_name_that_does_not_say_which_product_stays_unknown(default_kb: KnowledgeBase, text: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN), reading.detail


def test_a_combination_brand_beside_another_drug_keeps_both(default_kb: KnowledgeBase) -> None:
    reading = default_kb.resolver.read("Tylenol PM / venetoclax 400 mg")
    assert set(reading.drugs) == {"acetaminophen", "diphenhydramine", "venetoclax"}


def test_the_verapamil_of_tarka_halves_venetoclax(default_kb: KnowledgeBase) -> None:
    # Verapamil, a moderate CYP3A and a P-gp inhibitor, reaches the rules only when Tarka reads as its drugs.
    result = check(default_kb, CheckRequest(regimen=(Medication("venetoclax", dose_mg=400),),
                                            concomitant=(Medication("Tarka 2/240 mg ER tablet"),)))
    [dose] = result.doses
    assert result.complete
    assert dose.recommended_dose_mg == 200
    assert {finding.precipitant_drug for finding in dose.findings} == {"verapamil"}
