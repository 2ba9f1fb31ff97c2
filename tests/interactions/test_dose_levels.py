"""An agent ordered at none of the doses its label gives is flagged, to be confirmed; its dose stands.

Gilteritinib 100 mg, ivosidenib 400 mg or quizartinib 10 mg went through as "continue" with no word: an order above
the label's most was flagged (kb-review G7), one below it at a dose no label gives was not. The label's doses are
data (`[dose_levels]` of each agent's file, with their sources); an agent with none listed (venetoclax, whose doses
with inhibitors are fractions of its labelled dose) is not checked so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interactions import (
    Action,
    CheckRequest,
    KnowledgeBase,
    KnowledgeBaseError,
    Medication,
    PatientContext,
    check,
    load_knowledge_base,
)
from interactions.answer import answer
from interactions.loading import default_data_dir
from interactions.model import DoseRecommendation, Finding, Severity

GILTERITINIB = ("The ordered gilteritinib dose is none of the doses its label gives (120 or 80 mg): confirm it with "
                "the prescriber (a slip in the order, or a reduction the label does not give). It is checked as "
                "ordered.")


def _checked(kb: KnowledgeBase, agent: Medication,
             *concomitant: Medication) -> tuple[DoseRecommendation, list[Finding]]:
    given = answer(check(kb, CheckRequest((agent,), concomitant, PatientContext())))
    (decision,) = [d for d in given.decisions if d.drug == agent.name]
    return decision, [f for f in given.findings if f.object_drug == agent.name and f.rule.endswith("/dose-level")]


@pytest.mark.parametrize(("agent", "dose", "levels"), [
    ("gilteritinib", 100, "120 or 80"),
    ("gilteritinib", 40, "120 or 80"),
    ("ivosidenib", 400, "500 or 250"),
    ("quizartinib", 10, "53, 35.4, 26.5 or 17.7"),
    ("quizartinib", 30, "53, 35.4, 26.5 or 17.7"),
    ("enasidenib", 75, "100 or 50"),
    ("glasdegib", 25, "100 or 50"),
    ("midostaurin", 25, "50"),
    ("olutasidenib", 100, "150"),
])
def test_a_dose_no_label_gives_is_to_be_confirmed_and_stands(default_kb: KnowledgeBase, agent: str, dose: float,
                                                             levels: str) -> None:
    decision, (finding,) = _checked(default_kb, Medication(agent, dose))
    assert (decision.recommended_dose_mg, decision.action) == (dose, Action.MONITOR)
    assert finding.id in decision.findings
    assert (finding.severity, finding.action) == (Severity.MODERATE, Action.MONITOR)
    assert finding.rule == f"{agent}/dose-level"
    assert f"none of the doses its label gives ({levels} mg)" in finding.recommendation
    assert finding.citations


def test_the_finding_names_the_label_and_its_sources(default_kb: KnowledgeBase) -> None:
    _, (finding,) = _checked(default_kb, Medication("gilteritinib", 100))
    assert finding.recommendation == GILTERITINIB
    assert {c.detail for c in finding.citations} == {
        "2.2 (120 mg once daily)", "2.3 (dose modification table: resume or reduce to 80 mg)"}


@pytest.mark.parametrize(("agent", "dose"), [
    ("gilteritinib", 120), ("gilteritinib", 80), ("ivosidenib", 250), ("quizartinib", 17.7), ("quizartinib", 17.69),
    ("quizartinib", 53), ("enasidenib", 50), ("glasdegib", 50), ("midostaurin", 50), ("olutasidenib", 150),
    ("gilteritinib", 0),  # no dose stated: nothing to confirm
    ("venetoclax", 350),  # no levels listed
])
def test_a_labelled_dose_or_none_stated_is_not_flagged(default_kb: KnowledgeBase, agent: str, dose: float) -> None:
    _, flagged = _checked(default_kb, Medication(agent, dose))
    assert flagged == []


def test_a_dose_above_the_label_is_said_once_as_above_it(default_kb: KnowledgeBase) -> None:
    # Above the label's most it is "give 120 mg", not also "confirm it".
    given = answer(check(default_kb, CheckRequest((Medication("gilteritinib", 200),), (), PatientContext())))
    assert [f.rule for f in given.findings] == ["gilteritinib/labelled-dose"]
    assert given.decisions[0].recommended_dose_mg == 120


def test_a_held_order_at_no_labelled_dose_stays_held_and_is_flagged(default_kb: KnowledgeBase) -> None:
    decision, (finding,) = _checked(default_kb, Medication("gilteritinib", 100, held=True))
    assert (decision.recommended_dose_mg, decision.action) == (0, Action.HOLD)
    assert finding.rule == "gilteritinib/dose-level"


def test_beside_a_dose_change_the_change_wins_and_the_dose_is_still_flagged(default_kb: KnowledgeBase) -> None:
    # Quizartinib 10 mg with posaconazole: its table has no row for 10 mg (it is left at 10 mg), and 10 mg is no
    # labelled dose: both said.
    decision, (finding,) = _checked(default_kb, Medication("quizartinib", 10), Medication("posaconazole", 300))
    assert decision.recommended_dose_mg == 10
    assert decision.action is Action.ADJUST_DOSE
    assert finding.id in decision.findings


def test_levels_that_leave_out_a_dose_of_the_agent_s_own_rules_are_refused(tmp_path: Path) -> None:
    kb = Path(shutil.copytree(default_data_dir(), tmp_path / "kb"))
    path = kb / "agents" / "gilteritinib.toml"
    text = path.read_text()
    assert "mg = [120, 80]" in text
    path.write_text(text.replace("mg = [120, 80]", "mg = [120]"))
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(kb)
    assert any("dose_levels.mg leaves out doses its own rules give: 80" in str(p) for p in raised.value.problems), \
        raised.value.problems
