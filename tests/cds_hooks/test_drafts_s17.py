"""Several draft orders of one agent in one call, as EHRs send a dose split over the day (s17), through a real
`dosecheck serve`.

Gilteritinib 120 mg ordered as two drafts, one for the morning and one for the evening, was checked as one dose of
120 mg once a day: no card at all, though both signed give 240 mg a day (the label: 120 mg once daily, USPI 2.2).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


def drafted(ident: str, name: str, mg: float, repeat: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A draft of `name` starting today, once a day at the time `repeat` gives."""
    order = examples.order(ident, name, mg, start=check_day()) | fields
    dosage = order["dosageInstruction"][0]
    del dosage["text"]
    dosage["timing"]["repeat"].update(repeat)
    return order


def gilteritinib(ident: str, repeat: dict[str, Any], mg: float = 120, **fields: Any) -> dict[str, Any]:
    return drafted(ident, "gilteritinib", mg, repeat, **fields)


def updated(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The update's actions: (type, the resource's id or the resourceId)."""
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    return [(a["type"], a.get("resourceId") or a["resource"]["id"]) for a in update["actions"]]


@pytest.mark.parametrize(("morning", "evening"), [
    ({"when": ["MORN"]}, {"when": ["EVE"]}),
    ({"timeOfDay": ["08:00:00"]}, {"timeOfDay": ["20:00:00"]}),
], ids=["when", "timeOfDay"])
@pytest.mark.parametrize("renewal", [False, True], ids=["start", "renewal"])
def test_drafts_of_one_dose_at_two_times_of_the_day_are_that_dose_twice_a_day(
        dev_server: Served, morning: dict[str, Any], evening: dict[str, Any], renewal: bool) -> None:
    # Was no card (checked as 120 mg once a day; 240 mg a day if both are signed), then "possible duplicate orders".
    running = examples.order("gil-0", "gilteritinib", 120, status="active", start=check_day(30))
    first = gilteritinib("gil-a", morning, **({"priorPrescription": {"reference": "MedicationRequest/gil-0"}}
                                              if renewal else {}))
    body = examples.call("order-sign", [first, gilteritinib("gil-b", evening)], [running] if renewal else [],
                         qtc_ms=430)
    [card] = cards(dev_server, SIGN, body)
    assert (card["summary"], card["indicator"]) == (
        "Gilteritinib: reduce to 120 mg once daily, not twice daily (labelled dose)", "warning")
    assert card["detail"].startswith("**gilteritinib**: ordered 120 mg twice daily (240 mg a day)")
    assert updated(card) == [("update", "gil-a"), ("delete", "MedicationRequest/gil-b")]


def test_drafts_of_different_doses_at_two_times_of_the_day_are_no_dose_read(dev_server: Served) -> None:
    # The label's 600 mg a day: summed as one dose once a day, it was "reduce to 400 mg (labelled dose)", the update
    # deleting the 200 mg draft (400 mg a day given).
    body = examples.call("order-sign", [drafted("sor-a", "sorafenib", 400, {"when": ["MORN"]}),
                                        drafted("sor-b", "sorafenib", 200, {"when": ["EVE"]})], qtc_ms=430)
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Sorafenib: dose not read (400 mg + 200 mg), 400 mg assumed"
    assert "2 draft orders of sorafenib at different times of the day (MedicationRequest/sor-a 400 mg MORN + " \
           "MedicationRequest/sor-b 200 mg EVE): different doses, not read as one dose." in card["detail"]
    assert not [a for s in card.get("suggestions", ()) for a in s["actions"] if a["type"] == "delete"]


def test_an_as_needed_draft_is_no_part_of_the_daily_dose(dev_server: Served) -> None:
    # Was "ordered 160 mg; reduce to 120 mg", the update deleting the PRN draft.
    drafts = [gilteritinib("gil-a", {}), gilteritinib("gil-b", {}, 40)]
    for draft in drafts:  # dated, with no frequency said
        repeat = draft["dosageInstruction"][0]["timing"]["repeat"]
        del repeat["frequency"], repeat["period"], repeat["periodUnit"]
    drafts[1]["dosageInstruction"][0]["asNeededBoolean"] = True
    body = examples.call("order-sign", drafts, qtc_ms=430)
    # 120 mg, the label's dose; the PRN draft beside it is named, how often it adds to it to confirm (s18, was silent).
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"
    assert card["detail"].startswith("**gilteritinib**: ordered 120 mg; **give 120 mg**")


@pytest.mark.parametrize(("name", "mg"), [("midostaurin", 50), ("sorafenib", 400)])
def test_a_labelled_twice_a_day_dose_as_two_drafts_is_no_duplicate(dev_server: Served, name: str, mg: float) -> None:
    # Was "possible duplicate orders" (and checked as once a day).
    body = examples.call("order-sign", [drafted(f"{name}-a", name, mg, {"when": ["MORN"]}),
                                        drafted(f"{name}-b", name, mg, {"when": ["EVE"]})], qtc_ms=430)
    assert not [c["summary"] for c in cards(dev_server, SIGN, body) if "duplicate" in c["summary"]]


def test_two_undated_drafts_of_one_dose_are_no_duplicates(dev_server: Served) -> None:
    # This cycle's and the next's, maybe: the undated start "" counted as one date ("possible duplicate orders").
    answer = cards(dev_server, SIGN, examples.call("order-sign", [
        examples.order(ident, "venetoclax", 400) for ident in ("ven-a", "ven-b")]))
    assert [c["summary"] for c in answer] == ["Venetoclax: start with the ramp-up (100, 200, 400 mg)"]


def test_a_ramp_up_dated_by_its_prescriptions_validity_is_not_summed(dev_server: Served) -> None:
    # Each order one day's dose (count 1), dated only by when it can be dispensed (the same day): summed to 700 mg,
    # "reduce to 400 mg (labelled dose)".
    drafts = []
    for ident, mg, count in (("ven-a", 100, 1), ("ven-b", 200, 1), ("ven-c", 400, None)):
        order = examples.order(ident, "venetoclax", mg)
        order["dispenseRequest"] = {"validityPeriod": {"start": check_day()}}
        if count:
            order["dosageInstruction"][0]["timing"]["repeat"]["count"] = count
        drafts.append(order)
    assert cards(dev_server, SIGN, examples.call("order-sign", drafts)) == []  # the label's ramp-up


def test_drafts_of_a_dose_in_two_products_named_without_a_strength_are_their_sum(dev_server: Served) -> None:
    # Venetoclax 70 mg (its dose with posaconazole) as a 50 mg and a 20 mg draft, named "venetoclax" alone: checked as
    # 50 mg, the card said "give 50 mg" and its update removed the 20 mg order (50 mg a day given).
    drafts = [examples.order(ident, "venetoclax", mg, start=check_day())
              for ident, mg in (("ven-a", 50), ("ven-b", 20))]
    listed = [examples.order("posa-1", "posaconazole", 300, status="active")]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, listed))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert updated(card) == [("update", "ven-a"), ("delete", "MedicationRequest/ven-b")]
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    assert update["actions"][0]["resource"]["dosageInstruction"][-1]["doseAndRate"][0]["doseQuantity"]["value"] == 70


def test_a_ramp_up_written_as_one_order_a_day_is_dated_from_its_first_day(dev_server: Served) -> None:
    # Was dated from the last step's order (the 400 mg one, day 3): "Ramp-up: day 1 (<day 3>): 10 mg", the tumour lysis
    # labs of C1D1 on day 3, and the update, replacing all three orders, began the course two days late.
    drafts = [examples.order(ident, "venetoclax", mg, start=check_day(-day))
              for ident, mg, day in (("ven-a", 100, 0), ("ven-b", 200, 1), ("ven-c", 400, 2))]
    listed = [examples.order("posa-1", "posaconazole", 300, status="active")]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, listed))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert (f"Ramp-up: day 1 ({check_day()}): 10 mg; day 2 ({check_day(-1)}): 20 mg; day 3 ({check_day(-2)}): 50 mg; "
            f"day 4 ({check_day(-3)}): 70 mg; then 70 mg.") in card["detail"]
    assert f"- C1D1 ({check_day()}): electrolytes, liver function, renal function, blood counts, tumor lysis labs" \
        in card["detail"]
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    first_day = update["actions"][0]["resource"]["dosageInstruction"][0]
    assert first_day["timing"]["repeat"]["boundsPeriod"] == {"start": check_day(), "end": check_day()}
    assert [a.get("resourceId") for a in update["actions"][1:]] == [
        "MedicationRequest/ven-a", "MedicationRequest/ven-b"]


def test_a_draft_of_another_day_than_the_ramp_ups_days_does_not_date_the_course(dev_server: Served) -> None:
    # Any other draft's earliest day was the course's first: venetoclax 400 mg from 7 days on, beside a 100 mg draft
    # of 3 days ago, had its ramp-up, its labs and its update's bounds dated from 3 days ago, all in the past.
    drafts = [examples.order("ven-a", "venetoclax", 400, start=check_day(-7)),
              examples.order("ven-b", "venetoclax", 100, start=check_day(3))]
    listed = [examples.order("posa-1", "posaconazole", 300, status="active")]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, listed))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert f"Ramp-up: day 1 ({check_day(-7)}): 10 mg" in card["detail"]
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    first_day = update["actions"][0]["resource"]["dosageInstruction"][0]
    assert first_day["timing"]["repeat"]["boundsPeriod"] == {"start": check_day(-7), "end": check_day(-7)}
