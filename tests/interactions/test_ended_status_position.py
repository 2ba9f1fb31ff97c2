"""A word saying an order ended ("completed", "stopped") says so only where it states the line's status (s16, H).

Read wherever it stood, a drug still taken was counted as stopped on the day of the check: the rule on its own levels
(venetoclax + digoxin AVOID) was dropped and the check said complete. Beside a phase, a day, a count, "then" or "of",
the line is unrecognised again, saying why; alone in brackets, or ending the line after a dash, a comma or the drug's
name, it is the order's status.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, CheckResult, KnowledgeBase, Medication, PatientContext, check

VEN = Medication("venetoclax 400 mg PO daily")
IVO = Medication("ivosidenib 500 mg PO daily")
ENDED = "the line says the order has ended but not when"
AMID = "'completed' beside other order text, not alone where a line states its status"


def _check(kb: KnowledgeBase, regimen: Medication, *lines: str) -> CheckResult:
    return check(kb, CheckRequest((regimen,), tuple(Medication(line) for line in lines), PatientContext()))


@pytest.mark.parametrize("line", [
    "digoxin 0.125 mg daily, completed loading",
    "digoxin 0.125 mg daily, completed induction",
    "digoxin 0.125 mg daily, day 1 completed",
    "digoxin 0.125 mg daily (completed 3 of 7 days)",
    "digoxin 0.125 mg x 2 doses completed then daily",
])
def test_a_word_of_an_ended_order_beside_a_phase_day_or_count_leaves_the_line_unrecognised(
        default_kb: KnowledgeBase, line: str) -> None:
    # Each was digoxin stopped on the day of the check: no finding, complete=true, though digoxin may still be taken
    # (venetoclax raises its levels: avoid, venetoclax.toml ven-on-digoxin).
    result = _check(default_kb, VEN, line)
    (unrecognized,) = result.unrecognized
    (dose,) = result.doses
    assert (result.complete, unrecognized.name, result.findings, dose.recommended_dose_mg) == (False, line, (), 400)
    assert unrecognized.detail.startswith(AMID)
    assert ENDED not in dose.rationale.lower()


@pytest.mark.parametrize(("regimen", "line", "rule", "action"), [
    (VEN, "digoxin 0.125 mg daily (loading completed)", "venetoclax/ven-on-digoxin", Action.AVOID_COMBINATION),
    (VEN, "posaconazole 300 mg daily (loading completed)", "venetoclax/ven-posaconazole", Action.ADJUST_DOSE),
    (VEN, "warfarin 5 mg daily, loading dose completed", "venetoclax/ven-on-warfarin", Action.MONITOR),
    (IVO, "dabigatran 150 mg BID, loading completed", "ivosidenib/ivo-on-dabigatran", Action.AVOID_COMBINATION),
])
def test_a_co_medication_whose_loading_ended_keeps_the_rule_on_its_own_levels(
        default_kb: KnowledgeBase, regimen: Medication, line: str, rule: str, action: Action) -> None:
    # Read as stopped (2bc5a3f), the rule vanished with complete=true (or said the order had ended); the phase ended,
    # the drug is taken.
    result = _check(default_kb, regimen, line)
    assert (result.complete, [(f.rule, f.action) for f in result.findings]) == (True, [(rule, action)])
    assert all(ENDED not in f.recommendation.lower() for f in result.findings)


@pytest.mark.parametrize(("regimen", "line"), [
    # Where a status stands, but beside a step of the order (s16 review 3): each was counted as stopped, the rule
    # dropped (venetoclax + digoxin AVOID, + warfarin MONITOR; ivosidenib + dabigatran AVOID), complete=true.
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
    # Steps the listed ones did not name (s16 review 4): each was counted as stopped, the rule dropped, complete=true.
    # Only a whole order's shape is read as ended now: a one-word name, a dose in mg, a route, one frequency.
    (VEN, "digoxin 0.125 mg daily - stat, completed"),
    (VEN, "digoxin 0.125 mg daily (x one) (completed)"),
    (VEN, "digoxin 0.125 mg daily; dose #1 - completed"),
    (VEN, "digoxin 0.125 mg daily - C1D1, completed"),
    (VEN, "digoxin 0.125 mg daily - 1/3, completed"),
    (VEN, "digoxin 0.125 mg BID - PM dose, discontinued"),
    (VEN, "digoxin 0.125 mg po daily - IV, discontinued"),
    (VEN, "digoxin 0.125 mg BID, qhs, discontinued"),
])
def test_a_stopped_word_beside_a_step_of_the_order_or_asked_leaves_the_line_unrecognised(
        default_kb: KnowledgeBase, regimen: Medication, line: str) -> None:
    result = _check(default_kb, regimen, line)
    (unrecognized,) = result.unrecognized
    assert (result.complete, unrecognized.name, result.findings) == (False, line, ())
    assert "is not guessed" in unrecognized.detail


@pytest.mark.parametrize("venetoclax", [
    "venetoclax 100 mg day 1 (completed), then 400 mg daily", "venetoclax 400 mg daily - ramp-up, completed",
    "venetoclax 400 mg daily d1-14 (completed)", "venetoclax 400 mg daily - two weeks, completed",  # s16 review 4
    "venetoclax 400 mg daily - stat dose, completed",
])
def test_an_agent_whose_ramp_up_step_ended_is_never_dropped_as_stopped(default_kb: KnowledgeBase,
                                                                       venetoclax: str) -> None:
    # Was azacitidine alone, complete=true (s16 review 3): venetoclax and its posaconazole 70 mg adjustment vanished.
    result = _check(default_kb, Medication("azacitidine 75 mg/m2"), venetoclax, "posaconazole 300 mg daily")
    assert (result.complete, [u.name for u in result.unrecognized]) == (False, [venetoclax])


def test_an_agent_listed_after_its_ramp_up_is_checked_as_without_the_words(default_kb: KnowledgeBase) -> None:
    # Read as stopped (2bc5a3f), venetoclax vanished from the answer: azacitidine's dose only, complete=true.
    def outcome(venetoclax: str) -> list[tuple[str, Action, float | None, tuple[str, ...]]]:
        result = _check(default_kb, Medication("azacitidine 75 mg/m2"), venetoclax, "posaconazole 300 mg daily")
        assert result.complete
        return [(d.drug, d.action, d.recommended_dose_mg, tuple(f.rule for f in d.findings)) for d in result.doses]

    expected = outcome("venetoclax 400 mg daily")
    assert ("venetoclax", Action.ADJUST_DOSE, 70, ("venetoclax/ven-posaconazole",)) in expected
    assert outcome("venetoclax 400 mg daily, ramp-up completed") == expected


@pytest.mark.parametrize("line", [
    "posaconazole (discontinued)", "[DISCONTINUED] posaconazole 300 mg", "posaconazole 300mg PO daily (completed)",
    "posaconazole stopped", "posaconazole - DISCONTINUED", "posaconazole 300 mg daily, stopped",
    "posaconazole 300 mg daily - COMPLETED", "posaconazole 300 mg daily (course completed)",
])
def test_a_word_stating_the_line_s_status_still_says_the_order_ended(default_kb: KnowledgeBase, line: str) -> None:
    # Within posaconazole's washout counted from the day of the check: venetoclax 70 mg (label table).
    result = _check(default_kb, VEN, line)
    (dose,) = result.doses
    (finding,) = result.findings
    assert (result.complete, dose.action, dose.recommended_dose_mg, finding.rule) == (
        True, Action.ADJUST_DOSE, 70, "venetoclax/ven-posaconazole")
    assert ENDED in finding.recommendation.lower()
