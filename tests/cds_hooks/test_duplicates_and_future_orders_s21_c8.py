"""A multi-drug draft with a dose field beside the agent's course, and a listed order not started yet, via a server.

Helper C8 of s21. "Aza/Ven" with 400 mg in its dose field beside the active venetoclax 400 mg order gives 800 mg a day
once both are signed (USPI 2.2: 400 mg with azacitidine, 600 mg with low-dose cytarabine); only one stating its dose in
its name or none at all was compared for duplicates (91a28ef). An active venetoclax order whose period starts after
today is not yet taken: a new venetoclax draft beside it is still a start, whose ramp-up the label gives (USPI 2.2).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, cards
from tests.cds_hooks.test_multi_drug_doses_s19_fixc import day
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer, update_doses

DUPLICATE = "Venetoclax: possible duplicate orders"
START = "Venetoclax: start with the ramp-up (100, 200, 400 mg)"


@pytest.mark.parametrize(("name", "mg"), [("Aza/Ven", 400), ("Ven/LDAC", 600), ("Ven/Aza", 400)],
                         ids=["Aza/Ven-400", "Ven/LDAC-600", "Ven/Aza-400"])
def test_a_multi_drug_draft_with_a_dose_field_beside_the_course_is_a_possible_duplicate(
        dev_server: Served, name: str, mg: float) -> None:
    # Was no card at all: the dose field of an order naming several drugs kept it out of the comparison.
    [card] = answer(dev_server, [examples.order("m1", name, mg)], [examples.order("a1", "venetoclax", mg,
                                                                                    status="active")])
    assert (card["summary"], card["indicator"]) == (DUPLICATE, "warning"), card["summary"]
    assert actions(card) == []  # not a start, and the dose stands: nothing to update
    assert (f"Possible duplicate orders: MedicationRequest/m1 ({name}, {mg:g} mg) and MedicationRequest/a1 "
            f"(venetoclax, {mg:g} mg) are in effect today at the same dose") in card["detail"], card["detail"]


def test_a_multi_drug_draft_with_a_dose_field_below_the_course_is_no_duplicate(dev_server: Served) -> None:
    # Guard: at another dose the orders are not alike (the dose change is the card's, not a duplicate's).
    for card in answer(dev_server, [examples.order("m1", "Aza/Ven", 200)],
                       [examples.order("a1", "venetoclax", 400, status="active")]):
        assert "Possible duplicate orders" not in card["detail"], card["detail"]


@pytest.mark.parametrize(("listed", "draft_start"), [
    (examples.order("a1", "venetoclax", 400, status="active", start=day(7)), None),
    (examples.order("a1", "venetoclax", 100, status="active", start=day(3)), None),
    (examples.order("a1", "venetoclax", 400, status="active", start=day(7)), day(7)),
], ids=["400mg-in-7-days", "100mg-in-3-days", "both-in-7-days"])
def test_a_listed_order_not_started_yet_leaves_the_draft_a_start_with_its_ramp_up(
        dev_server: Served, listed: dict[str, Any], draft_start: str | None) -> None:
    # Was no card: the listed order counted as taken, so venetoclax 400 mg from its first day had no ramp-up (USPI 2.2).
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400, start=draft_start)], [listed])
    assert (card["summary"], card["indicator"]) == (START, "warning"), card["summary"]
    assert actions(card) == [("update", "MedicationRequest/v1")]
    assert update_doses(card) == [100, 200, 400, 400]
    start = listed["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"]
    assert (f"Listed but not given yet, so not taken as a course under way: MedicationRequest/a1 (active, from "
            f"{start}). If one is this same order, the other is a duplicate.") in card["detail"], card["detail"]


def test_a_listed_order_started_today_is_taken(dev_server: Served) -> None:
    # Guard: from today it is the course under way; the draft beside it is a possible duplicate, not a start.
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)],
                    [examples.order("a1", "venetoclax", 400, status="active", start=day(0))])
    assert card["summary"] == DUPLICATE, card["summary"]
    assert actions(card) == []


def test_a_listed_order_not_started_yet_re_signed_is_a_start_with_its_ramp_up(dev_server: Served) -> None:
    # Was no card: re-signed under its id (order-sign 1.1), it was read as the course under way, revised.
    [card] = answer(dev_server, [examples.order("a1", "venetoclax", 400, start=day(7))],
                    [examples.order("a1", "venetoclax", 400, status="active", start=day(7))])
    assert (card["summary"], card["indicator"]) == (START, "warning"), card["summary"]
    assert actions(card) == [("update", "MedicationRequest/a1")]
    assert update_doses(card) == [100, 200, 400, 400]


def test_a_listed_order_to_be_filled_from_a_later_day_is_not_yet_given(dev_server: Served) -> None:
    # Its dispensing window opens in 6 days (no dosage period): was no card, counted as taken.
    listed = examples.order("a1", "venetoclax", 400, status="active")
    listed["dispenseRequest"] = {"validityPeriod": {"start": day(6), "end": day(36)}}
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)], [listed])
    assert (card["summary"], card["indicator"]) == (START, "warning"), card["summary"]
    assert update_doses(card) == [100, 200, 400, 400]
    assert f"MedicationRequest/a1 (active, from {day(6)})" in card["detail"], card["detail"]


def test_quizartinib_beside_a_listed_order_not_started_yet_is_not_started_above_450_ms(dev_server: Served) -> None:
    # Was "monitor" (warning): read as a course under way, not a start, its QTcF limit for starting unchecked (Vanflyta
    # boxed warning: do not initiate quizartinib if QTcF is greater than 450 ms).
    body = examples.call("order-sign", [examples.order("q1", "quizartinib", 35.4)],
                         [examples.order("a1", "quizartinib", 35.4, status="active", start=day(5))], qtc_ms=460)
    [card] = cards(dev_server, SIGN, body)
    assert (card["summary"], card["indicator"]) == ("Quizartinib: do not start (QTc 460 ms on 2026-01-02)",
                                                    "critical"), card["summary"]
