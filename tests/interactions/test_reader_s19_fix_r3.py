"""Fixer R3 of session 19: what review 3 found left in the reader's s19 change.

"then hold" after a course was still a hold now when the course was a glued count with its unit ("x14d") or when a
separator other than a comma stood between them ("; then hold", "- then hold", "(D1-14) - then hold"): HOLD 0 mg of an
order still given, and beside posaconazole no 70 mg. "Dec." before a day ("Dec. 1") was decitabine, a drug not
ordered added, complete. A "now" after a pattern's days off ("14 days off, now day 20") read as the pattern, complete.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, UnrecognizedReason, check
from tests.interactions.orders import AZA, VEN_AZA, agent_dose

POSACONAZOLE = Medication("posaconazole 300 mg daily")
"""A strong CYP3A inhibitor: venetoclax given beside it is 70 mg (USPI Venclexta 2.4), held it is 0."""


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily x14d then hold",
    "venetoclax 400 mg daily x14days then hold",
    "venetoclax 400 mg daily x2wk then hold",
    "venetoclax 400 mg daily (D1-14) - then hold",
    "venetoclax 400 mg daily D1-14 - then hold",
    "venetoclax 400 mg daily x 14 days - then hold",
    "venetoclax 400 mg daily x 14 days; then hold",
    "venetoclax 400 mg daily x 14 days (D1-14); then hold",
    # A bracket between the course and "then hold" (review R of s19).
    "venetoclax 400 mg daily x 14 days (D1-14) then hold",
    "venetoclax 400 mg daily (days 1-14), then hold",
    "venetoclax 400 mg daily x 14 days (C1) then hold",
])
def test_then_hold_after_a_course_past_any_separator_leaves_the_order_given_and_reduced(default_kb: KnowledgeBase,
                                                                                        order: str) -> None:
    # Was HOLD 0 mg beside posaconazole; read as "x 14 days then hold" is (README "Days off"): given, 70 mg.
    assert default_kb.resolver.read(order).held is False
    ven = agent_dose(check(default_kb, CheckRequest((Medication(order), AZA), (POSACONAZOLE,), PatientContext())),
                     "venetoclax")
    assert (ven.ordered_dose_mg, ven.recommended_dose_mg, ven.action) == (400, 70, Action.ADJUST_DOSE)


@pytest.mark.parametrize("order", [
    "venetoclax 400 mg daily x14d -> hold",
    "venetoclax 400 mg daily x 14 days; -> hold",
    "venetoclax 400 mg daily x 4 - then hold",
    "venetoclax 400 mg daily (AM); then hold",
    "venetoclax 400 mg daily; then hold",
])
def test_an_arrow_to_a_hold_or_then_hold_after_no_course_is_still_a_hold(default_kb: KnowledgeBase,
                                                                         order: str) -> None:
    assert default_kb.resolver.read(order).held is True
    ven = agent_dose(check(default_kb, CheckRequest((Medication(order), AZA), (POSACONAZOLE,), PatientContext())),
                     "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (0, Action.HOLD)


# With a year or after a word of a date ("Dec. 1, 2026", "started dec.31") it is read as a date since s20
# (test_reader_s20_r6.py): venetoclax, complete.
@pytest.mark.parametrize("order", ["venetoclax 400 mg daily, Dec. 1"])
def test_dec_with_a_period_before_a_day_is_a_date_not_decitabine(default_kb: KnowledgeBase, order: str) -> None:
    # Was venetoclax and decitabine, complete, with the duplicate hypomethylating agents finding beside azacitidine.
    reading = default_kb.resolver.read(order)
    assert (reading.drugs, reading.reason) == ((), UnrecognizedReason.UNKNOWN)
    assert "decitabine" not in reading.detail
    result = check(default_kb, CheckRequest((Medication(order), AZA), (), PatientContext()))
    assert "decitabine" not in [d.drug for d in result.doses]
    assert not result.complete


@pytest.mark.parametrize(("line", "drugs"), [
    ("Ven/Dec. 400", ("decitabine", "venetoclax")), ("dec. 20 mg/m2 D1-5", ("decitabine",)),
    ("DEC. 20mg/m2 daily x5", ("decitabine",)), ("ven+dec", ("decitabine", "venetoclax")),
    ("dec 20 mg/m2", ("decitabine",)),
])
def test_dec_with_a_period_before_a_dose_is_still_decitabine(default_kb: KnowledgeBase, line: str,
                                                             drugs: tuple[str, ...]) -> None:
    assert tuple(sorted(default_kb.resolver.read(line).drugs)) == drugs


@pytest.mark.parametrize("line", [
    "venetoclax 400 mg daily x 14 days, 14 days off, now day 20",
    "posaconazole 300 mg daily 5 days on, 2 days off - now off",
    "posaconazole 300 mg daily days off 15-28, now day 16",
])
def test_now_after_a_pattern_s_days_off_leaves_the_line_unread(default_kb: KnowledgeBase, line: str) -> None:
    # Paused now? Not guessed (review 1 of s18). Was read as the pattern: the drug counted as taken, complete.
    assert default_kb.resolver.read(line).reason is UnrecognizedReason.UNKNOWN
    result = check(default_kb, CheckRequest(VEN_AZA, (Medication(line),), PatientContext()))
    assert [u.name for u in result.unrecognized] == [line]
    assert not result.complete


def test_a_pattern_s_days_off_with_no_now_still_read(default_kb: KnowledgeBase) -> None:
    line = "venetoclax 400 mg daily x 14 days, 14 days off"
    result = check(default_kb, CheckRequest((Medication(line), AZA), (POSACONAZOLE,), PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (ven.ordered_dose_mg, ven.recommended_dose_mg) == (400, 70)
    assert "venetoclax/frequency-not-read" in [f.rule for f in ven.findings]
