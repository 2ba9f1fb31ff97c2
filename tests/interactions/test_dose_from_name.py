"""An agent's order that gives no dose but states one in its name is checked at that dose.

"venetoclax 800 mg PO daily" with no dose field was answered "No dose was stated; the labelled 400 mg is
assumed", with no finding that 800 mg is above the label. A tablet's strength ("VENETOCLAX 100 MG TAB",
"Xospata 40 mg") is not a dose: several may be ordered, so such a name leaves the dose unstated, and so do
a course ("day 1", "for 14 days") and numbers no product of the agent comes in ("quizartinib 2").
"""

from __future__ import annotations

import pytest

from interactions import Action, CheckRequest, Coding, KnowledgeBase, Medication, PatientContext, Severity, check
from interactions.model import CheckResult, DoseRecommendation

AZA = Medication("azacitidine", 75)
POSA = Medication("posaconazole", 300)


@pytest.mark.parametrize(("text", "dose"), [
    ("venetoclax 800 mg PO daily", 800),
    ("ven 400", 400),
    ("Venclexta 400", 400),
    ("Aza/Ven 400", 400),
    ("gilteritinib 120mg daily", 120),
    ("ivosidenib 0.5 g daily", 500),
    ("quizartinib 17.7 mg daily", 17.7),
    ("Venclexta (venetoclax) 400 mg oral", 400),
    # Beside a dose form, a mass is stated with `with_form`: the engine leaves a product's strength unread.
    ("VENETOCLAX 100 MG TAB", 100),
    ("Venclexta 10 mg tablet", 10),
    ("venetoclax (VENCLEXTA) tablet 800 mg", 800),
    # A total is the dose, whatever else the line says (sixth pharmacist review, T01 and S05).
    ("VENETOCLAX 100 MG TABLET - Take 8 tablets (800 mg total) by mouth daily", 800),
    ("gilteritinib 40 mg tablet, take 3 tablets (120 mg) by mouth once daily", 120),
    ("venetoclax 10 mg tablet: 2 tablets (20 mg total) day 1, 5 tablets (50 mg total) day 2", None),
    # A count of tablets of one stated strength; the days of a course are not doses (S14, T43, S24).
    ("VENETOCLAX 100 MG TABLET - Take 4 tablets by mouth daily", 400),
    ("olutasidenib 150 mg capsule, take 1 capsule by mouth twice daily on an empty stomach", 150),
    ("VENETOCLAX 100 MG TABLET - Take 30 tablets", None),  # a supply, not a dose
    ("venetoclax 400 mg PO daily days 1-14 of a 28-day cycle", 400),
    ("venetoclax 400 mg PO daily for 14 days of each cycle", 400),
    # A review of the change: a pack or a supply is no dose; a total beside another dose, of a day or of a
    # course, is none either.
    ("VENETOCLAX 50 MG TABLET 7 tablets", None),
    ("venetoclax 10 mg tablet pack of 14 tablets", None),
    ("Venclexta 100 mg tablet (14 tablets)", None),
    ("venetoclax 100 mg tablet: take 1 tablet (100 mg) on day 1, 2 tablets on day 2, then 4 tablets daily", None),
    ("venetoclax 200 mg BID (400 mg total)", None),
    ("venetoclax 200 mg tablet twice daily (400 mg total daily)", None),
    ("venetoclax 400 mg daily (11200 mg total per cycle)", None),
    # A seventh pharmacist review: one day of a ramp-up is that day's dose, not the order's; a count and a total
    # that disagree are neither; a count in a line saying how often is a dose.
    ("Venclexta 10 mg tab: take 1 tab PO on day 1", None),
    ("VENETOCLAX 100 MG TABLET - Take 2 tablets by mouth on day 2", None),
    ("venetoclax 100 mg day 1", None),
    ("venetoclax 100 mg D1", None),
    ("VENETOCLAX 100 MG TABLET - take 4 tablets (40 mg total)", None),
    ("VENETOCLAX 10 MG TABLET - take 4 tablets (400 mg total)", None),
    ("Xospata 40mg tab 3 tabs qd", 120),
    ("venetoclax 10 mg tablet pack of 14 tablets daily", None),
    ("Venclexta 10 mg, 50 mg, 100 mg starting pack", None),
    # A supply's count is left aside only after the frequency (review 2 of 27c1109: "100 mg #4 daily" may be four
    # tablets): here it stays one of the line's numbers.
    ("Venclexta 100 mg #120", None),
    ("azacitidine 75 mg/m2", None),  # per body surface area
    ("venetoclax 400 mg/day", 400),  # a dose per day (an eleventh pharmacist review)
    ("venetoclax 100mcg", None),  # a unit that is not a mass in mg or g
    ("venetoclax", None),
    ("venetoclax day 1", None),  # a course, not a dose
    ("venetoclax ramp-up day 3", None),
    ("venetoclax for 14 days", None),
    ("venetoclax 3 weeks", None),
    ("venetoclax 400 mg x 28 days", 400),  # the course after the mass is not counted tablets: 400 mg (s18)
])
def test_the_reader_states_a_dose_only_where_nothing_else_is_meant(default_kb: KnowledgeBase, text: str,
                                                                   dose: float | None) -> None:
    stated = default_kb.resolver.stated_dose(text)
    assert (stated and stated.mg) == (None if dose is None else pytest.approx(dose))


@pytest.mark.parametrize(("text", "ordered"), [
    ("Venclexta 100", 0),  # the 100 mg tablet, nothing saying how often
    ("Xospata 40 mg", 0),  # gilteritinib's tablet: the dose is three of them
    ("quizartinib 2", 0),  # below its smallest strength
    ("venetoclax 0 mg", 0),
    ("venetoclax 1000000 mg", 0),  # beyond any dose a request may state
    ("ven 100 daily", 100),  # a strength with how often: the dose
    ("Xospata 40 mg daily", 40),
    ("VENETOCLAX 100 MG TAB", 0),  # a tablet's strength
    ("Xospata 40 mg tablet daily", 0),  # the tablet's, however often
    ("venetoclax (VENCLEXTA) tablet 800 mg", 800),  # was not read: 400 mg, CONTINUE (T38)
    ("gilteritinib (XOSPATA) tablet 200 mg", 200),
    ("VENETOCLAX 100 MG TABLET - Take 8 tablets (800 mg total) by mouth daily", 800),
    ("Xospata 40 mg tablet: take 1 tablet by mouth daily", 40),  # one tablet counted: a dose, though a strength
])
def test_a_product_strength_or_an_impossible_number_is_no_dose(default_kb: KnowledgeBase, text: str,
                                                               ordered: float) -> None:
    (agent,) = [d for d in check(default_kb, CheckRequest((Medication(text), AZA), (), PatientContext())).doses
                if d.drug != "azacitidine"]
    assert agent.ordered_dose_mg == ordered


def test_one_agent_listed_twice_among_the_co_medications_is_taken_at_its_highest_dose_in_any_order(
        default_kb: KnowledgeBase) -> None:
    lines = (Medication("ven 400"), Medication("venetoclax", 200))
    for concomitant in (lines, lines[::-1]):
        venetoclax = _decision(check(default_kb, CheckRequest((AZA,), concomitant, PatientContext())), "venetoclax")
        assert venetoclax.ordered_dose_mg == 400


def test_a_coded_order_is_not_dosed_by_its_display(default_kb: KnowledgeBase) -> None:
    coded = Medication("venetoclax 800 mg PO daily", coding=(Coding("http://www.nlm.nih.gov/research/umls/rxnorm",
                                                                    "1747556"),))
    result = check(default_kb, CheckRequest((coded, AZA), (), PatientContext()))
    assert _decision(result, "venetoclax").ordered_dose_mg == 0


def _decision(result: CheckResult, drug: str) -> DoseRecommendation:
    (decision,) = [d for d in result.doses if d.drug == drug]
    return decision


def test_a_dose_above_the_label_stated_in_the_name_is_flagged(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 800 mg PO daily"), AZA), (), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg, venetoclax.action) == (
        800, 400, Action.ADJUST_DOSE)
    assert venetoclax.rationale.startswith("The 800 mg dose is read from the name")
    assert [f.rule for f in result.findings] == ["venetoclax/labelled-dose"]


@pytest.mark.parametrize(("regimen", "concomitant"), [
    ((Medication("Aza/Ven 400"),), (POSA,)),  # a named regimen's one dose is its agent's
    ((AZA,), (Medication("ven 400"), POSA)),  # an agent among the co-medications
])
def test_the_dose_read_from_the_name_is_the_one_checked(default_kb: KnowledgeBase, regimen: tuple[Medication, ...],
                                                        concomitant: tuple[Medication, ...]) -> None:
    venetoclax = _decision(check(default_kb, CheckRequest(regimen, concomitant, PatientContext())), "venetoclax")

    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg) == (400, 70)
    assert "read from the name" in venetoclax.notes


def test_a_tablet_strength_in_the_name_leaves_the_dose_unstated_and_says_so(default_kb: KnowledgeBase) -> None:
    # Was CONTINUE 400 mg, INFO, its numbers unread said in the rationale only (sixth pharmacist review, item 1).
    result = check(default_kb, CheckRequest((Medication("VENETOCLAX 100 MG TAB"), AZA), (), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert (venetoclax.ordered_dose_mg, venetoclax.recommended_dose_mg, venetoclax.action) == (
        0, 400, Action.ADJUST_DOSE)
    (finding,) = venetoclax.findings
    assert (finding.rule, finding.severity) == ("venetoclax/dose-not-read", Severity.MODERATE)
    assert finding.recommendation.startswith("The numbers of 'VENETOCLAX 100 MG TAB' are not read as its dose")
    assert "400 mg is the dose to give unless the prescriber confirms another" in finding.recommendation
    assert result.highest_severity is Severity.MODERATE
    assert "No dose in mg was read from the order; the labelled 400 mg is assumed." in venetoclax.rationale


def test_a_regimen_line_of_several_numbers_says_they_were_not_read(default_kb: KnowledgeBase) -> None:
    # Third pharmacist review, case 1: "No dose was stated" of a line that states 800 mg among other numbers.
    line = Medication("Ven 800 D1-28 + Aza 75 mg/m2 D1-7")
    result = check(default_kb, CheckRequest((line,), (), PatientContext()))
    venetoclax = _decision(result, "venetoclax")
    assert (venetoclax.ordered_dose_mg, venetoclax.action) == (0, Action.ADJUST_DOSE)
    assert [f.rule for f in venetoclax.findings] == ["venetoclax/dose-not-read"]
    assert "State the dose as one amount in mg" in venetoclax.findings[0].recommendation


def test_a_dose_not_read_does_not_lower_a_dose_a_rule_set(default_kb: KnowledgeBase) -> None:
    line = Medication("VENETOCLAX 100 MG TAB")
    venetoclax = _decision(check(default_kb, CheckRequest((line, AZA), (POSA,), PatientContext())), "venetoclax")
    assert (venetoclax.recommended_dose_mg, venetoclax.action) == (70, Action.ADJUST_DOSE)
    assert venetoclax.findings[-1].rule == "venetoclax/dose-not-read"
    assert "70 mg is the dose to give" in venetoclax.findings[-1].recommendation


def test_a_dose_field_wins_over_the_name(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax 800 mg PO daily", 400), AZA), (), PatientContext()))

    venetoclax = _decision(result, "venetoclax")
    assert venetoclax.ordered_dose_mg == 400
    assert "read from the name" not in venetoclax.rationale
    # No longer silently: the name's 800 mg is said, and the dose is to be confirmed (test_dose_field_and_name.py).
    assert (venetoclax.action, [f.rule for f in venetoclax.findings]) == (
        Action.ADJUST_DOSE, ["venetoclax/dose-disagrees"])


def test_a_dose_per_body_surface_area_is_no_dose_to_give_in_mg(default_kb: KnowledgeBase) -> None:
    # The dose-not-read finding said "4.5 mg is the dose to give": the per-dose cap, not 3 mg/m2 of this patient.
    line = Medication("gemtuzumab ozogamicin 3 mg/m2 IV day 1, 4, 7")
    result = check(default_kb, CheckRequest((line, Medication("daunorubicin", 90), Medication("cytarabine", 200)), (),
                                            PatientContext()))
    gemtuzumab = _decision(result, "gemtuzumab ozogamicin")
    assert not [f for f in gemtuzumab.findings if f.rule.endswith("/dose-not-read")]
    # Since 8a3ca4d no dose in mg at all: the order per m2 stands (not "state the dose as one amount in mg" too).
    assert gemtuzumab.recommended_dose_mg is None
    assert "no dose in mg is recommended; a dose per m2 ordered stands" in gemtuzumab.rationale


def test_a_held_order_is_not_told_a_dose_to_give(default_kb: KnowledgeBase) -> None:
    line = Medication("VENETOCLAX 100 MG TAB", held=True)
    venetoclax = _decision(check(default_kb, CheckRequest((line, AZA), (), PatientContext())), "venetoclax")
    assert venetoclax.action is Action.HOLD
    assert not [f for f in venetoclax.findings if f.rule == "venetoclax/dose-not-read"]
