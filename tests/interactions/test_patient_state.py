"""The patient's state the answer used to ignore: organ function, white cells by treatment day, grade 3 transaminases.

The fourth pharmacist review (items 2, 3, 6, 7, 10) over the real knowledge base: each row a request
and the finding and decision the labels (or, where the knowledge base has not read them, a plain
"not covered") call for.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from interactions import (
    Action,
    CheckRequest,
    CheckResult,
    KnowledgeBase,
    Medication,
    PatientContext,
    Severity,
    check,
    load_knowledge_base,
)
from interactions.schema import PatientRule

A = Action
PARTNER = {"venetoclax": (Medication("azacitidine", 75),)}
STANDARD = {
    "venetoclax": 400, "gilteritinib": 120, "quizartinib": 35.4, "ivosidenib": 500, "olutasidenib": 150,
    "enasidenib": 100, "glasdegib": 100, "midostaurin": 50, "sorafenib": 400, "gemtuzumab ozogamicin": 4.5,
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _check(kb: KnowledgeBase, agent: Medication, patient: PatientContext, *others: str) -> CheckResult:
    regimen = (agent, *PARTNER.get(agent.name, ()))
    result = check(kb, CheckRequest(regimen, tuple(Medication(name) for name in others), patient))
    assert result.complete, result.unrecognized
    return result


def _rules(result: CheckResult, agent: str) -> set[str]:
    return {f.rule.split("/", 1)[1] for f in result.findings if f.object_drug == agent and f.rule.startswith(agent)}


def _decision(result: CheckResult, agent: str) -> tuple[float, Action]:
    dose = next(d for d in result.doses if d.drug == agent)
    return dose.recommended_dose_mg, dose.action


# --- organ function: every agent answers Child-Pugh C and CrCl < 30, never in silence ---------------

SEVERE_HEPATIC = {  # agent -> (rule, dose, action): a dose only where the label gives one
    "venetoclax": ("ven-severe-hepatic-impairment", 200, A.ADJUST_DOSE),
    "gilteritinib": ("gil-severe-hepatic-impairment", 120, A.MONITOR),
    "ivosidenib": ("ivo-severe-hepatic-impairment", 500, A.MONITOR),
    "glasdegib": ("gla-hepatic-impairment-not-studied", 100, A.MONITOR),
    "quizartinib": ("quiz-severe-hepatic-impairment-unreviewed", 35.4, A.MONITOR),
    "olutasidenib": ("olu-severe-hepatic-impairment-unreviewed", 150, A.MONITOR),
    "enasidenib": ("ena-severe-hepatic-impairment-unreviewed", 100, A.MONITOR),
    "midostaurin": ("mid-severe-hepatic-impairment-unreviewed", 50, A.MONITOR),
    "sorafenib": ("sor-severe-hepatic-impairment-unreviewed", 400, A.MONITOR),
    "gemtuzumab ozogamicin": ("gem-severe-hepatic-impairment-unreviewed", 4.5, A.MONITOR),
}
SEVERE_RENAL = {  # agent -> the rules a creatinine clearance of 20 mL/min fires
    "venetoclax": {"ven-reduced-renal-function-tls", "ven-severe-renal-impairment"},
    "gilteritinib": {"gil-severe-renal-impairment"},
    "ivosidenib": {"ivo-severe-renal-impairment"},
    "glasdegib": {"gla-severe-renal-impairment-not-studied"},
    "quizartinib": {"quiz-severe-renal-impairment-unreviewed"},
    "olutasidenib": {"olu-severe-renal-impairment-unreviewed"},
    "enasidenib": {"ena-severe-renal-impairment-unreviewed"},
    "midostaurin": {"mid-severe-renal-impairment-unreviewed"},
    "sorafenib": {"sor-severe-renal-impairment-unreviewed"},
    "gemtuzumab ozogamicin": {"gem-severe-renal-impairment-unreviewed"},
}


def test_every_targeted_agent_has_a_row(kb: KnowledgeBase) -> None:
    assert set(SEVERE_HEPATIC) == set(SEVERE_RENAL) == set(kb.agents) == set(STANDARD)


@pytest.mark.parametrize("agent", sorted(SEVERE_HEPATIC))
def test_severe_hepatic_impairment_is_answered(kb: KnowledgeBase, agent: str) -> None:
    rule, dose, action = SEVERE_HEPATIC[agent]
    result = _check(kb, Medication(agent, STANDARD[agent]), PatientContext(child_pugh="C"))
    assert _rules(result, agent) == {rule}
    assert _decision(result, agent) == (pytest.approx(dose), action)
    assert all(f.citations for f in result.findings)


@pytest.mark.parametrize("agent", sorted(SEVERE_RENAL))
def test_severe_renal_impairment_is_answered_without_changing_the_dose(kb: KnowledgeBase, agent: str) -> None:
    result = _check(kb, Medication(agent, STANDARD[agent]), PatientContext(creatinine_clearance_ml_min=20))
    assert _rules(result, agent) == SEVERE_RENAL[agent]
    assert _decision(result, agent) == (pytest.approx(STANDARD[agent]), A.MONITOR)


@pytest.mark.parametrize("agent", sorted(SEVERE_RENAL))
def test_organ_function_not_given_or_normal_raises_nothing(kb: KnowledgeBase, agent: str) -> None:
    for patient in (PatientContext(), PatientContext(child_pugh="A", creatinine_clearance_ml_min=90)):
        result = _check(kb, Medication(agent, STANDARD[agent]), patient)
        assert _rules(result, agent) == set(), patient


def test_unreviewed_labels_say_so_at_info_severity(kb: KnowledgeBase) -> None:
    result = _check(kb, Medication("sorafenib", 400), PatientContext(child_pugh="C", creatinine_clearance_ml_min=20))
    assert {f.severity for f in result.findings} == {Severity.INFO}
    assert all("does not cover it" in f.recommendation for f in result.findings)
    assert all(any(c.verify for c in f.citations) for f in result.findings)


@pytest.mark.parametrize(("crcl", "expected"), [
    (29.9, {"gil-severe-renal-impairment"}),
    (30, set()),  # "below 30": the band's edge is not severe
])
def test_the_renal_band_is_strictly_below(kb: KnowledgeBase, crcl: float, expected: set[str]) -> None:
    result = _check(kb, Medication("gilteritinib", 120), PatientContext(creatinine_clearance_ml_min=crcl))
    assert _rules(result, "gilteritinib") == expected


def test_glasdegib_moderate_hepatic_impairment_was_not_studied(kb: KnowledgeBase) -> None:
    result = _check(kb, Medication("glasdegib", 100), PatientContext(child_pugh="B"))
    assert _rules(result, "glasdegib") == {"gla-hepatic-impairment-not-studied"}


# --- venetoclax: tumour lysis risk with reduced renal function (item 3) ------------------------------

@pytest.mark.parametrize(("crcl", "expected"), [
    (79, {"ven-reduced-renal-function-tls"}),
    (80, set()),
    (25, {"ven-reduced-renal-function-tls", "ven-severe-renal-impairment"}),
])
def test_venetoclax_day_one_with_reduced_renal_function(kb: KnowledgeBase, crcl: float, expected: set[str]) -> None:
    patient = PatientContext(creatinine_clearance_ml_min=crcl, potassium_mmol_l=5.8)
    result = _check(kb, Medication("venetoclax", 400, treatment_day=1), patient)
    assert _rules(result, "venetoclax") == expected
    assert _decision(result, "venetoclax") == (pytest.approx(100), A.ADJUST_DOSE)  # the day-1 step stands


# --- venetoclax: white cells 25 or more, by treatment day (item 4) ------------------------------------

@pytest.mark.parametrize(("day", "rule", "dose", "action"), [
    (1, "ven-wbc-before-first-dose", 0, A.HOLD),
    (5, "ven-wbc-at-or-above-25", 400, A.MONITOR),
    (0, "ven-wbc-at-or-above-25", 400, A.MONITOR),  # the day not given
])
def test_white_cell_rules_partition_the_orders(kb: KnowledgeBase, day: int, rule: str, dose: float,
                                               action: Action) -> None:
    result = _check(kb, Medication("venetoclax", 400, treatment_day=day), PatientContext(wbc_10e9_l=25))
    assert _rules(result, "venetoclax") == {rule}
    assert _decision(result, "venetoclax") == (pytest.approx(dose), action)


# --- venetoclax: Child-Pugh C with posaconazole (item 10) --------------------------------------------

def test_hepatic_reduction_with_posaconazole_says_the_two_are_not_combined(kb: KnowledgeBase) -> None:
    result = _check(kb, Medication("venetoclax", 400), PatientContext(child_pugh="C"), "posaconazole")
    assert _decision(result, "venetoclax") == (pytest.approx(70), A.ADJUST_DOSE)
    (hepatic,) = [f for f in result.findings if f.rule == "venetoclax/ven-severe-hepatic-impairment"]
    assert "most restrictive" in hepatic.recommendation
    assert "not the two reductions combined" in hepatic.recommendation


# --- transaminases of grade 3 or more (item 6) --------------------------------------------------------

# Gilteritinib interrupts (its label row, and a hepatic recommendation of its own); enasidenib's label has only
# the general row, which is named, not applied, as its bilirubin rules do.
@pytest.mark.parametrize(("agent", "rule", "decision"), [
    ("gilteritinib", "gil-transaminases-grade-3", (0, A.HOLD)),
    ("enasidenib", "ena-transaminases-grade-3", (100, A.MONITOR)),
])
@pytest.mark.parametrize(("alt", "fires"), [(6, True), (5, False), (0, False)])
def test_grade_3_transaminases_are_never_passed_in_silence(kb: KnowledgeBase, agent: str, rule: str,
                                                           decision: tuple[float, Action], alt: float,
                                                           fires: bool) -> None:
    result = _check(kb, Medication(agent, STANDARD[agent]), PatientContext(alt_uln=alt, ast_uln=1, bilirubin_uln=1))
    assert (rule in _rules(result, agent)) is fires
    if fires:
        assert _decision(result, agent) == decision
        (finding,) = [f for f in result.findings if f.rule == f"{agent}/{rule}"]
        assert "considered related" in finding.recommendation


def test_ast_alone_above_5_uln_holds_gilteritinib(kb: KnowledgeBase) -> None:
    result = _check(kb, Medication("gilteritinib", 120), PatientContext(ast_uln=7))
    assert _decision(result, "gilteritinib") == (0, A.HOLD)


# --- the creatinine clearance condition itself ---------------------------------------------------------

def _rule(**condition: object) -> PatientRule:
    return PatientRule.model_validate({"id": "r", "severity": "info", "action": "monitor", "recommendation": "x",
                                       "citations": [{"source": "s", "detail": "d"}], **condition})


def test_a_creatinine_clearance_band_is_a_condition_on_the_patient() -> None:
    assert _rule(crcl_below=30).crcl_below == 30


@pytest.mark.parametrize("value", [0, -5])
def test_a_creatinine_clearance_band_must_be_positive(value: float) -> None:
    with pytest.raises(ValidationError):
        _rule(crcl_below=value)
