"""A listed order "not given yet" is read from the EHR's start without a time-zone trap, via a server.

Fixer C9 of s21 (review revC8 of d161175). A start was compared by its date with the earliest date on Earth (UTC-12):
east of UTC-12 an order dated the site's own today read as future for hours every day, so a course under way,
re-signed under its id, was rewritten into a ramp-up, the card saying the list had no venetoclax. Now an instant
(a time with an offset) is compared with now, and a date alone is to come only after the latest date on Earth
(UTC+14); one that cannot be read is begun. Not given yet, the listed order leaves a venetoclax draft a start, whose
ramp-up the label gives (USPI 2.2: 20 mg, 50 mg, 100 mg ... in AML 100, 200, 400 mg over days 1-3).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, cards
from tests.cds_hooks.test_multi_drug_doses_s19_fixc import day
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer, update_doses

START = "Venetoclax: start with the ramp-up (100, 200, 400 mg)"


def at_plus_14(hours_from_now: float) -> str:
    """An instant `hours_from_now` away, as an EHR at UTC+14 writes it: its date is always after UTC-12's today."""
    zone = datetime.timezone(datetime.timedelta(hours=14))
    instant = datetime.datetime.now(zone) + datetime.timedelta(hours=hours_from_now)
    return instant.replace(microsecond=0).isoformat()


def test_a_course_under_way_re_signed_with_a_start_past_as_an_instant_is_no_start(dev_server: Served) -> None:
    # Was an update of a1 to a ramp-up 10/20/50/70 mg and "the list has no order or statement of venetoclax": its
    # start, an hour ago at UTC+14, read by its date as after UTC-12's today. Right: 70 mg with posaconazole, the
    # course's dose changed, no ramp-up (USPI 2.4).
    start = at_plus_14(-1)
    [card] = answer(dev_server, [examples.order("a1", "venetoclax", 70, start=start)],
                    [examples.order("a1", "venetoclax", 400, status="active", start=start),
                     examples.order("p1", "posaconazole", 300, status="active")])
    assert "ramp-up" not in card["summary"], card["summary"]
    assert "Read as a start" not in card["detail"], card["detail"]
    assert "70 mg" in card["summary"], card["summary"]
    assert actions(card) == []


def test_a_listed_order_from_an_instant_to_come_is_not_yet_given(dev_server: Served) -> None:
    # Guard: an instant two hours ahead is not begun: the draft beside it is a start with its ramp-up.
    start = at_plus_14(2)
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)],
                    [examples.order("a1", "venetoclax", 400, status="active", start=start)])
    assert card["summary"] == START, card["summary"]
    assert f"MedicationRequest/a1 (active, from {start[:10]})" in card["detail"], card["detail"]


@pytest.mark.parametrize("start", [day(0), day(1), "2026-13-45"], ids=["today", "tomorrow", "malformed"])
def test_a_listed_order_begun_somewhere_on_earth_or_unreadable_is_taken(dev_server: Served, start: str) -> None:
    # Tomorrow (UTC-12) is today or before at UTC+14; "2026-13-45" read as a date after today made the draft a start,
    # a ramp-up update (before d161175 and now: begun, as the order's status says).
    for card in answer(dev_server, [examples.order("v1", "venetoclax", 400)],
                       [examples.order("a1", "venetoclax", 400, status="active", start=start)]):
        assert card["summary"] != START, card["summary"]
        assert "Read as a start" not in card["detail"], card["detail"]
        assert ("update", "MedicationRequest/v1") not in actions(card)


def test_a_listed_order_three_days_ahead_leaves_the_draft_a_start(dev_server: Served) -> None:
    # Guard: after the latest date on Earth, surely to come, as d161175 made it.
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)],
                    [examples.order("a1", "venetoclax", 400, status="active", start=day(3))])
    assert card["summary"] == START, card["summary"]
    assert update_doses(card) == [100, 200, 400, 400]


def test_a_statement_taken_from_a_day_to_come_is_not_yet_given(dev_server: Served) -> None:
    # Was no card: a statement's effectiveDateTime was no start (only effectivePeriod.start), so "taken" 5 days
    # ahead counted as a course under way, venetoclax 400 mg from its first day without its ramp-up (USPI 2.2).
    statement: dict[str, Any] = {"resourceType": "MedicationStatement", "id": "st-ven", "status": "active",
                                 "medicationCodeableConcept": {"text": "venetoclax"},
                                 "subject": {"reference": f"Patient/{examples.PATIENT}"},
                                 "effectiveDateTime": day(5)}
    body = examples.call("order-sign", [examples.order("v1", "venetoclax", 400)])
    body["prefetch"]["medicationStatements"] = examples.bundle(statement, kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == START, card["summary"]
    assert update_doses(card) == [100, 200, 400, 400]
    assert f"MedicationStatement/st-ven (active, from {day(5)})" in card["detail"], card["detail"]


def test_a_listed_order_not_started_yet_re_signed_is_named_as_not_given_yet(dev_server: Served) -> None:
    # Was "the patient's current medication list has no order or statement of venetoclax", the listed copy unnamed.
    [card] = answer(dev_server, [examples.order("a1", "venetoclax", 400, start=day(7))],
                    [examples.order("a1", "venetoclax", 400, status="active", start=day(7))])
    assert card["summary"] == START, card["summary"]
    assert ("Read as a start: the patient's current medication list has no order or statement of venetoclax given "
            "yet") in card["detail"], card["detail"]
    assert (f"Listed but not given yet, so not taken as a course under way: MedicationRequest/a1 (active, from "
            f"{day(7)})") in card["detail"], card["detail"]


@pytest.mark.parametrize("time", ["T24:00:00Z", "T25:00:00+02:00"])
def test_a_listed_order_days_ahead_with_a_time_that_cannot_be_read_is_not_yet_given(dev_server: Served,
                                                                                    time: str) -> None:
    # Its date is readable and surely to come: was counted as begun (only "possible duplicate orders"), the ramp-up
    # of the patient's first venetoclax unsaid (review revC9).
    start = day(5) + time
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)],
                    [examples.order("a1", "venetoclax", 400, status="active", start=start)])
    assert card["summary"] == START, card["summary"]
    assert update_doses(card) == [100, 200, 400, 400]
