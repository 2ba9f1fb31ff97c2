"""A bracket that begins by joining ("(with posa)", "(+ aza)") names another drug taken, not the line's brand.

An eighth pharmacist review: "venetoclax 70 mg PO daily (with posa)" was a CONFLICT (venetoclax's brand said to be
posaconazole), so the venetoclax order was not checked at all; written without brackets ("w/ posaconazole") it reads
as both drugs, as it now does with them. A bracket naming another drug with nothing joining it is still compared as
a brand ("ondansetron (Kytril)": a conflict).
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, check
from interactions.model import UnrecognizedReason


@pytest.mark.parametrize(("line", "drugs"), [
    ("venetoclax 70 mg PO daily (with posa)", ("venetoclax", "posaconazole")),
    ("venetoclax 100 mg daily (w/ voriconazole)", ("venetoclax", "voriconazole")),
    ("venetoclax 400 mg daily (+ azacitidine)", ("venetoclax", "azacitidine")),
    ("venetoclax 400 mg daily (and aza D1-7)", ("venetoclax", "azacitidine")),
])
def test_a_bracket_that_joins_names_another_drug(default_kb: KnowledgeBase, line: str,
                                                 drugs: tuple[str, ...]) -> None:
    assert default_kb.resolver.read(line).drugs == drugs


@pytest.mark.parametrize("line", ["ondansetron (Kytril)", "venetoclax (posaconazole)", "venetoclax (on posaconazole)"])
def test_a_bracket_that_does_not_join_is_still_a_brand(default_kb: KnowledgeBase, line: str) -> None:
    reading = default_kb.resolver.read(line)
    assert reading.drugs == ()
    assert reading.reason in (UnrecognizedReason.CONFLICT, UnrecognizedReason.UNKNOWN)


@pytest.mark.parametrize("line", ["venetoclax 70 mg PO daily (with posa)", "venetoclax 70 mg PO daily w/ posaconazole"])
def test_an_agent_listed_with_its_partner_among_the_co_medications_is_checked(default_kb: KnowledgeBase,
                                                                              line: str) -> None:
    # Among the co-medications, a line naming an agent and another drug was left as it came: venetoclax had no
    # decision and no finding, and the answer was complete.
    result = check(default_kb, CheckRequest((Medication("azacitidine", 130),), (Medication(line),)))

    (venetoclax,) = [d for d in result.doses if d.drug == "venetoclax"]
    # The line's one dose is not guessed to be venetoclax's: the dose to give is posaconazole's 70 mg.
    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg, venetoclax.action) == (
        0, 70, Action.ADJUST_DOSE)
    assert [f.rule for f in venetoclax.findings] == ["venetoclax/ven-posaconazole", "venetoclax/dose-not-read"]
    assert [d.drug for d in result.doses] == ["azacitidine", "venetoclax"]  # posaconazole stays a co-medication
    assert result.complete


@pytest.mark.parametrize("line", ["venetoclax 70 mg PO daily (with posa)", "venetoclax 70 mg PO daily w/ posaconazole"])
def test_an_agent_listed_with_its_partner_is_checked_at_its_dose_field(default_kb: KnowledgeBase, line: str) -> None:
    # The dose field was dropped for such a line: ordered 0 mg and dose-not-read, though the caller sent 70 mg.
    result = check(default_kb, CheckRequest((Medication("azacitidine", 130),), (Medication(line, 70),)))

    (venetoclax,) = [d for d in result.doses if d.drug == "venetoclax"]
    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg, venetoclax.action) == (
        70, 70, Action.ADJUST_DOSE)
    assert [f.rule for f in venetoclax.findings] == ["venetoclax/ven-posaconazole"]
    assert result.complete
