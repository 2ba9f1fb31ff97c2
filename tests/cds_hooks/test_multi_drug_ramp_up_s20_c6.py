"""A venetoclax start drafted as a dose below the course's beside a draft naming it with azacitidine, through a server.

Helper C6 of s20. "venetoclax + azacitidine" with no dose is the course's line, at the labelled 400 mg the engine
assumes (USPI 2.2, with azacitidine: ramp-up 100, 200, 400 mg on days 1-3, then 400 mg); the venetoclax 200 mg draft
beside it is a step of its ramp-up (`hooks._gives_way`). The steps were compared with the order naming several drugs
at 0 mg, read as the ramp-up's day 1: 200 mg from day 1 (the label's 100 mg) gave no card at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards

VENETOCLAX_RXNORM = "1747556"


def answer(served: Served, drafts: list[dict[str, Any]], active: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return cards(served, SIGN, examples.call("order-sign", drafts, active))


def actions(card: dict[str, Any]) -> list[tuple[str, str]]:
    """Each action of the card's suggestions: its type and the order it is on."""
    return [(action["type"], action.get("resourceId") or f"MedicationRequest/{action['resource']['id']}")
            for suggestion in card.get("suggestions") or () for action in suggestion["actions"]
            if action["type"] == "delete" or action["resource"]["resourceType"] == "MedicationRequest"]


def update_doses(card: dict[str, Any]) -> list[float]:
    [resource] = [action["resource"] for suggestion in card["suggestions"] for action in suggestion["actions"]
                  if action["type"] == "update" and action["resource"]["resourceType"] == "MedicationRequest"]
    return [dosage["doseAndRate"][0]["doseQuantity"]["value"] for dosage in resource["dosageInstruction"]]


@pytest.mark.parametrize(("venetoclax", "several", "summary", "doses"), [
    # Was no card: the ramp-up's 100 mg on day 1 unsaid. Before s19's fixer C3 the card updated the order naming
    # azacitidine too (its azacitidine given venetoclax's doses, once accepted).
    (examples.order("v1", "venetoclax", 200), "venetoclax + azacitidine", VENETOCLAX_START, [100, 200, 400, 400]),
    (examples.order("v1", "venetoclax", 200, code=VENETOCLAX_RXNORM), "venetoclax + azacitidine", VENETOCLAX_START,
     [100, 200, 400, 400]),
    # Neighbours, no card either: 100 mg then the course's 400 mg skips day 2's 200 mg; with low-dose cytarabine the
    # course is 600 mg after 100, 200, 400 mg and 600 mg on day 4 (USPI 2.2), and 200 mg is above day 1's 100 mg.
    (examples.order("v1", "venetoclax", 100), "Aza/Ven", VENETOCLAX_START, [100, 200, 400, 400]),
    (examples.order("v1", "venetoclax", 200), "Ven/LDAC", "Venetoclax: start with the ramp-up (100, 200, 400, 600 mg)",
     [100, 200, 400, 600, 600]),
], ids=["200mg-venetoclax+azacitidine", "coded-200mg-venetoclax+azacitidine", "100mg-Aza/Ven", "200mg-Ven/LDAC"])
def test_a_step_below_the_course_beside_a_multi_drug_draft_gets_the_ramp_up_on_the_agent_s_own_draft(
        dev_server: Served, venetoclax: dict[str, Any], several: str, summary: str, doses: list[float]) -> None:
    drafts = [venetoclax, examples.order("m1", several)]
    for ordered in (drafts, drafts[::-1]):
        [card] = answer(dev_server, ordered, [])
        assert (card["summary"], card["indicator"]) == (summary, "warning"), card["summary"]
        assert actions(card) == [("update", "MedicationRequest/v1")]  # none on the order naming other drugs
        assert update_doses(card) == doses  # the ramp-up's days, then the course's dose
        assert ("the update is of MedicationRequest/v1 (venetoclax), venetoclax on its own, the whole course. "
                f"Replace MedicationRequest/m1 with {'cytarabine' if 'LDAC' in several else 'azacitidine'} alone: "
                "as written it gives venetoclax too."
                ) in card["detail"], card["detail"]
        assert ("The check is for MedicationRequest/m1, the whole course; it names other drugs too: sign venetoclax "
                "in one order only."
                ) in card["detail"], card["detail"]


def test_steps_up_to_the_course_beside_a_multi_drug_draft_are_its_ramp_up(dev_server: Served) -> None:
    # Guard of the fix: 100 and 200 mg, then "Aza/Ven" at its labelled 400 mg, is the ramp-up (USPI 2.2): no card.
    drafts = [examples.order("v1", "venetoclax", 100), examples.order("v2", "venetoclax", 200),
              examples.order("m1", "Aza/Ven")]
    assert answer(dev_server, drafts, []) == []
