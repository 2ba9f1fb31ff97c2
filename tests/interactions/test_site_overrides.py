"""A site's overrides (site.toml): a rule's severity changed or the rule suppressed, validated, hashed and visible."""

from __future__ import annotations

import pathlib

import pytest

from interactions import (
    Action,
    CheckRequest,
    KnowledgeBase,
    KnowledgeBaseError,
    Medication,
    PatientContext,
    Severity,
    check,
    describe_drug,
    load_knowledge_base,
)

HEADER = 'site = "Example General"\nextends = "built-in"\n'
AUTHOR = "A. Pharmacist, PharmD"
REASON = "P&T 2026-03: single-dose ondansetron premedication, ECG per protocol"


def _override(agent: str, rule: str, change: str, precipitant: str = "") -> str:
    narrowed = f'precipitant = "{precipitant}"\n' if precipitant else ""
    return (f'\n[[override]]\nagent = "{agent}"\nrule = "{rule}"\n{narrowed}{change}\n'
            f'author = "{AUTHOR}"\nreason = "{REASON}"\n')


def _site(tmp_path: pathlib.Path, *overrides: str) -> KnowledgeBase:
    (tmp_path / "site.toml").write_text(HEADER + "".join(overrides))
    return load_knowledge_base(tmp_path)


def _refused(tmp_path: pathlib.Path, *overrides: str) -> list[tuple[str, str, str]]:
    with pytest.raises(KnowledgeBaseError) as caught:
        _site(tmp_path, *overrides)
    return [(p.file, p.location, p.message) for p in caught.value.problems]


GILTERITINIB_WITH_QT_DRUGS = CheckRequest((Medication("gilteritinib", 120),),
                                          (Medication("ondansetron"), Medication("levofloxacin")))


def test_a_severity_override_changes_the_finding_and_says_so_in_its_text(tmp_path: pathlib.Path) -> None:
    kb = _site(tmp_path, _override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"', "ondansetron"))

    result = check(kb, GILTERITINIB_WITH_QT_DRUGS)

    by_drug = {f.precipitant_drug: f for f in result.findings if f.object_drug == "gilteritinib"}
    ondansetron, levofloxacin = by_drug["ondansetron"], by_drug["levofloxacin"]
    assert ondansetron.severity is Severity.MINOR
    assert ondansetron.recommendation.endswith(
        f"Site override (Example General, {AUTHOR}): severity changed from major to minor \u2014 {REASON}")
    assert ondansetron.action is Action.MONITOR
    # Narrowed to ondansetron: the same rule's finding for levofloxacin is the knowledge base's.
    assert levofloxacin.severity is Severity.MAJOR
    assert "Site override" not in levofloxacin.recommendation


def test_an_override_of_the_whole_rule_touches_every_drug_it_applies_to(tmp_path: pathlib.Path) -> None:
    kb = _site(tmp_path, _override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"'))

    findings = [f for f in check(kb, GILTERITINIB_WITH_QT_DRUGS).findings if f.object_drug == "gilteritinib"]

    assert {f.precipitant_drug for f in findings} == {"ondansetron", "levofloxacin"}
    assert all(f.severity is Severity.MINOR and "Site override" in f.recommendation for f in findings)


def test_a_suppressed_rule_gives_no_finding(tmp_path: pathlib.Path, default_kb: KnowledgeBase) -> None:
    request = CheckRequest((Medication("venetoclax", 400), Medication("azacitidine", 75)), (Medication("warfarin"),),
                           PatientContext(wbc_10e9_l=30))
    before = check(default_kb, request)
    assert {f.precipitant_drug for f in before.findings} == {"venetoclax", ""}  # on warfarin; white cells

    kb = _site(tmp_path, _override("venetoclax", "ven-on-warfarin", "suppress = true"),
               _override("venetoclax", "ven-wbc-at-or-above-25", "suppress = true"))
    after = check(kb, request)

    assert after.findings == ()
    # The suppressed rules were advice: every dose and ramp-up stays (only the monitoring prompt goes).
    assert [(d.recommended_dose_mg, d.ramp_up) for d in after.doses] == [
        (d.recommended_dose_mg, d.ramp_up) for d in before.doses]
    assert after.complete


def test_a_qtc_rule_may_change_severity(tmp_path: pathlib.Path) -> None:
    kb = _site(tmp_path, _override("quizartinib", "quiz-qtc-over-450", 'severity = "major"'))

    [finding] = check(kb, CheckRequest((Medication("quizartinib", 53),), (), PatientContext(qtc_ms=460))).findings

    assert finding.severity is Severity.MAJOR
    assert "severity changed from moderate to major" in finding.recommendation


@pytest.mark.parametrize(("agent", "rule"), [
    ("venetoclax", "ven-posaconazole"),             # a dose reduction with its ramp-up
    ("gilteritinib", "gil-qtc-over-500"),           # a hold
    ("ivosidenib", "ivo-qtc-resume-after-481-500"),  # continue, but at a dose the rule sets
    ("quizartinib", "quiz-congenital-long-qt"),     # a stop
    ("venetoclax", "ven-severe-hepatic-impairment"),
])
def test_an_override_of_a_rule_that_sets_the_agent_dose_is_refused(
        tmp_path: pathlib.Path, agent: str, rule: str) -> None:
    problems = _refused(tmp_path, _override("venetoclax", "ven-on-warfarin", "suppress = true"),
                        _override(agent, rule, 'severity = "minor"'))

    [(file, location, message)] = problems
    assert (file, location) == ("site.toml", "override[1].rule")
    assert message.startswith(f"{rule} sets the {agent} dose")
    assert "never a rule that changes, holds or stops the agent's dose" in message


@pytest.mark.parametrize(("override", "location", "message"), [
    (_override("venetoclaks", "ven-on-warfarin", "suppress = true"), "override[0].agent",
     "unknown agent 'venetoclaks'"),
    (_override("venetoclax", "ven-on-heparin", "suppress = true"), "override[0].rule",
     "venetoclax has no rule 'ven-on-heparin'"),
    (_override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"', "warfarin"), "override[0].precipitant",
     "gil-qt-known-risk does not apply to 'warfarin'"),
    (_override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"', "ondansetronn"), "override[0].precipitant",
     "unknown drug 'ondansetronn'"),
    # dexamethasone's own rule shadows the inducer class rule, which then does not apply to it
    (_override("venetoclax", "ven-moderate-cyp3a-inducer", 'severity = "moderate"', "dexamethasone"),
     "override[0].precipitant", "does not apply to 'dexamethasone'"),
    (_override("quizartinib", "quiz-qtc-over-450", 'severity = "minor"', "ondansetron"), "override[0].precipitant",
     "not an interaction rule"),
    (_override("quizartinib", "quiz-qtc-over-450", "suppress = true"), "override[0].suppress",
     "its band would fall to the next one"),
    (_override("gilteritinib", "gil-qt-known-risk", 'severity = "major"'), "override[0].severity",
     "already has severity major"),
    (_override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"\nsuppress = true'), "override[0]",
     "exactly one of severity or suppress"),
    (_override("gilteritinib", "gil-qt-known-risk", ""), "override[0]", "exactly one of severity or suppress"),
    (_override("gilteritinib", "gil-qt-known-risk", 'severity = "low"'), "override[0].severity",
     "unknown severity 'low'"),
])
def test_an_override_that_does_not_fit_the_knowledge_base_is_refused(
        tmp_path: pathlib.Path, override: str, location: str, message: str) -> None:
    problems = _refused(tmp_path, override)

    assert [(file, where) for file, where, text in problems if message in text] == [("site.toml", location)]


def test_an_override_without_its_reason_is_refused(tmp_path: pathlib.Path) -> None:
    text = _override("venetoclax", "ven-on-warfarin", "suppress = true").replace(f'reason = "{REASON}"\n', "")

    assert ("site.toml", "override[0].reason", "Field required") in _refused(tmp_path, text)


def test_two_overrides_of_one_rule_and_drug_are_refused(tmp_path: pathlib.Path) -> None:
    once = _override("venetoclax", "ven-on-warfarin", "suppress = true")

    problems = _refused(tmp_path, once, once)

    assert [(f, loc) for f, loc, message in problems if "duplicate" in message] == [("site.toml", "override")]


def test_overrides_are_part_of_the_content_hash(tmp_path: pathlib.Path, default_kb: KnowledgeBase) -> None:
    minor = _site(tmp_path, _override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"'))
    info = _site(tmp_path, _override("gilteritinib", "gil-qt-known-risk", 'severity = "info"'))

    assert len({default_kb.content_hash, minor.content_hash, info.content_hash}) == 3


def test_kb_show_lists_the_overrides_of_the_drugs_rules(tmp_path: pathlib.Path) -> None:
    kb = _site(tmp_path, _override("gilteritinib", "gil-qt-known-risk", 'severity = "minor"', "ondansetron"),
               _override("venetoclax", "ven-on-warfarin", "suppress = true"))

    ondansetron, warfarin, gilteritinib = (describe_drug(kb, name) for name in ("Zofran", "warfarin", "gilteritinib"))

    assert ondansetron.site_overrides == (
        "gilteritinib gil-qt-known-risk with ondansetron: severity major -> minor "
        f"(site Example General, {AUTHOR}: {REASON})",)
    assert warfarin.site_overrides[0].startswith("venetoclax ven-on-warfarin: suppressed: no finding")
    assert not [rule for rule in warfarin.rules if "ven-on-warfarin" in rule]
    assert len(gilteritinib.site_overrides) == 1
    assert describe_drug(kb, "levofloxacin").site_overrides == ()
