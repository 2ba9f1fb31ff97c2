"""Orders and helpers shared by the tests of how order text is read."""

from __future__ import annotations

from interactions import CheckRequest, KnowledgeBase, Medication, PatientContext, check
from interactions.model import CheckResult, DoseRecommendation

AZA = Medication("azacitidine", 75)
"""Venetoclax's partner in the regimen, beside the order under test."""
VEN_AZA = (Medication("venetoclax", 400), AZA)
"""Venetoclax 400 mg and azacitidine: the regimen a co-medication line under test is checked beside."""
POSACONAZOLE = Medication("posaconazole 300 mg daily")
"""The co-medication a regimen line under test is checked beside: venetoclax 400 mg is 70 mg with it."""


def beside_posaconazole(kb: KnowledgeBase, line: str) -> CheckResult:
    """The check of `line` as the regimen, posaconazole the co-medication."""
    return check(kb, CheckRequest((Medication(line),), (POSACONAZOLE,), PatientContext()))


def as_a_co_medication(kb: KnowledgeBase, line: str) -> CheckResult:
    """The check of `line` as a co-medication beside venetoclax 400 mg and azacitidine."""
    return check(kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))


def order_outcome(kb: KnowledgeBase, order: str) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    """The order's dose as read, the finding rules and the unrecognised lines, the order given as the regimen."""
    result = check(kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    return dose.ordered_dose_mg, tuple(f.rule for f in result.findings), tuple(u.name for u in result.unrecognized)


def agent_dose(result: CheckResult, agent: str) -> DoseRecommendation:
    """The one dose recommendation of `agent` in the result."""
    (dose,) = [d for d in result.doses if d.drug == agent]
    return dose
