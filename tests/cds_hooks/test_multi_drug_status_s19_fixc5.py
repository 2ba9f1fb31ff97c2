"""Which order is the agent's line, and what its update says, through a real server.

Fixer C5 of s19 (review 5): the status of listed orders, a ramp-up's steps on some days of the week, a day's dose
of the agent's own draft beside one naming other drugs, and what the card says of an update not offered.
"""

from __future__ import annotations

from typing import Any

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_hooks import SIGN, cards


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
