"""Orders and statements naming their medication only by a reference to a Medication resource the call does not
hold (`medicationReference: {"reference": "Medication/123"}`, R5 `medication.reference`, often with no display,
as Oracle Health and Epic send them), through a real `dosecheck serve`: the Medication is read from `fhirServer`
with the caller's token, once per distinct reference, and only from fhirServer.

The shapes are FHIR R4/R5 MedicationRequest, MedicationStatement and Medication (code, ingredient strength as
a Ratio of mass to 1 tablet) as cds-hooks.md §13-14 describes them; none is copied from a client.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_dose_units import MG_100, ONE_TABLET, ingredient
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards

TOKEN = "ehr-token"
NOT_READ = "Not checked: 1 medication could not be read from the FHIR server (MedicationRequest/ven-1)"
NOT_NAMED = "Not checked: 1 medication not named (MedicationRequest/ven-1)"


def by_reference(order: dict[str, Any], reference: str) -> dict[str, Any]:
    """The order naming its medication by nothing but `reference` (no display, nothing contained)."""
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": reference}
    return order


def venetoclax_tablets(ident: str, reference: str, count: int = 4) -> dict[str, Any]:
    """A draft of `count` tablets, the strength per tablet known only from the Medication."""
    order = by_reference(examples.order(ident, "x"), reference)
    order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": count, "unit": "tablet"}}]
    return order


def posaconazole_current(reference: str) -> dict[str, Any]:
    """An active R5-style order, `medication.reference`."""
    order = examples.order("posa-1", "x", 300, status="active")
    del order["medicationCodeableConcept"]
    order["medication"] = {"reference": {"reference": reference}}
    return order


VENETOCLAX = {"resourceType": "Medication", "id": "ven-med",
              "code": {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.253", "code": "1",
                                   "display": "venetoclax oral tablet"}]},  # no strength in the name
              "ingredient": [ingredient(MG_100, ONE_TABLET)]}
POSACONAZOLE = {"resourceType": "Medication", "id": "posa-med",
                "code": {"text": "posaconazole 100 MG Delayed Release Oral Tablet"}}


def call(drafts: list[dict[str, Any]], active: list[dict[str, Any]], fhir: StandIn | None,
         token: str | None = TOKEN) -> dict[str, Any]:
    body = examples.call("order-sign", drafts, active)
    if fhir is not None:
        body = examples.with_fhir_server(body, fhir.url)
    if token is not None:
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "user/Medication.read", "subject": "app"}
    return body


def test_orders_by_reference_only_are_read_by_the_fetched_medications(dev_server: Served) -> None:
    # Was "Not checked: 2 medications not recognised": neither order names its medication in the call.
    with stand_in() as fhir:
        fhir.routes["/Medication/ven-med"] = (200, VENETOCLAX)
        fhir.routes["/Medication/posa-med"] = (200, POSACONAZOLE)
        # A ramp-up written as two orders, one by an absolute reference to the same Medication on fhirServer.
        drafts = [venetoclax_tablets("ven-1", "Medication/ven-med"),
                  venetoclax_tablets("ven-2", f"{fhir.url}/Medication/ven-med", count=2)]
        statement = by_reference(examples.order("posa-2", "x", 300, status="active"), "Medication/posa-med")
        statement["resourceType"] = "MedicationStatement"
        statement["dosage"] = statement.pop("dosageInstruction")
        body = call(drafts, [posaconazole_current("Medication/posa-med")], fhir)
        body["prefetch"]["medicationStatements"] = examples.bundle(statement, kind="searchset")
        [card] = cards(dev_server, SIGN, body)
        assert sorted(fhir.seen) == [("/Medication/posa-med", f"Bearer {TOKEN}"),
                                     ("/Medication/ven-med", f"Bearer {TOKEN}")]
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    # The count of tablets is read in mg by the fetched Medication's ingredient, the higher of the two orders.
    assert card["detail"].startswith("**venetoclax**: ordered 4 tablet x 100 mg = 400 mg; **give 70 mg**")


def test_a_medication_the_fhir_server_does_not_have_is_a_not_checked_card_saying_why(dev_server: Served) -> None:
    with stand_in() as fhir:
        fhir.routes["/Medication/posa-med"] = (200, POSACONAZOLE)
        body = call([venetoclax_tablets("ven-1", "Medication/gone")], [posaconazole_current("Medication/posa-med")],
                    fhir)
        [card] = cards(dev_server, SIGN, body)
        assert sorted(path for path, _ in fhir.seen) == ["/Medication/gone", "/Medication/posa-med"]
    assert card["summary"] == NOT_READ
    assert ("the Medication it references, Medication/gone, could not be read from the FHIR server: the FHIR "
            "server answered HTTP 404") in card["detail"]
    assert "the interaction check is incomplete" in card["detail"]


def test_a_medication_on_another_host_is_not_fetched(dev_server: Served) -> None:
    elsewhere = "https://elsewhere.example.org/fhir/Medication/ven-med"
    with stand_in() as fhir:
        [card] = cards(dev_server, SIGN, call([venetoclax_tablets("ven-1", elsewhere)], [], fhir))
        assert fhir.seen == []  # the caller's token never goes to another host
    assert card["summary"] == NOT_READ
    assert f"the Medication it references, {elsewhere}, could not be read from the FHIR server: it is not on " \
           "fhirServer" in card["detail"]


@pytest.mark.parametrize("with_server", [False, True])
def test_without_fhir_server_or_token_nothing_is_fetched_as_before(dev_server: Served, with_server: bool) -> None:
    with stand_in() as fhir:
        fhir.routes["/Medication/ven-med"] = (200, VENETOCLAX)
        body = call([venetoclax_tablets("ven-1", "Medication/ven-med")], [],
                    fhir if with_server else None, token=None)
        [card] = cards(dev_server, SIGN, body)
        assert fhir.seen == []
    assert card["summary"] == NOT_NAMED
    assert "no Medication resource it references is in the call" in card["detail"]


def test_more_distinct_medications_than_the_cap_leave_the_rest_not_checked(dev_server: Served) -> None:
    statements = []
    with stand_in() as fhir:
        for i in range(51):
            fhir.routes[f"/Medication/apap-{i}"] = (200, {"resourceType": "Medication", "id": f"apap-{i}",
                                                          "code": {"text": "acetaminophen 500 MG Oral Tablet"}})
            statements.append(by_reference(examples.order(f"apap-{i}", "x", 500, status="active"),
                                           f"Medication/apap-{i}"))
        body = call([examples.order("ven-1", "venetoclax", 400)], statements, fhir)
        answer = cards(dev_server, SIGN, body)
        assert len(fhir.seen) == 50
    assert [c["summary"] for c in answer] == [
        VENETOCLAX_START,
        "Not checked: 1 medication could not be read from the FHIR server (MedicationRequest/apap-50)"]
    assert "Medication/apap-50, could not be read from the FHIR server: more than 50 Medications to read in one " \
           "call" in answer[1]["detail"]
