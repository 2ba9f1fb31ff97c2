"""The checks across the knowledge-base files: what no one file can check alone.

Each file's own model (interactions/schema.py) has checked its shape; here names, references and
sources are checked between files, and a site's synonyms and overrides against the knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from interactions.index import rules_for
from interactions.model import Action, Mechanism
from interactions.problems import Problem
from interactions.reader import normalise
from interactions.schema import (
    AGENTS_DIR,
    REGIMEN_RULES,
    REGIMENS,
    SITE_FILE,
    AgentFile,
    CitationSpec,
    ClassesFile,
    DrugsFile,
    InteractionRule,
    ManifestFile,
    MonitoringSpec,
    NamesFile,
    QtcRule,
    RegimenRulesFile,
    RegimensFile,
    SiteFile,
    SiteOverrideSpec,
)


def check_across_files(manifest: ManifestFile, names: NamesFile, drugs: DrugsFile, classes: ClassesFile,
                       agents: list[tuple[str, AgentFile]], regimen_rules: RegimenRulesFile | None,
                       regimens: RegimensFile | None, site: SiteFile | None) -> Iterator[Problem]:
    """Every problem between the files that read.

    Args:
        manifest: the manifest, whose sources every citation must name.
        names: the name vocabularies.
        drugs: the drug dictionary.
        classes: the drug classes.
        agents: each agent's file as problems name it (`agents/<drug>.toml`), with its model.
        regimen_rules: the regimen-wide rules; None when the file did not read (its problems are listed).
        regimens: the regimens by name; None when the file did not read.
        site: the site's file, if any.
    """
    source_ids = {s.id for s in manifest.sources}
    yield from _check_core_files(manifest, drugs, classes, agents)
    if regimen_rules is not None:
        yield from _check_regimen_rules(regimen_rules, {d.name for d in drugs.drugs}, source_ids)
    dictionary = _dictionary_names(drugs)
    if regimens is not None:
        yield from _check_regimens(regimens, drugs, dictionary, source_ids)
    for location, cited in names.cited():
        yield from _unknown_sources("names.toml", location, cited, source_ids)
    yield from _check_unreviewed(names, dictionary, regimens)
    if site is not None:
        yield from _check_site(site, drugs, classes, [a for _, a in agents])


def _check_core_files(manifest: ManifestFile, drugs: DrugsFile, classes: ClassesFile,
                      agents: list[tuple[str, AgentFile]]) -> Iterator[Problem]:
    """The manifest, the drug dictionary, the classes and the agents' files against one another."""
    source_ids = {s.id for s in manifest.sources}
    yield from _duplicates("manifest.toml", "source", [s.id for s in manifest.sources])

    drug_names = {d.name for d in drugs.drugs}
    yield from _duplicates("drugs.toml", "drug", [d.name for d in drugs.drugs])
    owners: dict[str, str] = {}
    entries = [(f"drug[{i}]", d.name, (*d.synonyms, *(b.name for b in d.local_brands)))
               for i, d in enumerate(drugs.drugs)]
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
        for j, local in enumerate(drug.local_brands):
            yield from _unknown_sources("drugs.toml", f"{where}.local_brands[{j}]", local.citations, source_ids)
        if drug.sold_only_in:
            product = combinations.get(drug.sold_only_in)
            if product is None or drug.name not in product.components:
                yield Problem("drugs.toml", f"{where}.sold_only_in",
                              f"{drug.sold_only_in!r} is not a combination holding {drug.name!r}")
        for brand in drug.shared_brands:
            if owners.get(normalise(brand), drug.name) == drug.name:
                yield Problem("drugs.toml", f"{where}.shared_brands",
                              f"{brand!r} is not the name of another drug: a brand of this drug alone is a synonym")
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
    yield from _duplicates("classes.toml", "joint_effect", [j.name for j in classes.joint_effects])
    for i, joint in enumerate(classes.joint_effects):
        where = f"joint_effect[{i}]"
        if normalise(joint.name) in owners:
            yield Problem("classes.toml", f"{where}.name", f"{joint.name!r} is a name in drugs.toml: a pair's name "
                          "must not be mistaken for a drug")
        yield from _unknown_drugs("classes.toml", f"{where}.drugs", joint.drugs, drug_names)
        yield from _duplicates("classes.toml", f"{where}.drugs", list(joint.drugs))
        for unknown in sorted(set(joint.classes) - class_ids):
            yield Problem("classes.toml", f"{where}.classes", f"unknown class {unknown!r}")
        yield from _unknown_sources("classes.toml", where, joint.citations, source_ids)

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
        rule = agent.rule(override.rule)
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
        elif override.precipitant == agent.drug or agent.interactions.index(rule) not in rules_for(
                agent, override.precipitant, members_of, mechanism_of):
            yield Problem(SITE_FILE, f"{where}.precipitant", f"{rule.id} does not apply to {override.precipitant!r}")


def _check_regimen_rules(rules: RegimenRulesFile, drug_names: set[str], source_ids: set[str]) -> Iterator[Problem]:
    yield from _duplicates(REGIMEN_RULES, "rules", [r.id for r in rules.duplications] + [r.id for r in rules.qt_burden])
    for i, duplication in enumerate(rules.duplications):
        yield from _unknown_drugs(REGIMEN_RULES, f"duplication[{i}].drugs", duplication.drugs, drug_names)
        yield from _unknown_sources(REGIMEN_RULES, f"duplication[{i}]", duplication.citations, source_ids)
    for i, burden in enumerate(rules.qt_burden):
        yield from _unknown_sources(REGIMEN_RULES, f"qt_burden[{i}]", burden.citations, source_ids)
        yield from _monitoring_sources(REGIMEN_RULES, f"qt_burden[{i}].monitoring", burden.monitoring, source_ids)


def _dictionary_names(drugs: DrugsFile) -> dict[str, str]:
    """Every name drugs.toml gives (drugs, their synonyms and local brands, products), normalised -> its owner."""
    names = {normalise(alias): d.name for d in drugs.drugs
             for alias in (d.name, *d.synonyms, *(b.name for b in d.local_brands))}
    names.update((normalise(alias), c.name) for c in drugs.combinations for alias in (c.name, *c.synonyms))
    return names


def _own_names(file: str, where: str, owner: str, names: Iterable[str], taken: Mapping[str, str],
               owners: dict[str, str], taken_in: str) -> Iterator[Problem]:
    """Each of `owner`'s names is none of `taken` (another file's), nor a name another entry of its file owns."""
    for name in names:
        key = normalise(name)
        if key in taken:
            yield Problem(file, where, f"name {name!r} is already {taken[key]!r} {taken_in}")
        elif owners.setdefault(key, owner) != owner:
            yield Problem(file, where, f"name {name!r} is already used by {owners[key]!r}")


def _check_regimens(regimens: RegimensFile, drugs: DrugsFile, dictionary: Mapping[str, str],
                    source_ids: set[str]) -> Iterator[Problem]:
    """Components are drugs of the dictionary; a regimen's names are its own, never a drug's or a product's."""
    drug_names = {d.name for d in drugs.drugs}
    owners: dict[str, str] = {}
    for i, regimen in enumerate(regimens.regimens):
        where = f"regimen[{i}]"
        yield from _unknown_drugs(REGIMENS, f"{where}.components", regimen.components, drug_names)
        yield from _duplicates(REGIMENS, f"{where}.components", list(regimen.components))
        yield from _unknown_sources(REGIMENS, where, regimen.citations, source_ids)
        yield from _own_names(REGIMENS, where, regimen.name, (regimen.name, *regimen.synonyms), dictionary, owners,
                              "in drugs.toml")


def _check_unreviewed(names: NamesFile, dictionary: Mapping[str, str], regimens: RegimensFile | None,
                      ) -> Iterator[Problem]:
    """An unreviewed name is no name of the dictionary or of a regimen, nor of another unreviewed entry."""
    taken = {**dictionary, **{normalise(alias): r.name for r in (regimens.regimens if regimens else ())
                              for alias in (r.name, *r.synonyms)}}
    owners: dict[str, str] = {}
    for i, entry in enumerate(names.unreviewed):
        where = f"unreviewed[{i}]"
        if normalise(entry.canonical) in taken:
            yield Problem("names.toml", where, f"canonical {entry.canonical!r} is a name of drugs.toml: it is reviewed")
        yield from _own_names("names.toml", where, entry.canonical, entry.names, taken, owners, "of the knowledge base")


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
