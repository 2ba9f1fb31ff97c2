"""`Timing.repeat.when` AC, PC or C with no count of doses, through a real server (review C of s19).

FHIR reads "AC" as before a meal, but a prescription's "ac" is most often before each meal: gilteritinib 120 mg "AC"
may be 360 mg a day. Read as once a day, such an order was the label's dose with no card; with no `frequency`,
`frequencyMax` or `timeOfDay` to count its doses it is now a frequency to confirm, unless the dosage's text says how
often. A count beside it, and the one-meal codes (ACM: before breakfast), stay as read.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards

CONFIRM = "Gilteritinib: give 120 mg; frequency not read: confirm it"


def gilteritinib(repeat: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    draft = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    dosage = draft["dosageInstruction"][0]
    dosage["timing"] = {"repeat": repeat}
    if text is None:
        del dosage["text"]
    else:
        dosage["text"] = text
    return examples.call("order-sign", [draft], qtc_ms=430)


@pytest.mark.parametrize("meal", ["AC", "PC", "C"])
def test_an_agent_given_at_meals_with_no_count_is_a_frequency_to_confirm(dev_server: Served, meal: str) -> None:
    # Was no card: read as once a day.
    [card] = cards(dev_server, SIGN, gilteritinib({"when": [meal]}))
    assert card["summary"] == CONFIRM
    assert "Timing.repeat not read (when)" in card["detail"]


def test_meals_beside_a_period_alone_are_a_frequency_to_confirm(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, gilteritinib({"when": ["AC"], "period": 1, "periodUnit": "d"}))
    assert card["summary"] == CONFIRM


@pytest.mark.parametrize("repeat", [
    {"when": ["AC"], "frequency": 1, "period": 1, "periodUnit": "d"},
    {"when": ["C"], "timeOfDay": ["08:00:00"]},
    {"when": ["ACM"]},
    {"when": ["CM"]},
], ids=["frequency", "timeOfDay", "ACM", "CM"])
def test_meals_with_a_count_or_one_meal_named_stay_once_a_day(dev_server: Served, repeat: dict[str, Any]) -> None:
    assert cards(dev_server, SIGN, gilteritinib(repeat)) == []


def test_a_text_saying_how_often_is_read_beside_meals(dev_server: Served) -> None:
    assert cards(dev_server, SIGN, gilteritinib({"when": ["C"]}, text="once daily with a meal")) == []


def test_a_co_medication_at_meals_changes_no_card(dev_server: Served) -> None:
    posaconazole = examples.order("posa-1", "posaconazole", 300, start=check_day())
    del posaconazole["dosageInstruction"][0]["text"]
    posaconazole["dosageInstruction"][0]["timing"] = {"repeat": {"when": ["C"]}}
    venetoclax = examples.order("ven-1", "venetoclax", 400, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [posaconazole], [venetoclax]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
