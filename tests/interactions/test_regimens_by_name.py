"""Regimens by name and the label's maximum dose (kb-review G7).

A regimen's name (FLAG-IDA, 7+3, Aza/Ven) reads as its components; one dose on it is the dose of its
one targeted agent, whose labelled dose the backbone chooses (venetoclax 400 mg with an HMA, 600 mg
with low-dose cytarabine). An ordered dose above the label's maximum for the regimen comes back as
the labelled dose, with a finding of its own, and is never raised.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from interactions import (
    Action,
    CheckRequest,
    CheckResult,
    InvalidRequestError,
    KnowledgeBase,
    KnowledgeBaseError,
    Mechanism,
    Medication,
    PatientContext,
    check,
    describe_drug,
    load_knowledge_base,
)
from tests.interactions.conftest import FIXTURE_KB

A = Action
M = Mechanism
LABELLED = M.LABELLED_DOSE
STRONG_INH = M.CYP3A4_STRONG_INHIBITOR
QTC = M.QTC_THRESHOLD
VEN_RAMP = (100, 200, 400)
LDAC_RAMP = (100, 200, 400, 600)
POSA_RAMP = (10, 20, 50, 70)
AZA = Medication("azacitidine", 75)
LDAC = Medication("cytarabine", 20)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@dataclass(frozen=True)
class Row:
    id: str
    regimen: tuple[Medication, ...]
    agent: str
    dose: float
    action: Action
    mechanisms: frozenset[Mechanism]
    ramp: tuple[float, ...] | None = None
    concomitant: tuple[str, ...] = ()
    patient: PatientContext = field(default_factory=PatientContext)


def _row(id: str, regimen: tuple[Medication, ...], dose: float, action: Action, mechanisms: set[Mechanism], *,
         agent: str = "venetoclax", ramp: tuple[float, ...] | None = None, with_: tuple[str, ...] = (),
         patient: PatientContext | None = None) -> Row:
    return Row(id, regimen, agent, dose, action, frozenset(mechanisms), ramp, with_, patient or PatientContext())


ROWS = [
    # --- a regimen's name with one dose: the dose is venetoclax's, the backbone chooses its label ---
    _row("aza-ven-400", (Medication("Aza/Ven", 400),), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("ven-aza-400", (Medication("Ven/Aza", 400),), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("aza-plus-ven-spaced-400", (Medication("AZA + VEN", 400),), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("ven-aza-hyphen-with-strength", (Medication("VEN-AZA 400 mg", 400),), 400, A.CONTINUE, set(),
         ramp=VEN_RAMP),
    _row("ven-dec-400", (Medication("Ven/Dec", 400),), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("dec-ven-400", (Medication("Dec/Ven", 400),), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("ldac-ven-600", (Medication("LDAC/Ven", 600),), 600, A.CONTINUE, set(), ramp=LDAC_RAMP),
    _row("ven-ldac-600", (Medication("Ven/LDAC", 600),), 600, A.CONTINUE, set(), ramp=LDAC_RAMP),
    _row("aza-ven-no-dose", (Medication("Aza/Ven"),), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    # --- above the label's maximum for the regimen (the review's "600 + azacitidine", "800") -------
    _row("aza-ven-600", (Medication("Aza/Ven", 600),), 400, A.ADJUST_DOSE, {LABELLED}, ramp=VEN_RAMP),
    _row("ven-600-azacitidine", (Medication("venetoclax", 600), AZA), 400, A.ADJUST_DOSE, {LABELLED},
         ramp=VEN_RAMP),
    _row("ven-800-azacitidine", (Medication("venetoclax", 800), AZA), 400, A.ADJUST_DOSE, {LABELLED},
         ramp=VEN_RAMP),
    _row("ven-800-alone", (Medication("venetoclax", 800),), 400, A.ADJUST_DOSE, {LABELLED}, ramp=VEN_RAMP),
    _row("ven-600-ldac", (Medication("venetoclax", 600), LDAC), 600, A.CONTINUE, set(), ramp=LDAC_RAMP),
    _row("ven-800-ldac", (Medication("venetoclax", 800), LDAC), 600, A.ADJUST_DOSE, {LABELLED}, ramp=LDAC_RAMP),
    _row("ldac-ven-800", (Medication("LDAC/Ven", 800),), 600, A.ADJUST_DOSE, {LABELLED}, ramp=LDAC_RAMP),
    _row("ven-400.04-within-rounding", (Medication("venetoclax", 400.04), AZA), 400.04, A.CONTINUE, set()),
    # Intensive chemotherapy (cytarabine with an anthracycline or a purine analogue): the label's 600 mg is
    # for low-dose cytarabine only, so 400 mg is the ceiling, as with a hypomethylating agent.
    _row("7+3-ven-600", (Medication("7+3"), Medication("venetoclax", 600)), 400, A.ADJUST_DOSE, {LABELLED},
         ramp=VEN_RAMP),
    _row("flag-ida-ven-600", (Medication("FLAG-IDA"), Medication("venetoclax", 600)), 400, A.ADJUST_DOSE,
         {LABELLED}, ramp=VEN_RAMP),
    _row("cpx-351-ven-600", (Medication("Vyxeos"), Medication("venetoclax", 600)), 400, A.ADJUST_DOSE, {LABELLED},
         ramp=VEN_RAMP),
    _row("mec-ven-400", (Medication("MEC"), Medication("venetoclax", 400)), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("clag-ven-no-dose", (Medication("CLAG"), Medication("venetoclax")), 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    # With an interaction that lowers the dose further, the lower dose and its ramp-up win; both listed.
    _row("aza-ven-800-posaconazole", (Medication("Aza/Ven", 800),), 70, A.ADJUST_DOSE, {LABELLED, STRONG_INH},
         ramp=POSA_RAMP, with_=("posaconazole",)),
    _row("aza-ven-400-posaconazole", (Medication("Aza/Ven", 400),), 70, A.ADJUST_DOSE, {STRONG_INH},
         ramp=POSA_RAMP, with_=("posaconazole",)),
    # A day of the ramp-up: an order above the maximum gets that day's step; a ramp-up dose is no excess.
    _row("ven-800-day-2", (Medication("venetoclax", 800, treatment_day=2), AZA), 200, A.ADJUST_DOSE, {LABELLED},
         ramp=VEN_RAMP),
    _row("ven-200-day-2", (Medication("venetoclax", 200, treatment_day=2), AZA), 200, A.CONTINUE, set(),
         ramp=VEN_RAMP),
    # Ordered below the labelled dose with nothing to change it: the ramp-up's steps below the order, then the
    # order (it went on to the labelled 400 mg, above the dose recommended).
    _row("ven-200-ramps-to-200", (Medication("venetoclax", 200), AZA), 200, A.CONTINUE, set(), ramp=(100,)),
    _row("ven-100-day-1", (Medication("venetoclax", 100, treatment_day=1), AZA), 100, A.CONTINUE, set(),
         ramp=VEN_RAMP),
    # Held: the hold wins the dose, and the excess is still flagged for whoever resumes the order.
    _row("ven-800-held", (Medication("venetoclax", 800, held=True), AZA), 0, A.HOLD, {LABELLED}),
    _row("ivo-1000-qtc-over-500", (Medication("ivosidenib", 1000),), 0, A.HOLD, {QTC, LABELLED}, agent="ivosidenib",
         patient=PatientContext(qtc_ms=510)),
    # Quizartinib: the label's maximum (53 mg, maintenance) differs from the standard 35.4 mg.
    _row("quiz-53-maintenance", (Medication("quizartinib", 53),), 53, A.CONTINUE, set(), agent="quizartinib"),
    # Gemtuzumab ozogamicin is dosed per m2, capped at one 4.5 mg vial a dose: 6 mg passed unflagged.
    _row("go-6-mg-above-the-vial", (Medication("gemtuzumab ozogamicin", 6),), 4.5, A.ADJUST_DOSE, {LABELLED},
         agent="gemtuzumab ozogamicin"),
    _row("go-3-mg", (Medication("gemtuzumab ozogamicin", 3),), 3, A.CONTINUE, set(), agent="gemtuzumab ozogamicin"),
    # A day of treatment reads a ramp-up's step; quizartinib has none, so day 15 keeps the maintenance 53 mg
    # (it was cut to the standard 35.4 mg with no finding).
    _row("quiz-53-maintenance-day-15", (Medication("quizartinib", 53, treatment_day=15),), 53, A.CONTINUE, set(),
         agent="quizartinib", patient=PatientContext(qtc_ms=440)),
    _row("quiz-60", (Medication("quizartinib", 60),), 35.4, A.ADJUST_DOSE, {LABELLED}, agent="quizartinib"),
    _row("gil-200", (Medication("gilteritinib", 200),), 120, A.ADJUST_DOSE, {LABELLED}, agent="gilteritinib"),
    _row("ivo-1000", (Medication("ivosidenib", 1000),), 500, A.ADJUST_DOSE, {LABELLED}, agent="ivosidenib"),
]


def _run(kb: KnowledgeBase, regimen: tuple[Medication, ...], concomitant: tuple[str, ...] = (),
         patient: PatientContext | None = None) -> CheckResult:
    return check(kb, CheckRequest(regimen, tuple(Medication(c) for c in concomitant), patient or PatientContext()))


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_regimen_dose(kb: KnowledgeBase, row: Row) -> None:
    result = _run(kb, row.regimen, row.concomitant, row.patient)
    assert result.complete, result.unrecognized
    dose = next(d for d in result.doses if d.drug == row.agent)
    assert (dose.recommended_dose_mg, dose.action) == (pytest.approx(row.dose), row.action), dose.rationale
    if row.ramp is not None:
        assert tuple(s.dose_mg for s in dose.ramp_up) == row.ramp
    assert {m for f in result.findings if f.object_drug == row.agent for m in f.mechanisms} == row.mechanisms
    sources = {s.id for s in kb.sources}
    for finding in result.findings:
        assert finding.citations
        assert {c.source for c in finding.citations} <= sources
    if row.action is A.ADJUST_DOSE:
        assert dose.citations
    # Never raised, and a re-check of the recommendation returns it unchanged.
    ordered = next((m.dose_mg for m in row.regimen if m.dose_mg), 0.0)
    assert not ordered or dose.recommended_dose_mg <= ordered
    if dose.action is A.ADJUST_DOSE:
        again = _run(kb, tuple(m._replace(dose_mg=dose.recommended_dose_mg) if m.dose_mg == ordered else m
                               for m in row.regimen), row.concomitant, row.patient)
        rechecked = next(d for d in again.doses if d.drug == row.agent)
        assert (rechecked.recommended_dose_mg, rechecked.ramp_up) == (dose.recommended_dose_mg, dose.ramp_up)
        assert LABELLED not in {m for f in again.findings for m in f.mechanisms}


def test_the_labelled_dose_finding_cites_the_label_and_says_what_to_give(kb: KnowledgeBase) -> None:
    result = _run(kb, (Medication("Aza/Ven", 600),))
    (finding,) = [f for f in result.findings if LABELLED in f.mechanisms]
    assert (finding.object_drug, finding.action) == ("venetoclax", A.ADJUST_DOSE)
    assert "give 400 mg" in finding.recommendation
    assert [(c.source, c.detail) for c in finding.citations] == [("uspi-venclexta", "2.2")]
    quizartinib = _run(kb, (Medication("quizartinib", 60),))
    (finding,) = [f for f in quizartinib.findings if LABELLED in f.mechanisms]
    assert "maximum of 53 mg" in finding.recommendation
    assert "give 35.4 mg" in finding.recommendation


def test_a_regimen_names_its_partners_without_a_dose(kb: KnowledgeBase) -> None:
    result = _run(kb, (Medication("Aza/Ven", 400),))
    partner = next(d for d in result.doses if d.drug == "azacitidine")
    assert (partner.ordered_dose_mg, partner.action) == (0, A.CONTINUE)
    assert [d.drug for d in result.doses] == ["azacitidine", "venetoclax"]


@pytest.mark.parametrize(("name", "components"), [
    ("FLAG-IDA", {"fludarabine", "cytarabine", "filgrastim", "idarubicin"}),
    ("flag ida", {"fludarabine", "cytarabine", "filgrastim", "idarubicin"}),
    ("CLAG", {"cladribine", "cytarabine", "filgrastim"}),
    ("CLAG-M", {"cladribine", "cytarabine", "filgrastim", "mitoxantrone"}),
    ("MEC", {"mitoxantrone", "etoposide", "cytarabine"}),
    ("7+3", {"cytarabine", "daunorubicin"}),
    ("7 + 3", {"cytarabine", "daunorubicin"}),
    ("5+2", {"cytarabine", "daunorubicin"}),
    ("HiDAC", {"cytarabine"}),
    ("CPX-351", {"daunorubicin", "cytarabine"}),
    ("Aza/Ven", {"azacitidine", "venetoclax"}),
    ("Ven/Dec", {"decitabine", "venetoclax"}),
    ("Dec/Ven", {"decitabine", "venetoclax"}),
    ("LDAC/Ven", {"cytarabine", "venetoclax"}),
    ("Ven/LDAC", {"cytarabine", "venetoclax"}),
])
def test_regimen_names_read_as_their_components(kb: KnowledgeBase, name: str, components: set[str]) -> None:
    result = _run(kb, (Medication(name),))
    assert result.complete
    assert {d.drug for d in result.doses} == components


def test_a_chemotherapy_regimen_with_one_dose_is_refused_as_a_product_is(kb: KnowledgeBase) -> None:
    # No targeted agent to give the dose to: which drug it is for cannot be told.
    with pytest.raises(InvalidRequestError) as raised:
        _run(kb, (Medication("7+3", 200),))
    assert [v.field for v in raised.value.violations] == ["regimen[0].dose_mg"]


def test_drugs_written_out_with_one_dose_are_not_a_regimen_name(kb: KnowledgeBase) -> None:
    # Only a regimen's name says whose dose it is; a list of drugs with one dose is ambiguous.
    with pytest.raises(InvalidRequestError):
        _run(kb, (Medication("venetoclax/azacitidine", 400),))


def test_a_regimen_and_one_of_its_drugs_ordered_again_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        _run(kb, (Medication("Aza/Ven", 400), AZA))
    assert "azacitidine is already ordered" in raised.value.violations[0].description


def test_hma_plus_venetoclax_does_not_guess_the_hma(kb: KnowledgeBase) -> None:
    result = _run(kb, (Medication("HMA + venetoclax", 400),))
    assert not result.complete
    assert [u.name for u in result.unrecognized] == ["HMA + venetoclax"]


def test_kb_show_says_a_regimen_is_a_regimen(kb: KnowledgeBase) -> None:
    description = describe_drug(kb, "Ven/Aza")
    assert (description.kind, set(description.resolves_to)) == ("regimen", {"azacitidine", "venetoclax"})
    assert describe_drug(kb, "Vyxeos").kind == "combination"


# --- loading: regimens.toml is cross-checked against the dictionary ---------------------------------

REGIMEN = '''
[[regimen]]
name = "TP"
synonyms = ["t+p"]
components = ["testinib", "partnerine"]
citations = [{ source = "label-x", detail = "1" }]
'''


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_KB, tmp_path / "kb"))


def _problems(path: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(path)
    return [str(p) for p in raised.value.problems]


def test_a_regimen_file_loads_and_its_dose_goes_to_its_agent(kb_copy: Path) -> None:
    (kb_copy / "regimens.toml").write_text(REGIMEN)
    kb = load_knowledge_base(kb_copy)
    assert kb.content_hash != load_knowledge_base(FIXTURE_KB).content_hash
    result = _run(kb, (Medication("T + P", 400),))
    assert {(d.drug, d.ordered_dose_mg) for d in result.doses} == {("testinib", 400), ("partnerine", 0)}


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('"partnerine"]', '"nosuchdrug"]',
     "regimens.toml: regimen[0].components: unknown drug 'nosuchdrug' (not in drugs.toml)"),
    ('["t+p"]', '["testa"]', "regimens.toml: regimen[0]: name 'testa' is already 'testinib' in drugs.toml"),
    ('source = "label-x"', 'source = "nowhere"',
     "regimens.toml: regimen[0].citations: unknown source 'nowhere' (not in manifest)"),
    ('"partnerine"]', '"testinib"]', "regimens.toml: regimen[0].components: duplicate 'testinib'"),
])
def test_a_broken_regimen_is_refused(kb_copy: Path, old: str, new: str, problem: str) -> None:
    (kb_copy / "regimens.toml").write_text(REGIMEN.replace(old, new))
    assert problem in _problems(kb_copy)


def test_two_regimens_may_not_share_a_name(kb_copy: Path) -> None:
    (kb_copy / "regimens.toml").write_text(REGIMEN + REGIMEN.replace('name = "TP"', 'name = "PT"'))
    assert "regimens.toml: regimen[1]: name 't+p' is already used by 'TP'" in _problems(kb_copy)
