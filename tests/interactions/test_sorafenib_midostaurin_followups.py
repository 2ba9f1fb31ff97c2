"""Sorafenib and midostaurin with a prolonged QTc, and midostaurin's monitoring, through `check`.

- Sorafenib with QTcF 520 ms was CONTINUE with nothing said. The label (Highlights, read in a generic's
  copy): "Interrupt if QTc greater than 500 msec or increases greater than 60 msec from baseline".
- Midostaurin with QTcF 520 ms was CONTINUE with nothing said. The US label has no QTc threshold: the
  answer is a prompt to act (MONITOR, the ordered dose), saying so, never a hold the label does not make.
- Midostaurin had no monitoring schedule: white cells and pulmonary symptoms from its first dose (day 8).
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, CheckResult, KnowledgeBase, Medication, PatientContext, check
from interactions.model import DoseRecommendation, MonitoringSchedule, MonitoringTest


def _dose(kb: KnowledgeBase, drug: str, ordered: float, patient: PatientContext,
          held: bool = False) -> DoseRecommendation:
    result = check(kb, CheckRequest((Medication(drug, ordered, held=held),), patient=patient))
    (dose,) = [d for d in result.doses if d.drug == drug]
    return dose


def _schedule(result: CheckResult, drug: str, test: MonitoringTest) -> MonitoringSchedule:
    (schedule,) = [s for s in result.schedules if s.drug == drug and s.test == test]
    return schedule


# "Greater than 500 msec": 500 itself is not, and the ordered dose stands (no rise given over 60 ms).
@pytest.mark.parametrize(("qtc", "action", "dose_mg", "rules"), [
    (500, Action.CONTINUE, 400, []),
    (501, Action.HOLD, 0, ["sorafenib/sor-qtc-over-500"]),
    (520, Action.HOLD, 0, ["sorafenib/sor-qtc-over-500"]),
], ids=["500", "501", "520"])
def test_sorafenib_is_interrupted_above_qtc_500(default_kb: KnowledgeBase, qtc: float, action: Action,
                                                dose_mg: float, rules: list[str]) -> None:
    dose = _dose(default_kb, "sorafenib", 400, PatientContext(qtc_ms=qtc, baseline_qtc_ms=450))

    assert (dose.action, dose.recommended_dose_mg) == (action, dose_mg), dose.rationale
    assert [f.rule for f in dose.findings] == rules


def test_sorafenib_over_500_cites_the_label_it_was_read_in(default_kb: KnowledgeBase) -> None:
    (finding,) = _dose(default_kb, "sorafenib", 400, PatientContext(qtc_ms=520)).findings

    assert "interrupt sorafenib" in finding.recommendation
    assert [(c.source, c.verify) for c in finding.citations] == [("uspi-sorafenib-generic", False),
                                                                 ("uspi-nexavar", True)]


# "Increases greater than 60 msec from baseline": 61 ms interrupts below 500 ms, 60 ms does not.
@pytest.mark.parametrize(("baseline", "action", "rules"), [
    (420, Action.CONTINUE, []),
    (419, Action.HOLD, ["sorafenib/sor-qtc-rise-over-60"]),
], ids=["rise-60", "rise-61"])
def test_sorafenib_is_interrupted_for_a_rise_of_more_than_60_ms(default_kb: KnowledgeBase, baseline: float,
                                                                action: Action, rules: list[str]) -> None:
    dose = _dose(default_kb, "sorafenib", 400, PatientContext(qtc_ms=480, baseline_qtc_ms=baseline))

    assert dose.action == action, dose.rationale
    assert [f.rule for f in dose.findings] == rules


@pytest.mark.parametrize(("qtc", "action", "rules"), [
    (500, Action.CONTINUE, []),
    (520, Action.MONITOR, ["midostaurin/mid-qtc-over-500"]),
], ids=["500", "520"])
def test_midostaurin_over_qtc_500_is_a_prompt_not_a_hold(default_kb: KnowledgeBase, qtc: float, action: Action,
                                                         rules: list[str]) -> None:
    dose = _dose(default_kb, "midostaurin", 50, PatientContext(qtc_ms=qtc, baseline_qtc_ms=450))

    assert (dose.action, dose.recommended_dose_mg) == (action, 50), dose.rationale
    assert [f.rule for f in dose.findings] == rules


def test_midostaurin_over_500_says_the_label_sets_no_threshold(default_kb: KnowledgeBase) -> None:
    (finding,) = _dose(default_kb, "midostaurin", 50, PatientContext(qtc_ms=520)).findings

    assert "the US label gives no QTc threshold" in finding.recommendation
    assert "trial protocol, not a label instruction" in finding.recommendation
    assert [(c.source, c.verify) for c in finding.citations] == [
        ("uspi-rydapt", True), ("uspi-rydapt", False), ("ratify-stone-2017", True)]


# The prompt never resumes a held order: it stays held, and the QTc is still said.
def test_held_midostaurin_over_500_stays_held(default_kb: KnowledgeBase) -> None:
    dose = _dose(default_kb, "midostaurin", 50, PatientContext(qtc_ms=520), held=True)

    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0)
    assert [f.rule for f in dose.findings] == ["midostaurin/mid-qtc-over-500"]


@pytest.mark.parametrize(("test", "words", "sources"), [
    (MonitoringTest.BLOOD_COUNTS, "White cells", [("mims-th-rydapt", False)]),
    (MonitoringTest.CLINICAL_ASSESSMENT, "Pulmonary symptoms", [("uspi-rydapt", True), ("mims-th-rydapt", False)]),
], ids=["blood-counts", "pulmonary"])
def test_midostaurin_monitoring_from_its_first_dose(default_kb: KnowledgeBase, test: MonitoringTest, words: str,
                                                    sources: list[tuple[str, bool]]) -> None:
    result = check(default_kb, CheckRequest((Medication("midostaurin", 50),),
                                          patient=PatientContext(cycle_start_date="2026-03-02")))
    schedule = _schedule(result, "midostaurin", test)

    # Day 8 of cycle 1: the first midostaurin dose (label 2.2: days 8 to 21 of each cycle).
    assert [(e.label, e.date) for e in schedule.events] == [("C1D8", "2026-03-09")]
    assert words in schedule.reason
    assert [(c.source, c.verify) for c in schedule.citations] == sources
