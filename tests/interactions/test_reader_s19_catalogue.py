"""Pharmacy-system orders as their catalogues hold them (session 19, pharmacy-informaticist probe P).

One CheckRegimen per order, the `frequency` field carrying the catalogue's frequency code. Codes that glue a count to
its meal times ("BIDAC", "TIDAC", "QIDACHS"), "AC & HS", a morning and an evening dose written "QAM-QPM", and a code
with its clock times glued after "@" ("Q12H@0800,2000") were read as no frequency, or as once daily, so gilteritinib
40 mg given twice a day was checked as 40 mg once daily, CONTINUE, with no finding: 80 mg a day passed as 40. Days of
the week in two-letter codes ("MO,WE,FR") were read as no frequency, the label's daily dose, where "MWF" is
frequency-not-read. The same codes in an order's name made it unrecognised; and a co-medication written as a "DRIP"
was unrecognised, its interaction with venetoclax unchecked.
"""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    KnowledgeBase,
    Medication,
    PatientContext,
    Severity,
    UnrecognizedReason,
    check,
)
from tests.interactions.orders import AZA, agent_dose


def _gilteritinib(kb: KnowledgeBase, order: Medication) -> tuple[float | None, Action, list[tuple[str, Severity]]]:
    result = check(kb, CheckRequest((order, AZA), (), PatientContext()))
    assert result.complete
    dose = agent_dose(result, "gilteritinib")
    return dose.recommended_dose_mg, dose.action, [(f.rule, f.severity) for f in dose.findings]


@pytest.mark.parametrize(("frequency", "per_day"), [
    ("BIDAC", 2), ("BIDPC", 2), ("QAM-QPM", 2), ("QAM/QPM", 2), ("qAM, qPM", 2), ("QAM-QHS", 2),
    ("Q12H@0800,2000", 2), ("BID@0900,2100", 2),
    ("TIDAC", 3), ("TIDPC", 3), ("Q8H@0600,1400,2200", 3),
])
def test_a_catalogue_code_giving_gilteritinib_several_times_a_day_is_its_dose_a_day(
        default_kb: KnowledgeBase, frequency: str, per_day: int) -> None:
    # Was 40 mg CONTINUE with no finding: read as no frequency, or once daily. USPI Xospata 2.2: 120 mg once daily;
    # an agent given more often than its label is checked as its dose a day (README "Medication names").
    dose, action, findings = _gilteritinib(default_kb, Medication("gilteritinib", 40, frequency))
    assert (dose, action, findings) == (40 * per_day, Action.ADJUST_DOSE,
                                        [("gilteritinib/labelled-frequency", Severity.MAJOR)])


@pytest.mark.parametrize(("frequency", "per_day"), [
    ("2XDAY", 2), ("AM/PM", 2), ("AM & PM", 2), ("MORNING & BEDTIME", 2), ("BREAKFAST & DINNER", 2),
    ("WITH BREAKFAST AND SUPPER", 2), ("3XDAY", 3), ("QAC", 3),
])
def test_a_frequency_name_of_two_meals_or_times_of_day_is_its_count(
        default_kb: KnowledgeBase, frequency: str, per_day: int) -> None:
    # Each was 40 mg CONTINUE with no finding, in the field and in the name: "breakfast", "AM" alone name no count.
    for order in (Medication("gilteritinib", 40, frequency), Medication(f"gilteritinib 40 mg {frequency}")):
        dose, action, findings = _gilteritinib(default_kb, order)
        assert (dose, action, findings) == (40 * per_day, Action.ADJUST_DOSE,
                                            [("gilteritinib/labelled-frequency", Severity.MAJOR)])


@pytest.mark.parametrize("frequency", ["QIDACHS", "QID-ACHS", "ACHS", "AC & HS", "AC+HS"])
def test_before_meals_and_at_bedtime_is_four_times_a_day(default_kb: KnowledgeBase, frequency: str) -> None:
    # 40 mg four times a day is 160 mg a day, above the label's 120 mg (USPI Xospata 2.2): 120 mg, both flagged.
    dose, action, findings = _gilteritinib(default_kb, Medication("gilteritinib", 40, frequency))
    assert (dose, action) == (120, Action.ADJUST_DOSE)
    assert [rule for rule, _ in findings] == ["gilteritinib/labelled-dose", "gilteritinib/labelled-frequency"]


@pytest.mark.parametrize("frequency", ["MO,WE,FR", "MO/WE/FR", "TU,TH", "SA,SU", "MO-FR", "M, W, F"])
def test_days_of_the_week_in_catalogue_codes_are_no_daily_count(default_kb: KnowledgeBase, frequency: str) -> None:
    # Was CONTINUE with no finding, as if daily; "MWF" already gives frequency-not-read (README "Medication names").
    dose, action, findings = _gilteritinib(default_kb, Medication("gilteritinib", 120, frequency))
    assert (dose, action, findings) == (120, Action.ADJUST_DOSE,
                                        [("gilteritinib/frequency-not-read", Severity.MAJOR)])


@pytest.mark.parametrize("frequency", ["DAILY@0900", "QDAY@2100", "Q24H SCH", "Daily with breakfast"])
def test_once_daily_catalogue_codes_stay_the_labelled_dose(default_kb: KnowledgeBase, frequency: str) -> None:
    assert _gilteritinib(default_kb, Medication("gilteritinib", 120, frequency)) == (120, Action.CONTINUE, [])


@pytest.mark.parametrize("order", [
    "gilteritinib 40 mg PO BIDAC", "gilteritinib 40 mg PO QAM-QPM", "gilteritinib 40 mg PO TIDAC",
])
def test_a_catalogue_code_in_the_order_s_name_is_read(default_kb: KnowledgeBase, order: str) -> None:
    # Each line was unrecognised ("bidac", "qam-qpm": unknown words), gilteritinib unchecked, the check incomplete.
    dose, action, findings = _gilteritinib(default_kb, Medication(order))
    per_day = 3 if "TID" in order else 2
    assert (dose, action, findings) == (40 * per_day, Action.ADJUST_DOSE,
                                        [("gilteritinib/labelled-frequency", Severity.MAJOR)])


def test_a_drip_of_diltiazem_reduces_venetoclax(default_kb: KnowledgeBase) -> None:
    # "DRIP" was an unknown word: the line unrecognised, venetoclax 400 mg CONTINUE. Diltiazem is a strong CYP3A
    # inhibitor in the label's examples this knowledge base follows (classes.toml): 100 mg (USPI Venclexta 2.4).
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), AZA),
                                            (Medication("DILTIAZEM 125 MG/125 ML DRIP"),), PatientContext()))
    assert result.complete
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action) == (100, Action.ADJUST_DOSE)
    assert [f.rule for f in ven.findings] == ["venetoclax/ven-strong-cyp3a-inhibitor"]


@pytest.mark.parametrize(("line", "drug"), [("ERYTHROMYCIN 2% GEL", "erythromycin"),
                                            ("KETOCONAZOLE 2% GEL", "ketoconazole")])
def test_a_gel_of_a_drug_the_rules_are_about_is_a_local_form(default_kb: KnowledgeBase, line: str, drug: str) -> None:
    # Topical erythromycin was read as taken by mouth: venetoclax 200 mg (moderate CYP3A and P-gp inhibitor), complete.
    # README "Medication names": a local form of such a drug is NOT_REVIEWED, never checked as systemic nor passed.
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), AZA), (Medication(line),),
                                            PatientContext()))
    ven = agent_dose(result, "venetoclax")
    assert (ven.recommended_dose_mg, ven.action, ven.findings) == (400, Action.CONTINUE, ())
    assert not result.complete
    (unread,) = result.unrecognized
    assert (unread.name, unread.reason, unread.ingredients) == (line, UnrecognizedReason.NOT_REVIEWED, (drug,))


def test_an_oral_gel_of_a_drug_no_rule_is_about_still_reads_as_the_drug(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400), AZA), (Medication("miconazole oral gel"),),
                                            PatientContext()))
    assert result.complete
    assert agent_dose(result, "venetoclax").recommended_dose_mg == 400
