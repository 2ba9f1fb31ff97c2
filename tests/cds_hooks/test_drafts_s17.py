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


def gilteritinib(ident: str, repeat: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A draft of gilteritinib 120 mg starting today, once a day at the time `repeat` gives."""
    order = examples.order(ident, "gilteritinib", 120, start=check_day()) | fields
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
