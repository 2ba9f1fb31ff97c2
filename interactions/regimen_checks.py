"""Findings about the regimen as a whole: therapeutic duplication and the QT burden (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache

from interactions.index import KnowledgeBase
from interactions.model import Action, Finding, Mechanism, PatientLike
from interactions.schedule import Protocol, compile_protocols
from interactions.schema import QtBurdenRule, citations_of


def duplications(kb: KnowledgeBase, present: set[str]) -> list[Finding]:
    """One finding per therapeutic class of which the regimen and co-medications hold two or more.

    Args:
        kb: the loaded knowledge base.
        present: every recognised drug of the request.

    Returns:
        The findings, in the rules' file order; each names its drugs in `involved`.
    """
    found = []
    for rule, drugs in kb.duplication_groups:
        if len(drugs & present) > 1:
            members = tuple(drug for drug in rule.drugs if drug in present)
            action = Action[rule.action.upper()]
            text = f"{rule.title}: {', '.join(members)}. {rule.recommendation}"
            found.append(Finding(members[0], "", (Mechanism.THERAPEUTIC_DUPLICATION,), rule.severity, action, text,
                                 citations_of(rule.citations), involved=members, rule=rule.id))
    return found


def qt_burden(kb: KnowledgeBase, present: Collection[str], regimen_drugs: Sequence[str],
              patient: PatientLike) -> tuple[Finding, tuple[Protocol, ...]] | None:
    """The QT-burden finding for the whole request, when a rule's thresholds are met.

    Args:
        kb: the loaded knowledge base.
        present: every recognised drug of the request.
        regimen_drugs: the regimen's drugs in answer order; the finding is filed under the first.
        patient: what is known of the patient.

    Returns:
        The first matching rule's finding (naming every QT-prolonging drug) with its monitoring, or
        None.
    """
    qt_drugs = sorted(drug for drug in present if drug in kb.qt_drugs)
    known = sum(drug in kb.known_qt_risk for drug in qt_drugs)
    for rule in kb.regimen_rules.qt_burden:
        if len(qt_drugs) < rule.min_drugs or known < rule.min_known_risk:
            continue
        if rule.congenital_long_qt is not None and rule.congenital_long_qt != patient.congenital_long_qt:
            continue
        listed = ", ".join(f"{drug} (known risk)" if drug in kb.known_qt_risk else drug for drug in qt_drugs)
        text = f"QT-prolonging drugs together: {listed}. {rule.recommendation}"
        owner = regimen_drugs[0] if regimen_drugs else qt_drugs[0]
        finding = Finding(owner, "", (Mechanism.QT_PROLONGATION,), rule.severity, Action.MONITOR, text,
                          citations_of(rule.citations), involved=tuple(qt_drugs), rule=rule.id)
        return finding, _protocols(rule)
    return None


@lru_cache(maxsize=64)  # one per rule: a request's schedule is then de-duplicated by identity
def _protocols(rule: QtBurdenRule) -> tuple[Protocol, ...]:
    return compile_protocols(rule.monitoring)
