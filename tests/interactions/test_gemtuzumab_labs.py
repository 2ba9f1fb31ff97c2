"""Gemtuzumab ozogamicin (Mylotarg) and the patient's liver tests, through `check` on the real knowledge base.

The label's hepatotoxicity row (USPI 2.3, as restated): total bilirubin above 2 x ULN, or AST or ALT
above 2.5 x ULN, delays the dose until they are back at or under those values; a dose delayed more than
2 days between sequential infusions is omitted; VOD stops it for good.
"""

from __future__ import annotations

import pytest

from interactions import (
    Action,
    CheckRequest,
    CheckResult,
    DoseRecommendation,
    Finding,
    KnowledgeBase,
    Medication,
    PatientContext,
    Severity,
    check,
    load_knowledge_base,
)

GO = "gemtuzumab ozogamicin"
BILIRUBIN_RULE = f"{GO}/gem-hepatotoxicity-bilirubin"
TRANSAMINASES_RULE = f"{GO}/gem-hepatotoxicity-transaminases"
LIVER_RULES = {BILIRUBIN_RULE, TRANSAMINASES_RULE}
# The fractionated dose (3 mg/m2, one 4.5 mg vial at most) with daunorubicin and cytarabine.
GO_DA = (Medication(GO, 4.5), Medication("daunorubicin", 60), Medication("cytarabine", 200))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _check(kb: KnowledgeBase, patient: PatientContext, regimen: tuple[Medication, ...] = GO_DA) -> CheckResult:
    result = check(kb, CheckRequest(regimen, (), patient))
    assert result.complete, result.unrecognized
    return result


def _liver_findings(result: CheckResult) -> list[Finding]:
    return [f for f in result.findings if f.rule in LIVER_RULES]


def _dose(result: CheckResult, drug: str) -> DoseRecommendation:
    (dose,) = [d for d in result.doses if d.drug == drug]
    return dose


@pytest.mark.parametrize(
    ("patient", "rule"),
    [
        (PatientContext(bilirubin_uln=2.5), BILIRUBIN_RULE),
        (PatientContext(ast_uln=3), TRANSAMINASES_RULE),
        (PatientContext(alt_uln=3), TRANSAMINASES_RULE),
        (PatientContext(bilirubin_uln=1.0, ast_uln=3, alt_uln=1.0), TRANSAMINASES_RULE),
    ],
)
def test_raised_liver_tests_delay_the_dose_citing_the_label(kb: KnowledgeBase, patient: PatientContext,
                                                            rule: str) -> None:
    result = _check(kb, patient)
    (finding,) = _liver_findings(result)
    assert (finding.rule, finding.object_drug, finding.action, finding.severity) == (
        rule, GO, Action.HOLD, Severity.MAJOR)
    # The label's dose-modification table, marked to verify: its own words were read only as restated.
    assert [(c.source, c.verify) for c in finding.citations if c.source == "uspi-mylotarg"] == [
        ("uspi-mylotarg", True)]
    assert any("2.3" in c.detail for c in finding.citations)
    text = finding.recommendation
    # What the schema cannot act on is said: the recovery values, the omitted dose, VOD.
    for words in ("2 x ULN", "2.5 x ULN", "more than 2 days", "VOD"):
        assert words in text, words
    go = _dose(result, GO)
    assert (go.recommended_dose_mg, go.action) == (0, Action.HOLD)


def test_both_raised_is_still_one_hold(kb: KnowledgeBase) -> None:
    result = _check(kb, PatientContext(bilirubin_uln=3, ast_uln=4, alt_uln=4))
    assert {f.rule for f in _liver_findings(result)} == LIVER_RULES
    go = _dose(result, GO)
    assert (go.recommended_dose_mg, go.action) == (0, Action.HOLD)


@pytest.mark.parametrize(
    ("at_threshold", "just_above"),
    [
        (PatientContext(bilirubin_uln=2.0), PatientContext(bilirubin_uln=2.01)),
        (PatientContext(ast_uln=2.5), PatientContext(ast_uln=2.51)),
        (PatientContext(alt_uln=2.5), PatientContext(alt_uln=2.51)),
        (PatientContext(bilirubin_uln=2.0, ast_uln=2.5, alt_uln=2.5),
         PatientContext(bilirubin_uln=2.0, ast_uln=2.5, alt_uln=2.6)),
        # Not given: no assumption either way.
        (PatientContext(), PatientContext(bilirubin_uln=2.5)),
    ],
)
def test_the_label_values_themselves_are_recovery(kb: KnowledgeBase, at_threshold: PatientContext,
                                                  just_above: PatientContext) -> None:
    """At or under 2 x ULN (bilirubin) and 2.5 x ULN (AST, ALT), or unknown, the dose is given; above, it waits."""
    at = _check(kb, at_threshold)
    assert _liver_findings(at) == []
    go = _dose(at, GO)
    assert (go.recommended_dose_mg, go.action) == (4.5, Action.CONTINUE)
    above = _check(kb, just_above)
    assert [f.action for f in _liver_findings(above)] == [Action.HOLD]
    assert _dose(above, GO).recommended_dose_mg == 0


def test_the_hold_is_gemtuzumab_s_own_and_spares_its_partners(kb: KnowledgeBase) -> None:
    """The delay zeroes gemtuzumab's dose, for its own rule's reason, and no other drug's."""
    result = _check(kb, PatientContext(bilirubin_uln=2.5, ast_uln=1.0, alt_uln=1.0))
    go = _dose(result, GO)
    (finding,) = _liver_findings(result)
    assert (go.recommended_dose_mg, go.action) == (0, Action.HOLD)
    assert set(finding.citations) <= set(go.citations)
    for partner, mg in (("daunorubicin", 60), ("cytarabine", 200)):
        dose = _dose(result, partner)
        assert (dose.recommended_dose_mg, dose.action) == (mg, Action.CONTINUE)
    assert {f.object_drug for f in result.findings if f.action is Action.HOLD} == {GO}


def test_another_agent_s_liver_hold_is_not_gemtuzumab_s(kb: KnowledgeBase) -> None:
    """Olutasidenib held for AST above 3 x ULN; gemtuzumab, beside it, is held by its own rule only."""
    result = _check(kb, PatientContext(ast_uln=3.5), (Medication(GO, 4.5), Medication("olutasidenib", 150)))
    go_holds = [f.rule for f in result.findings if f.object_drug == GO and f.action is Action.HOLD]
    assert go_holds == [TRANSAMINASES_RULE]
    assert _dose(result, GO).recommended_dose_mg == 0
    assert _dose(result, "olutasidenib").action is Action.HOLD

