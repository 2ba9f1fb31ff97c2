"""An EHR integrator's follow-ups (s15), through a real `dosecheck serve` on loopback.

A QTc search whose latest result was recorded in error is read whole for the valid QTcs before it; the summary says
what to confirm of an order whose dose field and text disagree or whose frequency was not read; current orders of
one dose alike are said to be possible duplicates; an ECG panel's QTcF is used over its QTcB, and panels are searched
for by `component-code`; a dose range of one quantity is that dose.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_ehr_followups3 import qtcf
from tests.cds_hooks.test_hooks import SIGN, cards


@pytest.fixture
def fhir() -> Iterator[StandIn]:
    with stand_in() as server:
        yield server


def gilteritinib_continued() -> dict[str, Any]:
    running = examples.order("gil-0", "gilteritinib", 120, status="active")
    return examples.call("order-sign", [examples.order("gil-1", "gilteritinib", 120)], [running])


def voided(status: str = "entered-in-error") -> dict[str, Any]:
    """Today's QTcF, recorded in error: the newest, so the one result of a search for the latest (`_count=1`)."""
    return qtcf("ecg-void", 430, f"{check_day()}T08:00:00Z") | {"status": status}


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_a_void_latest_qtc_prefetched_does_not_hide_the_valid_one_before_it(dev_server: Served, fhir: StandIn,
                                                                          status: str) -> None:
    # The prefetched search for the latest QTc held only a reading recorded in error; yesterday's 512 ms was behind
    # it. Read as no QTc, gilteritinib went on with no card at all.
    valid = qtcf("ecg-ok", 512, f"{check_day(1)}T08:00:00Z")
    fhir.routes["/Observation"] = (200, examples.bundle(voided(status), valid, kind="searchset"))
    body = gilteritinib_continued() | {"fhirServer": fhir.url}
    body["prefetch"]["qtc"] = examples.bundle(voided(status), kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
    [searched] = [path for path, _ in fhir.seen if path.startswith("/Observation")]
    assert "_sort" not in searched
    assert "_count=1000" in searched


def test_a_void_latest_qtc_fetched_does_not_hide_the_valid_one_before_it(dev_server: Served, fhir: StandIn) -> None:
    # Not prefetched: the search for the latest (`_count=1`) is fetched and its one result is void. The stand-in
    # answers by path, so the search read whole is the same first page, whose next page holds yesterday's 512 ms.
    fhir.routes["/Observation"] = (200, examples.bundle(voided(), kind="searchset") | {
        "link": [{"relation": "next", "url": f"{fhir.url}/Observation-page-2"}]})
    fhir.routes["/Observation-page-2"] = (200, examples.bundle(qtcf("ecg-ok", 512, f"{check_day(1)}T08:00:00Z"),
                                                               kind="searchset"))
    body = gilteritinib_continued() | {"fhirServer": fhir.url}
    del body["prefetch"]["qtc"]
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
    searched = [path for path, _ in fhir.seen if path.startswith("/Observation")]
    assert "_count=1&" in searched[0] or searched[0].endswith("_count=1")
    assert "_sort" not in searched[1]
    assert "_count=1000" in searched[1]


def test_a_void_latest_qtc_that_cannot_be_read_past_is_said_and_asks_for_an_ecg(dev_server: Served) -> None:
    # No fhirServer to read the search whole: no QTc is known, and the card says why instead of staying silent.
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(voided(), kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Gilteritinib: QTc unreadable, ECG needed"
    assert card["indicator"] == "warning"
    assert (f"A newer QTc could not be read and was not used (Observation/ecg-void of {check_day()}: status "
            "entered-in-error, and the QTcs before it could not be read from the EHR's FHIR server)") in card["detail"]
    assert "not sorted" not in card["detail"]


def venetoclax_ordered(ident: str, text: str, dose_mg: float) -> dict[str, Any]:
    """A venetoclax draft whose medication text is the sig (Epic's order display), the dose field apart."""
    draft = examples.order(ident, "venetoclax", dose_mg)
    draft["medicationCodeableConcept"] = {"text": text}
    return draft


AZACITIDINE = examples.order("aza-1", "azacitidine", 130, status="active")
VENETOCLAX_TAKEN = examples.order("ven-0", "venetoclax", 400, status="active")


def test_a_dose_field_its_text_contradicts_says_so_in_the_summary(dev_server: Served) -> None:
    # 100 mg in the field, four 100 mg tablets in the text: the summary said "give 100 mg (labelled dose)", as if
    # 100 mg were the label's dose, not which of the two to confirm.
    draft = venetoclax_ordered("ven-1", "VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 100)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [VENETOCLAX_TAKEN, AZACITIDINE]))
    assert card["summary"] == ("Venetoclax: give 100 mg; the order's dose field and its text disagree: confirm "
                               "the dose")
    assert "The dose field says 100 mg but the name" in card["detail"]


def test_a_frequency_not_read_says_so_in_the_summary(dev_server: Served) -> None:
    draft = venetoclax_ordered("ven-2", "venetoclax 400 mg daily BID", 400)
    del draft["dosageInstruction"][0]["timing"]
    draft["dosageInstruction"][0]["text"] = "daily BID"
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [VENETOCLAX_TAKEN, AZACITIDINE]))
    assert card["summary"] == "Venetoclax: give 400 mg; frequency not read: confirm it"


def test_a_dose_to_confirm_is_said_beside_an_interaction_setting_the_dose(dev_server: Served) -> None:
    draft = venetoclax_ordered("ven-1", "VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 100)
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [VENETOCLAX_TAKEN, posaconazole]))
    assert card["summary"] == ("Venetoclax: reduce to 70 mg with posaconazole; the order's dose field and its text "
                               "disagree: confirm the dose")


POSACONAZOLE_DRAFT = examples.order("posa-d", "posaconazole", 300)


@pytest.mark.parametrize(("first", "second"), [
    ("venetoclax 100 MG Oral Tablet", "venetoclax 50 MG Oral Tablet"),  # one dose in two products
    ("venetoclax", "venetoclax"),  # two orders alike
])
def test_two_current_orders_of_one_dose_are_said_to_be_possible_duplicates(dev_server: Served, first: str,
                                                                         second: str) -> None:
    # Both active, 400 mg each: checked as one dose of 400 mg (kept), but nothing said they may both be given.
    one = examples.order("ven-a", first, 400, status="active", start="2026-10-01")
    two = examples.order("ven-b", second, 400, status="active", start="2026-10-01")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [POSACONAZOLE_DRAFT], [one, two]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole; possible duplicate orders"
    assert card["detail"].startswith("**venetoclax**: ordered 400 mg;")
    assert (f"Possible duplicate orders: MedicationRequest/ven-a ({first}, 400 mg) and MedicationRequest/ven-b "
            f"({second}, 400 mg) are current at the same dose. Checked as one dose of 400 mg, not their sum: confirm "
            "that only one is given and the other stopped.") in card["detail"]


def test_possible_duplicate_orders_are_said_when_what_is_signed_does_not_change_their_dose(
        dev_server: Served) -> None:
    # Nothing signed acts on venetoclax: its card was left out as old advice, and so were the duplicates.
    one = examples.order("ven-a", "venetoclax", 400, status="active", start="2026-10-01")
    two = examples.order("ven-b", "venetoclax 100 MG Oral Tablet", 400, status="active", start="2026-11-01")
    acetaminophen = examples.order("apap-1", "acetaminophen", 500)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [acetaminophen], [one, two, AZACITIDINE]))
    assert card["summary"] == "Venetoclax: possible duplicate orders"
    assert card["indicator"] == "warning"
    assert "Possible duplicate orders: MedicationRequest/ven-a (venetoclax, 400 mg) and MedicationRequest/ven-b " \
        "(venetoclax 100 MG Oral Tablet, 400 mg)" in card["detail"]


def test_orders_of_different_doses_are_no_duplicates(dev_server: Served) -> None:
    one = examples.order("ven-a", "venetoclax", 400, status="active", start="2026-10-01")
    two = examples.order("ven-b", "venetoclax", 100, status="active", start="2026-09-01")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [POSACONAZOLE_DRAFT], [one, two]))
    assert "duplicate" not in card["summary"]
    assert "Possible duplicate orders" not in card["detail"]


def ecg_panel(*components: tuple[str, float]) -> dict[str, Any]:
    """Yesterday's 12-lead ECG as one Observation (LOINC 34534-8, 12 lead EKG panel), its QTcs as components."""
    return {"resourceType": "Observation", "id": "ecg-panel", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "34534-8", "display": "12 lead EKG panel"}]},
            "effectiveDateTime": f"{check_day(1)}T08:00:00Z",
            "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                           "valueQuantity": {"value": ms, "unit": "ms", "system": "http://unitsofmeasure.org",
                                             "code": "ms"}} for code, ms in components]}


@pytest.mark.parametrize("components", [
    (("76634-5", 512), ("76635-2", 470)),  # QTcF first: the QTcB after it was taken, and gilteritinib went on
    (("76635-2", 470), ("76634-5", 512)),
    (("76634-5", 512), ("8636-3", 470)),  # and before a QTc of no stated method
])
def test_of_an_ecg_panels_qtcs_the_qtcf_is_used_whatever_their_order(dev_server: Served,
                                                                     components: tuple[tuple[str, float], ...]) -> None:
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(ecg_panel(*components), kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"


def test_an_ecg_panels_qtc_component_of_no_stated_method_is_read(dev_server: Served) -> None:
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(ecg_panel(("8636-3", 512)), kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTc 512 ms on {check_day(1)})"


def test_a_qtc_inside_an_ecg_panel_is_searched_for_when_not_prefetched(dev_server: Served, fhir: StandIn) -> None:
    # A `code` search finds no Observation whose own code is the panel's: yesterday's QTcF 512 ms, a component of
    # the ECG panel, was never asked for, and the QTcF 430 ms of 2019 let gilteritinib go on with no card.
    fhir.routes["/Observation"] = (200, examples.bundle(ecg_panel(("76634-5", 512)), kind="searchset"))
    body = gilteritinib_continued() | {"fhirServer": fhir.url}
    body["prefetch"]["qtc"] = examples.bundle(qtcf("ecg-2019", 430, "2019-03-01T08:00:00Z"), kind="searchset")
    del body["prefetch"]["qtcPanels"]
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
    [searched] = [path for path, _ in fhir.seen]
    assert searched.startswith("/Observation?patient=pat-1&component-code=http")
    assert "76634-5" in searched


def test_a_qtc_inside_an_ecg_panel_prefetched_is_read(dev_server: Served) -> None:
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(qtcf("ecg-2019", 430, "2019-03-01T08:00:00Z"), kind="searchset")
    body["prefetch"]["qtcPanels"] = examples.bundle(ecg_panel(("76634-5", 512)), kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"


def test_ecg_panels_the_fhir_server_cannot_search_are_said_on_the_card_not_a_412(dev_server: Served,
                                                                                fhir: StandIn) -> None:
    fhir.routes["/Observation"] = (400, {"resourceType": "OperationOutcome"})  # no `component-code` search
    posaconazole = examples.order("posa-1", "posaconazole", 300)
    body = examples.call("order-sign", [posaconazole],
                         [examples.order("gil-0", "gilteritinib", 120, status="active")], qtc_ms=430)
    body |= {"fhirServer": fhir.url}
    del body["prefetch"]["qtcPanels"]
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"].startswith("Gilteritinib: ")
    assert ("QTcs recorded inside ECG panels could not be searched for (the FHIR server answered HTTP 400): check "
            "the latest ECG in the chart.") in card["detail"]


@pytest.mark.parametrize(("low", "high", "ordered"), [
    (400, 400, "ordered 400 mg;"),  # one quantity: that dose (was "400 mg-400 mg, which is not a dose in mg")
    (100, 400, "ordered 100 mg-400 mg, which is not a dose in mg;"),  # a true range is still not read as one dose
])
def test_a_dose_range_whose_ends_are_one_quantity_is_that_dose(dev_server: Served, low: float, high: float,
                                                               ordered: str) -> None:
    draft = examples.order("ven-1", "venetoclax", start=check_day())
    draft["dosageInstruction"][0]["doseAndRate"] = [{"doseRange": {
        "low": {"value": low, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
        "high": {"value": high, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}}]
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole]))
    assert card["detail"].startswith(f"**venetoclax**: {ordered}")
    assert card["summary"] == ("Venetoclax: reduce to 70 mg with posaconazole" if low == high
                               else "Venetoclax: give 70 mg with posaconazole")
