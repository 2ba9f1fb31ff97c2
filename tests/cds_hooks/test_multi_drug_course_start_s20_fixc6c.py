"""The course's first day beside an order naming the agent with other drugs, and what its card asks, via a server.

Fixer C6c of s20 (review revC6b). "Aza/Ven" with no dose is at the labelled dose the engine assumes for it (USPI 2.2:
400 mg with azacitidine, 600 mg with low-dose cytarabine); taken as 0 mg it was no later step of the venetoclax drafts
before it, so the course was dated from its own day: the update restarted the ramp-up there and deleted its first days.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_doses_s19_fixc import day
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer, update_doses


def update_days(card: dict[str, Any]) -> list[str]:
    """The first day of each dosage of the card's update."""
    [resource] = [action["resource"] for suggestion in card["suggestions"] for action in suggestion["actions"]
                  if action["type"] == "update" and action["resource"]["resourceType"] == "MedicationRequest"]
    return [dosage["timing"]["repeat"]["boundsPeriod"]["start"] for dosage in resource["dosageInstruction"]]


def posaconazole() -> dict[str, Any]:
    return examples.order("p1", "posaconazole", 300, start=day(0))


@pytest.mark.parametrize(("drafts", "several", "summary", "doses", "changed"), [
    # Must-fix 1: 100 mg, then 200 mg, then "Aza/Ven" with posaconazole: updated from day 3 (its own), v0 deleted.
    ([examples.order("v0", "venetoclax", 100, start=day(0)), examples.order("v1", "venetoclax", 200, start=day(1)),
      posaconazole()], examples.order("m1", "Aza/Ven", start=day(2)),
     "Venetoclax: give 70 mg with posaconazole", [10, 20, 50, 70, 70], [("update", "v1"), ("delete", "v0")]),
    # A correct ramp-up with posaconazole (USPI 2.4: 10, 20, 50, 70 mg), "Aza/Ven" on its last day: restarted there.
    ([examples.order(f"v{mg}", "venetoclax", mg, start=day(i)) for i, mg in enumerate((10, 20, 50, 70))]
     + [posaconazole()], examples.order("m1", "Aza/Ven", start=day(3)),
     "Venetoclax: give 70 mg with posaconazole", [10, 20, 50, 70, 70],
     [("update", "v70"), ("delete", "v10"), ("delete", "v20"), ("delete", "v50")]),
    # Since 517a9cd: 100 mg, 200 mg, then "Ven/LDAC" (600 mg assumed) skips day 3's 400 mg; dated from day 3.
    ([examples.order("v0", "venetoclax", 100, start=day(0)), examples.order("v1", "venetoclax", 200, start=day(1))],
     examples.order("m1", "Ven/LDAC", start=day(2)),
     "Venetoclax: start with the ramp-up (100, 200, 400, 600 mg)", [100, 200, 400, 600, 600],
     [("update", "v1"), ("delete", "v0")]),
], ids=["100-200-Aza/Ven-posaconazole", "10-20-50-70-Aza/Ven-posaconazole", "100-200-Ven/LDAC"])
def test_the_update_beside_an_order_naming_other_drugs_is_dated_from_the_first_draft_of_the_course(
        dev_server: Served, drafts: list[dict[str, Any]], several: dict[str, Any], summary: str, doses: list[float],
        changed: list[tuple[str, str]]) -> None:
    for ordered in ([*drafts, several], [several, *drafts[::-1]]):
        [card] = answer(dev_server, ordered, [])
        assert (card["summary"], card["indicator"]) == (summary, "warning"), card["summary"]
        # The update and its removals: none of the order naming other drugs.
        assert sorted(actions(card)) == sorted((kind, f"MedicationRequest/{ident}") for kind, ident in changed)
        assert update_doses(card) == doses
        assert update_days(card) == [day(i) for i in range(len(doses))]  # from the first draft's day, as without m1
        assert f"day 1 ({day(0)}): {doses[0]:g} mg" in card["detail"], card["detail"]
        assert f"- C1D1 ({day(0)}): " in card["detail"], card["detail"]  # the tumour lysis labs from day 1 too


def labels(card: dict[str, Any]) -> list[str]:
    return [suggestion["label"] for suggestion in card.get("suggestions") or ()]


@pytest.mark.parametrize(("drafts", "summary", "label"), [
    # Review revC6b, should-fix 1: the label said only "Change venetoclax to 70 mg after a ramp-up of 10, 20, 50, 70
    # mg"; accepted, and "Aza/Ven" signed as written, venetoclax was given twice (400 mg assumed + 70 mg).
    ([examples.order("v1", "venetoclax", 200), examples.order("m1", "Aza/Ven"), posaconazole()],
     "Venetoclax: give 70 mg with posaconazole",
     "Change venetoclax to 70 mg after a ramp-up of 10, 20, 50, 70 mg; replace Aza/Ven with azacitidine alone"),
    ([examples.order("v1", "venetoclax", 200), examples.order("m1", "Ven/LDAC")],
     "Venetoclax: start with the ramp-up (100, 200, 400, 600 mg)",
     "Change venetoclax to 600 mg after a ramp-up of 100, 200, 400, 600 mg; replace Ven/LDAC with cytarabine alone"),
    # The order checked is the agent's own, the ones naming other drugs beside it are kept as written.
    ([examples.order("v1", "venetoclax", 800), examples.order("m2", "Aza/Ven"),
      examples.order("m3", "venetoclax + azacitidine")],
     "Venetoclax: reduce to 400 mg (labelled dose)",
     "Change venetoclax to 400 mg after a ramp-up of 100, 200, 400 mg; replace Aza/Ven with azacitidine alone and "
     "venetoclax + azacitidine with azacitidine alone"),
], ids=["Aza/Ven-posaconazole", "Ven/LDAC-ramp-up", "800mg-two-multi-drug"])
def test_the_update_s_label_asks_to_replace_the_order_naming_other_drugs(
        dev_server: Served, drafts: list[dict[str, Any]], summary: str, label: str) -> None:
    [card] = answer(dev_server, drafts, [])
    assert card["summary"] == summary, card["summary"]
    assert labels(card)[0] == label
    assert actions(card) == [("update", "MedicationRequest/v1")]  # no delete of an order naming other drugs


@pytest.mark.parametrize(("listed", "summary", "action", "changed"), [
    # Review revC6b, should-fix 2: "reduce to 400 mg (labelled dose)", the listed order's low-dose cytarabine unseen,
    # while the duplicate line said "600 mg assumed" of it (USPI 2.2: 600 mg with low-dose cytarabine).
    ("Ven/LDAC", "Venetoclax: possible duplicate orders", "**keep 600 mg** (continue)", []),
    # Guard: with azacitidine the labelled dose is 400 mg (USPI 2.2).
    ("Aza/Ven", "Venetoclax: reduce to 400 mg (labelled dose)", "**give 400 mg** (adjust dose)",
     [("update", "MedicationRequest/v1")]),
], ids=["Ven/LDAC", "Aza/Ven"])
def test_the_partners_of_a_listed_order_naming_the_agent_choose_its_labelled_dose(
        dev_server: Served, listed: str, summary: str, action: str, changed: list[tuple[str, str]]) -> None:
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 600)],
                    [examples.order("a1", listed, status="active")])
    assert card["summary"] == summary, card["summary"]
    assert f"**venetoclax**: ordered 600 mg; {action}." in card["detail"], card["detail"]
    assert actions(card) == changed


def test_three_possible_duplicates_are_listed_with_commas(dev_server: Served) -> None:
    # Review revC6b, nit: they read "A and B and C".
    listed = [examples.order(ident, "venetoclax", 400, status="active") for ident in ("a1", "a2")]
    [card] = answer(dev_server, [examples.order("v1", "venetoclax", 400)], listed)
    assert card["summary"] == "Venetoclax: possible duplicate orders", card["summary"]
    assert ("Possible duplicate orders: MedicationRequest/v1 (venetoclax, 400 mg), MedicationRequest/a1 (venetoclax, "
            "400 mg) and MedicationRequest/a2 (venetoclax, 400 mg) are in effect today"
            ) in card["detail"], card["detail"]
