"""What the s16 review found in that day's reader changes: order text read as the wrong schedule or as ended.

An interval of a few days or weeks beside a time-of-day word or "daily" was taken for the cycle, and the agent checked
as given daily with no finding; a dose now beside a daily count, and a phase of an order that ended ("ramp-up
completed"), were read as no daily schedule and as the order ended.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, Severity, check


def _outcome(kb: KnowledgeBase, order: str) -> tuple[float, Action, tuple[str, ...], tuple[str, ...]]:
    """The order's dose as read, its action, the finding rules and the unrecognised lines, the order as the regimen."""
    result = check(kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    return dose.ordered_dose_mg, dose.action, tuple(f.rule for f in result.findings), tuple(
        u.name for u in result.unrecognized)


@pytest.mark.parametrize(("order", "agent", "mg"), [
    # Each was CONTINUE at the dose, complete, no finding: the interval was read as the cycle of a daily count.
    ("gilteritinib 120 mg PO qAM q4 days", "gilteritinib", 120),
    ("gilteritinib 120 mg qAM q2 weeks", "gilteritinib", 120),
    ("venetoclax 400 mg q4 days at bedtime", "venetoclax", 400),
    ("venetoclax 400 mg qhs q.4d", "venetoclax", 400),
    ("venetoclax 400 mg daily q4 days", "venetoclax", 400),
    ("venetoclax 400 mg q4d qam", "venetoclax", 400),
    ("venetoclax 400 mg every 4 days in the morning", "venetoclax", 400),
    ("venetoclax 400 mg every 2 weeks in the morning", "venetoclax", 400),
    ("venetoclax 400 mg nightly q5d", "venetoclax", 400),
    ("venetoclax 400 mg daily q 20 days", "venetoclax", 400),  # a day short of the shortest cycle
])
def test_an_interval_shorter_than_a_cycle_beside_a_daily_count_is_not_read_as_daily(
        default_kb: KnowledgeBase, order: str, agent: str, mg: float) -> None:
    result = check(default_kb, CheckRequest((Medication(order),), (), PatientContext()))
    (dose,) = result.doses
    (finding,) = result.findings
    assert (dose.ordered_dose_mg, finding.rule, finding.severity, result.complete) == (
        mg, f"{agent}/frequency-not-read", Severity.MAJOR, True)


@pytest.mark.parametrize("order", [
    # An interval of a cycle's length (21 days or more, names.toml's `cycle`) beside a daily count is its cycle.
    "venetoclax 400 mg daily every 4 weeks",  # a 28-day cycle
    "venetoclax 400 mg daily x 14 days q28d",
    "venetoclax 400 mg daily days 1-14 q21 days",
    "venetoclax 400 mg daily q3 weeks",
    "venetoclax 400 mg qAM q28d",
])
def test_an_interval_as_long_as_a_cycle_beside_a_daily_count_is_its_cycle(default_kb: KnowledgeBase,
                                                                           order: str) -> None:
    assert _outcome(default_kb, order) == (400, Action.CONTINUE, (), ())


@pytest.mark.parametrize("order", [
    # Each was frequency-not-read: a dose now beside a daily count is the first dose of that daily schedule.
    "venetoclax 400 mg daily now",
    "venetoclax 400 mg now then daily",
    "venetoclax 400 mg stat then daily",
    "venetoclax 400 mg STAT then daily",
    "venetoclax 400 mg daily stat",
    # "(once)" after the course of a daily count is that course's one time, as "daily (once)" is daily's.
    "venetoclax 400 mg daily x 28 days (once)",
])
def test_a_first_dose_now_or_a_course_given_once_beside_a_daily_count_is_once_daily(default_kb: KnowledgeBase,
                                                                                     order: str) -> None:
    assert _outcome(default_kb, order) == (400, Action.CONTINUE, (), ())


@pytest.mark.parametrize("order", [
    # A single dose, alone or limiting a daily count ("qd x1": one dose), stays no daily schedule; so does "once"
    # before "then daily" (it may be a loading dose), and a dose now with no daily count.
    "venetoclax 400 mg qd x1", "venetoclax 400 mg daily x1", "venetoclax 400 mg once, then daily",
    "venetoclax 400 mg now", "venetoclax 400 mg stat",
    # A dose now and one at bedtime: day 1 may be two doses; only "then" makes a dose now the first of a daily
    # schedule (s16 review 3: each was once daily, CONTINUE, no finding).
    "venetoclax 400 mg daily now and at bedtime", "venetoclax 400 mg daily now and qhs",
    "venetoclax 400 mg daily stat and qhs",
    # An interval in hours is never the cycle (s16 review 3: was once daily).
    "venetoclax 400 mg daily q504h",
])
def test_a_single_dose_that_is_no_first_dose_of_a_daily_count_stays_unread(default_kb: KnowledgeBase,
                                                                            order: str) -> None:
    assert _outcome(default_kb, order) == (400, Action.ADJUST_DOSE, ("venetoclax/frequency-not-read",), ())


@pytest.mark.parametrize("order", [
    # Each was unrecognised (complete=false) as an order saying it had ended: only its ramp-up or titration did.
    "venetoclax 400 mg daily (ramp-up completed)", "venetoclax 400 mg daily (ramp up complete)",
    "venetoclax 400 mg daily (titration completed)",
])
def test_a_regimen_order_whose_phase_ended_is_checked_as_ordered(default_kb: KnowledgeBase, order: str) -> None:
    assert _outcome(default_kb, order) == (400, Action.CONTINUE, (), ())


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily (course completed)", "venetoclax 400 mg daily (induction completed)",
    "venetoclax 400 mg daily (ramp-up stopped)",
])
def test_a_regimen_order_that_may_have_ended_with_its_phase_stays_unrecognised(default_kb: KnowledgeBase,
                                                                               order: str) -> None:
    assert _outcome(default_kb, order) == (0, Action.UNSPECIFIED, (), (order,))
