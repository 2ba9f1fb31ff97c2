"""Doses ordered as a count of tablets (`4 {pill}`, `2 tablet`) through a real `dosecheck serve`: read in mg
as count x strength only when the strength per tablet is certain, else shown as sent and never as a mass.

The shapes are those cds-hooks.md §13 describes (the sandbox's `{pill}`, Epic's typed `ordered` entry) and
FHIR's Medication.ingredient strength (R4 `strength`, R5 `strengthRatio`, STU3 `amount`: a Ratio such as
100 mg per 1 tablet); none is copied from a client.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.cds_hooks.fhir_in import strength_in_name
from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SELECT, SIGN, cards
from tests.cds_hooks.test_real_clients import EPIC_DOSE_TYPE, posaconazole

UCUM = "http://unitsofmeasure.org"
DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
NOT_IN_MG = "**venetoclax**: ordered 4 {pill}, which is not a dose in mg; **give 70 mg**"
MASS_UNITS = {"mg": 1.0, "MG": 1.0, "milligrams": 1.0, "g": 1000.0, "mcg": 0.001, "ug": 0.001}


def counted(ident: str, name: str, count: float, unit: dict[str, str]) -> dict[str, Any]:
    """A draft order of `count` dose units (`unit` is the Quantity's unit and/or code)."""
    order = examples.order(ident, name)
    order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": count} | unit}]
    return order


def pills(name: str) -> dict[str, Any]:
    """The sandbox's order: 4 {pill}, as a UCUM code."""
    return counted("request-123", name, 4, {"system": UCUM, "code": "{pill}"})


def with_medication(order: dict[str, Any], *ingredients: dict[str, Any], name: str = "venetoclax") -> dict[str, Any]:
    """The order naming its medication only by a contained Medication with these ingredients."""
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "#med-1"}
    order["contained"] = [{"resourceType": "Medication", "id": "med-1", "code": {"text": name},
                           "ingredient": list(ingredients)}]
    return order


def ingredient(numerator: dict[str, Any], denominator: dict[str, Any], key: str = "strength") -> dict[str, Any]:
    return {"itemCodeableConcept": {"text": "venetoclax"}, key: {"numerator": numerator, "denominator": denominator}}


MG_100 = {"value": 100, "unit": "mg", "system": UCUM, "code": "mg"}
ONE_TABLET = {"value": 1, "system": DRUG_FORM, "code": "TAB"}


def venetoclax_card(served: Served, order: dict[str, Any], hook: str = "order-sign") -> dict[str, Any]:
    [card] = cards(served, SELECT if hook == "order-select" else SIGN, examples.call(hook, [order], [posaconazole()]))
    return card


def test_the_sandbox_pills_of_a_named_strength_are_read_in_mg(dev_server: Served) -> None:
    # Was "ordered 4 {pill}, which is not a dose in mg; give 70 mg": the labelled 400 mg assumed, the order unread.
    card = venetoclax_card(dev_server, pills("Venetoclax 100 MG Oral Tablet"), "order-select")
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert card["detail"].startswith("**venetoclax**: ordered 4 {pill} x 100 mg = 400 mg; **give 70 mg**")
    update = next(a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update")
    doses = [d["doseAndRate"][0]["doseQuantity"] for d in update["resource"]["dosageInstruction"]]
    assert doses[-1] == {"value": 70, "unit": "mg", "system": UCUM, "code": "mg"}


def test_epic_tablets_in_the_ordered_entry_are_read_in_mg(dev_server: Served) -> None:
    order = examples.order("eGil.1", "x")
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/eMed9", "display": "gilteritinib 40 MG Oral Tablet"}
    order["dosageInstruction"][0]["doseAndRate"] = [
        {"type": {"coding": [{"system": EPIC_DOSE_TYPE, "code": code}]}, "doseQuantity": quantity}
        for code, quantity in (("admin-amount", {"value": 3, "unit": "tablet"}),
                               ("ordered", {"value": 2, "unit": "tablet"}))]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    # 80 mg as ordered, kept: not "no dose stated, the labelled 120 mg assumed", nor the admin-amount's 120.
    assert card["detail"].startswith("**gilteritinib**: ordered 2 tablet x 40 mg = 80 mg; **keep 80 mg**")
    assert card["summary"] == "Gilteritinib: monitor with posaconazole"


@pytest.mark.parametrize("key", ["strength", "strengthRatio", "amount"])  # R4, R5, STU3
def test_a_medication_with_one_ingredient_of_a_mass_per_tablet_gives_the_strength(dev_server: Served,
                                                                                   key: str) -> None:
    order = with_medication(counted("ven-1", "x", 4, {"system": UCUM, "code": "{tbl}"}),
                            ingredient(MG_100, ONE_TABLET, key))
    card = venetoclax_card(dev_server, order)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert card["detail"].startswith("**venetoclax**: ordered 4 {tbl} x 100 mg = 400 mg; **give 70 mg**")


def test_a_medication_in_the_draft_orders_gives_its_strength_to_an_order_referencing_it(dev_server: Served) -> None:
    order = counted("ven-1", "x", 0.4, {"unit": "capsules"})
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/med-7"}
    medication = {"resourceType": "Medication", "id": "med-7", "code": {"text": "venetoclax"},
                  "ingredient": [ingredient({"value": 1, "unit": "g"}, {"value": 1, "unit": "capsule"})]}
    body = examples.call("order-sign", [order], [posaconazole()])
    body["context"]["draftOrders"]["entry"].append({"resource": medication})
    [card] = cards(dev_server, SIGN, body)
    assert card["detail"].startswith("**venetoclax**: ordered 0.4 capsules x 1000 mg = 400 mg; **give 70 mg**")


@pytest.mark.parametrize("name", [
    "venetoclax 10 MG/ML Oral Solution",  # per volume
    "venetoclax 10 mg per mL oral solution",
    "venetoclax 50 MG / venetoclax 100 MG Oral Tablet",  # two strengths
    "Venetoclax 50 MG and 100 MG Oral Tablets",
    "Venclexta Starting Pack 10 MG, 50 MG, 100 MG",  # a starter pack, with its strengths or naming only one
    "VENCLEXTA STARTING PACK 100 MG",
    "Venetoclax Oral Tablet",  # no strength
    f"Venetoclax 100 MG {'Oral Tablet ' * 16}50 MG",  # a second strength past the 200 characters kept of a name
    "venetoclax 100 UNT Oral Tablet",  # not a mass
])
def test_a_name_without_one_certain_strength_leaves_the_pills_unread(dev_server: Served, name: str) -> None:
    assert venetoclax_card(dev_server, pills(name))["detail"].startswith(NOT_IN_MG)


@pytest.mark.parametrize("ingredients", [
    [ingredient(MG_100, ONE_TABLET), ingredient(MG_100, ONE_TABLET)],  # two ingredients: a combination
    [ingredient(MG_100, {"value": 1, "unit": "mL", "system": UCUM, "code": "mL"})],  # per volume
    [ingredient(MG_100, {"value": 2, "system": DRUG_FORM, "code": "TAB"})],  # per 2 tablets
    [ingredient({"value": 100, "unit": "U"}, ONE_TABLET)],  # not a mass
    [{"itemCodeableConcept": {"text": "venetoclax"}, "strengthQuantity": MG_100}],  # R5, not a Ratio
])
def test_an_ingredient_strength_that_is_not_one_mass_per_tablet_leaves_the_pills_unread(
        dev_server: Served, ingredients: list[dict[str, Any]]) -> None:
    # Named "Venetoclax 100 MG Oral Tablet" too: the Medication's ingredients decide, the name does not step in.
    order = with_medication(pills("x"), *ingredients, name="Venetoclax 100 MG Oral Tablet")
    assert venetoclax_card(dev_server, order)["detail"].startswith(NOT_IN_MG)


def test_an_ingredient_strength_the_name_contradicts_leaves_the_pills_unread(dev_server: Served) -> None:
    order = with_medication(pills("x"), ingredient(MG_100, ONE_TABLET), name="Venetoclax 10 MG Oral Tablet")
    assert venetoclax_card(dev_server, order)["detail"].startswith(NOT_IN_MG)


def test_an_ingredient_stating_no_strength_leaves_it_to_the_name(dev_server: Served) -> None:
    order = with_medication(pills("x"), {"itemCodeableConcept": {"text": "venetoclax"}},
                            name="Venetoclax 100 MG Oral Tablet")
    assert venetoclax_card(dev_server, order)["detail"].startswith("**venetoclax**: ordered 4 {pill} x 100 mg = 400 mg")


@pytest.mark.parametrize(("count", "unit", "as_sent"), [
    (4, {"unit": "mL", "code": "mL"}, "4 mL"),  # not a count of tablets
    (4, {"unit": "tablet", "code": "mL"}, "4 tablet"),  # a unit and a code that disagree
    (-4, {"code": "{pill}"}, "-4 {pill}"),
    (0, {"code": "{pill}"}, "0 {pill}"),
])
def test_a_dose_that_is_not_a_positive_count_of_tablets_is_not_read_by_the_strength(
        dev_server: Served, count: float, unit: dict[str, str], as_sent: str) -> None:
    card = venetoclax_card(dev_server, counted("ven-1", "Venetoclax 100 MG Oral Tablet", count, unit))
    assert card["detail"].startswith(f"**venetoclax**: ordered {as_sent}, which is not a dose in mg")


NUMBERS = st.integers(1, 99_999).map(str) | st.tuples(st.integers(0, 999), st.integers(0, 99)).map(
    lambda parts: f"{parts[0]}.{parts[1]}")
STRENGTHS = st.tuples(NUMBERS, st.sampled_from(sorted(MASS_UNITS)), st.sampled_from(["", " ", "  "])).map("".join)
WORDS = st.lists(st.sampled_from(["venetoclax", "VENCLEXTA", "gilteritinib", "Oral", "Tablet", "TABS", "film",
                                  "coated", "(", ")", "[Venclexta]", "PO", "capsule"]), max_size=4).map(" ".join)


@given(st.text(), STRENGTHS, st.text(), STRENGTHS, st.text())
def test_a_name_with_two_mass_strengths_never_gives_one(before: str, first: str, between: str, second: str,
                                                         after: str) -> None:
    assert strength_in_name(f"{before}{first}{between}{second}{after}") == 0


@given(st.text(), STRENGTHS, st.sampled_from(["/", " / ", "/ ", " per ", " PER "]),
       st.sampled_from(["mL", "ML", "5 mL", "L", "tablet"]), st.text())
def test_a_strength_per_anything_never_gives_one(before: str, strength: str, per: str, volume: str,
                                                 after: str) -> None:
    assert strength_in_name(f"{before}{strength}{per}{volume}{after}") == 0


@given(WORDS, NUMBERS, st.sampled_from(sorted(MASS_UNITS)), WORDS)
def test_one_mass_strength_among_words_is_read_in_mg(before: str, number: str, unit: str, after: str) -> None:
    assert strength_in_name(f"{before} {number} {unit} {after}") == round(float(number) * MASS_UNITS[unit], 6)
