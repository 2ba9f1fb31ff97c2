"""Ivosidenib and glasdegib follow-ups of the fourth pharmacist review, through `check`.

- Low potassium or magnesium on ivosidenib or glasdegib gave no finding (cases B18, B19), while
  gilteritinib and quizartinib had one: both now answer with the same thresholds (3.5 and 0.7 mmol/L).
- Ivosidenib's ECG schedule is now cited to the sources read for it (monthly for the duration of
  therapy), and it still has no blood-count schedule: the label's interval was not found in a source.
"""

from __future__ import annotations

import pytest

from interactions import CheckRequest, CheckResult, KnowledgeBase, Medication, PatientContext, check
from interactions.model import MonitoringTest

ORDERS = {"ivosidenib": Medication("ivosidenib", 500), "glasdegib": Medication("glasdegib", 100)}


def _check(kb: KnowledgeBase, drug: str, patient: PatientContext) -> CheckResult:
    result = check(kb, CheckRequest((ORDERS[drug],), patient=patient))
    assert result.complete, result.unrecognized
    return result


@pytest.mark.parametrize("drug", sorted(ORDERS))
@pytest.mark.parametrize(("potassium", "magnesium"), [(3.0, 0.9), (4.0, 0.5), (3.0, 0.5), (3.49, 0.0)])
def test_low_potassium_or_magnesium_is_a_finding(
        default_kb: KnowledgeBase, drug: str, potassium: float, magnesium: float) -> None:
    result = _check(default_kb, drug, PatientContext(potassium_mmol_l=potassium, magnesium_mmol_l=magnesium))

    (finding,) = [f for f in result.findings if f.rule.endswith("-low-potassium-or-magnesium")]
    assert finding.rule.startswith(f"{drug}/")
    assert finding.object_drug == drug
    assert "QTc" in finding.recommendation
    # The thresholds are not the label's and its words were read only in a restatement: said as such.
    assert any(c.verify for c in finding.citations)
    (dose,) = result.doses
    assert dose.recommended_dose_mg == ORDERS[drug].dose_mg  # no dose change, the order stands


@pytest.mark.parametrize("drug", sorted(ORDERS))
@pytest.mark.parametrize(("potassium", "magnesium"), [(3.5, 0.7), (4.2, 0.9), (0.0, 0.0)])
def test_normal_or_missing_electrolytes_are_silent(
        default_kb: KnowledgeBase, drug: str, potassium: float, magnesium: float) -> None:
    result = _check(default_kb, drug, PatientContext(potassium_mmol_l=potassium, magnesium_mmol_l=magnesium))

    assert not [f for f in result.findings if f.rule.endswith("-low-potassium-or-magnesium")]


def test_ivosidenib_ecg_schedule_cites_the_sources_read(default_kb: KnowledgeBase) -> None:
    result = _check(default_kb, "ivosidenib", PatientContext())

    (ecg,) = [s for s in result.schedules if s.test is MonitoringTest.ECG]
    assert [e.label for e in ecg.events] == ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C3D1"]
    assert {"jadpro-2023-qt-table", "tibsovo-eu-posology-restatement"} <= {c.source for c in ecg.citations}
    assert "duration of therapy" in ecg.reason
    # No blood-count schedule was found in a source read, so none is invented.
    assert MonitoringTest.BLOOD_COUNTS not in {s.test for s in result.schedules}
