"""The curator's view of the knowledge base: what it holds about one name (`dosecheck kb show`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from interactions.index import KnowledgeBase, rules_for
from interactions.model import Citation, Finding, Mechanism, UnrecognizedReason
from interactions.schema import CitationSpec, SiteOverrideSpec, citation_text, citations_of


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
    qt_risk: str = ""
    """Its CredibleMeds tier, when QT-listed."""
    reviewed: tuple[str, ...] = ()
    """The lists its interaction classes were reviewed against."""
    codes: tuple[str, ...] = ()
    """Its codes, as `system|code`."""
    local_brands: tuple[str, ...] = ()
    """Brands sold only in a local form, read as the drug in that form: `Protopic (ointment)`."""
    reason: UnrecognizedReason = UnrecognizedReason.UNSPECIFIED
    """Why the name resolves to nothing (UNSPECIFIED when it resolves), as a check would report it."""
    detail: str = ""
    """The reader's explanation of `reason`, for people."""



def describe_drug(kb: KnowledgeBase, name: str) -> DrugDescription:
    """Everything the knowledge base holds about a name, as a curator would want to review it.

    Args:
        kb: the loaded knowledge base.
        name: any name the resolver accepts (brand, salt, abbreviation, with strength text).

    Returns:
        The description; `resolves_to` is empty (and `reason`, `detail` and `suggestions` set) when
        the name is not recognised.
    """
    resolved = kb.resolver.resolve(name)
    if resolved is None:
        reading = kb.resolver.read(name)
        return DrugDescription(name, (), "", (), (), (), "", "", (), kb.resolver.suggest(name),
                               reason=reading.reason, detail=reading.detail)
    drug = kb.drug_by_name[resolved[0]] if len(resolved) == 1 else None
    class_ids = sorted({c for component in resolved for c in kb.classes_of[component]})
    joints = [j for j in kb.joint_effect_specs if not set(j.drugs).isdisjoint(resolved)]
    class_notes = (*(f"{c.id}: {c.member_notes[d]}" for c in kb.classes for d in resolved if d in c.member_notes),
                   *(f"{', '.join(j.classes)} (jointly): {j.note}" for j in joints))
    involved = {*resolved, *(j.name for j in joints)}
    rules: list[str] = []
    for candidate in kb.agents.values():
        for other, precipitant in candidate.precipitants.items():
            if candidate.name in resolved or other in involved:
                rules.extend(_describe_rule(p.finding, p.rule_id) for p in precipitant.rules)
        if candidate.name in resolved:
            rules.extend(_describe_rule(q.finding, q.rule.id) for q in candidate.qtc_rules)
            rules.extend(_describe_rule(p.finding, p.rule.id) for p in candidate.patient_rules)
    for rule, members in kb.duplication_groups:
        if members.intersection(resolved):
            rules.append(f"{rule.title}: {rule.action} when two of {', '.join(rule.drugs)} are given together "
                         f"({rule.id})")
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
        qt_risk=(drug.qt_risk or "") if drug else "",
        reviewed=tuple(citation_text(c) for c in drug.reviewed) if drug else (),
        codes=tuple(f"{c.system}|{c.code}" for c in drug.codes) if drug else (),
        local_brands=tuple(f"{b.name} ({b.form})" for b in drug.local_brands) if drug else (),
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
               for drug in drugs for i in rules_for(spec, drug, members_of, mechanism_of))


def _describe_override(kb: KnowledgeBase, override: SiteOverrideSpec) -> str:
    rule = kb.agents[override.agent].spec.rule(override.rule)
    assert rule is not None, "an override's rule exists (checked at load)"
    scope = f" with {override.precipitant}" if override.precipitant else ""
    change = ("suppressed: no finding" if override.severity is None
              else f"severity {rule.severity.name.lower()} -> {override.severity.name.lower()}")
    site = kb.site.site if kb.site else ""
    return f"{override.agent} {override.rule}{scope}: {change} (site {site}, {override.author}: {override.reason})"


def _describe_rule(finding: Finding, rule_id: str) -> str:
    sources = ", ".join(citation_text(c) for c in finding.citations)
    about = "QTc" if Mechanism.QTC_THRESHOLD in finding.mechanisms else "patient"
    arrow = f"{finding.object_drug} <- {finding.precipitant_drug}" if finding.precipitant_drug else (
        f"{finding.object_drug} {about}")
    return f"{arrow}: {finding.action.name.lower()} ({rule_id}; {sources})"


def all_citations(kb: KnowledgeBase) -> tuple[Citation, ...]:
    """Every citation of the knowledge base's files, once each, in file order: what answers' ids refer to."""
    files: list[BaseModel] = [*kb.drugs, *kb.combinations, *kb.classes, *(a.spec for a in kb.agents.values()),
                              kb.regimen_rules, *kb.regimens]
    specs = (spec for model in files for spec in _citation_specs(model))
    return tuple(dict.fromkeys(citations_of(tuple(specs))))


def _citation_specs(value: object) -> Iterator[CitationSpec]:
    if isinstance(value, CitationSpec):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _citation_specs(getattr(value, name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _citation_specs(item)
