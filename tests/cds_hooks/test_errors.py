"""Errors through a real `dosecheck serve`: status, and OperationOutcome issues saying what is wrong and where.

Each issue's `expression` is FHIRPath (FHIR R4 OperationOutcome.issue.expression): rooted at the
resource for an element of a FHIR resource, and at the hook call for where that element was sent.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, stand_in
from tests.cds_hooks.test_hooks import SELECT, SIGN

DOSE = "dosageInstruction[0].doseAndRate[0].doseQuantity.value"
_STEP = re.compile(r"\.?([A-Za-z_][\w-]*)|\[(\d+)\]")


def issues(response: Any, status: int) -> list[dict[str, Any]]:
    """The issues of the R4 OperationOutcome that must come back with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    OperationOutcome.model_validate(body)
    assert all(issue["severity"] == "error" and issue["diagnostics"] for issue in body["issue"])
    found: list[dict[str, Any]] = body["issue"]
    return found


def at(document: Any, path: str) -> Any:
    """The value a request-rooted FHIRPath of element names and indexes points to in the JSON sent."""
    for name, index in _STEP.findall(path):
        document = document[int(index)] if index else document[name]
    return document


def with_dose(body: dict[str, Any], entry: int, value: float) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["context"]["draftOrders"]["entry"][entry]["resource"]["dosageInstruction"][0]["doseAndRate"][0][
        "doseQuantity"]["value"] = value
    return body


def test_invalid_json_says_where_as_line_column_and_character(dev_server: Served) -> None:
    text = json.dumps(examples.venetoclax_with_posaconazole(), indent=2).replace('"hook":', '"hook"', 1)
    with pytest.raises(json.JSONDecodeError) as error:
        json.loads(text)
    [issue] = issues(dev_server.call(SIGN, text), 400)
    assert issue["code"] == "structure"
    assert issue["diagnostics"] == (f"the body is not valid JSON (at line {error.value.lineno}, column "
                                    f"{error.value.colno}, character {error.value.pos}: Expecting ':' delimiter)")
    assert error.value.lineno > 1
    assert "expression" not in issue


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
@pytest.mark.parametrize("path", [f"/cds-services/{SIGN}", f"/cds-services/{SIGN}/feedback"])
def test_a_body_not_sent_as_json_is_415_naming_the_content_type(dev_server: Served, content_type: str | None,
                                                                path: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = dev_server.client.post(f"{dev_server.base}{path}", headers=headers,
                                      content=json.dumps(examples.venetoclax_with_posaconazole()))
    [issue] = issues(response, 415)
    assert response.headers["accept"] == "application/json"
    assert issue["code"] == "not-supported"
    assert issue["expression"] == ["http.Content-Type"]
    sent = f"it came as {content_type!r}" if content_type else "it came without one"
    assert issue["diagnostics"] == f"the call's Content-Type must be application/json; {sent}"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json;charset=UTF-8",
                                          "Application/JSON", "application/fhir+json"])
def test_json_with_parameters_or_a_json_suffix_is_answered(dev_server: Served, content_type: str) -> None:
    response = dev_server.client.post(f"{dev_server.base}/cds-services/{SIGN}", headers={"Content-Type": content_type},
                                      content=json.dumps(examples.venetoclax_with_posaconazole()).encode())
    assert response.status_code == 200, response.text
    assert [c["summary"] for c in response.json()["cards"]] == ["Venetoclax: reduce to 70 mg with posaconazole"]


@pytest.mark.parametrize(("body", "expected"), [
    ({"hook": "order-sign"}, [("required", "hookInstance", "hookInstance: Field required"),
                              ("required", "context", "context: Field required")]),
    ({"hook": "order-sign", "hookInstance": "x", "context": []},
     [("value", "context", "context: Input should be a valid dictionary")]),
    ({"hook": "order-sign", "hookInstance": "x", "context": {}, "fhirAuthorization": {"token_type": "Bearer"}},
     [("required", "fhirAuthorization.access_token", "fhirAuthorization.access_token: Field required")]),
])
def test_a_call_that_does_not_fit_the_spec_names_each_field(dev_server: Served, body: Any,
                                                            expected: list[tuple[str, str, str]]) -> None:
    found = issues(dev_server.call(SIGN, body), 400)
    assert [(i["code"], i["expression"], i["diagnostics"]) for i in found] == [
        (code, [expression], diagnostics) for code, expression, diagnostics in expected]
    for issue in found:  # each field is in the body, or would be one level under what is
        parent, _, _ = issue["expression"][0].rpartition(".")
        assert isinstance(at(body, parent) if parent else body, dict)


@pytest.mark.parametrize(("raw", "code", "diagnostics"), [
    ("[]", "structure", "the body must be a JSON object, not an array"),
    ("", "required", "the body is empty: send the call as a JSON object"),
])
def test_a_body_that_is_not_an_object_says_so(dev_server: Served, raw: str, code: str, diagnostics: str) -> None:
    [issue] = issues(dev_server.call(SIGN, raw), 400)
    assert (issue["code"], issue["diagnostics"]) == (code, diagnostics)


def test_feedback_fields_are_named_by_their_json_path(dev_server: Served) -> None:
    feedback = {"feedback": [{"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-01-05T10:00:00Z"}]}
    response = dev_server.client.post(f"{dev_server.base}/cds-services/{SIGN}/feedback", json=feedback)
    [issue] = issues(response, 400)
    assert (issue["code"], issue["expression"]) == ("value", ["feedback[0].outcome"])
    assert issue["diagnostics"].startswith("feedback[0].outcome: Input should be 'accepted' or 'overridden'")


@pytest.mark.parametrize(("service", "change", "code", "expression", "diagnostics"), [
    (SELECT, {}, "value", "hook", f"service {SELECT} answers the order-select hook, not 'order-sign'"),
    (SIGN, {"patientId": None}, "required", "context.patientId", "context.patientId is required"),
    (SIGN, {"patientId": "pat 1"}, "value", "context.patientId", "context.patientId is not a FHIR id"),
    (SIGN, {"draftOrders": None}, "required", "context.draftOrders", "context.draftOrders is required"),
])
def test_a_context_that_does_not_fit_the_hook_names_the_field(dev_server: Served, service: str,
                                                              change: dict[str, Any], code: str, expression: str,
                                                              diagnostics: str) -> None:
    body = examples.venetoclax_with_posaconazole()
    for key, value in change.items():
        if value is None:
            del body["context"][key]
        else:
            body["context"][key] = value
    [issue] = issues(dev_server.call(service, body), 400)
    assert (issue["code"], issue["expression"], issue["diagnostics"]) == (code, [expression], diagnostics)


def test_a_negative_dose_is_reported_at_the_order_the_ehr_sent(dev_server: Served) -> None:
    # Venetoclax is the second draft order, and the first medication the engine checks: the issue is about
    # entry[1] of draftOrders, not regimen[0].
    body = examples.call("order-sign", [examples.order("aza-1", "azacitidine", 75),
                                        examples.order("ven-1", "venetoclax", -5)])
    [issue] = issues(dev_server.call(SIGN, body), 400)
    sent = f"context.draftOrders.entry[1].resource.{DOSE}"
    assert issue["code"] == "value"
    assert issue["expression"] == [f"MedicationRequest.{DOSE}", sent]
    assert issue["diagnostics"] == (f"MedicationRequest/ven-1 (venetoclax) at {sent}: must be a finite number from 0 "
                                    "(not stated) to 100000 mg, got -5.0")
    assert at(body, sent) == -5
    assert "regimen" not in issue["diagnostics"]


def test_every_bad_dose_is_an_issue_of_its_own_in_the_drafts_and_the_prefetch(dev_server: Served) -> None:
    # 200 g is 200,000 mg: over the limit once read in mg, whatever the unit the EHR wrote.
    posaconazole = examples.order("posa-1", "posaconazole", 200, status="active")
    posaconazole["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] |= {"unit": "g", "code": "g"}
    body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", -400),
                                        examples.order("aza-1", "azacitidine", -75)], [posaconazole])
    found = issues(dev_server.call(SIGN, body), 400)
    assert sorted(i["expression"][1] for i in found) == [
        f"context.draftOrders.entry[0].resource.{DOSE}", f"context.draftOrders.entry[1].resource.{DOSE}",
        f"prefetch.medicationRequests.entry[0].resource.{DOSE}"]
    assert {i["expression"][0] for i in found} == {f"MedicationRequest.{DOSE}"}
    assert any(i["diagnostics"].startswith("MedicationRequest/posa-1 (posaconazole) at prefetch.") for i in found)


def test_the_dose_that_counts_is_the_one_reported_stu3_and_typed_entries(dev_server: Served) -> None:
    stu3 = examples.order("ven-1", "venetoclax", -400)
    dosage = stu3["dosageInstruction"][0]
    dosage["doseQuantity"] = dosage.pop("doseAndRate")[0]["doseQuantity"]
    epic = examples.epic_order_sign()["context"]["draftOrders"]["entry"][0]["resource"]
    epic["dosageInstruction"][0]["doseAndRate"][2]["doseQuantity"]["value"] = -400  # `ordered`, the third
    for order, path in ((stu3, "dosageInstruction[0].doseQuantity.value"),
                        (epic, "dosageInstruction[0].doseAndRate[2].doseQuantity.value")):
        body = examples.call("order-sign", [order])
        [issue] = issues(dev_server.call(SIGN, body), 400)
        assert issue["expression"] == [f"MedicationRequest.{path}", f"context.draftOrders.entry[0].resource.{path}"]
        assert at(body, issue["expression"][1]) == -400


def test_an_impossible_start_date_is_reported_where_the_order_gives_it(dev_server: Served) -> None:
    body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start="2026-02-30")])
    [issue] = issues(dev_server.call(SIGN, body), 400)
    path = "dosageInstruction[0].timing.repeat.boundsPeriod.start"
    assert issue["expression"] == [f"MedicationRequest.{path}", f"context.draftOrders.entry[0].resource.{path}"]
    assert issue["diagnostics"].startswith(f"MedicationRequest/ven-1 (venetoclax) at context.draftOrders.entry[0]"
                                           f".resource.{path}: ")
    assert "2026-02-30" in issue["diagnostics"]


def test_a_bad_dose_fetched_from_the_fhir_server_is_named_by_its_resource(dev_server: Served) -> None:
    with stand_in() as fhir:
        fhir.routes["/MedicationRequest"] = (200, examples.bundle(
            examples.order("posa-1", "posaconazole", -300, status="active"), kind="searchset"))
        fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
        fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
        body = examples.with_fhir_server(examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400)],
                                                       prefetch=False), fhir.url)
        [issue] = issues(dev_server.call(SIGN, body), 400)
    assert issue["expression"] == [f"MedicationRequest.{DOSE}"]  # it is nowhere in the call
    assert issue["diagnostics"].startswith(f"MedicationRequest/posa-1 (posaconazole) from the FHIR server, at "
                                           f"MedicationRequest.{DOSE}: ")


@settings(max_examples=25, deadline=None, database=None)
@given(others=st.lists(st.sampled_from(["azacitidine", "decitabine", "ondansetron", "zorblaxin"]), max_size=3,
                       unique=True),
       position=st.integers(0, 3),
       dose=st.one_of(st.floats(max_value=-0.001, allow_nan=False, allow_infinity=False),
                      st.floats(min_value=100_000.001, max_value=1e12)))
def test_the_expression_of_a_refused_dose_points_at_the_value_sent(dev_server: Served, others: list[str],
                                                                     position: int, dose: float) -> None:
    drafts = [examples.order(f"o-{i}", name, 10) for i, name in enumerate(others)]
    drafts.insert(min(position, len(drafts)), examples.order("ven-1", "venetoclax", dose))
    body = examples.call("order-sign", drafts)
    [issue] = issues(dev_server.call(SIGN, body), 400)
    entry = [d["id"] for d in drafts].index("ven-1")
    assert issue["expression"][1] == f"context.draftOrders.entry[{entry}].resource.{DOSE}"
    assert at(body, issue["expression"][1]) == dose
    assert issue["diagnostics"].startswith("MedicationRequest/ven-1 (venetoclax) at ")


def repeating(body: dict[str, Any], dose: str, again: str) -> str:
    """`body` as JSON text whose first dose `dose` is given again as `again` in the same doseQuantity."""
    text = json.dumps(body)
    assert f'"value": {dose}, ' in text
    return text.replace(f'"value": {dose}, ', f'"value": {dose}, "value": {again}, ', 1)


REPEATED = "is given more than once (a key repeated in one JSON object): which of its values is meant cannot be told"


@pytest.mark.parametrize(("dose", "again", "where"), [
    ("400", "10", "context.draftOrders.entry[0]"),  # the venetoclax ordered: carded "ordered 10 mg; give 10 mg"
    ("300", "100", "prefetch.medicationRequests.entry[0]"),  # the posaconazole taken: read as 100 mg
])
def test_a_dose_given_twice_in_the_call_is_400_naming_it(dev_server: Served, dose: str, again: str,
                                                         where: str) -> None:
    text = repeating(examples.venetoclax_with_posaconazole(), dose, again)
    [issue] = issues(dev_server.call(SIGN, text), 400)
    path = f"{where}.resource.{DOSE}"
    assert issue == {"severity": "error", "code": "structure", "diagnostics": f"the body: {path} {REPEATED}",
                     "expression": [path]}


def test_a_dose_given_twice_by_the_fhir_server_is_data_not_had_naming_it(dev_server: Served) -> None:
    # The posaconazole fetched was read as 100 mg, whichever the server meant.
    fetched = examples.bundle(examples.order("posa-1", "posaconazole", 300, status="active"), kind="searchset")
    with stand_in() as fhir:
        fhir.routes["/MedicationRequest"] = (200, repeating(fetched, "300", "100").encode())
        fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
        fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
        body = examples.with_fhir_server(examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400)],
                                                       prefetch=False), fhir.url)
        [issue] = issues(dev_server.call(SIGN, body), 412)
    assert issue["diagnostics"] == ("required data could not be had: medicationRequests: the FHIR server's answer "
                                    f"cannot be read: entry[0].resource.{DOSE} {REPEATED}")
