"""Olanzapine, metoclopramide and prochlorperazine carry CredibleMeds' conditional tier only: neither eviQ's QT list
nor their US labels (as read) list them as QT-prolonging, so they are not in the qt_prolonging class and raise no QT
finding beside a QT-prolonging agent. Classed conditional-risk drugs (eviQ or a label lists them) do."""

from __future__ import annotations

import pytest

from interactions import CheckRequest, CheckResult, KnowledgeBase, Medication, check
from interactions.model import Mechanism

_AGENTS = [Medication("quizartinib", 35.4), Medication("gilteritinib", 120)]


def _beside(kb: KnowledgeBase, agent: Medication, *texts: str) -> CheckResult:
    return check(kb, CheckRequest((agent,), tuple(Medication(text) for text in texts)))


def _qt_findings(result: CheckResult) -> list[tuple[str, str]]:
    return [(f.rule, f.precipitant_drug) for f in result.findings if Mechanism.QT_PROLONGATION in f.mechanisms]


@pytest.mark.parametrize("agent", _AGENTS, ids=lambda m: m.name)
@pytest.mark.parametrize(("text", "drug"), [
    ("olanzapine", "olanzapine"),
    ("Zyprexa 5", "olanzapine"),
    ("metoclopramide 10 mg", "metoclopramide"),
    ("Reglan 10", "metoclopramide"),
    ("prochlorperazine", "prochlorperazine"),
    ("Compazine 10", "prochlorperazine"),
])
def test_a_conditional_risk_drug_not_listed_by_eviq_or_its_label_raises_no_qt_finding(
        default_kb: KnowledgeBase, agent: Medication, text: str, drug: str) -> None:
    result = _beside(default_kb, agent, text)
    assert (result.complete, result.unrecognized) == (True, ())
    assert drug not in default_kb.qt_drugs
    assert _qt_findings(result) == []


@pytest.mark.parametrize(("agent", "rule"), [
    (_AGENTS[0], "quizartinib/quiz-qt-prolonging"),
    (_AGENTS[1], "gilteritinib/gil-qt-prolonging"),
], ids=["quizartinib", "gilteritinib"])
@pytest.mark.parametrize("drug", ["quetiapine", "risperidone"])  # conditional tier, classed through its label or eviQ
def test_a_conditional_risk_drug_a_source_lists_raises_the_qt_finding(default_kb: KnowledgeBase, agent: Medication,
                                                                      rule: str, drug: str) -> None:
    assert _qt_findings(_beside(default_kb, agent, drug)) == [(rule, drug)]


def test_the_qt_burden_names_only_the_classed_drugs(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(
        (Medication("venetoclax", 400), Medication("azacitidine")),
        tuple(Medication(text) for text in ("ondansetron", "levofloxacin", "olanzapine", "metoclopramide",
                                            "prochlorperazine")),
    ))
    burden = [f.involved for f in result.findings if f.rule and "/" not in f.rule
              and Mechanism.QT_PROLONGATION in f.mechanisms]
    assert burden == [("levofloxacin", "ondansetron")]
