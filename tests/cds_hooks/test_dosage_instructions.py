"""Several dosage instructions, doses that are not one quantity in mg, and medications named only by their
ingredients or a local code, and drafts on hold, through a real `dosecheck serve` on loopback.

A third integrator's review (s13/ehr3): only the first dosage instruction was read (50 mg at 08:00 and 50 mg at
20:00 with posaconazole: "give 50 mg"; quizartinib stepped up to 35.4 mg under posaconazole: its 17.7 mg step
checked only); a dose range, a rate or a sig in the text was "no dose ordered", and with nothing interacting no
card said the labelled dose had been assumed; a contained Medication naming nirmatrelvir and ritonavir only as
ingredients was "not named"; a local code's label was its OID cut short; a draft on hold was "do not start".
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_frequency import once_daily
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards
from tests.cds_hooks.test_real_clients import posaconazole

UCUM = "http://unitsofmeasure.org"


def mg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mg", "system": UCUM, "code": "mg"}


def instruction(dose_mg: float, *, at: str | None = None, sequence: int | None = None,
                days: tuple[str, str | None] | None = None) -> dict[str, Any]:
    """One dosage instruction: once daily (or at `at`), in `sequence`, from the first of `days` to the second."""
    repeat: dict[str, Any] = {"timeOfDay": [at]} if at else {"frequency": 1, "period": 1, "periodUnit": "d"}
    if days is not None:
        repeat["boundsPeriod"] = {"start": days[0], **({"end": days[1]} if days[1] else {})}
    dosage: dict[str, Any] = {"timing": {"repeat": repeat}, "doseAndRate": [{"doseQuantity": mg(dose_mg)}]}
    if sequence is not None:
        dosage["sequence"] = sequence
    return dosage


def with_instructions(ident: str, name: str, *dosages: dict[str, Any]) -> dict[str, Any]:
    order = examples.order(ident, name)
    order["dosageInstruction"] = list(dosages)
    return order


def test_a_split_dose_given_together_is_read_as_its_dose_a_day(dev_server: Served) -> None:
    order = with_instructions("ven-1", "venetoclax", instruction(50, at="08:00:00"), instruction(50, at="20:00:00"))
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()]))
    # Was "Venetoclax: give 50 mg with posaconazole": the order is 100 mg a day, above the 70 mg with posaconazole.
    assert card["summary"] == "Venetoclax: reduce to 70 mg once daily, not twice daily with posaconazole"
    assert "2 dosage instructions given together (50 mg + 50 mg): read as 50 mg 2 times a day." in card["detail"]


def test_different_doses_given_together_are_not_read_as_one(dev_server: Served) -> None:
    order = with_instructions("ven-1", "venetoclax", instruction(200, at="08:00:00"), instruction(100, at="20:00:00"))
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    assert card["summary"] == ("Venetoclax: dose not read (200 mg + 100 mg), 400 mg assumed; "
                               "start with the ramp-up (100, 200, 400 mg)")
    assert card["indicator"] == "warning"
    assert "different doses, not read as one dose" in card["detail"]


def test_steps_in_sequence_are_checked_at_the_highest(dev_server: Served) -> None:
    order = with_instructions("quiz-1", "quizartinib", instruction(17.7, sequence=1, days=("2026-12-02", "2026-12-15")),
                              instruction(35.4, sequence=2, days=("2026-12-16", None)))
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()], qtc_ms=420))
    # Was "Quizartinib: give 17.7 mg with posaconazole": the 35.4 mg step under a strong CYP3A inhibitor unchecked.
    assert card["summary"] == "Quizartinib: reduce to 17.7 mg with posaconazole"
    assert "2 dosage instructions in sequence (17.7 mg + 35.4 mg): the highest dose, 35.4 mg, is the one checked." \
        in card["detail"]


@pytest.mark.parametrize(("dosage", "said"), [
    ({"doseAndRate": [{"doseRange": {"low": mg(100), "high": mg(800)}}]}, "100 mg-800 mg"),
    ({"doseAndRate": [{"rateQuantity": {"value": 400, "unit": "mg/d"}}]}, "a rate of 400 mg/d"),
    ({"text": "Take 8 tablets (800 mg total) by mouth daily"}, "'Take 8 tablets (800 mg total) by mouth…"),
])
def test_a_dose_that_is_not_one_quantity_in_mg_is_said_and_the_assumed_dose_carded(
        dev_server: Served, dosage: dict[str, Any], said: str) -> None:
    order = with_instructions("ven-1", "venetoclax", {"timing": once_daily(), **dosage})
    # Each was no card: the labelled 400 mg assumed in silence.
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    # A start: its ramp-up is not shown to be given either (fixC, s18).
    assert card["summary"] == (f"Venetoclax: dose not read ({said}), 400 mg assumed; "
                               "start with the ramp-up (100, 200, 400 mg)")
    assert card["detail"].startswith("**venetoclax**: ordered ")
    assert "which is not a dose in mg" in card["detail"]


def test_a_contained_medication_named_only_by_its_ingredients_is_read_by_them(dev_server: Served) -> None:
    paxlovid = examples.order("pax-1", "x", status="active")
    del paxlovid["medicationCodeableConcept"]
    paxlovid["medicationReference"] = {"reference": "#med-1"}
    paxlovid["contained"] = [{"resourceType": "Medication", "id": "med-1", "ingredient": [
        {"itemCodeableConcept": {"text": "nirmatrelvir"}}, {"itemCodeableConcept": {"text": "ritonavir"}}]}]
    venetoclax = examples.order("ven-1", "venetoclax", 400)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [venetoclax], [paxlovid], qtc_ms=420))
    # Was "Not checked: 1 medication not named (MedicationRequest/pax-1)", ritonavir's reduction lost.
    assert card["summary"] == "Venetoclax: reduce to 100 mg with ritonavir"


def test_a_contained_medication_with_an_unnamed_ingredient_is_not_checked_and_said_why(dev_server: Served) -> None:
    other = examples.order("pax-1", "x", status="active")
    del other["medicationCodeableConcept"]
    other["medicationReference"] = {"reference": "#med-1"}
    other["contained"] = [{"resourceType": "Medication", "id": "med-1", "ingredient": [
        {"itemCodeableConcept": {"text": "nirmatrelvir"}}, {"itemCodeableConcept": {}}]}]
    venetoclax = examples.order("ven-1", "venetoclax", 400)
    start, card = cards(dev_server, SIGN, examples.call("order-sign", [venetoclax], [other], qtc_ms=420))
    assert start["summary"] == VENETOCLAX_START
    assert card["summary"].startswith("Not checked: 1 medication")
    assert "the contained Medication it references, #med-1, is not there or names none either" in card["detail"]


def test_a_local_code_is_labelled_by_its_code(dev_server: Served) -> None:
    local = examples.order("posa-1", "x", 300, status="active")
    local["medicationCodeableConcept"] = {"coding": [
        {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.698288", "code": "55123"}]}
    venetoclax = examples.order("ven-1", "venetoclax", 400)
    start, card = cards(dev_server, SIGN, examples.call("order-sign", [venetoclax], [local], qtc_ms=420))
    assert start["summary"] == VENETOCLAX_START
    # Was "(urn:oid:1.2.840.114350.1.13.0.1.7.2.698…)": the code itself cut off.
    assert card["summary"] == "Not checked: 1 medication not recognised (OID …698288 55123)"


def test_a_venetoclax_start_ordered_as_one_dose_is_told_its_ramp_up(dev_server: Served) -> None:
    start = examples.order("ven-1", "venetoclax", 400, start="2026-12-02")
    # Was no card: 400 mg from the first day, the labelled ramp-up against tumour lysis skipped.
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [start], qtc_ms=420))
    assert card["summary"] == VENETOCLAX_START
    assert card["indicator"] == "warning"
    assert "Ramp-up: day 1 (2026-12-02): 100 mg; day 2 (2026-12-03): 200 mg; day 3 (2026-12-04): 400 mg" \
        in card["detail"]
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in update["dosageInstruction"]] == [100, 200, 400, 400]


def test_a_venetoclax_start_with_its_steps_ordered_is_not_told_again(dev_server: Served) -> None:
    steps = [examples.order(f"ven-{dose}", "venetoclax", dose, start=day)
             for dose, day in ((100, "2026-12-02"), (200, "2026-12-03"), (400, "2026-12-04"))]
    assert cards(dev_server, SIGN, examples.call("order-sign", steps, qtc_ms=420)) == []
    ramp = with_instructions("ven-1", "venetoclax", *(
        instruction(dose, sequence=i, days=(day, day if i < 3 else None))
        for i, (dose, day) in enumerate(((100, "2026-12-02"), (200, "2026-12-03"), (400, "2026-12-04")), start=1)))
    assert cards(dev_server, SIGN, examples.call("order-sign", [ramp], qtc_ms=420)) == []


def test_a_draft_on_hold_is_told_its_dose_for_when_it_is_resumed(dev_server: Served) -> None:
    draft = examples.order("ven-1", "venetoclax", 400, status="on-hold")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole()], qtc_ms=420))
    # Was "[critical] Venetoclax: do not start", the 70 mg for posaconazole only in the findings.
    assert card["summary"] == "Venetoclax (order on hold): reduce to 70 mg with posaconazole"
    assert card["indicator"] == "warning"
    assert "The order's status is on hold: this is the dose to give once it is resumed." in card["detail"]


def test_a_dose_the_ordered_tablets_cannot_give_is_said(dev_server: Served) -> None:
    tablets = examples.order("ven-1", "Venetoclax 100 MG Oral Tablet", 400, start="2026-12-02")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [tablets], [posaconazole()], qtc_ms=420))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    # The update keeps the order's product: 10, 20, 50 and 70 mg cannot be given as 100 mg tablets.
    assert ("The ordered product (100 mg a unit) cannot give 10, 20, 50, 70 mg: the order needs a product of another "
            "strength.") in card["detail"]
    [same] = cards(dev_server, SIGN, examples.call("order-sign", [examples.order(
        "ven-1", "Venetoclax 10 MG Oral Tablet", 400, start="2026-12-02")], [posaconazole()], qtc_ms=420))
    assert "cannot give" not in same["detail"]


def test_a_start_after_an_ended_order_of_the_agent_is_not_told_to_ramp_up_again(dev_server: Served) -> None:
    cycle_1 = examples.order("ven-0", "venetoclax", 400, status="completed", start="2026-10-27")
    cycle_1["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = "2026-11-24"
    cycle_2 = examples.order("ven-1", "venetoclax", 400, start="2026-11-25")
    # A next cycle ordered anew: no "start with the ramp-up" warning, and the card says it may continue it.
    assert cards(dev_server, SIGN, examples.call("order-sign", [cycle_2], [cycle_1], qtc_ms=420)) == []
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [cycle_2], [cycle_1, posaconazole()], qtc_ms=420))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert ("An ended order of venetoclax is on the list (last given 2026-11-24): if this draft continues that "
            "treatment (a next cycle), it is not a start: confirm whether the ramp-up applies.") in card["detail"]


# --- A fourth integrator pass and a review of the change (s13/ehr4, s13/review) -----------------------------------

def update_of(card: dict[str, Any]) -> dict[str, Any] | None:
    updates = [a["resource"] for s in card.get("suggestions", ()) for a in s["actions"] if a["type"] == "update"]
    return updates[0] if updates else None


@pytest.mark.parametrize("order", [
    # 400 mg in the morning and 400 mg in the evening, one with a sequence, neither saying when it applies.
    with_instructions("ven-1", "venetoclax", instruction(400, at="08:00:00"),
                      instruction(400, at="20:00:00", sequence=2)),
    with_instructions("ven-1", "venetoclax", {"timing": {"repeat": {"frequency": 14, "period": 1, "periodUnit": "wk"}},
                                              "doseAndRate": [{"doseQuantity": mg(400)}]}),
    with_instructions("ven-1", "venetoclax", {"timing": {"repeat": {"period": 12, "periodUnit": "h"}},
                                              "doseAndRate": [{"doseQuantity": mg(400)}]}),
])
def test_twice_a_day_however_written_is_flagged(dev_server: Served, order: dict[str, Any]) -> None:
    # Each was no card: 800 mg of venetoclax a day.
    answer = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()], qtc_ms=420))
    venetoclax = [c for c in answer if c["summary"].startswith("Venetoclax")]
    assert venetoclax[0]["summary"] == "Venetoclax: reduce to 70 mg once daily, not twice daily with posaconazole"


def test_the_same_dose_on_days_one_after_the_other_is_not_added_up(dev_server: Served) -> None:
    order = with_instructions("gil-1", "gilteritinib", instruction(120, days=("2026-12-02", "2026-12-08")),
                              instruction(120, days=("2026-12-09", None)))
    # Was "120 mg twice daily": the update then ordered 240 mg a day.
    assert cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420)) == []


def test_a_stepped_orders_update_runs_the_whole_course(dev_server: Served) -> None:
    order = with_instructions("quiz-1", "quizartinib", instruction(26.5, sequence=1, days=("2026-12-02", "2026-12-15")),
                              instruction(53, sequence=2, days=("2026-12-16", None)))
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()], qtc_ms=420))
    update = update_of(card)
    assert update is not None
    [dosage] = update["dosageInstruction"]
    # Was the first step's days (ending 2026-12-15): accepted, quizartinib stopped after day 14.
    assert dosage["timing"]["repeat"]["boundsPeriod"] == {"start": "2026-12-02"}
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 26.5


def test_a_ramp_ups_steps_carry_no_count_and_no_as_needed(dev_server: Served) -> None:
    order = examples.order("ven-1", "venetoclax", 400, start="2026-12-02")
    dosage = order["dosageInstruction"][0]
    dosage["timing"]["repeat"]["count"] = 28
    dosage["asNeededBoolean"] = True
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], [posaconazole()], qtc_ms=420))
    update = update_of(card)
    assert update is not None
    steps = update["dosageInstruction"]
    assert [s["doseAndRate"][0]["doseQuantity"]["value"] for s in steps] == [10, 20, 50, 70, 70]
    assert not [s for s in steps[:4] if "count" in s["timing"]["repeat"]]
    assert not [s for s in steps if "asNeededBoolean" in s]
    # Placed as it is, the update is the order: no update is offered again.
    update["id"] = "ven-2"
    [again] = cards(dev_server, SIGN, examples.call("order-sign", [update], [posaconazole()], qtc_ms=420))
    assert update_of(again) is None


def test_a_patient_already_taking_the_agent_is_not_ramped_up_again(dev_server: Served) -> None:
    taking = examples.order("ven-0", "venetoclax", 400, status="active")
    change = examples.order("ven-1", "venetoclax", 400, start="2026-12-02")
    card = next(c for c in cards(dev_server, SIGN, examples.call("order-sign", [change], [taking, posaconazole()],
                                                                 qtc_ms=420)) if c["summary"].startswith("Venetoclax"))
    update = update_of(card)
    assert update is not None
    # Was 10, 20, 50, 70 mg again: the label's steady dose with posaconazole is 70 mg.
    assert [s["doseAndRate"][0]["doseQuantity"]["value"] for s in update["dosageInstruction"]] == [70]
    assert "Ramp-up:" not in card["detail"]


@pytest.mark.parametrize("doses", [(400, 400, 400), (100, 400)])
def test_a_start_in_steps_above_the_ramp_ups_days_is_told_it(dev_server: Served, doses: tuple[float, ...]) -> None:
    days = ("2026-12-02", "2026-12-03", "2026-12-04")
    order = with_instructions("ven-1", "venetoclax", *(
        instruction(dose, sequence=i, days=(days[i - 1], days[i - 1] if i < len(doses) else None))
        for i, dose in enumerate(doses, start=1)))
    # Was no card: 400 mg from the first day written as three steps; 100 mg, then 400 mg from day 2 (200 skipped).
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    assert card["summary"] == VENETOCLAX_START


def test_a_dose_not_read_beside_a_strength_in_the_name_is_said_assumed(dev_server: Served) -> None:
    order = with_instructions("ven-1", "venetoclax 100 mg tablet", {
        "timing": {"repeat": {**once_daily()["repeat"], "boundsPeriod": {"start": "2026-12-02"}}},
        "doseAndRate": [{"doseRange": {"low": mg(400)}}]})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=420))
    # Was "Venetoclax: give 400 mg (labelled dose)", and the range shown as "400 mg-?".
    assert card["summary"] == ("Venetoclax: dose not read (at least 400 mg), 400 mg assumed; "
                               "start with the ramp-up (100, 200, 400 mg)")
    assert "**give 400 mg, assumed**" in card["detail"]
