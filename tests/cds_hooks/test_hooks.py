"""CDS Hooks through a real `dosecheck serve` on loopback (development mode: calls not authenticated)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from interactions.schema import VERIFY_NOTE
from tests.cds_hooks import examples
from tests.cds_hooks.conftest import ROOT, Served, stand_in

SIGN = "dosecheck-order-sign"
SELECT = "dosecheck-order-select"
VENETOCLAX_START = "Venetoclax: start with the ramp-up (100, 200, 400 mg)"
"""The card of a venetoclax start ordered as one dose, without the labelled ramp-up (a warning)."""


def assert_spec_valid(answer: dict[str, Any]) -> None:
    """The spec's rules on a response: cards present, no nulls, the required fields and their invariants."""
    assert isinstance(answer["cards"], list)  # `{"cards": []}` is the one sanctioned empty value
    _no_nulls(answer["cards"])
    for card in answer["cards"]:
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
        assert card["uuid"]
        for reason in card.get("overrideReasons", []):
            assert reason["display"]
            assert reason["code"]
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("at-most-one", "any")
            for suggestion in card["suggestions"]:
                assert suggestion["label"]
                assert suggestion["uuid"]
                for action in suggestion["actions"]:
                    assert action["type"] in ("create", "update", "delete")
                    assert action["description"]
                    assert ("resourceId" in action) if action["type"] == "delete" else ("resource" in action)
                    if "resource" in action:
                        assert_r4(action["resource"])


def assert_r4(resource: dict[str, Any]) -> None:
    """The resource is R4 JSON exactly as the fhir.resources R4B model writes it (cards.py builds its own
    resources as plain JSON for speed; this is what keeps them R4)."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert model.model_dump(mode="json", exclude_none=True, by_alias=True) == resource


def _no_nulls(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            assert item is not None
            assert item != []
            assert item != {}
            _no_nulls(item)
    elif isinstance(value, list):
        for item in value:
            _no_nulls(item)


def cards(served: Served, service: str, body: Any) -> list[dict[str, Any]]:
    response = served.call(service, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_spec_valid(answer)
    result: list[dict[str, Any]] = answer["cards"]
    return result


def test_discovery_lists_order_select_and_order_sign_with_the_qtc_prefetch(dev_server: Served) -> None:
    services = dev_server.client.get(f"{dev_server.base}/cds-services").json()["services"]
    assert {(s["id"], s["hook"]) for s in services} == {(SELECT, "order-select"), (SIGN, "order-sign")}
    for service in services:
        assert set(service["prefetch"]) == {"patient", "medicationRequests", "medicationStatements", "qtc", "qtcPanels"}
        assert "http://loinc.org|8636-3" in service["prefetch"]["qtc"]


def test_venetoclax_with_posaconazole_reduce_to_70_mg_with_the_ramp_up_as_an_update(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.venetoclax_with_posaconazole())
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert card["indicator"] == "warning"
    assert "day 1 (2026-01-05): 10 mg" in card["detail"]
    assert "then 70 mg" in card["detail"]
    assert "uspi-venclexta 2.4" in card["detail"]
    assert "C1D2 (2026-01-06)" in card["detail"]
    assert card["source"]["label"].startswith("dosecheck (knowledge base ")
    update = next(a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update")
    order = update["resource"]
    assert order["resourceType"] == "MedicationRequest"
    assert order["id"] == "ven-1"
    assert order["status"] == "draft"
    doses = [(d.get("sequence"), d["doseAndRate"][0]["doseQuantity"]["value"]) for d in order["dosageInstruction"]]
    assert doses == [(1, 10), (2, 20), (3, 50), (4, 70), (5, 70)]
    assert order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] == {"start": "2026-01-05",
                                                                                 "end": "2026-01-05"}
    issues = [a["resource"] for s in card["suggestions"] for a in s["actions"]
              if a.get("resource", {}).get("resourceType") == "DetectedIssue"]
    assert issues
    assert issues[0]["severity"] == "high"
    assert {"reference": "MedicationRequest/posa-1"} in issues[0]["implicated"]


def test_a_sloppy_draft_order_comes_back_as_r4_in_the_update(dev_server: Served) -> None:
    # A string frequency, a null note and a STU3 dose without a start date: the update is written as R4.
    body = examples.venetoclax_with_posaconazole()
    venetoclax = body["context"]["draftOrders"]["entry"][0]["resource"]
    venetoclax["note"] = None
    dosage = venetoclax["dosageInstruction"][0]
    dosage["timing"]["repeat"] = {"frequency": "1", "period": 1, "periodUnit": "d"}
    dosage["doseQuantity"] = dosage.pop("doseAndRate")[0]["doseQuantity"]
    [card] = cards(dev_server, SIGN, body)  # checks every resource against the R4B models
    update = next(a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update")
    order = update["resource"]
    assert "note" not in order
    assert [d["timing"]["repeat"]["frequency"] for d in order["dosageInstruction"]] == [1] * 5
    assert order["dosageInstruction"][0]["timing"]["repeat"]["boundsDuration"]["value"] == 1
    assert "boundsDuration" not in order["dosageInstruction"][-1]["timing"]["repeat"]


def test_gilteritinib_with_escitalopram_says_avoid_and_offers_to_remove_the_order(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.gilteritinib_with_escitalopram())
    assert card["summary"].startswith("Gilteritinib: avoid escitalopram")
    assert card["indicator"] in ("warning", "critical")
    deletes = [a for s in card["suggestions"] for a in s["actions"] if a["type"] == "delete"]
    assert deletes == [{"type": "delete", "description": "Remove escitalopram (avoid with gilteritinib)",
                        "resourceId": "MedicationRequest/esc-1"}]
    assert "the gilteritinib dose does not change for it" in card["detail"]
    ecgs = [a["resource"] for s in card["suggestions"] for a in s["actions"]
            if a.get("resource", {}).get("resourceType") == "ServiceRequest"]
    assert ecgs
    assert all(r["code"]["coding"][0]["code"] == "268400002" for r in ecgs)


def test_a_source_still_to_verify_says_so_on_the_card(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [examples.order("olu-1", "olutasidenib", 400)]))
    assert card["summary"] == "Olutasidenib: reduce to 150 mg (labelled dose)"
    assert f"uspi-rezlidhia Dosage and Administration: recommended dosage ({VERIFY_NOTE})" in card["detail"]


def test_a_qtc_over_the_threshold_holds_the_agent_and_the_summary_says_why(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120)],
                                                   qtc_ms=512))
    # No gilteritinib on the patient's list: the draft is a start (tests/cds_hooks/test_ehr_followups.py).
    assert card["summary"] == "Gilteritinib: do not start (QTc 512 ms on 2026-01-02)"
    assert card["indicator"] == "critical"


def test_an_unknown_medication_fails_closed_with_a_card_naming_it(dev_server: Served) -> None:
    answer = cards(dev_server, SIGN, examples.unknown_medication())
    not_checked = [c for c in answer if c["summary"].startswith("Not checked")]
    assert len(not_checked) == 1
    assert "zorblaxin" in not_checked[0]["summary"]
    assert "incomplete" in not_checked[0]["detail"]


def test_nothing_to_say_is_an_empty_card_list(dev_server: Served) -> None:
    response = dev_server.call(SIGN, examples.call("order-sign", [examples.order("aza-1", "azacitidine", 130)]))
    assert response.json() == {"cards": []}


@pytest.mark.parametrize("build", [examples.spec_order_sign, examples.pddi_order_select])
def test_example_shapes_are_answered_with_spec_valid_cards(dev_server: Served, build: Any) -> None:
    service = SIGN if build().get("hook") == "order-sign" else SELECT
    cards(dev_server, service, build())


def test_the_spec_order_select_without_prefetch_or_reachable_server_is_412(dev_server: Served) -> None:
    response = dev_server.call(SELECT, examples.spec_order_select())
    assert response.status_code == 412
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "medicationRequests" in outcome["issue"][0]["diagnostics"]


def test_an_epic_request_without_prefetch_is_fetched_from_the_fhir_server_with_its_token(dev_server: Served) -> None:
    with stand_in() as fhir:
        fhir.routes["/MedicationRequest"] = (200, examples.bundle(
            examples.order("posa-1", "posaconazole", 300, status="active"), kind="searchset"))
        fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
        fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
        body = examples.with_fhir_server(examples.epic_order_sign(), fhir.url)
        [card] = cards(dev_server, SIGN, body)
        assert {auth for _, auth in fhir.seen} == {"Bearer epic-token"}
    # The `ordered` entry (400 mg) counts, not the calculated 350 mg or the 4 tablets.
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "ordered 400 mg" in card["detail"]
    update = next(a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update")
    assert update["resource"]["medicationReference"]["display"] == "VENETOCLAX 100 MG TABLET"


def test_a_failing_fhir_server_is_412_naming_what_is_missing(dev_server: Served) -> None:
    with stand_in() as fhir:
        fhir.routes["/MedicationRequest"] = (500, {"resourceType": "OperationOutcome"})
        fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
        fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
        response = dev_server.call(SIGN, examples.with_fhir_server(examples.epic_order_sign(), fhir.url))
    assert response.status_code == 412
    assert "medicationRequests: the FHIR server answered HTTP 500" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(("service", "body", "status"), [
    (SIGN, examples.INVALID_JSON, 400),
    (SIGN, {"hook": "order-sign"}, 400),
    (SIGN, examples.call("order-select", [examples.order("v", "venetoclax", 400)]), 400),  # the wrong hook
    ("no-such-service", examples.venetoclax_with_posaconazole(), 404),
])
def test_bad_calls_are_4xx_with_an_operation_outcome(dev_server: Served, service: str, body: Any,
                                                     status: int) -> None:
    response = dev_server.call(service, body)
    assert response.status_code == status, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_order_sign_leaves_out_cards_already_shown_at_order_select_only_when_asked(dev_server: Served) -> None:
    select = examples.venetoclax_with_posaconazole("order-select")
    select["context"]["selections"] = ["MedicationRequest/ven-1"]
    select["context"]["encounterId"] = "enc-coordination"
    select["extension"] = {"pddi-configuration-items": {"cache-for-order-sign-filtering": True}}
    assert len(cards(dev_server, SELECT, select)) == 1
    sign = examples.venetoclax_with_posaconazole()
    sign["context"]["encounterId"] = "enc-coordination"
    assert len(cards(dev_server, SIGN, sign)) == 1  # not asked: the default is not to suppress
    sign["extension"] = {"pddi-configuration-items": {"filter-out-repeated-alerts": True}}
    assert cards(dev_server, SIGN, sign) == []
    sign["context"]["userId"] = "Practitioner/attending"  # another clinician signs: shown again
    assert len(cards(dev_server, SIGN, sign)) == 1


def test_feedback_is_stored_once_and_reported_by_card_kind(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.venetoclax_with_posaconazole())
    reason = card["overrideReasons"][0]
    feedback = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-01-05T10:00:00Z",
                              "overrideReason": {"reason": reason, "userComment": "discussed with pharmacy"}}]}
    for _ in range(2):  # a retry must not count twice
        response = dev_server.client.post(f"{dev_server.base}/cds-services/{SIGN}/feedback", json=feedback)
        assert response.status_code == 200, response.text
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "protos")]), "COLUMNS": "200"}
    report = subprocess.run([sys.executable, "-m", "service", "feedback", "report", "--db", str(dev_server.db)],
                            env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    row = next(line for line in report.splitlines() if "dose-change" in line)
    assert "100%" in row
    assert reason["display"] in row
    assert "(1)" in row
