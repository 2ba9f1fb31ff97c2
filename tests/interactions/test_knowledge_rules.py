"""Every rule of the shipped knowledge base, and every example of clinical-facts.md, with its outcome.

One row per rule (agent x co-medication, QTc band, monitoring protocol), run through the real
engine over the real data files. A row names the regimen, what else the patient takes and what is
known of the patient, and the expected dose, action, ramp-up and mechanisms on the agent.
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
    MonitoringTest,
    PatientContext,
    Severity,
    check,
    load_knowledge_base,
)
from tests.interactions.test_agents_on_other_drugs import CASES as ON_OTHER_DRUGS_CASES
from tests.interactions.test_course_of_treatment import CASES as COURSE_CASES

A = Action
M = Mechanism
STRONG_INH = M.CYP3A4_STRONG_INHIBITOR
MOD_INH = M.CYP3A4_MODERATE_INHIBITOR
STRONG_IND = M.CYP3A4_STRONG_INDUCER
MOD_IND = M.CYP3A4_MODERATE_INDUCER
PGP_INH = M.PGP_INHIBITOR
PGP_IND = M.PGP_INDUCER
QT = M.QT_PROLONGATION
QTC = M.QTC_THRESHOLD
FOOD = M.FOOD_INTERACTION


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@dataclass(frozen=True)
class Row:
    """One expected outcome for the agent `agent` of a regimen."""

    id: str
    regimen: tuple[tuple[str, float], ...]
    concomitant: tuple[str, ...]
    agent: str
    dose: float
    action: Action
    mechanisms: frozenset[Mechanism]
    ramp: tuple[float, ...] | None = None
    """Expected ramp-up doses; None where the row does not pin them."""
    held: bool = False
    qtc: float = 0.0
    baseline: float = 0.0
    avoid: tuple[str, ...] = ()
    """The other drugs to avoid with the agent (`avoid_with`): never a change of the agent's dose."""


def _row(id: str, agent: str, dose: float, action: Action, mechanisms: set[Mechanism], *,
         regimen: tuple[tuple[str, float], ...] | None = None, with_: tuple[str, ...] = (),
         ordered: float | None = None, ramp: tuple[float, ...] | None = None, held: bool = False,
         qtc: float = 0.0, baseline: float = 0.0, avoid: tuple[str, ...] = ()) -> Row:
    if regimen is None:
        regimen = ((agent, ordered if ordered is not None else STANDARD[agent]), *PARTNER.get(agent, ()))
    return Row(id, regimen, with_, agent, dose, action, frozenset(mechanisms), ramp, held, qtc, baseline, avoid)


STANDARD = {
    "venetoclax": 400, "gilteritinib": 120, "quizartinib": 35.4, "ivosidenib": 500, "olutasidenib": 150,
    "enasidenib": 100, "glasdegib": 100, "midostaurin": 50, "sorafenib": 400, "gemtuzumab ozogamicin": 4.5,
}
PARTNER: dict[str, tuple[tuple[str, float], ...]] = {
    "venetoclax": (("azacitidine", 75),),
    "glasdegib": (("cytarabine", 20),),
    "midostaurin": (("cytarabine", 200), ("daunorubicin", 60)),
    "quizartinib": (("cytarabine", 200), ("daunorubicin", 60)),
}
VEN_RAMP = (100, 200, 400)
VEN_LDAC = (("venetoclax", 600), ("cytarabine", 20))
POSA_RAMP = (10, 20, 50, 70)
STRONG_RAMP = (10, 20, 50, 100)
HALF_RAMP = (50, 100, 200)

ROWS: list[Row] = [
    # ---------------------------------------------------------------- venetoclax ---------------
    # Posaconazole: its own rule (70 mg) shadows the strong-inhibitor class rule; P-gp rule listed too.
    _row("ven-posaconazole", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         with_=("posaconazole",), ramp=POSA_RAMP),
    _row("ven-posaconazole-brand", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Noxafil",), ramp=POSA_RAMP),
    _row("ven-posaconazole-strength-form", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Posaconazole 100 mg delayed-release tablet",), ramp=POSA_RAMP),
    _row("ven-posaconazole-case-spaces", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         with_=("  POSACONAZOLE   300 mg  ",), ramp=POSA_RAMP),
    _row("ven-posaconazole-iv", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         with_=("posaconazole IV",), ramp=POSA_RAMP),
    _row("ven-posaconazole-ldac-600", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         regimen=VEN_LDAC, with_=("posaconazole",), ramp=POSA_RAMP),
    # Other strong CYP3A inhibitors: 10/20/50/100.
    _row("ven-voriconazole", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("voriconazole",), ramp=STRONG_RAMP),
    _row("ven-voriconazole-brand", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Vfend 200 mg tablets",), ramp=STRONG_RAMP),
    _row("ven-itraconazole", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Sporanox",), ramp=STRONG_RAMP),
    _row("ven-ketoconazole", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("ketoconazole",), ramp=STRONG_RAMP),
    _row("ven-clarithromycin", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Biaxin",), ramp=STRONG_RAMP),
    _row("ven-ritonavir", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Norvir",), ramp=STRONG_RAMP),
    _row("ven-paxlovid", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Paxlovid",), ramp=STRONG_RAMP),
    _row("ven-nirmatrelvir-ritonavir-written-out", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("nirmatrelvir 300 mg / ritonavir 100 mg",), ramp=STRONG_RAMP),
    _row("ven-kaletra", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Kaletra",), ramp=STRONG_RAMP),
    _row("ven-lopinavir-ritonavir", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("lopinavir/ritonavir",), ramp=STRONG_RAMP),
    _row("ven-tipranavir-ritonavir", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("tipranavir/ritonavir",), ramp=STRONG_RAMP),
    _row("ven-cobicistat", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("cobicistat",), ramp=STRONG_RAMP),
    _row("ven-diltiazem", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("Cardizem",), ramp=STRONG_RAMP),
    _row("ven-conivaptan", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("conivaptan",), ramp=STRONG_RAMP),
    _row("ven-nefazodone", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("nefazodone",), ramp=STRONG_RAMP),
    _row("ven-idelalisib", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         with_=("idelalisib",), ramp=STRONG_RAMP),
    _row("ven-voriconazole-ldac-600", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH},
         regimen=(("venetoclax", 600), ("Ara-C", 20)), with_=("voriconazole",), ramp=STRONG_RAMP),
    # Moderate CYP3A inhibitors and P-gp inhibitors: at least 50% less, as a ceiling.
    _row("ven-fluconazole", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH},
         with_=("Diflucan",), ramp=HALF_RAMP),
    _row("ven-isavuconazonium-sulfate", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH, PGP_INH},
         with_=("isavuconazonium sulfate",), ramp=HALF_RAMP),
    _row("ven-isavuconazole-brand", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH, PGP_INH},
         with_=("Cresemba 186 mg capsule",), ramp=HALF_RAMP),
    _row("ven-ciprofloxacin", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH},
         with_=("Cipro",), ramp=HALF_RAMP),
    _row("ven-erythromycin", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH, PGP_INH},
         with_=("erythromycin",), ramp=HALF_RAMP),
    _row("ven-letermovir", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH},
         with_=("Prevymis",), ramp=HALF_RAMP),
    _row("ven-aprepitant", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH},
         with_=("Emend",), ramp=HALF_RAMP),
    _row("ven-netupitant", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH},
         with_=("Akynzeo",), ramp=HALF_RAMP),
    _row("ven-amiodarone", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH, PGP_INH},
         with_=("amiodarone",), ramp=HALF_RAMP),
    _row("ven-verapamil", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH, PGP_INH},
         with_=("verapamil",), ramp=HALF_RAMP),
    _row("ven-cyclosporine", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH, PGP_INH},
         with_=("ciclosporin",), ramp=HALF_RAMP),
    _row("ven-cimetidine", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH},
         with_=("cimetidine",), ramp=HALF_RAMP),
    _row("ven-fluconazole-ldac-600", "venetoclax", 300, A.ADJUST_DOSE, {MOD_INH},
         regimen=VEN_LDAC, with_=("fluconazole",), ramp=(50, 100, 200, 300)),
    _row("ven-azithromycin-pgp", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("azithromycin",), ramp=HALF_RAMP),
    _row("ven-carvedilol-pgp", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("carvedilol",), ramp=HALF_RAMP),
    _row("ven-quinidine-pgp", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("quinidine",), ramp=HALF_RAMP),
    _row("ven-ranolazine-pgp", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("ranolazine",), ramp=HALF_RAMP),
    _row("ven-ticagrelor-pgp", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("Brilinta",), ramp=HALF_RAMP),
    _row("ven-captopril-pgp-verify", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("captopril",), ramp=HALF_RAMP),
    _row("ven-lapatinib-pgp", "venetoclax", 200, A.ADJUST_DOSE, {PGP_INH},
         with_=("lapatinib",), ramp=HALF_RAMP),
    # Inducers and food: avoid the other drug, never the agent (kb-review E2): the dose stands.
    _row("ven-rifampicin", "venetoclax", 400, A.CONTINUE, {STRONG_IND},
         with_=("rifampicin",), avoid=("rifampin",)),
    _row("ven-carbamazepine", "venetoclax", 400, A.CONTINUE, {STRONG_IND},
         with_=("Tegretol",), avoid=("carbamazepine",)),
    _row("ven-phenytoin", "venetoclax", 400, A.CONTINUE, {STRONG_IND},
         with_=("Dilantin",), avoid=("phenytoin",)),
    _row("ven-st-johns-wort", "venetoclax", 400, A.CONTINUE, {STRONG_IND},
         with_=("St John's Wort",), avoid=("st john's wort",)),
    _row("ven-apalutamide", "venetoclax", 400, A.CONTINUE, {STRONG_IND},
         with_=("apalutamide",), avoid=("apalutamide",)),
    _row("ven-rifapentine", "venetoclax", 400, A.CONTINUE, {STRONG_IND},
         with_=("rifapentine",), avoid=("rifapentine",)),
    _row("ven-efavirenz", "venetoclax", 400, A.CONTINUE, {MOD_IND},
         with_=("efavirenz",), avoid=("efavirenz",)),
    _row("ven-dexamethasone", "venetoclax", 400, A.MONITOR, {MOD_IND},
         with_=("dexamethasone",), ),
    _row("ven-rifabutin", "venetoclax", 400, A.CONTINUE, {MOD_IND},
         with_=("rifabutin",), avoid=("rifabutin",)),
    # The label's instruction for the food is to stop it: its strong-inhibitor class row gives no dose here.
    _row("ven-grapefruit-juice", "venetoclax", 400, A.CONTINUE, {FOOD},
         with_=("grapefruit juice",), avoid=("grapefruit",)),
    _row("ven-seville-orange", "venetoclax", 400, A.CONTINUE, {FOOD},
         with_=("Seville oranges",), avoid=("seville orange",)),
    _row("ven-starfruit", "venetoclax", 400, A.CONTINUE, {FOOD},
         with_=("star fruit",), avoid=("starfruit",)),
    # Most restrictive dose wins; every finding is listed; the inducer is named to avoid.
    _row("ven-posaconazole-plus-rifampin", "venetoclax", 70, A.ADJUST_DOSE,
         {STRONG_INH, STRONG_IND}, with_=("posaconazole", "rifampin"), avoid=("rifampin",)),
    _row("ven-posaconazole-plus-fluconazole", "venetoclax", 70, A.ADJUST_DOSE,
         {STRONG_INH, MOD_INH}, with_=("posaconazole", "fluconazole"), ramp=POSA_RAMP),
    _row("ven-voriconazole-plus-azithromycin", "venetoclax", 100, A.ADJUST_DOSE,
         {STRONG_INH, PGP_INH}, with_=("voriconazole", "azithromycin"), ramp=STRONG_RAMP),
    # No CYP3A/P-gp effect: nothing changes (review ref [74]).
    *(_row(f"ven-none-{name.replace(' ', '-').replace('/', '-')}", "venetoclax", 400, A.CONTINUE, set(),
           with_=(name,), ramp=VEN_RAMP)
      for name in ("acyclovir", "valacyclovir", "levofloxacin", "micafungin", "caspofungin",
                   "anidulafungin", "allopurinol", "pantoprazole", "Bactrim", "co-trimoxazole",
                   "ondansetron", "Zosyn", "cefepime", "rasburicase", "filgrastim", "senna")),
    _row("ven-empty-concomitant", "venetoclax", 400, A.CONTINUE, set(), ramp=VEN_RAMP),
    _row("ven-with-decitabine", "venetoclax", 400, A.CONTINUE, set(),
         regimen=(("venetoclax", 400), ("decitabine", 20)), ramp=VEN_RAMP),
    _row("ven-ldac-standard-600", "venetoclax", 600, A.CONTINUE, set(),
         regimen=VEN_LDAC, ramp=(100, 200, 400, 600)),
    _row("ven-abbreviations", "venetoclax", 400, A.CONTINUE, set(),
         regimen=(("VEN", 400), ("AZA", 75)), ramp=VEN_RAMP),
    _row("ven-dose-not-stated", "venetoclax", 400, A.CONTINUE, set(),
         regimen=(("Venclexta", 0), ("DAC", 20)), ramp=VEN_RAMP),
    _row("ven-dose-not-stated-posaconazole", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH},
         regimen=(("venetoclax", 0), ("azacitidine", 75)), with_=("posaconazole",), ramp=POSA_RAMP),

    # ---------------------------------------------------------------- gilteritinib -------------
    _row("gil-voriconazole", "gilteritinib", 120, A.MONITOR, {STRONG_INH, QT}, with_=("voriconazole",)),
    _row("gil-posaconazole", "gilteritinib", 120, A.MONITOR, {STRONG_INH, QT}, with_=("Noxafil",)),
    _row("gil-itraconazole", "gilteritinib", 120, A.MONITOR, {STRONG_INH}, with_=("itraconazole",)),
    # Ritonavir is on CredibleMeds' possible-risk list (classes.toml qt_prolonging, verify): QT too.
    _row("gil-paxlovid", "gilteritinib", 120, A.MONITOR, {STRONG_INH, QT}, with_=("Paxlovid",)),
    _row("gil-rifampin", "gilteritinib", 120, A.CONTINUE, {STRONG_IND, PGP_IND},
         with_=("rifampin",), avoid=("rifampin",)),
    _row("gil-phenytoin", "gilteritinib", 120, A.CONTINUE, {STRONG_IND, PGP_IND},
         with_=("phenytoin",), avoid=("phenytoin",)),
    _row("gil-carbamazepine", "gilteritinib", 120, A.CONTINUE, {STRONG_IND, PGP_IND},
         with_=("carbamazepine",), avoid=("carbamazepine",)),
    _row("gil-st-johns-wort", "gilteritinib", 120, A.CONTINUE, {STRONG_IND, PGP_IND},
         with_=("St. John's wort",), avoid=("st john's wort",)),
    _row("gil-apalutamide", "gilteritinib", 120, A.CONTINUE, {STRONG_IND, PGP_IND},
         with_=("Erleada",), avoid=("apalutamide",)),
    _row("gil-enzalutamide-strong-inducer-only", "gilteritinib", 120, A.CONTINUE, {STRONG_IND},
         with_=("enzalutamide",), avoid=("enzalutamide",)),
    _row("gil-moderate-inducer-no-rule", "gilteritinib", 120, A.CONTINUE, set(), with_=("bosentan",)),
    _row("gil-grapefruit-review", "gilteritinib", 120, A.MONITOR, {FOOD, STRONG_INH},
         with_=("grapefruit",), avoid=("grapefruit",)),
    _row("gil-seville-orange-not-in-sources", "gilteritinib", 120, A.CONTINUE, set(),
         with_=("seville orange",)),
    _row("gil-escitalopram-qt-on-agent", "gilteritinib", 120, A.MONITOR, {QT}, with_=("Lexapro",),
         avoid=("escitalopram",)),
    _row("gil-sertraline-no-change-to-agent", "gilteritinib", 120, A.CONTINUE, set(), with_=("sertraline",),
         avoid=("sertraline",)),
    _row("gil-levofloxacin-qt", "gilteritinib", 120, A.MONITOR, {QT}, with_=("levofloxacin",)),
    _row("gil-ondansetron-qt", "gilteritinib", 120, A.MONITOR, {QT}, with_=("Zofran",)),
    _row("gil-ciprofloxacin-qt-only", "gilteritinib", 120, A.MONITOR, {QT}, with_=("ciprofloxacin",)),
    _row("gil-isavuconazole-not-qt", "gilteritinib", 120, A.CONTINUE, set(), with_=("Cresemba",)),
    _row("gil-acyclovir", "gilteritinib", 120, A.CONTINUE, set(), with_=("acyclovir",)),
    _row("gil-empty", "gilteritinib", 120, A.CONTINUE, set()),
    # QTc rules.
    _row("gil-qtc-500", "gilteritinib", 120, A.CONTINUE, set(), qtc=500),
    _row("gil-qtc-501", "gilteritinib", 0, A.HOLD, {QTC}, qtc=501),
    _row("gil-qtc-501-with-voriconazole", "gilteritinib", 0, A.HOLD, {QTC, STRONG_INH, QT},
         with_=("voriconazole",), qtc=501),
    _row("gil-held-qtc-480-resume-80", "gilteritinib", 80, A.ADJUST_DOSE, {QTC}, held=True, qtc=480),
    _row("gil-held-qtc-481-no-baseline", "gilteritinib", 0, A.HOLD, {QTC}, held=True, qtc=481),
    _row("gil-held-within-30-of-baseline", "gilteritinib", 80, A.ADJUST_DOSE, {QTC}, held=True,
         qtc=490, baseline=460),
    _row("gil-held-31-above-baseline", "gilteritinib", 0, A.HOLD, {QTC}, held=True, qtc=491, baseline=460),
    _row("gil-held-still-over-500", "gilteritinib", 0, A.HOLD, {QTC}, held=True, qtc=505, baseline=490),
    _row("gil-held-qtc-unknown", "gilteritinib", 0, A.HOLD, {QTC}, held=True),
    _row("gil-rise-30", "gilteritinib", 120, A.CONTINUE, set(), qtc=460, baseline=430),
    _row("gil-rise-31", "gilteritinib", 120, A.MONITOR, {QTC}, qtc=461, baseline=430),
    _row("gil-rise-without-baseline", "gilteritinib", 120, A.CONTINUE, set(), qtc=475),

    # ---------------------------------------------------------------- quizartinib --------------
    _row("quiz-53-ketoconazole", "quizartinib", 26.5, A.ADJUST_DOSE, {STRONG_INH, QT},
         ordered=53, with_=("ketoconazole",)),
    _row("quiz-35.4-itraconazole", "quizartinib", 17.7, A.ADJUST_DOSE, {STRONG_INH}, with_=("itraconazole",)),
    _row("quiz-26.5-clarithromycin", "quizartinib", 17.7, A.ADJUST_DOSE, {STRONG_INH, QT},
         ordered=26.5, with_=("clarithromycin",)),
    _row("quiz-53-posaconazole", "quizartinib", 26.5, A.ADJUST_DOSE, {STRONG_INH, QT},
         ordered=53, with_=("posaconazole",)),
    _row("quiz-rifampin", "quizartinib", 35.4, A.CONTINUE, {STRONG_IND},
         with_=("rifampin",), avoid=("rifampin",)),
    _row("quiz-dexamethasone", "quizartinib", 35.4, A.MONITOR, {MOD_IND}, with_=("dexamethasone",), ),
    _row("quiz-efavirenz", "quizartinib", 35.4, A.MONITOR, {MOD_IND, QT}, with_=("efavirenz",), avoid=("efavirenz",)),
    _row("quiz-ondansetron-qt", "quizartinib", 35.4, A.MONITOR, {QT}, with_=("ondansetron",)),
    _row("quiz-fluconazole-qt-only", "quizartinib", 35.4, A.MONITOR, {QT}, with_=("fluconazole",)),
    _row("quiz-micafungin", "quizartinib", 35.4, A.CONTINUE, set(), with_=("micafungin",)),
    _row("quiz-qtc-450", "quizartinib", 35.4, A.CONTINUE, set(), qtc=450),
    _row("quiz-qtc-451", "quizartinib", 35.4, A.MONITOR, {QTC}, qtc=451),
    _row("quiz-qtc-480", "quizartinib", 35.4, A.MONITOR, {QTC}, qtc=480),
    # E3: 481-500 ms reduces one dose level without interruption (more in test_course_of_treatment).
    _row("quiz-qtc-481", "quizartinib", 26.5, A.ADJUST_DOSE, {QTC}, qtc=481),
    _row("quiz-qtc-500", "quizartinib", 26.5, A.ADJUST_DOSE, {QTC}, qtc=500),
    _row("quiz-qtc-501", "quizartinib", 0, A.HOLD, {QTC}, qtc=501),
    # s21: held at the lowest level there is no lower level to resume at (more in test_agents_s21).
    _row("quiz-held-17.7-qtc-440", "quizartinib", 0, A.HOLD, {QTC}, ordered=17.7, held=True, qtc=440),

    # ---------------------------------------------------------------- ivosidenib ---------------
    _row("ivo-posaconazole", "ivosidenib", 250, A.ADJUST_DOSE, {STRONG_INH, QT}, with_=("posaconazole",)),
    # G3: ivosidenib also lowers itraconazole's exposure; the EU label says not to combine them.
    _row("ivo-itraconazole", "ivosidenib", 250, A.ADJUST_DOSE, {STRONG_INH}, with_=("itraconazole",),
         avoid=("itraconazole",)),
    _row("ivo-paxlovid", "ivosidenib", 250, A.ADJUST_DOSE, {STRONG_INH, QT}, with_=("Paxlovid",)),
    _row("ivo-rifampin", "ivosidenib", 500, A.CONTINUE, {STRONG_IND}, with_=("Rifadin",), avoid=("rifampin",)),
    _row("ivo-levofloxacin", "ivosidenib", 500, A.MONITOR, {QT}, with_=("levofloxacin",)),
    # Fluconazole: QT-prolonging and a moderate CYP3A4 inhibitor (G4: QTc monitoring either way).
    _row("ivo-fluconazole", "ivosidenib", 500, A.MONITOR, {QT, MOD_INH}, with_=("fluconazole",)),
    _row("ivo-dexamethasone-no-rule", "ivosidenib", 500, A.CONTINUE, set(), with_=("dexamethasone",)),
    _row("ivo-azacitidine-partner", "ivosidenib", 500, A.CONTINUE, set(),
         regimen=(("ivosidenib", 500), ("azacitidine", 75))),
    _row("ivo-qtc-480", "ivosidenib", 500, A.CONTINUE, set(), qtc=480),
    _row("ivo-qtc-481", "ivosidenib", 0, A.HOLD, {QTC}, qtc=481),
    _row("ivo-qtc-500", "ivosidenib", 0, A.HOLD, {QTC}, qtc=500),
    _row("ivo-qtc-501", "ivosidenib", 0, A.HOLD, {QTC}, qtc=501),
    _row("ivo-held-480-resume-250", "ivosidenib", 250, A.ADJUST_DOSE, {QTC}, held=True, qtc=480),
    _row("ivo-held-within-30", "ivosidenib", 250, A.ADJUST_DOSE, {QTC}, held=True, qtc=485, baseline=460),
    _row("ivo-held-31-above", "ivosidenib", 0, A.HOLD, {QTC}, held=True, qtc=491, baseline=460),
    _row("ivo-held-no-baseline", "ivosidenib", 0, A.HOLD, {QTC}, held=True, qtc=485),
    _row("ivo-held-still-over-500", "ivosidenib", 0, A.HOLD, {QTC}, held=True, qtc=510, baseline=490),
    _row("ivo-held-qtc-unknown", "ivosidenib", 0, A.HOLD, {QTC}, held=True),
    _row("ivo-hold-beats-dose-change", "ivosidenib", 0, A.HOLD, {QTC, STRONG_INH, QT},
         with_=("posaconazole",), qtc=490),

    # ---------------------------------------------------------------- olutasidenib -------------
    _row("olu-rifampin", "olutasidenib", 150, A.CONTINUE, {STRONG_IND},
         with_=("rifampin",), avoid=("rifampin",)),
    _row("olu-efavirenz", "olutasidenib", 150, A.CONTINUE, {MOD_IND}, with_=("efavirenz",), avoid=("efavirenz",)),
    _row("olu-dexamethasone", "olutasidenib", 150, A.MONITOR, {MOD_IND}, with_=("dexamethasone",), ),
    _row("olu-posaconazole-no-rule", "olutasidenib", 150, A.CONTINUE, set(), with_=("posaconazole",)),
    _row("olu-ondansetron-no-qt-rule", "olutasidenib", 150, A.CONTINUE, set(), with_=("ondansetron",)),
    _row("olu-qtc-520-no-rule", "olutasidenib", 150, A.CONTINUE, set(), qtc=520),

    # ---------------------------------------------------------------- enasidenib ---------------
    _row("ena-posaconazole", "enasidenib", 100, A.CONTINUE, set(), with_=("posaconazole",)),
    _row("ena-rifampin", "enasidenib", 100, A.CONTINUE, set(), with_=("rifampin",)),
    _row("ena-brand", "enasidenib", 100, A.CONTINUE, set(), regimen=(("Idhifa", 100),)),

    # ---------------------------------------------------------------- glasdegib ----------------
    _row("gla-voriconazole", "glasdegib", 100, A.MONITOR, {STRONG_INH, QT}, with_=("voriconazole",)),
    _row("gla-itraconazole", "glasdegib", 100, A.MONITOR, {STRONG_INH}, with_=("itraconazole",)),
    _row("gla-rifampin", "glasdegib", 100, A.CONTINUE, {STRONG_IND},
         with_=("rifampin",), avoid=("rifampin",)),
    _row("gla-efavirenz", "glasdegib", 100, A.MONITOR, {MOD_IND, QT}, with_=("efavirenz",), avoid=("efavirenz",)),
    _row("gla-dexamethasone", "glasdegib", 100, A.MONITOR, {MOD_IND}, with_=("dexamethasone",)),
    _row("gla-bosentan", "glasdegib", 100, A.CONTINUE, {MOD_IND}, with_=("bosentan",), avoid=("bosentan",)),
    _row("gla-haloperidol", "glasdegib", 100, A.MONITOR, {QT}, with_=("haloperidol",)),
    _row("gla-qtc-480", "glasdegib", 100, A.CONTINUE, set(), qtc=480),
    _row("gla-qtc-481", "glasdegib", 100, A.MONITOR, {QTC}, qtc=481),
    _row("gla-qtc-500", "glasdegib", 100, A.MONITOR, {QTC}, qtc=500),
    _row("gla-qtc-501", "glasdegib", 0, A.HOLD, {QTC}, qtc=501),
    _row("gla-held-480-resume-50", "glasdegib", 50, A.ADJUST_DOSE, {QTC}, held=True, qtc=480),
    _row("gla-held-within-30", "glasdegib", 50, A.ADJUST_DOSE, {QTC}, held=True, qtc=490, baseline=470),
    _row("gla-held-no-baseline", "glasdegib", 0, A.HOLD, {QTC}, held=True, qtc=490),
    _row("gla-held-still-over-500", "glasdegib", 0, A.HOLD, {QTC}, held=True, qtc=510, baseline=490),

    # ---------------------------------------------------------------- midostaurin --------------
    _row("mid-posaconazole", "midostaurin", 50, A.MONITOR, {STRONG_INH, QT}, with_=("posaconazole",)),
    _row("mid-itraconazole", "midostaurin", 50, A.MONITOR, {STRONG_INH}, with_=("itraconazole",)),
    _row("mid-carbamazepine", "midostaurin", 50, A.CONTINUE, {STRONG_IND},
         with_=("carbamazepine",), avoid=("carbamazepine",)),
    _row("mid-ondansetron", "midostaurin", 50, A.MONITOR, {QT}, with_=("ondansetron",)),
    _row("mid-dexamethasone-no-rule", "midostaurin", 50, A.CONTINUE, set(), with_=("dexamethasone",)),
    _row("mid-qtc-500", "midostaurin", 50, A.CONTINUE, set(), qtc=500),
    _row("mid-qtc-501", "midostaurin", 50, A.MONITOR, {QTC}, qtc=501),

    # ---------------------------------------------------------------- sorafenib ----------------
    _row("sor-granisetron-possible-qt-risk", "sorafenib", 400, A.MONITOR, {QT}, with_=("granisetron",)),
    _row("sor-rifampin", "sorafenib", 400, A.CONTINUE, {STRONG_IND},
         with_=("rifampin",), avoid=("rifampin",)),
    _row("sor-phenytoin", "sorafenib", 400, A.CONTINUE, {STRONG_IND}, with_=("phenytoin",), avoid=("phenytoin",)),
    _row("sor-methadone", "sorafenib", 400, A.MONITOR, {QT}, with_=("methadone",)),
    _row("sor-itraconazole-no-rule", "sorafenib", 400, A.CONTINUE, set(), with_=("itraconazole",)),
    _row("sor-qtc-500", "sorafenib", 400, A.CONTINUE, set(), qtc=500),
    _row("sor-qtc-501", "sorafenib", 0, A.HOLD, {QTC}, qtc=501),
    _row("sor-rise-60", "sorafenib", 400, A.CONTINUE, set(), qtc=480, baseline=420),
    _row("sor-rise-61", "sorafenib", 0, A.HOLD, {QTC}, qtc=481, baseline=420),

    # ---------------------------------------------------------------- gemtuzumab ozogamicin ----
    _row("go-posaconazole", "gemtuzumab ozogamicin", 4.5, A.CONTINUE, set(), with_=("posaconazole",)),
    _row("go-rifampin", "gemtuzumab ozogamicin", 4.5, A.CONTINUE, set(), with_=("rifampin",)),
    _row("go-abbreviation", "gemtuzumab ozogamicin", 4.5, A.CONTINUE, set(),
         regimen=(("GO", 4.5), ("cytarabine", 200), ("daunorubicin", 60))),
    # ------------------------------------------- the clinical review (kb-review.md) -----------
    # Each row is an answer the review observed as wrong, now with the label's answer.
    # E1: a strong inhibitor that also inhibits P-gp takes its table row alone; day-1 orders get the ramp.
    _row("E1-day1-100mg-noxafil", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH}, ordered=100,
         with_=("Noxafil",), ramp=POSA_RAMP),
    _row("E1-day1-100mg-itraconazole", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH}, ordered=100,
         with_=("itraconazole",), ramp=STRONG_RAMP),
    _row("E1-day1-100mg-clarithromycin", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH}, ordered=100,
         with_=("clarithromycin",), ramp=STRONG_RAMP),
    _row("E1-day1-100mg-paxlovid", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH}, ordered=100,
         with_=("Paxlovid",), ramp=STRONG_RAMP),
    _row("E1-recheck-70mg-posaconazole", "venetoclax", 70, A.ADJUST_DOSE, {STRONG_INH}, ordered=70,
         with_=("posaconazole",), ramp=POSA_RAMP),
    # E2: avoiding the other drug never zeroes the agent; dexamethasone is a prompt to monitor.
    _row("E2-ven-dexamethasone", "venetoclax", 400, A.MONITOR, {MOD_IND}, with_=("dexamethasone",)),
    _row("E2-olu-dexamethasone-ds-order", "olutasidenib", 150, A.MONITOR, {MOD_IND},
         with_=("dexamethasone 10 mg IV q12h",)),
    _row("E2-quiz-dexamethasone-antiemetic", "quizartinib", 35.4, A.MONITOR, {MOD_IND}, with_=("dexamethasone",)),
    _row("E2-ven-carambola", "venetoclax", 400, A.CONTINUE, {FOOD}, with_=("carambola",), avoid=("starfruit",)),
    # E4: nirmatrelvir is sold only with ritonavir: alone it is read as Paxlovid.
    _row("E4-ven-nirmatrelvir-alone", "venetoclax", 100, A.ADJUST_DOSE, {STRONG_INH}, with_=("nirmatrelvir",),
         ramp=STRONG_RAMP),
    # E8: "Emend IV" is fosaprepitant, no longer aprepitant (still a moderate inhibitor here: verify).
    _row("E8-ven-emend-iv", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH}, with_=("Emend IV",), ramp=HALF_RAMP),
    # G4: ivosidenib with a moderate CYP3A4 inhibitor: QTc monitoring, no dose change.
    _row("G4-ivo-isavuconazole", "ivosidenib", 500, A.MONITOR, {MOD_INH}, with_=("Cresemba",)),
    _row("G4-ivo-letermovir", "ivosidenib", 500, A.MONITOR, {MOD_INH}, with_=("letermovir",)),
    # E5: phenobarbital and primidone as strong inducers (conservative; verify).
    _row("E5-ivo-phenobarbital", "ivosidenib", 500, A.CONTINUE, {STRONG_IND}, with_=("phenobarbital",),
         avoid=("phenobarbital",)),
    _row("E5-gil-phenobarbital", "gilteritinib", 120, A.CONTINUE, {STRONG_IND}, with_=("phenobarbital",),
         avoid=("phenobarbital",)),
    _row("E5-mid-primidone", "midostaurin", 50, A.CONTINUE, {STRONG_IND}, with_=("primidone",),
         avoid=("primidone",)),
    # E6: a fraction is of the labelled dose (or ramp step), never of the order.
    _row("E6-ven-200mg-fluconazole", "venetoclax", 200, A.ADJUST_DOSE, {MOD_INH}, ordered=200,
         with_=("fluconazole",), ramp=HALF_RAMP),
    _row("E6-ven-100mg-fluconazole", "venetoclax", 100, A.ADJUST_DOSE, {MOD_INH}, ordered=100,
         with_=("fluconazole",), ramp=(50, 100, 100)),
]


def _run(kb: KnowledgeBase, regimen: tuple[tuple[str, float], ...], concomitant: tuple[str, ...] = (),
         held: str = "", **patient: object) -> CheckResult:
    return check(kb, CheckRequest(
        regimen=tuple(Medication(name, dose, held=(name == held)) for name, dose in regimen),
        concomitant=tuple(Medication(name) for name in concomitant),
        patient=PatientContext(**patient),  # type: ignore[arg-type]
    ))


# Known engine issue (reported to the lead): the resolver strips strength text from the whole name
# before splitting it on combination separators, so "nirmatrelvir 300 mg / ritonavir 100 mg" is cut to
# "nirmatrelvir" and ritonavir, a strong CYP3A inhibitor, is silently lost.
KNOWN_ENGINE_ISSUES: dict[str, str] = {}


def _param(row: Row) -> object:
    reason = KNOWN_ENGINE_ISSUES.get(row.id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_rule(kb: KnowledgeBase, row: Row) -> None:
    held = row.regimen[0][0] if row.held else ""
    result = _run(kb, row.regimen, row.concomitant, held=held, qtc_ms=row.qtc, baseline_qtc_ms=row.baseline)
    assert result.complete, result.unrecognized
    dose = next(d for d in result.doses if d.drug == row.agent)
    assert dose.action == row.action, dose.rationale
    assert dose.recommended_dose_mg == pytest.approx(row.dose)
    if row.ramp is not None:
        assert [s.dose_mg for s in dose.ramp_up] == list(row.ramp)
    mechanisms = {m for f in result.findings if f.object_drug == row.agent for m in f.mechanisms}
    assert mechanisms == row.mechanisms
    assert dose.avoid_with == row.avoid
    for finding in result.findings:
        assert finding.citations, finding


def test_rule_ids_are_unique() -> None:
    assert len({r.id for r in ROWS}) == len(ROWS)


def test_every_interaction_and_qtc_rule_of_the_knowledge_base_is_exercised(kb: KnowledgeBase) -> None:
    """Running every row, each rule of every agent must have produced at least one finding."""
    fired: set[tuple[str, str]] = set()
    by_finding = {id(p.finding): (agent.name, p.rule_id)
                  for agent in kb.agents.values() for hit in agent.precipitants.values() for p in hit.rules}
    by_finding |= {id(q.finding): (agent.name, q.rule.id) for agent in kb.agents.values() for q in agent.qtc_rules}
    rows = [*ROWS, *(Row(f"on-{r}", ((a, STANDARD[a]),), (p,), a, 0, A.CONTINUE, frozenset())
                     for r, a, p in ON_PRECIPITANT)]
    results = [_run(kb, row.regimen, row.concomitant, held=row.regimen[0][0] if row.held else "", qtc_ms=row.qtc,
                    baseline_qtc_ms=row.baseline) for row in rows]
    # Rules about holds, treatment days and stops are exercised by the course-of-treatment cases.
    results += [check(kb, CheckRequest((case.agent,), case.concomitant, case.patient)) for case in COURSE_CASES]
    # The agents acting on other drugs (G3) have their own table.
    results += [_run(kb, case.regimen, (case.other,)) for case in ON_OTHER_DRUGS_CASES]
    for result in results:
        for finding in result.findings:
            # Findings are built once at load: identity tells which rule produced them.
            kb_agents = [by_finding.get(id(finding))]
            fired.update(k for k in kb_agents if k)
    every = {(agent.name, r.id) for agent in kb.agents.values() for r in agent.spec.interactions}
    every |= {(agent.name, q.id) for agent in kb.agents.values() for q in agent.spec.qtc_rules}
    assert every - fired == set()


# ------------------------------------------------------------- the agent acting on other drugs ---

ON_PRECIPITANT = [  # (rule, agent, co-medication)
    ("ven-on-warfarin", "venetoclax", "warfarin"),
    ("ven-on-digoxin", "venetoclax", "Lanoxin"),
    ("gil-on-escitalopram", "gilteritinib", "escitalopram"),
    ("gil-on-fluoxetine", "gilteritinib", "Prozac"),
    ("gil-on-sertraline", "gilteritinib", "Zoloft"),
]
ON_PRECIPITANT_EXPECTED = {
    "ven-on-warfarin": ("warfarin", A.MONITOR, M.OTHER_PHARMACOKINETIC),
    "ven-on-digoxin": ("digoxin", A.AVOID_COMBINATION, M.PGP_INHIBITOR),
    "gil-on-escitalopram": ("escitalopram", A.AVOID_COMBINATION, M.SEROTONERGIC_RECEPTOR),
    "gil-on-fluoxetine": ("fluoxetine", A.AVOID_COMBINATION, M.SEROTONERGIC_RECEPTOR),
    "gil-on-sertraline": ("sertraline", A.AVOID_COMBINATION, M.SEROTONERGIC_RECEPTOR),
}


@pytest.mark.parametrize(("rule", "agent", "other"), ON_PRECIPITANT, ids=[r for r, _, _ in ON_PRECIPITANT])
def test_agent_acting_on_another_drug_never_changes_the_agent(kb: KnowledgeBase, rule: str, agent: str,
                                                             other: str) -> None:
    regimen = ((agent, STANDARD[agent]), *PARTNER.get(agent, ()))
    result = _run(kb, regimen, (other,))
    obj, action, mechanism = ON_PRECIPITANT_EXPECTED[rule]
    finding = next(f for f in result.findings if f.object_drug == obj)
    assert finding.precipitant_drug == agent
    assert finding.action == action
    assert finding.mechanisms == (mechanism,)
    dose = next(d for d in result.doses if d.drug == agent)
    assert dose.recommended_dose_mg == STANDARD[agent]
    assert dose.action in (A.CONTINUE, A.MONITOR)  # escitalopram/fluoxetine also give a QT monitor


def test_digoxin_recommendation_gives_the_six_hour_rule(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("digoxin 125 mcg",))
    finding = next(f for f in result.findings if f.object_drug == "digoxin")
    assert "6 hours before venetoclax" in finding.recommendation


# ------------------------------------------------------------- texts a pharmacist relies on -----

@pytest.mark.parametrize(("regimen", "other", "agent", "words"), [
    ((("venetoclax", 400), ("azacitidine", 75)), "posaconazole", "venetoclax", ("2-3 days",)),
    ((("venetoclax", 400), ("azacitidine", 75)), "voriconazole", "venetoclax", ("2-3 days",)),
    ((("venetoclax", 400), ("azacitidine", 75)), "fluconazole", "venetoclax", ("at least 50%", "2-3 days")),
    ((("venetoclax", 400), ("azacitidine", 75)), "isavuconazole", "venetoclax", ("200 mg",)),
    ((("ivosidenib", 500),), "itraconazole", "ivosidenib", ("5 half-lives", "500 mg")),
    ((("gilteritinib", 120),), "voriconazole", "gilteritinib", ("consider an alternative", "monitor")),
    ((("gilteritinib", 120),), "grapefruit", "gilteritinib", ("review",)),
    ((("ivosidenib", 500),), "levofloxacin", "ivosidenib", ("avoid", "monitor ECGs")),
    ((("venetoclax", 400), ("azacitidine", 75)), "dexamethasone", "venetoclax", ("differentiation syndrome",)),
])
def test_recommendation_text(kb: KnowledgeBase, regimen: tuple[tuple[str, float], ...], other: str,
                             agent: str, words: tuple[str, ...]) -> None:
    result = _run(kb, regimen, (other,))
    texts = " ".join(f.recommendation for f in result.findings if f.object_drug == agent)
    for word in words:
        assert word in texts


def test_a_dose_above_the_label_says_the_labelled_dose_once(kb: KnowledgeBase) -> None:
    # "give 50 mg twice daily with food, days 8-21 ... 50 mg twice daily with food on days 8-21 ...": the
    # finding restated the labelled dose after the rationale that states it.
    above_label = [(agent.name, dose.above_label) for agent in kb.agents.values()
                   for dose in agent.standard_doses if dose.above_label is not None]
    assert {"midostaurin", "venetoclax"} <= {agent for agent, _ in above_label}
    for agent, effect in above_label:
        text = effect.finding.recommendation
        sentences = [s.strip() for s in text.split(". ") if s.strip()]
        assert len(sentences) == len(set(sentences)), agent
        assert f"{effect.dose_mg:g} mg" in text, agent
    (midostaurin,) = [effect for agent, effect in above_label if agent == "midostaurin"]
    assert midostaurin.finding.recommendation.count("50 mg twice daily") == 1


@pytest.mark.parametrize(("agent", "qtc", "baseline", "words"), [
    ("gilteritinib", 501, 0, ("80 mg", "<= 480", "< 480")),
    ("ivosidenib", 501, 0, ("250 mg",)),
    ("ivosidenib", 490, 0, ("500 mg", "<= 480")),
    ("glasdegib", 501, 0, ("50 mg",)),
    ("glasdegib", 490, 0, ("weekly for 2 weeks",)),
    ("gilteritinib", 470, 430, ("day 9", "80 mg")),
    ("quizartinib", 460, 0, ("do not start", "escalate")),
])
def test_qtc_recommendation_text(kb: KnowledgeBase, agent: str, qtc: float, baseline: float,
                                 words: tuple[str, ...]) -> None:
    result = _run(kb, ((agent, STANDARD[agent]),), qtc_ms=qtc, baseline_qtc_ms=baseline)
    text = next(f.recommendation for f in result.findings if M.QTC_THRESHOLD in f.mechanisms)
    for word in words:
        assert word.lower() in text.lower()


def test_ivosidenib_resume_text_explains_the_conservative_choice(kb: KnowledgeBase) -> None:
    result = check(kb, CheckRequest(regimen=(Medication("ivosidenib", 500, held=True),),
                                    patient=PatientContext(qtc_ms=470)))
    text = next(f.recommendation for f in result.findings if M.QTC_THRESHOLD in f.mechanisms)
    assert "250 mg" in text
    assert "500 mg" in text
    assert "481-500" in text


# ------------------------------------------------------------- findings, severity, combinations ---

def test_posaconazole_and_rifampin_on_venetoclax_list_both_and_avoid(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("posaconazole", "rifampin"))
    on_ven = [f for f in result.findings if f.object_drug == "venetoclax"]
    assert {f.precipitant_drug for f in on_ven} == {"posaconazole", "rifampin"}
    assert {f.action for f in on_ven} == {A.ADJUST_DOSE, A.AVOID_COMBINATION}
    dose = next(d for d in result.doses if d.drug == "venetoclax")
    assert (dose.action, dose.recommended_dose_mg, dose.avoid_with) == (A.ADJUST_DOSE, 70, ("rifampin",))
    assert result.highest_severity == Severity.MAJOR


def test_posaconazole_row_replaces_the_class_and_pgp_rows(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("posaconazole",))
    (finding,) = [f for f in result.findings if f.object_drug == "venetoclax"]
    assert finding.mechanisms == (STRONG_INH,)
    assert "70 mg" in finding.recommendation
    assert finding.alternatives == ("micafungin", "caspofungin", "anidulafungin")


def test_echinocandins_are_offered_for_azoles_but_not_for_clarithromycin(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("voriconazole", "clarithromycin", "fluconazole"))
    alternatives = {f.precipitant_drug: f.alternatives for f in result.findings
                    if f.object_drug == "venetoclax" and f.precipitant_drug}
    echinocandins = ("micafungin", "caspofungin", "anidulafungin")
    assert alternatives == {"voriconazole": echinocandins, "clarithromycin": (), "fluconazole": echinocandins}


def test_paxlovid_expands_to_both_components(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("Paxlovid 300 mg/100 mg",))
    assert result.complete
    assert {f.precipitant_drug for f in result.findings if f.object_drug == "venetoclax"} == {"ritonavir"}


def test_kaletra_flags_lopinavir_and_ritonavir(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("Kaletra",))
    assert {f.precipitant_drug for f in result.findings if f.object_drug == "venetoclax"} == {
        "lopinavir", "ritonavir"}


def test_qt_burden_gives_one_finding_per_qt_comedication(kb: KnowledgeBase) -> None:
    result = _run(kb, (("gilteritinib", 120),), ("levofloxacin", "ondansetron", "escitalopram", "acyclovir"))
    qt = [f for f in result.findings if f.object_drug == "gilteritinib" and QT in f.mechanisms]
    assert {f.precipitant_drug for f in qt} == {"levofloxacin", "ondansetron", "escitalopram"}


def test_partners_pass_through_unchanged(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("posaconazole", "rifampin"))
    aza = next(d for d in result.doses if d.drug == "azacitidine")
    assert (aza.recommended_dose_mg, aza.action) == (75, A.CONTINUE)
    result = _run(kb, (("glasdegib", 100), ("LDAC", 20)), ("rifampin",))
    ldac = next(d for d in result.doses if d.drug == "cytarabine")
    assert (ldac.recommended_dose_mg, ldac.action) == (20, A.CONTINUE)


def test_no_finding_for_supportive_drugs_without_interactions(kb: KnowledgeBase) -> None:
    supportive = ("acyclovir", "valacyclovir", "micafungin", "caspofungin", "anidulafungin", "allopurinol",
                  "pantoprazole", "Bactrim DS", "Zosyn", "meropenem", "vancomycin", "acetaminophen",
                  "morphine", "senna", "docusate", "lorazepam", "filgrastim", "rasburicase", "insulin",
                  "apixaban", "metoprolol", "potassium chloride", "magnesium sulfate", "oseltamivir")
    for agent in STANDARD:
        result = _run(kb, ((agent, STANDARD[agent]),), supportive)
        assert result.complete, result.unrecognized
        assert result.findings == (), agent


def test_levofloxacin_gives_only_a_qt_finding_and_only_on_qt_labelled_agents(kb: KnowledgeBase) -> None:
    qt_agents = {"gilteritinib", "quizartinib", "ivosidenib", "glasdegib", "midostaurin", "sorafenib"}
    for agent in STANDARD:
        result = _run(kb, ((agent, STANDARD[agent]),), ("levofloxacin 500 mg tablet",))
        mechanisms = {m for f in result.findings for m in f.mechanisms}
        assert mechanisms == ({QT} if agent in qt_agents else set()), agent


# ------------------------------------------------------------- names -----------------------------

@pytest.mark.parametrize(("name", "suggestion"), [
    ("posaconazol", "posaconazole"),
    ("voriconazol", "voriconazole"),
    ("itraconazol", "itraconazole"),
    ("rifampn", "rifampin"),
    ("flucanazole", "fluconazole"),
])
def test_misspelt_names_are_unrecognised_with_suggestions(kb: KnowledgeBase, name: str, suggestion: str) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), (name,))
    assert result.complete is False
    assert [u.name for u in result.unrecognized] == [name]
    assert suggestion in result.unrecognized[0].suggestions
    assert len(result.unrecognized[0].suggestions) <= 3
    dose = next(d for d in result.doses if d.drug == "venetoclax")
    assert dose.recommended_dose_mg == 400  # a misspelling is never silently corrected


def test_unknown_name_is_unrecognised(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclax", 400), ("azacitidine", 75)), ("xyzzy-unknown", "acyclovir"))
    assert result.complete is False
    assert [u.name for u in result.unrecognized] == ["xyzzy-unknown"]


def test_misspelt_agent_in_the_regimen_gets_no_dose_check(kb: KnowledgeBase) -> None:
    result = _run(kb, (("venetoclx", 400), ("azacitidine", 75)), ("posaconazole",))
    assert result.complete is False
    assert "venetoclax" in result.unrecognized[0].suggestions
    dose = next(d for d in result.doses if d.drug == "venetoclx")
    assert dose.action == A.UNSPECIFIED


@pytest.mark.parametrize(("name", "canonical"), [
    ("Venclexta", "venetoclax"), ("Venclyxto", "venetoclax"), ("VEN", "venetoclax"), ("Xospata", "gilteritinib"),
    ("Vanflyta", "quizartinib"), ("Tibsovo", "ivosidenib"), ("Rezlidhia", "olutasidenib"),
    ("Idhifa", "enasidenib"), ("Daurismo", "glasdegib"), ("Rydapt", "midostaurin"), ("Nexavar", "sorafenib"),
    ("Mylotarg", "gemtuzumab ozogamicin"), ("GO", "gemtuzumab ozogamicin"), ("AZA", "azacitidine"),
    ("DEC", "decitabine"), ("DAC", "decitabine"), ("LDAC", "cytarabine"), ("Ara-C", "cytarabine"),
    ("venetoclax 100 mg tablets", "venetoclax"), ("Gilteritinib 40 mg film-coated tablet", "gilteritinib"),
])
def test_regimen_names_resolve(kb: KnowledgeBase, name: str, canonical: str) -> None:
    assert kb.resolver.resolve(name) == (canonical,)


@pytest.mark.parametrize(("name", "components"), [
    ("Paxlovid", ("nirmatrelvir", "ritonavir")),
    ("paxlovid 300 mg/100 mg", ("nirmatrelvir", "ritonavir")),
    ("Kaletra", ("lopinavir", "ritonavir")),
    ("lopinavir + ritonavir", ("lopinavir", "ritonavir")),
    ("isavuconazonium sulfate", ("isavuconazole",)),
    ("isavuconazonium", ("isavuconazole",)),
    ("rifampicin", ("rifampin",)),
    ("grapefruit juice", ("grapefruit",)),
    ("sulfamethoxazole/trimethoprim 800/160 mg", ("sulfamethoxazole/trimethoprim",)),
    ("TMP-SMX", ("sulfamethoxazole/trimethoprim",)),
    ("piperacillin/tazobactam", ("piperacillin/tazobactam",)),
    ("St. John's Wort", ("st john's wort",)),
    ("St John\u2019s wort", ("st john's wort",)),
    ("Posaconazole 100 mg delayed-release tablet", ("posaconazole",)),
    ("posaconazole (Noxafil) 300 mg IV", ("posaconazole",)),
    ("diltiazem ER", ("diltiazem",)),
])
def test_comedication_names_resolve(kb: KnowledgeBase, name: str, components: tuple[str, ...]) -> None:
    assert kb.resolver.resolve(name) == components


# ------------------------------------------------------------- monitoring ------------------------

def _labels(result: CheckResult, drug: str, test: MonitoringTest) -> list[str]:
    return [e.label for e in result.monitoring if e.drug == drug and e.test == test]


@pytest.mark.parametrize(("regimen", "concomitant", "drug", "test", "labels"), [
    ((("gilteritinib", 120),), (), "gilteritinib", MonitoringTest.ECG,
     ["C1D1", "C1D8", "C1D15", "C2D1", "C3D1"]),
    ((("gilteritinib", 120),), ("levofloxacin", "ondansetron"), "gilteritinib", MonitoringTest.ECG,
     ["C1D1", "C1D8", "C1D15", "C2D1", "C3D1"]),
    ((("gilteritinib", 120),), (), "gilteritinib", MonitoringTest.BLOOD_COUNTS,
     ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C2D15", "C3D1"]),
    # The strong inhibitor's assessments merged with the weekly differentiation-syndrome ones of cycle 1.
    ((("gilteritinib", 120),), ("voriconazole",), "gilteritinib", MonitoringTest.CLINICAL_ASSESSMENT,
     ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C3D1"]),
    ((("ivosidenib", 500),), (), "ivosidenib", MonitoringTest.ECG,
     ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C3D1"]),
    ((("glasdegib", 100), ("cytarabine", 20)), (), "glasdegib", MonitoringTest.ECG,
     ["C1D1", "C1D8", "C2D1", "C3D1"]),
    # Weekly in the first month only (label 2.2); electrolytes and renal function go on monthly.
    ((("glasdegib", 100), ("cytarabine", 20)), (), "glasdegib", MonitoringTest.LIVER_FUNCTION,
     ["C1D1", "C1D8", "C1D15", "C1D22"]),
    ((("glasdegib", 100), ("cytarabine", 20)), (), "glasdegib", MonitoringTest.RENAL_FUNCTION,
     ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C3D1"]),
    ((("quizartinib", 35.4),), (), "quizartinib", MonitoringTest.ECG,
     [f"C{c}D{d}" for c in (1, 2, 3) for d in (1, 8, 15, 22)]),
    ((("olutasidenib", 150),), (), "olutasidenib", MonitoringTest.LIVER_FUNCTION,
     [*(f"C{c}D{d}" for c in (1, 2) for d in (1, 8, 15, 22)), "C3D1"]),
    ((("olutasidenib", 150),), (), "olutasidenib", MonitoringTest.ECG, []),
    ((("enasidenib", 100),), (), "enasidenib", MonitoringTest.BLOOD_COUNTS,
     [*(f"C{c}D{d}" for c in (1, 2, 3) for d in (1, 15)), "C4D1"]),  # day 85: within the first 3 months
    ((("gemtuzumab ozogamicin", 4.5),), (), "gemtuzumab ozogamicin", MonitoringTest.LIVER_FUNCTION,
     ["C1D1", "C1D4", "C1D7", "C1D8"]),
    ((("midostaurin", 50),), (), "midostaurin", MonitoringTest.ECG, []),
    ((("midostaurin", 50),), ("ondansetron",), "midostaurin", MonitoringTest.ECG, ["C1D1"]),
    ((("sorafenib", 400),), ("methadone",), "sorafenib", MonitoringTest.ELECTROLYTES, ["C1D1"]),
    ((("venetoclax", 400), ("azacitidine", 75)), (), "venetoclax", MonitoringTest.TUMOR_LYSIS_LABS,
     ["C1D1", "C1D2", "C1D3", "C1D4"]),
    ((("venetoclax", 400), ("azacitidine", 75)), ("posaconazole",), "venetoclax", MonitoringTest.TUMOR_LYSIS_LABS,
     ["C1D1", "C1D2", "C1D3", "C1D4", "C1D5"]),
    ((("venetoclax", 400), ("azacitidine", 75)), ("fluconazole",), "venetoclax", MonitoringTest.TUMOR_LYSIS_LABS,
     ["C1D1", "C1D2", "C1D3", "C1D4"]),
    (VEN_LDAC, (), "venetoclax", MonitoringTest.TUMOR_LYSIS_LABS, ["C1D1", "C1D2", "C1D3", "C1D4", "C1D5"]),
    ((("venetoclax", 400), ("azacitidine", 75)), (), "azacitidine", MonitoringTest.ECG, []),
])
def test_monitoring_schedule(kb: KnowledgeBase, regimen: tuple[tuple[str, float], ...],
                             concomitant: tuple[str, ...], drug: str, test: MonitoringTest,
                             labels: list[str]) -> None:
    assert _labels(_run(kb, regimen, concomitant), drug, test) == labels


def test_gilteritinib_ecg_dates_from_the_cycle_start(kb: KnowledgeBase) -> None:
    result = _run(kb, (("gilteritinib", 120),), cycle_start_date="2026-01-05")
    dates = {e.label: e.date for e in result.monitoring
             if e.drug == "gilteritinib" and e.test == MonitoringTest.ECG}
    assert dates == {"C1D1": "2026-01-05", "C1D8": "2026-01-12", "C1D15": "2026-01-19",
                     "C2D1": "2026-02-02", "C3D1": "2026-03-02"}


def test_monitoring_events_cite_a_source(kb: KnowledgeBase) -> None:
    for agent in STANDARD:
        result = _run(kb, ((agent, STANDARD[agent]),), ("levofloxacin", "voriconazole"))
        for event in result.monitoring:
            assert event.citations, event
            assert event.reason, event



@pytest.mark.parametrize(("other", "severity"), [("levofloxacin", Severity.MAJOR), ("granisetron", Severity.MODERATE)])
def test_qt_findings_are_graded_by_the_credible_meds_tier(kb: KnowledgeBase, other: str, severity: Severity) -> None:
    result = _run(kb, (("gilteritinib", 120),), (other,))
    (finding,) = [f for f in result.findings if f.object_drug == "gilteritinib"]
    assert finding.mechanisms == (QT,)
    assert finding.severity is severity
    assert ("Known risk of torsades" in finding.recommendation) is (severity is Severity.MAJOR)


@pytest.mark.parametrize("agent", ["venetoclax", "quizartinib", "olutasidenib"])
def test_a_moderate_inducers_advice_is_about_that_inducer_not_dexamethasone(kb: KnowledgeBase, agent: str) -> None:
    """Dexamethasone has a rule of its own (monitor); the class rule's advice must not speak of it."""
    result = check(kb, CheckRequest((Medication(agent),), (Medication("efavirenz"),), PatientContext()))

    (finding,) = [f for f in result.findings if f.object_drug == agent and f.precipitant_drug == "efavirenz"
                  and Mechanism.CYP3A4_MODERATE_INDUCER in f.mechanisms]
    assert finding.action is Action.AVOID_COMBINATION
    assert "dexamethasone" not in finding.recommendation.lower()
