"""What an EHR integrator's review found (s11/ehr2), through a real `dosecheck serve` on loopback.

Stopped co-medications counted through their washout (F1), a new agent read as a start (F2), the QTc the check
used and a missing or unreadable one (F3, F4), several drafts of one agent (F5), one deadline for the FHIR
fetches of a call (F6), void drafts and `&lt;` in the detail (F13).
"""

from __future__ import annotations

import datetime
import pathlib
import time
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, stand_in, start_serve, stop_serve
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards


def check_day(days_before: int = 0) -> str:
    """The service's day of the check (UTC-12, the earliest date on Earth), less `days_before`."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=12)
    return (now.date() - datetime.timedelta(days=days_before)).isoformat()


def venetoclax() -> dict[str, Any]:
    return examples.order("ven-1", "venetoclax", 400, start=check_day())


def voriconazole(status: str, *, ended: str | None = None) -> dict[str, Any]:
    order = examples.order("vori-1", "voriconazole", 200, status=status, start=check_day(20))
    if ended:
        order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = ended
    return order


def test_an_inhibitor_stopped_yesterday_is_counted_through_its_washout(dev_server: Served) -> None:
    for status in ("stopped", "completed"):
        [card] = cards(dev_server, SIGN, examples.call("order-sign", [venetoclax()],
                                                 [voriconazole(status, ended=check_day(1))]))
        assert card["summary"] == "Venetoclax: reduce to 100 mg with voriconazole"
        assert "Stopped 1 day before this check: still counted until its washout of 3 days" in card["detail"]
        assert (f"timing.repeat.boundsPeriod.end, is {check_day(1)}; counted as last taken on {check_day(1)}"
                in card["detail"])


def test_a_statement_that_ended_yesterday_is_counted_by_its_effective_period(dev_server: Served) -> None:
    statement = {"resourceType": "MedicationStatement", "id": "ms-vori", "status": "completed",
                 "subject": {"reference": f"Patient/{examples.PATIENT}"},
                 "medicationCodeableConcept": {"text": "voriconazole 200 mg tablet"},
                 "effectivePeriod": {"start": check_day(20), "end": check_day(1)}}
    body = examples.call("order-sign", [venetoclax()])
    body["prefetch"]["medicationStatements"] = examples.bundle(statement, kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 100 mg with voriconazole"
    assert "effectivePeriod.end" in card["detail"]


def test_an_inhibitor_stopped_past_its_washout_no_longer_changes_the_dose(dev_server: Served) -> None:
    # The start's ramp-up only: no dose change for voriconazole.
    assert [c["summary"] for c in cards(dev_server, SIGN, examples.call(
        "order-sign", [venetoclax()], [voriconazole("stopped", ended=check_day(10))]))] == [VENETOCLAX_START]


def test_an_order_that_ended_without_a_date_counts_as_stopped_on_the_day_of_the_check(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [venetoclax()], [voriconazole("stopped")]))
    assert card["summary"] == "Venetoclax: reduce to 100 mg with voriconazole"
    assert f"it gives no end date; counted as last taken on {check_day()}, the day of this check" in card["detail"]


def test_an_agent_stopped_long_ago_is_not_checked_as_taken(dev_server: Served) -> None:
    # Venetoclax stopped months ago beside a posaconazole order being placed: was "Venetoclax: reduce to 70 mg".
    stopped = examples.order("ven-0", "venetoclax", 400, status="stopped", start=check_day(120))
    stopped["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = check_day(90)
    assert cards(dev_server, SIGN, examples.call("order-sign", [examples.order("posa-1", "posaconazole", 300)],
                                           [stopped])) == []


def test_orders_never_taken_stay_out_of_the_check(dev_server: Served) -> None:
    for status in ("cancelled", "entered-in-error"):
        assert [c["summary"] for c in cards(dev_server, SIGN, examples.call(
            "order-sign", [venetoclax()], [voriconazole(status, ended=check_day(1))]))] == [VENETOCLAX_START]


def test_a_void_draft_is_not_checked_and_gets_no_update(dev_server: Served) -> None:
    for status in ("entered-in-error", "cancelled"):
        draft = examples.order("ven-x", "venetoclax", 400, status=status)
        assert cards(dev_server, SIGN, examples.call("order-sign", [draft], [examples.order(
            "posa-1", "posaconazole", 300, status="active")])) == []


def test_a_new_quizartinib_order_above_450_ms_is_not_started(dev_server: Served) -> None:
    draft = examples.order("quiz-1", "quizartinib", 35.4)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], qtc_ms=460))
    assert card["summary"] == "Quizartinib: do not start (QTc 460 ms on 2026-01-02)"
    assert card["indicator"] == "critical"
    assert "**do not start**" in card["detail"]
    assert "Read as a start: the patient's current medication list has no order or statement of quizartinib" \
        in card["detail"]
    assert "QTc used: QTc 460 ms on 2026-01-02" in card["detail"]
    assert "&lt;" not in card["detail"]
    assert "≤ 450 ms" in card["detail"]


def test_a_draft_of_an_agent_already_taken_is_not_a_start(dev_server: Served) -> None:
    draft = examples.order("quiz-2", "quizartinib", 35.4)
    running = examples.order("quiz-0", "quizartinib", 35.4, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [running], qtc_ms=460))
    assert "do not start" not in card["summary"]
    assert "Read as a start" not in card["detail"]


def test_the_card_states_the_qtc_it_held_on_with_its_date(dev_server: Served) -> None:
    body = examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120)], qtc_ms=510)
    body["prefetch"]["qtc"]["entry"][0]["resource"]["code"]["coding"][0]["code"] = "76634-5"  # Fridericia
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Gilteritinib: do not start (QTcF 510 ms on 2026-01-02)"
    assert "QTc used: QTcF 510 ms on 2026-01-02, " in card["detail"]
    assert "days before this check." in card["detail"]


def test_a_new_agent_with_no_qtc_gets_a_card_asking_for_a_baseline_ecg(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [examples.order("quiz-1", "quizartinib", 35.4)]))
    assert card["summary"] == "Quizartinib: no QTc found, ECG before starting"
    assert card["indicator"] == "warning"
    assert "No QTc was found for this patient." in card["detail"]
    assert any(a["resource"]["resourceType"] == "ServiceRequest" for s in card["suggestions"] for a in s["actions"])


def test_a_qtc_that_cannot_be_read_is_said(dev_server: Served) -> None:
    body = examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120)], qtc_ms=500)
    observation = body["prefetch"]["qtc"]["entry"][0]["resource"]
    del observation["valueQuantity"]
    observation["valueString"] = "QTc 512 ms"
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Gilteritinib: QTc unreadable, ECG needed"
    assert "A newer QTc could not be read and was not used (Observation/qtc-1 of 2026-01-02: valueString " \
        "'QTc 512 ms')" in card["detail"]


def test_other_drafts_of_the_agent_are_named_and_removed_with_the_update(dev_server: Served) -> None:
    # A ramp-up as one order a day: day 1's, then the rest from day 2 (two drafts from the same day are their sum).
    day_one = examples.order("ven-d1", "venetoclax", 100, start=check_day())
    then = examples.order("ven-1", "venetoclax", 400, start=check_day(-1))
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [day_one, then], [posaconazole]))
    assert "Other draft orders of venetoclax in this call: MedicationRequest/ven-d1 (venetoclax, 100 mg)" \
        in card["detail"]
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    assert [(a["type"], a.get("resourceId")) for a in update["actions"]] == [
        ("update", None), ("delete", "MedicationRequest/ven-d1")]
    assert update["actions"][0]["resource"]["id"] == "ven-1"


def test_all_fhir_fetches_of_a_call_end_by_one_deadline(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    """Pages that each come just inside the per-request timeout no longer add up: 412 at the call's deadline."""
    monkeypatch.setenv("DOSECHECK_HTTP_FHIR_DEADLINE_S", "1.5")
    served = start_serve(tmp_path)
    try:
        with stand_in() as fhir:
            fhir.delay_s = 0.4
            page = examples.bundle(kind="searchset") | {"link": [{"relation": "next", "url": f"{fhir.url}/fhir/next"}]}
            for path in ("/fhir/MedicationRequest", "/fhir/MedicationStatement", "/fhir/Observation", "/fhir/next"):
                fhir.routes[path] = (200, page)
            body = examples.call("order-sign", [venetoclax()], prefetch=False)
            body |= {"fhirServer": f"{fhir.url}/fhir",
                     "fhirAuthorization": {"access_token": "t", "token_type": "Bearer"}}
            began = time.monotonic()
            response = served.call(SIGN, body)
            took = time.monotonic() - began
    finally:
        stop_serve(served)
    assert response.status_code == 412
    assert "within the 1.5 s given to all fetches of a hook call" in response.text
    assert took < 3.0  # 20 pages of 0.4 s would be 8 s


def test_a_list_the_ehr_says_it_withheld_part_of_makes_the_check_incomplete(dev_server: Served) -> None:
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    body = examples.call("order-sign", [venetoclax()], [posaconazole])
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "suppressed", "details": {
        "text": "Some results omitted: access denied to 3 MedicationRequests"}}]}
    body["prefetch"]["medicationRequests"]["entry"].append({"resource": outcome, "search": {"mode": "outcome"}})
    dose, not_checked = cards(dev_server, SIGN, body)
    assert dose["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert not_checked["summary"] == "Not checked: the EHR withheld part of the patient's list"
    assert "Some results omitted: access denied to 3 MedicationRequests" in not_checked["detail"]
    # With a name not recognised as well, the summary still says the list was withheld (it named the name only).
    body["prefetch"]["medicationRequests"]["entry"].append({"resource": examples.order(
        "x-1", "zorblaxin 5 mg", status="active")})
    dose, not_checked = cards(dev_server, SIGN, body)
    assert not_checked["summary"] == ("Not checked: part of the list withheld; 1 medication not recognised "
                                      "(zorblaxin 5 mg)")
    body["prefetch"]["medicationRequests"]["entry"].pop()
    # A notice that also says "no results" of some orders still withholds the others.
    outcome["issue"][0]["details"]["text"] = "Some results omitted (access denied); no results shown for 3 orders"
    assert cards(dev_server, SIGN, body)[1]["summary"] == "Not checked: the EHR withheld part of the patient's list"
    # "Nothing matched" withholds nothing.
    outcome["issue"] = [{"severity": "warning", "code": "processing",
                         "details": {"text": "Resource request returns no results."}}]
    assert [c["summary"] for c in cards(dev_server, SIGN, body)] == ["Venetoclax: reduce to 70 mg with posaconazole"]
