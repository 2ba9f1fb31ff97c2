"""A co-medication line whose words say its order ended ("posaconazole (discontinued)") (s16, helper E).

EHR exports write these often. They were unrecognised (ab9ce93), each making the whole check incomplete. Such a line
is now that drug, stopped on the day of the check, the latest it can have been (as the CDS Hooks adapter takes an
ended order with no date): an inhibitor or inducer still counts through its washout, and the answer says so.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, CheckResult, KnowledgeBase, Medication, PatientContext, check

VEN = Medication("venetoclax 400 mg PO daily")
UNDATED = "the line says the order has ended but not when: counted as stopped on the day of the check"
IN_FINDING = (" (The line says the order has ended but not when: counted as stopped on the day of the check, and still "
              "counted")
EXACT = "give the date of its last dose for the exact count"
ENDED_LINES = [
    "posaconazole (discontinued)",
    "posaconazole - DISCONTINUED",
    "[DISCONTINUED] posaconazole 300 mg",
    "posaconazole 300mg PO daily (completed)",
    "posaconazole stopped",
]


def _check(kb: KnowledgeBase, regimen: Medication, *lines: Medication, as_of: str = "2026-11-30") -> CheckResult:
    return check(kb, CheckRequest((regimen,), lines, PatientContext(as_of_date=as_of)))


@pytest.mark.parametrize("as_of", ["2026-11-30", ""])
@pytest.mark.parametrize("line", ENDED_LINES)
def test_an_inhibitor_whose_line_says_it_ended_counts_through_its_washout(default_kb: KnowledgeBase, line: str,
                                                                          as_of: str) -> None:
    # Was unrecognised, complete=false, no dose change: now venetoclax is still cut to 70 mg (label table) within
    # posaconazole's washout, which, counted from the day of the check, has not passed; no day of the check is needed.
    washout = default_kb.agents["venetoclax"].precipitants["posaconazole"].rules[0].washout_days
    result = _check(default_kb, VEN, Medication(line), as_of=as_of)
    (dose,) = result.doses
    (finding,) = result.findings
    assert (result.complete, result.unrecognized) == (True, ())
    assert (dose.action, dose.recommended_dose_mg, finding.rule) == (
        Action.ADJUST_DOSE, 70, "venetoclax/ven-posaconazole")
    assert finding.recommendation.endswith(
        f"{IN_FINDING} until its washout of {washout} days has passed; {EXACT}.)")
    assert f"Posaconazole: {UNDATED}, through its washout; {EXACT}. " in dose.rationale


def test_the_stop_date_field_wins_over_the_words(default_kb: KnowledgeBase) -> None:
    # The words agree with the field, whose date is exact: 30 days before the check, past the washout, nothing cut.
    result = _check(default_kb, VEN, Medication("posaconazole (discontinued)", stopped_on="2026-10-31"))
    (dose,) = result.doses
    assert (result.complete, result.findings, dose.action, dose.recommended_dose_mg) == (True, (), Action.CONTINUE,
                                                                                        400)
    assert "Posaconazole was stopped 30 days before this check and no longer counts" in dose.rationale
    assert UNDATED not in dose.rationale
    # Within the washout, the finding counts the field's days, not the day of the check.
    (finding,) = _check(default_kb, VEN, Medication("posaconazole (discontinued)", stopped_on="2026-11-28")).findings
    assert finding.recommendation.endswith(" (Stopped 2 days before this check: still counted until its washout of "
                                           "3 days has passed.)")


def test_a_strong_inducer_whose_line_says_it_ended_is_still_to_be_avoided(default_kb: KnowledgeBase) -> None:
    # No source gives rifampin's washout beside venetoclax: counted, the conservative reading, as if taken.
    result = _check(default_kb, VEN, Medication("rifampin (completed)"))
    (dose,) = result.doses
    (finding,) = result.findings
    assert (result.complete, dose.avoid_with) == (True, ("rifampin",))
    assert (finding.rule, finding.action) == ("venetoclax/ven-strong-cyp3a-inducer", Action.AVOID_COMBINATION)
    assert f"{IN_FINDING}: this knowledge base's sources give no number" in finding.recommendation


@pytest.mark.parametrize(("line", "said"), [
    (Medication("digoxin 0.125 mg daily (discontinued)"), f"Digoxin: {UNDATED}"),
    # With its last dose: it said "stopped 0 days before this check and no longer counts (its washout has passed): if
    # the venetoclax dose was lowered for it, ...", though no washout had passed and no dose was lowered for it.
    (Medication("digoxin 0.125 mg daily", stopped_on="2026-11-30"), "Digoxin was stopped 0 days before this check"),
])
def test_a_drug_only_the_agent_acts_on_is_no_longer_of_concern(default_kb: KnowledgeBase, line: Medication,
                                                               said: str) -> None:
    # Venetoclax raises digoxin's levels; digoxin no longer given, that rule no longer applies.
    result = _check(default_kb, VEN, line)
    (dose,) = result.doses
    assert (result.complete, result.findings, dose.recommended_dose_mg) == (True, (), 400)
    assert f"{said}; what venetoclax does to it no longer matters, as it is not given. " in dose.rationale
    assert "washout has passed" not in dose.rationale


def test_an_agent_listed_as_ended_among_the_other_medications_is_not_checked_as_ordered(
        default_kb: KnowledgeBase) -> None:
    # As with its stopped_on: a stopped co-medication, not an agent taken along with its dose.
    result = _check(default_kb, Medication("azacitidine 75 mg/m2"),
                    Medication("venetoclax 400 mg daily (discontinued)"))
    assert (result.complete, [dose.drug for dose in result.doses]) == (True, ["azacitidine"])


@pytest.mark.parametrize(("line", "detail"), [
    ("posaconazole DC'd", "\"dc'd\": not a drug or order text"),  # ISMP: D/C is also "discharge"
    ("posaconazole discontinued (on hold)", "'discontinued' beside 'on hold': whether the order has ended is not"),
    ("posaconazole discontinued 11/28", "'discontinued' beside a date: when the order ended is not read"),
    ("posaconazole 300 mg stopped 2026-11-28", "'stopped' beside a date: when the order ended is not read"),
    ("posaconazole 300 mg daily (completed 28.11.2026)", "'completed' beside a date"),
    ("posaconazole and fluconazole discontinued", "'discontinued' beside 'posaconazole' and 'fluconazole': which of"),
])
def test_an_ended_line_that_says_more_than_that_stays_unrecognised(default_kb: KnowledgeBase, line: str,
                                                                   detail: str) -> None:
    # Not the day of the check: the line says another day, or may mean discharge, or a hold, or one of two drugs.
    result = _check(default_kb, VEN, Medication(line))
    (unrecognized,) = result.unrecognized
    assert (result.complete, unrecognized.name, result.findings) == (False, line, ())
    assert unrecognized.detail.startswith(detail)


def test_the_days_of_a_course_beside_the_words_are_no_date(default_kb: KnowledgeBase) -> None:
    # Not a date; but the days may be this cycle's, the drug given again in the next (s16 review 3): not guessed.
    result = _check(default_kb, VEN, Medication("posaconazole 300 mg daily days 1-14 (completed)"))
    (unrecognized,) = result.unrecognized
    assert (result.complete, result.doses[0].recommended_dose_mg) == (False, 400)
    assert unrecognized.detail.startswith("'completed' beside 'days'")


def test_a_regimen_agent_whose_order_says_it_ended_stays_unrecognised(default_kb: KnowledgeBase) -> None:
    # Ordered and ended at once: neither its dose nor a stop is guessed.
    result = _check(default_kb, Medication("venetoclax (discontinued)", 400), Medication("posaconazole 300 mg daily"))
    (unrecognized,) = result.unrecognized
    (dose,) = result.doses
    assert (result.complete, unrecognized.suggestions, dose.action, dose.recommended_dose_mg) == (
        False, ("venetoclax",), Action.UNSPECIFIED, None)
    assert unrecognized.detail == (
        "'discontinued': the order says it has ended, yet it is in the regimen being ordered: whether it is given is "
        "not guessed; order it without that word, or list it among the other medications with the date of its last "
        "dose")
