"""Medication strings real lists hold that the reader missed (session 11: an integrator's catalogue, a pharmacist's
orders): product-kind words in brackets, a herb's extract, a hyphenated pill of two hormones and its brands, taper
orders, and an order's own words saying it is on hold, told from hold parameters."""

from __future__ import annotations

import pytest

from interactions import CheckRequest, KnowledgeBase, Medication, check
from interactions.model import Action, DoseRecommendation, UnrecognizedReason

SJW = {"st john's wort"}
EE_NE = {"ethinyl estradiol", "norethindrone"}


def _decision(kb: KnowledgeBase, request: CheckRequest, drug: str) -> DoseRecommendation:
    return next(dose for dose in check(kb, request).doses if dose.drug == drug)


@pytest.mark.parametrize(("text", "named"), [
    # words saying what kind of product it is are not drug names
    ("St. John's Wort 300 mg capsule (OTC herbal)", SJW),
    ("St. John's Wort 300 mg capsule (herbal supplement)", SJW),
    ("St Johns Wort dietary supplement 300 mg daily", SJW),
    # the herb's extract, by its Latin and common names
    ("Hypericum perforatum extract", SJW),
    ("Hypericum perforatum extract 300 mg TID", SJW),
    ("St. John's Wort extract 300 mg capsule", SJW),
    # a hyphenated pair of drug names is both drugs, also where the second half of the first name is itself
    # the start of another product's name ("estradiol-norethindrone")
    ("ethinyl estradiol-norethindrone (LOESTRIN) 1-20 mg-mcg", EE_NE),
    ("ethinyl estradiol-norethindrone", EE_NE),
    ("ethinyl estradiol-norethindrone acetate 20 mcg-1 mg tablet", EE_NE),
    ("norethindrone-ethinyl estradiol (LOESTRIN) 1-20 MG-MCG", EE_NE),
    ("ethinyl estradiol-levonorgestrel (LEVORA) 0.03-0.15 mg", {"ethinyl estradiol", "levonorgestrel"}),
    ("Loestrin 1/20", EE_NE),
    ("Junel 1/20", EE_NE),
    ("Microgestin 1.5/30", EE_NE),
    # taper orders: the drug leads the line
    ("dexamethasone 4 mg q6h x 2 days then taper", {"dexamethasone"}),
    ("prednisone 40 mg daily, taper by 10 mg every 3 days", {"prednisone"}),
    ("prednisone 60 mg daily, tapering", {"prednisone"}),
])
def test_catalogue_strings_read_as_every_drug_they_name(default_kb: KnowledgeBase, text: str, named: set[str]) -> None:
    reading = default_kb.resolver.read(text)
    assert (set(reading.drugs), reading.reason) == (named, UnrecognizedReason.UNSPECIFIED), reading.detail


@pytest.mark.parametrize(("text", "reason"), [
    # Loestrin Fe and its generics add ferrous fumarate tablets: never read as the two hormones alone
    ("Loestrin Fe 1/20", UnrecognizedReason.UNKNOWN),
    ("Microgestin Fe 1/20", UnrecognizedReason.UNKNOWN),
    # a product-kind word names no drug
    ("herbal supplement", UnrecognizedReason.UNKNOWN),
    ("OTC herbal", UnrecognizedReason.UNKNOWN),
])
def test_what_names_another_product_or_no_drug_stays_unrecognised(default_kb: KnowledgeBase, text: str,
                                                                  reason: UnrecognizedReason) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason) == ((), reason), reading.detail


def test_a_hyphenated_product_name_is_taken_apart_only_when_the_word_before_needs_its_first_part(
        default_kb: KnowledgeBase) -> None:
    """'estradiol-norethindrone' alone is estradiol with norethindrone (Activella), never ethinyl estradiol."""
    read = default_kb.resolver.read
    assert set(read("estradiol-norethindrone 1-0.5 mg tablet").drugs) == {"estradiol", "norethindrone"}
    assert set(read("ethinyl estradiol-norethindrone").drugs) == EE_NE


@pytest.mark.parametrize("text", [
    "HOLD venetoclax 400 mg",
    "venetoclax 400 mg daily - on hold",
    "venetoclax 400 mg daily (on hold)",
    "venetoclax 400 mg PO daily - HELD",
    "Hold: venetoclax 400 mg",
])
def test_an_order_whose_words_say_it_is_on_hold_reads_as_held(default_kb: KnowledgeBase, text: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason, reading.held) == (
        ("venetoclax",), UnrecognizedReason.UNSPECIFIED, True), reading.detail


@pytest.mark.parametrize(("text", "drug"), [
    ("metoprolol 25 mg BID, hold for HR < 60", "metoprolol"),
    ("venetoclax 400 mg PO daily, hold if ANC < 500", "venetoclax"),
    ("venetoclax (VENCLEXTA) tablet 70 mg 70 mg, Oral, Daily, Hold for ANC < 500", "venetoclax"),
    ("venetoclax 400 mg daily, hold parameters: ANC < 500", "venetoclax"),
])
def test_hold_parameters_are_conditions_of_a_running_order_not_a_hold(default_kb: KnowledgeBase, text: str,
                                                                     drug: str) -> None:
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason, reading.held) == ((drug,), UnrecognizedReason.UNSPECIFIED, False), (
        reading.detail)


def test_a_hold_beside_several_drugs_named_apart_is_not_guessed_but_a_product_or_regimen_is_held_whole(
        default_kb: KnowledgeBase) -> None:
    read = default_kb.resolver.read
    apart = read("venetoclax 400 mg / posaconazole 300 mg - on hold")
    assert (apart.drugs, apart.reason) == ((), UnrecognizedReason.UNKNOWN)
    assert "which of them is on hold is not guessed" in apart.detail
    regimen = read("Aza/Ven - on hold")
    assert (set(regimen.drugs), regimen.held) == ({"azacitidine", "venetoclax"}, True)
    product = read("Paxlovid - held")
    assert (set(product.drugs), product.held) == ({"nirmatrelvir", "ritonavir"}, True)


@pytest.mark.parametrize("text", [
    "Hold venetoclax for ANC < 500",
    "venetoclax 400 mg daily hold ANC < 500",
    "HOLD gilteritinib 120 mg for platelets < 25",
])
def test_a_hold_word_with_a_condition_is_neither_a_hold_nor_a_running_order(default_kb: KnowledgeBase,
                                                                            text: str) -> None:
    # "Hold venetoclax for ANC < 500" was read as on hold now, and the agent answered HOLD 0 mg.
    reading = default_kb.resolver.read(text)
    assert (reading.drugs, reading.reason, reading.held) == ((), UnrecognizedReason.UNKNOWN, False)
    assert "with a condition" in reading.detail


@pytest.mark.parametrize("name", ["HOLD venetoclax 400 mg", "venetoclax 400 mg daily - on hold"])
def test_a_targeted_agent_on_hold_by_its_words_is_held_and_the_answer_says_why(default_kb: KnowledgeBase,
                                                                               name: str) -> None:
    request = CheckRequest(regimen=(Medication(name), Medication("azacitidine", 75)))
    dose = _decision(default_kb, request, "venetoclax")
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0.0)
    assert f"Read as held: {name!r} says the order is on hold" in dose.rationale
    assert _decision(default_kb, request, "azacitidine").action is Action.CONTINUE


def test_a_partner_on_hold_by_its_words_is_held(default_kb: KnowledgeBase) -> None:
    request = CheckRequest(regimen=(Medication("venetoclax", 400), Medication("azacitidine 75 mg/m2 SC - on hold")))
    dose = _decision(default_kb, request, "azacitidine")
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0.0)
    assert _decision(default_kb, request, "venetoclax").action is Action.CONTINUE


def test_an_agent_among_the_other_medications_on_hold_by_its_words_is_held(default_kb: KnowledgeBase) -> None:
    request = CheckRequest(regimen=(Medication("azacitidine", 75),),
                           concomitant=(Medication("gilteritinib 120 mg daily - on hold"),))
    dose = _decision(default_kb, request, "gilteritinib")
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0.0)


def test_hold_parameters_leave_the_agent_given(default_kb: KnowledgeBase) -> None:
    request = CheckRequest(regimen=(Medication("venetoclax 400 mg PO daily, hold if ANC < 500", 400),
                                    Medication("azacitidine", 75)))
    dose = _decision(default_kb, request, "venetoclax")
    assert (dose.action, dose.recommended_dose_mg) == (Action.CONTINUE, 400.0)


def test_a_co_medication_on_hold_by_its_words_is_still_named_and_counted(default_kb: KnowledgeBase) -> None:
    """A held co-medication may be resumed at any time: its line is never dropped, and its rules still count."""
    request = CheckRequest(regimen=(Medication("venetoclax", 400), Medication("azacitidine", 75)),
                           concomitant=(Medication("posaconazole 300 mg PO daily - on hold"),))
    result = check(default_kb, request)
    assert result.complete
    assert "venetoclax/ven-posaconazole" in {finding.rule for finding in result.findings}


@pytest.mark.parametrize("name", ["ethinyl estradiol-norethindrone (LOESTRIN) 1-20 mg-mcg", "Loestrin 1/20"])
def test_ivosidenibs_contraceptive_rule_fires_for_the_catalogue_strings(default_kb: KnowledgeBase, name: str) -> None:
    result = check(default_kb, CheckRequest(regimen=(Medication("ivosidenib", 500),),
                                            concomitant=(Medication(name),)))
    assert result.complete
    objects = {f.object_drug for f in result.findings if f.rule == "ivosidenib/ivo-on-hormonal-contraceptives"}
    assert objects == EE_NE


def test_st_johns_wort_written_as_an_otc_herbal_is_avoided_with_venetoclax(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(
        regimen=(Medication("venetoclax", 400), Medication("azacitidine", 75)),
        concomitant=(Medication("St. John's Wort 300 mg capsule (OTC herbal)"),)))
    assert result.complete
    assert {f.rule for f in result.findings if f.action is Action.AVOID_COMBINATION} >= {
        "venetoclax/ven-strong-cyp3a-inducer"}


def test_a_dexamethasone_taper_is_checked_with_glasdegib(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(
        regimen=(Medication("glasdegib", 100), Medication("cytarabine", 20)),
        concomitant=(Medication("dexamethasone 4 mg q6h x 2 days then taper"),)))
    assert result.complete
    assert "glasdegib/gla-dexamethasone" in {finding.rule for finding in result.findings}

