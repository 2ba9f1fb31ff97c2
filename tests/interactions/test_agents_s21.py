"""Session 21, helper E: a pharmacist's check of the agents other than venetoclax, through `check`.

- Quizartinib interrupted for QTcF > 500 ms at its lowest dose level (17.7 mg) resumed at 17.7 mg once
  QTcF was < 450 ms: the label resumes one level lower (USPI 2.3, 5.1 as restated) and there is none, so
  it stays interrupted for a pharmacist, as the 481-500 ms band at 17.7 mg already did.
- Gemtuzumab ozogamicin ordered per m2 ("3 mg/m2 days 1, 4, 7", no dose in mg) was recommended 4.5 mg, CONTINUE:
  the one-vial cap, more than 3 mg/m2 of any patient under 1.5 m2. No dose in mg is recommended now (absent, as
  for a partner ordered without a dose); an order in mg is still checked against the cap.
- Ivosidenib interrupted for QTc 481-500 ms with QTc now 485 ms and a baseline of 460 ms was resumed at 250 mg
  (the "within 30 ms of baseline" of the resumption after an episode above 500 ms); after a 481-500 ms episode
  the label resumes only at <= 480 ms (clinical-facts, USPI dosage modifications as restated): it stays held.
- Gemtuzumab ozogamicin's liver tests "before each dose" were on C1D1, C1D4 and C1D7 only: the single-agent
  regimen's second dose on day 8 (6 mg/m2 day 1, 3 mg/m2 day 8) had none before it. C1D8 is scheduled.
- Sorafenib with potassium 3.0 mmol/L was CONTINUE with no finding, while every other QT-labelled agent said
  to correct it; the sorafenib label says to correct electrolytes (QT prolongation): MONITOR, dose unchanged.
"""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    HoldReason,
    KnowledgeBase,
    Medication,
    PatientContext,
    check,
)
from interactions.model import DoseRecommendation, MonitoringTest


def _quizartinib_held(kb: KnowledgeBase, ordered: float, reason: HoldReason, qtc_ms: float) -> DoseRecommendation:
    result = check(kb, CheckRequest((Medication("quizartinib", ordered, held=True, hold_reason=reason),),
                                    patient=PatientContext(qtc_ms=qtc_ms)))
    (dose,) = result.doses
    return dose


@pytest.mark.parametrize("reason", [HoldReason.QTC_PROLONGATION, HoldReason.UNSPECIFIED], ids=["qtc", "unspecified"])
def test_quizartinib_held_at_the_lowest_level_is_not_resumed_at_the_same_dose(default_kb: KnowledgeBase,
                                                                              reason: HoldReason) -> None:
    dose = _quizartinib_held(default_kb, 17.7, reason, 440)
    assert dose.action == Action.HOLD
    assert dose.recommended_dose_mg == 0
    assert [f.rule for f in dose.findings] == ["quizartinib/quiz-qtc-held-resume-lowest-level"]


@pytest.mark.parametrize(("at_hold", "action", "resumed", "rule"), [
    (490, Action.CONTINUE, 17.7, "quiz-qtc-resume-lowest-level-after-481-500"),
    (510, Action.HOLD, 0, "quiz-qtc-held-resume-lowest-level"),
    (0, Action.HOLD, 0, "quiz-qtc-held-resume-lowest-level"),
], ids=["481-500", "over-500", "not-given"])
def test_quizartinib_held_at_the_lowest_level_resumes_only_after_a_481_to_500_episode(
        default_kb: KnowledgeBase, at_hold: float, action: Action, resumed: float, rule: str) -> None:
    # In 481-500 ms the label reduces without interruption and returns to the previous dose at QTcF < 450 ms: a hold
    # at 17.7 mg (no level below) resumes at 17.7 mg; it stayed held since 10fec45 (review revE).
    line = Medication("quizartinib", 17.7, held=True, hold_reason=HoldReason.QTC_PROLONGATION, qtc_at_hold_ms=at_hold)
    (dose,) = check(default_kb, CheckRequest((line,), patient=PatientContext(qtc_ms=440))).doses
    assert (dose.action, dose.recommended_dose_mg) == (action, resumed)
    assert [f.rule for f in dose.findings] == [f"quizartinib/{rule}"]


@pytest.mark.parametrize(("ordered", "resumed"), [(53, 35.4), (35.4, 26.5), (26.5, 17.7)])
def test_quizartinib_held_above_the_lowest_level_resumes_one_level_lower(default_kb: KnowledgeBase,
                                                                         ordered: float, resumed: float) -> None:
    dose = _quizartinib_held(default_kb, ordered, HoldReason.QTC_PROLONGATION, 440)
    assert dose.action == Action.ADJUST_DOSE
    assert dose.recommended_dose_mg == pytest.approx(resumed)


GO_7_3 = (Medication("daunorubicin", 60), Medication("cytarabine", 200))


def _gemtuzumab(kb: KnowledgeBase, line: Medication, patient: PatientContext | None = None) -> DoseRecommendation:
    result = check(kb, CheckRequest((line, *GO_7_3), patient=patient or PatientContext()))
    (dose,) = [d for d in result.doses if d.drug == "gemtuzumab ozogamicin"]
    return dose


@pytest.mark.parametrize("line", ["gemtuzumab ozogamicin 3 mg/m2 IV days 1, 4, 7", "Mylotarg 3 mg/m2 D1,4,7",
                                  "gemtuzumab ozogamicin"])
def test_gemtuzumab_ordered_without_a_dose_in_mg_is_recommended_no_dose_in_mg(default_kb: KnowledgeBase,
                                                                              line: str) -> None:
    dose = _gemtuzumab(default_kb, Medication(line))
    assert dose.recommended_dose_mg is None
    assert dose.action == Action.CONTINUE
    assert "dosed per m2" in dose.rationale
    # The order per m2 stands: the rationale never asks for it in mg as well (it said both, review revE).
    assert "state the dose as one amount in mg" not in dose.rationale


def test_gemtuzumab_per_m2_order_held_for_liver_tests_is_still_zero(default_kb: KnowledgeBase) -> None:
    dose = _gemtuzumab(default_kb, Medication("gemtuzumab ozogamicin 3 mg/m2 IV days 1, 4, 7"),
                       PatientContext(bilirubin_uln=2.5))
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0)


@pytest.mark.parametrize(("ordered", "recommended", "action"), [(3.9, 3.9, Action.CONTINUE),
                                                                (6, 4.5, Action.ADJUST_DOSE)])
def test_gemtuzumab_ordered_in_mg_is_checked_against_the_vial_cap(default_kb: KnowledgeBase, ordered: float,
                                                                  recommended: float, action: Action) -> None:
    dose = _gemtuzumab(default_kb, Medication("gemtuzumab ozogamicin", ordered))
    assert (dose.action, dose.recommended_dose_mg) == (action, recommended)


@pytest.mark.parametrize("reason", [HoldReason.QTC_PROLONGATION, HoldReason.UNSPECIFIED], ids=["qtc", "unspecified"])
def test_ivosidenib_held_for_481_to_500_stays_held_until_qtc_is_480(default_kb: KnowledgeBase,
                                                                    reason: HoldReason) -> None:
    line = Medication("ivosidenib", 500, held=True, hold_reason=reason, qtc_at_hold_ms=490)
    (dose,) = check(default_kb, CheckRequest((line,), patient=PatientContext(qtc_ms=485, baseline_qtc_ms=460))).doses
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0)
    assert [f.rule for f in dose.findings] == ["ivosidenib/ivo-qtc-held-after-481-500"]


@pytest.mark.parametrize(("at_hold", "qtc", "action", "resumed"), [(490, 480, Action.CONTINUE, 500),
                                                                   (510, 485, Action.ADJUST_DOSE, 250)])
def test_ivosidenib_resumes_at_the_dose_of_its_episode(default_kb: KnowledgeBase, at_hold: float, qtc: float,
                                                       action: Action, resumed: float) -> None:
    line = Medication("ivosidenib", 500, held=True, hold_reason=HoldReason.QTC_PROLONGATION, qtc_at_hold_ms=at_hold)
    (dose,) = check(default_kb, CheckRequest((line,), patient=PatientContext(qtc_ms=qtc, baseline_qtc_ms=460))).doses
    assert (dose.action, dose.recommended_dose_mg) == (action, resumed)


def test_gemtuzumab_liver_tests_come_before_a_day_8_dose(default_kb: KnowledgeBase) -> None:
    line = Medication("gemtuzumab ozogamicin", 4.5, frequency="days 1 and 8")
    result = check(default_kb, CheckRequest((line,), patient=PatientContext(cycle_start_date="2026-01-05")))
    liver = {e.label: e.date for e in result.monitoring if e.test is MonitoringTest.LIVER_FUNCTION}
    assert liver == {"C1D1": "2026-01-05", "C1D4": "2026-01-08", "C1D7": "2026-01-11", "C1D8": "2026-01-12"}


@pytest.mark.parametrize("patient", [PatientContext(potassium_mmol_l=3.0), PatientContext(magnesium_mmol_l=0.5)],
                         ids=["potassium", "magnesium"])
def test_sorafenib_with_low_potassium_or_magnesium_is_told_to_correct_it(default_kb: KnowledgeBase,
                                                                         patient: PatientContext) -> None:
    line = Medication("sorafenib", 400, frequency="twice daily")
    (dose,) = check(default_kb, CheckRequest((line,), patient=patient)).doses
    assert (dose.action, dose.recommended_dose_mg) == (Action.MONITOR, 400)
    assert [f.rule for f in dose.findings] == ["sorafenib/sor-low-potassium-or-magnesium"]


def test_every_electrolyte_rule_says_its_limits_are_to_be_verified(default_kb: KnowledgeBase) -> None:
    # 3.5 and 0.7 mmol/L are the usual lower limits, no label's: the rule's text says so (it said only "below the
    # normal range", the numbers unsaid and unmarked; review revE).
    rules = [rule for agent in default_kb.agents.values() for rule in agent.spec.patient_rules
             if rule.potassium_below is not None or rule.magnesium_below is not None]
    assert len(rules) >= 5
    for rule in rules:
        assert f"potassium < {rule.potassium_below:g} mmol/L" in rule.recommendation, rule.id
        assert f"magnesium < {rule.magnesium_below:g} mmol/L" in rule.recommendation, rule.id
        assert "verify against the local laboratory" in rule.recommendation, rule.id


@pytest.mark.parametrize(("potassium", "magnesium", "action"), [(3.0, 0, Action.MONITOR), (0, 0.5, Action.MONITOR),
                                                                (4.0, 0.9, Action.CONTINUE)])
def test_midostaurin_with_low_potassium_or_magnesium_is_told_to_correct_it(
        default_kb: KnowledgeBase, potassium: float, magnesium: float, action: Action) -> None:
    # Was CONTINUE with no finding while the other QT-labelled agents said it (review revE).
    regimen = (Medication("midostaurin", 50), Medication("cytarabine", 200), Medication("daunorubicin", 60))
    result = check(default_kb, CheckRequest(regimen, patient=PatientContext(potassium_mmol_l=potassium,
                                                                            magnesium_mmol_l=magnesium)))
    (dose,) = [d for d in result.doses if d.drug == "midostaurin"]
    assert (dose.action, dose.recommended_dose_mg) == (action, 50)
    low = ["midostaurin/mid-low-potassium-or-magnesium"] if action is Action.MONITOR else []
    assert [f.rule for f in result.findings] == low
