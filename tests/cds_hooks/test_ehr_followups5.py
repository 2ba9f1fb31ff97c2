"""An EHR integrator's follow-ups (s15), through a real `dosecheck serve` on loopback.

A QTc search whose latest result was recorded in error is read whole for the valid QTcs before it; the summary says
what to confirm of an order whose dose field and text disagree or whose frequency was not read; current orders of
one dose alike are said to be possible duplicates; an ECG panel's QTcF is used over its QTcB, and panels are searched
for by `component-code`; a dose range of one quantity is that dose. After review (s15): void QTcs are judged per
search, panels not searched get a card of their own, the searches ask for valid readings, a new draft beside an active
order of its dose is a possible duplicate but a next cycle's order is not, and the summary keeps the duplicate flag.
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
    """Gilteritinib 120 mg renewed: the draft names the active order as its prior one, so it is no duplicate."""
    running = examples.order("gil-0", "gilteritinib", 120, status="active")
    renewal = examples.order("gil-1", "gilteritinib", 120) | {
        "priorPrescription": {"reference": "MedicationRequest/gil-0"}}
    return examples.call("order-sign", [renewal], [running])


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
    assert card["summary"] == "Venetoclax: give 100 mg; dose field and text disagree: confirm dose"
    assert "The dose field says 100 mg but the name" in card["detail"]


def test_a_frequency_not_read_says_so_in_the_summary(dev_server: Served) -> None:
    draft = venetoclax_ordered("ven-2", "venetoclax 400 mg daily BID", 400) | {
        "priorPrescription": {"reference": "MedicationRequest/ven-0"}}  # renewing the active order: no duplicate
    del draft["dosageInstruction"][0]["timing"]
    draft["dosageInstruction"][0]["text"] = "daily BID"
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [VENETOCLAX_TAKEN, AZACITIDINE]))
    assert card["summary"] == "Venetoclax: give 400 mg; frequency not read: confirm it"


def test_a_dose_to_confirm_is_said_beside_an_interaction_setting_the_dose(dev_server: Served) -> None:
    draft = venetoclax_ordered("ven-1", "VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 100)
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [VENETOCLAX_TAKEN, posaconazole]))
    assert card["summary"] == ("Venetoclax: reduce to 70 mg with posaconazole; dose field and text disagree: confirm "
                               "dose")


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
            f"({second}, 400 mg) are in effect today at the same dose (current, or being ordered now). Checked as one "
            "dose of 400 mg, not their sum: confirm that only one is given and the other stopped.") in card["detail"]


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


def test_a_new_draft_beside_an_active_order_of_one_dose_is_a_possible_duplicate(dev_server: Served) -> None:
    # The usual duplicate at sign: a new 400 mg order while the 400 mg one is active. Only signed orders were compared.
    active = examples.order("ven-0", "venetoclax", 400, status="active", start="2026-10-01")
    draft = examples.order("ven-1", "venetoclax", 400)
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [active, posaconazole]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole; possible duplicate orders"
    assert ("Possible duplicate orders: MedicationRequest/ven-1 (venetoclax, 400 mg) and MedicationRequest/ven-0 "
            "(venetoclax, 400 mg) are in effect today") in card["detail"]


@pytest.mark.parametrize("prior", ["MedicationRequest/ven-0", "MedicationRequest/ven-0/_history/2",
                                   "https://ehr.example.org/fhir/MedicationRequest/ven-0/_history/2"])
def test_a_renewal_naming_the_active_order_as_its_prior_is_no_duplicate(dev_server: Served, prior: str) -> None:
    # A versioned reference (the review: `.../_history/2` was read as "_history/2") is the order it names.
    active = examples.order("ven-0", "venetoclax", 400, status="active", start="2026-10-01")
    draft = examples.order("ven-1", "venetoclax", 400) | {"priorPrescription": {"reference": prior}}
    posaconazole = examples.order("posa-1", "posaconazole", 300, status="active")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [active, posaconazole]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "Possible duplicate orders" not in card["detail"]


def test_an_active_order_of_the_next_cycle_is_no_duplicate_of_the_current_one(dev_server: Served) -> None:
    # Cycle 2's order, active, starting in 30 days: flagged as a duplicate, the card saying to stop one.
    current = examples.order("ven-a", "venetoclax", 400, status="active", start="2026-10-01")
    next_cycle = examples.order("ven-b", "venetoclax", 400, status="active", start=check_day(-30))
    acetaminophen = examples.order("apap-1", "acetaminophen", 500)
    listed = [current, next_cycle, AZACITIDINE]
    assert cards(dev_server, SIGN, examples.call("order-sign", [acetaminophen], listed)) == []
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [POSACONAZOLE_DRAFT], [current, next_cycle]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "Possible duplicate orders" not in card["detail"]


def test_the_duplicate_flag_and_the_dose_to_confirm_survive_a_long_summary(dev_server: Served) -> None:
    # "avoid digoxin; reduce to 70 mg with posaconazole; the order's dose field and its text disagree: confirm the
    # dose; possible duplicate orders" was 151 characters: the flag, last, was what the 139-character cut dropped.
    draft = venetoclax_ordered("ven-1", "VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 100)
    one = examples.order("ven-a", "venetoclax", 400, status="active", start="2026-10-01")
    two = examples.order("ven-b", "venetoclax", 400, status="active", start="2026-10-01")
    listed = [one, two, examples.order("posa-1", "posaconazole", 300, status="active"),
              examples.order("dig-1", "digoxin", 0.125, status="active")]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], listed))
    assert card["summary"] == ("Venetoclax: avoid digoxin; reduce to 70 mg with posaconazole; possible duplicate "
                               "orders; dose field and text disagree: confirm dose")


def test_orders_of_different_doses_are_no_duplicates(dev_server: Served) -> None:
    one = examples.order("ven-a", "venetoclax", 400, status="active", start="2026-10-01")
    two = examples.order("ven-b", "venetoclax", 100, status="active", start="2026-09-01")
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [POSACONAZOLE_DRAFT], [one, two]))
    assert "duplicate" not in card["summary"]
    assert "Possible duplicate orders" not in card["detail"]


def ecg_panel(*components: tuple[str, float], when: str = "") -> dict[str, Any]:
    """A 12-lead ECG (yesterday's unless `when`) as one Observation (LOINC 34534-8, 12 lead EKG panel), its QTcs as
    components."""
    return {"resourceType": "Observation", "id": "ecg-panel", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "34534-8", "display": "12 lead EKG panel"}]},
            "effectiveDateTime": when or f"{check_day(1)}T08:00:00Z",
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
    assert card["summary"] == "Gilteritinib: monitor with posaconazole"
    assert ("QTcs recorded inside ECG panels could not be searched for (the FHIR server answered HTTP 400): check "
            "the latest ECG in the chart.") in card["detail"]


def old_qtcf_only() -> dict[str, Any]:
    """Gilteritinib renewed, the QTc search finding only a QTcF of 430 ms from 2019."""
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(qtcf("ecg-2019", 430, "2019-03-01T08:00:00Z"), kind="searchset")
    del body["prefetch"]["qtcPanels"]
    return body


def assert_panels_not_searched_card(card: dict[str, Any], why: str) -> None:
    assert card["summary"] == "Gilteritinib: ECG panels not searched, check the latest ECG"
    assert card["indicator"] == "warning"
    assert "QTc used: QTcF 430 ms on 2019-03-01, " in card["detail"]
    assert (f"QTcs recorded inside ECG panels could not be searched for ({why}): check the latest ECG in the "
            "chart.") in card["detail"]


def test_ecg_panels_the_fhir_server_cannot_search_get_a_card_of_their_own(dev_server: Served, fhir: StandIn) -> None:
    # Nothing else made a card: the line saying the panels were not searched was never shown, and gilteritinib went
    # on on a QTcF of 2019 with no card at all.
    fhir.routes["/Observation"] = (400, {"resourceType": "OperationOutcome"})
    [card] = cards(dev_server, SIGN, old_qtcf_only() | {"fhirServer": fhir.url})
    assert_panels_not_searched_card(card, "the FHIR server answered HTTP 400")


def potassium(search: str) -> dict[str, Any]:
    """What a lenient server answers to a search it ran without `component-code`: the latest Observation of any kind,
    its `self` link naming the parameters it used."""
    observation = {"resourceType": "Observation", "id": "k-1", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                   "effectiveDateTime": f"{check_day()}T07:00:00Z", "valueQuantity": {"value": 4.1, "unit": "mmol/L"}}
    return examples.bundle(observation, kind="searchset") | {"link": [{"relation": "self", "url": search}]}


def test_ecg_panels_a_lenient_server_did_not_search_for_get_a_card(dev_server: Served, fhir: StandIn) -> None:
    # The server ran the search without `component-code` (left out of its self link): its one result was the latest
    # Observation of any kind, taken as "no ECG panel", in silence.
    fhir.routes["/Observation"] = (200, potassium(f"{fhir.url}/Observation?patient=pat-1&_sort=-date&_count=1"))
    [card] = cards(dev_server, SIGN, old_qtcf_only() | {"fhirServer": fhir.url})
    assert_panels_not_searched_card(card, "the FHIR server did not search by component-code (it is not in its self "
                                          "link)")


def test_ecg_panels_prefetched_from_a_search_without_component_code_get_a_card(dev_server: Served) -> None:
    body = old_qtcf_only()
    body["prefetch"]["qtcPanels"] = potassium("https://ehr.example/fhir/Observation?patient=pat-1&_count=1")
    [card] = cards(dev_server, SIGN, body)
    assert_panels_not_searched_card(card, "the EHR's server did not search by component-code")


def test_ecg_panels_prefetched_as_an_error_with_no_fhir_server_get_a_card(dev_server: Served) -> None:
    # The EHR tried the search and failed (an OperationOutcome): dropped as if it had not been asked for.
    body = old_qtcf_only()
    body["prefetch"]["qtcPanels"] = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "not-supported", "diagnostics": "component-code is not supported"}]}
    [card] = cards(dev_server, SIGN, body)
    assert_panels_not_searched_card(card, "the prefetch holds no search result, and no fhirServer to fetch it from")


def test_ecg_panels_neither_prefetched_nor_to_be_fetched_are_done_without(dev_server: Served) -> None:
    # An EHR that prefetches no `qtcPanels` and gives no fhirServer does without them (README), not a card a call.
    assert cards(dev_server, SIGN, old_qtcf_only()) == []


def test_a_void_latest_qtc_is_said_though_the_panel_search_found_an_older_valid_one(dev_server: Served) -> None:
    # The `qtc` search's one result was recorded in error today; the panel search found a QTcF of 2019. Voidness was
    # judged over both together: the 2019 430 ms counted as "a valid QTc", and gilteritinib went on with no card.
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(voided(), kind="searchset")
    body["prefetch"]["qtcPanels"] = examples.bundle(ecg_panel(("76634-5", 430), when="2019-03-01T08:00:00Z"),
                                                    kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == "Gilteritinib: QTc unreadable, ECG needed"
    assert card["indicator"] == "warning"
    assert "QTc used: QTcF 430 ms on 2019-03-01, " in card["detail"]
    assert (f"A newer QTc could not be read and was not used (Observation/ecg-void of {check_day()}: status "
            "entered-in-error, and the QTcs before it could not be read from the EHR's FHIR server)") in card["detail"]


def test_the_qtc_searches_ask_for_valid_readings_only(dev_server: Served, fhir: StandIn) -> None:
    # A QTc recorded in error was the one result of a search for the latest: now the search leaves it out (R4
    # Observation `status`, a token, a comma for "or"); reading past it stays for servers that ignore the parameter.
    valid = "status=final,amended,corrected,preliminary"
    services = dev_server.client.get(f"{dev_server.base}/cds-services").json()["services"]
    for service in services:
        for key in ("qtc", "qtcPanels"):
            assert f"&{valid}&_sort=-date&_count=1" in service["prefetch"][key]
    fhir.routes["/Observation"] = (200, examples.bundle(kind="searchset"))
    body = gilteritinib_continued() | {"fhirServer": fhir.url}
    del body["prefetch"]["qtc"], body["prefetch"]["qtcPanels"]
    cards(dev_server, SIGN, body)
    searched = sorted(path for path, _ in fhir.seen)
    assert len(searched) == 2
    assert all(f"&{valid}&" in path for path in searched)


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


def test_a_qtc_coded_with_loincs_oid_is_read(dev_server: Served) -> None:
    # LOINC named by its OID (HL7 v3 style, still sent by interfaces converted from v2/CDA): yesterday's QTcF 512 ms
    # was no QTc at all, and gilteritinib went on with no card.
    reading = qtcf("ecg-oid", 512, f"{check_day(1)}T08:00:00Z")
    reading["code"]["coding"][0]["system"] = "urn:oid:2.16.840.1.113883.6.1"
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(reading, kind="searchset")
    [card] = cards(dev_server, SIGN, body)
    assert card["summary"] == f"Gilteritinib: hold (QTcF 512 ms on {check_day(1)})"
