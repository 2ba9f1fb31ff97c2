"""Which order is the agent's line, and what its update says, through a real server.

Fixer C5 of s19 (review 5): the status of listed orders, a ramp-up's steps on some days of the week, a day's dose
of the agent's own draft beside one naming other drugs, and what the card says of an update not offered.
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


def posaconazole() -> dict[str, Any]:
    return examples.order("posa-1", "posaconazole", 300)


def test_a_listed_order_of_the_agent_not_given_now_never_displaces_an_active_one(dev_server: Served) -> None:
    # Review 5, must-fix 4: a held venetoclax 800 mg order listed first was the line ("[critical] Venetoclax: hold")
    # while the active "venetoclax / azacitidine" 400 mg order was still given with posaconazole. USPI 2.4: 70 mg.
    for status in ("on-hold", "draft"):
        active = [examples.order("kit-1", "venetoclax / azacitidine", 400, status="active"),
                  examples.order("ven-x", "venetoclax", 800, status=status)]
        for listed in (active, active[::-1]):
            [card] = answer(dev_server, [posaconazole()], listed)
            assert card["summary"] == "Venetoclax: give 70 mg with posaconazole", (status, card["summary"])


def test_a_ramp_up_s_steps_are_given_every_day_and_the_maintenance_on_the_order_s_days(dev_server: Served) -> None:
    # Review 5, must-fix 5: each one-day step ("Day 1: 10 mg") kept the order's dayOfWeek [mon]: a step falling on
    # another day gave nothing. A step's bounds are its day; the maintenance dose keeps the prescriber's days.
    for timing, days in (({"frequency": 2, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon"]}, ["mon"]),
                         ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon", "wed", "fri"]},
                          ["mon", "wed", "fri"])):
        order = examples.order("v1", "venetoclax", 400)
        order["dosageInstruction"][0]["timing"] = {"repeat": timing}
        [card] = answer(dev_server, [order, posaconazole()], [])
        [updated] = updated_orders(card)
        *steps, maintenance = updated["dosageInstruction"]
        assert [step["text"] for step in steps] == ["Day 1: 10 mg", "Day 2: 20 mg", "Day 3: 50 mg", "Day 4: 70 mg"]
        assert [step["timing"]["repeat"].get("dayOfWeek") for step in steps] == [None] * 4, steps
        assert maintenance["doseAndRate"][0]["doseQuantity"]["value"] == 70
        assert maintenance["timing"]["repeat"]["dayOfWeek"] == days, maintenance


def test_the_agent_s_own_draft_giving_more_a_day_is_its_line(dev_server: Served) -> None:
    # Review 5, must-fix 1: venetoclax 400 mg twice daily (800 mg a day) gave way to "Ven/LDAC" (600 mg once daily,
    # USPI 2.2) compared one dose with the other: only "possible duplicate", "keep 600 mg", and 800 mg a day signed.
    drafts = [examples.order("m1", "Ven/LDAC"), twice_daily(examples.order("v1", "venetoclax", 400))]
    for ordered in (drafts, drafts[::-1]):
        [card] = answer(dev_server, ordered, [])
        assert card["summary"] == "Venetoclax: reduce to 600 mg once daily, not twice daily (labelled dose)", \
            card["summary"]
        assert [order["id"] for order in updated_orders(card)] == ["v1"]


def test_no_update_is_promised_for_an_order_naming_other_drugs(dev_server: Served) -> None:
    # Review 5, must-fix 1: "Aza/Ven" checked beside a venetoclax 200 mg draft (a step below its labelled 400 mg) and
    # posaconazole: no update is offered for an order naming azacitidine too, yet the detail said "the check and its
    # update are for MedicationRequest/m1 ... the suggestion removes the others". Since fixer C6b of s20 the update
    # is of the venetoclax-alone draft v1, as when only the ramp-up is missing, and the detail says so, not of m1.
    drafts = [examples.order("m1", "Aza/Ven"), examples.order("v1", "venetoclax", 200), posaconazole()]
    [card] = answer(dev_server, drafts, [])
    assert card["summary"] == "Venetoclax: give 70 mg with posaconazole", card["summary"]
    assert [order["id"] for order in updated_orders(card)] == ["v1"]
    assert "the suggestion removes the others" not in card["detail"], card["detail"]
    assert ("the update is of MedicationRequest/v1 (venetoclax), venetoclax on its own, the whole course. Replace "
            "MedicationRequest/m1 with azacitidine alone") in card["detail"], card["detail"]
