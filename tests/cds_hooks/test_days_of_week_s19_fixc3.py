"""Gilteritinib given on some days of the week, twice a day, through a real server.

Fixer C3 of s19 (review 3's should-fix 1). `Timing.repeat.dayOfWeek` made the count a week the frequency ("2 per 1
wk"), so the MAJOR "reduce to 120 mg once daily, not twice daily" (USPI 2.2) became "frequency not read: confirm it",
the 240 mg given on each of those days unsaid.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_beside_agent_s19_fixc3 import answer
from tests.cds_hooks.test_multi_drug_drafts_s19 import updated_orders


@pytest.mark.parametrize("repeat", [
    {"frequency": 2, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon"]},
    {"frequency": 1, "period": 12, "periodUnit": "h", "dayOfWeek": ["mon", "tue"]},
], ids=["twice-a-day-on-mondays", "every-12-h-on-mondays-and-tuesdays"])
def test_an_agent_given_on_some_days_more_often_a_day_than_its_label_keeps_its_labelled_frequency_card(
        dev_server: Served, repeat: dict[str, Any]) -> None:
    # Review 3's should-fix 1. Was "frequency not read: confirm it" ("2 per 1 wk"): the MAJOR below was lost, and with
    # it the 240 mg given on each of those days (USPI 2.2: 120 mg once daily).
    draft = examples.order("gil-1", "gilteritinib", 120)
    draft["dosageInstruction"][0].update(text="as directed", timing={"repeat": repeat})
    [card] = answer(dev_server, [draft], [])
    assert card["summary"].startswith("Gilteritinib: reduce to 120 mg once daily, not twice daily"), card["summary"]
    assert "Given on some days of the week only (dosageInstruction[0].timing.repeat.dayOfWeek): checked at its 2 " \
           "doses a day on those days." in card["detail"]


def test_an_agent_given_on_some_days_as_often_a_day_as_its_label_is_a_frequency_to_confirm(dev_server: Served) -> None:
    # Guard: midostaurin 50 mg twice a day (its label's count) on Mondays only stays a frequency to confirm.
    draft = examples.order("mid-1", "midostaurin", 50)
    draft["dosageInstruction"][0].update(text="as directed", timing={"repeat": {
        "frequency": 2, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon"]}})
    [card] = answer(dev_server, [draft], [])
    assert "frequency not read: confirm it" in card["summary"], card["summary"]


def test_the_update_of_an_agent_given_on_some_days_keeps_its_days(dev_server: Served) -> None:
    # Review 4, should-fix 3 (fixer C4): the update was {frequency 1, period 1 d}, every day, where the order gave
    # gilteritinib on Mondays only. The card changes the count a day (USPI 2.2: once daily), not the days.
    draft = examples.order("gil-1", "gilteritinib", 120)
    draft["dosageInstruction"][0].update(text="as directed", timing={"repeat": {
        "frequency": 2, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon"]}})
    [card] = answer(dev_server, [draft], [])
    [order] = updated_orders(card)
    assert [dosage["timing"]["repeat"] for dosage in order["dosageInstruction"]] == [
        {"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon"]}]
