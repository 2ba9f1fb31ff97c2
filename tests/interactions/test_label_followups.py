"""Label facts the knowledge base had left open: what the curated data now answers for them.

- Quizartinib with a strong CYP3A inhibitor at an ordered 17.7 mg: no row of the dose table the
  knowledge base holds covers it, and the label's instruction for it was not found; the answer says so.
- Olutasidenib: blood counts and chemistries (liver tests among them) continue after month 2 "for the
  duration of therapy" (the manufacturer's restatement of the label).
- Quizartinib: the ECG schedule and the electrolyte check follow the boxed warning's own words.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, CheckResult, KnowledgeBase, Medication, PatientContext, check
from interactions.model import DoseRecommendation, MonitoringSchedule, MonitoringTest

POSACONAZOLE = Medication("posaconazole", 300)
WEEKLY_IN_MONTHS_1_AND_2 = [f"C{c}D{d}" for c in (1, 2) for d in (1, 8, 15, 22)]
NO_PATIENT_FACTS = PatientContext()


def _run(kb: KnowledgeBase, agent: Medication, *others: Medication,
         patient: PatientContext = NO_PATIENT_FACTS) -> CheckResult:
    return check(kb, CheckRequest((agent,), others, patient))


def _dose(result: CheckResult, drug: str) -> DoseRecommendation:
    (dose,) = [d for d in result.doses if d.drug == drug]
    return dose


def _schedule(result: CheckResult, drug: str, test: MonitoringTest) -> MonitoringSchedule:
    (schedule,) = [s for s in result.schedules if s.drug == drug and s.test == test]
    return schedule


def test_quizartinib_17_7_with_a_strong_inhibitor_says_the_label_row_is_not_known(default_kb: KnowledgeBase) -> None:
    dose = _dose(_run(default_kb, Medication("quizartinib", 17.7), POSACONAZOLE), "quizartinib")

    assert dose.recommended_dose_mg == 17.7
    assert "An order already at 17.7 mg" in dose.rationale
    assert "not in this knowledge base's sources" in dose.rationale
    (applied, *_) = dose.findings
    assert applied.rule == "quizartinib/quiz-strong-cyp3a-inhibitor"
    assert all(c.verify for c in applied.citations if c.source == "uspi-vanflyta")


# A guard, unchanged by the follow-up: the three rows the knowledge base holds still apply.
@pytest.mark.parametrize(("ordered", "reduced"), [(53, 26.5), (35.4, 17.7), (26.5, 17.7)])
def test_quizartinib_table_rows_with_posaconazole(default_kb: KnowledgeBase, ordered: float, reduced: float) -> None:
    dose = _dose(_run(default_kb, Medication("quizartinib", ordered), POSACONAZOLE), "quizartinib")

    assert (dose.recommended_dose_mg, dose.action) == (reduced, Action.ADJUST_DOSE)


@pytest.mark.parametrize("test", [MonitoringTest.LIVER_FUNCTION, MonitoringTest.BLOOD_COUNTS])
def test_olutasidenib_labs_continue_after_month_2(default_kb: KnowledgeBase, test: MonitoringTest) -> None:
    schedule = _schedule(_run(default_kb, Medication("olutasidenib", 150)), "olutasidenib", test)

    assert [e.label for e in schedule.events] == [*WEEKLY_IN_MONTHS_1_AND_2, "C3D1"]
    assert "for the duration of therapy" in schedule.reason
    assert any(c.source == "rezlidhia-hcp" and not c.verify for c in schedule.citations)


def test_olutasidenib_hepatotoxicity_finding_keeps_the_liver_tests_going(default_kb: KnowledgeBase) -> None:
    result = _run(default_kb, Medication("olutasidenib", 150), patient=PatientContext(alt_uln=4))

    (finding,) = [f for f in result.findings if f.rule == "olutasidenib/olu-hepatotoxicity"]
    assert "for the duration of therapy" in finding.recommendation


# A guard, unchanged by the follow-up: the schedule already matched the boxed warning.
def test_quizartinib_ecg_weekly_through_the_scheduled_cycles(default_kb: KnowledgeBase) -> None:
    schedule = _schedule(_run(default_kb, Medication("quizartinib", 35.4)), "quizartinib", MonitoringTest.ECG)

    assert [e.label for e in schedule.events] == [f"C{c}D{d}" for c in (1, 2, 3) for d in (1, 8, 15, 22)]
    assert [(c.source, c.verify) for c in schedule.citations] == [("uspi-vanflyta", False)]


def test_quizartinib_low_potassium_cites_the_boxed_warning_as_read(default_kb: KnowledgeBase) -> None:
    result = _run(default_kb, Medication("quizartinib", 35.4), patient=PatientContext(potassium_mmol_l=3.1))

    (finding,) = [f for f in result.findings if f.rule == "quizartinib/quiz-low-potassium-or-magnesium"]
    (label,) = [c for c in finding.citations if c.source == "uspi-vanflyta"]
    assert not label.verify
