"""Orders timed by `Timing.event` alone (the instants of each dose, no repeat), as EHRs send them (s18), through a
real `dosecheck serve`.

Events alone were read as no frequency, so once a day: gilteritinib 120 mg at 08:00 and at 20:00 of one day (240 mg
that day) was checked as 120 mg once daily, no card (the label: 120 mg once daily, USPI 2.2).
"""

from __future__ import annotations

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


def gilteritinib_at(*events: str, text: str = "") -> dict[str, object]:
    order = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    dosage = order["dosageInstruction"][0]
    del dosage["text"]
    dosage["timing"] = {"event": list(events)}
    if text:
        dosage["text"] = text
    return examples.call("order-sign", [order], qtc_ms=430)


def test_two_events_on_one_day_are_twice_a_day(dev_server: Served) -> None:
    # Was no card: 120 mg once a day.
    day = check_day()
    [card] = cards(dev_server, SIGN, gilteritinib_at(f"{day}T08:00:00Z", f"{day}T22:00:00+02:00"))
    assert (card["summary"], card["indicator"]) == (
        "Gilteritinib: reduce to 120 mg once daily, not twice daily (labelled dose)", "warning")
    assert card["detail"].startswith("**gilteritinib**: ordered 120 mg twice daily (240 mg a day)")


def at(days_before: int, time: str) -> str:
    return f"{check_day(days_before)}T{time}"


@pytest.mark.parametrize(("events", "per_day"), [
    ((at(0, "13:00:00Z"), at(-1, "01:00:00Z")), "twice"),  # 08:00 and 20:00 in New York, as a server in UTC sends it
    (tuple(e for d in range(3) for e in (at(-d, "13:00:00Z"), at(-d - 1, "01:00:00Z"))), "twice"),  # 3 days, UTC
    ((at(0, "22:00:00Z"), at(-1, "06:00:00Z"), at(-1, "14:00:00Z"), at(-1, "22:00:00Z")), "3 times"),  # q8h, evening
    ((at(0, "20:00:00-05:00"), at(-1, "08:00:00-04:00"), at(-1, "20:00:00-04:00")), "twice"),  # clocks changed (11 h)
], ids=["utc-one-day", "utc-three-days", "every-8-hours-from-the-evening", "clock-change"])
def test_equally_spaced_instants_are_n_a_day_whatever_their_calendar_dates(dev_server: Served, events: tuple[str, ...],
                                                                          per_day: str) -> None:
    # Read by the date as written, 13:00Z then 01:00Z the next day was 1 then 1: once a day, no card (240 mg a day).
    [card] = cards(dev_server, SIGN, gilteritinib_at(*events))
    assert card["summary"] == f"Gilteritinib: reduce to 120 mg once daily, not {per_day} daily (labelled dose)"


@pytest.mark.parametrize(("events", "per_day"), [
    ((at(0, "08:00:00Z"), at(0, "16:00:00Z")), "twice"),  # one day's doses, 8 hours apart: was "3 times"
    ((at(0, "08:00:00Z"), at(0, "09:00:00Z"), at(0, "10:00:00Z")), "3 times"),  # hourly: was "24 times"
    ((at(0, "08:00:00Z"), at(0, "18:00:00Z"), at(-1, "08:00:00Z"), at(-1, "18:00:00Z")), "twice"),  # breakfast, dinner
], ids=["eight-hours-apart", "hourly", "unequal-each-day"])
def test_the_doses_of_a_day_are_counted_however_they_are_spaced(dev_server: Served, events: tuple[str, ...],
                                                               per_day: str) -> None:
    # Review 3 of s18: 24 hours over the gap between doses made two doses 8 hours apart three a day, and unequal
    # doses each day a frequency not read.
    [card] = cards(dev_server, SIGN, gilteritinib_at(*events))
    assert card["summary"] == f"Gilteritinib: reduce to 120 mg once daily, not {per_day} daily (labelled dose)"


def test_a_daily_dose_over_a_change_of_the_clocks_is_once_a_day(dev_server: Served) -> None:
    assert cards(dev_server, SIGN, gilteritinib_at(at(0, "08:00:00-05:00"), at(-1, "08:00:00-04:00"))) == []


def test_doses_not_again_a_day_later_are_a_frequency_not_read(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, gilteritinib_at(at(0, "08:00:00Z"), at(0, "18:00:00Z"), at(-1, "12:00:00Z")))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"


def test_one_event_on_each_of_consecutive_days_is_once_a_day(dev_server: Served) -> None:
    assert cards(dev_server, SIGN, gilteritinib_at(check_day(), check_day(-1), check_day(-2))) == []


@pytest.mark.parametrize("days", [
    (0, -2, -4),  # every other day
    (0, 0, -1),  # twice, then once
], ids=["every-other-day", "two-then-one"])
def test_events_that_are_no_count_a_day_are_a_frequency_not_read(dev_server: Served, days: tuple[int, ...]) -> None:
    # Was no card: 120 mg once a day.
    [card] = cards(dev_server, SIGN, gilteritinib_at(*(f"{check_day(d)}T0{i}:00:00Z" for i, d in enumerate(days))))
    assert (card["summary"], card["indicator"]) == ("Gilteritinib: give 120 mg; frequency not read: confirm it",
                                                    "warning")


def test_events_that_are_no_dates_are_a_frequency_not_read(dev_server: Served) -> None:
    # Was no card; a date that is none (February 30th) must not end the call in a 500 either.
    [card] = cards(dev_server, SIGN, gilteritinib_at("2026-02-30T08:00:00Z", "tomorrow"))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"


def test_events_every_other_day_are_not_hidden_behind_a_once_daily_text(dev_server: Served) -> None:
    # Was no card: the text's "once daily" won over the events' schedule, which is no count a day.
    [card] = cards(dev_server, SIGN, gilteritinib_at(check_day(), check_day(-2), check_day(-4), text="once daily"))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"
