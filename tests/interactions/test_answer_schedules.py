"""The answer's monitoring: one schedule per drug, test and days, however many protocols ask for it."""

from __future__ import annotations

from interactions import CheckRequest, KnowledgeBase, Medication, MonitoringTest, PatientContext, check
from interactions.answer import answer

START = PatientContext(cycle_start_date="2026-01-05")
GILTERITINIB_ECG_DAYS = ["C1D1", "C1D8", "C1D15", "C2D1", "C3D1"]


def _gilteritinib_with(other: str) -> CheckRequest:
    return CheckRequest((Medication("gilteritinib", 120),), (Medication(other),), START)


def test_one_tests_protocols_on_the_same_days_are_one_schedule_with_both_reasons(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, _gilteritinib_with("levofloxacin"))  # QT-prolonging: the label's ECG days again
    engine_ecgs = [s for s in result.schedules if s.drug == "gilteritinib" and s.test is MonitoringTest.ECG]
    assert len(engine_ecgs) == 2

    (ecg,) = [s for s in answer(result).monitoring if s.drug == "gilteritinib" and s.test is MonitoringTest.ECG]

    assert [e.label for e in ecg.events] == GILTERITINIB_ECG_DAYS
    assert [e.date for e in ecg.events] == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-02-02", "2026-03-02"]
    assert ecg.reason == f"{engine_ecgs[0].reason} {engine_ecgs[1].reason}"
    assert "QT-prolonging co-medication" in ecg.reason
    assert set(ecg.citations) == {c for s in engine_ecgs for c in s.citations}
    assert len(ecg.citations) == len(set(ecg.citations))


def test_protocols_of_one_test_on_other_days_stay_apart(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, _gilteritinib_with("clarithromycin"))  # a strong CYP3A inhibitor: reviews at ECG visits

    reviews = [s for s in answer(result).monitoring
               if s.drug == "gilteritinib" and s.test is MonitoringTest.CLINICAL_ASSESSMENT]

    assert [[e.label for e in s.events] for s in reviews] == [["C1D1", "C1D8", "C1D15", "C1D22"], GILTERITINIB_ECG_DAYS]
    assert reviews == [s for s in result.schedules
                       if s.drug == "gilteritinib" and s.test is MonitoringTest.CLINICAL_ASSESSMENT]


def test_a_regimen_whose_protocols_differ_is_answered_with_the_engines_schedules(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine", 75)), (), START))

    assert answer(result).monitoring == result.schedules
