"""Pydantic models of the knowledge-base files: what a curator may write, checked at load."""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import Annotated, ClassVar, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from interactions.model import Action, Citation, CitationLike, Mechanism, MonitoringTest, Severity, citation_id

TREATMENT_DAY_LAST = 252
"""The last day of treatment a monitoring spec may name: three of the longest cycles a request may give (84 days),
the span a schedule covers at most."""
DAY_LABEL = re.compile(r"^C([1-9][0-9]?)D([1-9][0-9]?)$")
NonEmpty = Annotated[str, Field(min_length=1)]
Dose = Annotated[float, Field(gt=0, le=2000)]
QtcMs = Annotated[float, Field(ge=200, le=800)]

# Where the files below live in a knowledge-base directory (beside manifest.toml, names.toml, drugs.toml
# and classes.toml); loading reads them there and the cross-file checks name them in their problems.
AGENTS_DIR = "agents"
REGIMEN_RULES = "regimen_rules.toml"
REGIMENS = "regimens.toml"
SITE_FILE = "site.toml"


class _Strict(BaseModel):
    """Every knowledge-base model: unknown keys are errors, values are immutable once loaded.

    Its whole numbers and flags are strict (`Field(strict=True)`, `StrictBool`), as TOML types them: `every_days =
    true` was read as 1 (a daily test), `washout_days = true` as 1 day, `if_held = "no"` as False (reviews revR, revS).
    Not the model's: strict tuples would refuse TOML's arrays.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _enum_by_name(enum_type: type[Action] | type[Severity] | type[Mechanism] | type[MonitoringTest],
                  value: object) -> object:
    """Accept enum members by their lower- or upper-case name, as curators write them."""
    if isinstance(value, str):
        try:
            return enum_type[value.upper()]
        except KeyError:
            allowed = ", ".join(m.name.lower() for m in enum_type if m.value)
            raise ValueError(f"unknown {enum_type.__name__.lower()} {value!r}; one of: {allowed}") from None
    return value


class CitationSpec(_Strict):
    """A source id from the manifest and where in it (`"2.4"`, `"ref [74]"`)."""

    source: NonEmpty
    detail: NonEmpty
    verify: StrictBool = False
    """True where the fact was taken from a secondary restatement of the label."""


def _each_once(citations: tuple[CitationSpec, ...]) -> tuple[CitationSpec, ...]:
    # A copy of a citation (an edit pasted twice) adds nothing but length to every answer that cites it.
    seen: set[CitationSpec] = set()
    for citation in citations:
        if citation in seen:
            raise ValueError(f"citation {citation.source} {citation.detail!r} is given twice")
        seen.add(citation)
    return citations


Citations = Annotated[tuple[CitationSpec, ...], Field(min_length=1), AfterValidator(_each_once)]

VERIFY_NOTE = "verify: taken from a secondary restatement of the label"


def citation_text(citation: CitationLike) -> str:
    """A citation as people read it ("uspi-xospata 7.1"), saying so where its fact is still to verify."""
    return f"{citation.source} {citation.detail} ({VERIFY_NOTE})" if citation.verify else (
        f"{citation.source} {citation.detail}")


def citations_of(specs: tuple[CitationSpec, ...]) -> tuple[Citation, ...]:
    """Domain citations; a fact from a secondary restatement is marked `verify`."""
    return tuple(_citation(s.source, s.detail, s.verify) for s in specs)


@cache
def _citation(source: str, detail: str, verify: bool) -> Citation:
    """One object per distinct citation, so the engine can de-duplicate citations by identity."""
    return Citation(source, detail, citation_id(source, detail, verify), verify)


class SourceSpec(_Strict):
    """One document the knowledge base cites."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: NonEmpty
    url: str = ""


class ManifestFile(_Strict):
    """`manifest.toml`: the knowledge base's version and its sources."""

    version: NonEmpty
    title: NonEmpty
    sources: Annotated[tuple[SourceSpec, ...], Field(min_length=1, alias="source")]


VocabularyRole = Literal["dose_form", "route", "local_form", "product_suffix", "unit", "modifier", "frequency",
                         "filler", "salt", "separator", "vehicle_marker", "vehicle", "elemental", "course", "held",
                         "condition", "allergy", "supply", "stopped", "dose_change", "oral", "made_oral", "month",
                         "date_word"]
"""What a word of order text is to the reader; names.toml says what each role may stand next to."""


class VocabularySpec(_Strict):
    """Terms of one role in medication strings ("TBEC", "Delayed Release Oral Tablet"), with their source."""

    role: VocabularyRole
    terms: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    citations: Citations


class PatternSpec(_Strict):
    """A one-word term with numbers in it ("q12h", "RF0"), as a regular expression matched in full: order text."""

    role: Literal["frequency", "supply"]
    regex: NonEmpty
    citations: Citations

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            re.compile(regex)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return regex


class AdministrationsSpec(_Strict):
    """Frequency words that say how many times a day a dose is given ("BID": 2), with their source."""

    per_day: Annotated[int, Field(strict=True, ge=1, le=24)] | None = None
    """None: words of a schedule that gives no whole number of doses a day ("every other day", "weekly", "PRN");
    an agent whose label gives it daily, so ordered, has its frequency not read."""
    single: StrictBool = False
    """Words of a single dose ("once", "stat", "x1"): no daily schedule, except right before another frequency,
    whose one time they say ("once every 24 hours", "once weekly")."""
    unscheduled: StrictBool = False
    """Words naming no schedule ("as directed"): beside a count a day the line names ("daily as directed"), that
    count; alone, no daily schedule. With `single`, a single dose now: alone a single dose, beside a count its first
    dose ("daily now", "stat then daily")."""
    terms: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    citations: Citations

    @model_validator(mode="after")
    def _no_count_a_day(self) -> AdministrationsSpec:
        if self.per_day is not None and (self.single or self.unscheduled):
            raise ValueError("words of a single dose or of no schedule give no count a day: per_day is left out")
        return self


class CycleSpec(_Strict):
    """The shortest treatment cycle, in days.

    Beside a count a day, an interval this long or longer is the cycle the daily doses repeat in ("daily x 14 days
    q28d"); a shorter one is a schedule of its own ("daily q4 days").
    """

    shortest_days: Annotated[int, Field(strict=True, ge=1)]
    citations: Citations


class SpellingSpec(_Strict):
    """A spelling read as another wherever it occurs ("sulph" as "sulf"), or as nothing (a mark such as "®")."""

    written: NonEmpty
    reads_as: str
    citations: Citations

    @model_validator(mode="after")
    def _only_a_mark_reads_as_nothing(self) -> SpellingSpec:
        # A word or number read as nothing would vanish from every line holding it ("mg" read so leaves "400").
        if not self.reads_as.strip() and any(character.isalnum() for character in self.written):
            raise ValueError(f"reads_as is empty for {self.written!r}: only a mark with no letter or digit reads as "
                             "nothing")
        return self


class BiosimilarSpec(_Strict):
    """The distinguishing suffix of a biological product's name (filgrastim-sndz), after a biologic's stem."""

    suffix_letters: Annotated[int, Field(strict=True, ge=1, le=8)]
    stems: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    citations: Citations


class BroadVocabularySpec(_Strict):
    """The installed package whose data file names real drugs beyond the reviewed dictionary."""

    package: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    data_file: NonEmpty
    citations: Citations


class UnreviewedSpec(_Strict):
    """A real drug or product the broad vocabulary lacks (or names by a guess): recognised, never reviewed."""

    canonical: NonEmpty
    """How the answer names it ("iron (salt not stated)")."""
    names: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    """How medication lines write it ("iron", "ATG")."""
    citations: Citations


class NamesFile(_Strict):
    """`names.toml`: the vocabularies of the medication-string grammar (forms, routes, units, salts, ...)."""

    vocabularies: Annotated[tuple[VocabularySpec, ...], Field(alias="vocabulary", min_length=1)]
    patterns: Annotated[tuple[PatternSpec, ...], Field(alias="pattern")] = ()
    spellings: Annotated[tuple[SpellingSpec, ...], Field(alias="spelling")] = ()
    administrations: tuple[AdministrationsSpec, ...] = ()
    """How many times a day frequency words give a dose: an agent ordered more often than its label is flagged."""
    cycle: CycleSpec | None = None
    """None: no interval is read as a cycle; beside a count a day, any interval of days is another schedule."""
    biosimilar: BiosimilarSpec | None = None
    broad_vocabulary: BroadVocabularySpec | None = None
    """None: every drug name outside drugs.toml is unknown (test knowledge bases)."""
    unreviewed: tuple[UnreviewedSpec, ...] = ()
    """Read as the broad vocabulary's names are: NOT_REVIEWED, with their canonical name."""

    def cited(self) -> list[tuple[str, tuple[CitationSpec, ...]]]:
        """Each entry's location and citations, for the check against the manifest."""
        cited = [(f"vocabulary[{i}]", v.citations) for i, v in enumerate(self.vocabularies)]
        cited += [(f"pattern[{i}]", p.citations) for i, p in enumerate(self.patterns)]
        cited += [(f"spelling[{i}]", s.citations) for i, s in enumerate(self.spellings)]
        cited += [(f"unreviewed[{i}]", u.citations) for i, u in enumerate(self.unreviewed)]
        cited += [(f"administrations[{i}]", a.citations) for i, a in enumerate(self.administrations)]
        cited += [(name, spec.citations) for name, spec in
                  (("biosimilar", self.biosimilar), ("broad_vocabulary", self.broad_vocabulary), ("cycle", self.cycle))
                  if spec]
        return cited


DrugKind = Literal["agent", "partner", "comedication", "food"]
QtRisk = Literal["known", "possible", "conditional"]
"""CredibleMeds' tiers: known risk of torsades, possible risk (prolongs QT), conditional risk (only
with other factors such as low potassium or another QT drug)."""
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
"""RxNorm's system in FHIR, as the knowledge base's codes name it."""


class CodeSpec(_Strict):
    """A code of a terminology for a drug or product, with where it was verified."""

    system: Literal["http://www.nlm.nih.gov/research/umls/rxnorm"]
    code: Annotated[str, Field(pattern=r"^[0-9]{1,10}$")]
    citations: Citations


class LocalBrandSpec(_Strict):
    """A brand whose every product is given locally, and the label that says so."""

    name: NonEmpty
    form: NonEmpty
    """The local form, as the answer names it ("ointment", "vaginal cream")."""
    citations: Citations


class DrugSpec(_Strict):
    """A canonical drug (generic name) with the other names it is known by."""

    name: NonEmpty
    kind: DrugKind
    synonyms: tuple[NonEmpty, ...] = ()
    note: str = ""
    reviewed: Citations
    """The lists its class memberships were checked against (member of a class, or of none)."""
    qt_risk: QtRisk | None = None
    acts_after_stop: str = ""
    """Why its interactions outlast any rule's washout once it is stopped (amiodarone: weeks to months), cited
    in `reviewed`: a stopped drug with this keeps counting for `acts_after_stop_days`, and its findings say why."""
    acts_after_stop_days: Annotated[int, Field(strict=True, ge=1, le=3650)] | None = None
    """How long after its last dose it still counts, given with `acts_after_stop` (its source in `reviewed`)."""
    sold_only_in: str = ""
    """A combination of drugs.toml that is the only product holding this drug (nirmatrelvir is sold
    only with ritonavir): a mention of the drug is a mention of every component of that product."""
    ingredients: tuple[NonEmpty, ...] = ()
    """For a fixed-dose combination reviewed as one drug, the ingredients RxNorm names it by
    (`sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet`), as the reader names them: a line
    naming exactly these, and no other drug, is this drug."""
    shared_brands: tuple[NonEmpty, ...] = ()
    """Brands this drug shares with another drug of the dictionary, whose synonyms they are (Emend is
    aprepitant by mouth and fosaprepitant by vein): beside this drug's name ("fosaprepitant (EMEND)")
    such a brand confirms it; alone it names the drug it is a synonym of."""
    numbered_products: StrictBool = True
    """Whether a brand or short form of the drug may name a numbered product ("Tylenol 3" holds codeine):
    a bare number after one is then unknown, never read as its strength."""
    premixes: StrictBool = False
    """Whether a pair of numbers after its name is a premix of its own forms ("insulin 70/30"), not the
    strengths of a second drug left unnamed ("oxycodone 5/325" is with acetaminophen: unknown)."""
    local_brands: tuple[LocalBrandSpec, ...] = ()
    """Brands of this drug sold only in a local form (Protopic, an ointment): they read as the drug
    in a local form, as "tacrolimus ointment" does."""
    codes: tuple[CodeSpec, ...] = ()

    @model_validator(mode="after")
    def _acts_after_stop_for_how_long(self) -> DrugSpec:
        if bool(self.acts_after_stop) != (self.acts_after_stop_days is not None):
            raise ValueError("acts_after_stop and acts_after_stop_days are given together")
        return self

    @field_validator("ingredients")
    @classmethod
    def _several_ingredients(cls, ingredients: tuple[str, ...]) -> tuple[str, ...]:
        if ingredients and len(set(ingredients)) < 2:
            raise ValueError("a combination has at least two different ingredients")
        return ingredients


class CombinationSpec(_Strict):
    """A product made of several drugs; a mention of it is a mention of each component."""

    name: NonEmpty
    synonyms: tuple[NonEmpty, ...] = ()
    components: Annotated[tuple[NonEmpty, ...], Field(min_length=2)]
    citations: Citations
    codes: tuple[CodeSpec, ...] = ()


class DrugsFile(_Strict):
    """`drugs.toml`: the drug dictionary."""

    drugs: Annotated[tuple[DrugSpec, ...], Field(alias="drug", min_length=1)]
    combinations: Annotated[tuple[CombinationSpec, ...], Field(alias="combination")] = ()


class ClassSpec(_Strict):
    """A class table: every member acts on object drugs by one mechanism."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    mechanism: Mechanism
    title: NonEmpty
    members: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    member_notes: dict[str, NonEmpty] = {}
    """Per-member notes, e.g. where sources disagree on the class."""
    qt_tier: QtRisk | None = None
    """The class is exactly the drugs of this CredibleMeds tier (`qt_risk` in drugs.toml), checked at load."""
    citations: Citations

    _mechanism = field_validator("mechanism", mode="before")(
        lambda v: _enum_by_name(Mechanism, v))


class JointEffectSpec(_Strict):
    """Drugs that, taken together, act as a member of classes none of them is in alone.

    Letermovir is a moderate CYP3A inhibitor, but with cyclosporine their combined effect on CYP3A
    substrates may be a strong inhibitor's (kb-review, "Further gaps"): the agents' rules for those classes
    then apply to the pair, named as `name`, beside what each drug's own classes give.
    """

    name: NonEmpty
    """How findings name the pair as their precipitant ("letermovir with cyclosporine")."""
    drugs: Annotated[tuple[NonEmpty, ...], Field(min_length=2)]
    classes: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    note: NonEmpty
    """Added to each finding the pair produces: why these drugs together take that class's rule."""
    citations: Citations


class ClassesFile(_Strict):
    """`classes.toml`: the class tables, and the drugs that act as a class only together."""

    classes: Annotated[tuple[ClassSpec, ...], Field(alias="class", min_length=1)]
    joint_effects: tuple[JointEffectSpec, ...] = Field(default=(), alias="joint_effect")


class DoseChange(_Strict):
    """How a rule changes the ordered dose: exactly one of the three forms."""

    max_mg: Dose | None = None
    """An absolute ceiling: the result is the lower of the ordered dose and this."""
    fraction: Annotated[float, Field(gt=0, lt=1)] | None = None
    """A fraction of the labelled dose and of each labelled ramp step, taken as a ceiling ("reduce by
    at least 50%" is 0.5: 400 -> 200 mg). Never of the ordered dose, so that re-checking a
    recommendation returns it unchanged."""
    table: tuple[tuple[Dose, Dose], ...] = ()
    """Ordered dose -> reduced dose pairs, as in a label's dose-reduction table."""

    @field_validator("table")
    @classmethod
    def _ascending(cls, table: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        return tuple(sorted(table))  # the engine reads rows by ordered dose

    @model_validator(mode="after")
    def _exactly_one(self) -> DoseChange:
        forms = [self.max_mg is not None, self.fraction is not None, bool(self.table)]
        if sum(forms) != 1:
            raise ValueError("give exactly one of max_mg, fraction or table")
        for ordered, reduced in self.table:
            if reduced > ordered:
                raise ValueError(f"table entry {ordered} -> {reduced} raises the dose")
        return self


class MonitoringSpec(_Strict):
    """Tests on named cycle days, every N days of the first cycles, on the ramp-up, or on days of treatment.

    `treatment_days` is for a label that counts in weeks or months, not cycles; `days` and `every_days` are tied
    to cycles and move with their length.
    """

    test: MonitoringTest
    reason: NonEmpty
    citations: Citations
    days: tuple[str, ...] = ()
    every_days: Annotated[int, Field(strict=True, ge=1, le=28)] | None = None
    through_cycle: Annotated[int, Field(strict=True, ge=1, le=12)] = 3
    on_ramp_up_days: StrictBool = False
    """Each day of the ramp-up in force, and the day after it ends (tumour-lysis labs)."""
    treatment_days: tuple[Annotated[int, Field(strict=True, ge=1, le=TREATMENT_DAY_LAST)], ...] = ()
    """Days counted from C1D1, day 1 (the first dose of an agent given from day 1; quizartinib and midostaurin in
    7+3 start on C1D8), rising: each falls on the cycle and day the cycle length in force gives it ("weekly for the
    first month" is 1, 8, 15, 22 whether cycles last 21, 28 or 42 days), and each is shown, even past the scheduled
    cycles when they are short."""
    then_every_days: Annotated[int, Field(strict=True, ge=1, le=84)] | None = None
    """With `treatment_days`: after the last of them, again every N days to the end of the scheduled cycles ("then
    monthly for the duration of therapy")."""

    _test = field_validator("test", mode="before")(lambda v: _enum_by_name(MonitoringTest, v))

    @field_validator("days")
    @classmethod
    def _labels(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        for label in days:
            if not DAY_LABEL.match(label):
                raise ValueError(f"day label {label!r} is not of the form C1D8")
        return days

    @field_validator("treatment_days")
    @classmethod
    def _rising(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(later <= earlier for earlier, later in pairwise(days)):
            raise ValueError(f"treatment_days must rise, each day once; got {list(days)}")
        return days

    @model_validator(mode="after")
    def _one_schedule(self) -> MonitoringSpec:
        forms = [bool(self.days), self.every_days is not None, self.on_ramp_up_days, bool(self.treatment_days)]
        if sum(forms) != 1:
            raise ValueError("give exactly one of days, every_days, on_ramp_up_days or treatment_days")
        if self.then_every_days is not None and not self.treatment_days:
            raise ValueError("then_every_days continues treatment_days; give treatment_days with it")
        if "through_cycle" in self.model_fields_set and self.every_days is None:
            raise ValueError("through_cycle bounds every_days only; give every_days with it")
        return self


class StandardDoseSpec(_Strict):
    """The labelled dose; a variant applies when the regimen holds one of `with_any`.

    An ordered dose above `max_dose_mg` (or above `dose_mg` when no maximum is given) is flagged and
    the labelled dose given instead, unless the label doses by body surface area.
    """

    dose_mg: Dose
    frequency: NonEmpty
    doses_per_day: Annotated[int, Field(strict=True, ge=1, le=4)] | None = None
    """How many times a day `frequency` gives the dose; None where it is not a daily schedule (infusions on
    days 1, 4 and 7). An order given more often is flagged and checked as its dose a day in this frequency."""
    ramp_up: tuple[Dose, ...] = ()
    with_any: tuple[NonEmpty, ...] = ()
    max_dose_mg: Dose | None = None
    """The label's highest dose where it differs from `dose_mg` (quizartinib: 53 mg in maintenance)."""
    per_body_surface_area: StrictBool = False
    """The label doses in mg/m2 and `dose_mg` only stands for it: an ordered mg dose is not checked, but
    against `cap_per_dose_mg`."""
    cap_per_dose_mg: Dose | None = None
    """For a dose per body surface area, the label's cap on each dose whatever the area (gemtuzumab
    ozogamicin: one 4.5 mg vial): an ordered dose above it is flagged and capped."""
    cap_note: str = ""
    """Where the cap does not apply, said with the finding (another regimen of the label without it)."""
    rationale: NonEmpty
    citations: Citations

    @model_validator(mode="after")
    def _maximum(self) -> StandardDoseSpec:
        if self.max_dose_mg is not None and (self.max_dose_mg <= self.dose_mg or self.per_body_surface_area):
            raise ValueError("max_dose_mg must be above dose_mg, and is not given for a dose per body surface area")
        if self.cap_per_dose_mg is not None and not self.per_body_surface_area:
            raise ValueError("cap_per_dose_mg is for a dose per body surface area; give max_dose_mg otherwise")
        return self


class AlternativesSpec(_Strict):
    """What a source says to use instead of a precipitant (to avoid a dose cut, or the combination)."""

    drugs: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    """Canonical names from drugs.toml."""
    instead_of: tuple[NonEmpty, ...] = ()
    """The precipitants they replace; empty for every drug the rule applies to. A class rule's
    members differ (an echinocandin replaces an azole, not clarithromycin)."""
    note: NonEmpty
    citations: Citations


class _RuleOutcome(_Strict):
    """What every agent rule says when it applies: how serious, what to do, why, what to monitor, and its sources."""

    severity: Severity
    action: Action
    recommendation: NonEmpty
    monitoring: tuple[MonitoringSpec, ...] = ()
    citations: Citations

    _severity = field_validator("severity", mode="before")(lambda v: _enum_by_name(Severity, v))
    _action = field_validator("action", mode="before")(lambda v: _enum_by_name(Action, v))


class InteractionRule(_RuleOutcome):
    """What the agent's label or the review says to do with a precipitant (a class or drugs).

    `avoid_combination` acts on the precipitant (avoid or replace it), never on the agent's dose.
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    precipitant_class: str = ""
    precipitant_drugs: tuple[NonEmpty, ...] = ()
    mechanism: Mechanism | None = None
    """Defaults to the class's mechanism; required for a rule on named drugs."""
    direction: Literal["on_agent", "on_precipitant"] = "on_agent"
    """on_precipitant: the agent changes the other drug (the other drug is the object)."""
    dose: DoseChange | None = None
    ramp_up: tuple[Dose, ...] = ()
    resume: str = ""
    washout_days: Annotated[int, Field(strict=True, ge=0, le=365)] | None = None
    """Days after the precipitant's last dose during which the rule still applies (the label's
    "resume 2-3 days after the inhibitor is stopped" is 3); none given: it applies while stopped too."""
    supersedes: tuple[NonEmpty, ...] = ()
    """Ids of this agent's rules that this one replaces for every drug it applies to: a label row
    that already accounts for the other mechanism (posaconazole's row covers its P-gp inhibition)."""
    alternatives: AlternativesSpec | None = None

    _mechanism = field_validator("mechanism", mode="before")(lambda v: _enum_by_name(Mechanism, v))

    @model_validator(mode="after")
    def _consistent(self) -> InteractionRule:
        if bool(self.precipitant_class) == bool(self.precipitant_drugs):
            raise ValueError("give exactly one of precipitant_class or precipitant_drugs")
        if self.precipitant_drugs and self.mechanism is None:
            raise ValueError("a rule on named drugs needs a mechanism")
        if (self.dose is not None or self.ramp_up) and self.action is not Action.ADJUST_DOSE:
            raise ValueError("dose and ramp_up belong to action adjust_dose only")
        if self.action is Action.ADJUST_DOSE and self.dose is None:
            raise ValueError("action adjust_dose needs a dose change")
        if self.direction == "on_precipitant" and self.action is Action.ADJUST_DOSE:
            raise ValueError("a rule on the other drug cannot adjust the agent's dose")
        if self.action in (Action.HOLD, Action.DISCONTINUE):
            raise ValueError("an interaction acts on the agent's dose (adjust_dose) or on the other drug "
                             "(avoid_combination, monitor); holding the agent belongs to a QTc rule")
        if self.alternatives is not None and self.direction != "on_agent":
            raise ValueError("alternatives replace a precipitant of the agent: direction on_agent only")
        if self.id in self.supersedes:
            raise ValueError("a rule cannot supersede itself")
        return self


class Recovered(_Strict):
    """QTc back to at most `qtc_at_most`, or within `within_baseline_ms` of a known baseline."""

    qtc_at_most: QtcMs
    within_baseline_ms: Annotated[float, Field(gt=0, le=100)]


# "unspecified": the order marks the agent as held without saying why (HoldReason.UNSPECIFIED).
HoldReasonName = Literal["unspecified", "qtc_prolongation", "pancreatitis", "differentiation_syndrome",
                         "other_adverse_reaction", "other"]


class QtcRule(_RuleOutcome):
    """A QTc band (or a hold) and what to do in it; an agent's rules are tried in file order, first match wins.

    Every condition given must hold. Conditions on QTc never match when QTc is unknown, and those on
    the QTc at the hold never match when that is unknown, so that a rule of a conservative reading
    placed after them catches the unknown case.
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    if_held: StrictBool | None = None
    hold_reasons: tuple[HoldReasonName, ...] = ()
    """The rule applies only to an agent held for one of these (the order says why; "unspecified" when it does not)."""
    qtc_at_hold_above: QtcMs | None = None
    qtc_at_hold_at_most: QtcMs | None = None
    qtc_above: QtcMs | None = None
    qtc_at_most: QtcMs | None = None
    qtc_below: QtcMs | None = None
    """Strictly below, for a label's "< 450 ms"."""
    rise_above_baseline_ms: Annotated[float, Field(gt=0, le=200)] | None = None
    recovered: Recovered | None = None
    on_days: tuple[str, ...] = ()
    """Cycle days of the ECG the rule is tied to ("C1D8"); an ECG of unknown day still matches."""
    ordered_dose_at_most: Dose | None = None
    on_first_day: StrictBool | None = None
    """True: only for an order of treatment day 1 (the start: "do not initiate if ..."); the day must be given."""
    dose_mg: Annotated[float, Field(ge=0, le=2000)] | None = None
    """The dose to give (0 while held); None leaves the ordered dose."""
    dose: DoseChange | None = None
    """A reduction of the ordered dose (a label's dose-reduction table), instead of dose_mg."""


    @model_validator(mode="after")
    def _consistent(self) -> QtcRule:
        if self.qtc_above is not None and self.qtc_at_most is not None and self.qtc_at_most <= self.qtc_above:
            raise ValueError("qtc_at_most must be above qtc_above")
        if self.action in (Action.HOLD, Action.AVOID_COMBINATION, Action.DISCONTINUE) and (self.dose_mg or self.dose):
            raise ValueError(f"action {self.action.name.lower()} gives no dose; set dose_mg = 0 or omit it")
        if self.dose is not None and self.dose_mg is not None:
            raise ValueError("give dose_mg or dose, not both")
        if (self.hold_reasons or self.qtc_at_hold_above is not None or self.qtc_at_hold_at_most is not None) and (
                self.if_held is not True):
            raise ValueError("conditions on the hold need if_held = true")
        for label in self.on_days:
            if not DAY_LABEL.match(label):
                raise ValueError(f"day label {label!r} is not of the form C1D8")
        return self


class PatientRule(_RuleOutcome):
    """A label's dose change or warning for a fact about the patient; every matching rule applies.

    Every condition given must hold, and a condition on a value the request does not give (0 or
    empty) never holds: the rule then stays silent, the check makes no assumption.
    """

    CONDITIONS: ClassVar[tuple[str, ...]] = (
        "child_pugh", "bilirubin_uln_above", "transaminases_uln_at_most", "transaminases_uln_above",
        "transaminases_missing", "potassium_below", "magnesium_below", "crcl_below", "wbc_at_least", "wbc_above",
        "congenital_long_qt")
    """The fields that are conditions on the patient: a rule needs one (`on_first_day` is on the order)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    child_pugh: tuple[Literal["A", "B", "C"], ...] = ()
    bilirubin_uln_above: Annotated[float, Field(gt=0)] | None = None
    transaminases_uln_at_most: Annotated[float, Field(gt=0)] | None = None
    """AST and ALT both given and at most this multiple of ULN (a bilirubin rise "without transaminases")."""
    transaminases_uln_above: Annotated[float, Field(gt=0)] | None = None
    """AST or ALT above this multiple of ULN."""
    transaminases_missing: StrictBool | None = None
    """True: AST or ALT is not given (a rule that turns on them asks for them rather than stay silent)."""
    potassium_below: Annotated[float, Field(gt=0)] | None = None
    """Serum potassium (mmol/L) below this."""
    magnesium_below: Annotated[float, Field(gt=0)] | None = None
    """Serum magnesium (mmol/L) below this; with potassium_below, either one low is enough."""
    crcl_below: Annotated[float, Field(gt=0)] | None = None
    """Creatinine clearance (mL/min) below this (a label's renal-impairment band)."""
    wbc_at_least: Annotated[float, Field(gt=0)] | None = None
    wbc_above: Annotated[float, Field(gt=0)] | None = None
    congenital_long_qt: StrictBool | None = None
    on_first_day: StrictBool | None = None
    """True: only for an order of treatment day 1 (the start); the day must be given."""
    dose: DoseChange | None = None


    @model_validator(mode="after")
    def _consistent(self) -> PatientRule:
        if not any(getattr(self, name) for name in self.CONDITIONS):
            raise ValueError("a patient rule needs a condition on the patient")
        if (self.dose is not None) != (self.action is Action.ADJUST_DOSE):
            raise ValueError("action adjust_dose needs a dose change, and only it")
        if self.action is Action.AVOID_COMBINATION:
            raise ValueError("a patient rule acts on the agent: not avoid_combination")
        return self


class ProductsSpec(_Strict):
    """The strengths an agent is sold in: a name stating one of them alone ("Venclexta 100") may name the tablet."""

    strengths_mg: Annotated[tuple[Dose, ...], Field(min_length=1)]
    citations: Citations


class DoseLevelsSpec(_Strict):
    """Every dose the label gives an agent: its dose by phase, and those its dose modifications reduce it to.

    An order at none of them (gilteritinib 100 mg, ivosidenib 400 mg: a slip of the order, or a reduction the
    label does not give) is flagged, to be confirmed; an order above the label's most is flagged already.
    """

    mg: Annotated[tuple[Dose, ...], Field(min_length=1)]
    citations: Citations


class AgentFile(_Strict):
    """`agents/<drug>.toml`: one antileukemic agent's dose, interaction, QTc and monitoring rules."""

    drug: NonEmpty
    summary: NonEmpty
    products: ProductsSpec | None = None
    standard_dose: StandardDoseSpec
    dose_variants: tuple[StandardDoseSpec, ...] = ()
    dose_levels: DoseLevelsSpec | None = None
    interactions: Annotated[tuple[InteractionRule, ...], Field(alias="interaction")] = ()
    qtc_rules: Annotated[tuple[QtcRule, ...], Field(alias="qtc_rule")] = ()
    patient_rules: Annotated[tuple[PatientRule, ...], Field(alias="patient_rule")] = ()
    monitoring: tuple[MonitoringSpec, ...] = ()
    notes: tuple[NonEmpty, ...] = ()
    """Label facts the engine does not act on (boxed warnings, adverse-event handling)."""

    @model_validator(mode="after")
    def _doses_at_its_levels(self) -> AgentFile:
        # The knowledge base's own doses would otherwise be flagged as none of the label's.
        if self.dose_levels is None:
            return self
        given = [dose for spec in (self.standard_dose, *self.dose_variants) if not spec.per_body_surface_area
                 for dose in (spec.dose_mg, spec.max_dose_mg) if dose is not None]
        rules: tuple[InteractionRule | QtcRule | PatientRule, ...] = (*self.interactions, *self.qtc_rules,
                                                                       *self.patient_rules)
        for rule in rules:
            given += [dose for pair in (rule.dose.table if rule.dose else ()) for dose in pair]
            given += [rule.dose.max_mg] if rule.dose and rule.dose.max_mg is not None else []
            given += [rule.dose_mg] if isinstance(rule, QtcRule) and rule.dose_mg else []
        if off := sorted(set(given) - set(self.dose_levels.mg)):
            raise ValueError(f"dose_levels.mg leaves out doses its own rules give: {', '.join(f'{d:g}' for d in off)}")
        return self

    def rule(self, rule_id: str) -> InteractionRule | QtcRule | PatientRule | None:
        """One of the agent's interaction, QTc or patient rules by id (ids are unique within an agent's file)."""
        rules: tuple[InteractionRule | QtcRule | PatientRule, ...] = (*self.interactions, *self.qtc_rules,
                                                                      *self.patient_rules)
        return next((r for r in rules if r.id == rule_id), None)


class DuplicationRule(_Strict):
    """Drugs of one therapeutic class: two or more of them in one regimen are one finding."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    title: NonEmpty
    drugs: Annotated[tuple[NonEmpty, ...], Field(min_length=2)]
    severity: Severity
    action: Literal["monitor", "avoid_combination"]
    recommendation: NonEmpty
    citations: Citations

    _severity = field_validator("severity", mode="before")(lambda v: _enum_by_name(Severity, v))


class QtBurdenRule(_Strict):
    """Several QT-prolonging drugs together (or one with congenital long QT), whatever the agents' own rules.

    Rules are tried in file order, first match wins. It fires only where no agent's own QT rule has
    already spoken for the regimen, so the prescriber sees one QT finding, not two.
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    min_drugs: Annotated[int, Field(strict=True, ge=1, le=10)] = 2
    """QT-prolonging drugs (members of a QT class) present, at least."""
    min_known_risk: Annotated[int, Field(strict=True, ge=0, le=10)] = 0
    """Of which with CredibleMeds' known risk (qt_risk = "known"), at least."""
    congenital_long_qt: StrictBool | None = None
    severity: Severity
    action: Literal["monitor"]
    recommendation: NonEmpty
    monitoring: tuple[MonitoringSpec, ...] = ()
    citations: Citations

    _severity = field_validator("severity", mode="before")(lambda v: _enum_by_name(Severity, v))


class RegimenRulesFile(_Strict):
    """`regimen_rules.toml`: findings about the regimen as a whole rather than one agent."""

    duplications: Annotated[tuple[DuplicationRule, ...], Field(alias="duplication")] = ()
    qt_burden: tuple[QtBurdenRule, ...] = ()


class RegimenSpec(_Strict):
    """A regimen ordered by its name (FLAG-IDA, Aza/Ven): the name reads as each of its components.

    Not a product: in the regimen list, one dose on a regimen's name is its one targeted agent's dose.
    """

    name: NonEmpty
    synonyms: tuple[NonEmpty, ...] = ()
    components: Annotated[tuple[NonEmpty, ...], Field(min_length=2)]
    """Canonical names from drugs.toml."""
    note: str = ""
    citations: Citations


class RegimensFile(_Strict):
    """`regimens.toml`: regimens by name."""

    regimens: Annotated[tuple[RegimenSpec, ...], Field(alias="regimen")] = ()


class SiteSynonymSpec(_Strict):
    """A site's own order name for drugs of the knowledge base, with who added it and why."""

    name: NonEmpty
    drugs: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    author: NonEmpty
    reason: NonEmpty


class SiteOverrideSpec(_Strict):
    """A site's own severity for the findings of one agent's rule, or the rule's suppression.

    Only advice may be overridden (monitor, avoid the combination): never a rule that changes, holds or
    stops the agent's dose, so that a site cannot silently remove a dose reduction (checked at load).
    """

    agent: NonEmpty
    rule: NonEmpty
    """The id of one of the agent's interaction, QTc or patient rules."""
    precipitant: str = ""
    """Narrows an interaction rule's override to one drug it applies to (canonical name); empty for all."""
    severity: Severity | None = None
    suppress: StrictBool = False
    """True: the rule gives no finding (and no monitoring); the override is listed by `kb show` and
    GetKnowledgeBase."""
    author: NonEmpty
    reason: NonEmpty

    _severity = field_validator("severity", mode="before")(lambda v: _enum_by_name(Severity, v))

    @model_validator(mode="after")
    def _one_change(self) -> SiteOverrideSpec:
        if (self.severity is not None) == self.suppress:
            raise ValueError("give exactly one of severity or suppress = true")
        if self.severity is Severity.UNSPECIFIED:
            raise ValueError("a severity override needs a severity: info, minor, moderate, major or contraindicated")
        return self


class SiteFile(_Strict):
    """`site.toml`: a hospital's additions (order names, overrides) to a knowledge base, validated and hashed with it.

    With `extends = "built-in"` the directory holding it needs no other file: the built-in knowledge
    base is used, with the site's additions.
    """

    site: NonEmpty
    extends: Literal["built-in"] | None = None
    synonyms: Annotated[tuple[SiteSynonymSpec, ...], Field(alias="synonym")] = ()
    overrides: Annotated[tuple[SiteOverrideSpec, ...], Field(alias="override")] = ()
