"""A draft at none of the doses the agent's label gives: the card's summary says to confirm it (session 23).

The engine's finding `<agent>/dose-level` (knowledge base 2026.12.18) reached the card as "Gilteritinib: monitor
(labelled dose)", which does not say what to do; the summary says what to confirm, as for a dose field and text
that disagree.
"""

from __future__ import annotations

from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served
from tests.cds_hooks.test_multi_drug_ramp_up_s20_c6 import answer


def test_a_dose_no_label_gives_is_to_be_confirmed_in_the_summary(dev_server: Served) -> None:
    [card] = answer(dev_server, [examples.order("g1", "gilteritinib", 100)], [])
    assert (card["summary"], card["indicator"]) == (
        "Gilteritinib: monitor; ordered dose not a labelled one: confirm it", "warning")
    assert "**keep 100 mg**" in card["detail"]
    assert "none of the doses its label gives (120 or 80 mg)" in card["detail"]


def test_a_labelled_dose_is_not_to_be_confirmed(dev_server: Served) -> None:
    for card in answer(dev_server, [examples.order("g1", "gilteritinib", 80)], []):
        assert "confirm" not in card["summary"], card["summary"]
        assert "none of the doses its label gives" not in card["detail"]
