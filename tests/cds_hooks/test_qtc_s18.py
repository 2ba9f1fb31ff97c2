"""QTc Observations as EHRs send them (s18), through a real `dosecheck serve`.

A QTc with no date (no effective[x], no issued) beside a dated one was passed over for it, whatever it said:
gilteritinib with an undated QTc of 520 ms and one of 430 ms dated was started with no card (the label holds it above
500 ms, USPI 2.3). Whether the undated one is newer cannot be told: when it is higher, it is named and an ECG asked.
"""

from __future__ import annotations

from typing import Any

import pytest

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


def gilteritinib_with_undated_qtcs(*ms: float) -> dict[str, Any]:
    body = gilteritinib_with_an_undated_qtc(ms[0])
    entries = body["prefetch"]["qtc"]["entry"]
    entries[:] = [{"resource": entries[1]["resource"] | {"id": f"qtc-{i}", "valueQuantity": {"value": v, "unit": "ms"}}}
                  for i, v in enumerate(ms)]
    return body


@pytest.mark.parametrize("ms", [(520, 430), (430, 520)], ids=["highest-first", "highest-last"])
def test_of_several_undated_qtcs_the_highest_is_used_whatever_their_order(dev_server: Served,
                                                                          ms: tuple[float, float]) -> None:
    # The last one listed was used: 520 ms then 430 ms started gilteritinib with no card (USPI 2.3: not above 500 ms).
    [card] = cards(dev_server, SIGN, gilteritinib_with_undated_qtcs(*ms))
    assert card["summary"] == "Gilteritinib: do not start (QTc 520 ms)"
    low = ms.index(430)
    assert (f"QTc used: QTc 520 ms. Lower QTcs with no date either (Observation/qtc-{low}: QTc 430 ms with no date): "
            "which is the latest cannot be told, so the highest was used.") in card["detail"]
