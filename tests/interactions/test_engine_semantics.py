"""The engine's combining, shadowing, QTc and scheduling semantics, on a small fictional knowledge base."""

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
)


def run(kb: KnowledgeBase, *concomitant: str, dose: float = 400, held: bool = False,
        partner: bool = False, patient: PatientContext | None = None) -> CheckResult:
    regimen = (Medication("testinib", dose, held=held),) + ((Medication("partnerine", 75),) if partner else ())
    return check(kb, CheckRequest(regimen, tuple(Medication(n) for n in concomitant), patient or PatientContext()))


def dose_of(result: CheckResult) -> tuple[float, Action, list[float]]:
    dose = next(d for d in result.doses if d.drug == "testinib")
    return dose.recommended_dose_mg, dose.action, [s.dose_mg for s in dose.ramp_up]


@pytest.mark.parametrize(
    ("concomitant", "dose", "partner", "expected"),
    [
        ((), 400, False, (400, Action.CONTINUE, [100, 200, 400])),
        ((), 0, False, (400, Action.CONTINUE, [100, 200, 400])),  # not stated: the labelled dose
        ((), 0, True, (600, Action.CONTINUE, [100, 200, 400, 600])),  # partner variant
        (("plainol",), 400, False, (400, Action.CONTINUE, [100, 200, 400])),
        (("otherazole",), 400, False, (100, Action.ADJUST_DOSE, [10, 20, 50, 100])),  # class rule
        # The named-drug rule shadows the strong-inhibitor class rule and supersedes the P-gp rule.
        (("strongazole",), 400, False, (70, Action.ADJUST_DOSE, [10, 20, 50, 70])),
        (("strongazole",), 100, False, (70, Action.ADJUST_DOSE, [10, 20, 50, 70])),  # a day-1 order (E1)
        (("strongazole",), 70, False, (70, Action.ADJUST_DOSE, [10, 20, 50, 70])),  # a re-check is stable
        (("moderamycin",), 400, False, (200, Action.ADJUST_DOSE, [50, 100, 200])),  # fraction of the label
        (("moderamycin",), 0, True, (300, Action.ADJUST_DOSE, [50, 100, 200, 300])),
        (("moderamycin",), 800, False, (200, Action.ADJUST_DOSE, [50, 100, 200])),
        (("moderamycin",), 200, False, (200, Action.ADJUST_DOSE, [50, 100, 200])),  # not halved again (E6)
        (("moderamycin",), 50, False, (50, Action.ADJUST_DOSE, [50, 50, 50])),  # ramp never above the dose
        # Avoiding another drug never zeroes the agent (E2).
        (("inducerin",), 400, False, (400, Action.CONTINUE, [100, 200, 400])),
        (("inducerin", "strongazole"), 400, False, (70, Action.ADJUST_DOSE, [10, 20, 50, 70])),
        (("moderamycin", "otherazole"), 400, False, (100, Action.ADJUST_DOSE, [10, 20, 50, 100])),
        (("qtdrug",), 400, False, (400, Action.MONITOR, [100, 200, 400])),
        (("Comboprod",), 400, False, (100, Action.ADJUST_DOSE, [10, 20, 50, 100])),  # components expanded
    ],
)
def test_most_restrictive_dose(fixture_kb: KnowledgeBase, concomitant: tuple[str, ...], dose: float,
                               partner: bool, expected: tuple[float, Action, list[float]]) -> None:
    assert dose_of(run(fixture_kb, *concomitant, dose=dose, partner=partner)) == expected


def test_every_contributing_finding_is_listed(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, "strongazole", "inducerin", "qtdrug")
    pairs = {(f.precipitant_drug, f.mechanisms, f.action) for f in result.findings}
    assert pairs == {
        ("strongazole", (Mechanism.CYP3A4_STRONG_INHIBITOR,), Action.ADJUST_DOSE),
        ("inducerin", (Mechanism.CYP3A4_STRONG_INDUCER,), Action.AVOID_COMBINATION),
        ("qtdrug", (Mechanism.QT_PROLONGATION,), Action.MONITOR),
    }
    assert result.highest_severity is Severity.MAJOR
    dose = result.doses[0]
    assert dose.avoid_with == ("inducerin",)
    assert "inducerin" not in dose.rationale  # `avoid_with` says it; the rationale is about the dose
    assert "Most restrictive of 2 findings on the testinib dose" in dose.rationale


def test_a_superseded_rule_still_applies_to_drugs_its_superseder_does_not_cover(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, "boostavir")
    assert [(f.precipitant_drug, f.mechanisms) for f in result.findings] == [
        ("boostavir", (Mechanism.PGP_INHIBITOR,))]
    assert dose_of(result) == (200, Action.ADJUST_DOSE, [50, 100, 200])


def test_an_avoid_finding_names_its_alternatives(fixture_kb: KnowledgeBase) -> None:
    (finding,) = run(fixture_kb, "inducerin").findings
    assert finding.alternatives == ("plainol",)
    assert "Instead of inducerin: plainol induces nothing." in finding.recommendation


def test_rule_on_the_other_drug_leaves_the_agent_dose(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, "substratin")
    (finding,) = result.findings
    assert (finding.object_drug, finding.precipitant_drug) == ("substratin", "testinib")
    assert finding.mechanisms == (Mechanism.OTHER_PHARMACOKINETIC,)
    assert dose_of(result) == (400, Action.CONTINUE, [100, 200, 400])


def test_partner_passes_through_with_its_note(fixture_kb: KnowledgeBase) -> None:
    dose = next(d for d in run(fixture_kb, "strongazole", partner=True).doses if d.drug == "partnerine")
    assert (dose.recommended_dose_mg, dose.action, dose.rationale) == (
        75, Action.CONTINUE, "Partner: passes through unchanged.")


@pytest.mark.parametrize(
    ("qtc", "baseline", "held", "expected_rule_action", "expected_dose"),
    [
        (500, 0, False, None, (400, Action.CONTINUE)),  # "> 500" excludes 500
        (501, 0, False, Action.HOLD, (0, Action.HOLD)),
        (481, 0, True, Action.HOLD, (0, Action.HOLD)),  # still held: 481 is not recovered
        (480, 0, True, Action.ADJUST_DOSE, (80, Action.ADJUST_DOSE)),  # "<= 480" includes 480
        (495, 465, True, Action.ADJUST_DOSE, (80, Action.ADJUST_DOSE)),  # within 30 ms of baseline
        (496, 465, True, Action.HOLD, (0, Action.HOLD)),  # 31 ms above baseline
        (430, 400, False, None, (400, Action.CONTINUE)),  # a rise of exactly 30 ms
        (431, 400, False, Action.MONITOR, (400, Action.MONITOR)),
        (0, 0, True, Action.HOLD, (0, Action.HOLD)),  # held, QTc unknown: the fallback rule
    ],
)
def test_qtc_rules_first_match_with_exact_thresholds(
        fixture_kb: KnowledgeBase, qtc: float, baseline: float, held: bool,
        expected_rule_action: Action | None, expected_dose: tuple[float, Action]) -> None:
    result = run(fixture_kb, held=held, patient=PatientContext(qtc_ms=qtc, baseline_qtc_ms=baseline))
    qtc_findings = [f for f in result.findings if f.mechanisms == (Mechanism.QTC_THRESHOLD,)]
    assert [f.action for f in qtc_findings] == ([expected_rule_action] if expected_rule_action else [])
    assert all(f.precipitant_drug == "" for f in qtc_findings)
    assert dose_of(result)[:2] == expected_dose


def test_qtc_hold_beats_a_dose_adjustment(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, "strongazole", patient=PatientContext(qtc_ms=520))
    assert dose_of(result) == (0, Action.HOLD, [])


def test_schedule_labels_dates_and_cycle_bounds(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, patient=PatientContext(cycle_start_date="2026-01-05"))
    ecg = {e.label: e.date for e in result.monitoring if e.test is MonitoringTest.ECG}
    # C4D1 is past the three scheduled cycles and C1D30 past a 28-day cycle.
    assert ecg == {"C1D1": "2026-01-05", "C1D8": "2026-01-12", "C1D15": "2026-01-19",
                   "C2D1": "2026-02-02", "C3D1": "2026-03-02"}


def test_schedule_follows_cycle_length(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, patient=PatientContext(cycle_start_date="2026-01-05", cycle_length_days=21))
    ecg = {e.label: e.date for e in result.monitoring if e.test is MonitoringTest.ECG}
    assert ecg["C2D1"] == "2026-01-26"
    assert "C1D15" in ecg


def test_tumour_lysis_days_follow_the_ramp_up_in_force(fixture_kb: KnowledgeBase) -> None:
    def lysis_labels(result: CheckResult) -> list[str]:
        return [e.label for e in result.monitoring if e.test is MonitoringTest.TUMOR_LYSIS_LABS]

    assert lysis_labels(run(fixture_kb)) == ["C1D1", "C1D2", "C1D3", "C1D4"]
    assert lysis_labels(run(fixture_kb, "strongazole")) == ["C1D1", "C1D2", "C1D3", "C1D4", "C1D5"]


def test_rule_monitoring_is_merged_into_the_schedule(fixture_kb: KnowledgeBase) -> None:
    result = run(fixture_kb, "qtdrug")
    ecg = [e for e in result.monitoring if e.test is MonitoringTest.ECG]
    assert [e.label for e in ecg] == ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C3D1"]
    c1d8 = next(e for e in ecg if e.label == "C1D8")
    assert {c.detail for c in c1d8.citations} == {"2.3", "5.3"}


def test_unrecognised_names_make_the_check_incomplete(fixture_kb: KnowledgeBase) -> None:
    result = check(fixture_kb, CheckRequest((Medication("testinib", 400), Medication("testinbi")),
                                            (Medication("strongazol"), Medication("plainol"))))
    assert result.complete is False
    assert {u.name: u.suggestions[0] for u in result.unrecognized} == {
        "strongazol": "strongazole", "testinbi": "testinib"}
    unknown_dose = next(d for d in result.doses if d.drug == "testinbi")
    # Not checked, so no dose at all: never a recommended 0 mg a client could give.
    assert (unknown_dose.action, unknown_dose.recommended_dose_mg) == (Action.UNSPECIFIED, None)
    # The misspelt inhibitor is not silently corrected: no interaction is claimed for it.
    assert not [f for f in result.findings if f.precipitant_drug == "strongazole"]


def test_same_drug_twice_in_the_regimen_is_invalid(fixture_kb: KnowledgeBase) -> None:
    from interactions import InvalidRequestError

    with pytest.raises(InvalidRequestError) as raised:
        check(fixture_kb, CheckRequest((Medication("testinib"), Medication("Testa 100 mg tablet"))))
    assert [v.field for v in raised.value.violations] == ["regimen[1].name"]


def test_verify_citations_say_so(fixture_kb: KnowledgeBase) -> None:
    from interactions import Citation
    from interactions.model import citation_id
    from interactions.schema import VERIFY_NOTE, citation_text, citations_of

    (finding,) = run(fixture_kb, "inducerin").findings
    assert finding.citations[0].detail.startswith("7.1")
    assert fixture_kb.classes[3].citations[0].verify is True
    (marked,) = citations_of(fixture_kb.classes[3].citations)
    assert marked == Citation("table-y", "T4", citation_id("table-y", "T4", verify=True), verify=True)
    assert marked.id != citation_id("table-y", "T4")  # once verified, it is another statement
    assert citation_text(marked) == f"table-y T4 ({VERIFY_NOTE})"


def test_one_dose_for_a_combination_product_in_the_regimen_is_refused(fixture_kb: KnowledgeBase) -> None:
    from interactions import InvalidRequestError

    with pytest.raises(InvalidRequestError) as raised:
        check(fixture_kb, CheckRequest((Medication("testinib", 400), Medication("Comboprod", 300))))
    assert [v.field for v in raised.value.violations] == ["regimen[1].dose_mg"]


def test_merged_events_keep_every_citation_even_when_reasons_repeat() -> None:
    from interactions import Citation
    from interactions.schedule import Protocol, agent_schedules, merged_events

    first = Protocol(MonitoringTest.ECG, "ECG.", (Citation("a", "1", "a1"),), ((1, 1),), None, 1, False, (), None)
    second = Protocol(MonitoringTest.ECG, "ECG.", (Citation("b", "2", "b2"),), ((1, 1),), None, 1, False, (), None)
    (event,) = merged_events(agent_schedules("x", (first, second), 28, None, 0))
    assert (event.reason, [c.source for c in event.citations]) == ("ECG.", ["a", "b"])


def test_a_held_agent_stays_held_unless_a_held_rule_resumes_it(default_kb: KnowledgeBase) -> None:
    # Quizartinib's QTc rules are written for a running drug: none of them may resume a held one.
    result = check(default_kb, CheckRequest((Medication("quizartinib", 53, held=True),), (),
                                            PatientContext(qtc_ms=460)))
    dose = result.doses[0]
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0)
    assert [f.mechanisms for f in result.findings] == [(Mechanism.QTC_THRESHOLD,)]


def test_a_held_agent_gets_no_ramp_up_labs_and_an_honest_finding_count(default_kb: KnowledgeBase) -> None:
    result = check(default_kb, CheckRequest((Medication("venetoclax", 400, held=True),),
                                            (Medication("posaconazole"),)))
    dose = next(d for d in result.doses if d.drug == "venetoclax")
    assert (dose.action, dose.recommended_dose_mg) == (Action.HOLD, 0)
    listed = [f for f in result.findings if f.object_drug == "venetoclax"]
    assert [f.precipitant_drug for f in listed] == ["posaconazole"]  # its row covers its P-gp inhibition
    assert "Most restrictive" not in dose.rationale  # one finding: no claim of several
    assert not [e for e in result.monitoring if e.test is MonitoringTest.TUMOR_LYSIS_LABS]
