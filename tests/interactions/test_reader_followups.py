"""Medication strings the reader got wrong or left unknown in the second blind corpus (session 9's probe), read
again after the data that mends them: products of several drugs as all of them, brands with no numbered product
followed by their strength, real drugs the broad vocabulary lacks as not reviewed."""

from __future__ import annotations

import pytest

from interactions import CheckRequest, KnowledgeBase, Medication, check
from interactions.model import UnrecognizedReason

MOVICOL = {"polyethylene glycol", "sodium chloride", "sodium bicarbonate", "potassium chloride"}


@pytest.mark.parametrize(("text", "named"), [
    # products of several drugs the dictionary holds: every drug, never the brand's first alone
    ("Movicol", MOVICOL),
    ("Movicol sachet", MOVICOL),
    ("Movicol 1 sachet BD", MOVICOL),
    ("Panadol Extra", {"acetaminophen", "caffeine"}),
    ("Panadol Extra 2 tabs QDS PRN", {"acetaminophen", "caffeine"}),
    ("Vicodin", {"hydrocodone", "acetaminophen"}),
    ("Vicodin ES", {"hydrocodone", "acetaminophen"}),
    ("Vicodin ES 7.5/300 mg 1 tab q6h PRN", {"hydrocodone", "acetaminophen"}),
    ("Vicodin HP", {"hydrocodone", "acetaminophen"}),
    ("Potassium Chl 20 mEq / 1000 mL D5LR", {"potassium chloride", "dextrose", "lactated ringer's"}),
    ("D5LR 1000 mL", {"dextrose", "lactated ringer's"}),
    # D5LR after "in" is the diluent, skipped as D5NS is
    ("potassium chloride 20 mEq in D5LR 1000 mL", {"potassium chloride"}),
    # a bare number after a brand with no numbered product is its strength
    ("Zyloprim 300", {"allopurinol"}),
    ("Zyloric 300 OD", {"allopurinol"}),
    ("Valtrex 500", {"valacyclovir"}),
    ("Valtrex 500 BD", {"valacyclovir"}),
    ("Cotrim 480 BD MWF", {"sulfamethoxazole/trimethoprim"}),
    ("Cotrim forte", {"sulfamethoxazole/trimethoprim"}),
    # Zydis is a freeze-dried wafer, a dose form
    ("Zofran Zydis 4mg", {"ondansetron"}),
])
def test_strings_read_as_every_drug_they_name(default_kb: KnowledgeBase, text: str, named: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert (set(reading.drugs), reading.reason) == (named, UnrecognizedReason.UNSPECIFIED), reading.detail


@pytest.mark.parametrize(("text", "ingredient"), [
    # GoLYTELY holds sodium sulfate, not reviewed, with polyethylene glycol: it was read as polyethylene glycol alone
    ("GoLYTELY", "polyethylene glycol-electrolyte solution (peg-es)"),
    ("GoLYTELY 4 L PO", "polyethylene glycol-electrolyte solution (peg-es)"),
    ("Testosterone 2.5mg Patch", "testosterone"),
    ("testosterone cypionate 200 mg IM", "testosterone"),
    ("Nexplanon 68 MG Drug Implant", "etonogestrel"),
    ("Coversyl 5mg", "perindopril"),
    ("Coversyl Arginine 5 mg", "perindopril"),
])
def test_real_drugs_the_broad_vocabulary_lacks_are_not_reviewed(default_kb: KnowledgeBase, text: str,
                                                                ingredient: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason, reading.ingredients) == (
        (), UnrecognizedReason.NOT_REVIEWED, (ingredient,)), reading.detail


@pytest.mark.parametrize("text", [
    "Coversyl Plus",  # another product of the brand
    "Tylenol 2",  # Tylenol has numbered products: Tylenol #2 held codeine
    "Zantac 150 BD",  # "Zantac 150" names a product of the brand; ranitidine is not reviewed either
    "Vicodin 2",  # a combination brand has no `numbered_products = false`
])
def test_a_brand_followed_by_another_product_s_name_stays_unknown(default_kb: KnowledgeBase, text: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN), reading.detail


@pytest.mark.parametrize("text", ["Movicol 1 sachet BD", "Panadol Extra", "Vicodin ES", "Zyloprim 300",
                                  "Valtrex 500", "Cotrim 480 BD MWF"])
def test_the_check_is_complete_with_each_mended_string(default_kb: KnowledgeBase, text: str) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine")),
                                            (Medication(text),)))
    assert (result.complete, result.unrecognized) == (True, ())


def test_golytely_makes_the_check_incomplete_and_names_what_was_not_reviewed(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine")),
                                            (Medication("GoLYTELY"),)))
    assert not result.complete
    assert [(u.name, u.reason, u.ingredients) for u in result.unrecognized] == [
        ("GoLYTELY", UnrecognizedReason.NOT_REVIEWED, ("polyethylene glycol-electrolyte solution (peg-es)",))]


@pytest.mark.parametrize("text", [
    "oxycodone 5/325",  # Percocet's strengths: acetaminophen is not named
    "hydrocodone 10/325 mg",
    "lisinopril 20/12.5",  # with hydrochlorothiazide
    "Diovan 160/12.5",
    "metoprolol 50/25",
    "oxycodone 5/325 + ondansetron 4",  # the other drugs of the line are not the product's
    "Diovan 160/12.5 and amlodipine",
    "metformin 500 mg, lisinopril 20/12.5",
])
def test_strengths_of_two_drugs_after_the_name_of_one_drop_nothing(default_kb: KnowledgeBase, text: str) -> None:
    # Were read as the one drug named: the other drug of the product was dropped.
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
    assert "a product whose other drug is not named is not guessed" in reading.detail, reading


@pytest.mark.parametrize(("text", "named"), [
    ("Percocet 5/325", {"oxycodone", "acetaminophen"}),
    ("Bactrim 800/160", {"sulfamethoxazole/trimethoprim"}),  # one dictionary drug of two ingredients
    ("amlodipine/benazepril 5/20", {"amlodipine", "benazepril"}),
    ("insulin 70/30", {"insulin"}),  # a premix of one drug's forms (premixes = true)
    ("Humulin 70/30 10 units", {"insulin"}),
    ("metoprolol 25 mg 1/2 tab BID", {"metoprolol"}),  # half a tablet
    ("warfarin 5 mg on 11/28", {"warfarin"}),  # a date, not after the name
    ("venetoclax ramp-up 100/200/400", {"venetoclax"}),
])
def test_strengths_that_fit_what_the_name_holds_are_read(default_kb: KnowledgeBase, text: str,
                                                          named: set[str]) -> None:
    assert set(default_kb.resolver.read(text).drugs) == named
