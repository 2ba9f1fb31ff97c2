"""Where the patient is in treatment: ramp-up day, a stopped co-medication's washout, why an agent is held.

The clinical review's G1 and G10, E3 (quizartinib QTcF 481-500 ms) and E7 (ivosidenib's two resume
doses), each as a row of the real knowledge base: the request, and the dose, action and ramp-up the
label gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from interactions import (
    Action,
    CheckRequest,
    Coding,
    HoldReason,
    KnowledgeBase,
    Mechanism,
    Medication,
    PatientContext,
    UnrecognizedReason,
    check,
    load_knowledge_base,
)

A = Action


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@dataclass(frozen=True)
class Case:
    id: str
    agent: Medication
    concomitant: tuple[Medication, ...] = ()
    patient: PatientContext = field(default_factory=PatientContext)
    dose: float = 0.0
    action: Action = A.CONTINUE
    ramp: tuple[float, ...] | None = None
    rationale: str = ""
    avoid: tuple[str, ...] = ()


VEN = "venetoclax"
AZA = Medication("azacitidine", 75)
TODAY = "2026-03-10"

CASES = [
    # G1: the order for a day of the ramp-up gets that day's dose of the ramp-up in force.
    Case("ven-day-2-posaconazole", Medication(VEN, 200, treatment_day=2), (Medication("posaconazole"),),
         dose=20, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70), rationale="Day 2 of the ramp-up: 20 mg"),
    Case("ven-day-1-posaconazole", Medication(VEN, 100, treatment_day=1), (Medication("posaconazole"),),
         dose=10, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70)),
    Case("ven-day-4-posaconazole", Medication(VEN, 400, treatment_day=4), (Medication("posaconazole"),),
         dose=70, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70)),
    Case("ven-steady-posaconazole", Medication(VEN, 400, treatment_day=30), (Medication("posaconazole"),),
         dose=70, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70)),
    Case("ven-day-1-fluconazole", Medication(VEN, 100, treatment_day=1), (Medication("fluconazole"),),
         dose=50, action=A.ADJUST_DOSE, ramp=(50, 100, 200)),
    Case("ven-day-2-as-labelled", Medication(VEN, 200, treatment_day=2), dose=200, action=A.CONTINUE,
         ramp=(100, 200, 400)),
    Case("ven-day-1-ordered-400", Medication(VEN, 400, treatment_day=1), dose=100, action=A.ADJUST_DOSE,
         ramp=(100, 200, 400), rationale="Day 1 of the ramp-up: 100 mg"),
    Case("ven-day-unknown-200-posaconazole", Medication(VEN, 200), (Medication("posaconazole"),),
         dose=70, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70)),
    # A stopped inhibitor counts until the label's washout (venetoclax: resume 2-3 days after) has passed.
    Case("ven-posaconazole-stopped-2-days", Medication(VEN, 400),
         (Medication("posaconazole", stopped_on="2026-03-08"),), PatientContext(as_of_date=TODAY),
         dose=70, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70)),
    Case("ven-posaconazole-stopped-3-days", Medication(VEN, 400),
         (Medication("posaconazole", stopped_on="2026-03-07"),), PatientContext(as_of_date=TODAY),
         dose=70, action=A.ADJUST_DOSE),
    Case("ven-posaconazole-stopped-4-days", Medication(VEN, 400),
         (Medication("posaconazole", stopped_on="2026-03-06"),), PatientContext(as_of_date=TODAY),
         dose=400, action=A.CONTINUE, ramp=(100, 200, 400)),
    # A last dose after the day of the check (a planned end) is still taken: it was "stopped -10 days" before.
    Case("ven-posaconazole-ending-in-ten-days", Medication(VEN, 400),
         (Medication("posaconazole", stopped_on="2026-03-20"),), PatientContext(as_of_date=TODAY),
         dose=70, action=A.ADJUST_DOSE, ramp=(10, 20, 50, 70)),
    Case("ven-posaconazole-stopped-but-another-line-active", Medication(VEN, 400),
         (Medication("posaconazole", stopped_on="2026-01-01"), Medication("Noxafil 300 mg")),
         PatientContext(as_of_date=TODAY), dose=70, action=A.ADJUST_DOSE),
    Case("ven-held-posaconazole-still-counts", Medication(VEN, 400), (Medication("posaconazole", held=True),),
         dose=70, action=A.ADJUST_DOSE),
    # Amiodarone acts for weeks to months after it is stopped: venetoclax's 3 days do not apply (it was back at
    # 400 mg four days after).
    Case("ven-amiodarone-stopped-30-days", Medication(VEN, 400),
         (Medication("amiodarone", stopped_on="2026-02-08"),), PatientContext(as_of_date=TODAY),
         dose=200, action=A.ADJUST_DOSE, ramp=(50, 100, 200)),
    # A stopped inducer with no sourced washout still counts (the conservative reading).
    Case("ven-rifampin-stopped-30-days", Medication(VEN, 400),
         (Medication("rifampin", stopped_on="2026-02-08"),), PatientContext(as_of_date=TODAY), dose=400,
         action=A.CONTINUE, avoid=("rifampin",)),
    # E3: quizartinib QTcF 481-500 ms is reduced one level without interruption; > 500 held; resumed < 450.
    Case("E3-quiz-481-at-35.4", Medication("quizartinib", 35.4), patient=PatientContext(qtc_ms=481),
         dose=26.5, action=A.ADJUST_DOSE),
    Case("E3-quiz-500-at-53", Medication("quizartinib", 53), patient=PatientContext(qtc_ms=500),
         dose=35.4, action=A.ADJUST_DOSE),
    Case("E3-quiz-490-at-26.5", Medication("quizartinib", 26.5), patient=PatientContext(qtc_ms=490),
         dose=17.7, action=A.ADJUST_DOSE),
    Case("E3-quiz-490-at-17.7-lowest", Medication("quizartinib", 17.7), patient=PatientContext(qtc_ms=490),
         dose=0, action=A.HOLD),
    Case("E3-quiz-501", Medication("quizartinib", 35.4), patient=PatientContext(qtc_ms=501), dose=0, action=A.HOLD),
    Case("E3-quiz-held-recovered-449", Medication("quizartinib", 35.4, held=True),
         patient=PatientContext(qtc_ms=449), dose=26.5, action=A.ADJUST_DOSE),
    Case("E3-quiz-held-450-not-yet", Medication("quizartinib", 35.4, held=True),
         patient=PatientContext(qtc_ms=450), dose=0, action=A.HOLD),
    Case("E3-quiz-held-qtc-unknown", Medication("quizartinib", 35.4, held=True), dose=0, action=A.HOLD),
    # Held at 17.7 mg for 481-500 ms (no level below: held, as E3-quiz-490-at-17.7-lowest): back to 17.7 mg at < 450.
    Case("E3-quiz-held-17.7-after-490", Medication("quizartinib", 17.7, held=True, qtc_at_hold_ms=490,
                                                   hold_reason=HoldReason.QTC_PROLONGATION),
         patient=PatientContext(qtc_ms=440), dose=17.7, action=A.CONTINUE),
    # E7 / G10: ivosidenib resumes at 500 mg after a 481-500 ms episode, 250 mg after > 500 or unknown.
    Case("E7-ivo-resume-after-490", Medication("ivosidenib", 500, held=True, hold_reason=HoldReason.QTC_PROLONGATION,
                                               qtc_at_hold_ms=490), patient=PatientContext(qtc_ms=470),
         dose=500, action=A.CONTINUE),
    Case("E7-ivo-resume-after-520", Medication("ivosidenib", 500, held=True, hold_reason=HoldReason.QTC_PROLONGATION,
                                               qtc_at_hold_ms=520), patient=PatientContext(qtc_ms=470),
         dose=250, action=A.ADJUST_DOSE),
    Case("E7-ivo-resume-episode-unknown", Medication("ivosidenib", 500, held=True), patient=PatientContext(qtc_ms=470),
         dose=250, action=A.ADJUST_DOSE, rationale="the reason for the hold was not given"),
    Case("E7-ivo-after-490-not-recovered", Medication("ivosidenib", 500, held=True, qtc_at_hold_ms=490,
                                                      hold_reason=HoldReason.QTC_PROLONGATION),
         patient=PatientContext(qtc_ms=485), dose=0, action=A.HOLD),
    # G10: gilteritinib held for pancreatitis resumes at 80 mg with no QTc involved.
    Case("G10-gil-pancreatitis", Medication("gilteritinib", 120, held=True, hold_reason=HoldReason.PANCREATITIS),
         dose=80, action=A.ADJUST_DOSE),
    Case("G10-gil-held-for-other-reason", Medication("gilteritinib", 120, held=True, hold_reason=HoldReason.OTHER),
         dose=0, action=A.HOLD),
    # A hold's reason selects the QTc rule that resumes it: one given is named, one not given is never invented
    # (the QTc resume dose is then the conservative reading, said as such), another reason is not resumed.
    Case("G10-gil-held-for-qtc-recovered", Medication("gilteritinib", 120, held=True,
                                                      hold_reason=HoldReason.QTC_PROLONGATION),
         patient=PatientContext(qtc_ms=470), dose=80, action=A.ADJUST_DOSE,
         rationale="Interrupted for QTc prolongation"),
    Case("G10-gil-held-reason-not-given-recovered", Medication("gilteritinib", 120, held=True),
         patient=PatientContext(qtc_ms=470), dose=80, action=A.ADJUST_DOSE,
         rationale="the reason for the hold was not given"),
    Case("G10-gil-held-for-differentiation-syndrome", Medication(
        "gilteritinib", 120, held=True, hold_reason=HoldReason.DIFFERENTIATION_SYNDROME),
         patient=PatientContext(qtc_ms=470), dose=0, action=A.HOLD, rationale="other than QTc prolongation"),
    Case("G10-ivo-held-for-differentiation-syndrome", Medication(
        "ivosidenib", 500, held=True, hold_reason=HoldReason.DIFFERENTIATION_SYNDROME),
         patient=PatientContext(qtc_ms=470), dose=0, action=A.HOLD, rationale="other than QTc prolongation"),
    Case("G10-gla-held-for-qtc-recovered", Medication("glasdegib", 100, held=True,
                                                      hold_reason=HoldReason.QTC_PROLONGATION),
         patient=PatientContext(qtc_ms=470), dose=50, action=A.ADJUST_DOSE,
         rationale="Interrupted for QTc prolongation"),
    Case("G10-gla-held-for-other-adverse-reaction", Medication(
        "glasdegib", 100, held=True, hold_reason=HoldReason.OTHER_ADVERSE_REACTION),
         patient=PatientContext(qtc_ms=470), dose=0, action=A.HOLD, rationale="other than QTc prolongation"),
    Case("G10-quiz-held-for-qtc-recovered", Medication("quizartinib", 35.4, held=True,
                                                       hold_reason=HoldReason.QTC_PROLONGATION),
         patient=PatientContext(qtc_ms=440), dose=26.5, action=A.ADJUST_DOSE,
         rationale="Interrupted for QTc prolongation and QTcF now < 450 ms"),
    # Review revR (should-fix 6): "Interrupted for QTcF > 500 ms" was said of a 481-500 ms episode too.
    Case("revR-quiz-held-after-481-500-above-the-lowest-level", Medication(
        "quizartinib", 53, held=True, hold_reason=HoldReason.QTC_PROLONGATION, qtc_at_hold_ms=490),
         patient=PatientContext(qtc_ms=440), dose=35.4, action=A.ADJUST_DOSE,
         rationale="After a 481-500 ms episode the label reduces without interruption"),
    Case("G10-quiz-held-for-pancreatitis", Medication("quizartinib", 35.4, held=True,
                                                      hold_reason=HoldReason.PANCREATITIS),
         patient=PatientContext(qtc_ms=440), dose=0, action=A.HOLD, rationale="other than QTc prolongation"),
    # Second pharmacist review C34, G11: over 500 ms a hold stands whatever its reason; another grade >= 3
    # reaction stays held, with the label's resumption stated.
    Case("C34-quiz-held-still-over-500", Medication("quizartinib", 35.4, held=True,
                                                    hold_reason=HoldReason.QTC_PROLONGATION),
         patient=PatientContext(qtc_ms=510), dose=0, action=A.HOLD, rationale="QTcF > 500 ms"),
    Case("Q07-quiz-not-started-over-450", Medication("quizartinib", 17.7, treatment_day=1),
         patient=PatientContext(qtc_ms=470), dose=0, action=A.HOLD, rationale="do not initiate quizartinib"),
    Case("G11-gil-held-for-other-adverse-reaction", Medication(
        "gilteritinib", 120, held=True, hold_reason=HoldReason.OTHER_ADVERSE_REACTION),
         dose=0, action=A.HOLD, rationale="resume gilteritinib at 80 mg"),
    # E9: the 30 ms rise is the C1D8 check (confirmed on C1D9); later ECGs do not fire it.
    Case("E9-gil-rise-on-c1d8", Medication("gilteritinib", 120),
         patient=PatientContext(qtc_ms=450, baseline_qtc_ms=410, qtc_day="C1D8"), dose=120, action=A.MONITOR),
    Case("E9-gil-rise-on-c2d1", Medication("gilteritinib", 120),
         patient=PatientContext(qtc_ms=450, baseline_qtc_ms=410, qtc_day="C2D1"), dose=120, action=A.CONTINUE),
    Case("E9-gil-rise-day-unknown", Medication("gilteritinib", 120),
         patient=PatientContext(qtc_ms=450, baseline_qtc_ms=410), dose=120, action=A.MONITOR),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_course_of_treatment(kb: KnowledgeBase, case: Case) -> None:
    regimen = (case.agent, AZA) if case.agent.name == VEN else (case.agent,)
    result = check(kb, CheckRequest(regimen, case.concomitant, case.patient))
    assert result.complete, result.unrecognized
    dose = next(d for d in result.doses if d.drug == case.agent.name)
    assert (dose.recommended_dose_mg, dose.action) == (pytest.approx(case.dose), case.action), dose.rationale
    if case.ramp is not None:
        assert [s.dose_mg for s in dose.ramp_up] == list(case.ramp)
    assert case.rationale in dose.rationale
    assert dose.avoid_with == case.avoid


@pytest.mark.parametrize(("agent", "qtc"), [("gilteritinib", 470), ("glasdegib", 470), ("ivosidenib", 470),
                                            ("quizartinib", 440)])
def test_a_hold_without_a_reason_is_never_given_one(kb: KnowledgeBase, agent: str, qtc: float) -> None:
    result = check(kb, CheckRequest((Medication(agent, held=True),), patient=PatientContext(qtc_ms=qtc)))
    (finding,) = [f for f in result.findings if f.object_drug == agent]
    assert "the reason for the hold was not given" in finding.recommendation
    assert "Interrupted for" not in finding.recommendation
    assert "Conservative reading" in finding.recommendation


def test_a_stopped_drug_still_counted_says_so(kb: KnowledgeBase) -> None:
    result = check(kb, CheckRequest((Medication(VEN, 400), AZA), (Medication("posaconazole", stopped_on="2026-03-08"),),
                                    PatientContext(as_of_date=TODAY)))
    (finding,) = [f for f in result.findings if f.object_drug == VEN]
    assert finding.mechanisms == (Mechanism.CYP3A4_STRONG_INHIBITOR,)
    assert "Stopped 2 days before this check: still counted until its washout of 3 days has passed." in (
        finding.recommendation)


@pytest.mark.parametrize(("stopped_on", "said"), [("2026-03-05", True), ("2026-03-08", False)])
def test_a_dose_lowered_for_a_drug_whose_washout_has_passed_may_go_back_up(kb: KnowledgeBase, stopped_on: str,
                                                                          said: bool) -> None:
    # A pharmacist's review: 100 mg, voriconazole stopped five days before, was CONTINUE 100 mg with nothing said.
    result = check(kb, CheckRequest((Medication(VEN, 100), AZA), (Medication("voriconazole", stopped_on=stopped_on),),
                                    PatientContext(as_of_date=TODAY)))
    (dose,) = [d for d in result.doses if d.drug == VEN]
    assert ("Voriconazole was stopped 5 days before this check and no longer counts (its washout has passed): if "
            "the venetoclax dose was lowered for it, the dose used before it may be given again." in dose.rationale
            ) is said
    assert (dose.action is A.CONTINUE) is said


def test_a_drug_acting_long_after_it_is_stopped_counts_for_as_long_as_its_source_says(kb: KnowledgeBase) -> None:
    # The reviewer's finding: an amiodarone course three years before still halved venetoclax. It counts for five of
    # its label's mean half-lives (about 290 days).
    def venetoclax(stopped_on: str) -> float | None:
        result = check(kb, CheckRequest((Medication(VEN, 400), AZA), (Medication("amiodarone", stopped_on=stopped_on),),
                                        PatientContext(as_of_date=TODAY)))
        return next(d.recommended_dose_mg for d in result.doses if d.drug == VEN)

    assert venetoclax("2025-05-24") == 200  # 290 days before
    assert venetoclax("2025-05-23") == 400  # 291
    assert venetoclax("2023-01-01") == 400


def test_a_drug_acting_long_after_it_is_stopped_says_why_it_still_counts(kb: KnowledgeBase) -> None:
    result = check(kb, CheckRequest((Medication(VEN, 400), AZA), (Medication("amiodarone", stopped_on="2026-02-08"),),
                                    PatientContext(as_of_date=TODAY)))
    texts = [f.recommendation for f in result.findings if f.object_drug == VEN]
    assert len(texts) == 2  # the moderate CYP3A4 and the P-gp rule, whose washouts are 3 days
    assert all("Stopped 30 days before this check: still counted: amiodarone's long half-life makes its "
               "interactions persist for weeks to months" in text for text in texts)


def test_a_stopped_drug_without_a_washout_says_none_is_known_and_its_own_levels_are_no_longer_at_issue(
        kb: KnowledgeBase) -> None:
    # Second pharmacist review, C19b: said "still counted until its washout has passed" of a rule with none, so
    # it never passed; and ivosidenib lowering posaconazole's levels was still raised for a stopped azole.
    stopped = Medication("posaconazole", stopped_on="2026-03-08")
    result = check(kb, CheckRequest((Medication("ivosidenib", 500),), (stopped,), PatientContext(as_of_date=TODAY)))
    assert {f.rule for f in result.findings} == {"ivosidenib/ivo-strong-cyp3a-inhibitor",
                                                 "ivosidenib/ivo-qt-prolonging"}
    strong = next(f for f in result.findings if f.rule == "ivosidenib/ivo-strong-cyp3a-inhibitor")
    assert "give no number of days after which it stops acting" in strong.recommendation
    assert "until its washout" not in strong.recommendation
    assert next(d for d in result.doses if d.drug == "ivosidenib").recommended_dose_mg == 250


@pytest.mark.parametrize(("stopped_on", "duplicated"), [("2026-03-08", False), ("", True)])
def test_a_switch_of_azoles_with_its_stop_date_is_not_two_azoles(kb: KnowledgeBase, stopped_on: str,
                                                                 duplicated: bool) -> None:
    # Second pharmacist review, A19: "two azoles: confirm the first has been stopped" of one sent as stopped.
    concomitant = (Medication("voriconazole 200 mg BID", stopped_on=stopped_on), Medication("Cresemba 372 mg"))
    result = check(kb, CheckRequest((Medication(VEN, 400), AZA), concomitant, PatientContext(as_of_date=TODAY)))
    assert ("dup-azole-antifungals" in {f.rule for f in result.findings}) is duplicated
    # Stopped two days ago, voriconazole is still within its washout: the strong inhibitor's 100 mg stands.
    assert next(d for d in result.doses if d.drug == VEN).recommended_dose_mg == 100


def test_a_washed_out_drug_leaves_no_finding(kb: KnowledgeBase) -> None:
    result = check(kb, CheckRequest((Medication(VEN, 400), AZA), (Medication("posaconazole", stopped_on="2026-03-01"),),
                                    PatientContext(as_of_date=TODAY)))
    assert [f for f in result.findings if f.object_drug == VEN] == []
    assert result.complete


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_a_coded_comedication_is_checked_by_its_code(kb: KnowledgeBase) -> None:
    posaconazole = Medication("", coding=(Coding(RXNORM, "282446"),))
    result = check(kb, CheckRequest((Medication(VEN, 400), AZA), (posaconazole,)))
    assert result.complete
    assert next(d for d in result.doses if d.drug == VEN).recommended_dose_mg == 70


def test_a_code_and_a_name_that_disagree_are_not_checked(kb: KnowledgeBase) -> None:
    conflicting = Medication("voriconazole 200 mg tablet", coding=(Coding(RXNORM, "282446"),))
    result = check(kb, CheckRequest((Medication(VEN, 400), AZA), (conflicting,)))
    assert not result.complete
    (unrecognized,) = result.unrecognized
    assert unrecognized.reason is UnrecognizedReason.CONFLICT
    assert "282446" in unrecognized.detail
    assert next(d for d in result.doses if d.drug == VEN).recommended_dose_mg == 400  # and the answer says incomplete
