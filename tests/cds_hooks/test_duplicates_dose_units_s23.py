""""Possible duplicate orders" of a count of tablets or capsules spelt otherwise, through a server (session 23).

Review revR (should-fix 4): an agent's orders whose dose is no dose in mg (a product of no known strength) were
compared by their dose as sent, so a venetoclax draft of "4 tablet" beside its active order of "4 tab", or "4 tab(s)"
beside UCUM "4 {tbl}", had no card, though signed both give it twice. The same count of dose units is one dose
whatever the EHR's spelling of its unit (`fhir_in.dose_units_as_compared`), a tablet beside a capsule too (each agent
comes in one form: one of them is mis-entered); 4 tablets are still not 2 nor 4 mL. Each order stays named by its
dose as sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import answer

UCUM = "http://unitsofmeasure.org"
DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
ASSUMED = {"venetoclax": 400, "olutasidenib": 150}
"""The labelled dose the engine assumes for a dose not read in mg."""


def counted(ident: str, name: str, count: float, unit: dict[str, str], status: str = "draft") -> dict[str, Any]:
    """An order of `count` dose units of a product of no known strength (`unit` is the Quantity's unit and/or code)."""
    order = examples.order(ident, name, status=status)
    order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": count} | unit}]
    return order


@pytest.mark.parametrize(("name", "draft", "current", "said"), [
    ("venetoclax", (4, {"unit": "tablet"}), (4, {"unit": "tab"}), ("4 tablet", "4 tab")),
    ("venetoclax", (4, {"unit": "tab(s)"}), (4, {"system": UCUM, "code": "{tbl}"}), ("4 tab(s)", "4 {tbl}")),
    ("venetoclax", (4, {"unit": "Tablets", "system": DRUG_FORM, "code": "TAB"}),
     (4, {"system": UCUM, "code": "{pill}"}), ("4 Tablets", "4 {pill}")),
    ("olutasidenib", (1, {"unit": "capsule"}), (1, {"unit": "cap(s)", "system": DRUG_FORM, "code": "CAP"}),
     ("1 capsule", "1 cap(s)")),
    ("venetoclax", (4, {"unit": "tab"}), (4, {"unit": "capsule"}), ("4 tab", "4 capsule")),
    ("olutasidenib", (1, {"system": UCUM, "code": "{pill}"}), (1, {"system": UCUM, "code": "{cap}"}),
     ("1 {pill}", "1 {cap}")),
    # An EHR's form description as the unit (review revT, must-fix 2).
    ("venetoclax", (4, {"unit": "Tablet, film coated", "system": DRUG_FORM, "code": "TAB"}), (4, {"unit": "tab"}),
     ("4 Tablet, film coated", "4 tab")),
    ("venetoclax", (4, {"unit": "tablet (oral)", "system": UCUM, "code": "{tbl}"}),
     (4, {"system": UCUM, "code": "{tbl}"}), ("4 tablet (oral)", "4 {tbl}")),
], ids=["tablet-beside-tab", "tab(s)-beside-{tbl}", "Tablets-beside-{pill}", "capsule-beside-cap(s)",
        "tab-beside-capsule", "{pill}-beside-{cap}", "form-description-beside-tab", "tablet-(oral)-beside-{tbl}"])
def test_the_same_count_of_dose_units_spelt_otherwise_is_a_possible_duplicate(
        dev_server: Served, name: str, draft: tuple[float, dict[str, str]], current: tuple[float, dict[str, str]],
        said: tuple[str, str]) -> None:
    # Was no card: "4 tablet" and "4 tab" were compared as sent, two doses.
    [card] = answer(dev_server, [counted("d1", name, *draft)], [counted("d0", name, *current, status="active")])
    assert card["summary"] == (f"{name.capitalize()}: dose not read ({said[0]}), {ASSUMED[name]} mg assumed; "
                               "possible duplicate orders"), card["summary"]
    # Each still said as sent, not as compared.
    assert (f"Possible duplicate orders: MedicationRequest/d1 ({name}, {said[0]}, not a dose in mg) and "
            f"MedicationRequest/d0 ({name}, {said[1]}, not a dose in mg) are in effect today") in card["detail"], \
        card["detail"]


@pytest.mark.parametrize(("draft", "current"), [
    ((4, {"unit": "tab"}), (4, {"unit": "mL", "system": UCUM, "code": "mL"})),
    ((4, {"unit": "tab"}), (2, {"unit": "tab"})),
    ((4, {"unit": "tablet"}), (2, {"unit": "tab(s)"})),
    ((4, {"system": UCUM, "code": "{tbl}"}), (2, {"system": UCUM, "code": "{cap}"})),
], ids=["tab-beside-mL", "4-tab-beside-2-tab", "4-tablet-beside-2-tab(s)", "4-{tbl}-beside-2-{cap}"])
def test_another_unit_or_count_is_no_duplicate(dev_server: Served, draft: tuple[float, dict[str, str]],
                                               current: tuple[float, dict[str, str]]) -> None:
    # Guard: 4 tablets are not 4 mL, nor 2 (a dose changed, which the card does not guess).
    for card in answer(dev_server, [counted("d1", "venetoclax", *draft)],
                       [counted("d0", "venetoclax", *current, status="active")]):
        assert "possible duplicate orders" not in card["summary"], card["summary"]
        assert "Possible duplicate orders" not in card["detail"], card["detail"]
