"""Another patient's data in a hook call (s18), through a real `dosecheck serve`.

A prefetched order, statement or QTc whose `subject` is another patient than context.patientId was counted as this
patient's: another patient's posaconazole reduced this patient's venetoclax to 70 mg, another's QTc of 430 ms let
gilteritinib start with no ECG card. A list holding another patient's data is no answer to this patient's search
(cds-hooks.md §5: the prefetch MUST equal what the FHIR server gives for it): it is fetched from `fhirServer`, and
without one the call is a 412 naming it. A draft order for another patient is a 400 at its `subject`: which patient
the call is for cannot be told.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards

OTHER = {"reference": "Patient/other-9"}


@pytest.fixture
def fhir() -> Iterator[StandIn]:
    with stand_in() as server:
        yield server


def posaconazole(**fields: Any) -> dict[str, Any]:
    return examples.order("posa-1", "posaconazole", 300, status="active") | fields


def venetoclax_start(listed: list[dict[str, Any]]) -> dict[str, Any]:
    return examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())], listed)


def test_another_patients_listed_order_is_not_counted_and_without_a_fhir_server_is_412(dev_server: Served) -> None:
    # Was "Venetoclax: reduce to 70 mg with posaconazole", the posaconazole being Patient/other-9's.
    response = dev_server.call(SIGN, venetoclax_start([posaconazole(subject=OTHER)]))
    assert response.status_code == 412, response.text
    [issue] = response.json()["issue"]
    assert issue["diagnostics"] == (
        "required data could not be had: medicationRequests: the prefetch holds MedicationRequest/posa-1 of another "
        "patient than pat-1 (Patient/other-9), and no fhirServer to fetch it from")


@pytest.mark.parametrize("reference", ["patient/other-9", "Patient/other-9/", "Patient/" + "9" * 65,
                                       "Patient/other-9/_history/", "Patient/other-9/_history"])
def test_another_patient_named_out_of_fhirs_rules_is_still_another_patient(dev_server: Served, reference: str) -> None:
    # Was "Venetoclax: reduce to 70 mg with posaconazole": a reference the strict pattern did not match was taken as
    # naming no patient, so as the call's (review 2 of s18).
    response = dev_server.call(SIGN, venetoclax_start([posaconazole(subject={"reference": reference})]))
    assert response.status_code == 412, response.text
    assert f"of another patient than pat-1 ({reference})" in response.json()["issue"][0]["diagnostics"]


def test_another_patients_listed_statement_is_412_too(dev_server: Served) -> None:
    statement = {"resourceType": "MedicationStatement", "id": "st-1", "status": "active",
                 "subject": {"reference": "https://ehr.example.org/fhir/Patient/other-9"},
                 "medicationCodeableConcept": {"text": "posaconazole"}}
    body = venetoclax_start([])
    body["prefetch"]["medicationStatements"] = examples.bundle(statement, kind="searchset")
    response = dev_server.call(SIGN, body)
    assert response.status_code == 412, response.text
    assert "medicationStatements: the prefetch holds MedicationStatement/st-1 of another patient than pat-1 " \
           "(https://ehr.example.org/fhir/Patient/other-9)" in response.json()["issue"][0]["diagnostics"]


def test_a_list_holding_another_patients_order_is_fetched_for_this_patient(dev_server: Served, fhir: StandIn) -> None:
    # The server's list for pat-1 holds no posaconazole: the venetoclax start is this patient's, with its ramp-up.
    fhir.routes["/MedicationRequest"] = (200, examples.bundle(kind="searchset"))
    body = venetoclax_start([posaconazole(subject=OTHER)]) | {"fhirServer": fhir.url}
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: start with the ramp-up (100, 200, 400 mg)"
    assert [path for path, _ in fhir.seen if path.startswith("/MedicationRequest?patient=pat-1")]


def test_a_fetched_list_holding_another_patients_order_is_412(dev_server: Served, fhir: StandIn) -> None:
    fhir.routes["/MedicationRequest"] = (200, examples.bundle(posaconazole(subject=OTHER), kind="searchset"))
    body = venetoclax_start([])
    del body["prefetch"]["medicationRequests"]
    response = dev_server.call(SIGN, body | {"fhirServer": fhir.url})
    assert response.status_code == 412, response.text
    assert response.json()["issue"][0]["diagnostics"] == (
        "required data could not be had: medicationRequests: the FHIR server's answer holds MedicationRequest/posa-1 "
        "of another patient than pat-1 (Patient/other-9)")


def test_another_patients_qtc_is_not_this_patients(dev_server: Served) -> None:
    # Was no card: Patient/x's QTc of 430 ms was taken as this patient's, so gilteritinib started with no ECG asked.
    body = examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120, start=check_day())], qtc_ms=430)
    body["prefetch"]["qtc"]["entry"][0]["resource"]["subject"] = {"reference": "Patient/x"}
    response = dev_server.call(SIGN, body)
    assert response.status_code == 412, response.text
    assert "qtc: the prefetch holds Observation/qtc-1 of another patient than pat-1 (Patient/x)" in \
        response.json()["issue"][0]["diagnostics"]


def test_this_patients_data_named_by_url_version_or_not_at_all_is_read(dev_server: Served) -> None:
    listed = [posaconazole(subject={"reference": "https://ehr.example.org/fhir/Patient/pat-1/_history/3"}),
              posaconazole(id="posa-3", subject={"reference": "patient/pat-1/"}),
              {key: value for key, value in posaconazole(id="posa-2").items() if key != "subject"}]
    [card] = cards(dev_server, SIGN, venetoclax_start(listed))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_a_draft_order_for_another_patient_is_400_at_its_subject(dev_server: Served) -> None:
    # Was "Venetoclax: reduce to 70 mg with posaconazole", the posaconazole draft being Patient/other-9's.
    drafts = [examples.order("ven-1", "venetoclax", 70, start=check_day()),
              examples.order("posa-2", "posaconazole", 300) | {"subject": OTHER}]
    response = dev_server.call(SIGN, examples.call("order-sign", drafts))
    assert response.status_code == 400, response.text
    [issue] = response.json()["issue"]
    assert issue["expression"] == ["context.draftOrders.entry[1].resource.subject.reference"]
    assert issue["diagnostics"] == (
        "context.draftOrders.entry[1].resource (MedicationRequest/posa-2) is for Patient/other-9, not the call's "
        "patient (context.patientId pat-1): another patient's order is not checked")
