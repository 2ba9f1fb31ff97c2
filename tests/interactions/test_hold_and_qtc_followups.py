"""A held agent and the QTc: the second pharmacist review's wrong and misleading answers, through `check`.

- C34: gilteritinib held for pancreatitis with QTcF 520 ms was resumed at 80 mg; over 500 ms it
  stays interrupted whatever it was interrupted for (label 2.3), and so does quizartinib.
- G11, G12: gilteritinib held for another grade >= 3 adverse reaction or for differentiation syndrome
  said the knowledge base had no rule for resuming it; it stays held (the request cannot say the
  toxicity has improved), and the answer states the label's resumption.
- G16: the gilteritinib C1D8 rise of more than 30 ms is confirmed on day 9: that ECG is scheduled.
- Q07: quizartinib ordered for its first day with QTcF 470 ms is "do not initiate" (boxed warning): a QTc
  rule may be for treatment day 1 (`on_first_day`), the start; a running order keeps its band.
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
from interactions.model import DoseRecommendation, MonitoringTest

QTC_520 = PatientContext(qtc_ms=520, baseline_qtc_ms=440)
QTC_500 = PatientContext(qtc_ms=500, baseline_qtc_ms=440)
LABEL_ECG_DAYS = ["C1D1", "C1D8", "C1D15", "C2D1", "C3D1"]


def _dose(result: CheckResult, drug: str) -> DoseRecommendation:
    (dose,) = [d for d in result.doses if d.drug == drug]
    return dose


def _held(kb: KnowledgeBase, drug: str, ordered: float, reason: HoldReason, patient: PatientContext,
          ) -> DoseRecommendation:
    return _dose(check(kb, CheckRequest((Medication(drug, ordered, held=True, hold_reason=reason),),
                                        patient=patient)), drug)


@pytest.mark.parametrize(("drug", "ordered", "rule"), [("gilteritinib", 120, "gil-qtc-held-over-500"),
                                                      ("quizartinib", 35.4, "quiz-qtc-held-over-500")])
@pytest.mark.parametrize("reason", list(HoldReason), ids=[r.name.lower() for r in HoldReason])
def test_a_held_agent_stays_held_while_qtcf_is_over_500(default_kb: KnowledgeBase, drug: str, ordered: float,
                                                        rule: str, reason: HoldReason) -> None:
    dose = _held(default_kb, drug, ordered, reason, QTC_520)

    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD), dose.rationale
    (finding,) = dose.findings
    assert finding.rule == f"{drug}/{rule}"
    assert "QTcF > 500 ms" in dose.rationale
    assert "whatever it was interrupted for" in dose.rationale


# The boundary: at 500 ms the label's "> 500 ms" does not hold, and the pancreatitis resumption stands.
def test_gilteritinib_held_for_pancreatitis_at_qtcf_500_resumes_at_80_mg(default_kb: KnowledgeBase) -> None:
    dose = _held(default_kb, "gilteritinib", 120, HoldReason.PANCREATITIS, QTC_500)

    assert (dose.recommended_dose_mg, dose.action) == (80, Action.ADJUST_DOSE)
    assert [f.rule for f in dose.findings] == ["gilteritinib/gil-pancreatitis-resume"]


@pytest.mark.parametrize(("reason", "rule", "resumption"), [
    (HoldReason.DIFFERENTIATION_SYNDROME, "gil-differentiation-syndrome-held",
     "resume gilteritinib at the same dose once signs and symptoms have improved to grade 2 or lower"),
    (HoldReason.OTHER_ADVERSE_REACTION, "gil-other-adverse-reaction-held",
     "resume gilteritinib at 80 mg once daily once the toxicity has resolved or improved to grade 1"),
], ids=["differentiation-syndrome", "other-adverse-reaction"])
def test_gilteritinib_held_for_a_toxicity_states_the_labels_resumption(
        default_kb: KnowledgeBase, reason: HoldReason, rule: str, resumption: str) -> None:
    dose = _held(default_kb, "gilteritinib", 120, reason, PatientContext())

    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)
    (finding,) = dose.findings
    assert finding.rule == f"gilteritinib/{rule}"
    assert resumption in finding.recommendation
    assert "no rule for resuming" not in finding.recommendation
    assert any(c.source == "uspi-xospata" and c.verify for c in finding.citations)


def _ecg_days(result: CheckResult) -> list[list[str]]:
    return [[e.label for e in s.events] for s in result.schedules
            if s.drug == "gilteritinib" and s.test == MonitoringTest.ECG]


def test_gilteritinib_c1d8_rise_schedules_the_day_9_ecg(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("gilteritinib", 120),), patient=PatientContext(
        qtc_ms=485, baseline_qtc_ms=445, qtc_day="C1D8")))

    assert [f.rule for f in result.findings] == ["gilteritinib/gil-qtc-rise-over-30"]
    # The label's routine ECG days, and the confirming ECG as a schedule of its own with its reason.
    assert _ecg_days(result) == [LABEL_ECG_DAYS, ["C1D9"]]
    (confirming,) = [s for s in result.schedules if [e.label for e in s.events] == ["C1D9"]]
    assert "to confirm a QTcF rise" in confirming.reason


# Without the rise the label's ECG days are unchanged: day 9 is only the confirmation.
def test_gilteritinib_ecg_days_without_a_rise(default_kb: KnowledgeBase) -> None:
    assert _ecg_days(check(default_kb, CheckRequest((Medication("gilteritinib", 120),)))) == [LABEL_ECG_DAYS]


def test_quizartinib_is_not_started_with_qtcf_over_450(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("quizartinib", 17.7, treatment_day=1),),
                                            patient=PatientContext(qtc_ms=470)))

    dose = _dose(result, "quizartinib")
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)
    assert "do not initiate quizartinib" in dose.rationale


# A guard: a patient already on quizartinib with QTcF 451-480 ms stays on the current dose.
@pytest.mark.parametrize("day", [0, 15])
def test_quizartinib_already_running_with_qtcf_470_stays_on_its_dose(default_kb: KnowledgeBase, day: int) -> None:
    result = check(default_kb, CheckRequest((Medication("quizartinib", 35.4, treatment_day=day),),
                                            patient=PatientContext(qtc_ms=470)))

    dose = _dose(result, "quizartinib")
    assert (dose.recommended_dose_mg, dose.action) == (35.4, Action.MONITOR)
    assert [f.rule for f in dose.findings] == ["quizartinib/quiz-qtc-over-450"]


@pytest.mark.parametrize("agent", ["midostaurin", "enasidenib", "gemtuzumab ozogamicin"])
def test_an_agent_held_with_no_rule_to_resume_it_is_not_told_of_qtc_rules(default_kb: KnowledgeBase,
                                                                          agent: str) -> None:
    # Third pharmacist review, case 12: "no QTc rule says to resume" of agents held for differentiation syndrome.
    held = Medication(agent, held=True, hold_reason=HoldReason.DIFFERENTIATION_SYNDROME)
    dose = _dose(check(default_kb, CheckRequest((held,))), agent)
    assert (dose.recommended_dose_mg, dose.action) == (0, Action.HOLD)
    assert "Marked as held in the order, and no rule of this knowledge base resumes it" in dose.rationale
    assert "QTc" not in dose.rationale
