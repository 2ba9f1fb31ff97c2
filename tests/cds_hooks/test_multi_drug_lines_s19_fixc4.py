"""An order naming an agent among other drugs beside an order of the agent alone, through a real server.

Fixer C4 of s19 (review 4): which of the two is the agent's line, and which order its card and update are for.
"""

from __future__ import annotations

from typing import Any

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, cards
from tests.cds_hooks.test_multi_drug_beside_agent_s19_fixc3 import twice_daily
from tests.cds_hooks.test_multi_drug_drafts_s19 import updated_orders


def answer(served: Served, drafts: list[dict[str, Any]], active: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return cards(served, SIGN, examples.call("order-sign", drafts, active))


def actions(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [action for suggestion in card.get("suggestions") or () for action in suggestion["actions"]
            if action["type"] == kind]


def test_the_update_is_for_the_agent_s_own_draft_whatever_the_order_of_the_drafts(dev_server: Served) -> None:
    # Review 4, must-fix 1: with the draft naming venetoclax first after it, the card checked v1 ("ordered 800 mg")
    # but said its update was for m1, and updated the two-drug order m1 to "venetoclax 400 mg"; v1 kept 800 mg.
    for name in ("venetoclax + azacitidine", "venetoclax/azacitidine", "venetoclax and decitabine"):
        drafts = [examples.order("v1", "venetoclax", 800), examples.order("m1", name)]
        for ordered in (drafts, drafts[::-1]):
            for active in ([], [examples.order("va", "venetoclax", 400, status="active")]):
                [card] = answer(dev_server, ordered, active)
                assert card["summary"].startswith("Venetoclax: reduce to 400 mg"), (name, card["summary"])
                assert "The check and its update are for MedicationRequest/v1" in card["detail"], name
                assert [order["id"] for order in updated_orders(card)] == ["v1"], name
                assert actions(card, "delete") == [], name  # the order naming azacitidine too is never removed


def test_a_listed_order_of_the_agent_alone_is_its_line_whatever_the_order_of_the_list(dev_server: Served) -> None:
    # Review 4, must-fix 2: with "venetoclax / azacitidine" 400 mg listed first, it was the line ("give 70 mg ...
    # 400 mg assumed") and the twice daily of the venetoclax order was lost. USPI 2.4: 70 mg with posaconazole,
    # once daily.
    active = [examples.order("kit-1", "venetoclax / azacitidine", 400, status="active"),
              twice_daily(examples.order("ven-a", "venetoclax", 400, status="active"))]
    for listed in (active, active[::-1]):
        [card] = answer(dev_server, [examples.order("posa-1", "posaconazole", 300)], listed)
        assert card["summary"] == "Venetoclax: reduce to 70 mg once daily, not twice daily with posaconazole", \
            card["summary"]


def test_a_multi_drug_draft_with_no_dose_is_compared_at_its_labelled_dose(dev_server: Served) -> None:
    # Review 4, should-fix 1: "Ven/LDAC" (no dose: 0) gave way to a venetoclax 400 mg draft, and the 600 mg target
    # with low-dose cytarabine (USPI 2.2) was lost: "ramp-up (100, 200 mg) ... keep 400 mg". The 400 mg draft is a
    # step of the ramp-up, as it was before 79cd2a0.
    drafts = [examples.order("m1", "Ven/LDAC"), examples.order("v1", "venetoclax", 400)]
    for ordered in (drafts, drafts[::-1]):
        [card] = answer(dev_server, ordered, [])
        assert card["summary"] == "Venetoclax: start with the ramp-up (100, 200, 400, 600 mg)", card["summary"]


def test_a_multi_drug_draft_beside_the_updated_draft_is_said_kept_not_removed(dev_server: Served) -> None:
    # Review 4 (hooks nit, after dfdbb99): the card said "the suggestion removes the others" of "Aza/Ven", which the
    # update no longer removes; signed as well, venetoclax would be ordered twice.
    drafts = [examples.order("m1", "Aza/Ven"), examples.order("v1", "venetoclax", 800),
              examples.order("v2", "venetoclax", 100)]
    [card] = answer(dev_server, drafts, [])
    assert ("The check and its update are for MedicationRequest/v1, the whole course; MedicationRequest/m1 also names "
            "other drugs and is kept as written: sign venetoclax in one order only; the suggestion removes the "
            "others.") in card["detail"], card["detail"]
    assert [action["resourceId"] for action in actions(card, "delete")] == ["MedicationRequest/v2"]


def test_a_multi_drug_draft_giving_way_keeps_its_own_doubts_on_the_card(dev_server: Served) -> None:
    # Review 4, should-fix 2: a draft of several drugs giving way to the agent's own draft is no line of the regimen,
    # and what was doubtful in its dose was said nowhere, though it is still signed.
    disagreeing = examples.order("m1", "Ven/LDAC 600", 400)
    unsplit = examples.order("m1", "azacitidine/venetoclax", 400)
    for draft, said in (
            (disagreeing, "MedicationRequest/m1 (Ven/LDAC 600) states 600 mg in its name and 400 mg in its dose field: "
                          "confirm which is meant."),
            (unsplit, "MedicationRequest/m1 (azacitidine/venetoclax) orders one dose of 400 mg for azacitidine and "
                      "venetoclax, which cannot be split between them: confirm its dose.")):
        [card] = answer(dev_server, [draft, examples.order("v1", "venetoclax", 400)], [])
        assert "The check and its update are for MedicationRequest/v1" in card["detail"], card["detail"]
        assert said in card["detail"], card["detail"]
