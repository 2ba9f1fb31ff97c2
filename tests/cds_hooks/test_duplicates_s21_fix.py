""""Possible duplicate orders" through a server: orders per m2, renewals and held orders (fixer C10 of s21).

Review revC9 (must-fix 2, should-fix 1 and 4) and reviewC (should-fix 5). Gemtuzumab ozogamicin ordered at 3 mg/m2 in
its dose field has no dose in mg, so it was never compared: a draft of it beside its active order, given twice (the
label: 3 mg/m2, one 4.5 mg vial at most, a dose on days 1, 4 and 7; uspi-mylotarg, Dosage and Administration), had
no card. A renewal dated tomorrow beside the order it follows, which ends today, and a draft beside a held order (its
resumption), were said to be possible duplicates, though neither pair is given on one day.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_doses_s19_fixc import day
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer
from tests.cds_hooks.test_per_m2_agent_s21 import GEMTUZUMAB, PER_M2_NAME, per_m2_in_dose_field

GO_DUPLICATE = "Gemtuzumab ozogamicin: possible duplicate orders"
VEN_DUPLICATE = "Venetoclax: possible duplicate orders"


def listed(order: dict[str, Any]) -> dict[str, Any]:
    return order | {"status": "active"}


def ending(order: dict[str, Any], end: str, element: str) -> dict[str, Any]:
    """The order with its period ending on `end`, in its dosage's bounds or its dispensing window."""
    if element == "boundsPeriod":
        order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": day(-27), "end": end}
    else:
        order["dispenseRequest"] = {"validityPeriod": {"start": day(-27), "end": end}}
    return order


@pytest.mark.parametrize("current", [listed(per_m2_in_dose_field("g0")),
                                     examples.order("g0", PER_M2_NAME, status="active")],
                         ids=["dose-field", "name"])
def test_a_per_m2_draft_in_the_dose_field_beside_its_active_order_is_a_possible_duplicate(
        dev_server: Served, current: dict[str, Any]) -> None:
    # Was no card: with no dose in mg (3 mg/m2 as sent) the draft was left out of the comparison.
    [card] = answer(dev_server, [per_m2_in_dose_field("g1")], [current])
    assert (card["summary"], card["indicator"]) == (GO_DUPLICATE, "warning"), card["summary"]
    assert actions(card) == []  # the order per m2 stands: no dose in mg to write
    assert ("Possible duplicate orders: MedicationRequest/g1 (gemtuzumab ozogamicin, 3 mg/m2, not a dose in mg) and "
            "MedicationRequest/g0 (") in card["detail"], card["detail"]


@pytest.mark.parametrize(("draft", "current"), [
    (examples.order("g1", GEMTUZUMAB, 4.5), examples.order("g0", PER_M2_NAME, status="active")),
    (examples.order("g1", GEMTUZUMAB), examples.order("g0", GEMTUZUMAB, 4.5, status="active")),
    (per_m2_in_dose_field("g1"), examples.order("g0", GEMTUZUMAB, 3.6, status="active")),
    (examples.order("g1", GEMTUZUMAB, 3.6), examples.order("g0", GEMTUZUMAB, 4.5, status="active")),
], ids=["mg-beside-per-m2-name", "no-dose-beside-mg", "per-m2-field-beside-mg", "mg-beside-other-mg"])
def test_any_two_gemtuzumab_orders_in_effect_today_are_possible_duplicates(dev_server: Served, draft: dict[str, Any],
                                                                          current: dict[str, Any]) -> None:
    # Were no card (the first two since 5878cbd, review revR must-fix 1): a dose per m2 is any dose in mg (3 mg/m2 is
    # 4.5 mg at 1.5 m2, 3.6 mg at 1.2 m2), and the label gives one dose a day (days 1, 4 and 7): two orders on one day
    # are one too many, whatever each states.
    [card] = answer(dev_server, [draft], [current])
    assert card["summary"] == GO_DUPLICATE, card["summary"]
    detail = card["detail"]
    assert "Possible duplicate orders: MedicationRequest/g1 (" in detail, detail
    assert "and MedicationRequest/g0 (" in detail, detail
    for wrong in ("at the same dose", "mg assumed", "None"):  # neither dose is assumed, and they may differ
        assert wrong not in detail, (wrong, detail)


def test_the_same_dose_in_another_unit_as_sent_is_alike(dev_server: Served) -> None:
    # Was no card: venetoclax "4 {tab}" of a product of no known strength, drafted beside its active order alike, was
    # never compared (a dose as sent is no dose in mg), though signed both give it twice.
    orders = []
    for ident, status in (("v1", "draft"), ("v0", "active")):
        order = examples.order(ident, "venetoclax", status=status)
        order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {
            "value": 4, "unit": "tab", "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
            "code": "TAB"}}]
        orders.append(order)
    [card] = answer(dev_server, orders[:1], orders[1:])
    # Each said as sent: it said "no dose stated: 400 mg assumed" of a dose stated in tablets.
    said = ("Possible duplicate orders: MedicationRequest/v1 (venetoclax, 4 tab, not a dose in mg) and "
            "MedicationRequest/v0 (venetoclax, 4 tab, not a dose in mg) are in effect today")
    assert said in card["detail"], card["detail"]


def test_a_renewal_dated_after_the_listed_order_ends_is_no_duplicate(dev_server: Served) -> None:
    # Was "possible duplicate orders" for an ordinary renewal: the listed order is not given on the draft's days.
    current = ending(examples.order("v0", "venetoclax", 400, status="active"), day(0), "boundsPeriod")
    for card in answer(dev_server, [examples.order("v1", "venetoclax", 400, start=day(1))], [current]):
        assert card["summary"] != VEN_DUPLICATE, card["summary"]
        assert "Possible duplicate orders" not in card["detail"], card["detail"]


def test_a_later_dispensing_window_does_not_hide_the_dosage_s_end(dev_server: Served) -> None:
    # Review revS (should-fix 3): only the latest end was kept, the window's, which does not end an order: the renewal
    # dated after the dosage's end was "possible duplicate orders".
    current = ending(examples.order("v0", "venetoclax", 400, status="active"), day(0), "boundsPeriod")
    current["dispenseRequest"] = {"validityPeriod": {"start": day(-27), "end": day(10)}}
    for card in answer(dev_server, [examples.order("v1", "venetoclax", 400, start=day(1))], [current]):
        assert "Possible duplicate orders" not in card["detail"], card["detail"]


@pytest.mark.parametrize("start", [day(1), None], ids=["dated-tomorrow", "undated"])
@pytest.mark.parametrize("element", ["boundsPeriod", "validityPeriod"])
def test_a_listed_order_still_active_after_its_end_may_still_be_taken(dev_server: Served, element: str,
                                                                      start: str | None) -> None:
    # Reviews revR (should-fix 2, 3) and revS (should-fix 4): `validityPeriod` is the window for dispensing, not the
    # end of the order (a supply dispensed on its last day is taken for weeks after), and an order still active after
    # its dosage ended (yesterday) is stale, and may still be dispensed: each was read as ended, so no duplicate.
    current = ending(examples.order("v0", "venetoclax", 400, status="active"), day(-1), element)
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400, start=start)], [current])
    assert card["summary"] == VEN_DUPLICATE, card["summary"]


@pytest.mark.parametrize("element", ["boundsPeriod", "validityPeriod"])
def test_an_undated_draft_beside_a_listed_order_ending_today_is_still_a_possible_duplicate(dev_server: Served,
                                                                                           element: str) -> None:
    # Guard: the listed order is still given today, the day the draft starts.
    current = ending(examples.order("v0", "venetoclax", 400, status="active"), day(0), element)
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)], [current])
    assert card["summary"] == VEN_DUPLICATE, card["summary"]


@pytest.mark.parametrize(("ends", "starts"), [(1, 1), (0, 0), (5, 1)], ids=["both-tomorrow", "both-today", "overlap"])
def test_a_draft_within_the_listed_order_s_period_is_still_a_possible_duplicate(dev_server: Served, ends: int,
                                                                                  starts: int) -> None:
    # Guard: where the periods overlap both may be given on one day.
    current = ending(examples.order("v0", "venetoclax", 400, status="active"), day(ends), "boundsPeriod")
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400, start=day(starts))], [current])
    assert card["summary"] == VEN_DUPLICATE, card["summary"]


@pytest.mark.parametrize("name", ["venetoclax", "Aza/Ven"])
def test_a_draft_beside_a_held_order_is_no_duplicate(dev_server: Served, name: str) -> None:
    # Was "possible duplicate orders": a held order is not given today, and a draft beside it is most likely its
    # resumption. It is still taken (no start, no ramp-up).
    held = examples.order("v0", "venetoclax", 400, status="on-hold")
    for card in answer(dev_server, [examples.order("v1", name, 400)], [held]):
        assert "Possible duplicate orders" not in card["detail"], card["detail"]
        assert "ramp-up" not in card["summary"], card["summary"]


def test_a_draft_beside_a_held_and_an_active_order_is_a_possible_duplicate_of_the_active_one(
        dev_server: Served) -> None:
    # Guard: the active order is given today.
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)],
                    [examples.order("v0", "venetoclax", 400, status="on-hold"),
                     examples.order("v2", "venetoclax", 400, status="active")])
    assert card["summary"] == VEN_DUPLICATE, card["summary"]
    assert ("Possible duplicate orders: MedicationRequest/v1 (venetoclax, 400 mg) and MedicationRequest/v2 "
            "(venetoclax, 400 mg) are in effect today") in card["detail"], card["detail"]


@pytest.mark.parametrize(("name", "dose", "times"), [
    (GEMTUZUMAB, 4.5, ("MORN", "")), (GEMTUZUMAB, 4.5, ("MORN", "EVE")), (PER_M2_NAME, None, ("MORN", "")),
    ("venetoclax", 400, ("MORN", "")), ("venetoclax", 400, ("MORN", "EVE")),
], ids=["go-morning-beside-untimed", "go-morning-beside-evening", "go-per-m2-morning", "ven-morning-beside-untimed",
        "ven-morning-beside-evening"])
def test_orders_of_an_agent_given_once_a_day_at_different_times_are_possible_duplicates(
        dev_server: Served, name: str, dose: float | None, times: tuple[str, str]) -> None:
    # Review revS (must-fix 1): times of the day split them, so a draft at MORN beside the active order at another
    # time (or none) had no card: two doses a day of an agent its label gives once (gemtuzumab ozogamicin on days 1,
    # 4 and 7; venetoclax daily).
    draft = examples.order("d1", name, dose)
    current = examples.order("c0", GEMTUZUMAB if name == PER_M2_NAME else name, 4.5 if name == PER_M2_NAME else dose,
                             status="active")
    for order, time in ((draft, times[0]), (current, times[1])):
        if time:
            order["dosageInstruction"][0]["timing"]["repeat"]["when"] = [time]
    summaries = [card["summary"] for card in answer(dev_server, [draft], [current])]
    assert any("possible duplicate orders" in summary for summary in summaries), summaries


def test_orders_of_an_agent_given_twice_a_day_at_its_two_times_are_no_duplicates(dev_server: Served) -> None:
    # Guard: midostaurin 50 mg in the morning and 50 mg in the evening are its labelled twice a day.
    orders = []
    for ident, status, time in (("m1", "draft", "MORN"), ("m0", "active", "EVE")):
        order = examples.order(ident, "midostaurin", 50, status=status)
        order["dosageInstruction"][0]["timing"]["repeat"].update(frequency=1, when=[time])
        orders.append(order)
    for card in answer(dev_server, orders[:1], orders[1:]):
        assert "Possible duplicate orders" not in card["detail"], card["detail"]


@pytest.mark.parametrize("dosage", [{"text": "3 mg/m2 IV days 1, 4, 7"},
                                    {"text": "IV", "doseAndRate": [{"doseRange": {
                                        "low": {"value": 3, "unit": "mg/m2"}, "high": {"value": 4.5, "unit": "mg"}}}]}],
                         ids=["text", "range"])
def test_a_gemtuzumab_order_whose_dose_is_not_read_is_compared_too(dev_server: Served, dosage: dict[str, Any]) -> None:
    # Review revS (must-fix 2): a dose in its text only, or a range, was never compared: no card beside 4.5 mg.
    draft = examples.order("g1", GEMTUZUMAB)
    draft["dosageInstruction"][0].update(dosage)
    [card] = answer(dev_server, [draft], [examples.order("g0", GEMTUZUMAB, 4.5, status="active")])
    assert card["summary"] == GO_DUPLICATE, card["summary"]
