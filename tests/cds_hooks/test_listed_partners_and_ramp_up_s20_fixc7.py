"""A listed order's partners while it is not ended, and a single-drug ramp-up's course start, via a server.

s20 (reviews revFinal, revLast). The low-dose cytarabine of a listed "Ven/LDAC", or a listed cytarabine order, chooses
venetoclax's labelled dose (USPI 2.2: 600 mg with low-dose cytarabine, 400 mg with azacitidine or alone) until that
order is ended by its status: the regimen sets the dose, not whether cytarabine is given today (low-dose cytarabine
on days 1-10 of each 28-day cycle, venetoclax daily). Fixer C7 had made an order on hold, between its days or not yet
started choose 400 mg ("reduce to 400 mg" for a venetoclax 600 mg draft of the Ven/LDAC regimen).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_course_start_s20_fixc6c import posaconazole, update_days
from tests.cds_hooks.test_multi_drug_doses_s19_fixc import day
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer, update_doses


def listed(name: str, dose_mg: float | None, *, status: str = "active", start: str | None = None,
           end: str | None = None) -> dict[str, Any]:
    """A listed order of the patient, its period from `start` to `end`."""
    resource = examples.order("a1", name, dose_mg, status=status, start=start)
    if end:
        resource["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end
    return resource


@pytest.mark.parametrize("partner", [
    listed("Ven/LDAC", None, status="on-hold"), listed("Ven/LDAC", None, start=day(-38), end=day(-10)),
    listed("Ven/LDAC", None, start=day(-3)), listed("cytarabine", 20, status="on-hold"),
    listed("cytarabine", 20, start=day(-38), end=day(-10)), listed("cytarabine", 20, start=day(0)),
], ids=["Ven/LDAC-on-hold", "Ven/LDAC-between-its-days", "Ven/LDAC", "cytarabine-on-hold",
        "cytarabine-between-its-days", "cytarabine"])
def test_the_partners_of_a_listed_order_not_ended_choose_the_labelled_dose(
        dev_server: Served, partner: dict[str, Any]) -> None:
    # Held, or its days of this cycle over: "reduce to 400 mg" since 73944d5 (review revLast); 600 mg is the dose.
    for card in answer(dev_server, [examples.order("v1", "venetoclax", 600, start=day(0))], [partner]):
        assert "reduce to 400 mg" not in card["summary"], card["summary"]
        assert "give 400 mg" not in card["detail"], card["detail"]


@pytest.mark.parametrize("partner", [listed("Ven/LDAC", None, status="stopped"),
                                     listed("cytarabine", 20, status="completed")],
                         ids=["Ven/LDAC-stopped", "cytarabine-completed"])
def test_the_partners_of_a_listed_order_ended_by_its_status_choose_no_labelled_dose(
        dev_server: Served, partner: dict[str, Any]) -> None:
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 600, start=day(0))], [partner])
    assert card["summary"] == "Venetoclax: reduce to 400 mg (labelled dose)", card["summary"]
    assert ("update", "MedicationRequest/v1") in actions(card)


def test_a_single_drug_ramp_up_with_a_dose_less_first_day_keeps_its_course_start(dev_server: Served) -> None:
    # Review revFinal should-fix 1 (ca6198f): "venetoclax" with no dose on day 0 was counted at the labelled 400 mg,
    # no step below 200 mg: the course and C1D1 moved to day 1, v0 still deleted, so day 0 had no venetoclax.
    [card] = answer(dev_server, [examples.order("v0", "venetoclax", start=day(0)),
                                 examples.order("v1", "venetoclax", 200, start=day(1)), posaconazole()], [])
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole", card["summary"]
    assert sorted(actions(card)) == [("delete", "MedicationRequest/v0"), ("update", "MedicationRequest/v1")]
    doses = update_doses(card)
    assert update_days(card) == [day(i) for i in range(len(doses))]
    assert f"- C1D1 ({day(0)}): " in card["detail"], card["detail"]
