"""An agent's dose as the order says it: a count written "x2", and a dose field the name disagrees with.

An eighth pharmacist review found two ways a dose was checked silently wrong:

- "venetoclax 200 mg x2 daily", "gilteritinib 40 mg x3 daily": a glued count ("x2", ISMP's "times") was
  skipped as order text, and the one mass left was read as the dose (200 mg and 40 mg, CONTINUE), though the
  order gives two or three of them. Written apart ("200 mg x 2 daily") the same order was unread, as it must be.
- A dose field that the name contradicts ("VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily" sent with
  doseMg 100, the tablet's strength): the field was checked, 100 mg, CONTINUE, and nothing said the name gives
  400 mg. The field is still the dose checked (it is the contract's), but a MAJOR `<agent>/dose-disagrees`
  finding names both doses and asks to confirm them, with ADJUST_DOSE.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, Severity, check
from interactions.model import CheckResult, DoseRecommendation

AZA = Medication("azacitidine", 130)


def _decision(result: CheckResult, drug: str) -> DoseRecommendation:
    (decision,) = [d for d in result.doses if d.drug == drug]
    return decision


@pytest.mark.parametrize(("text", "dose"), [
    ("venetoclax 200 mg x2 daily", None),  # was 200 mg
    ("gilteritinib 40 mg x3 daily", None),  # was 40 mg
    ("venetoclax 100 mg X4", None),  # was 100 mg
    ("venetoclax 400 mg 2 x daily", None),  # was 400 mg: "2 x" is a count, not a course
    ("venetoclax 400 mg 2x", None),  # was 400 mg
    # A count of days or a duration after "x" is still a course, not a dose.
    ("venetoclax 400 mg daily x28", 400),
    ("venetoclax 400 mg daily x 28 days", 400),
    ("venetoclax 400 mg daily x7d", 400),
])
def test_a_glued_count_is_a_number_of_the_line(default_kb: KnowledgeBase, text: str, dose: float | None) -> None:
    stated = default_kb.resolver.stated_dose(text)
    assert (stated and stated.mg) == dose


@pytest.mark.parametrize("text", ["venetoclax 200 mg x2 daily", "gilteritinib 40 mg x3 daily"])
def test_an_order_of_several_of_a_mass_is_not_checked_at_one_of_them(default_kb: KnowledgeBase, text: str) -> None:
    result = check(default_kb, CheckRequest((Medication(text), AZA), (), PatientContext()))
    (agent,) = [d for d in result.doses if d.drug != "azacitidine"]

    assert agent.ordered_dose_mg == 0  # was 200 / 40, CONTINUE
    assert agent.action is Action.ADJUST_DOSE
    assert [f.rule for f in agent.findings] == [f"{agent.drug}/dose-not-read"]


@pytest.mark.parametrize(("text", "field", "named"), [
    ("VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 100, 400),
    ("gilteritinib 40 mg tablet - take 3 tablets (120 mg total) by mouth daily", 40, 120),
    ("venetoclax 800 mg PO daily", 400, 800),
    ("Tibsovo 250 mg PO daily", 500, 250),
    # A count glued after the mass (unread as a dose): its product is what the name gives (was CONTINUE, silent).
    ("venetoclax 100 mg tab x4 daily", 100, 400),
    ("gilteritinib 40 mg x3 daily", 40, 120),
])
def test_a_dose_field_the_name_disagrees_with_is_flagged(default_kb: KnowledgeBase, text: str, field: float,
                                                         named: float) -> None:
    result = check(default_kb, CheckRequest((Medication(text, field), AZA), (), PatientContext()))
    (agent,) = [d for d in result.doses if d.drug != "azacitidine"]

    # The field is the dose checked and the one ordered; a finding says what the name says instead.
    assert agent.ordered_dose_mg == field
    assert agent.action is Action.ADJUST_DOSE  # was CONTINUE, with nothing said
    (finding,) = [f for f in agent.findings if f.rule == f"{agent.drug}/dose-disagrees"]
    assert finding.severity is Severity.MAJOR
    assert finding.recommendation.startswith(
        f"The dose field says {field:g} mg but the name {text!r} says {named:g} mg: the order was checked at "
        f"{field:g} mg")
    assert finding in result.findings


@pytest.mark.parametrize(("text", "field"), [
    ("VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 400),  # they agree
    ("VENETOCLAX 100 MG TAB", 400),  # a tablet's strength, not a dose
    ("Venclexta 100", 400),
    ("venetoclax 100 mg day 1", 100),
    ("venetoclax 100 mg tab x4 daily", 400),  # four of 100 mg: they agree
    ("venetoclax 400 mg daily x28", 400),  # days of a course, not a count
    ("venetoclax 400 mg x 28 days", 400),
    ("venetoclax", 400),
])
def test_a_name_that_agrees_or_states_no_dose_adds_nothing(default_kb: KnowledgeBase, text: str,
                                                           field: float) -> None:
    result = check(default_kb, CheckRequest((Medication(text, field), AZA), (), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert not [f for f in result.findings if f.rule.endswith("/dose-disagrees")]
    assert venetoclax.ordered_dose_mg == field


def test_an_agent_among_the_co_medications_is_flagged_too(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest(
        (AZA,), (Medication("VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 100),), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert (venetoclax.ordered_dose_mg, venetoclax.action) == (100, Action.ADJUST_DOSE)
    assert [f.rule for f in venetoclax.findings] == ["venetoclax/dose-disagrees"]


@pytest.mark.parametrize("text", [
    "venetoclax 400 mg PO qam and qpm",  # 800 mg a day
    "venetoclax 400 mg mane and nocte",
    "venetoclax 400 mg PO in the morning and in the evening",
    "venetoclax 400 mg PO every morning and evening",
])
def test_frequencies_joined_by_and_add_up(default_kb: KnowledgeBase, text: str) -> None:
    # Each of "qam and qpm" says once a day, together twice: how often was read as nothing, and the order was
    # checked as 400 mg once daily, CONTINUE, with no finding.
    result = check(default_kb, CheckRequest((Medication(text), AZA), (), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg, venetoclax.action) == (
        400, 400, Action.ADJUST_DOSE)
    assert [f.rule for f in venetoclax.findings] == ["venetoclax/labelled-dose", "venetoclax/labelled-frequency"]


@pytest.mark.parametrize("text", ["venetoclax 400 mg daily BID", "venetoclax 400 mg qd, q12h"])
def test_an_agent_order_naming_frequencies_that_disagree_is_flagged(default_kb: KnowledgeBase, text: str) -> None:
    # Read as none, the order was checked as 400 mg once daily, CONTINUE, with no finding.
    result = check(default_kb, CheckRequest((Medication(text), AZA), (), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert (venetoclax.ordered_dose_mg, venetoclax.action) == (400, Action.ADJUST_DOSE)
    (finding,) = venetoclax.findings
    assert (finding.rule, finding.severity) == ("venetoclax/frequency-not-read", Severity.MAJOR)
    assert finding.recommendation.startswith(
        f"{text!r} names several frequencies: how often venetoclax is given is not read, and 400 mg was checked as "
        "given once a day, as the label gives it.")


def test_a_frequency_in_its_field_settles_it(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 400 mg daily BID", 0, "BID"), AZA), (),
                                            PatientContext()))

    assert [f.rule for f in _decision(result, "venetoclax").findings] == [
        "venetoclax/labelled-dose", "venetoclax/labelled-frequency"]


def test_an_agent_given_twice_a_day_by_its_label_is_not_flagged(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("olutasidenib 150 mg qam and qpm"),), (), PatientContext()))

    olutasidenib = _decision(result, "olutasidenib")
    assert (olutasidenib.ordered_dose_mg, olutasidenib.action, olutasidenib.findings) == (150, Action.CONTINUE, ())
