"""Drugs that act as a class only together (classes.toml `joint_effect`): letermovir with cyclosporine.

Alone each is a moderate CYP3A inhibitor (venetoclax 200 mg); together their effect may be a strong
inhibitor's (kb-review, "Further gaps"), for which the venetoclax label gives 100 mg after its ramp-up.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interactions import (
    Action,
    CheckRequest,
    KnowledgeBase,
    KnowledgeBaseError,
    Medication,
    PatientContext,
    check,
    load_knowledge_base,
)
from interactions.describe import describe_drug
from interactions.kb_diff import diff
from interactions.loading import default_data_dir
from interactions.model import CheckResult, DoseRecommendation

PAIR = "letermovir with cyclosporine"
AZA = Medication("azacitidine", 75)
VEN = Medication("venetoclax", 400)


def _check(kb: KnowledgeBase, *concomitant: Medication, regimen: tuple[Medication, ...] = (VEN, AZA),
           as_of: str = "") -> CheckResult:
    return check(kb, CheckRequest(regimen, concomitant, PatientContext(as_of_date=as_of)))


def _dose(result: CheckResult, drug: str) -> DoseRecommendation:
    (dose,) = [d for d in result.doses if d.drug == drug]
    return dose


def test_letermovir_with_cyclosporine_takes_the_strong_inhibitor_dose(default_kb: KnowledgeBase) -> None:
    result = _check(default_kb, Medication("Prevymis 480 mg tablet daily"), Medication("Neoral 100 mg BID"))

    venetoclax = _dose(result, "venetoclax")
    assert (venetoclax.recommended_dose_mg, venetoclax.action) == (100, Action.ADJUST_DOSE)
    assert [step.dose_mg for step in venetoclax.ramp_up] == [10, 20, 50, 100]
    (joint,) = [f for f in result.findings if f.precipitant_drug == PAIR]
    assert joint.rule == "venetoclax/ven-strong-cyp3a-inhibitor"
    assert joint.recommendation.startswith("Letermovir with cyclosporine: together")
    assert {c.source for c in joint.citations} >= {"uspi-venclexta", "uspi-prevymis", "smpc-prevymis"}
    assert any(c.source == "uspi-prevymis" and c.verify for c in joint.citations)
    # Each drug's own finding stays: the answer shows every contributing finding.
    assert {(f.precipitant_drug, f.rule) for f in result.findings if f.precipitant_drug != PAIR} >= {
        ("letermovir", "venetoclax/ven-moderate-cyp3a-inhibitor"),
        ("cyclosporine", "venetoclax/ven-moderate-cyp3a-inhibitor"),
    }


def test_either_drug_alone_stays_a_moderate_inhibitor(default_kb: KnowledgeBase) -> None:
    for alone in ("letermovir", "cyclosporine"):
        result = _check(default_kb, Medication(alone))
        assert _dose(result, "venetoclax").recommended_dose_mg == 200
        assert all(f.precipitant_drug != PAIR for f in result.findings)


def test_other_agents_take_their_own_strong_inhibitor_rule(default_kb: KnowledgeBase) -> None:
    result = _check(default_kb, Medication("letermovir"), Medication("cyclosporine"),
                    regimen=(Medication("ivosidenib", 500),))

    assert (_dose(result, "ivosidenib").recommended_dose_mg, _dose(result, "ivosidenib").action) == (
        250, Action.ADJUST_DOSE)
    assert "ivosidenib/ivo-strong-cyp3a-inhibitor" in {f.rule for f in result.findings if f.precipitant_drug == PAIR}


@pytest.mark.parametrize(("stopped_on", "expected"), [("2026-03-09", 100), ("2026-02-20", 200)])
def test_the_pair_ends_when_either_drug_is_stopped(default_kb: KnowledgeBase, stopped_on: str,
                                                    expected: float) -> None:
    """Stopped yesterday, the strong inhibitor's washout still holds; weeks ago, letermovir alone is left."""
    result = _check(default_kb, Medication("letermovir"), Medication("cyclosporine", stopped_on=stopped_on),
                    as_of="2026-03-10")

    assert _dose(result, "venetoclax").recommended_dose_mg == expected


def test_curators_see_the_pair_under_each_drug(default_kb: KnowledgeBase) -> None:
    described = describe_drug(default_kb, "cyclosporine")

    assert any("cyp3a4_strong_inhibitor (jointly): Letermovir with cyclosporine" in n for n in described.class_notes)
    assert any(rule.startswith(f"venetoclax <- {PAIR}: adjust_dose") for rule in described.rules)


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_data_dir(), tmp_path / "kb"))


def _edit_joint(kb: Path, old: str, new: str) -> None:
    classes = kb / "classes.toml"
    text = classes.read_text()
    start = text.index("[[joint_effect]]")
    assert old in text[start:]
    classes.write_text(text[:start] + text[start:].replace(old, new, 1))


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('drugs = ["letermovir", "cyclosporine"]', 'drugs = ["letermovir", "ciclosporine"]',
     "classes.toml: joint_effect[0].drugs: unknown drug 'ciclosporine' (not in drugs.toml)"),
    ('classes = ["cyp3a4_strong_inhibitor"]', 'classes = ["cyp3a4_strongest_inhibitor"]',
     "classes.toml: joint_effect[0].classes: unknown class 'cyp3a4_strongest_inhibitor'"),
    ('name = "letermovir with cyclosporine"', 'name = "Prevymis"',
     "classes.toml: joint_effect[0].name: 'Prevymis' is a name in drugs.toml"),
    ('source = "smpc-prevymis"', 'source = "smpc-prevymiss"',
     "classes.toml: joint_effect[0].citations: unknown source 'smpc-prevymiss' (not in manifest)"),
    ('drugs = ["letermovir", "cyclosporine"]', 'drugs = ["letermovir"]',
     "classes.toml: joint_effect[0].drugs: Tuple should have at least 2 items"),
])
def test_a_broken_pair_is_refused_with_its_place(kb_copy: Path, old: str, new: str, problem: str) -> None:
    _edit_joint(kb_copy, old, new)

    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(kb_copy)
    assert any(str(p).startswith(problem) for p in raised.value.problems), raised.value.problems


def test_a_changed_pair_shows_in_the_release_diff(default_kb: KnowledgeBase, kb_copy: Path) -> None:
    _edit_joint(kb_copy, 'classes = ["cyp3a4_strong_inhibitor"]', 'classes = ["cyp3a4_moderate_inhibitor"]')

    changes = diff(default_kb, load_knowledge_base(kb_copy)).changes
    assert [(c.section, c.subject) for c in changes] == [("classes", PAIR)]


def test_a_pair_acting_as_a_class_no_rule_names_loads_and_changes_nothing(kb_copy: Path) -> None:
    # Was a KeyError at load: the pair was numbered only through the classes the agents' rules name.
    classes = kb_copy / "classes.toml"
    classes.write_text(classes.read_text().replace("[[joint_effect]]", '''[[class]]
id = "named_by_no_rule"
mechanism = "other_pharmacokinetic"
title = "A class no agent's rule names"
members = ["letermovir"]
citations = [{ source = "kb-review", detail = "test" }]

[[joint_effect]]''', 1))
    _edit_joint(kb_copy, 'classes = ["cyp3a4_strong_inhibitor"]', 'classes = ["named_by_no_rule"]')

    kb = load_knowledge_base(kb_copy)
    assert _dose(_check(kb, Medication("letermovir"), Medication("cyclosporine")), "venetoclax").recommended_dose_mg \
        == 200
