"""Gemtuzumab ozogamicin ordered per m2, through a server: its card needs no dose in mg (fixer G of s21).

Since 8a3ca4d the engine recommends no dose in mg for gemtuzumab ozogamicin ordered per m2 with none in mg (the
label doses it at 3 mg/m2, up to one 4.5 mg vial, on days 1, 4 and 7: uspi-mylotarg, Dosage and Administration);
the order stands. The cards skipped every drug with no recommended dose, meant for unrecognised entries and partners
ordered without one, so such an agent's card vanished: two orders of it in effect today got no "possible duplicate
orders" warning. Its card must still come, saying no "None mg" or "0 mg" and offering no dose to write.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer

GEMTUZUMAB = "gemtuzumab ozogamicin"
PER_M2_NAME = "gemtuzumab ozogamicin 3 mg/m2 days 1, 4, 7"


def per_m2_in_dose_field(ident: str) -> dict[str, Any]:
    """A draft whose doseQuantity is 3 mg/m2 (UCUM), no dose in mg anywhere."""
    order = examples.order(ident, GEMTUZUMAB)
    order["dosageInstruction"][0]["text"] = "3 mg/m2 days 1, 4, 7"
    order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {
        "value": 3, "unit": "mg/m2", "system": "http://unitsofmeasure.org", "code": "mg/m2"}}]
    return order


def test_two_per_m2_orders_in_effect_today_get_the_duplicate_card_without_a_dose_in_mg(dev_server: Served) -> None:
    # Was no card at all since 8a3ca4d (and before it "4.5 mg assumed"): a dose of gemtuzumab may be given twice.
    [card] = answer(dev_server, [examples.order("g1", PER_M2_NAME)],
                    [examples.order("g0", PER_M2_NAME, status="active")])
    assert (card["summary"], card["indicator"]) == ("Gemtuzumab ozogamicin: possible duplicate orders", "warning")
    assert actions(card) == []  # no update writing a dose in mg: none is recommended
    detail = card["detail"]
    # It began "no dose ordered; keep the ordered dose" of an order per m2 in its name.
    first_line = "**gemtuzumab ozogamicin**: no dose in mg ordered; **keep the ordered dose** (continue)."
    assert detail.startswith(first_line), detail
    assert (f"Possible duplicate orders: MedicationRequest/g1 ({PER_M2_NAME}, no dose in mg stated) and "
            f"MedicationRequest/g0 ({PER_M2_NAME}, no dose in mg stated) are in effect today (current, or being "
            "ordered now). Checked as one order, not their sum") in detail, detail
    assert "a dose per m2 ordered stands, at most 4.5 mg a dose (an order that states none needs one)" in detail, detail
    for wrong in ("None", " 0 mg", "mg assumed", "one dose of 4.5 mg"):
        assert wrong not in card["summary"] + detail, wrong


@pytest.mark.parametrize("others", [[], [examples.order("o1", "ondansetron", 8)],
                                    [examples.order("l1", "levofloxacin", 500)]],
                         ids=["alone", "ondansetron", "levofloxacin"])
@pytest.mark.parametrize("draft", [per_m2_in_dose_field("g1"), examples.order("g1", PER_M2_NAME)],
                         ids=["dose-field", "name"])
def test_a_per_m2_order_with_nothing_to_say_gets_no_card(dev_server: Served, draft: dict[str, Any],
                                                         others: list[dict[str, Any]]) -> None:
    # Guard: the per-m2 order stands and no rule of the knowledge base speaks of gemtuzumab with these (it has no QT
    # rule): no "dose not read, 4.5 mg assumed" card (before 8a3ca4d) and no card saying "None mg".
    assert answer(dev_server, [draft, *others], []) == []


def test_gemtuzumab_in_mg_is_still_checked_against_the_vial_cap(dev_server: Served) -> None:
    # Guard: 3.6 mg is within one 4.5 mg vial (no card); 6 mg is reduced to 4.5 mg with its update.
    assert answer(dev_server, [examples.order("g1", GEMTUZUMAB, 3.6), examples.order("o1", "ondansetron", 8)], []) == []
    [card] = answer(dev_server, [examples.order("g1", GEMTUZUMAB, 6)], [])
    assert (card["summary"], card["indicator"]) == ("Gemtuzumab ozogamicin: reduce to 4.5 mg (labelled dose)",
                                                    "warning")
    assert actions(card) == [("update", "MedicationRequest/g1")]


@pytest.mark.parametrize("draft", [per_m2_in_dose_field("g1"), examples.order("g1", PER_M2_NAME)],
                         ids=["dose-field", "name"])
def test_a_per_m2_order_beside_two_known_risk_qt_drugs_gets_its_card(dev_server: Served,
                                                                      draft: dict[str, Any]) -> None:
    # Between 8a3ca4d and 9f60cf0 no card, though the regimen's QT burden is a major finding on it (review revE).
    qt_drugs = [examples.order("o1", "ondansetron", 8, status="active"),
                examples.order("l1", "levofloxacin", 500, status="active")]
    [card] = answer(dev_server, [draft], qt_drugs)
    assert (card["summary"], card["indicator"]) == ("Gemtuzumab ozogamicin: monitor", "warning")
    assert actions(card) == []
    assert "QT-prolonging drugs together: levofloxacin (known risk), ondansetron (known risk)" in card["detail"]
    assert "None" not in card["detail"]
