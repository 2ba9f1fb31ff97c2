"""Doses a ninth pharmacist review found unread in the commonest real line formats.

An order-catalogue line followed by its sig ("XOSPATA 40 MG TABLET take 120 mg daily"), a dose explained by its
tablets ("venetoclax 400 mg (4 x 100 mg tablets)") and a European decimal comma ("quizartinib 17,7 mg") were left
unread: a dose-not-read finding on a correct order. Each is read where nothing else can be meant; a dose beside
another, one day of a ramp-up, a count that disagrees or a list of numbers stays unread.
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, KnowledgeBase, Medication, PatientContext, check
from interactions.model import DoseRecommendation

AZA = Medication("azacitidine", 75)


def _agent(kb: KnowledgeBase, line: Medication, drug: str) -> DoseRecommendation:
    (decision,) = [d for d in check(kb, CheckRequest((line, AZA), (), PatientContext())).doses if d.drug == drug]
    return decision


@pytest.mark.parametrize(("text", "dose"), [
    ("XOSPATA 40 MG TABLET take 120 mg daily", 120),
    ("VENETOCLAX 100 MG TABLET - take 400 mg by mouth daily", 400),
    ("TIBSOVO 250 MG TABLET take 500 mg daily", 500),
    ("VENETOCLAX 100 MG TABLET - Take 400mg by mouth daily", 400),
    ("venetoclax 100 mg tablet, give 0.4 g daily", 400),
    # What was said of the tablet is no dose: "take 100 mg tablet" names the strength taken, not a dose.
    ("VENETOCLAX 100 MG TABLET take 100 mg tablet daily", None),
    # Every safety property of the reader stays: another dose, a ramp-up's day, a ratio, a count beside it.
    ("XOSPATA 40 MG TABLET take 120 mg daily, may increase to 200 mg daily", None),
    ("VENETOCLAX 100 MG TABLET take 100 mg on day 1, take 200 mg on day 2, then 400 mg daily", None),
    ("VENETOCLAX 100 MG TABLET take 200 mg day 2", None),
    ("azacitidine 100 mg vial: give 75 mg/m2 daily", None),
    ("VENETOCLAX 100 MG TABLET - take 400 mg (4 tablets) daily", None),
    ("VENETOCLAX 100 MG TABLET - take 200 mg BID (400 mg total)", None),
    ("VENETOCLAX 100 MG TABLET - take 400 mg daily days 1-14 of a 28-day cycle", 400),
    # A count of tablets and a stated total, as before.
    ("VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 400),
    ("VENETOCLAX 100 MG TABLET - Take 8 tablets (800 mg total) by mouth daily", 800),
])
def test_a_dose_after_a_dosing_verb_beside_a_strength_is_read(default_kb: KnowledgeBase, text: str,
                                                              dose: float | None) -> None:
    stated = default_kb.resolver.stated_dose(text)
    assert (stated and stated.mg) == (None if dose is None else pytest.approx(dose))


@pytest.mark.parametrize(("text", "drug", "ordered"), [
    ("XOSPATA 40 MG TABLET take 120 mg daily", "gilteritinib", 120),
    ("VENETOCLAX 100 MG TABLET - take 400 mg by mouth daily", "venetoclax", 400),
])
def test_a_catalogue_line_and_its_sig_is_checked_at_the_sig_dose(default_kb: KnowledgeBase, text: str, drug: str,
                                                                 ordered: float) -> None:
    # Was ordered 0 mg, ADJUST_DOSE with a dose-not-read finding on a correct order.
    decision = _agent(default_kb, Medication(text), drug)
    assert (decision.ordered_dose_mg, decision.action, decision.findings) == (ordered, Action.CONTINUE, ())


def test_a_sig_dose_above_the_label_is_flagged_as_such(default_kb: KnowledgeBase) -> None:
    decision = _agent(default_kb, Medication("XOSPATA 40 MG TABLET take 200 mg daily"), "gilteritinib")
    assert (decision.ordered_dose_mg, decision.recommended_dose_mg, decision.action) == (200, 120, Action.ADJUST_DOSE)
    assert [f.rule for f in decision.findings] == ["gilteritinib/labelled-dose"]


@pytest.mark.parametrize(("text", "dose"), [
    ("venetoclax 400 mg (4 x 100 mg tablets)", 400),
    ("venetoclax 400 mg (4 x 100 mg tablets) PO daily", 400),
    ("venetoclax 400 mg (4 x 100 mg)", 400),
    ("gilteritinib 120 mg (3 x 40 mg tablets) daily", 120),
    # The bracket disagrees with the dose: which was meant is not guessed.
    ("venetoclax 200 mg (4 x 100 mg tablets)", None),
    ("venetoclax 400 mg (4 x 10 mg tablets)", None),
    ("venetoclax 400 mg (4 x 100 mg tablets) day 3", None),
])
def test_a_dose_its_bracket_explains_is_read(default_kb: KnowledgeBase, text: str, dose: float | None) -> None:
    stated = default_kb.resolver.stated_dose(text)
    assert (stated and stated.mg) == (None if dose is None else pytest.approx(dose))


def test_a_dose_its_bracket_explains_is_checked_at_that_dose(default_kb: KnowledgeBase) -> None:
    decision = _agent(default_kb, Medication("venetoclax 400 mg (4 x 100 mg tablets)"), "venetoclax")
    assert (decision.ordered_dose_mg, decision.action, decision.findings) == (400, Action.CONTINUE, ())
    disagreeing = _agent(default_kb, Medication("venetoclax 200 mg (4 x 100 mg tablets)"), "venetoclax")
    assert (disagreeing.ordered_dose_mg, [f.rule for f in disagreeing.findings]) == (0, ["venetoclax/dose-not-read"])


@pytest.mark.parametrize(("text", "dose"), [
    ("quizartinib 17,7 mg", 17.7),
    ("quizartinib 26,5 mg daily", 26.5),
    ("quizartinib 17,7mg daily", 17.7),
    ("ivosidenib 0,5 g daily", 500),
    ("acetaminophen 1,000 mg", 1000),  # a thousands separator, as before
    # No decimal reading where a list is as likely: two numbers the second larger and ending in 0, or several.
    ("venetoclax 10,20 mg", None),
    ("venetoclax 10,20,50 mg", None),
])
def test_a_decimal_comma_is_read_where_unambiguous(default_kb: KnowledgeBase, text: str, dose: float | None) -> None:
    stated = default_kb.resolver.stated_dose(text)
    assert (stated and stated.mg) == (None if dose is None else pytest.approx(dose))


def test_a_dose_with_a_decimal_comma_is_checked_at_that_dose(default_kb: KnowledgeBase) -> None:
    # Was ordered 0 mg, dose-not-read; 17.7 mg is quizartinib's dose of one phase (USPI, clinical-facts.md).
    line = Medication("quizartinib 17,7 mg PO daily")
    (decision,) = [d for d in check(default_kb, CheckRequest((line,), (), PatientContext())).doses
                   if d.drug == "quizartinib"]
    assert decision.ordered_dose_mg == pytest.approx(17.7)
    assert not [f for f in decision.findings if f.rule == "quizartinib/dose-not-read"]
