"""The update of an agent's order at the labelled dose but given more often than the label (s18), through a real
`dosecheck serve`.

Gilteritinib 120 mg twice daily was "reduce to 120 mg once daily, not twice daily", with no update offered: the order
was taken to be the update already, its dose being the one to give, so the prescriber had to change it by hand (the
label: 120 mg once daily, USPI 2.2).
"""

from __future__ import annotations

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


def test_an_order_at_the_dose_but_twice_daily_is_updated_to_once_daily(dev_server: Served) -> None:
    order = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    dosage = order["dosageInstruction"][0]
    del dosage["text"]
    dosage["timing"]["repeat"]["frequency"] = 2
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [order], qtc_ms=430))
    assert card["summary"] == "Gilteritinib: reduce to 120 mg once daily, not twice daily (labelled dose)"
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    [given] = update["dosageInstruction"]
    assert given["doseAndRate"][0]["doseQuantity"]["value"] == 120
    assert (given["timing"]["repeat"]["frequency"], given["timing"]["repeat"]["period"],
            given["timing"]["repeat"]["periodUnit"]) == (1, 1, "d")
