"""Enasidenib's bilirubin with raised transaminases, and glasdegib's ECGs after a QTc recovery, through `check`.

- Enasidenib: the label's 50 mg reduction is for total bilirubin above 3 x ULN *without* raised
  transaminases or another hepatic disorder. With AST or ALT raised as well, no rule answered and the
  request passed as CONTINUE (a pharmacist's finding); now it is a finding that the reduction does not
  apply and that another cause, hepatotoxicity first, is to be evaluated. With both transaminases
  given, exactly one of the two bilirubin rules answers.
- Glasdegib: after a QTc above 500 ms the label asks for ECGs at least weekly for 2 weeks once the QTc
  has resolved. The schedule cannot place them (they follow the day of recovery, not a cycle day), so
  every QTc rule that interrupts or resumes glasdegib says so in its recommendation.
"""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    CheckResult,
    HoldReason,
    KnowledgeBase,
    Medication,
    PatientContext,
    check,
)
from interactions.model import DoseRecommendation

ISOLATED = "enasidenib/ena-isolated-hyperbilirubinaemia"
WITH_TRANSAMINASES = "enasidenib/ena-bilirubin-with-raised-transaminases"
NOT_GIVEN = "enasidenib/ena-bilirubin-transaminases-not-given"
BILIRUBIN_RULES = {ISOLATED, WITH_TRANSAMINASES, NOT_GIVEN}


def _answer(kb: KnowledgeBase, medication: Medication, patient: PatientContext) -> DoseRecommendation:
    result: CheckResult = check(kb, CheckRequest((medication,), patient=patient))
    assert result.complete, result.unrecognized
    (dose,) = result.doses
    return dose


# ------------------------------------------------------------------------------------ enasidenib ---

@pytest.mark.parametrize(("ast", "alt"), [(2.0, 0.9), (0.8, 1.5), (4.0, 6.0), (1.01, 1.0), (0.0, 1.5), (1.5, 0.0)])
def test_bilirubin_with_raised_transaminases_is_a_finding_not_a_silent_pass(
        default_kb: KnowledgeBase, ast: float, alt: float) -> None:
    dose = _answer(default_kb, Medication("enasidenib", 100),
                   PatientContext(bilirubin_uln=3.5, ast_uln=ast, alt_uln=alt))

    # The label gives no dose for this pattern: the order stands, with the finding beside it.
    assert (dose.recommended_dose_mg, dose.action) == (100, Action.MONITOR), dose.rationale
    (finding,) = [f for f in dose.findings if f.rule == WITH_TRANSAMINASES]
    # One transaminase not given: the finding that asks for it comes too (below); one above 5 x ULN has its
    # grade 3 finding (tests/interactions/test_patient_state.py).
    assert {f.rule for f in dose.findings} - {WITH_TRANSAMINASES, "enasidenib/ena-transaminases-grade-3"} == (
        {NOT_GIVEN} if 0.0 in (ast, alt) else set())
    text = finding.recommendation
    assert "does not apply" in text
    assert "hepatotoxicity" in text
    assert "50 mg" in text
    # Facts taken from restatements of the label, not its own words, say so.
    assert all(c.source in {"uspi-idhifa", "kb-review"} for c in finding.citations)
    assert any(c.source == "uspi-idhifa" and c.verify for c in finding.citations)


@pytest.mark.parametrize("ast", [0.5, 1.0, 1.01, 3.0])
@pytest.mark.parametrize("alt", [0.5, 1.0, 1.2, 8.0])
def test_with_both_transaminases_given_exactly_one_bilirubin_rule_answers(
        default_kb: KnowledgeBase, ast: float, alt: float) -> None:
    dose = _answer(default_kb, Medication("enasidenib", 100),
                   PatientContext(bilirubin_uln=4.0, ast_uln=ast, alt_uln=alt))

    (rule,) = [f.rule for f in dose.findings if f.rule in BILIRUBIN_RULES]
    assert rule == (ISOLATED if ast <= 1 and alt <= 1 else WITH_TRANSAMINASES)


@pytest.mark.parametrize(("ast", "alt", "rules"), [
    (0.0, 0.0, {NOT_GIVEN}),
    (0.8, 0.0, {NOT_GIVEN}),
    (0.0, 0.9, {NOT_GIVEN}),
    (2.0, 0.0, {WITH_TRANSAMINASES, NOT_GIVEN}),  # raised already, and the other still to measure
    (0.8, 0.9, {ISOLATED}),
])
def test_bilirubin_without_both_transaminases_asks_for_them(default_kb: KnowledgeBase, ast: float, alt: float,
                                                            rules: set[str]) -> None:
    dose = _answer(default_kb, Medication("enasidenib", 100),
                   PatientContext(bilirubin_uln=3.5, ast_uln=ast, alt_uln=alt))

    assert (dose.recommended_dose_mg, dose.action) == (100, Action.MONITOR), dose.rationale
    assert {f.rule for f in dose.findings if f.rule in BILIRUBIN_RULES} == rules
    if NOT_GIVEN in rules:
        (asks,) = [f for f in dose.findings if f.rule == NOT_GIVEN]
        assert "measure AST and ALT" in asks.recommendation


def test_bilirubin_at_3_x_uln_or_below_needs_no_transaminases(default_kb: KnowledgeBase) -> None:
    dose = _answer(default_kb, Medication("enasidenib", 100), PatientContext(bilirubin_uln=3.0))
    assert (dose.recommended_dose_mg, dose.action, dose.findings) == (100, Action.CONTINUE, ())


# ------------------------------------------------------------------------------------- glasdegib ---

WEEKLY_ECGS = "ECGs at least weekly for 2 weeks"


@pytest.mark.parametrize(("medication", "patient", "rule", "dose_mg"), [
    # Held for QTc prolongation and recovered (<= 480 ms, or within 30 ms of baseline): resume at 50 mg.
    (Medication("glasdegib", 100, held=True, hold_reason=HoldReason.QTC_PROLONGATION),
     PatientContext(qtc_ms=470), "gla-qtc-resume", 50),
    (Medication("glasdegib", 100, held=True, hold_reason=HoldReason.QTC_PROLONGATION),
     PatientContext(qtc_ms=495, baseline_qtc_ms=470), "gla-qtc-resume", 50),
    (Medication("glasdegib", 100, held=True), PatientContext(qtc_ms=470), "gla-qtc-resume-reason-not-given", 50),
    # Not yet recovered, or over 500 ms: interrupted, and the ECGs follow the recovery.
    (Medication("glasdegib", 100, held=True, hold_reason=HoldReason.QTC_PROLONGATION),
     PatientContext(qtc_ms=490), "gla-qtc-held", 0),
    (Medication("glasdegib", 100, held=True), PatientContext(qtc_ms=510), "gla-qtc-held-over-500", 0),
    (Medication("glasdegib", 100), PatientContext(qtc_ms=501), "gla-qtc-over-500", 0),
])
def test_glasdegib_qtc_over_500_answers_name_the_weekly_ecgs_after_recovery(
        default_kb: KnowledgeBase, medication: Medication, patient: PatientContext, rule: str,
        dose_mg: float) -> None:
    dose = _answer(default_kb, medication, patient)

    assert dose.recommended_dose_mg == dose_mg, dose.rationale
    (finding,) = dose.findings
    assert finding.rule == f"glasdegib/{rule}"
    assert WEEKLY_ECGS in finding.recommendation
    # The label's table was read only in restatements: the citation for the ECGs says verify.
    assert any(c.source == "uspi-daurismo" and c.verify and "weekly" in c.detail for c in finding.citations)


def test_glasdegib_resumed_at_50_mg_may_return_to_100_mg_for_another_cause(default_kb: KnowledgeBase) -> None:
    dose = _answer(default_kb, Medication("glasdegib", 100, held=True, hold_reason=HoldReason.QTC_PROLONGATION),
                   PatientContext(qtc_ms=470))

    assert (dose.recommended_dose_mg, dose.action) == (50, Action.ADJUST_DOSE)
    (finding,) = dose.findings
    assert "re-escalat" in finding.recommendation
    assert "100 mg" in finding.recommendation
    assert any(c.source == "medscape-uk-glasdegib" for c in finding.citations)
