"""Hook calls as real EHRs send them (s19), through a real `dosecheck serve`.

- A coded order whose name states another dose than its dose field: "venetoclax 100 mg daily" with an RxNorm coding
  and 10 mg in the field was "give 10 mg with posaconazole", the 100 mg unsaid (the engine reads an uncoded name
  only).
- An entry of the patient's list holding no resource was left out in silence: the posaconazole it stood for never
  seen.
- `Timing.code` WK or MO (HL7's timing abbreviations, weekly and monthly) alone was a frequency not known, read as
  the label's once a day with no card.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, StandIn, stand_in
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_ehr_followups3 import qtcf
from tests.cds_hooks.test_ehr_followups5 import ecg_panel, gilteritinib_continued
from tests.cds_hooks.test_hooks import SIGN, cards

VENETOCLAX_RXCUI = "1747556"  # cds-hooks.md section 15
GILTERITINIB_RXCUI = "2105806"
GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"


def posaconazole() -> dict[str, Any]:
    return examples.order("posa-1", "posaconazole", 300, status="active")


def venetoclax_start(name: str, dose_mg: float) -> dict[str, Any]:
    return examples.order("ven-1", name, dose_mg, start=check_day(), code=VENETOCLAX_RXCUI)


@pytest.fixture
def fhir() -> Iterator[StandIn]:
    with stand_in() as server:
        yield server


@pytest.mark.parametrize("in_text", [True, False], ids=["concept-text", "coding-display"])
def test_a_coded_venetoclax_order_naming_another_dose_is_checked_as_a_dose_not_read(dev_server: Served,
                                                                                     in_text: bool) -> None:
    # Was "Venetoclax: give 10 mg with posaconazole": 10 mg checked, the name's 100 mg daily never said.
    draft = venetoclax_start("venetoclax 100 mg daily", 10)
    if not in_text:
        del draft["medicationCodeableConcept"]["text"]  # the name is the RxNorm coding's display
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole()]))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert ("ordered two doses: 10 mg in the dose field, 100 mg in the name ('venetoclax 100 mg daily'), which "
            "disagree; **give 70 mg**") in card["detail"]


def test_a_coded_gilteritinib_order_naming_another_dose_says_its_dose_was_not_read(dev_server: Served) -> None:
    # Was no card: 120 mg in the field, the name's 40 mg daily unsaid.
    draft = examples.order("gil-1", "gilteritinib 40 mg daily", 120, start=check_day(), code=GILTERITINIB_RXCUI)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], qtc_ms=430))
    assert card["summary"] == "Gilteritinib: dose not read (two doses: 120 mg in the dose field, 40…), 120 mg assumed"


def test_an_rxnorm_product_name_is_its_strength_not_a_second_dose(dev_server: Served) -> None:
    draft = venetoclax_start("venetoclax 100 MG Oral Tablet", 400)
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole()]))
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert "two doses" not in card["detail"]


def assert_withheld_in_part(answer: list[dict[str, Any]], said: str) -> None:
    reduce, not_checked = answer
    assert reduce["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert (not_checked["summary"], not_checked["indicator"]) == (
        "Not checked: the EHR withheld part of the patient's list", "warning")
    assert f"**The EHR withheld part of medicationRequests**: it says '{said}'." in not_checked["detail"]


def test_a_prefetched_entry_without_a_resource_makes_the_check_incomplete(dev_server: Served) -> None:
    # Was the venetoclax card alone: the entry (an order the EHR's server did not give) left out unsaid.
    body = examples.call("order-sign", [venetoclax_start("venetoclax", 400)], [posaconazole()])
    body["prefetch"]["medicationRequests"]["entry"].append(
        {"fullUrl": "https://fhir.example.org/r4/MedicationRequest/vori-1", "search": {"mode": "match"}})
    assert_withheld_in_part(cards(dev_server, SIGN, body), "1 of its 2 entries holds no resource")


def test_a_fetched_entry_without_a_resource_makes_the_check_incomplete(dev_server: Served, fhir: StandIn) -> None:
    empty = examples.bundle(kind="searchset")
    fhir.routes["/MedicationRequest"] = (200, examples.bundle(posaconazole(), kind="searchset") | {"entry": [
        {"resource": posaconazole()}, {"resource": "MedicationRequest/vori-1"}, {"fullUrl": "vori-2"}]})
    fhir.routes["/MedicationStatement"] = fhir.routes["/Observation"] = (200, empty)
    body = examples.call("order-sign", [venetoclax_start("venetoclax", 400)], prefetch=False) | {"fhirServer": fhir.url}
    assert_withheld_in_part(cards(dev_server, SIGN, body), "2 of its 3 entries hold no resource")


@pytest.mark.parametrize(("code", "words"), [("WK", "weekly"), ("MO", "monthly")])
def test_a_timing_code_weekly_or_monthly_alone_is_a_frequency_to_confirm(dev_server: Served, code: str,
                                                                         words: str) -> None:
    # Was no card: gilteritinib 120 mg weekly checked as the label's 120 mg once daily.
    draft = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    dosage = draft["dosageInstruction"][0]
    del dosage["text"]
    dosage["timing"] = {"code": {"coding": [{"system": GTS, "code": code}]}}
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], qtc_ms=430))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"
    assert f"'{words}' gives gilteritinib on a schedule that is not a number of doses a day" in card["detail"]


def with_an_undated_panel(qtcf_ms: float, qtcb_ms: float) -> dict[str, Any]:
    """Gilteritinib continued, a QTcF of 450 ms two days ago, and an ECG panel with no date."""
    body = gilteritinib_continued()
    body["prefetch"]["qtc"] = examples.bundle(qtcf("qtc-1", 450, f"{check_day(2)}T08:00:00Z"), kind="searchset")
    panel = ecg_panel(("76634-5", qtcf_ms), ("76635-2", qtcb_ms))
    del panel["effectiveDateTime"]
    body["prefetch"]["qtcPanels"] = examples.bundle(panel, kind="searchset")
    return body


def test_an_undated_panel_is_judged_by_its_qtcf_not_its_higher_qtcb(dev_server: Served) -> None:
    # The label judges QTcF (USPI 2.3): the panel's QTcF 440 ms is below the dated 450 ms, its QTcB of 510 ms aside.
    assert cards(dev_server, SIGN, with_an_undated_panel(440, 510)) == []


def test_an_undated_panel_whose_qtcf_is_above_the_dated_qtc_asks_for_an_ecg(dev_server: Served) -> None:
    [card] = cards(dev_server, SIGN, with_an_undated_panel(520, 440))
    assert (card["summary"], card["indicator"]) == ("Gilteritinib: QTc unreadable, ECG needed", "warning")
    assert ("(Observation/ecg-panel: QTcF 520 ms with no date, whether it is newer cannot be told)"
            in card["detail"])


def test_a_draft_naming_an_agent_among_other_drugs_is_checked(dev_server: Served) -> None:
    # Was no card at all: "Aza/Ven 400" names two drugs, so it was a co-medication beside no regimen, and venetoclax
    # 400 mg was ordered beside posaconazole unchecked (USPI 2.4: 70 mg).
    draft = examples.order("azaven-1", "Aza/Ven 400", start=check_day())
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole()]))
    assert (card["summary"], card["indicator"]) == ("Venetoclax: reduce to 70 mg with posaconazole", "warning")


def test_a_medication_of_an_agent_and_another_drug_is_checked_for_both(dev_server: Served) -> None:
    # A Medication of two ingredients, named by them ("venetoclax / posaconazole"), in tablets: was no card.
    product = {"resourceType": "Medication", "id": "kit-1", "ingredient": [
        {"itemCodeableConcept": {"text": "venetoclax"}}, {"itemCodeableConcept": {"text": "posaconazole"}}]}
    draft = examples.order("kit-order-1", "x", start=check_day())
    del draft["medicationCodeableConcept"]
    draft |= {"medicationReference": {"reference": "#kit-1"}, "contained": [product]}
    draft["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 4, "unit": "{tablet}"}}]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft]))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert "ordered 4 {tablet}, which is not a dose in mg; **give 70 mg**" in card["detail"]


def test_one_dose_for_an_agent_and_another_drug_is_the_agents_dose_not_read(dev_server: Served) -> None:
    # Was 200 with no card, then (5a36a11) a 400 at the dose that lost every card of the call. Which part of 400 mg is
    # venetoclax cannot be told: its dose is not read, the dose to give said (fixer C2 of s19).
    draft = examples.order("v-1", "venetoclax / posaconazole", 400, start=check_day())
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft]))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert ("**venetoclax**: ordered one dose of 400 mg for venetoclax and posaconazole, which cannot be split between "
            "them; **give 70 mg**") in card["detail"]


@pytest.mark.parametrize(("repeat", "text"), [
    ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon"]}, "Mondays"),
    ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon", "thu"]}, "once daily"),
    ({"dayOfWeek": ["mon"]}, ""),
    ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["M"]}, ""),
    ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["M", "Th"]}, "once daily"),
    # Were daily, no card: a day not written as FHIR's code left the repeat unread, giving way to the daily text.
    ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["MON"]}, "once daily"),
    ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["monday", "Thursday"]}, "once daily"),
], ids=["mondays", "two-days-beside-a-daily-text", "days-alone", "no-day-code", "no-day-code-beside-a-daily-text",
        "upper-case-code", "day-names"])
def test_an_agent_given_on_some_days_of_the_week_is_a_frequency_to_confirm(dev_server: Served, repeat: dict[str, Any],
                                                                          text: str) -> None:
    # Was no card: gilteritinib 120 mg on Mondays only checked as the label's once a day (USPI 2.2).
    draft = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    dosage = draft["dosageInstruction"][0]
    dosage["timing"]["repeat"] = repeat
    if text:
        dosage["text"] = text
    else:
        del dosage["text"]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], qtc_ms=430))
    assert card["summary"] == "Gilteritinib: give 120 mg; frequency not read: confirm it"


def test_every_day_of_the_week_is_daily(dev_server: Served) -> None:
    draft = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    repeat = draft["dosageInstruction"][0]["timing"]["repeat"]
    repeat["dayOfWeek"] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert cards(dev_server, SIGN, examples.call("order-sign", [draft], qtc_ms=430)) == []
    repeat["dayOfWeek"] = ["Monday", "TUE", "wed", "Thursday", "fri", "sat", "SUN", "mon"]  # any case, a day twice
    assert cards(dev_server, SIGN, examples.call("order-sign", [draft], qtc_ms=430)) == []


def test_untyped_doses_that_disagree_are_no_dose_read(dev_server: Served) -> None:
    # Was "Venetoclax: give 70 mg" checked at 400 mg, the first entry, the 100 mg beside it unsaid; gilteritinib 120 mg
    # and 240 mg was no card.
    draft = venetoclax_start("venetoclax", 400)
    draft["dosageInstruction"][0]["doseAndRate"].append({"doseQuantity": {"value": 100, "unit": "mg"}})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], [posaconazole()]))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert "ordered two doses: 400 mg and 100 mg in doseAndRate, which disagree; **give 70 mg**" in card["detail"]
    gilteritinib = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    gilteritinib["dosageInstruction"][0]["doseAndRate"].append({"doseQuantity": {"value": 240, "unit": "mg"}})
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [gilteritinib], qtc_ms=430))
    assert card["summary"] == "Gilteritinib: dose not read (two doses: 120 mg and 240 mg in doseAnd…), 120 mg assumed"


def test_untyped_entries_of_one_dose_are_that_dose(dev_server: Served) -> None:
    gilteritinib = examples.order("gil-1", "gilteritinib", 120, start=check_day())
    gilteritinib["dosageInstruction"][0]["doseAndRate"] += [{"doseQuantity": {"value": 0.12, "unit": "g"}},
                                                           {"doseQuantity": {"value": 3, "unit": "tablet"}}]
    assert cards(dev_server, SIGN, examples.call("order-sign", [gilteritinib], qtc_ms=430)) == []
