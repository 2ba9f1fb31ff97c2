"""One order string checked alone as the regimen, for tests of how order text is read."""

from __future__ import annotations

from interactions import CheckRequest, KnowledgeBase, Medication, PatientContext, check


def order_outcome(kb: KnowledgeBase, order: str) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    """The order's dose as read, the finding rules and the unrecognised lines, the order given as the regimen."""
    result = check(kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    return dose.ordered_dose_mg, tuple(f.rule for f in result.findings), tuple(u.name for u in result.unrecognized)
