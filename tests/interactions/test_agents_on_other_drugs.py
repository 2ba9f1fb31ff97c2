"""The agents acting on other drugs (kb-review G3): one row per rule and co-medication.

Each row runs the real engine over the real data files: the agent with its partner, and one other
drug as an order would name it. The finding is on the other drug (its object), with the agent as
precipitant; the agent's own dose never changes for it. Facts the label text could not be read for
are cited with `verify`, and their recommendation says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from interactions import (
    Action,
    CheckRequest,
    CheckResult,
    KnowledgeBase,
    Mechanism,
    Medication,
    Severity,
    check,
    load_knowledge_base,
)
from interactions.schema import VERIFY_NOTE

A = Action
M = Mechanism
S = Severity


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@dataclass(frozen=True)
class Case:
    id: str
    """The rule's id, with the co-medication when the rule names several."""
    regimen: tuple[tuple[str, float], ...]
    other: str
    """The co-medication as an order names it."""
    object_drug: str
    action: Action
    mechanism: Mechanism
    severity: Severity
    verify: bool
    """Whether the rule's text and a citation say the fact is still to be verified (else a citation is of a
    source read, not of a restatement)."""
    agent_dose: float
    agent_action: Action = A.CONTINUE
    avoid: tuple[str, ...] = ()


IVO = (("ivosidenib", 500.0), ("azacitidine", 75.0))
ENA = (("enasidenib", 100.0),)
SOR = (("sorafenib", 400.0),)
OLU = (("olutasidenib", 150.0),)
OTHER_PK = M.OTHER_PHARMACOKINETIC

CASES = [
    # ---------------------------------------------------------------- ivosidenib ---------------
    # Posaconazole and voriconazole: azole troughs fall (a measured series): TDM of the azole. Both
    # are strong CYP3A inhibitors too, so ivosidenib itself goes to 250 mg (its own rule).
    Case("ivo-on-voriconazole-posaconazole:posaconazole", IVO, "Noxafil 300 mg DR tablet", "posaconazole", A.MONITOR,
         OTHER_PK, S.MAJOR, False, 250, A.ADJUST_DOSE),
    Case("ivo-on-voriconazole-posaconazole:voriconazole", IVO, "voriconazole 200 mg PO BID", "voriconazole",
         A.MONITOR, OTHER_PK, S.MAJOR, False, 250, A.ADJUST_DOSE),
    # Isavuconazole and cyclosporine are moderate CYP3A4 inhibitors: ivosidenib's own QTc-monitoring rule (G4).
    Case("ivo-on-isavuconazole", IVO, "Cresemba", "isavuconazole", A.MONITOR, OTHER_PK, S.MODERATE, True, 500,
         A.MONITOR),
    Case("ivo-on-itraconazole-ketoconazole:itraconazole", IVO, "Sporanox", "itraconazole", A.AVOID_COMBINATION,
         OTHER_PK, S.MAJOR, True, 250, A.ADJUST_DOSE, ("itraconazole",)),
    Case("ivo-on-itraconazole-ketoconazole:ketoconazole", IVO, "ketoconazole", "ketoconazole", A.AVOID_COMBINATION,
         OTHER_PK, S.MAJOR, True, 250, A.ADJUST_DOSE, ("ketoconazole",)),
    Case("ivo-on-hormonal-contraceptives:ethinyl estradiol", IVO, "ethinyl estradiol", "ethinyl estradiol",
         A.MONITOR, OTHER_PK, S.MAJOR, True, 500),
    Case("ivo-on-hormonal-contraceptives:levonorgestrel", IVO, "levonorgestrel", "levonorgestrel", A.MONITOR,
         OTHER_PK, S.MAJOR, True, 500),
    Case("ivo-on-hormonal-contraceptives:norethindrone", IVO, "norethindrone 0.35 mg tablet", "norethindrone",
         A.MONITOR, OTHER_PK, S.MAJOR, True, 500),
    Case("ivo-on-hormonal-contraceptives:medroxyprogesterone", IVO, "Depo-Provera", "medroxyprogesterone",
         A.MONITOR, OTHER_PK, S.MAJOR, True, 500),
    Case("ivo-on-dabigatran", IVO, "Pradaxa", "dabigatran", A.AVOID_COMBINATION, OTHER_PK, S.CONTRAINDICATED, True,
         500, A.CONTINUE, ("dabigatran",)),
    Case("ivo-on-narrow-index-cyp3a4-substrates:tacrolimus", IVO, "Prograf", "tacrolimus", A.MONITOR, OTHER_PK,
         S.MAJOR, True, 500, A.MONITOR),  # tacrolimus also prolongs QT: the QT rule's monitor on ivosidenib
    Case("ivo-on-narrow-index-cyp3a4-substrates:cyclosporine", IVO, "cyclosporine", "cyclosporine", A.MONITOR,
         OTHER_PK, S.MAJOR, True, 500, A.MONITOR),
    Case("ivo-on-narrow-index-cyp3a4-substrates:sirolimus", IVO, "sirolimus", "sirolimus", A.MONITOR, OTHER_PK,
         S.MAJOR, True, 500),
    Case("ivo-on-narrow-index-cyp3a4-substrates:fentanyl", IVO, "fentanyl", "fentanyl", A.MONITOR, OTHER_PK,
         S.MAJOR, True, 500),
    Case("ivo-on-narrow-index-cyp3a4-substrates:pimozide", IVO, "pimozide", "pimozide", A.MONITOR, OTHER_PK,
         S.MAJOR, True, 500, A.MONITOR),
    Case("ivo-on-narrow-index-cyp3a4-substrates:quinidine", IVO, "quinidine", "quinidine", A.MONITOR, OTHER_PK,
         S.MAJOR, True, 500, A.MONITOR),
    Case("ivo-on-ugt-substrates:lamotrigine", IVO, "Lamictal", "lamotrigine", A.MONITOR, OTHER_PK, S.MODERATE, True,
         500),
    Case("ivo-on-ugt-substrates:raltegravir", IVO, "raltegravir", "raltegravir", A.MONITOR, OTHER_PK, S.MODERATE,
         True, 500),
    # ---------------------------------------------------------------- enasidenib ---------------
    Case("ena-on-digoxin", ENA, "digoxin 125 mcg", "digoxin", A.MONITOR, M.PGP_INHIBITOR, S.MODERATE, True, 100),
    Case("ena-on-rosuvastatin", ENA, "Crestor 10 mg", "rosuvastatin", A.MONITOR, OTHER_PK, S.MODERATE, True, 100),
    Case("ena-on-combined-hormonal-contraceptives", ENA, "ethinyl estradiol", "ethinyl estradiol", A.MONITOR,
         OTHER_PK, S.MODERATE, True, 100),
    # ---------------------------------------------------------------- sorafenib ----------------
    Case("sor-on-warfarin", SOR, "Coumadin", "warfarin", A.MONITOR, OTHER_PK, S.MODERATE, True, 400),
    # ---------------------------------------------------------------- olutasidenib -------------
    Case("olu-on-sensitive-cyp3a-substrates:tacrolimus", OLU, "tacrolimus", "tacrolimus", A.MONITOR, OTHER_PK,
         S.MODERATE, True, 150),
    Case("olu-on-sensitive-cyp3a-substrates:cyclosporine", OLU, "Neoral", "cyclosporine", A.MONITOR, OTHER_PK,
         S.MODERATE, True, 150),
    Case("olu-on-sensitive-cyp3a-substrates:sirolimus", OLU, "Rapamune", "sirolimus", A.MONITOR, OTHER_PK,
         S.MODERATE, True, 150),
    Case("olu-on-sensitive-cyp3a-substrates:fentanyl", OLU, "fentanyl", "fentanyl", A.MONITOR, OTHER_PK,
         S.MODERATE, True, 150),
    Case("olu-on-sensitive-cyp3a-substrates:pimozide", OLU, "pimozide", "pimozide", A.MONITOR, OTHER_PK,
         S.MODERATE, True, 150),
    Case("olu-on-sensitive-cyp3a-substrates:quinidine", OLU, "quinidine", "quinidine", A.MONITOR, OTHER_PK,
         S.MODERATE, True, 150),
]


def _run(kb: KnowledgeBase, regimen: tuple[tuple[str, float], ...], *others: str) -> CheckResult:
    return check(kb, CheckRequest(tuple(Medication(n, d) for n, d in regimen), tuple(Medication(o) for o in others)))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_agent_acting_on_another_drug(kb: KnowledgeBase, case: Case) -> None:
    agent = case.regimen[0][0]
    result = _run(kb, case.regimen, case.other)
    assert result.complete, result.unrecognized
    (finding,) = [f for f in result.findings if f.object_drug == case.object_drug and f.precipitant_drug == agent]
    assert finding.action == case.action
    assert finding.mechanisms == (case.mechanism,)
    assert finding.severity == case.severity
    sources = {s.id for s in kb.sources}
    assert finding.citations
    assert {c.source for c in finding.citations} <= sources
    # A fact still to be verified says so in the text and on a citation; a verified one cites a source read.
    assert ("verify" in finding.recommendation) == case.verify
    assert any(c.verify == case.verify for c in finding.citations)
    assert not any(VERIFY_NOTE in c.detail for c in finding.citations)  # the flag says it, not the detail
    # The finding acts on the other drug: the agent's dose is its labelled dose, or what its own rules give.
    dose = next(d for d in result.doses if d.drug == agent)
    assert dose.recommended_dose_mg == case.agent_dose
    assert dose.action == case.agent_action
    assert dose.avoid_with == case.avoid


G3_AGENTS = ("ivosidenib", "enasidenib", "sorafenib", "olutasidenib")


def test_every_drug_a_rule_acting_on_other_drugs_names_has_a_row(kb: KnowledgeBase) -> None:
    named = {(r.id, drug) for a in G3_AGENTS for r in kb.agents[a].spec.interactions
             if r.direction == "on_precipitant" for drug in r.precipitant_drugs}
    assert named == {(c.id.split(":")[0], c.object_drug) for c in CASES}


def test_ivosidenib_with_posaconazole_reduces_ivosidenib_and_asks_for_the_azole_level(kb: KnowledgeBase) -> None:
    result = _run(kb, IVO, "posaconazole")
    on_azole = next(f for f in result.findings if f.object_drug == "posaconazole")
    assert "trough" in on_azole.recommendation
    assert [c.source for c in on_azole.citations] == ["dinh-2024", "smpc-tibsovo"]
    ivosidenib = next(d for d in result.doses if d.drug == "ivosidenib")
    assert (ivosidenib.recommended_dose_mg, ivosidenib.action) == (250, A.ADJUST_DOSE)


def test_a_combined_pill_written_out_names_both_hormones(kb: KnowledgeBase) -> None:
    result = _run(kb, IVO, "levonorgestrel/ethinyl estradiol 0.15 mg/0.03 mg tablet")
    objects = {f.object_drug for f in result.findings if f.precipitant_drug == "ivosidenib"}
    assert objects == {"levonorgestrel", "ethinyl estradiol"}
    assert all("barrier method" in f.recommendation for f in result.findings if f.precipitant_drug == "ivosidenib")


def test_enasidenib_rosuvastatin_and_digoxin_give_a_finding_each(kb: KnowledgeBase) -> None:
    # The review's observed gap: `enasidenib + rosuvastatin + digoxin` gave no finding.
    result = _run(kb, ENA, "rosuvastatin", "digoxin")
    assert {f.object_drug for f in result.findings} == {"rosuvastatin", "digoxin"}
    assert next(d for d in result.doses if d.drug == "enasidenib").recommended_dose_mg == 100
