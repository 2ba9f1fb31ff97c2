"""Loading the knowledge-base files: parse, validate, cross-check, hash and index them once."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from interactions.model import Action, Citation, Finding, HoldReason, Mechanism, RampStep, Severity
from interactions.reader import MedicationReader, normalise
from interactions.schedule import Protocol, compile_protocols
from interactions.schema import (
    AgentFile,
    CitationSpec,
    ClassesFile,
    ClassSpec,
    CombinationSpec,
    DoseChange,
    DrugsFile,
    DrugSpec,
    DuplicationRule,
    InteractionRule,
    ManifestFile,
    MonitoringSpec,
    NamesFile,
    PatientRule,
    QtcRule,
    RegimenRulesFile,
    RegimensFile,
    RegimenSpec,
    SiteFile,
    SiteOverrideSpec,
    SourceSpec,
    StandardDoseSpec,
    citations_of,
)

AGENTS_DIR = "agents"
REGIMEN_RULES = "regimen_rules.toml"
REGIMENS = "regimens.toml"
SITE_FILE = "site.toml"
_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the knowledge-base files, located precisely enough to fix it."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message}" if self.location else f"{self.file}: {self.message}"


class KnowledgeBaseError(Exception):
    """The knowledge base did not load; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
    """The finding's citations as bits of its agent's `CitationSet` (ORed, not merged, per request)."""


def dose_effect(action: Action, change: DoseChange | None, ramp_up: tuple[float, ...], dose_mg: float | None,
                finding: Finding, citation_bits: int = 0) -> DoseEffect:
    """A dose effect with its rank."""
    sets_dose = action < Action.HOLD and (change is not None or dose_mg is not None)
    return DoseEffect(action, change, ramp_up, dose_mg, finding, (-action, not sets_dose, finding.recommendation),
                      citation_bits)


class CitationSet:
    """An agent's citations, numbered as bits.

    A dose cites the union of its findings' citations; ORing integers per request is much cheaper
    than merging tuples.
    """

    def __init__(self, citations: Iterable[Citation]) -> None:
        self._citations = tuple(dict.fromkeys(citations))
        self._bit = {citation: 1 << i for i, citation in enumerate(self._citations)}

    def bits(self, citations: Iterable[Citation]) -> int:
        """The bits of some of the agent's citations."""
        bits = 0
        for citation in citations:
            bits |= self._bit[citation]
        return bits

    def decode(self, bits: int) -> tuple[Citation, ...]:
        """The citations of `bits`, in the order of the agent's file."""
        citations = []
        while bits:
            lowest = bits & -bits  # visits only the bits set: a handful among dozens
            citations.append(self._citations[lowest.bit_length() - 1])
            bits ^= lowest
        return tuple(citations)


@dataclass(frozen=True, slots=True)
class PairRule:
    """An interaction rule bound to one precipitant, with its finding built once at load."""

    rule: InteractionRule
    finding: Finding
    monitoring: tuple[Protocol, ...]
    effect_on_agent: DoseEffect | None
    """None when the rule acts on the other drug (avoid it, or its own exposure changes): the agent's
    dose is not its business."""

    def restated(self, note: str) -> PairRule:
        """The same rule with `note` added to its finding (a stopped drug still counted)."""
        finding = self.finding._replace(recommendation=self.finding.recommendation + note)
        effect = self.effect_on_agent
        return PairRule(self.rule, finding, self.monitoring,
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

    spec: StandardDoseSpec
    ramp_up: tuple[RampStep, ...]
    citations: tuple[Citation, ...]
    maximum: float
    """The label's highest dose in force; an ordered dose above it takes `above_label`."""
    above_label: DoseEffect | None
    """The labelled dose instead of an ordered dose above the maximum, with its finding; None for a dose
    per body surface area (an ordered mg dose cannot be compared with it)."""


@dataclass(frozen=True, slots=True)
class Agent:
    """One antileukemic agent's rules, indexed for the engine."""

    name: str
    spec: AgentFile
    precipitants: dict[str, Precipitant]
    """Every other drug the agent interacts with -> what its rules say about that drug."""
    qtc_rules: tuple[CompiledQtcRule, ...]
    patient_rules: tuple[CompiledPatientRule, ...]
    monitoring: tuple[Protocol, ...]
    standard_doses: tuple[StandardDose, ...]
    """The partner-specific variants in file order, then the default."""
    citations: CitationSet
    """Every citation of the agent's dose effects, for `DoseEffect.citation_bits`."""


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """The validated, indexed knowledge base. Built by `load_knowledge_base`; never mutated."""

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
    qt_drugs: frozenset[str]
    """Members of a QT-prolonging class."""
    known_qt_risk: frozenset[str]
    """Drugs of CredibleMeds' known-risk tier."""
    resolver: MedicationReader = field(repr=False)
    site: SiteFile | None = None
    """The site's additions: its order names, and its overrides (already applied to the agents' rules)."""
    regimens: tuple[RegimenSpec, ...] = ()
    """Regimens by name (regimens.toml); their names read as their components."""


@dataclass(frozen=True, slots=True)
class DrugDescription:
    """What the knowledge base knows of one name, for curators (`dosecheck kb show`)."""

    query: str
    resolves_to: tuple[str, ...]
    kind: str
    synonyms: tuple[str, ...]
    classes: tuple[str, ...]
    class_notes: tuple[str, ...]
    note: str
    agent_summary: str
    rules: tuple[str, ...]
    """One line per rule that involves the drug: `agent <- precipitant: action (source)`."""
    suggestions: tuple[str, ...]
    site_overrides: tuple[str, ...] = ()
    """One line per site override of a rule that involves the drug (a suppressed rule is in no `rules`)."""


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


def default_data_dir() -> Path:
    """The knowledge base shipped inside the package."""
    return Path(str(resources.files("interactions") / "data"))


def load_knowledge_base(path: Path | None = None) -> KnowledgeBase:
    """Load, validate and index a knowledge base.

    Args:
        path: a directory laid out like `interactions/data`, or a site directory holding only a
            `site.toml` that extends the built-in one; None for the embedded default.

    Returns:
        The indexed knowledge base.

    Raises:
        KnowledgeBaseError: with every problem found (file, location, message).
    """
    root = path or default_data_dir()
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeBaseError([Problem(str(root), "", "not a directory")])
    site = _read(root, SITE_FILE, SiteFile, problems) if (root / SITE_FILE).exists() else None
    site_root = root
    if site is not None and site.extends == "built-in":
        root = default_data_dir()

    manifest = _read(root, "manifest.toml", ManifestFile, problems)
    names = _read(root, "names.toml", NamesFile, problems)
    drugs = _read(root, "drugs.toml", DrugsFile, problems)
    classes = _read(root, "classes.toml", ClassesFile, problems)
    agent_paths = sorted((root / AGENTS_DIR).glob("*.toml")) if (root / AGENTS_DIR).is_dir() else []
    if not agent_paths:
        problems.append(Problem(f"{AGENTS_DIR}/", "", "no agent files"))
    agents = [_read(root, f"{AGENTS_DIR}/{p.name}", AgentFile, problems) for p in agent_paths]
    # Optional: a site's knowledge base from before regimen rules has none.
    regimen_rules = (_read(root, REGIMEN_RULES, RegimenRulesFile, problems) if (root / REGIMEN_RULES).exists()
                     else RegimenRulesFile())
    regimens = _read(root, REGIMENS, RegimensFile, problems) if (root / REGIMENS).exists() else RegimensFile()
    if manifest is None or names is None or drugs is None or classes is None or (
            site is None and (site_root / SITE_FILE).exists()):
        raise KnowledgeBaseError(problems)

    loaded_agents = [(f"{AGENTS_DIR}/{p.name}", a) for p, a in zip(agent_paths, agents, strict=True) if a]
    problems.extend(_cross_check(manifest, drugs, classes, loaded_agents))
    if regimen_rules is not None:
        problems.extend(_check_regimen_rules(regimen_rules, {d.name for d in drugs.drugs},
                                             {s.id for s in manifest.sources}))
    if regimens is not None:
        problems.extend(_check_regimens(regimens, drugs, {s.id for s in manifest.sources}))
    for location, cited in names.cited():
        problems.extend(_unknown_sources("names.toml", location, cited, {s.id for s in manifest.sources}))
    if site is not None:
        problems.extend(_check_site(site, drugs, classes, [a for _, a in loaded_agents]))
    if problems:
        raise KnowledgeBaseError(problems)

    # A problem reading either was raised above.
    assert regimen_rules is not None
    assert regimens is not None
    content_hash = _content_hash(root, site_root / SITE_FILE if site is not None else None)
    return _index(manifest, names, drugs, classes, [a for _, a in loaded_agents], regimen_rules, site, content_hash,
                  regimens)


def _read(root: Path, relative: str, model: type[_Model], problems: list[Problem]) -> _Model | None:
    """Parse one TOML file into its model, adding every problem to `problems`."""
    try:
        raw = tomllib.loads((root / relative).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(relative, "", "file missing"))
        return None
    except OSError as error:  # a directory where the file should be, no permission
        problems.append(Problem(relative, "", f"cannot be read: {error.strerror or error}"))
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problems.append(Problem(relative, "", f"not valid TOML: {error}"))
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            problems.append(Problem(relative, _location(item["loc"]), item["msg"]))
        return None


def _location(loc: tuple[int | str, ...]) -> str:
    """pydantic's ("interaction", 4, "dose") as the files' readers write it: interaction[4].dose."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _content_hash(root: Path, site_file: Path | None) -> str:
    """SHA-256 over every file's relative path and bytes (the site's file too), so any edit changes the hash."""
    digest = hashlib.sha256()
    files = [(p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*.toml")) if p.is_file()]
    if site_file is not None and site_file.parent != root:
        files.append((SITE_FILE, site_file))
    for relative, file in files:
        digest.update(relative.encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return f"sha256:{digest.hexdigest()}"


def _check_site(site: SiteFile, drugs: DrugsFile, classes: ClassesFile, agents: list[AgentFile]) -> Iterator[Problem]:
    """Site synonyms name known drugs, once, never a name the dictionary gives to others; overrides are valid."""
    drug_names = {d.name for d in drugs.drugs}
    owners: dict[str, tuple[str, ...]] = {}
    for drug in drugs.drugs:
        for alias in (drug.name, *drug.synonyms):
            owners[normalise(alias)] = (drug.name,)
    for combination in drugs.combinations:
        for alias in (combination.name, *combination.synonyms):
            owners[normalise(alias)] = combination.components
    yield from _duplicates(SITE_FILE, "synonym", [normalise(s.name) for s in site.synonyms])
    for i, synonym in enumerate(site.synonyms):
        yield from _unknown_drugs(SITE_FILE, f"synonym[{i}].drugs", synonym.drugs, drug_names)
        known = owners.get(normalise(synonym.name))
        if known is not None and set(known) != set(synonym.drugs):
            yield Problem(SITE_FILE, f"synonym[{i}].name",
                          f"{synonym.name!r} already names {' + '.join(known)} in the knowledge base")
    yield from _check_overrides(site.overrides, drug_names, classes, agents)


def _check_overrides(overrides: tuple[SiteOverrideSpec, ...], drug_names: set[str], classes: ClassesFile,
                     agents: list[AgentFile]) -> Iterator[Problem]:
    """Each override names an agent's rule (and a drug that rule applies to) whose findings are advice only."""
    by_agent = {a.drug: a for a in agents}
    members_of = {c.id: frozenset(c.members) for c in classes.classes}
    mechanism_of = {c.id: c.mechanism for c in classes.classes}
    yield from _duplicates(SITE_FILE, "override", [f"{o.agent} {o.rule} {o.precipitant}".strip() for o in overrides])
    for i, override in enumerate(overrides):
        where = f"override[{i}]"
        agent = by_agent.get(override.agent)
        if agent is None:
            yield Problem(SITE_FILE, f"{where}.agent", f"unknown agent {override.agent!r} (no file in {AGENTS_DIR}/)")
            continue
        rule = _agent_rule(agent, override.rule)
        if rule is None:
            yield Problem(SITE_FILE, f"{where}.rule", f"{agent.drug} has no rule {override.rule!r}")
            continue
        # A site may tune how loudly advice is given; it must never silently remove or soften a change to
        # the agent's dose (a reduction, a hold, a stop): those follow the label, whatever the severity.
        if rule.action in (Action.ADJUST_DOSE, Action.HOLD, Action.DISCONTINUE) or rule.dose is not None or (
                isinstance(rule, QtcRule) and rule.dose_mg is not None):
            yield Problem(SITE_FILE, f"{where}.rule",
                          f"{rule.id} sets the {agent.drug} dose ({rule.action.name.lower()}): a site may override "
                          "only advice (monitor, avoid the combination), never a rule that changes, holds or stops "
                          "the agent's dose")
        if override.suppress and isinstance(rule, QtcRule):
            # First match wins among QTc rules: without this one, its band would fall to the next rule.
            yield Problem(SITE_FILE, f"{where}.suppress",
                          f"{rule.id} is a QTc rule: QTc rules are tried in order and its band would fall to the "
                          "next one; change its severity instead")
        if override.severity is not None and override.severity == rule.severity:
            yield Problem(SITE_FILE, f"{where}.severity",
                          f"{rule.id} already has severity {rule.severity.name.lower()}")
        if not override.precipitant:
            continue
        if not isinstance(rule, InteractionRule):
            yield Problem(SITE_FILE, f"{where}.precipitant", f"{rule.id} is not an interaction rule: it has no "
                          "precipitant")
        elif override.precipitant not in drug_names:
            yield from _unknown_drugs(SITE_FILE, f"{where}.precipitant", (override.precipitant,), drug_names)
        elif override.precipitant == agent.drug or agent.interactions.index(rule) not in _rules_for(
                agent, override.precipitant, members_of, mechanism_of):
            yield Problem(SITE_FILE, f"{where}.precipitant", f"{rule.id} does not apply to {override.precipitant!r}")


def _agent_rule(agent: AgentFile, rule_id: str) -> InteractionRule | QtcRule | PatientRule | None:
    """One of the agent's interaction, QTc or patient rules by id (ids are unique within an agent's file)."""
    rules: tuple[InteractionRule | QtcRule | PatientRule, ...] = (*agent.interactions, *agent.qtc_rules,
                                                                  *agent.patient_rules)
    return next((r for r in rules if r.id == rule_id), None)


def _cross_check(manifest: ManifestFile, drugs: DrugsFile, classes: ClassesFile,
                 agents: list[tuple[str, AgentFile]]) -> Iterator[Problem]:
    """Everything one file cannot check alone: names, references and sources across files."""
    source_ids = {s.id for s in manifest.sources}
    yield from _duplicates("manifest.toml", "source", [s.id for s in manifest.sources])

    drug_names = {d.name for d in drugs.drugs}
    yield from _duplicates("drugs.toml", "drug", [d.name for d in drugs.drugs])
    owners: dict[str, str] = {}
    entries = [(f"drug[{i}]", d.name, d.synonyms) for i, d in enumerate(drugs.drugs)]
    entries += [(f"combination[{i}]", c.name, c.synonyms) for i, c in enumerate(drugs.combinations)]
    for location, name, synonyms in entries:
        for alias in (name, *synonyms):
            key = normalise(alias)
            if not key:
                yield Problem("drugs.toml", location, f"name {alias!r} is empty once normalised")
            elif owners.setdefault(key, name) != name:
                yield Problem("drugs.toml", location, f"name {alias!r} is already used by {owners[key]!r}")
    for i, combination in enumerate(drugs.combinations):
        yield from _unknown_drugs("drugs.toml", f"combination[{i}].components", combination.components, drug_names)
        yield from _unknown_sources("drugs.toml", f"combination[{i}]", combination.citations, source_ids)
    combinations = {c.name: c for c in drugs.combinations}
    qt_members = {m for c in classes.classes if c.mechanism is Mechanism.QT_PROLONGATION for m in c.members}
    for i, spec in enumerate(classes.classes):
        if spec.qt_tier is not None:
            tier = {d.name for d in drugs.drugs if d.qt_risk == spec.qt_tier}
            for missing in sorted(tier - set(spec.members)):
                yield Problem("classes.toml", f"class[{i}].members",
                              f"{missing!r} has qt_risk {spec.qt_tier!r}: list it")
            for extra in sorted(set(spec.members) - tier):
                yield Problem("classes.toml", f"class[{i}].members", f"{extra!r} is not of qt_risk {spec.qt_tier!r}")
    codes: dict[tuple[str, str], str] = {}
    for i, drug in enumerate(drugs.drugs):
        where = f"drug[{i}]"
        yield from _unknown_sources("drugs.toml", f"{where}.reviewed", drug.reviewed, source_ids)
        if drug.sold_only_in:
            product = combinations.get(drug.sold_only_in)
            if product is None or drug.name not in product.components:
                yield Problem("drugs.toml", f"{where}.sold_only_in",
                              f"{drug.sold_only_in!r} is not a combination holding {drug.name!r}")
        if drug.qt_risk in ("known", "possible") and drug.name not in qt_members:
            yield Problem("drugs.toml", f"{where}.qt_risk",
                          f"{drug.qt_risk} QT risk but not in a QT-prolonging class in classes.toml")
    for location, name, product_codes in [(f"drug[{i}]", d.name, d.codes) for i, d in enumerate(drugs.drugs)] + [
            (f"combination[{i}]", c.name, c.codes) for i, c in enumerate(drugs.combinations)]:
        for code in product_codes:
            yield from _unknown_sources("drugs.toml", f"{location}.codes", code.citations, source_ids)
            if codes.setdefault((code.system, code.code), name) != name:
                yield Problem("drugs.toml", f"{location}.codes",
                              f"code {code.code} is already used by {codes[(code.system, code.code)]!r}")

    class_ids = {c.id for c in classes.classes}
    yield from _duplicates("classes.toml", "class", [c.id for c in classes.classes])
    for i, spec in enumerate(classes.classes):
        where = f"class[{i}]"
        yield from _unknown_drugs("classes.toml", f"{where}.members", spec.members, drug_names)
        yield from _duplicates("classes.toml", f"{where}.members", list(spec.members))
        for noted in spec.member_notes:
            if noted not in spec.members:
                yield Problem("classes.toml", f"{where}.member_notes.{noted}", "note for a drug not in members")
        yield from _unknown_sources("classes.toml", where, spec.citations, source_ids)

    agent_names = [a.drug for _, a in agents]
    yield from _duplicates("agents/", "drug", agent_names)
    for file, agent in agents:
        if agent.drug not in drug_names:
            yield Problem(file, "drug", f"unknown drug {agent.drug!r}")
        elif next(d for d in drugs.drugs if d.name == agent.drug).kind != "agent":
            yield Problem(file, "drug", f"{agent.drug!r} is not of kind 'agent' in drugs.toml")
        for where, dose in [("standard_dose", agent.standard_dose)] + [
            (f"dose_variants[{i}]", v) for i, v in enumerate(agent.dose_variants)
        ]:
            yield from _unknown_drugs(file, f"{where}.with_any", dose.with_any, drug_names)
            yield from _unknown_sources(file, where, dose.citations, source_ids)
        if agent.standard_dose.with_any:
            yield Problem(file, "standard_dose.with_any", "the default dose applies when no variant does: no with_any")
        for i, variant in enumerate(agent.dose_variants):
            if not variant.with_any:
                yield Problem(file, f"dose_variants[{i}].with_any", "a dose variant needs with_any")
        yield from _duplicates(file, "interaction", [r.id for r in agent.interactions])
        yield from _duplicates(file, "qtc_rule", [r.id for r in agent.qtc_rules])
        rule_ids = {r.id for r in agent.interactions}
        for i, rule in enumerate(agent.interactions):
            where = f"interaction[{i}]"
            for superseded in rule.supersedes:
                if superseded not in rule_ids:
                    yield Problem(file, f"{where}.supersedes", f"unknown rule {superseded!r} (not in this file)")
            if rule.alternatives is not None:
                yield from _unknown_drugs(file, f"{where}.alternatives.drugs", rule.alternatives.drugs, drug_names)
                yield from _unknown_drugs(file, f"{where}.alternatives.instead_of", rule.alternatives.instead_of,
                                          drug_names)
                yield from _unknown_sources(file, f"{where}.alternatives", rule.alternatives.citations, source_ids)
            if rule.precipitant_class and rule.precipitant_class not in class_ids:
                yield Problem(file, f"{where}.precipitant_class", f"unknown class {rule.precipitant_class!r}")
            yield from _unknown_drugs(file, f"{where}.precipitant_drugs", rule.precipitant_drugs, drug_names)
            yield from _unknown_sources(file, where, rule.citations, source_ids)
            yield from _monitoring_sources(file, f"{where}.monitoring", rule.monitoring, source_ids)
        held_rules = any(q.if_held for q in agent.qtc_rules)
        for i, qtc in enumerate(agent.qtc_rules):
            yield from _unknown_sources(file, f"qtc_rule[{i}]", qtc.citations, source_ids)
            if held_rules and qtc.if_held is None:
                # Otherwise a rule written for a running drug could "resume" one that is held.
                yield Problem(file, f"qtc_rule[{i}].if_held",
                              "this agent has rules for a held drug: state if_held = true or false")
            yield from _monitoring_sources(file, f"qtc_rule[{i}].monitoring", qtc.monitoring, source_ids)
        yield from _duplicates(file, "patient_rule", [r.id for r in agent.patient_rules])
        for i, patient_rule in enumerate(agent.patient_rules):
            yield from _unknown_sources(file, f"patient_rule[{i}]", patient_rule.citations, source_ids)
            yield from _monitoring_sources(file, f"patient_rule[{i}].monitoring", patient_rule.monitoring, source_ids)
        yield from _monitoring_sources(file, "monitoring", agent.monitoring, source_ids)


def _check_regimen_rules(rules: RegimenRulesFile, drug_names: set[str], source_ids: set[str]) -> Iterator[Problem]:
    yield from _duplicates(REGIMEN_RULES, "rules", [r.id for r in rules.duplications] + [r.id for r in rules.qt_burden])
    for i, duplication in enumerate(rules.duplications):
        yield from _unknown_drugs(REGIMEN_RULES, f"duplication[{i}].drugs", duplication.drugs, drug_names)
        yield from _unknown_sources(REGIMEN_RULES, f"duplication[{i}]", duplication.citations, source_ids)
    for i, burden in enumerate(rules.qt_burden):
        yield from _unknown_sources(REGIMEN_RULES, f"qt_burden[{i}]", burden.citations, source_ids)
        yield from _monitoring_sources(REGIMEN_RULES, f"qt_burden[{i}].monitoring", burden.monitoring, source_ids)


def _check_regimens(regimens: RegimensFile, drugs: DrugsFile, source_ids: set[str]) -> Iterator[Problem]:
    """Components are drugs of the dictionary; a regimen's names are its own, never a drug's or a product's."""
    drug_names = {d.name for d in drugs.drugs}
    taken = {normalise(alias): d.name for d in drugs.drugs for alias in (d.name, *d.synonyms)}
    taken |= {normalise(alias): c.name for c in drugs.combinations for alias in (c.name, *c.synonyms)}
    owners: dict[str, str] = {}
    for i, regimen in enumerate(regimens.regimens):
        where = f"regimen[{i}]"
        yield from _unknown_drugs(REGIMENS, f"{where}.components", regimen.components, drug_names)
        yield from _duplicates(REGIMENS, f"{where}.components", list(regimen.components))
        yield from _unknown_sources(REGIMENS, where, regimen.citations, source_ids)
        for alias in (regimen.name, *regimen.synonyms):
            key = normalise(alias)
            if key in taken:
                yield Problem(REGIMENS, where, f"name {alias!r} is already {taken[key]!r} in drugs.toml")
            elif owners.setdefault(key, regimen.name) != regimen.name:
                yield Problem(REGIMENS, where, f"name {alias!r} is already used by {owners[key]!r}")


def _duplicates(file: str, location: str, values: list[str]) -> Iterator[Problem]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            yield Problem(file, location, f"duplicate {value!r}")
        seen.add(value)


def _unknown_drugs(file: str, location: str, names: Iterable[str], known: set[str]) -> Iterator[Problem]:
    for name in names:
        if name not in known:
            yield Problem(file, location, f"unknown drug {name!r} (not in drugs.toml)")


def _unknown_sources(file: str, location: str, citations: Iterable[CitationSpec],
                     known: set[str]) -> Iterator[Problem]:
    for citation in citations:
        if citation.source not in known:
            yield Problem(file, f"{location}.citations", f"unknown source {citation.source!r} (not in manifest)")


def _monitoring_sources(file: str, location: str, specs: Iterable[MonitoringSpec],
                        known: set[str]) -> Iterator[Problem]:
    for i, spec in enumerate(specs):
        yield from _unknown_sources(file, f"{location}[{i}]", spec.citations, known)


def _index(manifest: ManifestFile, names: NamesFile, drugs: DrugsFile, classes: ClassesFile,
           agents: list[AgentFile], regimen_rules: RegimenRulesFile, site: SiteFile | None,
           content_hash: str, regimens: RegimensFile) -> KnowledgeBase:
    """Turn validated files into the look-up structures the engine reads."""
    classes_of: dict[str, set[str]] = {d.name: set() for d in drugs.drugs}
    members_of = {c.id: frozenset(c.members) for c in classes.classes}
    mechanism_of = {c.id: c.mechanism for c in classes.classes}
    for spec in classes.classes:
        for member in spec.members:
            classes_of[member].add(spec.id)

    lexicon: dict[str, tuple[str, ...]] = {}
    components_of = {c.name: c.components for c in drugs.combinations}
    for drug in drugs.drugs:
        # A drug sold only inside a product stands for the whole product: its partners are taken too.
        product = components_of[drug.sold_only_in] if drug.sold_only_in else (drug.name,)
        for alias in (drug.name, *drug.synonyms):
            lexicon[normalise(alias)] = product
    for combination in drugs.combinations:
        for alias in (combination.name, *combination.synonyms):
            lexicon[normalise(alias)] = combination.components
    regimen_of = {normalise(alias): r.name for r in regimens.regimens for alias in (r.name, *r.synonyms)}
    for regimen in regimens.regimens:
        for alias in (regimen.name, *regimen.synonyms):
            lexicon[normalise(alias)] = regimen.components
    resolver = MedicationReader(
        lexicon=lexicon,
        display={normalise(d.name): d.name for d in drugs.drugs}
        | {normalise(c.name): c.name for c in drugs.combinations}
        | {normalise(r.name): r.name for r in regimens.regimens},
        names=names,
        exact={s.name: s.drugs for s in site.synonyms} if site is not None else None,
        regimens=regimen_of,
    )

    overrides = SiteOverrides(site)
    compiled = {a.drug: _compile_agent(a, [d.name for d in drugs.drugs], members_of, mechanism_of, overrides)
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
        qt_drugs=frozenset(m for c in classes.classes if c.mechanism is Mechanism.QT_PROLONGATION for m in c.members),
        known_qt_risk=frozenset(d.name for d in drugs.drugs if d.qt_risk == "known"),
        resolver=resolver,
        site=site,
        regimens=regimens.regimens,
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


def _rules_for(agent: AgentFile, other: str, members_of: Mapping[str, frozenset[str]],
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


def _compile_agent(agent: AgentFile, all_drugs: list[str], members_of: Mapping[str, frozenset[str]],
                   mechanism_of: Mapping[str, Mechanism], overrides: SiteOverrides) -> Agent:
    """Bind each rule to each drug it applies to, with the site's overrides applied to its findings."""
    # One set of protocols and citations per rule, shared by every drug the rule applies to, so that
    # a request's schedule can be de-duplicated (and cached) by identity.
    protocols = [compile_protocols(rule.monitoring) for rule in agent.interactions]
    citations = [citations_of(rule.citations + (rule.alternatives.citations if rule.alternatives else ()))
                 for rule in agent.interactions]
    qtc_citations = [citations_of(rule.citations) for rule in agent.qtc_rules]
    patient_citations = [citations_of(rule.citations) for rule in agent.patient_rules]
    dose_specs = (*agent.dose_variants, agent.standard_dose)
    dose_citations = [citations_of(spec.citations) for spec in dose_specs]
    citation_set = CitationSet(chain.from_iterable((*citations, *qtc_citations, *patient_citations,
                                                    *dose_citations)))
    precipitants: dict[str, Precipitant] = {}
    for other in all_drugs:
        if other == agent.drug:
            continue
        pairs = [pair for i in _rules_for(agent, other, members_of, mechanism_of)
                 if (pair := _pair_rule(agent.drug, other, agent.interactions[i], protocols[i], citations[i],
                                        citation_set.bits(citations[i]),
                                        _rule_mechanism(agent.interactions[i], mechanism_of), overrides))]
        if pairs:
            precipitants[other] = Precipitant.of(tuple(pairs))
    qtc_rules = tuple(_qtc_rule(agent.drug, rule, cited, citation_set.bits(cited), overrides)
                      for rule, cited in zip(agent.qtc_rules, qtc_citations, strict=True))
    patient_rules = tuple(compiled for rule, cited in zip(agent.patient_rules, patient_citations, strict=True)
                          if (compiled := _patient_rule(agent.drug, rule, cited, citation_set.bits(cited), overrides)))
    standard_doses = tuple(_standard_dose(agent.drug, spec, cited, citation_set.bits(cited))
                           for spec, cited in zip(dose_specs, dose_citations, strict=True))
    return Agent(agent.drug, agent, precipitants, qtc_rules, patient_rules, compile_protocols(agent.monitoring),
                 standard_doses, citation_set)


def _standard_dose(agent: str, spec: StandardDoseSpec, citations: tuple[Citation, ...],
                   citation_bits: int) -> StandardDose:
    """A labelled dose with the finding for an ordered dose above its maximum (kb-review G7)."""
    maximum = spec.max_dose_mg or spec.dose_mg
    above_label = None
    if not spec.per_body_surface_area:
        most = f"the label's maximum of {maximum:g} mg" if spec.max_dose_mg else "the labelled dose"
        finding = Finding(agent, "", (Mechanism.LABELLED_DOSE,), Severity.MAJOR, Action.ADJUST_DOSE, (
            f"The ordered {agent} dose is above {most} for this regimen: give {spec.dose_mg:g} mg "
            f"{spec.frequency}. {spec.rationale}"), citations)
        above_label = dose_effect(Action.ADJUST_DOSE, None, (), spec.dose_mg, finding, citation_bits)
    return StandardDose(spec, ramp_steps(spec.ramp_up), citations, maximum, above_label)


def _patient_rule(agent: str, rule: PatientRule, citations: tuple[Citation, ...], citation_bits: int,
                  overrides: SiteOverrides) -> CompiledPatientRule | None:
    finding = overrides.apply(agent, rule.id, "", Finding(
        agent, "", (Mechanism.PATIENT_FACTOR,), rule.severity, rule.action, rule.recommendation, citations))
    if finding is None:
        return None
    return CompiledPatientRule(rule, finding, compile_protocols(rule.monitoring),
                               dose_effect(rule.action, rule.dose, (), None, finding, citation_bits))


def _pair_rule(agent: str, other: str, rule: InteractionRule, protocols: tuple[Protocol, ...],
               citations: tuple[Citation, ...], citation_bits: int, mechanism: Mechanism,
               overrides: SiteOverrides) -> PairRule | None:
    object_drug, precipitant = (agent, other) if rule.direction == "on_agent" else (other, agent)
    text = f"{rule.recommendation} {rule.resume}".strip()
    alternatives = rule.alternatives
    if alternatives is not None and (not alternatives.instead_of or other in alternatives.instead_of):
        text = f"{text} Instead of {other}: {alternatives.note}"
        finding = Finding(object_drug, precipitant, (mechanism,), rule.severity, rule.action, text, citations,
                          alternatives.drugs)
    else:
        finding = Finding(object_drug, precipitant, (mechanism,), rule.severity, rule.action, text, citations)
    overridden = overrides.apply(agent, rule.id, other, finding)
    if overridden is None:
        return None
    finding = overridden
    acts_on_agent = rule.direction == "on_agent" and rule.action is not Action.AVOID_COMBINATION
    effect = (dose_effect(rule.action, rule.dose, rule.ramp_up, None, finding, citation_bits)
              if acts_on_agent else None)
    return PairRule(rule, finding, protocols, effect)


def _qtc_rule(agent: str, rule: QtcRule, citations: tuple[Citation, ...], citation_bits: int,
              overrides: SiteOverrides) -> CompiledQtcRule:
    finding = overrides.apply(agent, rule.id, "", Finding(
        agent, "", (Mechanism.QTC_THRESHOLD,), rule.severity, rule.action, rule.recommendation, citations))
    assert finding is not None, "a QTc rule cannot be suppressed (refused at load)"
    needs_qtc = any(condition is not None for condition in (
        rule.qtc_above, rule.qtc_at_most, rule.qtc_below, rule.rise_above_baseline_ms, rule.recovered))
    return CompiledQtcRule(rule, finding, compile_protocols(rule.monitoring),
                           dose_effect(rule.action, rule.dose, (), rule.dose_mg, finding, citation_bits), needs_qtc,
                           frozenset(HoldReason[reason.upper()] for reason in rule.hold_reasons))


def describe_drug(kb: KnowledgeBase, name: str) -> DrugDescription:
    """Everything the knowledge base holds about a name, as a curator would want to review it.

    Args:
        kb: the loaded knowledge base.
        name: any name the resolver accepts (brand, salt, abbreviation, with strength text).

    Returns:
        The description; `resolves_to` is empty (and `suggestions` set) when the name is unknown.
    """
    resolved = kb.resolver.resolve(name)
    if resolved is None:
        return DrugDescription(name, (), "", (), (), (), "", "", (), kb.resolver.suggest(name))
    drug = kb.drug_by_name[resolved[0]] if len(resolved) == 1 else None
    class_ids = sorted({c for component in resolved for c in kb.classes_of[component]})
    class_notes = tuple(f"{c.id}: {c.member_notes[d]}" for c in kb.classes for d in resolved if d in c.member_notes)
    rules: list[str] = []
    for candidate in kb.agents.values():
        for other, precipitant in candidate.precipitants.items():
            if candidate.name in resolved or other in resolved:
                rules.extend(_describe_rule(p) for p in precipitant.rules)
        if candidate.name in resolved:
            rules.extend(_describe_rule(q) for q in candidate.qtc_rules)
    agent = kb.agents.get(resolved[0]) if drug else None
    overrides = tuple(_describe_override(kb, o) for o in (kb.site.overrides if kb.site else ())
                      if _override_involves(kb, o, resolved))
    return DrugDescription(
        query=name,
        resolves_to=resolved,
        kind=drug.kind if drug else "regimen" if kb.resolver.read(name).regimen else "combination",
        synonyms=drug.synonyms if drug else (),
        classes=tuple(class_ids),
        class_notes=class_notes,
        note=drug.note if drug else "",
        agent_summary=agent.spec.summary if agent else "",
        rules=tuple(dict.fromkeys(rules)),
        suggestions=(),
        site_overrides=overrides,
    )


def _override_involves(kb: KnowledgeBase, override: SiteOverrideSpec, drugs: tuple[str, ...]) -> bool:
    """Whether the override is of the drugs' own rule, or of a rule that applies to one of them."""
    if override.agent in drugs or override.precipitant in drugs:
        return True
    if override.precipitant:
        return False
    spec = kb.agents[override.agent].spec
    members_of = {c.id: frozenset(c.members) for c in kb.classes}
    mechanism_of = {c.id: c.mechanism for c in kb.classes}
    return any(spec.interactions[i].id == override.rule
               for drug in drugs for i in _rules_for(spec, drug, members_of, mechanism_of))


def _describe_override(kb: KnowledgeBase, override: SiteOverrideSpec) -> str:
    rule = _agent_rule(kb.agents[override.agent].spec, override.rule)
    assert rule is not None, "an override's rule exists (checked at load)"
    scope = f" with {override.precipitant}" if override.precipitant else ""
    change = ("suppressed: no finding" if override.severity is None
              else f"severity {rule.severity.name.lower()} -> {override.severity.name.lower()}")
    site = kb.site.site if kb.site else ""
    return f"{override.agent} {override.rule}{scope}: {change} (site {site}, {override.author}: {override.reason})"


def _describe_rule(compiled: PairRule | CompiledQtcRule) -> str:
    finding = compiled.finding
    sources = ", ".join(f"{c.source} {c.detail}" for c in finding.citations)
    arrow = f"{finding.object_drug} <- {finding.precipitant_drug}" if finding.precipitant_drug else (
        f"{finding.object_drug} QTc")
    return f"{arrow}: {finding.action.name.lower()} ({compiled.rule.id}; {sources})"


@lru_cache(maxsize=1024)
def ramp_steps(doses: tuple[float, ...]) -> tuple[RampStep, ...]:
    """A ramp-up's doses as numbered days; ramp-ups repeat from request to request, so each is built once."""
    return tuple(RampStep(day, dose) for day, dose in enumerate(doses, start=1))


def standard_dose_for(agent: Agent, regimen_drugs: frozenset[str]) -> StandardDose:
    """The labelled dose in force: the first variant whose partner is in the regimen, else the default."""
    for dose in agent.standard_doses:
        if not dose.spec.with_any or regimen_drugs.intersection(dose.spec.with_any):
            return dose
    raise AssertionError("the default standard dose has no with_any, so the loop always returns")
