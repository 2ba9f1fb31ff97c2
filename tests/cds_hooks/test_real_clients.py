"""Hook calls built the way real clients build them (Epic, the CDS Hooks sandbox, STU3/R5 senders, sloppy
ones), through a real `dosecheck serve`: each case once answered wrongly, or is a shape the public examples
do not cover. What they sent is written from cds-hooks.md §13-14, not copied from any client."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, stand_in
from tests.cds_hooks.test_errors import at, issues
from tests.cds_hooks.test_hooks import SELECT, SIGN, cards

DRAFT = "context.draftOrders.entry[0].resource"
EPIC_DOSE_TYPE = "http://epic.com/CodeSystem/dose-rate-type"


def posaconazole() -> dict[str, Any]:
    return examples.order("posa-1", "posaconazole 100 MG Delayed Release Oral Tablet", 300, status="active")


def sign(*drafts: dict[str, Any], active: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return examples.call("order-sign", list(drafts), [posaconazole()] if active is None else active)


def epic_order(ident: str, reference: dict[str, Any]) -> dict[str, Any]:
    """An Epic-style draft: medicationReference only, and three typed doseAndRate entries."""
    order = examples.order(ident, "x")
    del order["medicationCodeableConcept"]
    order["medicationReference"] = reference
    order["dosageInstruction"][0]["doseAndRate"] = [
        {"type": {"coding": [{"system": EPIC_DOSE_TYPE, "code": code}]}, "doseQuantity": {"value": value, "unit": unit}}
        for code, value, unit in (("calculated", 350, "mg"), ("admin-amount", 4, "tablet"), ("ordered", 400, "mg"))]
    return order


def with_value(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`body` with the element at a call-rooted FHIRPath set to `value`."""
    body = copy.deepcopy(body)
    parent, _, name = path.rpartition(".")
    at(body, parent)[name] = value
    return body


def summaries(answer: list[dict[str, Any]]) -> list[str]:
    return [card["summary"] for card in answer]


def test_an_order_whose_medication_cannot_be_resolved_is_a_not_checked_card_not_a_400(dev_server: Served) -> None:
    # Was 400 "blank medication name": the EHR then shows nothing, and the order goes unchecked in silence.
    unresolved = epic_order("eMed.2", {"reference": "Medication/eMed-unknown"})
    venetoclax = epic_order("eVen.1", {"reference": "#m1", "display": "VENCLEXTA 100 MG TABS"})
    answer = cards(dev_server, SIGN, sign(venetoclax, unresolved))
    assert summaries(answer) == ["Venetoclax: reduce to 70 mg with posaconazole",
                                 "Not checked: 1 medication not named (MedicationRequest/eMed.2)"]
    assert "the interaction check is incomplete" in answer[1]["detail"]
    assert "names no medication" in answer[1]["detail"]
    # Alone, it is still a card: never silence.
    [card] = cards(dev_server, SIGN, sign(unresolved))
    assert card["summary"] == "Not checked: 1 medication not named (MedicationRequest/eMed.2)"


def test_a_contained_medication_names_the_order_when_the_reference_has_no_display(dev_server: Served) -> None:
    order = epic_order("eVen.1", {"reference": "#m1"})
    order["contained"] = [{"resourceType": "Medication", "id": "m1", "code": {"coding": [
        {"system": "urn:oid:2.16.840.1.113883.6.253", "code": "1", "display": "VENETOCLAX 100 MG TABLET"}]}}]
    [card] = cards(dev_server, SIGN, sign(order))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "ordered 400 mg" in card["detail"]  # the `ordered` entry, not the calculated 350 mg


def test_a_medication_sent_only_as_an_unknown_code_is_named_by_its_code(dev_server: Served) -> None:
    order = examples.order("x-1", "x", 400, code="999999")
    del order["medicationCodeableConcept"]["text"]
    del order["medicationCodeableConcept"]["coding"][0]["display"]
    answer = cards(dev_server, SIGN, sign(examples.order("ven-1", "venetoclax", 400), order))
    not_checked = answer[-1]
    assert not_checked["summary"] == "Not checked: 1 medication not recognised (RxNorm 999999)"  # was "(unnamed)"
    assert "**RxNorm 999999**: code 999999 is not in the knowledge base" in not_checked["detail"]


def test_a_dose_in_pills_is_shown_as_the_sandbox_sent_it_not_as_0_mg(dev_server: Served) -> None:
    # The sandbox: a Bundle without a type, `category` as an object, the dose in {pill}; a name giving no strength
    # per pill (with one, the pills are read in mg: test_dose_units.py).
    order = examples.order("request-123", "Venetoclax Oral Tablet")
    order["category"] = {"coding": [{"code": "outpatient"}]}
    order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 4, "system": "http://unitsofmeasure.org",
                                                                      "code": "{pill}"}}]
    body = examples.call("order-select", [order], [posaconazole()])
    del body["context"]["draftOrders"]["type"]
    [card] = cards(dev_server, SELECT, body)
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert card["detail"].startswith("**venetoclax**: ordered 4 {pill}, which is not a dose in mg; **give 70 mg**")
    update = next(a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update")
    assert update["resource"]["category"] == [{"coding": [{"code": "outpatient"}]}]  # written back as R4


@pytest.mark.parametrize("selection", ["ven-1", "https://ehr.example.org/fhir/MedicationRequest/ven-1",
                                       "MedicationRequest/not-in-the-drafts"])
def test_selections_are_matched_tolerantly_and_pointing_nowhere_shows_every_draft(dev_server: Served,
                                                                                  selection: str) -> None:
    # Was no card at all: a bare id, a full URL or a stale selection matched no draft, so nothing was "new".
    body = examples.call("order-select", [examples.order("ven-1", "venetoclax", 400)], [posaconazole()])
    body["context"]["selections"] = [selection]
    assert summaries(cards(dev_server, SELECT, body)) == ["Venetoclax: reduce to 70 mg with posaconazole"]


def test_a_selection_of_another_kind_of_order_keeps_the_other_drafts_as_context(dev_server: Served) -> None:
    body = examples.call("order-select", [examples.order("ven-1", "venetoclax", 400)], [posaconazole()])
    body["context"]["draftOrders"]["entry"].append({"resource": {
        "resourceType": "ServiceRequest", "id": "cxr-1", "status": "draft", "intent": "order",
        "subject": {"reference": f"Patient/{examples.PATIENT}"}, "code": {"text": "Chest X-ray"}}})
    body["context"]["selections"] = ["ServiceRequest/cxr-1"]
    assert cards(dev_server, SELECT, body) == []


@pytest.mark.parametrize(("path", "value", "expression", "said"), [
    ("context.draftOrders", None, "context.draftOrders", "not null"),
    ("context.draftOrders", "MedicationRequest/ven-1", "context.draftOrders", "not a string"),
    ("context.draftOrders", {}, "context.draftOrders", "not an object without a resourceType"),
    ("context.draftOrders.entry", {"resource": {}}, "context.draftOrders", "a Bundle whose entry is not an array"),
    ("context.draftOrders.entry[0].resource", None, "context.draftOrders.entry[0].resource", "but null"),
    (f"{DRAFT}.resourceType", 5, DRAFT, "but a resourceType not a string"),
])
def test_draft_orders_that_cannot_be_read_are_400_naming_where(dev_server: Served, path: str, value: Any,
                                                               expression: str, said: str) -> None:
    # Were 200 with no cards: the orders being signed went unchecked in silence.
    body = with_value(sign(examples.order("ven-1", "venetoclax", 400)), path, value)
    [issue] = issues(dev_server.call(SIGN, body), 400)
    assert (issue["code"], issue["expression"]) == ("value", [expression])
    assert said in issue["diagnostics"]


@pytest.mark.parametrize(("value", "element"), [
    ("four", "doseQuantity.value"),
    (True, "doseQuantity.value"),
    (float("inf"), "doseQuantity.value"),  # sent as 1e400, which JSON reads as infinity
])
def test_a_dose_that_is_not_a_number_is_400_at_its_element_not_read_as_no_dose(dev_server: Served, value: Any,
                                                                                element: str) -> None:
    # Were 200 saying "No dose was stated; the labelled 400 mg is assumed" about an order that stated one.
    body = with_value(sign(examples.order("ven-1", "venetoclax", 400)),
                      f"{DRAFT}.dosageInstruction[0].doseAndRate[0].doseQuantity.value", value)
    [issue] = issues(dev_server.call(SIGN, json.dumps(body).replace("Infinity", "1e400")), 400)
    assert issue["expression"][1] == f"{DRAFT}.dosageInstruction[0].doseAndRate[0].{element}"
    assert "must be a finite number" in issue["diagnostics"]


def test_a_dose_quantity_that_is_not_a_quantity_is_400_at_that_element(dev_server: Served) -> None:
    path = f"{DRAFT}.dosageInstruction[0].doseAndRate[0].doseQuantity"
    body = with_value(sign(examples.order("ven-1", "venetoclax", 400)), path, "400 mg")
    [issue] = issues(dev_server.call(SIGN, body), 400)
    assert issue["expression"][1] == path
    at(body, path)  # the element named is the one sent


def test_a_dose_sent_as_a_numeric_string_is_read_as_its_number(dev_server: Served) -> None:
    body = with_value(sign(examples.order("ven-1", "venetoclax", 400)),
                      f"{DRAFT}.dosageInstruction[0].doseAndRate[0].doseQuantity.value", "400")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


@pytest.mark.parametrize("patient", [123, {"reference": "Patient/123"}])
def test_a_patient_id_that_is_not_a_string_is_a_wrong_value_not_a_missing_one(dev_server: Served, patient: Any) -> None:
    body = with_value(sign(examples.order("ven-1", "venetoclax", 400)), "context.patientId", patient)
    [issue] = issues(dev_server.call(SIGN, body), 400)
    assert (issue["code"], issue["expression"]) == ("value", ["context.patientId"])
    assert issue["diagnostics"] == "context.patientId must be a string, the patient's FHIR id"


def test_a_medication_list_repeating_one_order_past_the_limit_is_checked_once(dev_server: Served) -> None:
    # Was 400 "251 medications in one request; at most 200": a search returning every renewal of one order.
    renewals = [examples.order(f"apap-{i}", "acetaminophen 500 MG Oral Tablet", 500, status="active")
                for i in range(250)]
    [card] = cards(dev_server, SIGN, sign(examples.order("ven-1", "venetoclax", 400),
                                          active=[*renewals, posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_more_medications_than_one_check_takes_is_a_card_saying_nothing_was_checked(dev_server: Served) -> None:
    # Was 400 "251 medications in one request; at most 200": the EHR logs it and the prescriber sees nothing.
    listed = [examples.order(f"m-{i}", f"medication number {i}", 10, status="active") for i in range(249)]
    drafts = (examples.order("ven-1", "venetoclax", 400), examples.order("posa-1", "posaconazole", 300))
    [card] = cards(dev_server, SIGN, sign(*drafts, active=[*listed, posaconazole()]))
    assert card["summary"] == "Not checked: 251 medications, more than the 200 checked at once"
    assert card["indicator"] == "warning"
    # Every order being placed is named, an agent's or not.
    assert "**no interaction or dose check was done** for **venetoclax**, **posaconazole**" in card["detail"]


@pytest.mark.parametrize(("body", "diagnostics"), [
    (b'{"hook": "order-sign", "context": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "the body nests arrays or objects too deeply to be read as JSON"),
    (b'{"hook": "\xff"}', "the body is not valid UTF-8 (at byte 10), as JSON must be"),
])
def test_a_body_json_cannot_read_says_why(dev_server: Served, body: bytes, diagnostics: str) -> None:
    # Was "There was an error parsing the body".
    [issue] = issues(dev_server.call(SIGN, body), 400)
    assert (issue["code"], issue["diagnostics"]) == ("structure", diagnostics)


@pytest.mark.parametrize(("text", "summary"), [
    ("venetoclax 100 MG Oral Tablet", "Venetoclax: reduce to 70 mg with posaconazole"),
    ("VENCLEXTA 10 mg tablet", "Venetoclax: reduce to 70 mg with posaconazole"),
    ("venetoclax (VENCLEXTA) tablet 400 mg", "Venetoclax: reduce to 70 mg with posaconazole"),
    ("TIBSOVO 250 MG TABLET", "Ivosidenib: reduce to 250 mg with posaconazole"),
    ("Vanflyta 17.7 mg tablet", "Quizartinib: reduce to 17.7 mg with posaconazole"),
])
def test_catalogue_texts_of_the_agents_in_r5_stu3_and_transaction_shapes(dev_server: Served, text: str,
                                                                          summary: str) -> None:
    dose = {"VENCLEXTA": 400, "venetoclax": 400, "TIBSOVO": 500, "Vanflyta": 26.5}[text.split()[0]]
    r4 = examples.order("a-1", text, dose)
    r5 = copy.deepcopy(r4)
    r5["medication"] = {"concept": r5.pop("medicationCodeableConcept")}
    stu3 = copy.deepcopy(r4)
    stu3["dosageInstruction"][0]["doseQuantity"] = stu3["dosageInstruction"][0].pop("doseAndRate")[0]["doseQuantity"]
    for order in (r4, r5, stu3):
        body = sign(order)
        body["context"]["patientId"] = f"Patient/{examples.PATIENT}"
        body["context"]["draftOrders"]["type"] = "transaction"
        body["context"]["draftOrders"]["entry"][0]["request"] = {"method": "POST", "url": "MedicationRequest"}
        assert summaries(cards(dev_server, SIGN, body)) == [summary], order


def test_an_epic_call_without_prefetch_is_fetched_and_an_unresolved_order_still_named(dev_server: Served) -> None:
    body = sign(epic_order("eVen.1", {"reference": "Medication/eMed1", "display": "VENETOCLAX 100 MG PO TABS"}),
                epic_order("eMed.2", {"reference": "Medication/eMed2"}))
    del body["prefetch"]
    body["fhirAuthorization"] = {"access_token": "epic-token", "token_type": "Bearer", "expires_in": 3600,
                                 "scope": "user/MedicationRequest.read user/Observation.read", "subject": "app"}
    with stand_in() as fhir:
        fhir.routes["/MedicationRequest"] = (200, examples.bundle(posaconazole(), kind="searchset"))
        fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
        fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
        answer = cards(dev_server, SIGN, examples.with_fhir_server(body, fhir.url))
    assert summaries(answer) == ["Venetoclax: reduce to 70 mg with posaconazole",
                                 "Not checked: 1 medication could not be read from the FHIR server "
                                 "(MedicationRequest/eMed.2)"]


def test_an_adjustment_to_the_dose_already_ordered_does_not_say_increase(dev_server: Served) -> None:
    # Was "Venetoclax: increase to 50 mg with posaconazole" for 50 mg ordered (the ramp-up is what changes).
    [card] = cards(dev_server, SIGN, sign(examples.order("ven-1", "venetoclax", 50)))
    assert card["summary"] == "Venetoclax: give 50 mg with posaconazole"
    assert "ordered 50 mg; **give 50 mg**" in card["detail"]


def paged(first: list[dict[str, Any]], following: str) -> dict[str, Any]:
    page = examples.bundle(*first, kind="searchset")
    page["link"] = [{"relation": "self", "url": "ignored"}, {"relation": "next", "url": following}]
    return page


def test_a_prefetched_medication_list_in_pages_is_fetched_whole_with_the_callers_token(dev_server: Served) -> None:
    # Was checked against the first page only: posaconazole, on page 2, passed unchecked.
    with stand_in() as fhir:
        fhir.routes["/page-2"] = (200, paged([], f"{fhir.url}/page-3"))
        fhir.routes["/page-3"] = (200, examples.bundle(posaconazole(), kind="searchset"))
        body = sign(examples.order("ven-1", "venetoclax", 400))
        body["prefetch"]["medicationRequests"] = paged(
            [examples.order("apap-1", "acetaminophen", 500, status="active")], f"{fhir.url}/page-2")
        body["fhirAuthorization"] = {"access_token": "page-token", "token_type": "Bearer", "expires_in": 300,
                                     "scope": "user/MedicationRequest.read", "subject": "app"}
        [card] = cards(dev_server, SIGN, examples.with_fhir_server(body, fhir.url))
        assert fhir.seen == [("/page-2", "Bearer page-token"), ("/page-3", "Bearer page-token")]
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_a_fetched_medication_list_in_pages_is_read_to_its_last_page(dev_server: Served) -> None:
    with stand_in() as fhir:
        fhir.routes["/MedicationRequest"] = (200, paged([], f"{fhir.url}/MedicationRequest-2"))
        fhir.routes["/MedicationRequest-2"] = (200, examples.bundle(posaconazole(), kind="searchset"))
        fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
        fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
        body = sign(examples.order("ven-1", "venetoclax", 400))
        del body["prefetch"]
        [card] = cards(dev_server, SIGN, examples.with_fhir_server(body, fhir.url))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


@pytest.mark.parametrize(("server", "following", "diagnostics"), [
    (None, "https://fhir.example.org/page-2",
     "medicationRequests: the prefetch is one page of several, and no fhirServer to fetch it from"),
    ("stand-in", "https://elsewhere.example.org/page-2",
     "medicationRequests: a next page of the search is not on fhirServer"),
])
def test_pages_that_cannot_be_had_are_412(dev_server: Served, server: str | None, following: str,
                                          diagnostics: str) -> None:
    body = sign(examples.order("ven-1", "venetoclax", 400))
    body["prefetch"]["medicationRequests"] = paged([], following)
    with stand_in() as fhir:
        if server:
            body = examples.with_fhir_server(body, fhir.url)
        response = dev_server.call(SIGN, body)
        assert fhir.seen == []  # the caller's token never goes to another host
    [issue] = issues(response, 412)
    assert issue["code"] == "processing"
    assert issue["diagnostics"] == f"required data could not be had: {diagnostics}"
