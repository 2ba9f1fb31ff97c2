"""A dose field beside a dosage text stating another dose (s18), through a real `dosecheck serve`.

The text was never read beside a dose field: venetoclax 70 mg in the field and "Take 400 mg by mouth once daily" in
the text, beside posaconazole, was "give 70 mg" with no word of the 400 mg that the label printed from the text says;
gilteritinib 120 mg with the text "40 mg once daily" had no card. Which is meant is not guessed: the dose is not read
and the card says both (README: what cannot be read is never passed over).
"""

from __future__ import annotations

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


def gilteritinib(**dosage: str) -> dict[str, object]:
    order = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    order["dosageInstruction"][0].update(dosage)
    return examples.call("order-sign", [order], qtc_ms=430)


@pytest.mark.parametrize("key", ["text", "patientInstruction"])
def test_a_text_stating_another_dose_than_the_field_is_a_dose_not_read(dev_server: Served, key: str) -> None:
    # Was no card: 120 mg, the label's dose.
    [card] = cards(dev_server, SIGN, gilteritinib(**{key: "40 mg once daily"}))
    assert (card["summary"], card["indicator"]) == (
        "Gilteritinib: dose not read (two doses: 120 mg in the dose field, 40…), 120 mg assumed", "warning")
    assert card["detail"].startswith(f"**gilteritinib**: ordered two doses: 120 mg in the dose field, 40 mg in the "
                                     f"{key} ('40 mg once daily')")


@pytest.mark.parametrize("text", ["Take 120 mg by mouth once daily", "Take 3 tablets (120 mg) daily", "once daily",
                                  "Use as directed", "120 mg/day"])
def test_a_text_stating_the_fields_dose_or_none_is_read_as_before(dev_server: Served, text: str) -> None:
    assert cards(dev_server, SIGN, gilteritinib(text=text)) == []


def test_the_text_of_an_agent_beside_an_inhibitor_is_said_and_the_update_gives_the_dose(dev_server: Served) -> None:
    # Was "Venetoclax: give 70 mg with posaconazole", the text's 400 mg never said.
    running = examples.order("ven-0", "venetoclax", 70, status="active", start=check_day(30))
    draft = examples.order("ven-1", "venetoclax", 70, start=check_day())
    draft["dosageInstruction"][0]["text"] = "Take 400 mg by mouth once daily"
    body = examples.call("order-sign", [draft], [running, examples.order("posa-1", "posaconazole", 300,
                                                                         status="active")])
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"].startswith("Venetoclax: give 70 mg with posaconazole")
    assert card["detail"].startswith("**venetoclax**: ordered two doses: 70 mg in the dose field, 400 mg in the text "
                                     "('Take 400 mg by mouth once daily'), which disagree; **give 70 mg**")
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    [dosage] = update["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 70
    assert "400" not in dosage.get("text", "")


def test_a_start_whose_text_states_another_dose_keeps_its_ramp_up_update(dev_server: Served) -> None:
    # Was "dose not read (two doses: 400 mg in the dose field, 10…), 400 mg assumed" with no update (the ramp-up in
    # the detail alone), and "which is not a dose in mg" of two doses in mg (USPI 2.2: 100, 200, 400 mg on days 1-3).
    start = examples.order("ven-1", "venetoclax", 400, start=check_day())
    start["dosageInstruction"][0]["text"] = "Take 1 tablet (100 mg total) by mouth daily"
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [start], qtc_ms=430))
    assert card["summary"] == ("Venetoclax: dose not read (two doses: 400 mg in the dose field, 10…), 400 mg assumed; "
                               "start with the ramp-up (100, 200, 400 mg)")
    assert card["detail"].startswith("**venetoclax**: ordered two doses: 400 mg in the dose field, 100 mg in the text "
                                     "('Take 1 tablet (100 mg total) by mouth daily'), which disagree;")
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in update["dosageInstruction"]] == [100, 200, 400, 400]
    assert update["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] == check_day()
