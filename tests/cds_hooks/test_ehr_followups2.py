"""The rest of an EHR integrator's review (s11/ehr2), through a real `dosecheck serve` on loopback.

The not-checked card says why by reason and names what matters first (F9); a CodeableConcept sent as a string
is read as its text (F9, m01); the summary names the drugs that set the dose, DetectedIssues are titled by their
mechanism, and an "avoid" card is critical only by its own findings (F11); a call is authenticated before its body
is read, feedback counts one outcome per card and service, a refused CORS preflight is an OperationOutcome (F13);
a current order whose end date has passed is said to look stale (F1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from service.cds_hooks.store import Store
from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Keys, Served, StandIn, sign, stand_in, start_serve, stop_serve
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SELECT, SIGN, VENETOCLAX_START, cards

ORIGIN = "https://ehr.hospital.example"


def venetoclax_with(*names: str) -> dict[str, Any]:
    """Venetoclax 400 mg being signed, the patient taking each of `names` (an active order each)."""
    return examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())],
                         [examples.order(f"med-{i}", name, 10, status="active") for i, name in enumerate(names)])


def detected_issues(card: dict[str, Any]) -> list[str]:
    return [a["resource"]["code"]["text"] for s in card.get("suggestions", ()) for a in s["actions"]
            if a.get("resource", {}).get("resourceType") == "DetectedIssue"]


# --- F9: the not-checked card -------------------------------------------------------------------------------------

def test_the_not_checked_summary_says_why_by_reason(dev_server: Served) -> None:
    # Was "Not checked: 3 medications not recognised (...)" for all three.
    _, card = cards(dev_server, SIGN, venetoclax_with("posaconazole", "turmeric 500 mg capsule", "zorblaxin 5 mg",
                                                "acyclovr 400 mg"))
    assert card["summary"] == ("Not checked: 3 medications: 1 not reviewed (turmeric 500 mg capsule); "
                               "2 not recognised (acyclovr 400 mg, zorblaxin 5 mg)")
    # The detail lists them in the same order, each with why.
    assert card["detail"].index("**turmeric 500 mg capsule**") < card["detail"].index("**acyclovr 400 mg**") \
        < card["detail"].index("**zorblaxin 5 mg**")
    assert "Did you mean: acyclovir?" in card["detail"]


def test_a_summary_too_long_for_every_name_shows_the_known_drug_first(dev_server: Served) -> None:
    # Was cut at 139 characters inside the compounded names, the not-reviewed one (last by name) not shown.
    compounded = [f"{letter} compounded cream 2% with lidocaine, diphenhydramine and Maalox 1:1:1 susp"
                  for letter in ("Aaa", "Bbb", "Ccc")]
    start, card = cards(dev_server, SIGN, venetoclax_with(*compounded, "turmeric 500 mg capsule"))
    assert start["summary"] == VENETOCLAX_START
    summary = card["summary"]
    assert summary.startswith("Not checked: 4 medications: 1 not reviewed (turmeric 500 mg capsule); "
                              "3 not recognised (Aaa compounded cream 2% with lidocaine,…")
    assert summary.endswith("more)")
    assert len(summary) < 140


def test_a_medication_the_fhir_server_refused_is_said_unreadable_not_unrecognised(dev_server: Served) -> None:
    order = examples.order("gil-1", "x", 120)
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/med-401"}
    with stand_in() as fhir:
        fhir.routes["/Medication/med-401"] = (401, {"resourceType": "OperationOutcome"})
        body = examples.with_fhir_server(examples.call("order-sign", [order]), fhir.url)
        body["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                     "scope": "user/Medication.read", "subject": "app"}
        [card] = cards(dev_server, SIGN, body)
    # Was "Not checked: 1 medication not recognised (MedicationRequest/gil-1)".
    assert card["summary"] == ("Not checked: 1 medication could not be read from the FHIR server "
                               "(MedicationRequest/gil-1)")
    assert "could not be read from the FHIR server: the FHIR server answered HTTP 401" in card["detail"]


def test_a_codeable_concept_sent_as_a_string_is_read_as_its_text(dev_server: Served) -> None:
    # m01: was "Not checked: 1 medication not recognised", its detail "it names no medication (no text, ...)".
    body = venetoclax_with("posaconazole")
    draft = body["context"]["draftOrders"]["entry"][0]["resource"]
    draft["medicationCodeableConcept"] = "venetoclax 100 MG Oral Tablet"
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    [update] = [a for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    assert update["resource"]["medicationCodeableConcept"] == {"text": "venetoclax 100 MG Oral Tablet"}


def test_a_medication_element_of_the_wrong_type_is_said_so(dev_server: Served) -> None:
    body = venetoclax_with()
    draft = body["context"]["draftOrders"]["entry"][0]["resource"]
    draft["medicationCodeableConcept"] = ["venetoclax"]
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Not checked: 1 medication not named (MedicationRequest/ven-1)"
    assert ("it names no medication that can be read: medicationCodeableConcept is an array, not a CodeableConcept"
            in card["detail"])


# --- F11: the agent card's summary, DetectedIssues and indicator -------------------------------------------------

def test_the_summary_names_the_drugs_that_set_the_dose_only(dev_server: Served) -> None:
    # a01: was "reduce to 70 mg with clarithromycin and posaconazole"; clarithromycin alone gives 100 mg.
    [card] = cards(dev_server, SIGN, venetoclax_with("clarithromycin", "posaconazole"))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "venetoclax with clarithromycin (cyp3a4 strong inhibitor)" in card["detail"]  # still a finding
    # Two drugs of one rule set the same dose: both are named.
    [card] = cards(dev_server, SIGN, venetoclax_with("clarithromycin", "voriconazole"))
    assert card["summary"] == "Venetoclax: reduce to 100 mg with clarithromycin and voriconazole"


def test_detected_issues_say_their_mechanism_and_the_qt_burden_its_drugs(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, venetoclax_with("clarithromycin", "levofloxacin", "ondansetron"))
    titles = detected_issues(card)
    # Was "venetoclax: QTc threshold, monitor" for five QT drugs together.
    assert "venetoclax with clarithromycin, levofloxacin, ondansetron (qt prolongation): monitor" in titles
    assert "- *major*: venetoclax with clarithromycin, levofloxacin, ondansetron (qt prolongation):" in card["detail"]
    assert not any("QTc" in title for title in titles)


def test_detected_issues_of_the_same_drugs_are_told_apart(dev_server: Served) -> None:
    # b01: "gilteritinib with posaconazole: monitor" was there twice (the CYP3A and the QT finding).
    body = examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120)],
                         [examples.order("posa-1", "posaconazole", 300, status="active")])
    [card] = cards(dev_server, SIGN, body)
    titles = detected_issues(card)
    assert len(titles) == len(set(titles))
    assert {"gilteritinib with posaconazole (cyp3a4 strong inhibitor): monitor",
            "gilteritinib with posaconazole (qt prolongation): monitor"} <= set(titles)


def test_an_avoid_card_is_critical_by_the_severity_of_its_own_findings(dev_server: Served) -> None:
    # b01: the moderate 5-HT2B "avoid escitalopram" was critical because a QT finding (monitor) is major.
    [card] = cards(dev_server, SIGN, examples.gilteritinib_with_escitalopram())
    assert card["summary"] == "Gilteritinib: avoid escitalopram"
    assert "*moderate*: escitalopram with gilteritinib (serotonergic receptor)" in card["detail"]
    assert "*major*: gilteritinib with escitalopram (qt prolongation)" in card["detail"]
    assert card["indicator"] == "warning"
    # A major finding saying to avoid: critical.
    [card] = cards(dev_server, SIGN, venetoclax_with("St. John's wort 300 mg capsule"))
    assert card["summary"] == "Venetoclax: avoid st john's wort"
    assert card["indicator"] == "critical"


# --- F1: a current order whose end date has passed ----------------------------------------------------------------

def test_an_active_order_whose_end_has_passed_is_counted_and_said_stale(dev_server: Served) -> None:
    voriconazole = examples.order("vori-1", "voriconazole", 200, status="active", start=check_day(120))
    voriconazole["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = check_day(78)
    body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())],
                         [voriconazole])
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 100 mg with voriconazole"  # still counted
    assert "**Current medications that look stale**" in card["detail"]
    assert (f"voriconazole (MedicationRequest/vori-1, active): its end, dosageInstruction[0].timing.repeat."
            f"boundsPeriod.end, was {check_day(78)}, 78 days before this check; still counted as taken"
            in card["detail"])
    # An end still to come says nothing.
    voriconazole["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = check_day(-5)
    [card] = cards(dev_server, SIGN, body)
    assert "look stale" not in card["detail"]


# --- F13: authentication first, feedback counted once, CORS refusal ---------------------------------------------

def test_a_call_without_a_valid_token_is_401_whatever_its_body(secured_server: Served) -> None:
    """Was 400 or 415 naming the body's fields (e04_auth_order)."""
    feedback = f"{secured_server.base}/cds-services/{SIGN}/feedback"
    service = f"{secured_server.base}/cds-services/{SIGN}"
    calls = {
        "not JSON": (service, examples.INVALID_JSON, "application/json"),
        "no hookInstance": (service, json.dumps({"hook": "order-sign", "context": {}}), "application/json"),
        "text/plain": (service, json.dumps(examples.venetoclax_with_posaconazole()), "text/plain"),
        "bad feedback": (feedback, json.dumps({"feedback": [{"card": "c", "outcome": "ignored"}]}), "application/json"),
        "unknown service": (f"{secured_server.base}/cds-services/nope", "{}", "application/json"),
    }
    for case, (url, body, content_type) in calls.items():
        response = secured_server.client.post(url, content=body, headers={"Content-Type": content_type})
        assert response.status_code == 401, (case, response.text)
        assert response.json()["issue"][0]["code"] == "security", case
        assert response.headers["www-authenticate"] == "Bearer", case


def test_a_valid_token_then_has_its_body_read(secured_server: Served, jwks_server: StandIn, keys: Keys) -> None:
    token = sign(keys.rsa, "RS384", "rsa-1", f"{secured_server.base}/cds-services/{SIGN}",
                 jku=f"{jwks_server.url}/jwks.json")
    response = secured_server.call(SIGN, examples.INVALID_JSON, token)
    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "structure"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Its own server: the feedback counted here must not meet other tests' feedback in dev_server's database."""
    served = start_serve(tmp_path_factory.mktemp("ehr2"), "--http-cors-origin", ORIGIN)
    yield served
    stop_serve(served)


def post_feedback(served: Served, service: str, card: str, outcome: str, at: str) -> Any:
    item: dict[str, Any] = {"card": card, "outcome": outcome, "outcomeTimestamp": at}
    if outcome == "accepted":
        item["acceptedSuggestions"] = [{"id": "s-1"}]
    return served.client.post(f"{served.base}/cds-services/{service}/feedback", json={"feedback": [item]})


def report(served: Served) -> dict[str, tuple[int, int, tuple[tuple[str, int], ...]]]:
    store = Store(served.db)
    try:
        return {row.kind: (row.accepted, row.overridden, row.reasons) for row in store.report()}
    finally:
        store.close()


def test_feedback_resent_with_new_timestamps_counts_one_outcome_per_card(served: Served) -> None:
    # e02: one card accepted 3 times and overridden 3 times was "accepted 3, overridden 3, 50%".
    [card] = cards(served, SIGN, examples.venetoclax_with_posaconazole())
    for minute in range(3):
        assert post_feedback(served, SIGN, card["uuid"], "accepted", f"2026-12-01T10:0{minute}:00Z").status_code == 200
    for minute in range(3, 6):
        assert post_feedback(served, SIGN, card["uuid"], "overridden", f"2026-12-01T10:0{minute}:00Z"
                             ).status_code == 200
    assert report(served)["dose-change"] == (0, 1, (("(none given)", 1),))  # its latest outcome, once


def test_the_latest_outcome_is_the_latest_in_time_whatever_the_offsets(served: Served) -> None:
    # 10:00+05:00 is 05:00Z, an hour before 06:00Z: compared as text it sorted last, and its outcome won.
    [card] = cards(served, SIGN, examples.gilteritinib_with_escitalopram())
    before = report(served)
    assert post_feedback(served, SIGN, card["uuid"], "overridden", "2026-12-01T10:00:00+05:00").status_code == 200
    assert post_feedback(served, SIGN, card["uuid"], "accepted", "2026-12-01T06:00:00Z").status_code == 200
    after = report(served)
    [kind] = [k for k in after if after[k] != before.get(k)]
    accepted, overridden, _ = before.get(kind, (0, 0, ()))
    assert after[kind][:2] == (accepted + 1, overridden)


def test_feedback_sent_to_the_service_that_did_not_issue_the_card_is_refused(served: Served) -> None:
    gilteritinib = examples.order("gil-1", "gilteritinib", 120)
    [card] = cards(served, SIGN, examples.call("order-sign", [gilteritinib], qtc_ms=510))
    before = report(served)
    response = post_feedback(served, SELECT, card["uuid"], "overridden", "2026-12-01T11:00:00Z")
    assert response.status_code == 400
    [issue] = response.json()["issue"]
    assert issue["expression"] == ["feedback[0].card"]
    assert f"is a card of {SIGN}: send its feedback to /cds-services/{SIGN}/feedback" in issue["diagnostics"]
    assert report(served) == before  # nothing stored
    assert post_feedback(served, SIGN, card["uuid"], "overridden", "2026-12-01T11:00:00Z").status_code == 200
    assert report(served)["hold"][1] == 1


def test_a_refused_cors_preflight_is_an_operation_outcome(served: Served) -> None:
    response = served.client.options(f"{served.base}/cds-services/{SIGN}", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/fhir+json"
    [issue] = response.json()["issue"]
    assert (issue["code"], issue["diagnostics"]) == ("security", "CORS preflight refused: Disallowed CORS origin")
    # The configured origin is still let in.
    allowed = served.client.options(f"{served.base}/cds-services/{SIGN}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert (allowed.status_code, allowed.headers["access-control-allow-origin"]) == (200, ORIGIN)

