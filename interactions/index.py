"""The engine's index: the knowledge-base files compiled once, at load, into what a check reads.

Each rule is bound to every drug it applies to, with its finding, dose effect, monitoring and
citations built here, so that a check only looks things up. A site's overrides are applied here too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from interactions.model import (
    Action,
    Citation,
    DoseRecommendation,
    Finding,
    HoldReason,
    Mechanism,
    MonitoringSchedule,
    RampStep,
    Severity,
)
from interactions.reader import MedicationReader, normalise
from interactions.schedule import Protocol, compile_protocols
from interactions.schema import (
    AgentFile,
    ClassesFile,
    ClassSpec,
    CombinationSpec,
    DoseChange,
    DrugsFile,
    DrugSpec,
    DuplicationRule,
    InteractionRule,
    JointEffectSpec,
    ManifestFile,
    NamesFile,
    PatientRule,
    QtcRule,
    RegimenRulesFile,
    RegimensFile,
    RegimenSpec,
    SiteFile,
    SourceSpec,
    StandardDoseSpec,
    citations_of,
)


class DoseEffect(NamedTuple):
    """What a finding asks of its object drug's dose: an action and, if any, how the dose changes."""

    action: Action
    change: DoseChange | None
    ramp_up: tuple[float, ...]
    dose_mg: float | None
    """A QTc rule's dose to give; None leaves the ordered dose."""
    finding: Finding
    rank: tuple[int, bool, str]
    """The smallest rank is the most restrictive effect: the highest action; then, below a hold, one
    that sets a dose (its dose is compared with the others' by the engine); then the lowest text."""
    citation_bits: int
    """The finding's citations as bits of its agent's `citations` (ORed, not merged, per request)."""


def dose_effect(action: Action, change: DoseChange | None, ramp_up: tuple[float, ...], dose_mg: float | None,
                finding: Finding, citation_bits: int = 0) -> DoseEffect:
    """A dose effect with its rank."""
    sets_dose = action < Action.HOLD and (change is not None or dose_mg is not None)
    return DoseEffect(action, change, ramp_up, dose_mg, finding, (-action, not sets_dose, finding.recommendation),
                      citation_bits)


_Item = TypeVar("_Item", bound=Hashable)


class Numbered(Generic[_Item]):
    """Things numbered as bits, so that a set of them is one integer.

    A dose cites the union of its findings' citations, and an agent's rules speak of the drugs both
    they and the request name: ORing and ANDing integers per request is much cheaper than merging
    tuples or intersecting sets, and an integer is a key as it is.
    """

    def __init__(self, items: Iterable[_Item]) -> None:
        self._items = tuple(dict.fromkeys(items))
        self._bit = {item: 1 << i for i, item in enumerate(self._items)}

    def bits(self, items: Iterable[_Item]) -> int:
        """The bits of `items`, every one numbered (KeyError otherwise: at load, that is a bug)."""
        bits = 0
        for item in items:
            bits |= self._bit[item]
        return bits

    def bits_of_numbered(self, items: Iterable[_Item]) -> int:
        """The bits of those of `items` that are numbered (a request names many drugs no rule does)."""
        bits = 0
        for item in items:
            bits |= self._bit.get(item, 0)
        return bits

    def decode(self, bits: int) -> tuple[_Item, ...]:
        """The items of `bits`, in numbering order."""
        items = []
        while bits:
            lowest = bits & -bits  # visits only the bits set: a handful among dozens
            items.append(self._items[lowest.bit_length() - 1])
            bits ^= lowest
        return tuple(items)


@dataclass(frozen=True, slots=True)
class PairRule:
    """An interaction rule bound to one precipitant, with its finding built once at load."""

    rule_id: str
    washout_days: int | None
    """Days after a stopped precipitant's last dose during which the rule still applies; None for ever."""
    finding: Finding
    monitoring: tuple[Protocol, ...]
    effect_on_agent: DoseEffect | None
    """None when the rule acts on the other drug (avoid it, or its own exposure changes): the agent's
    dose is not its business."""

    def restated(self, note: str) -> PairRule:
        """The same rule with `note` added to its finding (a stopped drug still counted)."""
        finding = self.finding._replace(recommendation=self.finding.recommendation + note)
        effect = self.effect_on_agent
        return PairRule(self.rule_id, self.washout_days, finding, self.monitoring,
                        None if effect is None else effect._replace(finding=finding))


class Precipitant(NamedTuple):
    """Everything one agent's rules say about one other drug, gathered at load for the engine.

    A tuple, so that the engine can turn a request's precipitants into columns with one `zip`.
    """

    findings: tuple[Finding, ...]
    effects_on_agent: tuple[DoseEffect, ...]
    protocols: tuple[Protocol, ...]
    severity: Severity
    """The highest severity of its findings."""
    rules: tuple[PairRule, ...]
    to_avoid: bool
    """Whether a finding says to avoid or replace this drug while the agent is given."""

    @classmethod
    def of(cls, rules: tuple[PairRule, ...]) -> Precipitant:
        """Gather the rules' findings, dose effects and monitoring."""
        return cls(
            tuple(r.finding for r in rules),
            tuple(r.effect_on_agent for r in rules if r.effect_on_agent is not None),
            tuple(dict.fromkeys(p for r in rules for p in r.monitoring)),
            max(r.finding.severity for r in rules),
            rules,
            any(r.finding.action is Action.AVOID_COMBINATION for r in rules),
        )


@dataclass(frozen=True, slots=True)
class CompiledQtcRule:
    """A QTc rule with its finding built once at load."""

    rule: QtcRule
    finding: Finding
    monitoring: tuple[Protocol, ...]
    effect: DoseEffect
    needs_qtc: bool
    """Whether any condition reads the QTc (such a rule never matches while the QTc is unknown)."""
    hold_reasons: frozenset[int]
    """The `HoldReason` numbers the rule is for; empty for any."""


@dataclass(frozen=True, slots=True)
class CompiledPatientRule:
    """A patient rule with its finding built once at load."""

    rule: PatientRule
    finding: Finding
    monitoring: tuple[Protocol, ...]
    effect: DoseEffect


@dataclass(frozen=True, slots=True)
class StandardDose:
    """A labelled dose with its ramp-up and citations in domain form, built once at load."""

    dose_mg: float
    ramp_up_mg: tuple[float, ...]
    ramp_up: tuple[RampStep, ...]
    """`ramp_up_mg` as numbered days, as an answer gives it."""
    with_any: tuple[str, ...]
    """The partners that select this variant; empty for the default dose."""
    rationale: str
    citations: tuple[Citation, ...]
    maximum: float
    """The label's highest dose in force; an ordered dose above it takes `above_label`."""
    above_label: DoseEffect | None
    """The labelled dose instead of an ordered dose above the maximum, with its finding; None for a dose
    per body surface area (an ordered mg dose cannot be compared with it)."""
    doses_per_day: int | None
    """How many times a day the label gives it; None where it is not a daily schedule."""
    per_body_surface_area: bool
    """Dosed per m2: `dose_mg` then stands for the label's dose (its cap), not one to give whatever the patient."""


class JointEffect(NamedTuple):
    """Drugs acting as a class only together (a `JointEffectSpec`): present in a request, as `name`, when all are."""

    name: str
    drugs: tuple[str, ...]
    needed: int
    """`drugs` as bits of `KnowledgeBase.drug_bits`."""
    bit: int
    """The pair's own bit, added to a request's drugs when all of `needed` are there."""


class AgentOutcome(NamedTuple):
    """What one agent's rules say in one check: its findings, their highest severity, its dose and schedules."""

    finding_groups: tuple[tuple[Finding, ...], ...]
    highest_severity: Severity
    dose: DoseRecommendation
    schedules: tuple[MonitoringSchedule, ...]


class Duplications(NamedTuple):
    """The duplication findings of one combination of drugs, and the drugs each one is to be avoided with."""

    findings: tuple[Finding, ...]
    avoid_with: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Agent:
    """One antileukemic agent's rules, indexed for the engine."""

    name: str
    spec: AgentFile
    precipitants: dict[str, Precipitant]
    """Every other drug the agent interacts with -> what its rules say about that drug."""
    interacting: int
    """The keys of `precipitants` as bits of `KnowledgeBase.drug_bits`, to AND with a request's drugs."""
    qtc_rules: tuple[CompiledQtcRule, ...]
    patient_rules: tuple[CompiledPatientRule, ...]
    monitoring: tuple[Protocol, ...]
    standard_doses: tuple[StandardDose, ...]
    """The partner-specific variants in file order, then the default."""
    citations: Numbered[Citation]
    """Every citation of the agent's dose effects, for `DoseEffect.citation_bits`."""
    product_strengths: tuple[float, ...]
    """The strengths it is sold in, smallest first: a name stating one alone may name the tablet, not the dose."""
    dose_levels: tuple[float, ...]
    """Every dose its label gives (`schema.DoseLevelsSpec`); empty where the knowledge base lists none."""
    off_level: DoseEffect | None
    """What is said of an order at none of `dose_levels` (to be confirmed; its dose stands)."""
    outcomes: dict[tuple[object, ...], AgentOutcome] = field(default_factory=dict, compare=False, repr=False)
    """The engine's memory of what its rules said for recurring combinations (`engine._remembered_outcome`)."""


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """The validated, indexed knowledge base. Built by `load_knowledge_base`.

    Never mutated but for the engine's memory (`duplications_found`, each agent's `outcomes`).
    """

    version: str
    title: str
    content_hash: str
    sources: tuple[SourceSpec, ...]
    drugs: tuple[DrugSpec, ...]
    combinations: tuple[CombinationSpec, ...]
    classes: tuple[ClassSpec, ...]
    agents: Mapping[str, Agent]
    drug_by_name: Mapping[str, DrugSpec]
    classes_of: Mapping[str, frozenset[str]]
    drugs_by_code: Mapping[tuple[str, str], tuple[str, ...]]
    """(system, code) -> the canonical drugs the code stands for (a combination's components)."""
    regimen_rules: RegimenRulesFile
    duplication_groups: tuple[tuple[DuplicationRule, frozenset[str]], ...]
    """Each duplication rule with its drugs as a set, intersected with a request's in C."""
    duplicable: int
    """The drugs of the duplication rules, as bits of `drug_bits`."""
    qt_drugs: frozenset[str]
    """Members of a QT-prolonging class."""
    known_qt_risk: frozenset[str]
    """Drugs of CredibleMeds' known-risk tier."""
    resolver: MedicationReader = field(repr=False)
    drug_bits: Numbered[str] = field(repr=False)
    """The drugs a check looks for (an agent's rule or a duplication rule names them), numbered in name
    order, so that their bits decode into that order."""
    site: SiteFile | None = None
    """The site's additions: its order names, and its overrides (already applied to the agents' rules)."""
    regimens: tuple[RegimenSpec, ...] = ()
    """Regimens by name (regimens.toml); their names read as their components."""
    joint_effects: tuple[JointEffect, ...] = ()
    """Drugs that act as a class only together (classes.toml `joint_effect`), in the engine's terms."""
    joint_effect_specs: tuple[JointEffectSpec, ...] = ()
    """The same as written, for curators (`describe`, `kb_diff`)."""
    duplications_found: dict[int, Duplications] = field(default_factory=dict, compare=False, repr=False)
    """The engine's memory of the duplications of recurring combinations (`engine._remembered_duplications`)."""



class SiteOverrides:
    """A site's overrides, applied to the findings as the agents' rules are compiled (never per request)."""

    def __init__(self, site: SiteFile | None) -> None:
        self._site = site.site if site is not None else ""
        self._by_rule = {(o.agent, o.rule, o.precipitant): o for o in site.overrides} if site is not None else {}

    def apply(self, agent: str, rule_id: str, precipitant: str, finding: Finding) -> Finding | None:
        """The finding as the site has it: None when the rule is suppressed; a new severity says so in the text.

        An override narrowed to the precipitant wins over one for the whole rule.
        """
        override = self._by_rule.get((agent, rule_id, precipitant)) or self._by_rule.get((agent, rule_id, ""))
        if override is None:
            return finding
        if override.severity is None:  # suppressed (the schema allows exactly one of the two)
            return None
        note = (f" Site override ({self._site}, {override.author}): severity changed from "
                f"{finding.severity.name.lower()} to {override.severity.name.lower()} \u2014 {override.reason}")
        return finding._replace(severity=override.severity, recommendation=finding.recommendation + note)



def build_index(manifest: ManifestFile, names: NamesFile, drugs: DrugsFile, classes: ClassesFile,
           agents: list[AgentFile], regimen_rules: RegimenRulesFile, site: SiteFile | None,
           content_hash: str, regimens: RegimensFile, cache: Path | None = None) -> KnowledgeBase:
    """Turn validated files into the look-up structures the engine reads (`cache`: see `load_knowledge_base`)."""
    classes_of: dict[str, set[str]] = {d.name: set() for d in drugs.drugs}
    # Drugs acting as a class only together are one more member of it, under the pair's name; a check adds
    # the pair to the request's drugs when all of its drugs are there.
    members_of = {c.id: frozenset((*c.members, *(j.name for j in classes.joint_effects if c.id in j.classes)))
                  for c in classes.classes}
    mechanism_of = {c.id: c.mechanism for c in classes.classes}
    for spec in classes.classes:
        for member in spec.members:
            classes_of[member].add(spec.id)

    lexicon: dict[str, tuple[str, ...]] = {}
    components_of = {c.name: c.components for c in drugs.combinations}
    for drug in drugs.drugs:
        # A drug sold only inside a product stands for the whole product: its partners are taken too.
        product = components_of[drug.sold_only_in] if drug.sold_only_in else (drug.name,)
        for alias in (drug.name, *drug.synonyms, *(brand.name for brand in drug.local_brands)):
            lexicon[normalise(alias)] = product
    for combination in drugs.combinations:
        for alias in (combination.name, *combination.synonyms):
            lexicon[normalise(alias)] = combination.components
    regimen_of = {normalise(alias): r.name for r in regimens.regimens for alias in (r.name, *r.synonyms)}
    for regimen in regimens.regimens:
        for alias in (regimen.name, *regimen.synonyms):
            lexicon[normalise(alias)] = regimen.components

    overrides = SiteOverrides(site)
    # The drugs a check looks for: those a rule names, itself or by its class. Numbered alone, a request's
    # drugs make 8-digit integers instead of 21 (all drugs): 5 + 30 compiled 21.1 -> 20.7 µs
    # (bench.engine.time_checks on bench.peer's regimens, alternating runs).
    named = {drug for a in agents for rule in a.interactions
             for drug in (*rule.precipitant_drugs, *members_of.get(rule.precipitant_class, ()))}
    named.update(drug for rule in regimen_rules.duplications for drug in rule.drugs)
    # A pair is numbered even when no rule names its class: a check then finds nothing to say of it.
    named.update(name for joint in classes.joint_effects for name in (joint.name, *joint.drugs))
    drug_bits = Numbered(sorted(named))
    resolver = MedicationReader(
        lexicon=lexicon,
        display={normalise(d.name): d.name for d in drugs.drugs}
        | {normalise(c.name): c.name for c in drugs.combinations}
        | {normalise(r.name): r.name for r in regimens.regimens},
        names=names,
        exact={s.name: s.drugs for s in site.synonyms} if site is not None else None,
        regimens=regimen_of,
        combined={frozenset(d.ingredients): d.name for d in drugs.drugs if d.ingredients},
        shared_brands=[(brand, d.name) for d in drugs.drugs for brand in d.shared_brands],
        local_brands={brand.name: brand.form for d in drugs.drugs for brand in d.local_brands},
        # A regimen is no product: a number after its name is a dose, never a product number.
        premixed=frozenset(d.name for d in drugs.drugs if d.premixes),
        unnumbered=[alias for d in drugs.drugs if not d.numbered_products for alias in d.synonyms]
        + [alias for r in regimens.regimens for alias in (r.name, *r.synonyms)],
        interacting=frozenset(named) | {a.drug for a in agents},
        agents=frozenset(a.drug for a in agents),
        broad_cache=cache,
    )
    joints = {j.name: j for j in classes.joint_effects}
    compiled = {a.drug: _compile_agent(a, [*(d.name for d in drugs.drugs if d.name in named), *joints], drug_bits,
                                       members_of, mechanism_of, joints, overrides)
                for a in agents}
    return KnowledgeBase(
        version=manifest.version,
        title=manifest.title,
        content_hash=content_hash,
        sources=manifest.sources,
        drugs=drugs.drugs,
        combinations=drugs.combinations,
        classes=classes.classes,
        agents=compiled,
        drug_by_name={d.name: d for d in drugs.drugs},
        classes_of={name: frozenset(ids) for name, ids in classes_of.items()},
        drugs_by_code=_drugs_by_code(drugs, lexicon),
        regimen_rules=regimen_rules,
        duplication_groups=tuple((rule, frozenset(rule.drugs)) for rule in regimen_rules.duplications),
        duplicable=drug_bits.bits(drug for rule in regimen_rules.duplications for drug in rule.drugs),
        qt_drugs=frozenset(m for c in classes.classes if c.mechanism is Mechanism.QT_PROLONGATION for m in c.members),
        known_qt_risk=frozenset(d.name for d in drugs.drugs if d.qt_risk == "known"),
        resolver=resolver,
        drug_bits=drug_bits,
        site=site,
        regimens=regimens.regimens,
        joint_effect_specs=classes.joint_effects,
        joint_effects=tuple(JointEffect(j.name, j.drugs, drug_bits.bits(j.drugs), drug_bits.bits((j.name,)))
                            for j in classes.joint_effects),
    )


def _drugs_by_code(drugs: DrugsFile, lexicon: Mapping[str, tuple[str, ...]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(system, code) -> what the code stands for.

    A drug's code stands for what its name reads as (a whole product for a drug sold only in one); a
    combination's code for its components.
    """
    by_code: dict[tuple[str, str], tuple[str, ...]] = {}
    for drug in drugs.drugs:
        for code in drug.codes:
            by_code[code.system, code.code] = lexicon[normalise(drug.name)]
    for combination in drugs.combinations:
        for code in combination.codes:
            by_code[code.system, code.code] = combination.components
    return by_code


def _rule_mechanism(rule: InteractionRule, mechanism_of: Mapping[str, Mechanism]) -> Mechanism:
    if rule.mechanism is not None:
        return rule.mechanism
    return mechanism_of[rule.precipitant_class]


def rules_for(agent: AgentFile, other: str, members_of: Mapping[str, frozenset[str]],
               mechanism_of: Mapping[str, Mechanism]) -> list[int]:
    """The indices of the agent's interaction rules that apply to `other`, in file order.

    A rule naming a drug shadows a class rule of the same mechanism for that drug: the label's
    drug-specific instruction is the more exact one. A rule superseded by one that applies is left out.
    """
    named = [r for r in agent.interactions if other in r.precipitant_drugs]
    shadowed = {_rule_mechanism(r, mechanism_of) for r in named}
    by_class = [r for r in agent.interactions
                if r.precipitant_class and other in members_of[r.precipitant_class]
                and _rule_mechanism(r, mechanism_of) not in shadowed]
    superseded = {rule_id for r in (*named, *by_class) for rule_id in r.supersedes}
    return [i for i, r in enumerate(agent.interactions) if (r in named or r in by_class) and r.id not in superseded]


def _compile_agent(agent: AgentFile, all_drugs: list[str], drug_bits: Numbered[str],
                   members_of: Mapping[str, frozenset[str]], mechanism_of: Mapping[str, Mechanism],
                   joints: Mapping[str, JointEffectSpec], overrides: SiteOverrides) -> Agent:
    """Bind each rule to each drug it applies to, with the site's overrides applied to its findings.

    A rule reaching a pair of drugs that act as its class only together says why, and cites it too.
    """
    # One set of protocols and citations per rule, shared by every drug the rule applies to, so that
    # a request's schedule can be de-duplicated (and cached) by identity.
    protocols = [compile_protocols(rule.monitoring) for rule in agent.interactions]
    citations = [citations_of(rule.citations + (rule.alternatives.citations if rule.alternatives else ()))
                 for rule in agent.interactions]
    qtc_citations = [citations_of(rule.citations) for rule in agent.qtc_rules]
    patient_citations = [citations_of(rule.citations) for rule in agent.patient_rules]
    dose_specs = (*agent.dose_variants, agent.standard_dose)
    dose_citations = [citations_of(spec.citations) for spec in dose_specs]
    joint_citations = {name: citations_of(joint.citations) for name, joint in joints.items()}
    level_citations = citations_of(agent.dose_levels.citations) if agent.dose_levels else ()
    citation_set = Numbered(chain.from_iterable((*citations, *qtc_citations, *patient_citations,
                                                 *dose_citations, *joint_citations.values(), level_citations)))
    precipitants: dict[str, Precipitant] = {}
    for other in all_drugs:
        if other == agent.drug:
            continue
        joint = joints.get(other)
        extra = joint_citations.get(other, ())
        # A pair acts on the agent as its class does; the rules on the other drug's own exposure are each drug's.
        pairs = [pair for i in rules_for(agent, other, members_of, mechanism_of)
                 if (joint is None or agent.interactions[i].direction == "on_agent")
                 and (pair := _pair_rule(agent.drug, other, agent.interactions[i], protocols[i], citations[i] + extra,
                                        citation_set.bits(citations[i] + extra),
                                        _rule_mechanism(agent.interactions[i], mechanism_of), overrides,
                                        joint.note if joint else ""))]
        if pairs:
            precipitants[other] = Precipitant.of(tuple(pairs))
    qtc_rules = tuple(_qtc_rule(agent.drug, rule, cited, citation_set.bits(cited), overrides)
                      for rule, cited in zip(agent.qtc_rules, qtc_citations, strict=True))
    patient_rules = tuple(compiled for rule, cited in zip(agent.patient_rules, patient_citations, strict=True)
                          if (compiled := _patient_rule(agent.drug, rule, cited, citation_set.bits(cited), overrides)))
    standard_doses = tuple(_standard_dose(agent.drug, spec, cited, citation_set.bits(cited))
                           for spec, cited in zip(dose_specs, dose_citations, strict=True))
    levels = tuple(sorted(agent.dose_levels.mg, reverse=True)) if agent.dose_levels else ()
    off_level = _off_level(agent.drug, levels, level_citations, citation_set.bits(level_citations)) if levels else None
    return Agent(agent.drug, agent, precipitants, drug_bits.bits(precipitants), qtc_rules, patient_rules,
                 compile_protocols(agent.monitoring), standard_doses, citation_set,
                 tuple(sorted(agent.products.strengths_mg)) if agent.products else (), levels, off_level)


def _off_level(agent: str, levels: tuple[float, ...], citations: tuple[Citation, ...],
               citation_bits: int) -> DoseEffect:
    """What is said of an order at none of the label's doses: confirm it; checked as ordered, its dose stands."""
    *higher, lowest = (f"{level:g}" for level in levels)
    said = f"{', '.join(higher)} or {lowest}" if higher else lowest
    finding = Finding(agent, "", (Mechanism.LABELLED_DOSE,), Severity.MODERATE, Action.MONITOR, (
        f"The ordered {agent} dose is none of the doses its label gives ({said} mg): confirm it with the prescriber "
        "(a slip in the order, or a reduction the label does not give). It is checked as ordered."),
        citations, rule=f"{agent}/dose-level")
    return dose_effect(Action.MONITOR, None, (), None, finding, citation_bits)


def _standard_dose(agent: str, spec: StandardDoseSpec, citations: tuple[Citation, ...],
                   citation_bits: int) -> StandardDose:
    """A labelled dose with the finding for an ordered dose above its maximum (kb-review G7)."""
    maximum = spec.cap_per_dose_mg or spec.max_dose_mg or spec.dose_mg
    above_label = None
    if spec.cap_per_dose_mg is not None:
        finding = Finding(agent, "", (Mechanism.LABELLED_DOSE,), Severity.MAJOR, Action.ADJUST_DOSE, (
            f"The ordered {agent} dose is above the label's cap of {maximum:g} mg per dose, whatever the body "
            f"surface area: give at most {maximum:g} mg. {spec.rationale} {spec.cap_note}".rstrip()), citations,
            rule=f"{agent}/labelled-dose")
        above_label = dose_effect(Action.ADJUST_DOSE, None, (), maximum, finding, citation_bits)
    elif not spec.per_body_surface_area:
        most = f"the label's maximum of {maximum:g} mg" if spec.max_dose_mg else "the labelled dose"
        finding = Finding(agent, "", (Mechanism.LABELLED_DOSE,), Severity.MAJOR, Action.ADJUST_DOSE, (
            # The rationale states the labelled dose's frequency: said once, there.
            f"The ordered {agent} dose is above {most} for this regimen: give {spec.dose_mg:g} mg. {spec.rationale}"),
            citations, rule=f"{agent}/labelled-dose")
        above_label = dose_effect(Action.ADJUST_DOSE, None, (), spec.dose_mg, finding, citation_bits)
    return StandardDose(spec.dose_mg, spec.ramp_up, ramp_steps(spec.ramp_up), spec.with_any, spec.rationale,
                        citations, maximum, above_label, spec.doses_per_day, spec.per_body_surface_area)


def _patient_rule(agent: str, rule: PatientRule, citations: tuple[Citation, ...], citation_bits: int,
                  overrides: SiteOverrides) -> CompiledPatientRule | None:
    finding = overrides.apply(agent, rule.id, "", Finding(
        agent, "", (Mechanism.PATIENT_FACTOR,), rule.severity, rule.action, rule.recommendation, citations,
        rule=f"{agent}/{rule.id}"))
    if finding is None:
        return None
    return CompiledPatientRule(rule, finding, compile_protocols(rule.monitoring),
                               dose_effect(rule.action, rule.dose, (), None, finding, citation_bits))


def _pair_rule(agent: str, other: str, rule: InteractionRule, protocols: tuple[Protocol, ...],
               citations: tuple[Citation, ...], citation_bits: int, mechanism: Mechanism,
               overrides: SiteOverrides, why: str) -> PairRule | None:
    object_drug, precipitant = (agent, other) if rule.direction == "on_agent" else (other, agent)
    text = f"{why} {rule.recommendation} {rule.resume}".strip()
    alternatives = rule.alternatives
    if alternatives is not None and (not alternatives.instead_of or other in alternatives.instead_of):
        text = f"{text} Instead of {other}: {alternatives.note}"
        finding = Finding(object_drug, precipitant, (mechanism,), rule.severity, rule.action, text, citations,
                          alternatives.drugs, rule=f"{agent}/{rule.id}")
    else:
        finding = Finding(object_drug, precipitant, (mechanism,), rule.severity, rule.action, text, citations,
                          rule=f"{agent}/{rule.id}")
    overridden = overrides.apply(agent, rule.id, other, finding)
    if overridden is None:
        return None
    finding = overridden
    acts_on_agent = rule.direction == "on_agent" and rule.action is not Action.AVOID_COMBINATION
    effect = (dose_effect(rule.action, rule.dose, rule.ramp_up, None, finding, citation_bits)
              if acts_on_agent else None)
    return PairRule(rule.id, rule.washout_days, finding, protocols, effect)


def _qtc_rule(agent: str, rule: QtcRule, citations: tuple[Citation, ...], citation_bits: int,
              overrides: SiteOverrides) -> CompiledQtcRule:
    finding = overrides.apply(agent, rule.id, "", Finding(
        agent, "", (Mechanism.QTC_THRESHOLD,), rule.severity, rule.action, rule.recommendation, citations,
        rule=f"{agent}/{rule.id}"))
    assert finding is not None, "a QTc rule cannot be suppressed (refused at load)"
    needs_qtc = any(condition is not None for condition in (
        rule.qtc_above, rule.qtc_at_most, rule.qtc_below, rule.rise_above_baseline_ms, rule.recovered))
    return CompiledQtcRule(rule, finding, compile_protocols(rule.monitoring),
                           dose_effect(rule.action, rule.dose, (), rule.dose_mg, finding, citation_bits), needs_qtc,
                           frozenset(HoldReason[reason.upper()] for reason in rule.hold_reasons))



@lru_cache(maxsize=1024)
def ramp_steps(doses: tuple[float, ...]) -> tuple[RampStep, ...]:
    """A ramp-up's doses as numbered days; ramp-ups repeat from request to request, so each is built once.

    Here rather than in the engine: the labelled doses' ramp-ups are built with it at load, and the
    engine imports this module (not the other way round).
    """
    return tuple(RampStep(day, dose) for day, dose in enumerate(doses, start=1))
