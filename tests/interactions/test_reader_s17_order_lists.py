"""Order text as pharmacy catalogues and EHR medication lists write it (session 17, pharmacist probe P).

A mass alone in a bracket after a count of several tablets ("gilteritinib 3 tabs (40 mg) daily") was read as the
total: 40 mg ordered, CONTINUE, no finding, where the order most likely means three 40 mg tablets (120 mg). Such a
bracket says each tablet's strength as often as the total, so a mass that is one of the agent's strengths leaves
the dose unread; one that is none of them can only be the total and is read.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from interactions.model import DoseRecommendation
from interactions.schema import SpellingSpec


def _decision(kb: KnowledgeBase, order: Medication) -> tuple[DoseRecommendation, tuple[str, ...], bool]:
    """The order's decision, the rules of its findings and whether the check is complete."""
    result = check(kb, CheckRequest((order,), (), PatientContext()))
    (dose,) = result.doses
    return dose, tuple(f.rule for f in result.findings), result.complete


def _assert_dose_unread(kb: KnowledgeBase, order: str, agent: str, labelled: float) -> None:
    """The order's dose is not read: the labelled dose recommended, its MODERATE dose-not-read finding alone."""
    dose, rules, complete = _decision(kb, Medication(order))
    assert (dose.drug, dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action, rules, complete) == (
        agent, 0.0, labelled, Action.ADJUST_DOSE, (f"{agent}/dose-not-read",), True)


@pytest.mark.parametrize(("order", "agent", "labelled"), [
    # Each mass is one of the agent's product strengths (each agent file's `products`): N tablets of it, or it all?
    ("gilteritinib 3 tabs (40 mg) daily", "gilteritinib", 120),
    ("gilteritinib 3 tablets (40 mg) PO daily", "gilteritinib", 120),
    ("ivosidenib 2 tabs (250 mg) daily", "ivosidenib", 500),
    ("venetoclax 4 tabs (100 mg) daily", "venetoclax", 400),
    ("venetoclax 2 tabs (50 mg) daily", "venetoclax", 400),
    ("midostaurin 2 caps (25 mg) BID", "midostaurin", 50),
    ("quizartinib 2 tabs (17.7 mg) daily", "quizartinib", 35.4),
])
def test_a_strength_in_brackets_after_a_count_of_tablets_leaves_the_dose_unread(
        default_kb: KnowledgeBase, order: str, agent: str, labelled: float) -> None:
    _assert_dose_unread(default_kb, order, agent, labelled)


@pytest.mark.parametrize(("order", "mg"), [
    # None of the agent's strengths: only a total can be meant.
    ("gilteritinib 3 tabs (120 mg) daily", 120),
    ("ivosidenib 2 tabs (500 mg) daily", 500),
    ("midostaurin 2 caps (50 mg) BID", 50),
    ("venetoclax 2 tabs (20 mg) daily", 20),
    # Said: a total, the line's strength and count making it, or one tablet.
    ("venetoclax 4 tabs (400 mg total) daily", 400),
    ("gilteritinib 40 mg tablet, take 3 tablets (120 mg) by mouth once daily", 120),
    ("venetoclax 1 tab (100 mg) daily", 100),
    ("olutasidenib 1 cap (150 mg) BID", 150),
])
def test_a_mass_in_brackets_after_a_count_that_can_only_be_the_total_is_read(
        default_kb: KnowledgeBase, order: str, mg: float) -> None:
    dose, rules, complete = _decision(default_kb, Medication(order))
    assert dose.ordered_dose_mg == mg
    assert not any(rule.endswith("/dose-not-read") for rule in rules)
    assert complete


def test_a_dose_field_beside_a_strength_in_brackets_after_a_count_is_not_contradicted(
        default_kb: KnowledgeBase) -> None:
    # The name no longer says 40 mg, so the field's 120 mg (three 40 mg tablets) is no disagreement.
    dose, rules, complete = _decision(default_kb, Medication("gilteritinib 3 tabs (40 mg) daily", 120))
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, dose.action) == (120, 120, Action.CONTINUE)
    assert rules == ()
    assert complete


VEN_AZA = (Medication("venetoclax", 400), Medication("azacitidine", 75))


@pytest.mark.parametrize(("line", "drugs"), [
    # Every product holding these holds a booster (drugs.toml `sold_only_in`): named alone, each was read alone, with
    # no class, and venetoclax 400 mg passed complete beside a strong CYP3A inhibitor (kb-review E4's nirmatrelvir).
    ("elvitegravir", {"elvitegravir", "cobicistat"}),
    ("elvitegravir 150 mg PO daily", {"elvitegravir", "cobicistat"}),
    ("paritaprevir", {"ombitasvir", "paritaprevir", "ritonavir"}),
    ("ombitasvir", {"ombitasvir", "paritaprevir", "ritonavir"}),
])
def test_a_drug_sold_only_with_its_booster_reaches_venetoclax_as_a_strong_cyp3a_inhibitor(
        default_kb: KnowledgeBase, line: str, drugs: set[str]) -> None:
    assert set(default_kb.resolver.read(line).drugs) == drugs
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    ven = next(d for d in result.doses if d.drug == "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (100, Action.ADJUST_DOSE)
    assert [f.rule for f in ven.findings] == ["venetoclax/ven-strong-cyp3a-inhibitor"]
    assert result.complete


@pytest.mark.parametrize(("line", "drugs"), [
    ("tezacaftor", {"tezacaftor", "ivacaftor"}),  # Symdeko, Trikafta
    ("voxilaprevir", {"sofosbuvir", "velpatasvir", "voxilaprevir"}),  # Vosevi
])
def test_a_drug_sold_only_with_a_p_gp_inhibitor_reaches_venetoclax_with_it(
        default_kb: KnowledgeBase, line: str, drugs: set[str]) -> None:
    assert set(default_kb.resolver.read(line).drugs) == drugs
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    ven = next(d for d in result.doses if d.drug == "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (200, Action.ADJUST_DOSE)
    assert [f.rule for f in ven.findings] == ["venetoclax/ven-pgp-inhibitor"]
    assert result.complete


@pytest.mark.parametrize(("line", "drugs"), [
    ("Trikafta", {"elexacaftor", "tezacaftor", "ivacaftor"}),
    ("Genvoya", {"elvitegravir", "cobicistat", "emtricitabine", "tenofovir alafenamide"}),
    ("Stribild", {"elvitegravir", "cobicistat", "emtricitabine", "tenofovir disoproxil"}),
    ("Viekira Pak", {"ombitasvir", "paritaprevir", "ritonavir", "dasabuvir"}),
    ("ombitasvir/paritaprevir/ritonavir + dasabuvir", {"ombitasvir", "paritaprevir", "ritonavir", "dasabuvir"}),
])
def test_the_products_holding_them_still_read_as_all_their_drugs(
        default_kb: KnowledgeBase, line: str, drugs: set[str]) -> None:
    assert set(default_kb.resolver.read(line).drugs) == drugs


@pytest.mark.parametrize(("order", "agent", "labelled"), [
    # A count in a bracket after the mass is the count "x4" is after it (four tablets of 100 mg, or four doses?):
    # each was read as the one tablet's mass, CONTINUE, no finding.
    ("venetoclax 100 mg (x4) daily", "venetoclax", 400),
    ("venetoclax 100 mg (x 4) PO daily", "venetoclax", 400),
    ("ivosidenib 250 mg (x2) daily", "ivosidenib", 500),
    ("gilteritinib 40 mg (x3) daily", "gilteritinib", 120),
    # Any bracket (review 1): these were read so still.
    ("venetoclax 100 mg [x4] daily", "venetoclax", 400),
    ("venetoclax 100 mg [x 4] daily", "venetoclax", 400),
    ("venetoclax 100 mg {x 4} daily", "venetoclax", 400),
    ("gilteritinib 40 mg [x3] daily", "gilteritinib", 120),
])
def test_a_count_in_brackets_after_the_mass_leaves_the_dose_unread_as_after_it(
        default_kb: KnowledgeBase, order: str, agent: str, labelled: float) -> None:
    _assert_dose_unread(default_kb, order, agent, labelled)


def test_one_time_in_brackets_after_the_mass_is_a_single_dose_of_it(default_kb: KnowledgeBase) -> None:
    dose, rules, _complete = _decision(default_kb, Medication("venetoclax 400 mg (x1)"))
    assert (dose.ordered_dose_mg, rules) == (400, ("venetoclax/frequency-not-read",))


@pytest.mark.parametrize(("order", "mg"), [
    # Units spelled out (names.toml `[[spelling]]`): each line was unrecognised, the agent unchecked.
    ("venetoclax 400 milligrams daily", 400),
    ("gilteritinib 120 milligram PO daily", 120),
    ("venetoclax 100 milligram tablet, take 4 tablets daily", 400),
])
def test_a_dose_with_its_unit_spelled_out_is_read(default_kb: KnowledgeBase, order: str, mg: float) -> None:
    dose, rules, complete = _decision(default_kb, Medication(order))
    assert (dose.ordered_dose_mg, dose.action, rules, complete) == (mg, Action.CONTINUE, (), True)


def test_micrograms_of_an_agent_are_never_read_as_milligrams(default_kb: KnowledgeBase) -> None:
    dose, rules, complete = _decision(default_kb, Medication("venetoclax 400 micrograms daily"))
    assert (dose.ordered_dose_mg, rules, complete) == (0.0, ("venetoclax/dose-not-read",), True)


@pytest.mark.parametrize(("line", "rule"), [
    ("fluconazole 400 milligrams daily", "venetoclax/ven-moderate-cyp3a-inhibitor"),
    ("posaconazole 300 milligram daily", "venetoclax/ven-posaconazole"),
    ("digoxin 62.5 micrograms daily", "venetoclax/ven-on-digoxin"),
])
def test_a_co_medication_with_its_unit_spelled_out_is_read(default_kb: KnowledgeBase, line: str, rule: str) -> None:
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert rule in {f.rule for f in result.findings}
    assert result.complete


@pytest.mark.parametrize(("order", "agent", "labelled"), [
    # The sign is dropped with the punctuation: each was read as 400 mg, CONTINUE, no finding.
    ("venetoclax <400 mg daily", "venetoclax", 400),
    ("venetoclax < 400 mg daily", "venetoclax", 400),
    ("venetoclax >400 mg daily", "venetoclax", 400),
    ("venetoclax >= 400mg PO daily", "venetoclax", 400),
    # Before a unit spelled out (review 1), the sign was looked for before "milligrams" read as "mg": read so still.
    ("venetoclax <400 milligrams daily", "venetoclax", 400),
    ("venetoclax < 400 milligram", "venetoclax", 400),
    ("venetoclax >400 milligrams PO daily", "venetoclax", 400),
    ("gilteritinib <120 milligrams daily", "gilteritinib", 120),
])
def test_a_bound_on_the_dose_is_not_the_dose(default_kb: KnowledgeBase, order: str, agent: str,
                                              labelled: float) -> None:
    _assert_dose_unread(default_kb, order, agent, labelled)


@pytest.mark.parametrize(("order", "agent", "labelled"), [
    # Two doses as a list, or tens of thousands of mg: "80,120" was read as 80120 mg ordered.
    ("gilteritinib 80,120 mg daily", "gilteritinib", 120),
    ("venetoclax 100,200 mg daily", "venetoclax", 400),
])
def test_a_list_of_two_doses_joined_by_a_comma_is_not_read_as_thousands(
        default_kb: KnowledgeBase, order: str, agent: str, labelled: float) -> None:
    _assert_dose_unread(default_kb, order, agent, labelled)


def test_a_thousand_with_its_separator_is_still_a_thousand(default_kb: KnowledgeBase) -> None:
    dose, rules, _complete = _decision(default_kb, Medication("venetoclax 1,000 mg daily"))
    assert (dose.ordered_dose_mg, dose.recommended_dose_mg, rules) == (1000, 400, ("venetoclax/labelled-dose",))


@pytest.mark.parametrize("line", [
    # Who reported or supplies the drug (names.toml filler): each line was unrecognised, the check incomplete.
    "PTA: posaconazole 300 mg daily",
    "[Patient-reported] posaconazole 300 mg daily",
    "posaconazole 300 mg daily (patient reported)",
    "posaconazole 300 mg daily (hospital supply)",
    "posaconazole 300 mg daily (patient's own supply)",
    "Outpatient: posaconazole 300 mg daily",
])
def test_where_a_listed_medication_came_from_is_order_text(default_kb: KnowledgeBase, line: str) -> None:
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    ven = next(d for d in result.doses if d.drug == "venetoclax")
    assert (ven.recommended_dose_mg, [f.rule for f in ven.findings]) == (70, ["venetoclax/ven-posaconazole"])
    assert result.complete


@pytest.mark.parametrize("line", [
    "posaconazole 300 mg daily (PTA, not taking)",
    "posaconazole 300 mg daily - Last dose: 11/28/2026",
    "posaconazole 300 mg daily; indication: prophylaxis",
])
def test_a_listed_medication_not_taken_or_with_a_last_dose_stays_unrecognised(
        default_kb: KnowledgeBase, line: str) -> None:
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert [u.name for u in result.unrecognized] == [line]
    assert not result.complete


@pytest.mark.parametrize(("with_en_dash", "with_hyphen"), [
    # Each line with the en dash was unrecognised (the venetoclax order unchecked); it now reads as with the hyphen.
    ("fluconazole 200–400 mg daily", "fluconazole 200-400 mg daily"),
    ("nirmatrelvir–ritonavir", "nirmatrelvir-ritonavir"),
    ("amoxicillin–clavulanate 875–125 mg", "amoxicillin-clavulanate 875-125 mg"),
    ("venetoclax 100–400 mg daily", "venetoclax 100-400 mg daily"),
    ("venetoclax 400 mg daily D1–14", "venetoclax 400 mg daily D1-14"),
    ("venetoclax 400 mg daily – on hold", "venetoclax 400 mg daily - on hold"),
    # The em dash likewise (review 1).
    ("venetoclax 400 mg daily — on hold", "venetoclax 400 mg daily - on hold"),
    ("fluconazole 200—400 mg daily", "fluconazole 200-400 mg daily"),
])
def test_an_en_or_em_dash_reads_as_the_hyphen(default_kb: KnowledgeBase, with_en_dash: str, with_hyphen: str) -> None:
    def answer(line: str) -> tuple[object, ...]:
        result = check(default_kb, CheckRequest((Medication(line), Medication("azacitidine", 75)), (),
                                                PatientContext()))
        return (tuple((d.drug, d.ordered_dose_mg, d.recommended_dose_mg, d.action) for d in result.doses),
                tuple(f.rule for f in result.findings), result.complete)

    assert default_kb.resolver.read(with_en_dash).drugs == default_kb.resolver.read(with_hyphen).drugs != ()
    assert answer(with_en_dash) == answer(with_hyphen)


def test_the_arrow_sign_reads_as_the_arrow_one_drug_changed_to_another(default_kb: KnowledgeBase) -> None:
    # "posaconazole → micafungin" was unknown ("→" no order text): which is taken is not guessed, as with "->".
    assert default_kb.resolver.read("posaconazole → micafungin").reason == UnrecognizedReason.CONFLICT
    assert default_kb.resolver.read("posaconazole -> micafungin").reason == UnrecognizedReason.CONFLICT


@pytest.mark.parametrize(("order", "concomitant", "mg", "rules"), [
    # The brand written as its label writes it: the registered-trademark sign is no part of the name.
    ("Venclexta® 100 mg tablet, take 4 tablets by mouth daily", "azacitidine", 400, ()),
    ("VENCLEXTA® 400 mg daily", "Noxafil® 300 mg DR tab daily", 70, ("venetoclax/ven-posaconazole",)),
    ("Xospata ® 40 mg tab, 3 tabs daily", "azacitidine", 120, ()),
])
def test_a_brand_written_with_the_registered_trademark_sign_is_read_as_without_it(
        default_kb: KnowledgeBase, order: str, concomitant: str, mg: float, rules: tuple[str, ...]) -> None:
    result = check(default_kb, CheckRequest((Medication(order),), (Medication(concomitant),), PatientContext()))
    (dose,) = result.doses
    assert result.complete
    assert dose.recommended_dose_mg == mg
    assert tuple(f.rule for f in result.findings if f.object_drug == dose.drug) == rules


@pytest.mark.parametrize("order", [
    # The days of a course in a bracket after the mass are no count of it (review 1): each was dose-not-read.
    "venetoclax 400 mg (Days 1-14) PO daily",
    "venetoclax 400 mg (days 1-28) daily",
    "venetoclax 400 mg (day 1-14) daily",
    "venetoclax 400 mg (for 28 days) daily",
    "venetoclax 400 mg (x 28 days) daily",
    "venetoclax 400 mg [x 28 days] daily",
])
def test_the_days_of_a_course_in_brackets_after_the_mass_leave_the_dose_read(
        default_kb: KnowledgeBase, order: str) -> None:
    dose, rules, complete = _decision(default_kb, Medication(order))
    assert (dose.ordered_dose_mg, dose.action, rules, complete) == (400, Action.CONTINUE, (), True)


@pytest.mark.parametrize("order", [
    # The mark glued between two words parts them (review 1): each line was unrecognised, the agent unchecked.
    "VENCLEXTA®400 MG DAILY",
    "Venclexta®tablets 400 mg daily",
])
def test_the_registered_trademark_sign_between_two_words_parts_them(default_kb: KnowledgeBase, order: str) -> None:
    dose, rules, complete = _decision(default_kb, Medication(order))
    assert (dose.drug, dose.ordered_dose_mg, dose.action, rules, complete) == (
        "venetoclax", 400, Action.CONTINUE, (), True)


_CITED = ({"source": "ehr-dosage-form-codes", "detail": "order text"},)


@pytest.mark.parametrize("reads_as", ["", " "])
def test_a_spelling_with_a_letter_or_digit_never_reads_as_nothing(reads_as: str) -> None:
    # "mg" read as nothing would leave "400" of every "400 mg" (review 1): the schema took any reads_as.
    with pytest.raises(ValidationError, match="only a mark with no letter or digit reads as nothing"):
        SpellingSpec.model_validate({"written": "mg", "reads_as": reads_as, "citations": _CITED})


def test_a_mark_with_no_letter_or_digit_may_read_as_nothing() -> None:
    assert SpellingSpec.model_validate({"written": "®", "reads_as": "", "citations": _CITED}).reads_as == ""
