"""What changed between two knowledge bases, entry by entry and field by field, for review of a release (pure)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import BaseModel

from interactions.index import KnowledgeBase
from interactions.schema import (
    AgentFile,
    CitationSpec,
    CodeSpec,
    DoseChange,
    InteractionRule,
    MonitoringSpec,
    PatientRule,
    SiteFile,
    citation_text,
)

Section = Literal["sources", "drugs", "combinations", "regimens", "classes", "agents", "regimen rules", "site"]
ChangeKind = Literal["added", "removed", "changed"]
_Entry = TypeVar("_Entry", bound=BaseModel)

# Free text: a reviewer is told that it changed and reads the new text in the file; no old -> new line.
_PROSE = frozenset({"recommendation", "resume", "rationale", "summary", "note", "notes", "reason"})
# Shown whole ("at most 70 mg"), not field by field.
_ATOMIC = (DoseChange, CitationSpec, CodeSpec, MonitoringSpec)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs: a value (`old` -> `new`), a set (`added`, `removed`) or a text (`text_changed`)."""

    field: str
    """The field as the TOML files name it; nested fields are dotted (`standard_dose.dose_mg`)."""
    old: str = ""
    new: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    text_changed: bool = False
    """Free text (a recommendation, a rationale) that was edited; `old` and `new` hold both texts."""


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a knowledge base that was added, removed or changed."""

    section: Section
    subject: str
    """What the entry is: a drug's name, a class's title, `venetoclax interaction ven-pgp-inhibitor`."""
    kind: ChangeKind
    summary: str = ""
    """What an added or removed entry says, in brief."""
    fields: tuple[FieldChange, ...] = ()
    """For a changed entry, each field that differs."""


@dataclass(frozen=True, slots=True)
class Release:
    """Which knowledge base one side of a comparison is."""

    title: str
    version: str
    content_hash: str
    site: str
    """The site whose site.toml extends it; "" for none."""


@dataclass(frozen=True, slots=True)
class KbDiff:
    """The differences between an old and a new knowledge base, in file order within each section."""

    old: Release
    new: Release
    changes: tuple[Change, ...]

    @property
    def identical(self) -> bool:
        """Same files: every entry and every byte (the content hash covers comments and vocabularies)."""
        return not self.changes and self.old.content_hash == self.new.content_hash


def diff(old: KnowledgeBase, new: KnowledgeBase) -> KbDiff:
    """Compare two loaded knowledge bases.

    Args:
        old: the knowledge base in use (or the earlier release).
        new: the one to review.

    Returns:
        Every difference of sources, drugs, combinations, regimens by name, classes, agents' doses and
        rules, regimen rules and the site's synonyms and overrides; a site's overrides are compared as written, not as
        applied to the findings.
    """
    changes = [
        *_entries("sources", _by(old.sources, "id"), _by(new.sources, "id"), lambda s: s.title),
        *_entries("drugs", _by(old.drugs, "name"), _by(new.drugs, "name"), _drug_summary),
        *_entries("combinations", _by(old.combinations, "name"), _by(new.combinations, "name"),
                  lambda c: " + ".join(c.components)),
        *_entries("regimens", _by(old.regimens, "name"), _by(new.regimens, "name"), lambda r: " + ".join(r.components)),
        *_entries("classes", _by(old.classes, "id"), _by(new.classes, "id"),
                  lambda c: f"{_show(c.mechanism)}: {_show(c.members)}",
                  subject=lambda key: next(c.title for c in (*new.classes, *old.classes) if c.id == key)),
        *_entries("classes", _by(old.joint_effect_specs, "name"), _by(new.joint_effect_specs, "name"),
                  lambda j: f"{' + '.join(j.drugs)} together act as {_show(j.classes)}"),
        *_agents(old, new),
        *_regimen_rules(old, new),
        *_site(old.site, new.site),
    ]
    return KbDiff(_release(old), _release(new), tuple(changes))


def _release(kb: KnowledgeBase) -> Release:
    return Release(kb.title, kb.version, kb.content_hash, kb.site.site if kb.site else "")


def _by(entries: Sequence[_Entry], key: str) -> dict[str, _Entry]:
    return {str(getattr(entry, key)): entry for entry in entries}


def _entries(section: Section, old: Mapping[str, _Entry], new: Mapping[str, _Entry],
             summarise: Callable[[_Entry], str], subject: Callable[[str], str] = str) -> Iterator[Change]:
    """Added, removed and changed entries, matched by key, in the order of the old file then the new."""
    for key in dict.fromkeys([*old, *new]):
        before, after = old.get(key), new.get(key)
        if after is None:
            assert before is not None
            yield Change(section, subject(key), "removed", summarise(before))
        elif before is None:
            yield Change(section, subject(key), "added", summarise(after))
        elif before != after and (fields := _fields(before, after)):
            yield Change(section, subject(key), "changed", fields=tuple(fields))


def _order(section: Section, subject: str, old: Sequence[str], new: Sequence[str]) -> Iterator[Change]:
    """A change of order among the entries both sides have, where the first match wins (QTc, QT burden)."""
    kept_old = [key for key in old if key in new]
    kept_new = [key for key in new if key in old]
    if kept_old != kept_new:
        yield Change(section, subject, "changed",
                     fields=(FieldChange("order", ", ".join(kept_old), ", ".join(kept_new)),))


def _fields(old: BaseModel, new: BaseModel, prefix: str = "", skip: frozenset[str] = frozenset()) -> list[FieldChange]:
    """Each field that differs between two entries of one kind; nested entries field by field."""
    changes: list[FieldChange] = []
    for name in type(old).model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if name in skip or before == after:
            continue
        label = prefix + name
        if name in _PROSE:
            changes.append(FieldChange(label, _text(before), _text(after), text_changed=True))
        elif isinstance(before, BaseModel) and isinstance(after, BaseModel) and not isinstance(before, _ATOMIC):
            changes.extend(_fields(before, after, f"{label}."))
        elif isinstance(before, tuple) and _set_like((*before, *after)):
            changes.extend(_set_change(label, before, after))
        elif isinstance(before, dict):
            added = tuple(k for k in after if k not in before)
            removed = tuple(k for k in before if k not in after)
            changes.append(FieldChange(label, added=added, removed=removed) if added or removed else
                           FieldChange(label, _show(before), _show(after), text_changed=True))
        else:
            changes.append(FieldChange(label, _show(before), _show(after)))
    return changes


def _set_like(items: tuple[object, ...]) -> bool:
    """Names, citations, codes: their order means nothing. Doses (a ramp-up, a table) are sequences."""
    return not any(isinstance(item, (int, float, tuple)) for item in items)


def _set_change(label: str, before: tuple[object, ...], after: tuple[object, ...]) -> Iterator[FieldChange]:
    shown_before, shown_after = [_show(i) for i in before], [_show(i) for i in after]
    added = tuple(dict.fromkeys(s for s in shown_after if s not in shown_before))
    removed = tuple(dict.fromkeys(s for s in shown_before if s not in shown_after))
    if added or removed:
        yield FieldChange(label, added=added, removed=removed)
    elif set(before) != set(after):  # same headline, other details (a monitoring reason, a citation's note)
        yield FieldChange(label, _show(before), _show(after), text_changed=True)


def _text(value: object) -> str:
    return "\n".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


def _show(value: object) -> str:
    """A value as a reviewer reads it: `at most 70 mg`, `uspi-venclexta 2.4`, `major`, `10, 20, 50`."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, float | int):
        return f"{value:g}"
    if isinstance(value, DoseChange):
        if value.max_mg is not None:
            return f"at most {value.max_mg:g} mg"
        if value.fraction is not None:
            return f"{value.fraction:g} of the labelled dose"
        return "by table " + ", ".join(f"{ordered:g} -> {reduced:g} mg" for ordered, reduced in value.table)
    if isinstance(value, CitationSpec):
        return citation_text(value)
    if isinstance(value, CodeSpec):
        return f"RxNorm {value.code}"
    if isinstance(value, MonitoringSpec):
        return f"{_show(value.test)} {_schedule(value)}"
    if isinstance(value, tuple):
        return ", ".join(_show(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    if isinstance(value, BaseModel):
        return "; ".join(f"{name} {_show(v)}" for name, v in value if v != type(value).model_fields[name].default)
    return str(value)


def _schedule(spec: MonitoringSpec) -> str:
    """When a monitoring spec tests, in whichever of its four forms it is given."""
    if spec.days:
        return ", ".join(spec.days)
    if spec.on_ramp_up_days:
        return "each ramp-up day"
    if spec.treatment_days:
        listed = "treatment days " + ", ".join(str(day) for day in spec.treatment_days)
        return f"{listed}, then every {spec.then_every_days} days" if spec.then_every_days else listed
    return f"every {spec.every_days} days through cycle {spec.through_cycle}"


def _brief(entry: BaseModel, names: Sequence[str]) -> str:
    """The given fields of an added or removed entry that are set, as `name value` pairs."""
    fields = type(entry).model_fields
    return ", ".join(f"{name} {_show(getattr(entry, name))}" for name in names
                     if getattr(entry, name) != fields[name].default)


def _drug_summary(drug: BaseModel) -> str:
    return _brief(drug, ("kind", "qt_risk", "synonyms", "sold_only_in"))


def _agents(old: KnowledgeBase, new: KnowledgeBase) -> Iterator[Change]:
    """An agent added or removed whole; for one on both sides, each of its doses and rules that changed."""
    for name in dict.fromkeys([*old.agents, *new.agents]):
        before, after = old.agents.get(name), new.agents.get(name)
        if after is None:
            yield Change("agents", name, "removed", old.agents[name].spec.summary)
        elif before is None:
            yield Change("agents", name, "added", after.spec.summary)
        elif before.spec != after.spec:
            yield from _agent_changes(before.spec, after.spec)


def _agent_changes(old: AgentFile, new: AgentFile) -> Iterator[Change]:
    drug = old.drug
    rules = frozenset({"dose_variants", "interactions", "qtc_rules", "patient_rules"})
    if fields := _fields(old, new, skip=rules):
        yield Change("agents", drug, "changed", fields=tuple(fields))
    yield from _entries("agents", {", ".join(v.with_any): v for v in old.dose_variants},
                        {", ".join(v.with_any): v for v in new.dose_variants},
                        lambda v: _brief(v, ("dose_mg", "frequency", "ramp_up")),
                        subject=lambda key: f"{drug} dose with {key}")
    yield from _entries("agents", _by(old.interactions, "id"), _by(new.interactions, "id"), _interaction_summary,
                        subject=lambda key: f"{drug} interaction {key}")
    yield from _entries("agents", _by(old.qtc_rules, "id"), _by(new.qtc_rules, "id"),
                        lambda r: _brief(r, ("if_held", "hold_reasons", "qtc_above", "qtc_at_most", "qtc_below",
                                             "rise_above_baseline_ms", "severity", "action", "dose_mg", "dose")),
                        subject=lambda key: f"{drug} QTc rule {key}")
    yield from _order("agents", f"{drug} QTc rules", [r.id for r in old.qtc_rules], [r.id for r in new.qtc_rules])
    yield from _entries("agents", _by(old.patient_rules, "id"), _by(new.patient_rules, "id"),
                        lambda r: _brief(r, (*PatientRule.CONDITIONS, "on_first_day", "severity", "action", "dose")),
                        subject=lambda key: f"{drug} patient rule {key}")


def _interaction_summary(rule: InteractionRule) -> str:
    return _brief(rule, ("precipitant_class", "precipitant_drugs", "direction", "severity", "action", "dose",
                         "ramp_up", "washout_days"))


def _regimen_rules(old: KnowledgeBase, new: KnowledgeBase) -> Iterator[Change]:
    before, after = old.regimen_rules, new.regimen_rules
    yield from _entries("regimen rules", _by(before.duplications, "id"), _by(after.duplications, "id"),
                        lambda r: f"{r.title}: {_show(r.drugs)}; {_show(r.severity)}, {r.action}",
                        subject=lambda key: f"duplication {key}")
    yield from _entries("regimen rules", _by(before.qt_burden, "id"), _by(after.qt_burden, "id"),
                        lambda r: _brief(r, ("min_drugs", "min_known_risk", "congenital_long_qt", "severity")),
                        subject=lambda key: f"QT burden {key}")
    yield from _order("regimen rules", "QT burden rules", [r.id for r in before.qt_burden],
                      [r.id for r in after.qt_burden])


def _site(old: SiteFile | None, new: SiteFile | None) -> Iterator[Change]:
    if old is None or new is None:
        if old is not new:
            kind: ChangeKind = "added" if old is None else "removed"
            site = new or old
            assert site is not None
            yield Change("site", site.site, kind,
                         f"{len(site.synonyms)} order names, {len(site.overrides)} overrides")
    elif fields := _fields(old, new, skip=frozenset({"synonyms", "overrides"})):
        yield Change("site", new.site, "changed", fields=tuple(fields))
    yield from _entries("site", _by(old.synonyms if old else (), "name"), _by(new.synonyms if new else (), "name"),
                        lambda s: f"{' + '.join(s.drugs)} ({s.author}: {s.reason})",
                        subject=lambda key: f"order name {key!r}")
    overrides_before = {_override_key(o.agent, o.rule, o.precipitant): o for o in (old.overrides if old else ())}
    overrides_after = {_override_key(o.agent, o.rule, o.precipitant): o for o in (new.overrides if new else ())}
    yield from _entries("site", overrides_before, overrides_after,
                        lambda o: (f"severity {_show(o.severity)}" if o.severity else "suppressed")
                        + f" ({o.author}: {o.reason})",
                        subject=lambda key: f"override {key}")


def _override_key(agent: str, rule: str, precipitant: str) -> str:
    return f"{agent} {rule}" + (f" with {precipitant}" if precipitant else "")
