"""Findings about the whole regimen (duplication, QT burden) and about the patient (liver, white cells, long QT).

The clinical review's G5, G6, G8 and G9 over the real knowledge base: each row a request and the
answer a pharmacist expects.
"""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    CheckResult,
    KnowledgeBase,
    Mechanism,
    Medication,
    MonitoringTest,
    PatientContext,
    Severity,
    check,
    load_knowledge_base,
)

A = Action
M = Mechanism
VEN_AZA = (Medication("venetoclax", 400), Medication("azacitidine", 75))
UNKNOWN_PATIENT = PatientContext()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _check(kb: KnowledgeBase, regimen: tuple[Medication, ...], *others: str,
           patient: PatientContext = UNKNOWN_PATIENT) -> CheckResult:
    result = check(kb, CheckRequest(regimen, tuple(Medication(name) for name in others), patient))
    assert result.complete, result.unrecognized
    return result


def _of(result: CheckResult, mechanism: Mechanism) -> list[tuple[str, tuple[str, ...], Action, Severity]]:
    return [(f.object_drug, f.involved, f.action, f.severity) for f in result.findings if mechanism in f.mechanisms]


@pytest.mark.parametrize(
    ("regimen", "others", "expected"),
    [
        ((Medication("gilteritinib", 120), Medication("quizartinib", 35.4)), (),
         [("gilteritinib", ("gilteritinib", "quizartinib"), A.AVOID_COMBINATION, Severity.MAJOR)]),
        ((Medication("ivosidenib", 500), Medication("olutasidenib", 150)), (),
         [("ivosidenib", ("ivosidenib", "olutasidenib"), A.AVOID_COMBINATION, Severity.MAJOR)]),
        ((Medication("venetoclax", 400), Medication("azacitidine", 75), Medication("decitabine", 20)), (),
         [("azacitidine", ("azacitidine", "decitabine"), A.AVOID_COMBINATION, Severity.MAJOR)]),
        (VEN_AZA, ("Noxafil", "voriconazole"),
         [("posaconazole", ("posaconazole", "voriconazole"), A.MONITOR, Severity.MODERATE)]),
        (VEN_AZA, ("ondansetron", "granisetron"),
         [("ondansetron", ("ondansetron", "granisetron"), A.MONITOR, Severity.MODERATE)]),
        (VEN_AZA, ("posaconazole", "ondansetron"), []),
    ],
)
def test_therapeutic_duplication_is_one_finding_naming_the_class(
        kb: KnowledgeBase, regimen: tuple[Medication, ...], others: tuple[str, ...],
        expected: list[tuple[str, tuple[str, ...], Action, Severity]]) -> None:
    assert _of(_check(kb, regimen, *others), M.THERAPEUTIC_DUPLICATION) == expected


def test_two_flt3_inhibitors_name_each_other_to_avoid(kb: KnowledgeBase) -> None:
    result = _check(kb, (Medication("gilteritinib", 120), Medication("quizartinib", 35.4)))
    assert {d.drug: d.avoid_with for d in result.doses} == {"gilteritinib": ("quizartinib",),
                                                             "quizartinib": ("gilteritinib",)}
    assert all(d.recommended_dose_mg > 0 for d in result.doses)  # avoiding a duplicate never zeroes a dose


def test_qt_burden_when_the_agent_has_no_qt_rule(kb: KnowledgeBase) -> None:
    result = _check(kb, VEN_AZA, "fluconazole", "ondansetron", "levofloxacin")
    (burden,) = [f for f in result.findings if M.QT_PROLONGATION in f.mechanisms]
    assert burden.object_drug == "venetoclax"
    assert burden.involved == ("fluconazole", "levofloxacin", "ondansetron")
    assert burden.action is A.MONITOR
    assert burden.citations
    ecgs = [(e.drug, e.label) for e in result.monitoring if e.test is MonitoringTest.ECG]
    assert ecgs == [("venetoclax", "C1D1"), ("venetoclax", "C1D8")]


def test_one_qt_drug_alone_is_no_burden(kb: KnowledgeBase) -> None:
    assert _of(_check(kb, VEN_AZA, "levofloxacin"), M.QT_PROLONGATION) == []


def test_no_second_qt_finding_where_the_agent_has_its_own(kb: KnowledgeBase) -> None:
    result = _check(kb, (Medication("gilteritinib", 120),), "ondansetron", "levofloxacin", "fluconazole")
    qt = [f for f in result.findings if M.QT_PROLONGATION in f.mechanisms]
    assert {f.precipitant_drug for f in qt} == {"ondansetron", "levofloxacin", "fluconazole"}  # the agent's own
    assert all(not f.involved for f in qt)


def test_congenital_long_qt_makes_one_qt_drug_a_burden(kb: KnowledgeBase) -> None:
    result = _check(kb, VEN_AZA, "levofloxacin", patient=PatientContext(congenital_long_qt=True))
    assert _of(result, M.QT_PROLONGATION) == [("venetoclax", ("levofloxacin",), A.MONITOR, Severity.MAJOR)]


@pytest.mark.parametrize(
    ("agent", "patient", "dose", "action"),
    [
        (Medication("venetoclax", 400), PatientContext(child_pugh="C"), 200, A.ADJUST_DOSE),
        (Medication("venetoclax", 400), PatientContext(child_pugh="B"), 400, A.CONTINUE),
        (Medication("venetoclax", 100, treatment_day=1), PatientContext(wbc_10e9_l=40), 0, A.HOLD),
        (Medication("venetoclax", 100, treatment_day=1), PatientContext(wbc_10e9_l=24.9), 100, A.CONTINUE),
        (Medication("venetoclax", 400), PatientContext(wbc_10e9_l=25), 400, A.MONITOR),
        (Medication("quizartinib", 35.4), PatientContext(congenital_long_qt=True), 0, A.DISCONTINUE),
        (Medication("enasidenib", 100), PatientContext(bilirubin_uln=3.5, ast_uln=0.8, alt_uln=0.9), 100, A.MONITOR),
        (Medication("enasidenib", 100), PatientContext(bilirubin_uln=3.5, ast_uln=2, alt_uln=0.9), 100, A.MONITOR),
        (Medication("enasidenib", 100), PatientContext(bilirubin_uln=3.5), 100, A.MONITOR),  # transaminases unknown
        (Medication("ivosidenib", 500), PatientContext(wbc_10e9_l=31), 500, A.MONITOR),
        (Medication("olutasidenib", 150), PatientContext(alt_uln=3.5), 0, A.HOLD),
        # The hepatotoxicity table's rows that stop it (the hold's own text named them, its action did not).
        (Medication("olutasidenib", 150), PatientContext(alt_uln=25), 0, A.DISCONTINUE),
        (Medication("olutasidenib", 150), PatientContext(alt_uln=4, bilirubin_uln=2.5), 0, A.DISCONTINUE),
        (Medication("quizartinib", 35.4), PatientContext(potassium_mmol_l=3.2), 35.4, A.MONITOR),
        (Medication("quizartinib", 35.4), PatientContext(magnesium_mmol_l=0.6), 35.4, A.MONITOR),
        (Medication("quizartinib", 35.4), PatientContext(potassium_mmol_l=4.0, magnesium_mmol_l=0.9), 35.4,
         A.CONTINUE),
        (Medication("gilteritinib", 120), PatientContext(potassium_mmol_l=3.4), 120, A.MONITOR),
        (Medication("olutasidenib", 150), PatientContext(ast_uln=3, alt_uln=2), 150, A.CONTINUE),
    ],
)
def test_patient_rules(kb: KnowledgeBase, agent: Medication, patient: PatientContext, dose: float,
                       action: Action) -> None:
    result = _check(kb, (agent,), patient=patient)
    (recommendation,) = result.doses
    assert (recommendation.recommended_dose_mg, recommendation.action) == (pytest.approx(dose), action)
    for finding in result.findings:
        assert finding.citations


def test_boxed_differentiation_syndrome_is_assessed_weekly_in_cycle_one(kb: KnowledgeBase) -> None:
    for agent in ("gilteritinib", "ivosidenib", "olutasidenib", "enasidenib"):
        result = _check(kb, (Medication(agent),), patient=PatientContext(cycle_start_date="2026-01-05"))
        days = [e.label for e in result.monitoring if e.test is MonitoringTest.CLINICAL_ASSESSMENT]
        assert days[:4] == ["C1D1", "C1D8", "C1D15", "C1D22"], agent
