"""The s14 review of the CDS Hooks changes, through a real `dosecheck serve` on loopback.

An update that removes the orders given with its own (products of other strengths) names every dose its product
cannot give; drafts given together and also on the list are the drafts, not other medications; a prefetched QTc
search that the EHR's server did not sort is read whole (or said not sorted); orders of one dose in two products
are not added up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_ehr_followups3 import qtcf
from tests.cds_hooks.test_hooks import SIGN, cards


def update_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    [suggestion] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    actions: list[dict[str, Any]] = suggestion["actions"]
    return actions


def test_an_update_removing_the_other_strength_names_every_dose_its_product_cannot_give(dev_server: Served) -> None:
    # A start of 70 mg as 50 mg + 2 x 10 mg tablets with posaconazole: the update gives the 50 mg order the ramp-up
    # and 70 mg and removes the 10 mg order. 50 mg tablets cannot give 70 mg then; the card named only 10 and 20 mg.
    fifty = examples.order("ven-50", "venetoclax 50 MG Oral Tablet", 50, start=check_day())
    tens = examples.order("ven-10", "venetoclax 10 MG Oral Tablet", 20, start=check_day())
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [fifty, tens], [posaconazole]))
    actions = update_of(card)
    assert [(a["type"], a.get("resourceId") or a["resource"]["id"]) for a in actions] == [
        ("update", "ven-50"), ("delete", "MedicationRequest/ven-10")]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in actions[0]["resource"]["dosageInstruction"]] == [
        10, 20, 50, 70, 70]
    assert "The ordered product (50 mg a unit) cannot give 10, 20, 70 mg: the order needs a product of another " \
        "strength." in card["detail"]


def test_drafts_given_together_and_also_listed_are_not_other_medications(dev_server: Served) -> None:
    # The prefetch asks for drafts (status=...,draft): both drafts come back on the list. The 10 mg one, merged
    # into the 100 mg one, was left on the list: "Listed but not given yet ... (draft) ... a duplicate", and
    # "Also listed among the other medications as 'venetoclax 10 MG Oral Tablet'".
    hundred = examples.order("ven-100", "venetoclax 100 MG Oral Tablet", 100, start=check_day())
    tens = examples.order("ven-10", "venetoclax 10 MG Oral Tablet", 20, start=check_day())
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [hundred, tens], [hundred, tens, posaconazole]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert card["detail"].startswith("**venetoclax**: ordered 120 mg;")
    assert "Listed but not given yet" not in card["detail"]
    assert "Also listed among the other medications" not in card["detail"]
    assert "Read as a start" in card["detail"]


@pytest.fixture
def fhir() -> Iterator[StandIn]:
    with stand_in() as server:
        yield server


def unsorted_qtc_call(fhir: StandIn) -> dict[str, Any]:
    """Gilteritinib continued, with a prefetched QTc search that the EHR's server did not sort: it sent the QTcF of
    430 ms of 2019 as the latest (its self link has no `_sort`), while yesterday's is 512 ms."""
    running = examples.order("gil-0", "gilteritinib", 120, status="active")
    renewal = examples.order("gil-1", "gilteritinib", 120) | {
        "priorPrescription": {"reference": "MedicationRequest/gil-0"}}  # renews it: no duplicate
    body = examples.call("order-sign", [renewal], [running])
    body["prefetch"]["qtc"] = examples.bundle(qtcf("ecg-2019", 430, "2019-03-01T08:00:00Z"), kind="searchset") | {
        "link": [{"relation": "self", "url": f"{fhir.url}/Observation?patient=pat-1&_count=1"}]}
    return body


def test_a_prefetched_qtc_search_not_sorted_is_fetched_whole_from_the_fhir_server(dev_server: Served,
                                                                                  fhir: StandIn) -> None:
    page_two = f"{fhir.url}/Observation-page-2"
    fhir.routes["/Observation"] = (200, examples.bundle(qtcf("ecg-2019", 430, "2019-03-01T08:00:00Z"), kind="searchset")
                                   | {"link": [{"relation": "next", "url": page_two}]})
    fhir.routes["/Observation-page-2"] = (200, examples.bundle(
        qtcf("ecg-new", 512, f"{check_day(1)}T08:00:00Z"), kind="searchset"))
    body = unsorted_qtc_call(fhir) | {"fhirServer": fhir.url}
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
    searched = [path for path, _ in fhir.seen if path.startswith("/Observation")]
    assert len(searched) == 2
    assert "_sort" not in searched[0]
    assert "_count=1000" in searched[0]  # a page as large as the server gives: the whole search within 20 pages


def test_a_prefetched_qtc_search_not_sorted_without_a_fhir_server_is_said_on_the_card(dev_server: Served,
                                                                                      fhir: StandIn) -> None:
    body = unsorted_qtc_call(fhir)
    body["prefetch"]["qtc"]["entry"].append({"resource": qtcf("ecg-new", 512, f"{check_day(1)}T08:00:00Z")})
    body["prefetch"]["qtc"]["entry"].append({"resource": qtcf("ecg-2020", 440, "2020-03-01T08:00:00Z")})
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"  # the latest of those sent
    assert "The QTc search was not sorted by the EHR's server (`_sort` is not in its self link), so an older QTc " \
        "may have been used: check the latest in the chart." in card["detail"]
    assert fhir.seen == []
    # A FHIR server that cannot give the search whole: the same, not a 412 for a QTc that was sent.
    fhir.routes["/Observation"] = (500, {"resourceType": "OperationOutcome"})
    [card] = cards(dev_server, SIGN, body | {"fhirServer": fhir.url})
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
    assert "The QTc search was not sorted by the EHR's server" in card["detail"]
    assert len(fhir.seen) == 1


@pytest.mark.parametrize("reverse", [False, True])
def test_orders_of_one_dose_in_two_products_are_not_added_up(dev_server: Served, reverse: bool) -> None:
    # 400 mg as 100 mg tablets and 400 mg as 50 mg tablets, both active from one day: a product switched, most
    # likely, not 800 mg. Added up, the card said "ordered 800 mg" and nothing of a duplicate.
    hundred = examples.order("ven-a", "venetoclax 100 MG Oral Tablet", 400, status="active", start="2026-10-01")
    fifty = examples.order("ven-b", "venetoclax 50 MG Oral Tablet", 400, status="active", start="2026-10-01")
    posaconazole = examples.order("posa-d", "posaconazole", 300)
    listed = [fifty, hundred] if reverse else [hundred, fifty]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [posaconazole], listed))
    assert card["detail"].startswith("**venetoclax**: ordered 400 mg;")
    assert "given together" not in card["detail"]
