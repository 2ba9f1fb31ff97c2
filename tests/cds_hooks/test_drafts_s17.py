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


def gilteritinib(ident: str, repeat: dict[str, Any], mg: float = 120, **fields: Any) -> dict[str, Any]:
    """A draft of gilteritinib starting today, once a day at the time `repeat` gives."""
    order = examples.order(ident, "gilteritinib", mg, start=check_day()) | fields
    dosage = order["dosageInstruction"][0]
    del dosage["text"]
    dosage["timing"]["repeat"].update(repeat)
    return order


@pytest.mark.parametrize(("morning", "evening"), [
    ({"when": ["MORN"]}, {"when": ["EVE"]}),
    ({"timeOfDay": ["08:00:00"]}, {"timeOfDay": ["20:00:00"]}),
], ids=["when", "timeOfDay"])
@pytest.mark.parametrize("renewal", [False, True], ids=["start", "renewal"])
def test_drafts_of_one_dose_from_the_same_day_are_possible_duplicates(dev_server: Served, morning: dict[str, Any],
                                                                      evening: dict[str, Any], renewal: bool) -> None:
    running = examples.order("gil-0", "gilteritinib", 120, status="active", start=check_day(30))
    first = gilteritinib("gil-a", morning, **({"priorPrescription": {"reference": "MedicationRequest/gil-0"}}
                                              if renewal else {}))
    body = examples.call("order-sign", [first, gilteritinib("gil-b", evening)], [running] if renewal else [],
                         qtc_ms=430)
    [card] = cards(dev_server, SIGN, body)
    assert (card["summary"], card["indicator"]) == ("Gilteritinib: possible duplicate orders", "warning")
    assert ("Possible duplicate orders: MedicationRequest/gil-a (gilteritinib, 120 mg) and MedicationRequest/gil-b "
            "(gilteritinib, 120 mg) are in effect today at the same dose") in card["detail"]


def test_drafts_of_different_doses_from_the_same_day_are_their_sum(dev_server: Served) -> None:
    # Was no card: checked as the 120 mg draft alone, the 80 mg one only named among "other drafts".
    body = examples.call("order-sign", [gilteritinib("gil-a", {"when": ["MORN"]}),
                                        gilteritinib("gil-b", {"when": ["EVE"]}, 80)], qtc_ms=430)
    [card] = cards(dev_server, SIGN, body)
    assert (card["summary"], card["indicator"]) == ("Gilteritinib: reduce to 120 mg (labelled dose)", "warning")
    assert card["detail"].startswith("**gilteritinib**: ordered 200 mg; **give 120 mg** (adjust dose).\n2 orders of "
                                     "gilteritinib given together, draft orders from the same day, as often "
                                     "(MedicationRequest/gil-a 120 mg + MedicationRequest/gil-b 80 mg)")


def test_drafts_of_a_dose_in_two_products_named_without_a_strength_are_their_sum(dev_server: Served) -> None:
    # Venetoclax 70 mg (its dose with posaconazole) as a 50 mg and a 20 mg draft, named "venetoclax" alone: checked as
    # 50 mg, the card said "give 50 mg" and its update removed the 20 mg order (50 mg a day given).
    drafts = [examples.order(ident, "venetoclax", mg, start=check_day())
              for ident, mg in (("ven-a", 50), ("ven-b", 20))]
    listed = [examples.order("posa-1", "posaconazole", 300, status="active")]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, listed))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    assert [(a["type"], a.get("resourceId") or a["resource"]["id"]) for a in update["actions"]] == [
        ("update", "ven-a"), ("delete", "MedicationRequest/ven-b")]
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
