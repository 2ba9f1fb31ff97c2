"""The agent of a draft naming several drugs ("Aza/Ven 400") beside its other drafts, through a real server.

Fixer C2 of s19 (review C's should-fix 1-3). Its dose in the name was taken as 0 beside the agent's other drafts:
- "Aza/Ven 400" beside a venetoclax 100 mg draft of today, for a patient not on venetoclax, had no card, its 400 mg
  (a day of the ramp-up skipped, USPI 2.2) unsaid; so had "venetoclax 400" (a dose in the name only);
- after ramp-up steps of 100 and 200 mg, "Aza/Ven 400" from day 3 dated the ramp-up from day 3 (the tumour lysis
  labs two days late);
- beside the listed venetoclax 400 mg, an "Aza/Ven 400" of today was no possible duplicate.
And one dose in mg for an agent and another drug ("azacitidine/venetoclax" 400 mg) was refused with a 400, every card
of the call lost (other agents' too): it is now the agent's dose not read, the labelled one assumed.
"""

from __future__ import annotations

import datetime
from typing import Any

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_ehr_followups import check_day
from tests.cds_hooks.test_ehr_requests_s19 import posaconazole, venetoclax_start
from tests.cds_hooks.test_hooks import SIGN, VENETOCLAX_START, cards


def day(after: int) -> str:
    """The day of the check plus `after` days (ISO)."""
    return (datetime.date.fromisoformat(check_day()) + datetime.timedelta(days=after)).isoformat()


def answer(served: Served, drafts: list[dict[str, Any]], active: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return cards(served, SIGN, examples.call("order-sign", drafts, active))


def test_a_multi_drug_draft_beside_a_draft_of_its_agent_of_today_gets_the_ramp_up_card(dev_server: Served) -> None:
    # Was no card: the undated "Aza/Ven 400" was 0 mg beside the 100 mg draft of today, so no day above the ramp-up.
    # No update of "Aza/Ven 400" is offered (it names azacitidine too), and none is said (fixer C5 of s19).
    for name, checked in (("Aza/Ven 400", "check is for MedicationRequest/d1, the whole course; it names other drugs"),
                          ("venetoclax 400", "check and its update are for MedicationRequest/d1")):
        [card] = answer(dev_server, [examples.order("d1", name, None), venetoclax_start("venetoclax", 100)], [])
        assert card["summary"] == VENETOCLAX_START, name
        assert ("Other draft orders of venetoclax in this call: MedicationRequest/ven-1 (venetoclax, 100 mg). The "
                f"{checked}") in card["detail"], card["detail"]


def test_a_ramp_up_of_step_drafts_before_a_multi_drug_draft_is_dated_from_its_first_step(dev_server: Served) -> None:
    # Was dated from day 3, the "Aza/Ven 400" draft's own day: its 400 mg, read as 0, was no step after 200 mg.
    drafts = [examples.order("v1", "venetoclax", 100, start=day(0)),
              examples.order("v2", "venetoclax", 200, start=day(1)),
              examples.order("m1", "Aza/Ven 400", None, start=day(2))]
    [card] = answer(dev_server, drafts, [posaconazole()])
    assert card["summary"] == "Venetoclax: reduce to 70 mg with posaconazole"
    assert (f"Ramp-up: day 1 ({day(0)}): 10 mg; day 2 ({day(1)}): 20 mg; day 3 ({day(2)}): 50 mg; day 4 ({day(3)}): "
            "70 mg; then 70 mg.") in card["detail"]


def test_a_multi_drug_draft_of_today_beside_the_listed_order_of_its_agent_is_a_possible_duplicate(
        dev_server: Served) -> None:
    # Was no card: both give venetoclax 400 mg today ("venetoclax" 400 mg drafted so gets this card).
    [card] = answer(dev_server, [examples.order("d1", "Aza/Ven 400", None, start=check_day())],
                    [examples.order("va", "venetoclax", 400, status="active")])
    assert card["summary"] == "Venetoclax: possible duplicate orders"
    assert ("Possible duplicate orders: MedicationRequest/d1 (Aza/Ven 400, 400 mg) and MedicationRequest/va "
            "(venetoclax, 400 mg) are in effect today at the same dose") in card["detail"]


def test_one_mg_dose_for_an_agent_and_another_drug_is_its_dose_not_read_the_other_cards_kept(
        dev_server: Served) -> None:
    # Was a 400 at its doseQuantity.value ("cannot be split"), the gilteritinib card lost with it.
    drafts = [examples.order("k1", "azacitidine/venetoclax", 400, start=check_day()),
              examples.order("g1", "gilteritinib", 120, start=check_day())]
    gilteritinib, venetoclax = answer(dev_server, drafts, [posaconazole()])
    assert gilteritinib["summary"] == "Gilteritinib: monitor with posaconazole"
    assert venetoclax["summary"] == "Venetoclax: give 70 mg with posaconazole"
    assert ("**venetoclax**: ordered one dose of 400 mg for azacitidine and venetoclax, which cannot be split between "
            "them; **give 70 mg**") in venetoclax["detail"]
    [alone] = answer(dev_server, drafts[:1], [])
    assert alone["summary"] == ("Venetoclax: dose not read (one dose of 400 mg for azacitidine and…), 400 mg assumed; "
                                "start with the ramp-up (100, 200, 400 mg)")
