"""An order stating no dose beside the agent's course, and the update beside an order naming other drugs, via a server.

Fixer C6b of s20 (review revC6). An order of venetoclax that states no dose ("venetoclax + azacitidine") is given at
the labelled dose the engine assumes for it (USPI 2.2: 400 mg with azacitidine, 600 mg with low-dose cytarabine);
beside the patient's active course it was never compared for duplicates, and no card was raised. Beside an order
naming other drugs, the update is of the agent's own draft that has an id, whether only the ramp-up is missing or
the dose must change, and the card names the order naming other drugs to replace by those drugs alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import actions, answer, update_doses

DUPLICATE = "Venetoclax: possible duplicate orders"


def without_id(order: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in order.items() if key != "id"}


def active(name: str, dose_mg: float | None = None) -> dict[str, Any]:
    return examples.order("a1", name, dose_mg, status="active")


@pytest.mark.parametrize(("drafts", "listed", "alike"), [
    # Was no card: the draft stating no dose was never compared, and the 200 mg draft beside it is no step of a start
    # (venetoclax is taken): signed with the active 400 mg order they give 600 mg a day or more (USPI 2.2: 400 mg).
    ([examples.order("v1", "venetoclax", 200), examples.order("m1", "venetoclax + azacitidine")],
     active("venetoclax", 400),
     "MedicationRequest/m1 (venetoclax + azacitidine, no dose stated: 400 mg assumed) and MedicationRequest/a1 "
     "(venetoclax, 400 mg)"),
    ([examples.order("m1", "venetoclax + azacitidine")], active("venetoclax", 400),
     "MedicationRequest/m1 (venetoclax + azacitidine, no dose stated: 400 mg assumed) and MedicationRequest/a1 "
     "(venetoclax, 400 mg)"),
    # The same, listed: an active order naming venetoclax with azacitidine, no dose, beside a venetoclax 400 mg draft.
    ([examples.order("v1", "venetoclax", 400)], active("venetoclax + azacitidine"),
     "MedicationRequest/v1 (venetoclax, 400 mg) and MedicationRequest/a1 (venetoclax + azacitidine, no dose stated: "
     "400 mg assumed)"),
    # A venetoclax draft stating no dose, beside the active 400 mg order.
    ([examples.order("v1", "venetoclax")], active("venetoclax", 400),
     "MedicationRequest/v1 (venetoclax, no dose stated: 400 mg assumed) and MedicationRequest/a1 (venetoclax, 400 mg)"),
    # With low-dose cytarabine the dose assumed is 600 mg (USPI 2.2).
    ([examples.order("m1", "Ven/LDAC")], active("venetoclax", 600),
     "MedicationRequest/m1 (Ven/LDAC, no dose stated: 600 mg assumed) and MedicationRequest/a1 (venetoclax, 600 mg)"),
    # Guard, unchanged: a dose in the name was compared already.
    ([examples.order("m1", "Aza/Ven 400")], active("venetoclax", 400),
     "MedicationRequest/m1 (Aza/Ven 400, 400 mg) and MedicationRequest/a1 (venetoclax, 400 mg)"),
], ids=["200mg+venetoclax+azacitidine", "venetoclax+azacitidine", "listed-venetoclax+azacitidine",
        "venetoclax-no-dose", "Ven/LDAC-600", "Aza/Ven-400"])
def test_an_order_stating_no_dose_beside_the_course_is_a_possible_duplicate(
        dev_server: Served, drafts: list[dict[str, Any]], listed: dict[str, Any], alike: str) -> None:
    for ordered in (drafts, drafts[::-1]):
        [card] = answer(dev_server, ordered, [listed])
        assert (card["summary"], card["indicator"]) == (DUPLICATE, "warning"), card["summary"]
        assert actions(card) == []  # not a start, and the dose stands: nothing to update
        assert (f"Possible duplicate orders: {alike} are in effect today at the same dose") in card["detail"], \
            card["detail"]


def test_the_update_is_of_the_highest_draft_of_the_agent_alone_that_has_an_id(dev_server: Served) -> None:
    # Review revC6, should-fix 3: the 200 mg draft without an id was chosen, and no update was offered at all.
    drafts = [examples.order("v1", "venetoclax", 70), without_id(examples.order("vx", "venetoclax", 200)),
              examples.order("m1", "Aza/Ven"), examples.order("c1", "cytarabine", 20)]
    [card] = answer(dev_server, drafts, [])
    assert (card["summary"], card["indicator"]) == ("Venetoclax: start with the ramp-up (100, 200, 400, 600 mg)",
                                                    "warning"), card["summary"]
    assert actions(card) == [("update", "MedicationRequest/v1")]
    assert update_doses(card) == [100, 200, 400, 600, 600]  # USPI 2.2, with low-dose cytarabine


def test_the_dose_to_change_beside_an_order_naming_other_drugs_is_updated_on_the_agent_s_own_draft(
        dev_server: Served) -> None:
    # Review revC6, should-fix 4 and left item 1: with posaconazole no update was offered (only for the ramp-up), and
    # "sign venetoclax in one order only" did not say which order to change. USPI 2.4: 10, 20, 50, 70 mg, then 70 mg.
    drafts = [examples.order("v1", "venetoclax", 200), examples.order("m1", "venetoclax + azacitidine"),
              examples.order("p1", "posaconazole", 300)]
    [card] = answer(dev_server, drafts, [])
    assert (card["summary"], card["indicator"]) == ("Venetoclax: give 70 mg with posaconazole", "warning")
    assert actions(card) == [("update", "MedicationRequest/v1")]
    assert update_doses(card) == [10, 20, 50, 70, 70]
    assert ("no change of it is offered (it would give them this dose too); the update is of MedicationRequest/v1 "
            "(venetoclax), venetoclax on its own, the whole course. Replace MedicationRequest/m1 with azacitidine "
            "alone: as written it gives venetoclax too.") in card["detail"], card["detail"]
    assert card["detail"].count("the update is of") == 1  # was said twice


def test_a_multi_drug_draft_without_an_id_is_no_update_target_and_is_named_to_replace(dev_server: Served) -> None:
    # 73c925e (review revC6, should-fix 1): "Aza/Ven 400" without an id was not known to name several drugs: the
    # detail said "the check and its update are for the highest-dose order ... the suggestion removes the others",
    # and no order was removed. Since 517a9cd the ramp-up's update is of v1.
    drafts = [without_id(examples.order("m1", "Aza/Ven 400")), examples.order("v1", "venetoclax", 70)]
    [card] = answer(dev_server, drafts, [])
    assert (card["summary"], card["indicator"]) == ("Venetoclax: start with the ramp-up (100, 200, 400 mg)", "warning")
    assert actions(card) == [("update", "MedicationRequest/v1")]
    assert update_doses(card) == [100, 200, 400, 400]
    assert "the suggestion removes the others" not in card["detail"]
    assert ("Replace an order without an id (Aza/Ven 400) with azacitidine alone: as written it gives venetoclax "
            "too.") in card["detail"], card["detail"]


def test_a_draft_of_the_agent_stating_no_dose_counts_at_the_dose_assumed_for_the_ramp_up(dev_server: Served) -> None:
    # 517a9cd (review revC6, should-fix 2): "venetoclax" with no dose, 100 mg and "venetoclax + azacitidine" were no
    # card (no dose read taken as 0 mg, the ramp-up's day 1); as 400 mg beside 100 mg it skips day 2's 200 mg.
    drafts = [examples.order("v0", "venetoclax"), examples.order("v1", "venetoclax", 100),
              examples.order("m1", "venetoclax + azacitidine")]
    [card] = answer(dev_server, drafts, [])
    assert (card["summary"], card["indicator"]) == ("Venetoclax: start with the ramp-up (100, 200, 400 mg)", "warning")
    assert actions(card) == [("update", "MedicationRequest/v1"), ("delete", "MedicationRequest/v0")]
    assert update_doses(card) == [100, 200, 400, 400]


@pytest.mark.parametrize("mg", [70, 100])
def test_an_unsplit_dose_beside_a_lower_draft_is_the_course_at_the_dose_assumed(dev_server: Served, mg: float) -> None:
    # 517a9cd (review revC6, should-fix 2): "azacitidine/venetoclax" 400 mg, one dose not split, beside venetoclax
    # 70 or 100 mg: the course at the labelled 400 mg assumed, the lower draft its first step (USPI 2.2).
    drafts = [examples.order("m1", "azacitidine/venetoclax", 400), examples.order("v1", "venetoclax", mg)]
    [card] = answer(dev_server, drafts, [])
    assert card["summary"].endswith("400 mg assumed; start with the ramp-up (100, 200, 400 mg)"), card["summary"]
    assert card["indicator"] == "warning"
    assert actions(card) == [("update", "MedicationRequest/v1")]
    assert update_doses(card) == [100, 200, 400, 400]
    assert "Replace MedicationRequest/m1 with azacitidine alone" in card["detail"], card["detail"]


def test_several_orders_naming_other_drugs_are_each_named_with_what_replaces_them(dev_server: Served) -> None:
    # Review revC6, nit: "MedicationRequest/m2, an order without an id also name other drugs" read as an apposition.
    drafts = [examples.order("v1", "venetoclax", 800), examples.order("m2", "Aza/Ven"),
              without_id(examples.order("m3", "venetoclax + azacitidine"))]
    [card] = answer(dev_server, drafts, [])
    assert card["summary"] == "Venetoclax: reduce to 400 mg (labelled dose)", card["summary"]
    assert actions(card) == [("update", "MedicationRequest/v1")]
    assert ("MedicationRequest/m2 and an order without an id (venetoclax + azacitidine) also name other drugs and are "
            "kept as written: sign venetoclax in one order only. Replace MedicationRequest/m2 with azacitidine alone "
            "and an order without an id (venetoclax + azacitidine) with azacitidine alone: as written they give "
            "venetoclax too.") in card["detail"], card["detail"]
