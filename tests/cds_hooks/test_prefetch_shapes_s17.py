"""Prefetch values that are no search result, as EHRs got them wrong (s17), through a real `dosecheck serve`.

A medication list sent as a batch-response Bundle holding the searchset, or as a `Parameters` resource, was read as a
list of resources of which none was a medication: venetoclax was checked as if the patient took nothing else, the
posaconazole in it never seen, with no card saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


@pytest.fixture
def fhir() -> Iterator[StandIn]:
    with stand_in() as server:
        yield server


def posaconazole_list() -> dict[str, Any]:
    return examples.bundle(examples.order("posa-1", "posaconazole", 300, status="active"), kind="searchset")


def wrapped(kind: str) -> dict[str, Any]:
    """The medication list's searchset, wrapped in what is no search result."""
    if kind == "batch-response":
        return {"resourceType": "Bundle", "type": "batch-response",
                "entry": [{"resource": posaconazole_list(), "response": {"status": "200 OK"}}]}
    return {"resourceType": "Parameters", "parameter": [{"name": "return", "resource": posaconazole_list()}]}


def venetoclax_start(prefetched: dict[str, Any]) -> dict[str, Any]:
    body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())])
    body["prefetch"]["medicationRequests"] = prefetched
    return body


@pytest.mark.parametrize("kind", ["batch-response", "Parameters"])
def test_a_list_wrapped_in_no_search_result_is_fetched(dev_server: Served, fhir: StandIn, kind: str) -> None:
    # Was "Venetoclax: start with the ramp-up (100, 200, 400 mg)": the posaconazole inside was never seen.
    fhir.routes["/MedicationRequest"] = (200, posaconazole_list())
    [card] = cards(dev_server, SIGN, venetoclax_start(wrapped(kind)) | {"fhirServer": fhir.url})
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert [path for path, _ in fhir.seen if path.startswith("/MedicationRequest")]


@pytest.mark.parametrize("kind", ["batch-response", "Parameters"])
def test_a_list_wrapped_in_no_search_result_without_a_fhir_server_is_412(dev_server: Served, kind: str) -> None:
    response = dev_server.call(SIGN, venetoclax_start(wrapped(kind)))
    assert response.status_code == 412, response.text
    [issue] = response.json()["issue"]
    assert issue["diagnostics"] == ("required data could not be had: medicationRequests: the prefetch holds no search "
                                    "result, and no fhirServer to fetch it from")


def test_a_list_prefetched_as_its_one_order_is_read(dev_server: Served) -> None:
    # A guard: a resource of the kind searched for, sent alone, is still a search result of one.
    body = venetoclax_start(examples.order("posa-1", "posaconazole", 300, status="active"))
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


@pytest.mark.parametrize("reference", ["Medication/123/_history/2", "https://fhir.example.org/r4/Medication/123/_history/2"])
def test_a_versioned_reference_names_the_medication_sent_in_the_call(dev_server: Served, reference: str) -> None:
    # Was "Not checked: 1 medication not named (MedicationRequest/ven-1)": the Medication beside it was not found.
    order = examples.order("ven-1", "x", 400, start=check_day())
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": reference}
    body = examples.call("order-sign", [order], [examples.order("posa-1", "posaconazole", 300, status="active")])
    body["context"]["draftOrders"]["entry"].append(
        {"resource": {"resourceType": "Medication", "id": "123", "code": {"text": "venetoclax 100 MG Oral Tablet"}}})
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_a_list_holding_less_than_its_total_is_fetched_whole(dev_server: Served, fhir: StandIn) -> None:
    # A searchset giving total 2 but holding one order and no `next` link was checked as the whole list: the
    # posaconazole order it left out was never seen ("Venetoclax: start with the ramp-up (100, 200, 400 mg)").
    short = examples.bundle(examples.order("acet-1", "acetaminophen", 500, status="active"), kind="searchset")
    fhir.routes["/MedicationRequest"] = (200, examples.bundle(
        examples.order("acet-1", "acetaminophen", 500, status="active"),
        examples.order("posa-1", "posaconazole", 300, status="active"), kind="searchset") | {"total": 2})
    [card] = cards(dev_server, SIGN, venetoclax_start(short | {"total": 2}) | {"fhirServer": fhir.url})
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    response = dev_server.call(SIGN, venetoclax_start(short | {"total": 2}))
    assert response.status_code == 412, response.text
    assert response.json()["issue"][0]["diagnostics"] == (
        "required data could not be had: medicationRequests: the prefetch holds 1 of the 2 results its total gives, "
        "with no link to the rest, and no fhirServer to fetch it from")


def test_a_list_whose_total_counts_its_includes_is_whole(dev_server: Served) -> None:
    # A guard: a server that counts the Medications it includes in `total` sends no list that is short.
    order = examples.order("posa-1", "x", 300, status="active")
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/pz"}
    listed = examples.bundle(order, {"resourceType": "Medication", "id": "pz", "code": {"text": "posaconazole"}},
                             kind="searchset") | {"total": 2}
    listed["entry"][1]["search"] = {"mode": "include"}
    [card] = cards(dev_server, SIGN, venetoclax_start(listed))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


@pytest.mark.parametrize("refetched_total", [2, 3], ids=["whole", "as-short"])
def test_a_short_list_fetched_whole_replaces_the_prefetched_one(dev_server: Served, fhir: StandIn,
                                                                 refetched_total: int) -> None:
    # The whole list was added to the part prefetched, so each prefetched order was there twice: "Venetoclax: possible
    # duplicate orders: MedicationRequest/ven-0 and MedicationRequest/ven-0". A refetch just as short of its total
    # (HL7 PDDI-CDS's examples send total 3 with one entry) is taken as it is.
    venetoclax = examples.order("ven-0", "venetoclax", 400, status="active", start=check_day(30))
    acetaminophen = examples.order("acet-1", "acetaminophen", 500, status="active")
    fhir.routes["/MedicationRequest"] = (200, examples.bundle(
        venetoclax, *([acetaminophen] if refetched_total == 2 else []), kind="searchset") | {"total": refetched_total})
    body = examples.call("order-sign", [examples.order("posa-1", "posaconazole", 300)])
    body["prefetch"]["medicationRequests"] = examples.bundle(venetoclax, kind="searchset") | {"total": 2}
    [card] = cards(dev_server, SIGN, body | {"fhirServer": fhir.url})
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "duplicate" not in card["detail"]
