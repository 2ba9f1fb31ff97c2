"""A draft naming an agent among other drugs ("Aza/Ven") beside a draft of the agent alone, through a real server.

Fixer C3 of s19 (review 3's must-fix). The draft of several drugs was always the agent's line, the draft of the agent
alone moved to its other drafts whatever its dose: venetoclax 800 mg or 400 mg twice daily went unchecked (no card,
the ramp-up's card, or only "possible duplicate"), where the label's 400 mg once daily was due (USPI 2.2).
"""

from __future__ import annotations

from typing import Any

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, cards

REDUCE = "Venetoclax: reduce to 400 mg"


def answer(served: Served, drafts: list[dict[str, Any]], active: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return cards(served, SIGN, examples.call("order-sign", drafts, active))


def twice_daily(order: dict[str, Any]) -> dict[str, Any]:
    order["dosageInstruction"][0].update(text="twice daily", timing={"repeat": {"frequency": 2, "period": 1,
                                                                              "periodUnit": "d"}})
    return order


def listed_400() -> list[dict[str, Any]]:
    return [examples.order("va", "venetoclax", 400, status="active")]


def test_a_draft_of_the_agent_above_its_label_beside_a_multi_drug_draft_is_checked(dev_server: Served) -> None:
    # Was no card (listed 400 mg), or the ramp-up's "keep 400 mg" (nothing listed): the 800 mg was named nowhere.
    drafts = [examples.order("m1", "Aza/Ven", None), examples.order("v1", "venetoclax", 800)]
    for active in (listed_400(), []):
        [card] = answer(dev_server, drafts, active)
        assert card["summary"].startswith(REDUCE), active
        assert "MedicationRequest/m1 (Aza/Ven" in card["detail"]
        assert "The check and its update are for MedicationRequest/v1" in card["detail"]


def test_a_draft_of_the_agent_above_the_dose_a_multi_drug_draft_names_is_checked(dev_server: Served) -> None:
    # Was only "possible duplicate orders ... keep 400 mg", in either order: the 800 mg draft named nowhere.
    drafts = [examples.order("m1", "Aza/Ven 400", None), examples.order("v1", "venetoclax", 800)]
    for ordered in (drafts, drafts[::-1]):
        [card] = answer(dev_server, ordered, listed_400())
        assert card["summary"].startswith(REDUCE), card["summary"]
        assert "The check and its update are for MedicationRequest/v1" in card["detail"]


def test_a_twice_daily_draft_of_the_agent_beside_a_multi_drug_draft_is_checked(dev_server: Served) -> None:
    # Was "possible duplicate" only (listed 400 mg): the twice daily was lost with the draft it was on.
    drafts = [examples.order("m1", "Aza/Ven", None), twice_daily(examples.order("v1", "venetoclax", 400))]
    [card] = answer(dev_server, drafts, listed_400())
    assert card["summary"].startswith("Venetoclax: reduce to 400 mg once daily, not twice daily"), card["summary"]


def test_the_partner_of_a_multi_drug_draft_giving_way_still_chooses_the_labelled_dose(dev_server: Served) -> None:
    # Guard of the fix above: venetoclax 600 mg is its dose with low-dose cytarabine (USPI 2.2). The cytarabine of
    # "Ven/LDAC", giving way to the venetoclax 600 mg draft, stays in the regimen: without it, "reduce to 400 mg".
    drafts = [examples.order("m1", "Ven/LDAC", None), examples.order("v1", "venetoclax", 600)]
    [card] = answer(dev_server, drafts, [])
    assert card["summary"] == "Venetoclax: start with the ramp-up (100, 200, 400, 600 mg)"
