"""The public example requests (HL7 PDDI-CDS, the spec, cqframework's Epic request) through a real `dosecheck serve`.

Material fetched from public repositories is never committed here (the project's rule): the
requests are read from the steering repository's `shared/cds-hooks-requests` beside this checkout
(its PROVENANCE.md gives each file's repository, commit, path, licence and any change), or from
`DOSECHECK_PUBLIC_REQUESTS`; without them this module is skipped, saying so.

Requests that name a `fhirServer` the service would contact (https, or http to loopback) get it pointed
at a stand-in FHIR server. The tests then never reach the network or another process's port, and they
decide what the EHR's server holds. Nothing else in a request is changed.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in, start_serve, stop_serve
from tests.cds_hooks.test_hooks import SELECT, SIGN, cards

PUBLIC = pathlib.Path(os.environ.get("DOSECHECK_PUBLIC_REQUESTS")
                      or pathlib.Path(__file__).resolve().parents[3] / "shared" / "cds-hooks-requests")
if not (PUBLIC / "PROVENANCE.md").is_file():
    pytest.skip(f"the public example requests are not at {PUBLIC} (see this module's docstring)",
                allow_module_level=True)
PDDI = "HL7/PDDI-CDS/input/images"
OPIOID = "cqframework/opioid-cds-r4/input"
SPEC = "HL7/cds-hooks/excerpts"
EPIC = f"{OPIOID}/tests/results/hook.json"
SERVICE_FOR = {"order-select": SELECT, "order-sign": SIGN}
REQUIRED_KEYS = ("medicationRequests", "medicationStatements", "qtc")

INVALID_JSON = [
    f"{PDDI}/artifacts/warfarin-nsaids/warfarin-nsaids-cds-request.json",  # a curl command line
    f"{OPIOID}/images/requests/OpioidCDSREC08OrderSign/request-example-rec-08-order-sign-mme-less-than-fifty.json",
    f"{OPIOID}/images/requests/OpioidCDSREC12PatientView/request-example-rec-12-patient-view-in-criteria-met.json",
]
UNSERVED_HOOKS = {
    f"{PDDI}/requests/request-warfarin-nsaid-scenario-01.json": "medication-prescribe",
    f"{SPEC}/index.md-v2.0.1-L199-224-patient-view.json": "patient-view",
    f"{OPIOID}/images/requests/HelloWorld/HelloWorld.json": "patient-view",
}
VENETOCLAX_DIGOXIN_CYCLOSPORINE = "Venetoclax: avoid digoxin; reduce to 200 mg with cyclosporine"
ORDERS = {
    # file -> the card summaries when the patient is also on venetoclax
    f"{PDDI}/requests/digoxin-cyclosporine-order-select-coordination.json": [VENETOCLAX_DIGOXIN_CYCLOSPORINE],
    f"{PDDI}/requests/digoxin-cyclosporine-order-sign-coordination.json": [VENETOCLAX_DIGOXIN_CYCLOSPORINE],
    f"{PDDI}/requests/digoxin-cyclosporine-order-sign-no-coordination.json": [VENETOCLAX_DIGOXIN_CYCLOSPORINE],
    # Warfarin is on the list already; the new drugs (ketorolac, digoxin) are what the card is about.
    f"{PDDI}/requests/multi-update-draft-orders-3.json": ["Venetoclax: avoid digoxin"],
    # Venetoclax with warfarin is old advice (both already active); ketorolac is new and changes nothing.
    f"{PDDI}/requests/warfarin-nsaids-order-select-coordination.json": [],
    f"{PDDI}/requests/warfarin-nsaids-order-sign-coordination.json": [],
    f"{SPEC}/index.md-fb10ca77-L307-369-order-sign-pagination.json": [],  # amoxicillin
    f"{SPEC}/old-docs-examples.md-fb10ca77-L140-188-order-select-radiology.json": [],  # an MRA: no medication
    f"{OPIOID}/images/requests/OpioidCDSREC08OrderSign/noPrefetch.json": [],  # fentanyl patch
    f"{OPIOID}/images/requests/OpioidCDSREC10/request-example-rec-10-illicit-drugs-POS-Opiate-non-synthetic.json": [],
    EPIC: [],  # morphine, named by medicationReference.display only
}
PDDI_SELECT_THEN_SIGN = (f"{PDDI}/requests/multi-update-draft-orders-2.json",
                         f"{PDDI}/requests/multi-update-draft-orders-4.json")
"""PDDI's coordination pair: same clinician, patient and encounter; they remember state, so they are
checked on a server of their own, not among ORDERS on the shared one."""
ALL_ORDERS = [*ORDERS, *PDDI_SELECT_THEN_SIGN]


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[StandIn]:
    with stand_in() as server:  # one for the module: each stand-in takes half a second to shut down
        yield server


@pytest.fixture
def fhir(fhir_server: StandIn) -> StandIn:
    """The EHR's FHIR server, empty: every search is a 404 until a test gives it routes."""
    fhir_server.routes.clear()
    fhir_server.seen.clear()
    return fhir_server


def public(name: str) -> bytes:
    return (PUBLIC / name).read_bytes()


def request(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(public(name))
    return body


def outcome(response: Any, status: int, code: str, expression: tuple[str, ...] = ()) -> str:
    """The diagnostics of the OperationOutcome (one issue, at `expression`) that must come back with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    [issue] = body["issue"]
    assert (issue["severity"], issue["code"], issue.get("expression", [])) == ("error", code, list(expression))
    diagnostics: str = issue["diagnostics"]
    return diagnostics


def patient_id(body: dict[str, Any]) -> str:
    return str(body["context"]["patientId"]).removeprefix("Patient/")


def active_orders(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The active MedicationRequests the file prefetched, under whatever keys it used (PDDI: item1..item6)."""
    found = []
    for value in (body.get("prefetch") or {}).values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            found += [e["resource"] for e in value.get("entry", [])
                      if e["resource"]["resourceType"] == "MedicationRequest" and e["resource"]["status"] == "active"]
    return found


def on_venetoclax(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The file's active orders, and venetoclax 400 mg daily, for the file's patient."""
    venetoclax = examples.order("ven-active", "venetoclax", 400, status="active")
    return [*active_orders(body), venetoclax | {"subject": {"reference": f"Patient/{patient_id(body)}"}}]


def serve_fhir(fhir: StandIn, medication_requests: list[dict[str, Any]]) -> None:
    """The EHR's FHIR server: these medication orders, no statements, no QTc."""
    fhir.routes["/MedicationRequest"] = (200, examples.bundle(*medication_requests, kind="searchset"))
    fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
    fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))


def discovered_hooks(served: Served) -> dict[str, str]:
    services = served.client.get(f"{served.base}/cds-services").json()["services"]
    return {s["hook"]: s["id"] for s in services}


def test_the_public_set_is_what_the_tests_name() -> None:
    named = {*INVALID_JSON, *UNSERVED_HOOKS, *ALL_ORDERS}
    assert {str(p.relative_to(PUBLIC)) for p in PUBLIC.rglob("*.json")} == named
    assert sum(p.stat().st_size for p in PUBLIC.rglob("*") if p.is_file()) < 300_000
    assert b"REDACTED" in public(EPIC)


@pytest.mark.parametrize("name", INVALID_JSON)
def test_invalid_json_is_400_saying_it_cannot_be_decoded(dev_server: Served, name: str) -> None:
    raw = public(name)
    with pytest.raises(ValueError):  # noqa: PT011 -- the file really is not JSON
        json.loads(raw)
    for service in (SELECT, SIGN):
        diagnostics = outcome(dev_server.call(service, raw), 400, "structure")
        assert diagnostics.startswith("the body is not valid JSON (at line ")


@pytest.mark.parametrize(("name", "hook"), UNSERVED_HOOKS.items())
def test_a_hook_dosecheck_does_not_serve_is_400_at_each_service_and_404_by_its_name(
        dev_server: Served, name: str, hook: str) -> None:
    raw = public(name)
    assert request(name)["hook"] == hook
    services = discovered_hooks(dev_server)
    assert hook not in services
    for service_id in services.values():
        diagnostics = outcome(dev_server.call(service_id, raw), 400, "value", ("hook",))
        assert f"not {hook!r}" in diagnostics
    outcome(dev_server.call(hook, raw), 404, "not-found")


@pytest.mark.parametrize("name", ALL_ORDERS)
def test_what_is_not_prefetched_is_fetched_and_no_aml_agent_means_no_cards(dev_server: Served, fhir: StandIn,
                                                                           name: str) -> None:
    # None of these prefetches dosecheck's keys, so the lists come from the EHR's FHIR server, which here
    # holds what the file prefetched under its own keys. The drugs (digoxin, cyclosporine, warfarin,
    # ketorolac, amoxicillin, fentanyl, morphine) are all known, none is an AML agent or backbone: nothing
    # to check. An unrecognised draft would be answered with a "Not checked" card, never with silence.
    body = request(name)
    assert SERVICE_FOR[body["hook"]] == discovered_hooks(dev_server)[body["hook"]]
    serve_fhir(fhir, active_orders(body))
    assert cards(dev_server, SERVICE_FOR[body["hook"]], examples.with_fhir_server(body, fhir.url)) == []
    asked = {path.split("?", 1)[0] for path, _ in fhir.seen if f"patient={patient_id(body)}&" in path}
    assert asked == {"/MedicationRequest", "/MedicationStatement", "/Observation"}


@pytest.mark.parametrize("name", ALL_ORDERS)
def test_without_prefetch_and_with_a_fhir_server_that_has_nothing_it_is_412_naming_each_key(
        dev_server: Served, fhir: StandIn, name: str) -> None:
    body = request(name)  # the FHIR server answers every search with a 404
    diagnostics = outcome(dev_server.call(SERVICE_FOR[body["hook"]], examples.with_fhir_server(body, fhir.url)),
                          412, "processing")
    for key in REQUIRED_KEYS:
        assert f"{key}: the FHIR server answered HTTP 404" in diagnostics


@pytest.mark.parametrize("name", ORDERS)
def test_the_public_orders_for_a_patient_on_venetoclax(dev_server: Served, fhir: StandIn, name: str) -> None:
    body = request(name)
    serve_fhir(fhir, on_venetoclax(body))
    answer = cards(dev_server, SERVICE_FOR[body["hook"]], examples.with_fhir_server(body, fhir.url))
    assert [c["summary"] for c in answer] == ORDERS[name]
    for card in answer:
        assert card["indicator"] == "critical"  # avoid digoxin
        deletes = [a["resourceId"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "delete"]
        # Only the order-select drafts carry an id; an order without one cannot be named for deletion.
        assert deletes == (["MedicationRequest/digoxin-order-select-test"] if body["hook"] == "order-select" else [])


def test_pddi_coordination_leaves_out_at_sign_the_card_shown_at_select(tmp_path: pathlib.Path, fhir: StandIn) -> None:
    select, sign = (request(name) for name in PDDI_SELECT_THEN_SIGN)
    assert select["extension"]["pddi-configuration-items"]["cache-for-order-sign-filtering"] is True
    assert sign["extension"]["pddi-configuration-items"]["filter-out-repeated-alerts"] is True
    served = start_serve(tmp_path)
    try:
        for body, expected in ((sign, [VENETOCLAX_DIGOXIN_CYCLOSPORINE]),  # nothing remembered yet
                               (select, [VENETOCLAX_DIGOXIN_CYCLOSPORINE]),  # shown, and remembered
                               (sign, [])):  # the same clinician, patient and encounter: not shown twice
            serve_fhir(fhir, on_venetoclax(body))
            answer = cards(served, SERVICE_FOR[body["hook"]], examples.with_fhir_server(body, fhir.url))
            assert [c["summary"] for c in answer] == expected
    finally:
        stop_serve(served)


def test_pddi_coordination_does_not_hide_a_card_shown_without_an_encounter(dev_server: Served, fhir: StandIn) -> None:
    # This PDDI order-select sends no encounterId and its order-sign sends e301. Cards are left out only for
    # the same clinician, patient and encounter, so the card shown at selection is shown again at signing.
    select = request(f"{PDDI}/requests/digoxin-cyclosporine-order-select-coordination.json")
    sign = request(f"{PDDI}/requests/digoxin-cyclosporine-order-sign-coordination.json")
    assert select["extension"]["pddi-configuration-items"]["cache-for-order-sign-filtering"] is True
    assert sign["extension"]["pddi-configuration-items"]["filter-out-repeated-alerts"] is True
    serve_fhir(fhir, on_venetoclax(select))
    for body, service in ((select, SELECT), (sign, SIGN)):
        [card] = cards(dev_server, service, examples.with_fhir_server(body, fhir.url))
        assert card["summary"] == VENETOCLAX_DIGOXIN_CYCLOSPORINE


def test_the_radiology_example_as_published_is_412_since_its_fhir_server_is_plain_http(dev_server: Served) -> None:
    name = f"{SPEC}/old-docs-examples.md-fb10ca77-L140-188-order-select-radiology.json"
    assert request(name)["fhirServer"] == "http://hooks.smarthealthit.org:9080"
    diagnostics = outcome(dev_server.call(SELECT, public(name)), 412, "processing")  # the bytes as published
    for key in REQUIRED_KEYS:
        assert f"{key}: not in the prefetch, and fhirServer is not https" in diagnostics


def test_the_epic_request_is_fetched_with_its_own_token_and_a_refusing_server_is_412(dev_server: Served,
                                                                                      fhir: StandIn) -> None:
    body = request(EPIC)
    assert "prefetch" not in body
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    assert "coding" not in json.dumps(order["medicationReference"])  # no RxNorm: the display is all there is
    fhir.routes["/MedicationRequest"] = (401, {"resourceType": "OperationOutcome"})  # e.g. an expired token
    fhir.routes["/MedicationStatement"] = (200, examples.bundle(kind="searchset"))
    fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
    diagnostics = outcome(dev_server.call(SIGN, examples.with_fhir_server(body, fhir.url)), 412, "processing")
    assert {auth for _, auth in fhir.seen} == {"Bearer REDACTED"}
    assert "medicationRequests: the FHIR server answered HTTP 401" in diagnostics
    assert "medicationStatements" not in diagnostics
