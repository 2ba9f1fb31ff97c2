"""How often an agent is given, from a `Timing.repeat` as EHRs send it (s17), through a real `dosecheck serve`.

A repeat whose period was in a FHIR unit of time other than h, d or wk (`min`, `s`, `mo`), or written as a word
(`day`), or whose count came as a numeric string or a whole decimal (`"2"`, `2.0`), was no frequency the reader knew:
venetoclax 400 mg twice a day was checked as once a day with no word, and beside posaconazole its update gave 70 mg
twice a day (140 mg a day). A count or unit that is none at all (`"two"`, 0, `fortnight`) was read as once a day,
then refused (400): it is a frequency not read.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_frequency import timed, twice_daily_venetoclax_given_once_daily
from tests.cds_hooks.test_hooks import SIGN, cards
from tests.cds_hooks.test_real_clients import posaconazole


@pytest.mark.parametrize("repeat", [
    {"frequency": 2, "period": 1, "periodUnit": "day"},
    {"frequency": 1, "period": 720, "periodUnit": "min"},
    {"frequency": 1, "period": 43200, "periodUnit": "s"},
    {"frequency": "2", "period": 1, "periodUnit": "d"},
    {"frequency": 2.0, "period": 1, "periodUnit": "d"},
    {"frequency": 1, "period": "12", "periodUnit": "h"},
], ids=["day", "720-min", "43200-s", "string-count", "decimal-count", "string-period"])
def test_twice_a_day_in_any_unit_of_time_is_twice_a_day(dev_server: Served, repeat: dict[str, Any]) -> None:
    order = timed("ven-1", "venetoclax", 400, {"repeat": repeat})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    twice_daily_venetoclax_given_once_daily(card)


def test_a_dstu2_period_unit_is_read(dev_server: Served) -> None:
    # DSTU2 names it `periodUnits`: every 12 hours was read as every 12 days ("frequency not read").
    order = timed("ven-1", "venetoclax", 400, {"repeat": {"frequency": 1, "period": 12, "periodUnits": "h"}})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg once daily, not twice daily with posaconazole"


def test_once_a_day_in_minutes_is_once_a_day(dev_server: Served) -> None:
    order = timed("ven-1", "venetoclax", 400, {"repeat": {"frequency": 1, "period": 1440, "periodUnit": "min"}})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_once_a_month_is_no_daily_count(dev_server: Served) -> None:
    # "1 per 1 mo" was no frequency the reader knew: checked as daily with no word.
    order = timed("ven-1", "venetoclax", 400, {"repeat": {"frequency": 1, "period": 1, "periodUnit": "mo"}})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole; frequency not read: confirm it"
    assert "'1 per 30.4375 d' gives venetoclax on a schedule that is not a number of doses a day" in card["detail"]


UNREADABLE = [
    ({"frequency": "two", "period": 1, "periodUnit": "d"}, "frequency"),
    ({"frequency": 0, "period": 1, "periodUnit": "d"}, "frequency"),
    ({"frequency": True, "period": 1, "periodUnit": "d"}, "frequency"),
    ({"frequency": 2, "period": 0, "periodUnit": "d"}, "period"),
    ({"period": 0, "when": ["MORN"]}, "period"),
    ({"frequency": 2, "period": 1, "periodUnit": "fortnight"}, "periodUnit"),
]
UNREADABLE_IDS = ["word", "zero", "boolean", "zero-period", "zero-period-when", "unknown-unit"]


@pytest.mark.parametrize(("repeat", "element"), UNREADABLE, ids=UNREADABLE_IDS)
def test_an_agents_timing_that_cannot_be_read_is_a_frequency_not_read(dev_server: Served, repeat: dict[str, Any],
                                                                      element: str) -> None:
    # Read as absent, each was venetoclax once a day with no word; then each was a 400, losing every card.
    order = timed("ven-1", "venetoclax", 400, {"repeat": repeat})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole; frequency not read: confirm it"
    assert f"'Timing.repeat not read ({element}): as directed' gives venetoclax on a schedule" in card["detail"]


@pytest.mark.parametrize(("repeat", "element"), UNREADABLE, ids=UNREADABLE_IDS)
def test_a_listed_agents_timing_that_cannot_be_read_costs_no_card(dev_server: Served, repeat: dict[str, Any],
                                                                  element: str) -> None:
    # The clinician signing posaconazole cannot mend the venetoclax order on the list: a 400 lost its dose card.
    listed = timed("ven-0", "venetoclax", 400, {"repeat": repeat}) | {"status": "active"}
    body = examples.call("order-sign", [posaconazole() | {"status": "draft"}], [listed])
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole; frequency not read: confirm it"


def test_a_repeat_not_read_beside_a_text_saying_how_often_is_that_text(dev_server: Served) -> None:
    # Before f264b53 the text was read ("twice daily"); then a 400.
    order = timed("ven-1", "venetoclax", 400, {"repeat": {"frequency": "BID"}}, text="twice daily")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg once daily, not twice daily with posaconazole"


def test_a_second_dosage_instruction_not_read_is_no_count_a_day(dev_server: Served) -> None:
    # A 400, then; counted as once a day it would be 400 mg twice a day with no word.
    order = timed("ven-1", "venetoclax", 400, {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d",
                                                          "when": ["MORN"]}})
    second = json.loads(json.dumps(order["dosageInstruction"][0]))
    second["timing"]["repeat"] = {"frequency": 1, "period": 1, "periodUnit": "fortnight"}
    order["dosageInstruction"].append(second)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole; frequency not read: confirm it"
    assert "'Timing.repeat not read (periodUnit): as directed' gives venetoclax on a schedule" in card["detail"]


def test_a_co_medications_timing_that_cannot_be_read_refuses_nothing(dev_server: Served) -> None:
    # How often posaconazole is given is not checked: its unreadable repeat must not cost venetoclax its card.
    listed = posaconazole()
    listed["dosageInstruction"][0]["timing"] = {"repeat": {"frequency": "q12h"}}
    order = timed("ven-1", "venetoclax", 400, {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [listed]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
