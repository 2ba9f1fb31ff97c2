"""Domain value types of a regimen check: requests, findings, doses, monitoring, results."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from typing import NamedTuple, Protocol


class Severity(enum.IntEnum):
    """How serious a finding is; numbers match the public contract."""

    UNSPECIFIED = 0
    INFO = 1
    MINOR = 2
    MODERATE = 3
    MAJOR = 4
    CONTRAINDICATED = 5


class Action(enum.IntEnum):
    """What to do; a higher number is more restrictive (so `max` picks the winner).

    On a dose it is what to do with the agent; on a finding, AVOID_COMBINATION acts on the other drug.
    """

    UNSPECIFIED = 0
    CONTINUE = 1
    MONITOR = 2
    ADJUST_DOSE = 3
    HOLD = 4
    AVOID_COMBINATION = 5
    DISCONTINUE = 6


class Mechanism(enum.IntEnum):
    """Why two drugs interact; numbers match the public contract."""

    UNSPECIFIED = 0
    CYP3A4_STRONG_INHIBITOR = 1
    CYP3A4_MODERATE_INHIBITOR = 2
    CYP3A4_STRONG_INDUCER = 3
    CYP3A4_MODERATE_INDUCER = 4
    PGP_INHIBITOR = 5
    PGP_INDUCER = 6
    SEROTONERGIC_RECEPTOR = 7
    QT_PROLONGATION = 8
    FOOD_INTERACTION = 9
    QTC_THRESHOLD = 10
    OTHER_PHARMACOKINETIC = 11
    THERAPEUTIC_DUPLICATION = 12
    PATIENT_FACTOR = 13
    LABELLED_DOSE = 14


class MonitoringTest(enum.IntEnum):
    """What is monitored; numbers match the public contract."""

    UNSPECIFIED = 0
    ECG = 1
    ELECTROLYTES = 2
    LIVER_FUNCTION = 3
    RENAL_FUNCTION = 4
    BLOOD_COUNTS = 5
    TUMOR_LYSIS_LABS = 6
    CLINICAL_ASSESSMENT = 7


class HoldReason(enum.IntEnum):
    """Why an agent is interrupted; numbers match the public contract."""

    UNSPECIFIED = 0
    QTC_PROLONGATION = 1
    PANCREATITIS = 2
    DIFFERENTIATION_SYNDROME = 3
    OTHER_ADVERSE_REACTION = 4
    OTHER = 5


class View(enum.IntEnum):
    """How much of an answer to send (Google's AIP-157); numbers match the public contract."""

    UNSPECIFIED = 0
    """FULL."""
    BASIC = 1
    """Codes, numbers and ids: no texts for people, citations by id only."""
    FULL = 2


class CodingLike(Protocol):
    """A code of a terminology; the contract's `Coding` message has this shape."""

    @property
    def system(self) -> str:
        """The terminology's URI (RxNorm: http://www.nlm.nih.gov/research/umls/rxnorm)."""
    @property
    def code(self) -> str:
        """The code within it."""
    @property
    def display(self) -> str:
        """The terminology's name for the code; "" when not given."""


class MedicationLike(Protocol):
    """What the engine reads of a medication; the contract's `Medication` message has this shape."""

    @property
    def name(self) -> str:
        """As the caller wrote it."""
    @property
    def dose_mg(self) -> float:
        """Ordered dose in mg; 0 when not stated."""
    @property
    def frequency(self) -> str:
        """As ordered, free text."""
    @property
    def held(self) -> bool:
        """True when the drug is currently interrupted."""
    @property
    def coding(self) -> Sequence[CodingLike]:
        """Codes of the medication (RxNorm RxCUIs); empty when none were given."""
    @property
    def hold_reason(self) -> int:
        """A held agent's `HoldReason`; 0 when unknown."""
    @property
    def qtc_at_hold_ms(self) -> float:
        """The QTc that led to the hold; 0 when unknown."""
    @property
    def treatment_day(self) -> int:
        """The day of treatment with this agent the order is for (1 = first dose); 0 when unknown."""
    @property
    def stopped_on(self) -> str:
        """A stopped co-medication's last dose (ISO date); "" while taken."""


class PatientLike(Protocol):
    """What the engine reads of the patient; the contract's `PatientContext` message has this shape."""

    @property
    def qtc_ms(self) -> float:
        """Latest QTc in ms; 0 when unknown."""
    @property
    def baseline_qtc_ms(self) -> float:
        """Baseline QTc in ms; 0 when unknown."""
    @property
    def cycle_start_date(self) -> str:
        """Day 1 of cycle 1 (ISO 8601); empty when unknown."""
    @property
    def cycle_length_days(self) -> int:
        """Days per cycle; 0 for the default."""
    @property
    def as_of_date(self) -> str:
        """The day the check is for (ISO 8601); empty when unknown."""
    @property
    def qtc_day(self) -> str:
        """Cycle-day label ("C1D8") of the latest ECG; empty when unknown."""
    @property
    def potassium_mmol_l(self) -> float:
        """Serum potassium; 0 when unknown."""
    @property
    def magnesium_mmol_l(self) -> float:
        """Serum magnesium; 0 when unknown."""
    @property
    def congenital_long_qt(self) -> bool:
        """Congenital long QT syndrome."""
    @property
    def bilirubin_uln(self) -> float:
        """Total bilirubin as a multiple of the upper limit of normal; 0 when unknown."""
    @property
    def ast_uln(self) -> float:
        """AST as a multiple of the upper limit of normal; 0 when unknown."""
    @property
    def alt_uln(self) -> float:
        """ALT as a multiple of the upper limit of normal; 0 when unknown."""
    @property
    def child_pugh(self) -> str:
        """Child-Pugh class "A", "B" or "C"; empty when unknown."""
    @property
    def creatinine_clearance_ml_min(self) -> float:
        """Creatinine clearance; 0 when unknown."""
    @property
    def wbc_10e9_l(self) -> float:
        """White blood cells (10^9/L); 0 when unknown."""


class CheckRequestLike(Protocol):
    """What the engine reads of a request.

    The contract's `CheckRegimenRequest` has this shape, so the service hands requests to the engine
    as they arrive, with no copy; this package still knows nothing of protobuf.
    """

    @property
    def regimen(self) -> Sequence[MedicationLike]:
        """The antileukemic agents being ordered."""
    @property
    def concomitant(self) -> Sequence[MedicationLike]:
        """Everything else the patient takes."""
    @property
    def patient(self) -> PatientLike:
        """What is known of the patient."""
    @property
    def request_id(self) -> str:
        """Echoed in the result."""
    @property
    def view(self) -> int:
        """The `View` of the answer asked for (the engine only validates it)."""


# The value types are NamedTuples: immutable, hashed and compared in C, and about three times
# cheaper to build than frozen dataclasses; an audit builds dozens of them per row.
class Coding(NamedTuple):
    """A code of a terminology (FHIR's Coding)."""

    system: str = ""
    code: str = ""
    display: str = ""


class Medication(NamedTuple):
    """One medication as the caller names it; `dose_mg` 0 means not stated."""

    name: str = ""
    dose_mg: float = 0.0
    frequency: str = ""
    held: bool = False
    coding: tuple[Coding, ...] = ()
    hold_reason: HoldReason = HoldReason.UNSPECIFIED
    qtc_at_hold_ms: float = 0.0
    treatment_day: int = 0
    stopped_on: str = ""


class PatientContext(NamedTuple):
    """What the checker may know of the patient; 0 or "" means unknown."""

    qtc_ms: float = 0.0
    baseline_qtc_ms: float = 0.0
    cycle_start_date: str = ""
    cycle_length_days: int = 0
    as_of_date: str = ""
    qtc_day: str = ""
    potassium_mmol_l: float = 0.0
    magnesium_mmol_l: float = 0.0
    congenital_long_qt: bool = False
    bilirubin_uln: float = 0.0
    ast_uln: float = 0.0
    alt_uln: float = 0.0
    child_pugh: str = ""
    creatinine_clearance_ml_min: float = 0.0
    wbc_10e9_l: float = 0.0


class CheckRequest(NamedTuple):
    """A proposed regimen (the antileukemic agents) and everything else the patient takes."""

    regimen: tuple[Medication, ...]
    concomitant: tuple[Medication, ...] = ()
    patient: PatientContext = PatientContext()
    request_id: str = ""
    view: View = View.UNSPECIFIED
    """How much of the answer to send (the engine's result is the same in every view)."""


class CitationLike(Protocol):
    """A citation of the knowledge base, the domain's or the contract's (`Citation`), or as written (`CitationSpec`)."""

    @property
    def source(self) -> str:
        """A source id of the manifest."""
    @property
    def detail(self) -> str:
        """The section or reference within it."""
    @property
    def verify(self) -> bool:
        """True where the fact was taken from a secondary restatement of the label."""


class Citation(NamedTuple):
    """Where a rule comes from: a source id of the knowledge base and the section or reference."""

    source: str
    detail: str
    id: str
    """The id answers name it by (`citation_id`): derived from the source, detail and `verify`, so stable
    while they are."""
    verify: bool = False
    """True where the fact was taken from a secondary restatement of the label: check it there."""


def citation_id(source: str, detail: str, verify: bool = False) -> str:
    """The id of a citation: 8 hex digits of its SHA-256 (unique over the built-in base, tested).

    A fact still to verify and the same fact verified are different statements, so their ids differ.
    """
    text = f"{source}\n{detail}\nverify" if verify else f"{source}\n{detail}"
    return hashlib.sha256(text.encode()).hexdigest()[:8]


class Finding(NamedTuple):
    """One interaction (or QTc threshold) between an object drug and a precipitant."""

    object_drug: str
    precipitant_drug: str
    mechanisms: tuple[Mechanism, ...]
    severity: Severity
    action: Action
    recommendation: str
    citations: tuple[Citation, ...]
    alternatives: tuple[str, ...] = ()
    """What a source says to use instead of the precipitant (canonical names), for avoid findings."""
    involved: tuple[str, ...] = ()
    """Every drug a finding about the whole regimen concerns (a duplication, the QT burden)."""
    rule: str = ""
    """The knowledge-base rule that produced it: "<agent>/<rule id>" for an agent's rule, the rule id of
    a regimen rule."""


class RampStep(NamedTuple):
    """One day of a dose ramp-up."""

    day: int
    dose_mg: float


class DoseRecommendation(NamedTuple):
    """The dose to give for one regimen drug, after every finding on it has been combined."""

    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float | None
    """0 while held or stopped. None when there is no dose to give, and a client must not read one: a
    regimen drug that was not recognised (action UNSPECIFIED: it was not checked), a regimen partner
    ordered without a dose whose order stands (action CONTINUE), or an agent dosed per m2 ordered with no
    dose in mg, checked, its order per m2 standing (gemtuzumab ozogamicin: no mg dose fits every patient)."""
    action: Action
    rationale: str
    ramp_up: tuple[RampStep, ...] = ()
    citations: tuple[Citation, ...] = ()
    avoid_with: tuple[str, ...] = ()
    """Other drugs (or foods) to avoid or replace while this one is given. Their findings say why and
    what to use instead; the dose changes for one only where a finding of `findings` that changes it
    also names it (`answer.avoid_text` says which)."""
    findings: tuple[Finding, ...] = ()
    """The findings that set the dose, the most restrictive (the one applied) first; empty when the
    labelled or ordered dose stands."""
    notes: str = ""
    """The decision's own words at the start of `rationale` (an assumed dose, the day of the ramp-up);
    the rest of it is the applied finding's text, or the labelled dose's. The drugs to avoid are
    `avoid_with`, which people read in words from `answer.avoid_text`."""


class MonitoringEvent(NamedTuple):
    """One test on one day of a cycle (`label` such as "C1D8"); `date` is ISO or ""."""

    drug: str
    test: MonitoringTest
    label: str
    cycle: int
    day: int
    date: str
    reason: str
    citations: tuple[Citation, ...] = ()


class MonitoringSchedule(NamedTuple):
    """One monitoring protocol of one drug: its test, reason and citations once, then the days it is due."""

    drug: str
    test: MonitoringTest
    citations: tuple[Citation, ...]
    events: tuple[MonitoringEvent, ...]
    """In schedule order; each says its drug, test, reason and citations again (the engine's event)."""
    reason: str


class UnrecognizedReason(enum.IntEnum):
    """Why a medication was not checked; numbers match the public contract."""

    UNSPECIFIED = 0
    UNKNOWN = 1
    """It names no drug this service knows."""
    NOT_REVIEWED = 2
    """It names a real drug whose interactions the knowledge base has not reviewed."""
    CONFLICT = 3
    """Its parts name different drugs (a brand and a generic, a code and a name)."""


class UnrecognizedMedication(NamedTuple):
    """A medication that was not checked, why, and the closest names the knowledge base does know."""

    name: str
    suggestions: tuple[str, ...]
    reason: UnrecognizedReason = UnrecognizedReason.UNKNOWN
    ingredients: tuple[str, ...] = ()
    """The drugs it names, canonically spelt, where they are known but not reviewed."""
    detail: str = ""
    """Why, for people ("brand Zofran is ondansetron, the generic named is granisetron")."""


class CheckResult(NamedTuple):
    """The whole answer to a check; `complete` is False whenever any name was unrecognised."""

    request_id: str
    findings: tuple[Finding, ...]
    doses: tuple[DoseRecommendation, ...]
    schedules: tuple[MonitoringSchedule, ...]
    """Monitoring per drug and protocol, each in schedule order."""
    unrecognized: tuple[UnrecognizedMedication, ...]
    highest_severity: Severity
    complete: bool
    knowledge_base_version: str

    @property
    def monitoring(self) -> tuple[MonitoringEvent, ...]:
        """One event per drug, test and day, joining the reasons of schedules that ask for it.

        Worked out on demand: the cards read it, the answer and the hot path do not.
        """
        from interactions.schedule import merged_events  # schedule builds on this module's types

        return merged_events(self.schedules)


class FieldViolation(NamedTuple):
    """One bad field of a request, named by its path in the contract (`regimen[0].dose_mg`)."""

    field: str
    description: str


class InvalidRequestError(ValueError):
    """A request that cannot be checked; carries every field violation found."""

    def __init__(self, violations: tuple[FieldViolation, ...]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
