"""A draft naming an agent among other drugs ("Aza/Ven 400") beside the patient's orders, through a real server.

Review C of s19. Such a draft became a line of the regimen (5a36a11), keyed by its name, so:
- beside a listed order of one of its drugs (venetoclax active, the next cycle drafted as "Aza/Ven 400"), or beside
  another draft of one, the engine was given that drug twice and the call was refused (400 "venetoclax is already
  ordered as regimen[0]"), every card lost, where before the listed order was checked;
- its agent was never a start: "Aza/Ven 400" or "Aza/Ven" for a patient not on venetoclax got no card, where
  "venetoclax 400" and "venetoclax" get the ramp-up's (USPI 2.2).
"""

from __future__ import annotations

from typing import Any

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards

REDUCE_WITH_POSACONAZOLE = "Venetoclax: reduce to 70 mg with posaconazole"


def drafted(name: str, dose_mg: float | None = None, ident: str = "azaven-1") -> dict[str, Any]:
    return examples.order(ident, name, dose_mg, start=check_day())


def listed(ident: str, name: str, dose_mg: float | None) -> dict[str, Any]:
    return examples.order(ident, name, dose_mg, status="active")


def summaries(served: Served, drafts: list[dict[str, Any]], active: list[dict[str, Any]]) -> list[str]:
    return [card["summary"] for card in cards(served, SIGN, examples.call("order-sign", drafts, active))]


def test_a_multi_drug_draft_beside_the_listed_order_of_its_agent_is_answered(dev_server: Served) -> None:
    # Was a 400: venetoclax twice in the regimen (the listed order and the draft's line). Before 5a36a11 the listed
    # venetoclax was checked: 70 mg with posaconazole.
    active = [listed("ven-a", "venetoclax", 100), listed("posa-1", "posaconazole", 300)]
    assert summaries(dev_server, [drafted("Aza/Ven 400")], active) == [REDUCE_WITH_POSACONAZOLE]


def test_a_multi_drug_draft_beside_the_listed_order_of_its_partner_is_answered(dev_server: Served) -> None:
    # Was a 400 (azacitidine twice); venetoclax is new, so the draft is a start and gets the ramp-up's card.
    active = [listed("aza-a", "azacitidine", 140)]
    assert summaries(dev_server, [drafted("Aza/Ven 400")], active) == [VENETOCLAX_START]


def test_a_multi_drug_draft_beside_another_draft_of_its_agent_is_answered(dev_server: Served) -> None:
    # Was a 400: the two drafts of venetoclax were two lines of the regimen.
    drafts = [drafted("Aza/Ven 400"), drafted("venetoclax", 100, "ven-1")]
    assert summaries(dev_server, drafts, [listed("posa-1", "posaconazole", 300)]) == [REDUCE_WITH_POSACONAZOLE]


def test_a_multi_drug_draft_starting_venetoclax_at_its_full_dose_gets_the_ramp_up_card(dev_server: Served) -> None:
    # Was no card: its venetoclax was no start. "venetoclax 400" alone gets this card.
    assert summaries(dev_server, [drafted("venetoclax", 400, "ven-1")], []) == [VENETOCLAX_START]
    assert summaries(dev_server, [drafted("Aza/Ven 400")], []) == [VENETOCLAX_START]


def test_a_multi_drug_draft_with_no_dose_starting_venetoclax_gets_the_ramp_up_card(dev_server: Served) -> None:
    # Was no card: "venetoclax" with no dose is the ramp-up's card, "Aza/Ven" was checked as no start.
    assert summaries(dev_server, [drafted("venetoclax", ident="ven-1")], []) == [VENETOCLAX_START]
    assert summaries(dev_server, [drafted("Aza/Ven")], []) == [VENETOCLAX_START]


def test_a_partners_combination_product_dosed_in_mg_is_no_refusal(dev_server: Served) -> None:
    # Was a 400 ("one dose for a product of several drugs (decitabine, cedazuridine) cannot be split"), every card
    # lost: Inqovi (decitabine 35 mg and cedazuridine 100 mg a tablet, the knowledge base's combination) ordered as
    # 35 mg, beside venetoclax. No agent's dose is in it: a co-medication, as before 5a36a11.
    drafts = [drafted("venetoclax", 400, "ven-1"), drafted("Inqovi", 35, "inqovi-1")]
    assert summaries(dev_server, drafts, [listed("posa-1", "posaconazole", 300)]) == [REDUCE_WITH_POSACONAZOLE]
    tablet = drafted("decitabine and cedazuridine 35 mg-100 mg tablet", ident="inqovi-1")
    tablet["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 1, "unit": "tablet"}}]
    assert summaries(dev_server, [drafted("venetoclax", 400, "ven-1"), tablet],
                     [listed("posa-1", "posaconazole", 300)]) == [REDUCE_WITH_POSACONAZOLE]


def test_a_listed_order_naming_an_agent_among_other_drugs_is_checked_against_a_new_drug(dev_server: Served) -> None:
    # Was no card: the listed "Aza/Ven 400" was a co-medication, so posaconazole drafted beside it met no regimen
    # (venetoclax 400 mg with posaconazole; USPI 2.4: 70 mg). A draft of it was mended by 5a36a11, the list not.
    posaconazole = [drafted("posaconazole", 300, "posa-1")]
    assert summaries(dev_server, posaconazole, [listed("azaven-1", "Aza/Ven 400", None)]) == [REDUCE_WITH_POSACONAZOLE]
    # Beside a listed order of venetoclax alone, one line of it is checked, not both (a 400); both give 400 mg today,
    # so they may be duplicates, as two listed "venetoclax" 400 mg are (fixer C2 of s19: its 400 mg was read as 0).
    duplicates = [f"{REDUCE_WITH_POSACONAZOLE}; possible duplicate orders"]
    twice = [listed("ven-a", "venetoclax", 400), listed("ven-b", "venetoclax", 400)]
    assert summaries(dev_server, posaconazole, twice) == duplicates
    both = [listed("ven-a", "venetoclax", 400), listed("azaven-1", "Aza/Ven 400", None)]
    assert summaries(dev_server, posaconazole, both) == duplicates
    assert summaries(dev_server, posaconazole, both[::-1]) == duplicates


def test_a_listed_order_of_one_dose_for_an_agent_and_another_drug_is_no_refusal(dev_server: Served) -> None:
    # One mg dose for venetoclax and azacitidine cannot be split: on the list, which the clinician cannot mend here,
    # it stays a co-medication (as before), not a 400 that loses the posaconazole card of the listed venetoclax.
    active = [listed("ven-a", "venetoclax", 400), listed("kit-1", "venetoclax / azacitidine", 400)]
    assert summaries(dev_server, [drafted("posaconazole", 300, "posa-1")], active) == [REDUCE_WITH_POSACONAZOLE]


def test_a_listed_order_of_one_dose_for_an_agent_and_another_drug_is_checked_against_a_new_drug(
        dev_server: Served) -> None:
    # Was no card at all: the listed "venetoclax / azacitidine" 400 mg (a dose that cannot be split) stayed a
    # co-medication, so the posaconazole draft met an empty regimen. Now its agent is checked, its dose not read.
    active = [listed("kit-1", "venetoclax / azacitidine", 400)]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", [drafted("posaconazole", 300, "posa-1")], active))
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert ("**venetoclax**: ordered one dose of 400 mg for venetoclax and azacitidine, which cannot be split between "
            "them; **give 70 mg**") in card["detail"]


def updated_orders(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [action["resource"] for suggestion in card.get("suggestions") or () for action in suggestion["actions"]
            if action["type"] == "update" and action["resource"]["resourceType"] == "MedicationRequest"]


def test_a_multi_drug_draft_is_offered_no_update_at_its_agent_s_dose(dev_server: Served) -> None:
    # The update rewrote the whole "Aza/Ven 400" order as venetoclax's 10, 20, 50, 70 mg (its text still "Aza/Ven
    # 400"): accepted, azacitidine would have been given venetoclax's doses, or left out. Lead of s19.
    active = [listed("posa-1", "posaconazole", 300)]
    for draft in (drafted("Aza/Ven 400"), drafted("Aza/Ven", 400), drafted("azacitidine/venetoclax", 400)):
        [card] = cards(dev_server, SIGN, examples.call("order-sign", [draft], active))
        assert card["summary"].startswith("Venetoclax:")
        assert "70 mg" in card["summary"]
        assert updated_orders(card) == []
        assert "names venetoclax with other drugs in one order: no change of it is offered" in card["detail"]
    [start] = cards(dev_server, SIGN, examples.call("order-sign", [drafted("Aza/Ven 400")], []))
    assert (start["summary"], updated_orders(start)) == (VENETOCLAX_START, [])
    # A draft of venetoclax alone still gets its update.
    [single] = cards(dev_server, SIGN, examples.call("order-sign", [drafted("venetoclax", 400, "ven-1")], active))
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in updated_orders(single)[0]["dosageInstruction"]] == [
        10, 20, 50, 70, 70]  # the ramp-up's days, then 70 mg


def test_a_multi_drug_draft_beside_the_agent_s_own_draft_is_not_removed_by_its_update(dev_server: Served) -> None:
    # The update of the venetoclax draft removed "Aza/Ven" as another draft of venetoclax ("the updated order
    # replaces it"): accepted, azacitidine's order was deleted with it. Lead of s19.
    drafts = [drafted("Aza/Ven"), drafted("venetoclax", 800, "ven-1")]
    [card] = cards(dev_server, SIGN, examples.call("order-sign", drafts, []))
    assert card["summary"].startswith("Venetoclax: reduce to 400 mg")
    actions = [action for suggestion in card["suggestions"] for action in suggestion["actions"]]
    assert [a["resource"]["id"] for a in actions if a["type"] == "update"] == ["ven-1"]
    assert [a for a in actions if a["type"] == "delete"] == []
