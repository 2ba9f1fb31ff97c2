"""QTc Observations as EHRs send them (s18), through a real `dosecheck serve`.

A QTc with no date (no effective[x], no issued) beside a dated one was passed over for it, whatever it said:
gilteritinib with an undated QTc of 520 ms and one of 430 ms dated was started with no card (the label holds it above
500 ms, USPI 2.3). Whether the undated one is newer cannot be told: when it is higher, it is named and an ECG asked.
"""

from __future__ import annotations

from typing import Any

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


def gilteritinib_with_an_undated_qtc(ms: float) -> dict[str, Any]:
    body = examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120, start=check_day())], qtc_ms=430)
    undated = {key: value for key, value in body["prefetch"]["qtc"]["entry"][0]["resource"].items()
               if key != "effectiveDateTime"} | {"id": "qtc-0", "valueQuantity": {"value": ms, "unit": "ms"}}
    body["prefetch"]["qtc"]["entry"].append({"resource": undated})
    return body


def test_an_undated_qtc_above_the_dated_one_is_named_and_an_ecg_asked(dev_server: Served) -> None:
    # Was no card: the dated 430 ms used.
    [card] = cards(dev_server, SIGN, gilteritinib_with_an_undated_qtc(520))
    assert (card["summary"], card["indicator"]) == ("Gilteritinib: QTc unreadable, ECG needed", "warning")
    assert "A newer QTc could not be read and was not used (Observation/qtc-0: QTc 520 ms with no date, whether it " \
           "is newer cannot be told): check it in the chart." in card["detail"]


def test_an_undated_qtc_below_the_dated_one_changes_nothing(dev_server: Served) -> None:
    assert cards(dev_server, SIGN, gilteritinib_with_an_undated_qtc(400)) == []
