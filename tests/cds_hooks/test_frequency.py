"""How often an agent is ordered, read from every part of an R4 Timing, and the update that follows from it.

A third integrator's review (s13/ehr3): the card's dose update kept the order's twice-daily or q8h timing while
its dose was one a day in the label's times (venetoclax 400 mg BID with posaconazole became 70 mg twice a day,
gilteritinib 40 mg q8h became 120 mg q8h); its summary said "give 400 mg" for 400 mg BID; twice a day said by
`when`, by two `timeOfDay` entries, or by a `repeat` beside a code saying daily, was not read; an order marked
`doNotPerform` was counted as taken. Through a real `dosecheck serve` on loopback.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards
from tests.cds_hooks.test_real_clients import posaconazole

GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
def once_daily() -> dict[str, Any]:
    """A Timing of once a day, new each time: a test that changed a shared one changed the others' orders."""
    return {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}


def timed(ident: str, name: str, dose_mg: float, timing: dict[str, Any], text: str = "") -> dict[str, Any]:
    """A draft order of `dose_mg` with this R4 Timing (and dosage text, if any)."""
    order = examples.order(ident, name, dose_mg)
    dosage = order["dosageInstruction"][0]
    dosage["timing"] = timing
    if text:
        dosage["text"] = text
    else:
        del dosage["text"]
    return order


def coded(code: str) -> dict[str, Any]:
    return {"code": {"coding": [{"system": GTS, "code": code}]}}


def update_of(card: dict[str, Any]) -> dict[str, Any]:
    [update] = [a["resource"] for s in card.get("suggestions", ()) for a in s["actions"] if a["type"] == "update"]
    result: dict[str, Any] = update
    return result


def twice_daily_venetoclax_given_once_daily(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card of venetoclax 400 mg twice a day beside posaconazole, and its update's dosages: 70 mg once a day.

    It was "Venetoclax: reduce to 70 mg with posaconazole", and the update 70 mg twice a day (140 mg a day).
    """
    assert card["summary"] == "Venetoclax: reduce to 70 mg once daily, not twice daily with posaconazole"
    assert card["detail"].startswith(
        "**venetoclax**: ordered 400 mg twice daily (800 mg a day); **give 70 mg once daily, not twice daily**")
    dosages: list[dict[str, Any]] = update_of(card)["dosageInstruction"]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in dosages] == [10, 20, 50, 70, 70]
    assert all(d["timing"]["repeat"]["frequency"] == 1 and d["timing"]["repeat"]["periodUnit"] == "d"
               for d in dosages)
    return dosages


def test_an_update_of_a_twice_daily_order_is_once_daily(dev_server: Served) -> None:
    order = timed("ven-1", "venetoclax", 400, coded("BID"), text="Take 4 tablets (400 mg total) by mouth twice daily")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    dosages = twice_daily_venetoclax_given_once_daily(card)
    assert all("code" not in d["timing"] for d in dosages)
    # The order's own text stated its own dose: not carried into the new one.
    assert dosages[-1]["text"] == "Then 70 mg once daily"


@pytest.mark.parametrize("timing", [
    coded("Q8H"),
    {"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}},
    {"repeat": {"timeOfDay": ["06:00:00", "14:00:00", "22:00:00"]}},
])
def test_gilteritinib_every_8_hours_is_given_as_120_mg_once_daily(dev_server: Served, timing: dict[str, Any]) -> None:
    order = timed("gil-1", "gilteritinib", 40, timing)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    # Was "Gilteritinib: increase to 120 mg (labelled dose)", the update 120 mg every 8 hours (360 mg a day).
    assert card["summary"] == "Gilteritinib: give 120 mg once daily, not 3 times daily (labelled dose)"
    update = update_of(card)
    [dosage] = update["dosageInstruction"]
    assert dosage["timing"] == once_daily()
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 120
    # The update, placed as the order, is the label's dose: nothing left to say.
    update["id"] = "gil-2"
    assert cards(dev_server, SIGN, examples.call("order-sign", [update], qtc_ms=420)) == []


@pytest.mark.parametrize("timing", [
    {"repeat": {"when": ["MORN", "EVE"]}},
    {"repeat": {"timeOfDay": ["08:00:00", "20:00:00"]}},
    {**coded("QD"), "repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
    {"repeat": {"frequency": 1, "frequencyMax": 2, "period": 1, "periodUnit": "d"}},
])
def test_twice_a_day_said_anywhere_in_the_timing_is_read(dev_server: Served, timing: dict[str, Any]) -> None:
    # Each was no card: venetoclax 400 mg twice a day (800 mg a day) passed.
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [timed("ven-1", "venetoclax", 400, timing)]))
    assert card["summary"] == "Venetoclax: reduce to 400 mg once daily, not twice daily (labelled dose)"
    assert "The order gives venetoclax twice a day (400 mg each, 800 mg a day)" in card["detail"]


def test_an_order_not_to_give_a_drug_is_not_counted_as_taken(dev_server: Served) -> None:
    not_given = posaconazole() | {"doNotPerform": True}
    order = timed("ven-1", "venetoclax", 400, once_daily())
    # Was "Venetoclax: reduce to 70 mg with posaconazole".
    assert [c["summary"] for c in cards(dev_server, SIGN, examples.call("order-sign", [order], [not_given]))] == [
        VENETOCLAX_START]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


@pytest.mark.parametrize("as_needed", [{"asNeededBoolean": True}, {"asNeededCodeableConcept": {"text": "nausea"}},
                                       {"asNeeded": True}, {"asNeededFor": [{"text": "nausea"}]}])
def test_an_agent_ordered_as_needed_is_said_to_have_no_frequency_read(dev_server: Served,
                                                                     as_needed: dict[str, Any]) -> None:
    # A structured PRN (R4 Dosage.asNeeded[x]; R5 renamed asNeededBoolean to asNeeded and gave asNeededFor) beside a
    # daily timing: each was no card, gilteritinib passing as daily.
    order = timed("gil-1", "gilteritinib", 120, once_daily())
    order["dosageInstruction"][0].update(as_needed)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"
    assert "'PRN, 1 per 1 d' gives gilteritinib on a schedule that is not a number of doses a day" in card["detail"]


@pytest.mark.parametrize(("timing", "text", "said"), [
    (once_daily(), "120 mg every other day", "120 mg every other day, 1 per 1 d"),
    ({**coded("QOD"), **once_daily()}, "", "QOD, 1 per 1 d"),
    # The engine reads a repeat's "N per P unit" only alone, not within a longer text: said alone.
    ({"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}}, "120 mg daily", "1 per 1 wk"),
    # s16 review, must-fix 1: an interval of days shorter than a cycle was read as the cycle beside the daily repeat
    # (the text read as "<text>, daily"): no card, gilteritinib checked as daily.
    (once_daily(), "every 4 days", "every 4 days, 1 per 1 d"),
    (once_daily(), "q4d", "q4d, 1 per 1 d"),
    (once_daily(), "1 tab every 2 weeks", "1 tab every 2 weeks, 1 per 1 d"),
])
def test_a_schedule_that_is_no_daily_count_is_not_hidden_behind_a_daily_one(
        dev_server: Served, timing: dict[str, Any], text: str, said: str) -> None:
    # s15 review 2, item 3: each was no card, the daily part kept as the frequency and gilteritinib checked as daily.
    order = timed("gil-1", "gilteritinib", 120, timing, text=text)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"
    assert f"{said!r} gives gilteritinib on a schedule that is not a number of doses a day" in card["detail"]


@pytest.mark.parametrize(("timing", "text"), [(once_daily(), "Use as directed"), (coded("QD"), "Take as directed")])
def test_words_naming_no_schedule_beside_a_daily_timing_say_nothing(
        dev_server: Served, timing: dict[str, Any], text: str) -> None:
    # "As directed" alone names no schedule (frequency not read); beside a daily Timing it is that Timing's, as an
    # order's text "daily as directed" is: each was a "frequency not read" card on a plain once-daily order.
    order = timed("gil-1", "gilteritinib", 120, timing, text=text)
    assert cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420)) == []


def test_words_naming_no_schedule_alone_are_no_frequency_read(dev_server: Served) -> None:
    order = timed("gil-1", "gilteritinib", 120, {}, text="Use as directed")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"


def test_parts_of_a_timing_that_agree_say_nothing(dev_server: Served) -> None:
    order = timed("gil-1", "gilteritinib", 120, {**coded("QD"), **once_daily()}, text="120 mg daily")
    assert cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420)) == []
