"""A fifth EHR integrator's pass (s14), through a real `dosecheck serve` on loopback.

The latest QTc is the one taken last, by its instant, whatever offset the EHR writes its times with; a
Medication is found by the fullUrl of its Bundle entry (`urn:uuid:…`), as FHIR resolves references in a
Bundle; an STU3 MedicationStatement whose `taken` is `n` is not a medication taken; a listed draft or intended
statement of an agent is not a course under way; `mg(s)` and `tab(s)` are units; a QTc search the FHIR server did
not sort is read whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, cards


def qtcf(ident: str, ms: float, when: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": ident, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "76634-5"}]},
            "effectiveDateTime": when, "valueQuantity": {"value": ms, "unit": "ms"}}


def test_the_latest_qtc_is_the_one_taken_last_though_its_time_is_written_with_another_offset(
        dev_server: Served) -> None:
    # 20:00 at UTC-5 is 01:00 UTC on the next day: two hours after the 430 ms taken at 23:00 UTC. Compared as
    # text ("...T20" < "...T23"), the older 430 ms was taken as the latest and gilteritinib went on, no card.
    running = examples.order("gil-0", "gilteritinib", 120, status="active")
    renewal = examples.order("gil-1", "gilteritinib", 120) | {
        "priorPrescription": {"reference": "MedicationRequest/gil-0"}}  # renews it: no duplicate
    body = examples.call("order-sign", [renewal], [running])
    body["prefetch"]["qtc"] = examples.bundle(qtcf("ecg-late", 512, "2026-11-30T20:00:00-05:00"),
                                              qtcf("ecg-early", 430, "2026-11-30T23:00:00Z"), kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Gilteritinib: hold (QTcF 512 ms on 2026-11-30)"
    assert card["indicator"] == "critical"
    assert "QTc used: QTcF 512 ms on 2026-11-30" in card["detail"]


def test_a_medication_referenced_by_the_fullurl_of_its_draftorders_entry_is_read(dev_server: Served) -> None:
    # The draft names its Medication `urn:uuid:…` (an unsaved order's), sent beside it in draftOrders with no id.
    # It was reported as naming no medication, "no Medication resource it references is in the call".
    full_url = "urn:uuid:6f1c5d0e-8a43-4c2e-9a57-1f0b6b2f3a11"
    draft = examples.order("ven-1", "venetoclax", 400, start=check_day())
    del draft["medicationCodeableConcept"]
    draft["medicationReference"] = {"reference": full_url}
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    body = examples.call("order-sign", [draft], [posaconazole])
    body["context"]["draftOrders"]["entry"].append({"fullUrl": full_url, "resource": {
        "resourceType": "Medication",
        "code": {"coding": [{"system": examples.RXNORM, "code": "1747556", "display": "venetoclax"}]}}})
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "**give 70 mg**" in card["detail"]


def test_an_stu3_statement_not_taken_is_no_medication_taken(dev_server: Served) -> None:
    # STU3 says "the patient does not take it" by `taken: n` (R4 by the status not-taken): venetoclax was reduced
    # to 70 mg for a posaconazole the patient does not take.
    statement = {"resourceType": "MedicationStatement", "id": "st-1", "status": "active", "taken": "n",
                 "medicationCodeableConcept": {"text": "posaconazole"}, "subject": {"reference": "Patient/pat-1"}}
    body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())])
    body["prefetch"]["medicationStatements"] = examples.bundle(statement, kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: start with the ramp-up (100, 200, 400 mg)"
    assert "posaconazole" not in card["detail"]
    statement["taken"] = "y"
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"


def test_a_listed_draft_or_intended_statement_of_the_agent_does_not_make_its_order_a_continuation(
        dev_server: Served) -> None:
    # The prefetch asks for drafts too (status=active,on-hold,draft), and statements that are intended: neither
    # says the patient has had venetoclax. Taken as a course under way, the 400 mg start had no card at all; the
    # label starts venetoclax with its ramp-up (USPI 2.2).
    unsigned = examples.order("ven-other", "venetoclax", 400, status="draft")
    body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())], [unsigned])
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: start with the ramp-up (100, 200, 400 mg)"
    assert "Read as a start: the patient's current medication list has no order or statement of venetoclax " \
        "given yet" in card["detail"]
    assert "Listed but not given yet, so not taken as a course under way: MedicationRequest/ven-other (draft)." \
        in card["detail"]
    intended = {"resourceType": "MedicationStatement", "id": "st-ven", "status": "intended",
                "medicationCodeableConcept": {"text": "venetoclax"}, "subject": {"reference": "Patient/pat-1"}}
    body["prefetch"]["medicationRequests"] = examples.bundle(kind="searchset")
    body["prefetch"]["medicationStatements"] = examples.bundle(intended, kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Venetoclax: start with the ramp-up (100, 200, 400 mg)"
    assert "MedicationStatement/st-ven (intended)" in card["detail"]


def test_a_listed_active_or_held_order_of_the_agent_still_makes_its_order_a_continuation(dev_server: Served) -> None:
    for status in ("active", "on-hold"):
        running = examples.order("ven-0", "venetoclax", 400, status=status)
        body = examples.call("order-sign", [examples.order("ven-1", "venetoclax", 400, start=check_day())], [running])
        # No start (no ramp-up card); a new order beside the active one at its dose is a possible duplicate, beside
        # the held one (not given today) most likely its resumption: no card (fixer C10 of s21).
        answered = cards(dev_server, SIGN, body)
        assert [card["summary"] for card in answered] == (
            ["Venetoclax: possible duplicate orders"] if status == "active" else []), answered
        assert all("Read as a start" not in card["detail"] for card in answered)


@pytest.mark.parametrize(("quantity", "ordered"), [
    ({"value": 400, "unit": "mg(s)"}, "ordered 400 mg;"),
    ({"value": 4, "unit": "tab(s)"}, "ordered 4 tab(s) x 100 mg = 400 mg;"),
    ({"value": 4, "unit": "Tablet(s)"}, "ordered 4 Tablet(s) x 100 mg = 400 mg;"),
])
def test_a_unit_written_with_a_plural_s_is_the_unit_it_names(dev_server: Served, quantity: dict[str, Any],
                                                             ordered: str) -> None:
    # EHRs write units so (Cerner's "tab(s)", "mg(s)"): the card said "ordered 400 mg(s), which is not a dose in mg".
    draft = examples.order("ven-1", "venetoclax 100 MG Oral Tablet", start=check_day())
    draft["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": quantity}]
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert f"**venetoclax**: {ordered} **give 70 mg**" in card["detail"]


@pytest.fixture
def fhir() -> Iterator[StandIn]:
    with stand_in() as server:
        yield server


def test_a_qtc_search_the_fhir_server_did_not_sort_is_read_whole_for_the_latest(dev_server: Served,
                                                                                 fhir: StandIn) -> None:
    # The service asks for the latest QTc only (_sort=-date&_count=1). A server without _sort support leaves it
    # out of its self link (R4 Search) and returns any one: here the QTcF of 430 ms of 2019, while 512 ms of
    # yesterday is on the next page. Read as the latest, gilteritinib went on without a card.
    page_two = f"{fhir.url}/Observation-page-2"
    fhir.routes["/Observation"] = (200, examples.bundle(qtcf("ecg-2019", 430, "2019-03-01T08:00:00Z"), kind="searchset")
                                   | {"link": [{"relation": "self", "url": f"{fhir.url}/Observation?patient=pat-1"},
                                               {"relation": "next", "url": page_two}]})
    fhir.routes["/Observation-page-2"] = (200, examples.bundle(
        qtcf("ecg-new", 512, f"{check_day(1)}T08:00:00Z"), kind="searchset"))
    running = examples.order("gil-0", "gilteritinib", 120, status="active")
    renewal = examples.order("gil-1", "gilteritinib", 120) | {
        "priorPrescription": {"reference": "MedicationRequest/gil-0"}}  # renews it: no duplicate
    body = examples.call("order-sign", [renewal], [running])
    del body["prefetch"]["qtc"]
    body["fhirServer"] = fhir.url
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
    searched = [path for path, _ in fhir.seen if path.startswith("/Observation?")]
    assert len(searched) == 2
    assert "_sort=-date" in searched[0]
    assert "_sort" not in searched[1]
    # A large page, not the server's default (often 10 or 20): more than 20 pages of QTcs made the call a 412.
    assert "_count=1000" in searched[1]


def test_an_active_order_re_signed_under_its_id_is_no_start(dev_server: Served) -> None:
    # order-sign 1.1 re-signs a revised active order (its status need not be draft). The list holds the same order,
    # which is left out as the draft itself; the patient then looked like taking no venetoclax, and the card asked
    # for the posaconazole ramp-up from 10 mg on day 1 for a patient on 400 mg since October (USPI 2.4: at a steady
    # dose, reduce to 70 mg).
    listed = examples.order("ven-1", "venetoclax", 400, status="active", start="2026-10-01")
    revised = examples.order("ven-1", "venetoclax", 400, status="active", start="2026-10-01")
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [revised], [listed, posaconazole]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "Read as a start" not in card["detail"]
    assert "Ramp-up" not in card["detail"]
    [update] = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "update"]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in update["dosageInstruction"]] == [70]
    # The same order listed as the draft it still is (a search for drafts returns it) is no course under way.
    listed["status"] = revised["status"] = "draft"
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [revised], [listed, posaconazole]))
    assert "Read as a start" in card["detail"]


def test_orders_of_the_agent_in_products_of_different_strengths_from_one_day_are_one_dose(dev_server: Served) -> None:
    # Venetoclax 70 mg, the dose with posaconazole (USPI 2.4), has no tablet of its own: 50 mg and 2 x 10 mg, an
    # order each. Checked at the higher, the card said "ordered 50 mg; give 50 mg" for a patient given 70 mg.
    fifty = examples.order("ven-50", "venetoclax 50 MG Oral Tablet", 50, status="active", start="2026-10-01")
    tens = examples.order("ven-10", "venetoclax 10 MG Oral Tablet", 20, status="active", start="2026-10-01")
    new_posaconazole = examples.order("posa-d", "posaconazole", 300)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [new_posaconazole], [fifty, tens]))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"  # as for one order of 70 mg
    assert card["detail"].startswith("**venetoclax**: ordered 70 mg; **give 70 mg**")
    assert "2 orders of venetoclax given together, each a product of its own strength (MedicationRequest/ven-50 " \
        "50 mg + MedicationRequest/ven-10 20 mg): read as one dose of 70 mg." in card["detail"]
    assert "cannot give" not in card["detail"]


def test_a_dose_given_as_two_products_is_updated_as_one_order_and_the_other_removed(dev_server: Served) -> None:
    # Renewed at 100 mg + 2 x 10 mg (120 mg) beside posaconazole, for a patient already on venetoclax: the update
    # gives the 100 mg order the steady 70 mg and removes the 10 mg one, whose 20 mg would come on top.
    running = examples.order("ven-0", "venetoclax", 70, status="active", start="2026-10-01")
    hundred = examples.order("ven-100", "venetoclax 100 MG Oral Tablet", 100, start=check_day())
    tens = examples.order("ven-10", "venetoclax 10 MG Oral Tablet", 20, start=check_day())
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [hundred, tens], [running, posaconazole]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert card["detail"].startswith("**venetoclax**: ordered 120 mg; **give 70 mg**")
    [update] = [s for s in card["suggestions"] if any(a["type"] == "update" for a in s["actions"])]
    assert [(a["type"], a.get("resourceId") or a["resource"]["id"]) for a in update["actions"]] == [
        ("update", "ven-100"), ("delete", "MedicationRequest/ven-10")]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in update["actions"][0]["resource"][
        "dosageInstruction"]] == [70]
    # Not a start: the ramp-up's 10, 20 and 50 mg are no doses the update asks of the 100 mg tablets.
    assert "The ordered product (100 mg a unit) cannot give 70 mg: the order needs a product of another strength." \
        in card["detail"]


def test_orders_of_one_product_or_from_different_days_are_not_added_up(dev_server: Served) -> None:
    # A renewal listed beside the order it renews (one product), a ramp-up written as orders of its own days.
    old = examples.order("ven-a", "venetoclax 100 MG Oral Tablet", 400, status="active", start="2026-10-01")
    renewed = examples.order("ven-b", "venetoclax 100 MG Oral Tablet", 400, status="active", start="2026-10-01")
    posaconazole = examples.order("posa-d", "posaconazole", 300)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [posaconazole], [old, renewed]))
    assert card["detail"].startswith("**venetoclax**: ordered 400 mg;")
    assert "given together" not in card["detail"]
    day_1 = examples.order("ven-1", "venetoclax 100 MG Oral Tablet", 100, start=check_day())
    day_2 = examples.order("ven-2", "venetoclax 50 MG Oral Tablet", 200, start=check_day(-1))
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [day_1, day_2], [posaconazole | {"status": "active"}]))
    assert "given together" not in card["detail"]
