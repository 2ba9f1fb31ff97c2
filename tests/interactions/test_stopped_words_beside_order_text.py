"""A stopped word beside another step of the order, or asked, and a dose now joined to a time (s16 review 3).

Each came back complete=true with a finding dropped: the co-medication (or the agent itself) counted as stopped on
the day of the check, or "daily now and at bedtime" checked as once daily.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, CheckResult, KnowledgeBase, Medication, PatientContext, Severity, check

VEN = Medication("venetoclax 400 mg PO daily")
IVO = Medication("ivosidenib 500 mg PO daily")


def _check(kb: KnowledgeBase, regimen: Medication, *lines: str) -> CheckResult:
    return check(kb, CheckRequest((regimen,), tuple(Medication(line) for line in lines), PatientContext()))


@pytest.mark.parametrize(("regimen", "line"), [
    # A step of the order ended, then the drug goes on: venetoclax + digoxin AVOID, + warfarin MONITOR were dropped.
    (VEN, "digoxin 0.5 mg x1 (completed) then 0.125 mg daily"),
    (VEN, "digoxin 0.25 mg BID day 1 (completed), then 0.125 mg daily"),
    (VEN, "digoxin 0.125 mg daily - loading, completed"),
    (VEN, "digoxin 0.125 mg daily; day 1 - completed"),
    (VEN, "digoxin 0.125 mg daily (day 1) (completed)"),
    (VEN, "warfarin 10 mg x1 (completed) then 5 mg daily"),
    (IVO, "dabigatran 150 mg BID - loading, completed"),
    # A question is no status.
    (VEN, "digoxin 0.125 mg daily, stopped?"),
    (VEN, "digoxin 0.125 mg daily - discontinued?"),
    (VEN, "digoxin 0.125 mg daily (discontinued?)"),
    (VEN, "digoxin 0.125 mg daily (stopped) ?"),
    (VEN, "digoxin 0.125 mg daily (course completed?)"),
])
def test_a_stopped_word_beside_a_step_of_the_order_or_asked_leaves_the_line_unrecognised(
        default_kb: KnowledgeBase, regimen: Medication, line: str) -> None:
    result = _check(default_kb, regimen, line)
    (unrecognized,) = result.unrecognized
    assert (result.complete, unrecognized.name, result.findings) == (False, line, ())
    assert unrecognized.detail


@pytest.mark.parametrize("venetoclax", [
    "venetoclax 100 mg day 1 (completed), then 400 mg daily",
    "venetoclax 400 mg daily - ramp-up, completed",
])
def test_an_agent_whose_ramp_up_step_ended_is_never_dropped_as_stopped(default_kb: KnowledgeBase,
                                                                       venetoclax: str) -> None:
    # Was azacitidine alone, complete=true: venetoclax and its posaconazole 70 mg adjustment vanished.
    result = _check(default_kb, Medication("azacitidine 75 mg/m2"), venetoclax, "posaconazole 300 mg daily")
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [venetoclax])


def test_a_phase_phrase_that_ended_still_reads_as_taken(default_kb: KnowledgeBase) -> None:
    result = _check(default_kb, VEN, "digoxin 0.125 mg daily (loading completed)")
    assert (result.complete, [f.rule for f in result.findings]) == (True, ["venetoclax/ven-on-digoxin"])


@pytest.mark.parametrize("order", [
    # A dose now and one at bedtime: day 1 may be two doses (was once daily, CONTINUE, no finding).
    "venetoclax 400 mg daily now and at bedtime",
    "venetoclax 400 mg daily now and qhs",
    "venetoclax 400 mg daily stat and qhs",
    # An interval in hours is never the cycle (was once daily).
    "venetoclax 400 mg daily q504h",
])
def test_a_dose_now_joined_to_a_time_or_an_interval_in_hours_is_not_read_as_daily(default_kb: KnowledgeBase,
                                                                                  order: str) -> None:
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (finding,) = result.findings
    assert (finding.rule, finding.severity) == ("venetoclax/frequency-not-read", Severity.MAJOR)


@pytest.mark.parametrize("order", ["venetoclax 400 mg daily now", "venetoclax 400 mg now then daily",
                                   "venetoclax 400 mg daily x 14 days q28d"])
def test_a_first_dose_now_then_daily_and_a_cycle_stay_once_daily(default_kb: KnowledgeBase, order: str) -> None:
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    assert (dose.action, dose.recommended_dose_mg, result.findings) == (Action.CONTINUE, 400, ())
