"""The audit's running totals: from the checked results as they come, or from the output records.

A resumed audit (and an audit against servers) counts the records it reads; an in-process audit
counts the domain results it has. Both feed the same counters, and a test holds them equal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar

from interactions.model import CheckResult, Finding
from service.identity_cache import IdentityCache
from service.jsoncodec import ACTION_NAMES, MECHANISM_NAMES, SEVERITY_NAMES

__all__ = ["AuditSummary", "DoseChange", "FindingTally", "RowError"]

EXAMPLES_KEPT: Final = 200
"""How many dose changes and errors the report lists one by one (the counts cover all rows)."""

# Actions on a dose that change what the patient gets (a reduction, a hold, a stop).
_DOSE_CHANGING: Final = frozenset(
    {"ACTION_ADJUST_DOSE", "ACTION_HOLD", "ACTION_AVOID_COMBINATION", "ACTION_DISCONTINUE"}
)
# A dose that stands while another drug is to be avoided still needs action: it is counted under this.
_AVOID_OTHER: Final = "ACTION_AVOID_COMBINATION"
_INDEX: Final = re.compile(r"\[\d+\]")
_INVALID_ARGUMENT: Final = 3

_Key = TypeVar("_Key")

FindingTally = tuple[str, str, str, tuple[str, ...]]
"""What the report counts of a finding: object drug, precipitant ("" for QTc), severity, mechanisms."""


def _needed(action: str, avoids_another: bool) -> str:
    """The action a row needs: the dose's own change, else avoiding another drug."""
    return action if action in _DOSE_CHANGING or not avoids_another else _AVOID_OTHER


class DoseChange(NamedTuple):
    """One regimen drug whose recommended dose differs from the order."""

    line: int
    request_id: str
    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float
    action: str


class RowError(NamedTuple):
    """One row that could not be checked."""

    line: int
    request_id: str
    message: str


@dataclass(slots=True)
class AuditSummary:
    """Totals over the rows of an audit; `add` or `add_result` one row at a time, `merge` partial sums.

    Counters are keyed by the contract's JSON values (`SEVERITY_MAJOR`, `MECHANISM_PGP_INHIBITOR`).
    """

    rows: int = 0
    errors: int = 0
    incomplete: int = 0
    """Rows checked with an unrecognised name: the check could not consider every medication."""
    rows_by_severity: Counter[str] = field(default_factory=Counter)
    findings: Counter[FindingTally] = field(default_factory=Counter)
    dose_change_rows: int = 0
    dose_changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(drug, action) of every dose that changes."""
    dose_change_examples: list[DoseChange] = field(default_factory=list)
    unrecognized: Counter[str] = field(default_factory=Counter)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    error_fields: Counter[str] = field(default_factory=Counter)
    """Fields named by violations, indices dropped (`regimen[].dose_mg`)."""
    error_examples: list[RowError] = field(default_factory=list)
    kb_versions: Counter[str] = field(default_factory=Counter)

    @property
    def findings_by_severity(self) -> Counter[str]:
        """Findings per severity (derived from `findings`: read-only)."""
        return self._regrouped(lambda tally: (tally[2],))

    @property
    def findings_by_mechanism(self) -> Counter[str]:
        """Findings per mechanism, a finding of two counting under each (derived from `findings`: read-only)."""
        return self._regrouped(lambda tally: tally[3])

    @property
    def pairs(self) -> Counter[tuple[str, str]]:
        """Findings per (object drug, precipitant), "" for QTc (derived from `findings`: read-only)."""
        return self._regrouped(lambda tally: ((tally[0], tally[1]),))

    def _regrouped(self, keys_of: Callable[[FindingTally], Iterable[_Key]]) -> Counter[_Key]:
        counts: Counter[_Key] = Counter()
        for tally, count in self.findings.items():
            for key in keys_of(tally):
                counts[key] += count
        return counts

    def add(self, line: int, response: dict[str, Any]) -> None:
        """Counts one output record.

        Args:
            line: The row's line number.
            response: The `CheckRegimenResponse` in the contract's JSON shape.
        """
        request_id = response.get("requestId", "")
        error = response.get("error")
        if error is not None:
            self.rows += 1
            self._add_error(line, request_id, error)
            return
        self._add_row(response.get("highestSeverity", "SEVERITY_UNSPECIFIED"), response.get("knowledgeBaseVersion", ""))
        self.findings.update(map(_tally_of_json, response.get("findings", ())))
        self._add_doses(
            line,
            request_id,
            [
                (dose.get("drug", ""), dose.get("orderedDoseMg", 0.0), dose.get("recommendedDoseMg", 0.0),
                 _needed(dose.get("action", ""), bool(dose.get("avoidWith"))))
                for dose in response.get("doses", ())
                if dose.get("action", "") in _DOSE_CHANGING or dose.get("avoidWith")
            ],
        )
        self._add_unrecognized(
            [(item.get("name", ""), item.get("suggestions", ())) for item in response.get("unrecognized", ())]
        )

    def add_result(self, line: int, result: CheckResult) -> None:
        """Counts one checked row from its result, as `add` counts its output record.

        Args:
            line: The row's line number.
            result: What the engine returned for the row.
        """
        self._add_row(SEVERITY_NAMES[result.highest_severity], result.knowledge_base_version)
        self.findings.update(_tally_of_finding.many(result.findings))
        self._add_doses(
            line,
            result.request_id,
            [
                (dose.drug, dose.ordered_dose_mg, dose.recommended_dose_mg,
                 _needed(ACTION_NAMES[dose.action], bool(dose.avoid_with)))
                for dose in result.doses
                if ACTION_NAMES[dose.action] in _DOSE_CHANGING or dose.avoid_with
            ],
        )
        self._add_unrecognized([(item.name, item.suggestions) for item in result.unrecognized])

    def _add_row(self, highest_severity: str, kb_version: str) -> None:
        self.rows += 1
        self.rows_by_severity[highest_severity] += 1
        if kb_version:
            self.kb_versions[kb_version] += 1

    def _add_doses(self, line: int, request_id: str, changes: list[tuple[str, float, float, str]]) -> None:
        if not changes:
            return
        self.dose_change_rows += 1
        for drug, ordered, recommended, action in changes:
            self.dose_changes[(drug, action)] += 1
            if len(self.dose_change_examples) < EXAMPLES_KEPT:
                self.dose_change_examples.append(DoseChange(line, request_id, drug, ordered, recommended, action))

    def _add_unrecognized(self, items: list[tuple[str, Any]]) -> None:
        if not items:
            return
        self.incomplete += 1
        for raw_name, suggestions in items:
            name = raw_name.strip()
            self.unrecognized[name] += 1
            if name not in self.suggestions:
                self.suggestions[name] = list(suggestions)

    def _add_error(self, line: int, request_id: str, error: dict[str, Any]) -> None:
        self.errors += 1
        message = error.get("message", "")
        if len(self.error_examples) < EXAMPLES_KEPT:
            self.error_examples.append(RowError(line, request_id, message))
        fields = [
            _INDEX.sub("[]", violation.get("field", ""))
            for detail in error.get("details", ())
            for violation in detail.get("fieldViolations", ())
        ]
        if not fields:
            code = error.get("code", 0)
            fields = ["(unreadable row)" if code == _INVALID_ARGUMENT else f"(status code {code})"]
        for name in fields:
            self.error_fields[name or "(whole row)"] += 1

    def merge(self, other: AuditSummary) -> None:
        """Adds another summary's totals, keeping example lists in input order.

        Args:
            other: The totals of rows that come after this summary's rows.
        """
        self.rows += other.rows
        self.errors += other.errors
        self.incomplete += other.incomplete
        self.rows_by_severity.update(other.rows_by_severity)
        self.findings.update(other.findings)
        self.dose_change_rows += other.dose_change_rows
        self.dose_changes.update(other.dose_changes)
        room = EXAMPLES_KEPT - len(self.dose_change_examples)
        self.dose_change_examples.extend(other.dose_change_examples[:room])
        self.unrecognized.update(other.unrecognized)
        for name, suggestions in other.suggestions.items():
            self.suggestions.setdefault(name, suggestions)
        self.error_fields.update(other.error_fields)
        room = EXAMPLES_KEPT - len(self.error_examples)
        self.error_examples.extend(other.error_examples[:room])
        self.kb_versions.update(other.kb_versions)


def _tally_of_json(finding: dict[str, Any]) -> FindingTally:
    return (
        finding.get("objectDrug", ""),
        finding.get("precipitantDrug", ""),
        finding.get("severity", "SEVERITY_UNSPECIFIED"),
        tuple(finding.get("mechanisms", ())),
    )


# Findings are built once, by the knowledge base: one tally per finding object, looked up by identity.
_tally_of_finding: IdentityCache[Finding, FindingTally] = IdentityCache(
    lambda finding: (
        finding.object_drug,
        finding.precipitant_drug,
        SEVERITY_NAMES[finding.severity],
        tuple(MECHANISM_NAMES[m] for m in finding.mechanisms),
    )
)
