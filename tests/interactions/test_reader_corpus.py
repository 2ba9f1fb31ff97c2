"""The reader on real-format strings: a corpus generated from drugs.toml and the grammar's parts, hand-written
order names from real catalogue formats, and adversarial strings that must never lose a drug."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from interactions import CheckRequest, KnowledgeBase, Medication, check
from interactions.model import UnrecognizedReason

RXNORM_FORMS = ["Oral Tablet", "Delayed Release Oral Tablet", "Extended Release Oral Capsule", "Oral Suspension",
                "Injectable Solution", "Disintegrating Oral Tablet", "Prefilled Syringe", "Oral Capsule",
                "24 HR Extended Release Oral Tablet", "Transdermal System", "Metered Dose Inhaler"]
RXNORM_STRENGTHS = ["100 MG", "0.5 MG", "40 MG/ML", "25 MCG/HR", "20 MEQ", "5000 UNT", "0.12 %"]
EHR_FORMS = ["TABS", "CAPS", "TBEC", "TBDP", "TB24", "TBCR", "CP24", "CPDR", "SOLN", "SOLR", "SUSP", "INJ", "IVPB"]
EHR_ROUTES = ["PO", "IV", "IJ", "SC", "SQ", "IM", "NG", "SL"]
EHR_MODIFIERS = ["", "ER ", "DR ", "EC ", "HCL "]
COMPOSER_STRENGTHS = ["1,250 mg", "800-160 mg per tablet", "4 mg/2 mL", "100 mg/m2", "100 mg PE", "0.12 %", "5 mg"]
COMPOSER_FORMS = ["tablet", "delayed release tablet", "disintegrating tablet", "capsule", "injection", "solution"]
COMPOSER_TAILS = ["", " PO q12h", " every 6 hours as needed", " BID PRN", " in sodium chloride 0.9 % 100 mL IVPB",
                  " in dextrose 5 % 50 mL"]


def _aliases(kb: KnowledgeBase) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(canonical or product name, alias, the drugs the alias names) for every name of drugs.toml."""
    components = {c.name: c.components for c in kb.combinations}
    for drug in kb.drugs:
        named = frozenset(components[drug.sold_only_in] if drug.sold_only_in else (drug.name,))
        for alias in (drug.name, *drug.synonyms):
            yield drug.name, alias, named
    for combination in kb.combinations:
        for alias in (combination.name, *combination.synonyms):
            yield combination.name, alias, frozenset(combination.components)


def _tall_man(name: str, rnd: random.Random) -> str:
    return "".join(ch.upper() if rnd.random() < 0.5 else ch for ch in name)


def generated_corpus(kb: KnowledgeBase) -> list[tuple[str, frozenset[str]]]:
    """Each name of the dictionary in each shape: RxNorm SCD/SBD, EHR order name, order composer."""
    rnd = random.Random(20261210)
    corpus: list[tuple[str, frozenset[str]]] = []
    aliases = list(_aliases(kb))
    brands = {owner: [a for o, a, _ in aliases if o == owner and a != owner] for owner, _, _ in aliases}
    for owner, alias, named in aliases:
        brand = rnd.choice(brands[owner]) if brands[owner] else ""
        strength, form = rnd.choice(RXNORM_STRENGTHS), rnd.choice(RXNORM_FORMS)
        corpus.append((f"{alias} {strength} {form}", named))
        if brand:
            corpus.append((f"{owner} {strength} {form} [{brand.title()}]", named))
            corpus.append((f"{owner} ({brand.upper()}) {rnd.choice(COMPOSER_STRENGTHS)} {rnd.choice(COMPOSER_FORMS)}",
                           named))
            corpus.append((f"{brand.title()} ({owner}) {rnd.choice(COMPOSER_STRENGTHS)}", named))
        corpus.append((f"{alias.upper()} {rnd.choice(EHR_MODIFIERS)}{rnd.randint(1, 999)} MG "
                       f"{rnd.choice(EHR_ROUTES)} {rnd.choice(EHR_FORMS)}", named))
        corpus.append((f"{_tall_man(alias, rnd)} {rnd.choice(COMPOSER_STRENGTHS)} {rnd.choice(COMPOSER_FORMS)}"
                       f"{rnd.choice(COMPOSER_TAILS)}", named))
    for drug in kb.drugs:  # a combination reviewed as one drug, as RxNorm writes it: by its ingredients
        if drug.ingredients:
            scd = " / ".join(f"{ingredient} {rnd.choice(RXNORM_STRENGTHS)}" for ingredient in drug.ingredients)
            corpus.append((f"{scd} {rnd.choice(RXNORM_FORMS)}", frozenset((drug.name,))))
    return corpus


# Order names in the formats of real catalogues (RxNorm SCD/SBD/GPCK/BPCK, Epic- and Cerner-style order
# names, order-composer strings), with the drugs each names.
HAND_WRITTEN: list[tuple[str, set[str]]] = [
    # RxNorm normalized names
    ("posaconazole 100 MG Delayed Release Oral Tablet [Noxafil]", {"posaconazole"}),
    ("posaconazole 100 MG Delayed Release Oral Tablet", {"posaconazole"}),
    ("voriconazole 200 MG Oral Tablet [Vfend]", {"voriconazole"}),
    ("fluconazole 40 MG/ML Oral Suspension", {"fluconazole"}),
    ("ondansetron 4 MG Disintegrating Oral Tablet [Zofran]", {"ondansetron"}),
    ("ondansetron 2 MG/ML Injectable Solution", {"ondansetron"}),
    ("escitalopram 10 MG Oral Tablet [Lexapro]", {"escitalopram"}),
    ("acyclovir 400 MG Oral Tablet", {"acyclovir"}),
    ("valacyclovir 500 MG Oral Tablet [Valtrex]", {"valacyclovir"}),
    ("letermovir 480 MG Oral Tablet [Prevymis]", {"letermovir"}),
    ("venetoclax 100 MG Oral Tablet [Venclexta]", {"venetoclax"}),
    ("SJW 300 mg TID", {"st john's wort"}),  # the literature's abbreviation, on a home list
    ("gilteritinib 40 MG Oral Tablet [Xospata]", {"gilteritinib"}),
    ("24 HR tacrolimus 1 MG Extended Release Oral Tablet [Envarsus]", {"tacrolimus"}),
    ("72 HR fentanyl 0.025 MG/HR Transdermal System", {"fentanyl"}),
    ("0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe [Lovenox]", {"enoxaparin"}),
    ("1 ML heparin sodium, porcine 5000 UNT/ML Injection", {"heparin"}),
    ("potassium chloride 20 MEQ Extended Release Oral Tablet [Klor-Con]", {"potassium chloride"}),
    ("120 ACTUAT fluticasone propionate 0.11 MG/ACTUAT Metered Dose Inhaler", {"fluticasone"}),
    ("nirmatrelvir 150 MG / ritonavir 100 MG Oral Tablet", {"nirmatrelvir", "ritonavir"}),
    ("{20 (nirmatrelvir 150 MG Oral Tablet) / 10 (ritonavir 100 MG Oral Tablet) } Pack [Paxlovid]",
     {"nirmatrelvir", "ritonavir"}),
    ("{6 (azithromycin 250 MG Oral Tablet) } Pack [Z-Pak]", {"azithromycin"}),
    # fixed-dose combinations reviewed as one drug, written by their ingredients (SCD) and with the brand (SBD)
    ("sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet", {"sulfamethoxazole/trimethoprim"}),
    ("sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet [Bactrim]", {"sulfamethoxazole/trimethoprim"}),
    ("amoxicillin 875 MG / clavulanate potassium 125 MG Oral Tablet [Augmentin]", {"amoxicillin/clavulanate"}),
    ("piperacillin 4000 MG / tazobactam 500 MG Injection [Zosyn]", {"piperacillin/tazobactam"}),
    ("imipenem 500 MG / cilastatin 500 MG Injection", {"imipenem/cilastatin"}),
    ("atropine sulfate 0.025 MG / diphenoxylate hydrochloride 2.5 MG Oral Tablet [Lomotil]",
     {"diphenoxylate/atropine"}),
    ("avibactam 0.5 GM / ceftazidime 2 GM Injection [Avycaz]", {"ceftazidime/avibactam"}),
    # a percentage glued to its number, as order composers write vehicles and flushes
    ("sodium chloride 0.9% flush 10 mL", {"sodium chloride"}),
    ("fluconazole 400 mg in sodium chloride 0.9% 200 mL IVPB", {"fluconazole"}),
    ("fluconazole 400 mg in NaCl 0.9% 200 mL IVPB", {"fluconazole"}),
    ("dextrose 5% and 0.45% sodium chloride 1000 mL", {"dextrose", "sodium chloride"}),
    ("potassium chloride SA (K-DUR,KLOR-CON) CR tablet 20 mEq", {"potassium chloride"}),
    ("oxycodone hydrochloride 5 MG / acetaminophen 325 MG Oral Tablet [Percocet]", {"oxycodone", "acetaminophen"}),
    ("cholecalciferol 1000 UNT Oral Tablet", {"cholecalciferol"}),
    ("dexamethasone 4 MG Oral Tablet", {"dexamethasone"}),
    ("mercaptopurine 50 MG Oral Tablet [Purixan]", {"mercaptopurine"}),
    ("filgrastim-sndz 0.6 MG/ML Prefilled Syringe [Zarxio]", {"filgrastim"}),
    ("pegfilgrastim-jmdb 10 MG/ML Prefilled Syringe [Fulphila]", {"pegfilgrastim"}),
    # EHR order-catalogue names
    ("POSACONAZOLE 100 MG PO TBEC", {"posaconazole"}),
    ("VORICONAZOLE 200 MG PO TABS", {"voriconazole"}),
    ("ONDANSETRON 4 MG PO TBDP", {"ondansetron"}),
    ("ONDANSETRON HCL 4 MG PO TABS", {"ondansetron"}),
    ("ESCITALOPRAM OXALATE 10 MG PO TABS", {"escitalopram"}),
    ("METOPROLOL SUCCINATE ER 25 MG PO TB24", {"metoprolol"}),
    ("TACROLIMUS 1 MG PO CAPS", {"tacrolimus"}),
    ("PANTOPRAZOLE SODIUM 40 MG PO TBEC", {"pantoprazole"}),
    ("ESOMEPRAZOLE MAGNESIUM 40 MG PO CPDR", {"esomeprazole"}),
    ("POTASSIUM CHLORIDE ER 20 MEQ PO TBCR", {"potassium chloride"}),
    ("ACYCLOVIR 400 MG/5ML PO SUSP", {"acyclovir"}),
    ("VENETOCLAX 100 MG PO TABS", {"venetoclax"}),
    ("QUETIAPINE FUMARATE 25 MG PO TABS", {"quetiapine"}),
    ("PROCHLORPERAZINE MALEATE 10 MG PO TABS", {"prochlorperazine"}),
    ("FAMOTIDINE 20 MG PO TABS", {"famotidine"}),
    ("DEXAMETHASONE SODIUM PHOSPHATE 4 MG/ML IJ SOLN", {"dexamethasone"}),
    ("METHYLPREDNISOLONE SODIUM SUCCINATE 40 MG IJ SOLR", {"methylprednisolone"}),
    ("MICAFUNGIN SODIUM 100 MG IV SOLR", {"micafungin"}),
    ("ENOXAPARIN SODIUM 40 MG/0.4ML SC SOSY", {"enoxaparin"}),
    ("LEVOFLOXACIN 500 MG PO TABS", {"levofloxacin"}),
    ("ALLOPURINOL 300 MG PO TABS", {"allopurinol"}),
    ("OLANZAPINE 5 MG PO TBDP", {"olanzapine"}),
    ("ATOVAQUONE 750 MG/5ML PO SUSP", {"atovaquone"}),
    ("HYDROXYZINE HCL 25 MG PO TABS", {"hydroxyzine"}),
    ("MORPHINE SULFATE ER 15 MG PO TBCR", {"morphine"}),
    ("OXYCODONE HCL 5 MG PO TABS", {"oxycodone"}),
    ("FENTANYL 25 MCG/HR TD PT72", {"fentanyl"}),
    ("AMLODIPINE BESYLATE 5 MG PO TABS", {"amlodipine"}),
    ("DILTIAZEM HCL ER COATED BEADS 120 MG PO CP24", {"diltiazem"}),
    ("SODIUM CHLORIDE 0.9 % IV SOLN", {"sodium chloride"}),
    # order-composer names
    ("ondansetron (ZOFRAN-ODT) 4 mg disintegrating tablet", {"ondansetron"}),
    ("posaconazole (NOXAFIL) 100 mg delayed release tablet 300 mg", {"posaconazole"}),
    ("traZODone (DESYREL) 50 mg tablet", {"trazodone"}),
    ("hydrOXYzine (ATARAX) 25 mg tablet", {"hydroxyzine"}),
    ("oxyCODONE (ROXICODONE) 5 mg immediate release tablet", {"oxycodone"}),
    ("HYDROmorphone (DILAUDID) injection 0.5 mg", {"hydromorphone"}),
    ("vancomycin 1,250 mg in sodium chloride 0.9 % 250 mL IVPB", {"vancomycin"}),
    ("ceFEPime (MAXIPIME) 2 g in sodium chloride 0.9 % 100 mL IVPB", {"cefepime"}),
    ("micafungin (MYCAMINE) 100 mg in sodium chloride 0.9 % 100 mL IVPB", {"micafungin"}),
    ("acyclovir (ZOVIRAX) 400 mg tablet", {"acyclovir"}),
    ("ondansetron 4 mg PO q8h PRN", {"ondansetron"}),
    ("ondansetron 4 mg every 6 hours as needed", {"ondansetron"}),
    ("heparin (porcine) injection 5,000 Units", {"heparin"}),
    ("ferrous sulfate 325 mg (65 mg iron) tablet", {"ferrous sulfate"}),
    ("ferrous sulphate 325 mg tablet", {"ferrous sulfate"}),
    ("fentanyl 25 mcg/hr patch", {"fentanyl"}),
    ("fosphenytoin 100 mg PE in sodium chloride 0.9 % 50 mL IVPB", {"fosphenytoin"}),
    ("cytarabine 100 mg/m2 in dextrose 5 % 500 mL", {"cytarabine"}),
    ("filgrastim-sndz (ZARXIO) 300 mcg/0.5 mL injection", {"filgrastim"}),
    ("Paxlovid (nirmatrelvir/ritonavir) 300 mg-100 mg tablet pack", {"nirmatrelvir", "ritonavir"}),
    ("azacitidine 75 mg/m2 SC daily", {"azacitidine"}),
    ("levofloxacin & 6-MP", {"levofloxacin", "mercaptopurine"}),
    ("5-FU 500 mg/m2 IV", {"fluorouracil"}),
    ("6-TG 40 mg PO daily", {"thioguanine"}),
    ("4-aminopyridine 10 mg ER tablet", {"dalfampridine"}),
    ("nirmatrelvir", {"nirmatrelvir", "ritonavir"}),
    # Emend is aprepitant by mouth and fosaprepitant by vein: beside either generic it confirms it
    ("fosaprepitant (EMEND) 150 mg in sodium chloride 0.9 % 150 mL IVPB", {"fosaprepitant"}),
    ("aprepitant (EMEND) 125 mg capsule", {"aprepitant"}),
    ("EMEND (fosaprepitant) 150 mg IV", {"fosaprepitant"}),
    ("fosaprepitant 150 MG Injection [Emend]", {"fosaprepitant"}),
    ("EMEND 125 MG Oral Capsule", {"aprepitant"}),
    ("daunorubicin-cytarabine liposomal (VYXEOS) 44 mg-100 mg/m2 IV", {"daunorubicin", "cytarabine"}),
    ("DAUNORUBICIN-CYTARABINE LIPOSOMAL 44-100 MG IV SOLR", {"daunorubicin", "cytarabine"}),
    ("daunorubicin 44 mg/m2 and cytarabine 100 mg/m2 liposome (Vyxeos)", {"daunorubicin", "cytarabine"}),
    # schedule and as-needed text
    ("azacitidine 75 mg/m2 SC days 1-7", {"azacitidine"}),
    ("azacitidine 75 mg/m2 SC days 1 to 7", {"azacitidine"}),
    ("ondansetron 8 mg PO q8h PRN nausea", {"ondansetron"}),
    ("ondansetron 4 mg every 6 hours PRN for nausea/vomiting", {"ondansetron"}),
    ("oxycodone 5 mg PO q4h PRN severe pain", {"oxycodone"}),
    ("lorazepam 0.5 mg PO q6h PRN anxiety", {"lorazepam"}),
    ("posaconazole DR tablet 300 mg PO daily (HOME MED)", {"posaconazole"}),
    ("insulin lispro sliding scale SC TID AC", {"insulin"}),
    ("trimethoprim-sulfamethoxazole DS 1 tab PO MWF", {"sulfamethoxazole/trimethoprim"}),
    # Epic sigs and Cerner/pharmacist spellings
    ("venetoclax (VENCLEXTA) tablet 400 mg 400 mg, Oral, Daily with breakfast", {"venetoclax"}),
    ("Eliquis 5 mg twice a day", {"apixaban"}),
    ("sulfamethoxazole-trimethoprim (BACTRIM DS) 800-160 mg per tablet 1 tablet, Oral, Every Mon, Wed, Fri",
     {"sulfamethoxazole/trimethoprim"}),
    ("[START ON 5/2/2024] venetoclax (VENCLEXTA) tablet 400 mg", {"venetoclax"}),
    ("cytarabine 100 mg/m2 in sodium chloride 0.9 % 50 mL chemo infusion", {"cytarabine"}),
    ("heparin lock flush 100 unit/mL 5 mL, Intracatheter, PRN, line care", {"heparin lock flush"}),
    ("enoxaparin 40 mg SubQ daily", {"enoxaparin"}),
    ("venetoclax 400 mg PO C1D1", {"venetoclax"}),
    ("acetaminophen 650 mg by mouth 4 (four) times daily", {"acetaminophen"}),
    ("Vanc 1250 mg IVPB q12h", {"vancomycin"}),
    ("posa 300 mg daily", {"posaconazole"}),
    ("MgSO4 2 g IV", {"magnesium"}),
    ("Ca carbonate 1,250 mg PO BID", {"calcium carbonate"}),
    ("Na bicarb 650 mg PO TID", {"sodium bicarbonate"}),
    ("Fe sulfate 325 mg PO daily", {"ferrous sulfate"}),
    ("MSIR 15 mg PO q4h PRN pain", {"morphine"}),
    ("NTG 0.4 mg SL q5min PRN chest pain", {"nitroglycerin"}),
    ("TOPROL-XL 25 mg tablet", {"metoprolol"}),
    # 7+3 with idarubicin as its anthracycline: never daunorubicin as well
    ("7+3 with idarubicin", {"cytarabine", "idarubicin"}),
    ("IA 7+3", {"cytarabine", "idarubicin"}),
    # a combination written by its generics with its brand, which the broad vocabulary names as one
    ("buprenorphine-naloxone (SUBOXONE) 8-2 mg SL film", {"buprenorphine", "naloxone"}),
    # a brand with a strength or a count, not a product number
    ("Bactrim DS 1 tab PO BID", {"sulfamethoxazole/trimethoprim"}),
    ("Zofran 4 mg IV q8h", {"ondansetron"}),
    ("Xospata 40 mg tablet, 3 tablets PO daily", {"gilteritinib"}),
    ("Tylenol 500 mg PO q6h PRN pain", {"acetaminophen"}),
    # Cerner-style catalogue names: abbreviated ingredients, a drug's abbreviation after a hyphen
    ("HYDROCODONE-APAP 5-325 MG TAB", {"hydrocodone", "acetaminophen"}),
    ("LOSARTAN-HCTZ 50-12.5 MG TAB", {"losartan", "hydrochlorothiazide"}),
    ("AMOX-CLAV 875-125 MG TAB", {"amoxicillin/clavulanate"}),
    ("SMZ-TMP DS 800-160 MG TAB", {"sulfamethoxazole/trimethoprim"}),
    ("POTASSIUM CL ER 20 MEQ TAB", {"potassium chloride"}),
    ("Ca gluc 1 g IV", {"calcium gluconate"}),
    ("Mg oxide 400 mg PO BID", {"magnesium"}),
    ("L-AMB 5 mg/kg IV q24h", {"amphotericin b"}),
    # a numbered product's number followed by a unit is a strength: Tylenol at 4 mg, not Tylenol #4
    ("Tylenol 4 mg/2 mL injection", {"acetaminophen"}),
    # home-list spellings of vitamins and aspirin; "one a day" is a frequency, not the multivitamin
    ("Vit B12", {"cyanocobalamin"}),
    ("vitamin B-6", {"pyridoxine"}),
    ("baby aspirin 81 mg daily", {"aspirin"}),
    ("multivitamin w/ minerals", {"multivitamin"}),
    ("Centrum Silver 1 tab daily", {"multivitamin"}),
    ("venetoclax 400 mg one a day", {"venetoclax"}),
    ("CBD gummies", {"cannabidiol"}),  # a P-gp inhibitor: it must reach the venetoclax rule
    ("melatonin gummies 5 mg qhs", {"melatonin"}),
    # a bare number after a name of a drug with no numbered products, or after a regimen, is a dose
    ("ven 400", {"venetoclax"}),
    ("Venclexta 400 daily", {"venetoclax"}),
    ("posa 300", {"posaconazole"}),
    ("Zofran 4", {"ondansetron"}),
    ("Plavix 75", {"clopidogrel"}),
    ("Diflucan 150 x1", {"fluconazole"}),
    ("Protonix 40", {"pantoprazole"}),
    ("Lexapro 10", {"escitalopram"}),
    ("Levaquin 500", {"levofloxacin"}),
    ("Noxafil 300", {"posaconazole"}),
    ("Zoloft 50 daily", {"sertraline"}),
    ("Nexium 40", {"esomeprazole"}),
    ("Cipro 500 BID", {"ciprofloxacin"}),
    ("Cresemba 372", {"isavuconazole"}),
    ("Prevymis 480", {"letermovir"}),
    ("Eliquis 5 BID", {"apixaban"}),
    ("Coumadin 5 / Zofran 8", {"warfarin", "ondansetron"}),
    ("Aza/Ven 400", {"azacitidine", "venetoclax"}),
    ("7+3 dauno 90", {"cytarabine", "daunorubicin"}),
    # sig text: hold parameters, refills, days of a cycle, levels, indications, infusion modes
    ("venetoclax (VENCLEXTA) tablet 70 mg 70 mg, Oral, Daily, Hold for ANC < 500", {"venetoclax"}),
    ("metoprolol 25 mg BID, hold for HR < 60", {"metoprolol"}),
    ("dexamethasone 4 mg q6h x 2 days then taper", {"dexamethasone"}),
    # a catalogue's product-kind note, and a hyphenated pill of two hormones with its brand (session 11 catalogue)
    ("St. John's Wort 300 mg capsule (OTC herbal)", {"st john's wort"}),
    ("ethinyl estradiol-norethindrone (LOESTRIN) 1-20 mg-mcg", {"ethinyl estradiol", "norethindrone"}),
    ("posaconazole 300 mg, PO, daily, DR tab, 30 tab, 0 Refill(s)", {"posaconazole"}),
    ("potassium chloride 20 mEq in 100 mL IVPB 20 mEq, Intravenous, Once", {"potassium chloride"}),
    ("tacrolimus 1 mg PO BID, trough goal 8-10", {"tacrolimus"}),
    ("venetoclax 100 mg tabs, takes 4 daily", {"venetoclax"}),
    ("venetoclax ramp-up 100/200/400", {"venetoclax"}),
    ("venetoclax 400 mg PO D1-14 of 28", {"venetoclax"}),
    ("Rydapt 50 mg BID D8-21", {"midostaurin"}),
    ("Mylotarg 3 mg/m2 D1,4,7", {"gemtuzumab ozogamicin"}),
    ("Ara-C 100 mg/m2/day CI x 7 days", {"cytarabine"}),
    ("pip-tazo 4.5 gm IVPB q8h EI", {"piperacillin/tazobactam"}),
    ("hydroxyurea for cytoreduction", {"hydroxyurea"}),
    ("Zyrtec 10mg prn allergies", {"cetirizine"}),
    ("Flonase 2 sprays each nostril daily", {"fluticasone"}),
    ("ondansetron 8 mg PO q8h as needed for nausea or vomiting", {"ondansetron"}),
    # ward products read whole (D5 1/2NS: the dictionary's one entry), a home product of two drugs, FLAG
    ("D5 1/2NS + 20 KCl @ 125 mL/hr", {"dextrose/sodium chloride", "potassium chloride"}),
    ("Kphos neutral 250 mg PO BID", {"potassium phosphate", "sodium phosphate"}),
    ("Caltrate 600 + D", {"calcium carbonate", "cholecalciferol"}),
    ("FLAG", {"fludarabine", "cytarabine", "filgrastim"}),
    # an unreviewed name that is also a salt is the salt beside a drug; a longer broad name wins
    ("losartan potassium 50 mg", {"losartan"}),
    ("potassium penicillin G 5 million units IV", {"penicillin g"}),
    ("atorvastatin calcium 40 mg", {"atorvastatin"}),
    # MIMIC-IV order names: the order set or purpose after the drug, salts abbreviated (probe 2)
    ("Potassium Chloride Replacement (Critical Care and Oncology)", {"potassium chloride"}),
    ("Magnesium Sulfate Replacement (Oncology)", {"magnesium"}),
    ("Calcium Gluconate sliding scale (Critical Care-Ionized calcium)", {"calcium gluconate"}),
    ("Sulfameth/Trimethoprim DS", {"sulfamethoxazole/trimethoprim"}),
    ("Iso-Osmotic Dextrose", {"dextrose"}),
    ("Hydrocortisone Na Succ.", {"hydrocortisone"}),
    ("Methylprednisolone Sodium Succ", {"methylprednisolone"}),
    ("Gemtuzumab Ozogamicin Desensitization", {"gemtuzumab ozogamicin"}),
    ("Venetoclax Study Drug", {"venetoclax"}),
    ("KCl (CRRT)", {"potassium chloride"}),
    ("Potassium Chl 40 mEq / 1000 mL NS", {"potassium chloride", "sodium chloride"}),
    ("Heparin Flush PICC (100 units/ml)", {"heparin lock flush"}),
    ("Piperacillin-Tazo Graded Challenge", {"piperacillin/tazobactam"}),
    ("Neutra-Phos", {"potassium phosphate", "sodium phosphate"}),
    ("Insulin Human Regular", {"insulin"}),
    ("Potassium Bicarbonate Eff", {"potassium bicarbonate"}),
    ("{21 (methylprednisolone 4 MG Oral Tablet) } Pack [Medrol Dosepak]", {"methylprednisolone"}),
    ("3 ML insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Pen Injector [Humulin 70/30]",
     {"insulin"}),
    # pharmacy labels and British, Australian and New Zealand charts: BD, TDS, QDS, OD, mane, nocte, brands
    ("VENCLEXTA 100MG TABLETS TAKE 4 TABLETS BY MOUTH ONCE DAILY WITH A MEAL AND WATER", {"venetoclax"}),
    ("Septrin Forte 1 tab BD Mon/Wed/Fri", {"sulfamethoxazole/trimethoprim"}),
    ("co-amoxiclav 625mg TDS", {"amoxicillin/clavulanate"}),
    ("Tazocin 4.5g IV QDS", {"piperacillin/tazobactam"}),
    ("Losec MUPS 20mg", {"omeprazole"}),
    ("paracetamol 1g QDS PRN", {"acetaminophen"}),
    ("frusemide 40mg mane", {"furosemide"}),
    ("Warfarin 3mg nocte", {"warfarin"}),
    ("Noxafil 100mg gastro-resistant tablets 3 OD", {"posaconazole"}),
    ("Augmentin Duo Forte 1 tab BD", {"amoxicillin/clavulanate"}),
    ("Augmentin 875 bid x 10 days", {"amoxicillin/clavulanate"}),
    ("Aciclovir 400 BD", {"acyclovir"}),
    ("Crestor 10", {"rosuvastatin"}),
    ("Tamiflu 75mg BD x5d", {"oseltamivir"}),
    ("Imodium 2mg after each loose stool", {"loperamide"}),
    ("Coloxyl with Senna 2 tabs nocte", {"docusate", "senna"}),
    ("Targin 10/5 BD", {"oxycodone", "naloxone"}),
    ("Nurofen Plus 200/12.8 mg 2 tabs QID PRN", {"ibuprofen", "codeine"}),
    ("Panadeine Forte 2 tabs QID PRN", {"acetaminophen", "codeine"}),
    ("co-codamol 30/500 2 tabs QDS", {"acetaminophen", "codeine"}),
    ("Endone 5mg 4-hourly PRN", {"oxycodone"}),
    ("Zarzio 30 MU", {"filgrastim"}),
    ("Piriton 4mg", {"chlorpheniramine"}),
    ("NovoRapid 6 units with meals", {"insulin"}),
    ("Oroxine 50 mcg", {"levothyroxine"}),
    ("Slow-K 600mg 2 tabs BD", {"potassium chloride"}),
    # AML ward and protocol shorthand: cycles, glued grams and durations, short forms, supportive care
    ("Aza-Ven C2", {"azacitidine", "venetoclax"}),
    ("FLAG-Ida C1", {"fludarabine", "cytarabine", "filgrastim", "idarubicin"}),
    ("VEN 100 mg daily w/ posa", {"venetoclax", "posaconazole"}),
    ("venetoclax plus azacitidine", {"venetoclax", "azacitidine"}),
    ("Quiz 35.4 D8-21", {"quizartinib"}),
    ("MIDO 50 BID D8-21", {"midostaurin"}),
    ("7+3 + mido", {"daunorubicin", "cytarabine", "midostaurin"}),
    ("Sora 400 BID", {"sorafenib"}),
    ("HiDAC 3g/m2 q12h D1,3,5", {"cytarabine"}),
    ("Mero 1g TDS", {"meropenem"}),
    ("AZA 75 mg/m2 x 7d", {"azacitidine"}),
    ("IT triple (MTX/Ara-C/hydrocortisone)", {"methotrexate", "cytarabine", "hydrocortisone"}),
    ("Tazocin + gent", {"piperacillin/tazobactam", "gentamicin"}),
    ("Mica 100", {"micafungin"}),
    ("GCSF", {"filgrastim"}),
    ("Allopurinol 300 OD (TLS ppx)", {"allopurinol"}),
    ("Ondansetron 8mg IV pre-chemo", {"ondansetron"}),
    ("Dexamethasone 10mg BD (differentiation syndrome)", {"dexamethasone"}),
]

# Strings that name several drugs, digit-led names, brand/generic disagreements, misspellings with
# strength text: never read as fewer drugs than they name.
ADVERSARIAL: list[tuple[str, set[str]]] = [
    ("levofloxacin & 6-MP", {"levofloxacin", "mercaptopurine"}),
    ("venetoclax + posaconazole", {"venetoclax", "posaconazole"}),
    ("venetoclax 400 mg, posaconazole 300 mg", {"venetoclax", "posaconazole"}),
    ("posaconazole 300 mg / 5-FU 500 mg", {"posaconazole", "fluorouracil"}),
    ("6-MP 50 mg and 6-TG 40 mg", {"mercaptopurine", "thioguanine"}),
    ("venetoclax 100 mg posaconazole 300 mg", {"venetoclax", "posaconazole"}),
    ("posaconazole (ZOFRAN) 100 mg", {"posaconazole", "ondansetron"}),
    ("Zofran (granisetron) 1 mg", {"ondansetron", "granisetron"}),
    ("posaconazol 100 mg PO TBEC", {"posaconazole"}),
    ("venetoclax 100 mg / posaconazol 300 mg", {"venetoclax", "posaconazole"}),
    ("venetoclax in posaconazole", {"venetoclax", "posaconazole"}),
    ("venetoclax 100 mg (posaconazole)", {"venetoclax", "posaconazole"}),
    ("venetoclax 100 mg then fluconazole", {"venetoclax", "fluconazole"}),
    ("venetoclax / levetiracetam", {"venetoclax", "levetiracetam"}),
    ("venetoclax / unknownium 5 mg", {"venetoclax"}),
    ("filgrastim-xyzw posaconazole", {"filgrastim", "posaconazole"}),
    ("posaconazole-abcd 100 mg", {"posaconazole"}),
    # a brand shared by two drugs confirms one of them, never a third nor several
    ("granisetron (EMEND) 1 mg", {"granisetron", "aprepitant"}),
    ("posaconazole / fosaprepitant [Emend]", {"posaconazole", "fosaprepitant"}),
    ("fosaprepitant (EMEND) / posaconazole 300 mg", {"fosaprepitant", "posaconazole"}),
    # a suffix that names another product of the name: the whole is unknown, never the name alone
    ("Tylenol PM Extra Strength 2 tabs qhs prn sleep", {"acetaminophen", "diphenhydramine"}),
    ("Advil PM", {"ibuprofen", "diphenhydramine"}),
    ("Robitussin AC", {"guaifenesin", "codeine"}),
    ("Guaifenesin AC syrup 10 mL", {"guaifenesin", "codeine"}),
    ("Tylenol #3", {"acetaminophen", "codeine"}),
    ("TYLENOL #3 TAB", {"acetaminophen", "codeine"}),
    ("Tylenol 3", {"acetaminophen", "codeine"}),
    ("Tylenol 3 tabs", {"acetaminophen", "codeine"}),
    ("Tylenol 3 NG", {"acetaminophen", "codeine"}),  # NG: nasogastric, or nanograms
    ("TYLENOL #3 NG TOP", {"acetaminophen", "codeine"}),
    ("guaifenesin DM 600-30 mg tablet", {"guaifenesin", "dextromethorphan"}),
    # a range of numbers between two names separates them, as a hyphen does
    ("venetoclax 1-7 posaconazole", {"venetoclax", "posaconazole"}),
    # D5 is dextrose, never a day; Senna-S holds docusate
    ("Senna-S 2 tabs qhs", {"senna", "docusate"}),
    ("venetoclax D5", {"venetoclax", "dextrose"}),
    ("venetoclax 400 mg D10 250 mL", {"venetoclax", "dextrose"}),
    ("D25 50 mL / venetoclax", {"dextrose", "venetoclax"}),
    ("venetoclax 100 mg or posaconazole 300 mg", {"venetoclax", "posaconazole"}),
    # a combination's ingredients and one drug more: not the combination alone
    ("sulfamethoxazole 800 MG / trimethoprim 160 MG / posaconazole 100 MG Oral Tablet",
     {"sulfamethoxazole", "trimethoprim", "posaconazole"}),
    # "plus" right after a brand with no name after it names another product (Nurofen Plus: codeine too)
    ("Nurofen Plus", {"ibuprofen", "codeine"}),
    ("Panadol Extra", {"acetaminophen", "caffeine"}),
    ("Tylenol Plus Cold", {"acetaminophen"}),
    # a short form in brackets is another drug, not a brand: never one of the two alone
    ("Ven 70 (posa)", {"venetoclax", "posaconazole"}),
    # OD is once daily, but drops into the right eye are a local form
    ("clarithromycin 1 drop OD", {"clarithromycin"}),
    # a pack that adds iron tablets to the two hormones; a hold beside two drugs named apart
    ("Loestrin Fe 1/20", {"ethinyl estradiol", "norethindrone", "ferrous fumarate"}),
    ("venetoclax 400 mg / posaconazole 300 mg - on hold", {"venetoclax", "posaconazole"}),
    ("ethinyl estradiol-norethindrone / posaconazole", {"ethinyl estradiol", "norethindrone", "posaconazole"}),
]


def test_the_generated_corpus_reads_every_string_as_exactly_the_drugs_it_names(default_kb: KnowledgeBase) -> None:
    corpus = generated_corpus(default_kb)
    wrong = [(text, sorted(named), default_kb.resolver.read(text)) for text, named in corpus
             if frozenset(default_kb.resolver.read(text).drugs) != named]
    assert len(corpus) >= 1000
    assert wrong == []


@pytest.mark.parametrize(("text", "named"), HAND_WRITTEN)
def test_hand_written_order_names_read_as_the_drugs_they_name(default_kb: KnowledgeBase, text: str,
                                                              named: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert (set(reading.drugs), reading.reason) == (named, UnrecognizedReason.UNSPECIFIED), reading.detail


def test_there_are_at_least_60_hand_written_names() -> None:
    assert len({text for text, _ in HAND_WRITTEN}) >= 60


@pytest.mark.parametrize(("text", "named"), ADVERSARIAL)
def test_an_adversarial_string_never_reads_as_fewer_drugs_than_it_names(default_kb: KnowledgeBase, text: str,
                                                                        named: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert not reading.drugs or set(reading.drugs) >= named, reading
    assert reading.drugs or reading.reason is not UnrecognizedReason.UNSPECIFIED


@pytest.mark.parametrize(("text", "reason"), [
    ("posaconazole (ZOFRAN) 100 mg", UnrecognizedReason.CONFLICT),
    ("Zofran (granisetron) 1 mg", UnrecognizedReason.CONFLICT),
    ("posaconazole 100 MG Delayed Release Oral Tablet [Zofran]", UnrecognizedReason.CONFLICT),
    ("venetoclax 100 mg posaconazole 300 mg", UnrecognizedReason.CONFLICT),
    ("posaconazol 100 mg PO TBEC", UnrecognizedReason.UNKNOWN),
    ("venetoclax in posaconazole", UnrecognizedReason.UNKNOWN),
    ("posaconazole-abcd 100 mg", UnrecognizedReason.UNKNOWN),
    ("venetoclax / levetiracetam", UnrecognizedReason.UNSPECIFIED),
    ("granisetron (EMEND) 1 mg", UnrecognizedReason.CONFLICT),
    ("posaconazole / fosaprepitant [Emend]", UnrecognizedReason.CONFLICT),
    ("fosaprepitant (EMEND) / posaconazole 300 mg", UnrecognizedReason.UNSPECIFIED),
    ("Benadryl PM", UnrecognizedReason.UNKNOWN),
    ("Lotensin HCT", UnrecognizedReason.UNKNOWN),
    ("Tylenol #2", UnrecognizedReason.UNKNOWN),
    ("Mucinex D", UnrecognizedReason.UNKNOWN),
    ("Tylenol 2", UnrecognizedReason.UNKNOWN),  # a brand with numbered products: Tylenol #2 held codeine
    ("budesonide-formoterol (SYMBICORT) 160-4.5 mcg/actuation inhaler", UnrecognizedReason.NOT_REVIEWED),
    ("budesonide (SYMBICORT) inhaler", UnrecognizedReason.CONFLICT),
    ("7+3 (idarubicin)", UnrecognizedReason.CONFLICT),
    ("Ven 70 (posa)", UnrecognizedReason.CONFLICT),
])
def test_why_a_line_is_not_recognised(default_kb: KnowledgeBase, text: str, reason: UnrecognizedReason) -> None:
    assert default_kb.resolver.read(text).reason is reason


# Real drugs and products the broad vocabulary lacks, and names that do not say which drug (names.toml's
# `unreviewed`): recognised, not checked, the check incomplete; never read as one drug they may be.
NOT_REVIEWED_NAMES: list[tuple[str, tuple[str, ...]]] = [
    ("turmeric capsules", ("turmeric",)),
    ("elderberry", ("elderberry",)),
    ("ashwagandha", ("ashwagandha",)),
    ("garlic pills", ("garlic",)),
    ("ginger root", ("ginger",)),
    ("Co-Q10", ("ubidecarenone",)),
    ("Emergen-C", ("emergen-c",)),
    ("PreserVision AREDS 2", ("preservision areds 2",)),
    ("medical marijuana", ("medical cannabis",)),
    ("calcium + vitamin D", ("calcium with vitamin d (forms not stated)",)),
    ("Calcium 600 with D", ("calcium with vitamin d (forms not stated)",)),
    ("Calcium 600", ("calcium (salt not stated)",)),
    ("B complex", ("vitamin b complex",)),
    ("vit D", ("vitamin d (d2 or d3 not stated)",)),
    ("vitamin D 50,000 IU weekly", ("vitamin d (d2 or d3 not stated)",)),
    ("potassium 99 mg", ("potassium (salt not stated)",)),
    ("iron pills", ("iron (salt not stated)",)),
    ("stool softener", ("stool softener (product not stated)",)),
    ("ATG 1.5 mg/kg IV", ("antithymocyte globulin (rabbit or equine not stated)",)),
    ("antithymocyte immunoglobulin 1.5 mg/kg", ("antithymocyte globulin (rabbit or equine not stated)",)),
    ("Atgam 10 mg/kg IV", ("antilymphocyte immunoglobulin (horse)",)),
    # a longer name of the broad vocabulary wins over an unreviewed one
    ("Thymoglobulin 1.5 mg/kg", ("antithymocyte immunoglobulin (rabbit)",)),
    # a broad name holding a number glued to a unit still reads, though "1g" elsewhere is a strength
    ("Campath 1H", ("alemtuzumab (chronic lymphocytic leukemia)",)),
    # beside a reviewed drug: the line is not checked, and names what was not reviewed
    ("venetoclax 400 mg + turmeric", ("turmeric",)),
]


@pytest.mark.parametrize(("text", "ingredients"), NOT_REVIEWED_NAMES)
def test_real_products_and_names_of_several_drugs_read_as_not_reviewed(default_kb: KnowledgeBase, text: str,
                                                                       ingredients: tuple[str, ...]) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason, reading.ingredients) == ((), UnrecognizedReason.NOT_REVIEWED, ingredients)


@pytest.mark.parametrize("text", ["levo", "dex", "IA", "NyQuil", "DayQuil", "Maalox", "Tylenol 2",
                                  "venetoclax D5",
                                  # fluconazole or flucloxacillin; prednisone or prednisolone; idarubicin or
                                  # iron-deficiency anaemia; which hypomethylating agent
                                  "Fluc 400", "Pred 25mg OD", "Ida 12 D1-3", "ferrous sulfate 325 mg daily for IDA",
                                  "HMA + VEN",
                                  # "plus" after a brand, nothing after it: another product of the brand
                                  "Advil Plus", "Tylenol Plus", "venetoclax plus"])
def test_ambiguous_names_stay_unknown(default_kb: KnowledgeBase, text: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN), reading.detail


def test_an_unreviewed_supplement_leaves_the_dose_and_says_the_check_is_incomplete(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine")),
                                            (Medication("turmeric capsules"),)))
    assert [d.recommended_dose_mg for d in result.doses if d.drug == "venetoclax"] == [400]
    assert not result.complete
    assert [(u.name, u.reason, u.ingredients) for u in result.unrecognized] == [
        ("turmeric capsules", UnrecognizedReason.NOT_REVIEWED, ("turmeric",))]


@pytest.mark.parametrize(("text", "drug", "form"), [
    ("ketoconazole 2 % cream", "ketoconazole", "cream"),
    ("ketoconazole 2 % shampoo", "ketoconazole", "shampoo"),
    ("KETOCONAZOLE 2 % EX CREA", "ketoconazole", "ex"),
    ("Ketoconazole 2 % Topical Cream", "ketoconazole", "topical cream"),
    ("erythromycin 0.5 % ophthalmic ointment", "erythromycin", "ophthalmic ointment"),
    ("ERYTHROMYCIN 5 MG/GM OP OINT", "erythromycin", "op"),
    ("fluconazole 1 % eye drops", "fluconazole", "eye drops"),
    ("clarithromycin (topical) 1 % gel", "clarithromycin", "topical"),
    ("clarithromycin 1 drop OD", "clarithromycin", "drop od"),
    # brands sold only in a local form
    ("Protopic", "tacrolimus", "protopic (ointment)"),
    ("Protopic 0.1 % ointment BID", "tacrolimus", "protopic (ointment)"),
    ("Nizoral", "ketoconazole", "nizoral (shampoo or cream)"),
])
def test_a_drug_some_rule_is_about_is_not_checked_in_a_local_form(default_kb: KnowledgeBase, text: str, drug: str,
                                                                  form: str) -> None:
    # The rules are about systemic exposure: a cream of a strong CYP3A inhibitor must not cut venetoclax
    # to 100 mg, nor pass silently.
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason, reading.ingredients) == ((), UnrecognizedReason.NOT_REVIEWED, (drug,))
    assert f"as {form!r}: a local form" in reading.detail


@pytest.mark.parametrize(("text", "drug"), [
    ("ketoconazole 200 mg tablet", "ketoconazole"),
    ("tacrolimus (PROGRAF) capsule 1 mg", "tacrolimus"),
    ("clotrimazole 10 mg troche", "clotrimazole"),
    ("fentanyl 25 mcg/hr patch", "fentanyl"),
    ("nystatin 100,000 units/mL swish and swallow", "nystatin"),
    ("miconazole (ORAVIG) 50 mg buccal tablet", "miconazole"),
    # local forms of drugs no rule is about read as the drug: there is nothing to check either way
    ("hydrocortisone 1 % cream", "hydrocortisone"),
    ("chlorhexidine 0.12 % mouthwash swish and spit", "chlorhexidine"),
])
def test_systemic_forms_and_drugs_no_rule_is_about_read_as_the_drug(default_kb: KnowledgeBase, text: str,
                                                                    drug: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((drug,), UnrecognizedReason.UNSPECIFIED), reading.detail


def test_a_cream_of_a_strong_inhibitor_leaves_the_dose_and_says_the_check_is_incomplete(
        default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine")),
                                            (Medication("ketoconazole 2 % cream"),)))
    [venetoclax] = [d for d in result.doses if d.drug == "venetoclax"]
    assert (venetoclax.recommended_dose_mg, venetoclax.findings) == (400, ())
    assert not result.complete
    assert [(u.name, u.reason, u.ingredients) for u in result.unrecognized] == [
        ("ketoconazole 2 % cream", UnrecognizedReason.NOT_REVIEWED, ("ketoconazole",))]
    # The same drug by mouth cuts the dose (the rule is there: the cream is not checked, not cleared).
    by_mouth = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine")),
                                              (Medication("ketoconazole 200 mg tablet"),)))
    assert [d.recommended_dose_mg for d in by_mouth.doses if d.drug == "venetoclax"] == [100]
