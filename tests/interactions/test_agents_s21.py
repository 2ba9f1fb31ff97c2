"""Session 21, helper E: a pharmacist's check of the agents other than venetoclax, through `check`.

- Quizartinib interrupted for QTcF > 500 ms at its lowest dose level (17.7 mg) resumed at 17.7 mg once
  QTcF was < 450 ms: the label resumes one level lower (USPI 2.3, 5.1 as restated) and there is none, so
  it stays interrupted for a pharmacist, as the 481-500 ms band at 17.7 mg already did.
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
from interactions.model import DoseRecommendation


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


@pytest.mark.parametrize(("ordered", "resumed"), [(53, 35.4), (35.4, 26.5), (26.5, 17.7)])
def test_quizartinib_held_above_the_lowest_level_resumes_one_level_lower(default_kb: KnowledgeBase,
                                                                         ordered: float, resumed: float) -> None:
    dose = _quizartinib_held(default_kb, ordered, HoldReason.QTC_PROLONGATION, 440)
    assert dose.action == Action.ADJUST_DOSE
    assert dose.recommended_dose_mg == pytest.approx(resumed)
