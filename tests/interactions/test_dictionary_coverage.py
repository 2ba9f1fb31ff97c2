"""The reviewed drug dictionary covers the source lists it was built from, each drug in the right class.

The expected lists are written out here (from the compendium CYP3A and P-gp tables, eviQ's QT list,
the CredibleMeds tiers as encoded, the clinical review's G2 supportive care and cds-hooks.md section
15's RxNorm codes), so that a change to either the data or the list shows in review.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from interactions.reader import normalise
from interactions.schema import ClassesFile, DrugsFile

DATA = Path(__file__).resolve().parents[2] / "interactions" / "data"


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


DRUGS = DrugsFile.model_validate(_load(DATA / "drugs.toml"))
CLASSES = ClassesFile.model_validate(_load(DATA / "classes.toml"))
BY_NAME = {d.name: d for d in DRUGS.drugs}
MEMBERS = {c.id: set(c.members) for c in CLASSES.classes}
NOTES = {c.id: c.member_notes for c in CLASSES.classes}
COMBINATIONS = {c.name: c for c in DRUGS.combinations}
OWNER = {normalise(alias): d.name for d in DRUGS.drugs for alias in (d.name, *d.synonyms)}
OWNER |= {normalise(alias): c.name for c in DRUGS.combinations for alias in (c.name, *c.synonyms)}

# --- compendium CYP3A table (clinical-sources S41, "based upon FDA guidance") -------------------

COMPENDIUM_CYP3A: dict[str, set[str]] = {
    "cyp3a4_strong_inhibitor": {
        "atazanavir", "ceritinib", "clarithromycin", "cobicistat", "darunavir", "idelalisib", "indinavir",
        "itraconazole", "ketoconazole", "levoketoconazole", "lonafarnib", "lopinavir", "mifepristone",
        "nefazodone", "nelfinavir", "posaconazole", "ritonavir", "saquinavir", "telithromycin", "tucatinib",
        "voriconazole",
    },
    "cyp3a4_moderate_inhibitor": {
        "amiodarone", "aprepitant", "berotralstat", "cimetidine", "conivaptan", "crizotinib", "cyclosporine",
        "diltiazem", "duvelisib", "dronedarone", "erythromycin", "fedratinib", "fluconazole", "fosamprenavir",
        "fosaprepitant", "fosnetupitant", "grapefruit", "imatinib", "isavuconazole", "lefamulin", "letermovir",
        "netupitant", "nilotinib", "ribociclib", "schisandra", "verapamil",
    },
    "cyp3a4_strong_inducer": {
        "apalutamide", "carbamazepine", "enzalutamide", "fosphenytoin", "lumacaftor", "mitotane",
        "phenobarbital", "phenytoin", "primidone", "rifampin",
    },
    "cyp3a4_moderate_inducer": {
        "bexarotene", "bosentan", "cenobamate", "dabrafenib", "dexamethasone", "dipyrone", "efavirenz",
        "elagolix", "eslicarbazepine", "etravirine", "lorlatinib", "modafinil", "nafcillin", "pexidartinib",
        "rifabutin", "rifapentine", "sotorasib", "st john's wort",
    },
}
# The label examples class these more strongly than the compendium: the label's class is kept.
STRONGER_IN_THE_LABELS = {
    "diltiazem": "cyp3a4_strong_inhibitor", "conivaptan": "cyp3a4_strong_inhibitor",
    "grapefruit": "cyp3a4_strong_inhibitor", "rifapentine": "cyp3a4_strong_inducer",
    "st john's wort": "cyp3a4_strong_inducer",
}
# Combinations the compendium lists, strong or moderate through a classed component.
COMPENDIUM_CYP3A_PRODUCTS = {
    "technivie": "cyp3a4_strong_inhibitor", "viekira pak": "cyp3a4_strong_inhibitor",
    "orkambi": "cyp3a4_strong_inducer", "oriahnn": "cyp3a4_moderate_inducer",
    "akynzeo iv": "cyp3a4_moderate_inhibitor", "paxlovid": "cyp3a4_strong_inhibitor",
}

# --- compendium P-gp table (clinical-sources S42) -----------------------------------------------

COMPENDIUM_PGP: dict[str, set[str]] = {
    "pgp_inhibitor": {
        "amiodarone", "abrocitinib", "azithromycin", "cannabidiol", "capmatinib", "carvedilol", "clarithromycin",
        "cobicistat", "cyclosporine", "daclatasvir", "diosmin", "dronedarone", "elagolix", "eliglustat",
        "enzalutamide", "erythromycin", "flibanserin", "fostamatinib", "glecaprevir", "pibrentasvir",
        "isavuconazole", "itraconazole", "ivacaftor", "ketoconazole", "lapatinib", "ledipasvir",
        "levoketoconazole", "neratinib", "osimertinib", "posaconazole", "propafenone", "quinidine", "quinine",
        "ranolazine", "ritonavir", "rolapitant", "selpercatinib", "simeprevir", "tamoxifen", "tepotinib",
        "ticagrelor", "tucatinib", "velpatasvir", "vemurafenib", "verapamil", "voclosporin",
    },
    "pgp_inducer": {
        "apalutamide", "carbamazepine", "fosphenytoin", "green tea", "lorlatinib", "phenytoin", "rifampin",
        "st john's wort",
    },
}
COMPENDIUM_PGP_PRODUCTS = {"mavyret", "symdeko", "trikafta", "harvoni", "epclusa", "paxlovid", "technivie"}

# --- QT: eviQ's list (S47) and the CredibleMeds tiers as encoded (verify) ------------------------

EVIQ = {
    "amiodarone", "disopyramide", "dofetilide", "procainamide", "quinidine", "sotalol", "amisulpride",
    "chlorpromazine", "clozapine", "droperidol", "fluphenazine", "haloperidol", "pimozide", "risperidone",
    "thioridazine", "ziprasidone", "citalopram", "escitalopram", "fluoxetine", "lithium", "amitriptyline",
    "clomipramine", "doxepin", "imipramine", "azithromycin", "clarithromycin", "erythromycin", "metronidazole",
    "moxifloxacin", "pentamidine", "fluconazole", "ketoconazole", "voriconazole", "atazanavir", "lopinavir",
    "nelfinavir", "chloroquine", "mefloquine", "quinine", "anagrelide", "arsenic trioxide", "cabozantinib",
    "ceritinib", "crizotinib", "dabrafenib", "dasatinib", "degarelix", "eribulin", "goserelin", "lapatinib",
    "lenvatinib", "leuprolide", "nilotinib", "osimertinib", "oxaliplatin", "pazopanib", "ribociclib",
    "romidepsin", "sorafenib", "sunitinib", "toremifene", "triptorelin", "vandetanib", "vemurafenib",
    "dolasetron", "ondansetron", "granisetron", "palonosetron", "domperidone", "methadone", "pasireotide",
    "solifenacin", "tacrolimus", "tetrabenazine", "vardenafil",
}
KNOWN = {
    "toremifene", "vandetanib", "arsenic trioxide", "anagrelide", "oxaliplatin", "fluconazole", "clarithromycin",
    "erythromycin", "azithromycin", "ciprofloxacin", "levofloxacin", "moxifloxacin", "pentamidine", "ondansetron",
    "droperidol", "domperidone", "cilostazol", "methadone", "citalopram", "escitalopram", "haloperidol",
    "chlorpromazine", "thioridazine", "pimozide", "propofol", "donepezil", "amiodarone", "dronedarone", "sotalol",
    "dofetilide", "quinidine", "procainamide", "disopyramide", "flecainide", "ibutilide", "hydroxychloroquine",
    "chloroquine",
}
POSSIBLE = {
    "gilteritinib", "ivosidenib", "glasdegib", "sorafenib", "nilotinib", "dasatinib", "bosutinib", "crizotinib",
    "ceritinib", "lapatinib", "ribociclib", "selpercatinib", "osimertinib", "vemurafenib", "tamoxifen",
    "lenvatinib", "pazopanib", "sunitinib", "eribulin", "romidepsin", "vorinostat", "degarelix", "goserelin",
    "leuprolide", "triptorelin", "foscarnet", "rilpivirine", "efavirenz", "ritonavir", "atazanavir",
    "granisetron", "dolasetron", "promethazine", "pasireotide", "tramadol", "buprenorphine", "venlafaxine",
    "mirtazapine", "lithium", "paliperidone", "aripiprazole", "clozapine", "asenapine", "iloperidone",
    "pimavanserin", "dexmedetomidine", "atomoxetine", "tetrabenazine", "tacrolimus", "nicardipine", "isradipine",
    "alfuzosin", "vardenafil", "mifepristone", "mirabegron",
}
CONDITIONAL = {
    "metronidazole", "olanzapine", "prochlorperazine", "metoclopramide", "famotidine", "pantoprazole",
    "omeprazole", "esomeprazole", "lansoprazole", "rabeprazole", "loperamide", "fluoxetine", "sertraline",
    "paroxetine", "fluvoxamine", "trazodone", "amitriptyline", "nortriptyline", "imipramine", "clomipramine",
    "doxepin", "quetiapine", "risperidone", "ziprasidone", "amisulpride", "hydroxyzine", "diphenhydramine",
    "furosemide", "torsemide", "bumetanide", "hydrochlorothiazide", "indapamide", "solifenacin",
}

# --- the clinical review's G2 (kb-review.md) and the supportive-care list ----------------

SUPPORTIVE_CARE = {
    # antifungals
    "posaconazole", "voriconazole", "itraconazole", "ketoconazole", "fluconazole", "isavuconazole",
    "levoketoconazole", "clotrimazole", "miconazole", "micafungin", "caspofungin", "anidulafungin", "rezafungin",
    "amphotericin b",
    # antivirals
    "acyclovir", "valacyclovir", "ganciclovir", "valganciclovir", "letermovir", "maribavir", "foscarnet",
    "cidofovir", "remdesivir", "molnupiravir", "oseltamivir", "entecavir",
    # antibacterials and PJP prophylaxis
    "levofloxacin", "ciprofloxacin", "metronidazole", "doxycycline", "clindamycin", "ertapenem", "tobramycin",
    "ceftazidime-avibactam", "cefiderocol", "meropenem", "cefepime", "vancomycin", "atovaquone", "dapsone",
    "pentamidine", "tmp-smx",
    # antiemetics
    "ondansetron", "granisetron", "palonosetron", "aprepitant", "fosaprepitant", "rolapitant", "netupitant",
    "fosnetupitant", "olanzapine", "prochlorperazine", "metoclopramide", "dexamethasone",
    # acid suppression
    "famotidine", "pantoprazole", "omeprazole", "esomeprazole", "rabeprazole",
    # tumour lysis and electrolytes
    "allopurinol", "rasburicase", "febuxostat", "potassium chloride", "magnesium sulfate", "potassium phosphate",
    "sodium phosphate", "sodium bicarbonate",
    # anticoagulants
    "apixaban", "rivaroxaban", "dabigatran", "edoxaban", "heparin", "enoxaparin", "fondaparinux", "argatroban",
    "warfarin",
    # analgesics and opioids
    "acetaminophen", "morphine", "hydromorphone", "oxycodone", "fentanyl", "tramadol", "methadone",
    # psychotropics
    "citalopram", "escitalopram", "sertraline", "fluoxetine", "paroxetine", "fluvoxamine", "venlafaxine",
    "duloxetine", "mirtazapine", "trazodone", "quetiapine", "haloperidol", "risperidone", "lorazepam",
    "alprazolam", "midazolam", "zolpidem", "hydroxyzine", "diphenhydramine",
    # transplant immunosuppressants and steroids
    "tacrolimus", "sirolimus", "cyclosporine", "mycophenolate", "prednisone", "methylprednisolone",
    "hydrocortisone",
    # common chronic medications
    "atorvastatin", "simvastatin", "amlodipine", "lisinopril", "metoprolol", "levothyroxine", "metformin",
    "insulin",
    # fluids and flushes
    "sodium chloride", "normal saline", "dextrose", "lactated ringer's", "heparin lock flush",
    # vitamins and supplements
    "cholecalciferol", "vitamin d3", "folic acid", "multivitamin",
    # other named in G2
    "flecainide", "procainamide", "disopyramide", "propafenone", "quinine", "tamoxifen", "nilotinib",
    "deferasirox", "eltrombopag", "tretinoin", "loperamide", "hydroxyurea", "filgrastim", "pegfilgrastim",
    # partners named in G2 and the issue
    "fludarabine", "cladribine", "clofarabine", "mitoxantrone", "etoposide", "cpx-351", "inqovi",
    "mercaptopurine", "fluorouracil", "thioguanine", "dalfampridine",
}

# --- cds-hooks.md section 15: the only RxNorm codes the dictionary may hold -------------------------

RXNORM_CODES = {
    "venetoclax": "1747556", "gilteritinib": "2105806", "ivosidenib": "2049873", "enasidenib": "1940332",
    "midostaurin": "1919083", "sorafenib": "495881", "azacitidine": "1251", "decitabine": "15657",
    "cytarabine": "3041", "posaconazole": "282446", "voriconazole": "121243", "itraconazole": "28031",
    "fluconazole": "4450", "clarithromycin": "21212", "rifampin": "9384", "carbamazepine": "2002",
}
SINGLE_SOURCE_CODES = {"venetoclax", "gilteritinib", "ivosidenib", "enasidenib", "posaconazole", "itraconazole",
                       "fluconazole", "clarithromycin", "rifampin"}
# The agents' salt, product and brand codes in section 15's S-CIBMTR file (med-form2400-post-hct-disease-therapy-
# valueset.fsh @23bcc0f6, read in session 12): what pharmacy catalogues send. Single source, so each is verify.
CIBMTR_PRODUCT_CODES = {
    "gilteritinib": {"2105823", "2105811", "2105817", "2105812"},
    "ivosidenib": {"2049878", "2049884", "2049879"},
    "enasidenib": {"1940331", "1940370", "1940372", "1940374", "1940376", "1940338"},
    "midostaurin": {"1919088", "1919094", "1919089"},
    "sorafenib": {"597744", "597747", "615979", "619985"},
}


def _components(name: str) -> tuple[str, ...]:
    return COMBINATIONS[name].components if name in COMBINATIONS else (name,)


# --- size and review ------------------------------------------------------------------------------

def test_the_dictionary_holds_at_least_500_reviewed_drugs() -> None:
    assert len(DRUGS.drugs) >= 500
    assert all(d.reviewed for d in DRUGS.drugs)


@pytest.mark.parametrize("drug", [d.name for d in DRUGS.drugs])
def test_every_drug_was_checked_against_the_cyp3a_pgp_and_qt_lists(drug: str) -> None:
    sources = {c.source for c in BY_NAME[drug].reviewed}
    assert {"compendium-cyp3a", "compendium-pgp"} <= sources
    assert sources & {"crediblemeds", "crediblemeds-possible", "crediblemeds-conditional"}


def test_qt_tiers_are_cited_as_read_from_secondary_restatements() -> None:
    for drug in DRUGS.drugs:
        for c in drug.reviewed:
            if c.source.startswith("crediblemeds"):
                assert c.verify, drug.name


# --- CYP3A and P-gp ---------------------------------------------------------------------------

@pytest.mark.parametrize(("class_id", "drug"), sorted((c, d) for c, ds in COMPENDIUM_CYP3A.items() for d in ds))
def test_every_compendium_cyp3a_drug_is_in_its_class(class_id: str, drug: str) -> None:
    stronger = STRONGER_IN_THE_LABELS.get(drug)
    if stronger:
        assert drug in MEMBERS[stronger]
        assert drug in NOTES[stronger]
    else:
        assert drug in MEMBERS[class_id]


@pytest.mark.parametrize(("product", "class_id"), sorted(COMPENDIUM_CYP3A_PRODUCTS.items()))
def test_compendium_cyp3a_products_act_through_a_classed_component(product: str, class_id: str) -> None:
    assert set(_components(product)) & MEMBERS[class_id]


@pytest.mark.parametrize(("class_id", "drug"), sorted((c, d) for c, ds in COMPENDIUM_PGP.items() for d in ds))
def test_every_compendium_pgp_drug_is_in_its_class(class_id: str, drug: str) -> None:
    assert drug in MEMBERS[class_id]


@pytest.mark.parametrize("product", sorted(COMPENDIUM_PGP_PRODUCTS))
def test_compendium_pgp_products_act_through_a_classed_component(product: str) -> None:
    assert set(_components(product)) & MEMBERS["pgp_inhibitor"]


def test_no_cyp3a_class_holds_a_drug_twice_over() -> None:
    cyp = ["cyp3a4_strong_inhibitor", "cyp3a4_moderate_inhibitor"]
    assert MEMBERS[cyp[0]] & MEMBERS[cyp[1]] == set()
    assert MEMBERS["cyp3a4_strong_inducer"] & MEMBERS["cyp3a4_moderate_inducer"] == set()


def test_fluvoxamine_is_a_moderate_cyp3a_inhibitor_and_cited_as_such() -> None:
    assert "fluvoxamine" in MEMBERS["cyp3a4_moderate_inhibitor"]
    assert any(c.source == "fda-ddi" and c.verify for c in BY_NAME["fluvoxamine"].reviewed)
    assert "fluvoxamine" in NOTES["cyp3a4_moderate_inhibitor"]


def test_boosted_hiv_products_are_strong_inhibitors_through_their_booster() -> None:
    boosted = {"prezcobix", "evotaz", "genvoya", "stribild", "symtuza", "darunavir/ritonavir",
               "atazanavir/ritonavir", "kaletra", "paxlovid", "tipranavir/ritonavir"}
    for product in boosted:
        assert {"ritonavir", "cobicistat"} & set(COMBINATIONS[product].components), product
    for combination in DRUGS.combinations:
        if {"ritonavir", "cobicistat"} & set(combination.components):
            assert set(combination.components) & MEMBERS["cyp3a4_strong_inhibitor"], combination.name


@pytest.mark.parametrize(("alias", "product"), [
    ("darunavir/r", "darunavir/ritonavir"), ("DRV/r", "darunavir/ritonavir"),
    ("ritonavir-boosted darunavir", "darunavir/ritonavir"), ("Prezcobix", "prezcobix"),
    ("darunavir/cobicistat", "prezcobix"), ("Evotaz", "evotaz"), ("Genvoya", "genvoya"),
    ("Stribild", "stribild"), ("Symtuza", "symtuza"), ("ATV/r", "atazanavir/ritonavir"),
])
def test_boosted_product_names(alias: str, product: str) -> None:
    assert OWNER[normalise(alias)] == product


# --- QT --------------------------------------------------------------------------------------

def test_qt_tiers_are_as_encoded() -> None:
    tiers = {d.name: d.qt_risk for d in DRUGS.drugs if d.qt_risk}
    assert {n for n, t in tiers.items() if t == "known"} == KNOWN
    assert {n for n, t in tiers.items() if t == "possible"} == POSSIBLE
    assert {n for n, t in tiers.items() if t == "conditional"} == CONDITIONAL


def test_known_and_possible_risk_drugs_are_qt_prolonging() -> None:
    assert (KNOWN | POSSIBLE) - MEMBERS["qt_prolonging"] == set()


def test_every_eviq_drug_is_qt_prolonging() -> None:
    assert EVIQ - MEMBERS["qt_prolonging"] == set()
    for drug in EVIQ:
        assert any(c.source == "eviq-qt" for c in BY_NAME[drug].reviewed), drug


def test_conditional_risk_drugs_carry_the_tier_and_join_the_class_only_on_another_source() -> None:
    for drug in CONDITIONAL:
        spec = BY_NAME[drug]
        assert any(c.source == "crediblemeds-conditional" for c in spec.reviewed), drug
        if drug in MEMBERS["qt_prolonging"]:
            other = {c.source for c in spec.reviewed if c.source == "eviq-qt" or "QT" in c.detail} - {
                "crediblemeds-conditional"}
            assert other, drug
            assert "conditional" in NOTES["qt_prolonging"][drug], drug


def test_conditional_only_drugs_say_what_the_condition_is() -> None:
    for drug in CONDITIONAL - MEMBERS["qt_prolonging"]:
        assert "conditional" in BY_NAME[drug].note, drug


def test_isavuconazole_shortens_qt_and_stays_out_of_the_class() -> None:
    assert "isavuconazole" not in MEMBERS["qt_prolonging"]
    assert BY_NAME["isavuconazole"].qt_risk is None


# --- supportive care and partners --------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SUPPORTIVE_CARE))
def test_supportive_care_is_in_the_dictionary(name: str) -> None:
    assert normalise(name) in OWNER


def test_supportive_drugs_that_interact_are_classed() -> None:
    assert {"fosaprepitant", "fosnetupitant", "nilotinib", "letermovir"} <= MEMBERS["cyp3a4_moderate_inhibitor"]
    assert {"darunavir", "atazanavir"} <= MEMBERS["cyp3a4_strong_inhibitor"]
    assert {"propafenone", "quinine", "rolapitant", "tamoxifen", "maribavir"} <= MEMBERS["pgp_inhibitor"]
    assert {"pentamidine", "tacrolimus", "foscarnet"} <= MEMBERS["qt_prolonging"]
    for drug in ("quetiapine", "olanzapine", "prochlorperazine", "metoclopramide", "hydroxyzine", "famotidine"):
        assert BY_NAME[drug].qt_risk == "conditional", drug


def test_fluids_flushes_and_vitamins_have_no_class() -> None:
    plain = {"sodium chloride", "dextrose", "lactated ringer's", "heparin lock flush", "cholecalciferol",
             "folic acid", "multivitamin", "potassium chloride", "sodium bicarbonate"}
    assert plain & set().union(*MEMBERS.values()) == set()
    assert {BY_NAME[d].kind for d in plain} == {"comedication"}


def test_fosaprepitant_owns_the_iv_emend_names() -> None:
    for alias in ("Emend IV", "Emend for injection", "fosaprepitant dimeglumine"):
        assert OWNER[normalise(alias)] == "fosaprepitant", alias
    assert OWNER["emend"] == "aprepitant"
    assert "fosaprepitant" in NOTES["cyp3a4_moderate_inhibitor"]


@pytest.mark.parametrize(("alias", "canonical"), [
    ("6-MP", "mercaptopurine"), ("6-mercaptopurine", "mercaptopurine"), ("5-FU", "fluorouracil"),
    ("5-fluorouracil", "fluorouracil"), ("6-TG", "thioguanine"), ("4-aminopyridine", "dalfampridine"),
    ("vitamin D3", "cholecalciferol"), ("filgrastim-sndz", "filgrastim"), ("Zarxio", "filgrastim"),
    ("pegfilgrastim-jmdb", "pegfilgrastim"), ("tbo-filgrastim", "filgrastim"), ("CPX-351", "vyxeos"),
    ("decitabine-cedazuridine", "inqovi"), ("Akynzeo", "akynzeo"), ("Akynzeo IV", "akynzeo iv"),
])
def test_digit_led_biosimilar_and_product_names(alias: str, canonical: str) -> None:
    assert OWNER[normalise(alias)] == canonical


def test_partner_products_hold_their_partners() -> None:
    assert set(COMBINATIONS["vyxeos"].components) == {"daunorubicin", "cytarabine"}
    assert set(COMBINATIONS["inqovi"].components) == {"decitabine", "cedazuridine"}
    assert BY_NAME["cedazuridine"].sold_only_in == "inqovi"


def test_components_sold_only_in_a_product_point_at_it() -> None:
    for drug in DRUGS.drugs:
        if drug.sold_only_in:
            assert drug.name in COMBINATIONS[drug.sold_only_in].components, drug.name


# --- RxNorm codes ----------------------------------------------------------------------------

def test_rxnorm_codes_are_exactly_those_of_cds_hooks_section_15_and_its_vetted_product_codes() -> None:
    codes: dict[str, set[str]] = {}
    for drug in DRUGS.drugs:
        for code in drug.codes:
            codes.setdefault(drug.name, set()).add(code.code)
    assert codes == {name: {code} | CIBMTR_PRODUCT_CODES.get(name, set()) for name, code in RXNORM_CODES.items()}
    assert not any(c.codes for c in DRUGS.combinations)


@pytest.mark.parametrize("drug", sorted(CIBMTR_PRODUCT_CODES))
def test_product_codes_cite_their_one_source_and_are_marked_verify(drug: str) -> None:
    for code in BY_NAME[drug].codes:
        if code.code in CIBMTR_PRODUCT_CODES[drug]:
            (citation,) = code.citations
            assert (citation.source, citation.verify) == ("cibmtr-valuesets", True)


@pytest.mark.parametrize("drug", sorted(RXNORM_CODES))
def test_single_source_codes_are_marked_verify(drug: str) -> None:
    code = next(c for c in BY_NAME[drug].codes if c.code == RXNORM_CODES[drug])
    if drug in SINGLE_SOURCE_CODES:
        assert len(code.citations) == 1
        assert code.citations[0].verify
    else:
        assert len(code.citations) >= 2
