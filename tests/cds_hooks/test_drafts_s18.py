"""A draft of an agent as needed (PRN) beside its scheduled draft (s18), through a real `dosecheck serve`.

Gilteritinib 120 mg once daily and 40 mg PRN, both drafts, had no card: the PRN draft is rightly no part of the daily
dose, but it was not named either, though signed it gives up to 160 mg a day (the label: 120 mg once daily, USPI
2.2; an agent is never given as needed). How often the PRN doses add to the scheduled one is not read, and said.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards


def as_needed(order: dict[str, Any]) -> dict[str, Any]:
    dosage = order["dosageInstruction"][0]
    del dosage["text"]
    dosage["asNeededBoolean"] = True
    return order


def test_an_as_needed_draft_beside_the_scheduled_dose_is_named_and_the_frequency_confirmed(dev_server: Served) -> None:
    drafts = [examples.order("gil-a", "gilteritinib", 120, start=check_day()),
              as_needed(examples.order("gil-b", "gilteritinib", 40, start=check_day()))]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, qtc_ms=430))
    assert (card["summary"], card["indicator"]) == ("Gilteritinib: give 120 mg; frequency not read: confirm it",
                                                    "warning")
    assert "Draft orders of gilteritinib as needed (PRN) beside it (MedicationRequest/gil-b 40 mg): how often they " \
           "add to it is not read." in card["detail"]


def test_an_as_needed_draft_of_a_co_medication_beside_its_scheduled_one_says_nothing(dev_server: Served) -> None:
    drafts = [examples.order("gil-a", "gilteritinib", 120, start=check_day()),
              examples.order("apap-a", "acetaminophen", 500),
              as_needed(examples.order("apap-b", "acetaminophen", 500))]
    assert cards(dev_server, SIGN, examples.call("order-sign", drafts, qtc_ms=430)) == []


@pytest.mark.parametrize("offset", ["+01:00", "-03:00"])
def test_a_draft_of_the_ehrs_yesterday_is_no_step_where_the_drafts_say_the_ehrs_day(dev_server: Served,
                                                                                  offset: str) -> None:
    # Review 3 of s18: the day of the check is the earliest date on Earth (UTC-12), which each morning in Europe is
    # the EHR's yesterday: a 100 mg draft of that day beside 400 mg today was the ramp-up's first step, the course and
    # its update dated from yesterday (200 mg the first dose given). Written today at a local time, the drafts say
    # the EHR's day.
    today = check_day(-1)
    drafts = [examples.order("ven-a", "venetoclax", 100, start=check_day()),
              examples.order("ven-b", "venetoclax", 400, start=today)]
    for draft in drafts:
        draft["authoredOn"] = f"{today}T09:30:00{offset}"
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, qtc_ms=430))
    assert card["summary"] == VENETOCLAX_START
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    assert update["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] == today


@pytest.mark.parametrize("authored", [None, "T09:30:00Z"])
def test_without_the_ehrs_day_a_draft_of_the_day_of_the_check_is_still_a_step(dev_server: Served,
                                                                              authored: str | None) -> None:
    # "Z" says nothing of the EHR's day: 100 mg today and 400 mg tomorrow stay one course, no card.
    drafts = [examples.order("ven-a", "venetoclax", 100, start=check_day()),
              examples.order("ven-b", "venetoclax", 200, start=check_day(-1)),
              examples.order("ven-c", "venetoclax", 400, start=check_day(-2))]
    if authored:
        for draft in drafts:
            draft["authoredOn"] = f"{check_day(-1)}{authored}"
    assert cards(dev_server, SIGN, examples.call("order-sign", drafts, qtc_ms=430)) == []


@pytest.mark.parametrize("days_ago", [1, 6])
def test_a_lower_draft_dated_before_today_does_not_date_the_ramp_up_in_the_past(dev_server: Served,
                                                                              days_ago: int) -> None:
    # Venetoclax 100 mg drafted from 6 days ago (no end) beside 400 mg from today: chained as the step before it, the
    # course began 6 days ago, its ramp-up, labs and update in the past:
    # 400 mg from the first dose (USPI 2.2, the AML ramp-up: 100, 200, 400 mg on days 1-3). A draft was never given.
    drafts = [examples.order("ven-a", "venetoclax", 100, start=check_day(days_ago)),
              examples.order("ven-b", "venetoclax", 400, start=check_day())]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, qtc_ms=430))
    assert card["summary"] == VENETOCLAX_START
    assert f"Ramp-up: day 1 ({check_day()}): 100 mg; day 2 ({check_day(-1)}): 200 mg; day 3 ({check_day(-2)}): 400 mg" \
        in card["detail"]
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    assert update["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] == check_day()
