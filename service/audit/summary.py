"""The audit's running totals, built from the output records so a resumed audit counts every row."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["AuditSummary", "DoseChange", "RowError"]

EXAMPLES_KEPT: Final = 200
"""How many dose changes and errors the report lists one by one (the counts cover all rows)."""

# Actions on a dose that change what the patient gets (a reduction, a hold, a stop).
_DOSE_CHANGING: Final = frozenset(
    {"ACTION_ADJUST_DOSE", "ACTION_HOLD", "ACTION_AVOID_COMBINATION", "ACTION_DISCONTINUE"}
)
_INDEX: Final = re.compile(r"\[\d+\]")
_INVALID_ARGUMENT: Final = 3


@dataclass(frozen=True, slots=True)
class DoseChange:
    """One regimen drug whose recommended dose differs from the order."""

    line: int
    request_id: str
    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float
    action: str


@dataclass(frozen=True, slots=True)
class RowError:
    """One row that could not be checked."""

    line: int
    request_id: str
    message: str


@dataclass(slots=True)
class AuditSummary:
    """Totals over the rows of an audit; `add` one output record at a time, `merge` partial sums.

    Counters are keyed by the contract's JSON values (`SEVERITY_MAJOR`, `MECHANISM_PGP_INHIBITOR`).
    """

    rows: int = 0
    errors: int = 0
    incomplete: int = 0
    """Rows checked with an unrecognised name: the check could not consider every medication."""
    rows_by_severity: Counter[str] = field(default_factory=Counter)
    findings_by_severity: Counter[str] = field(default_factory=Counter)
    findings_by_mechanism: Counter[str] = field(default_factory=Counter)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(object drug, precipitant) of every interaction finding; QTc findings have precipitant ""."""
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

    def add(self, line: int, response: dict[str, Any]) -> None:
        """Counts one output record.

        Args:
            line: The row's line number.
            response: The `CheckRegimenResponse` in the contract's JSON shape.
        """
        self.rows += 1
        error = response.get("error")
        if error is not None:
            self._add_error(line, response.get("requestId", ""), error)
            return
        self.rows_by_severity[response.get("highestSeverity", "SEVERITY_UNSPECIFIED")] += 1
        version = response.get("knowledgeBaseVersion")
        if version:
            self.kb_versions[version] += 1
        for finding in response.get("findings", ()):
            self.findings_by_severity[finding.get("severity", "SEVERITY_UNSPECIFIED")] += 1
            for mechanism in finding.get("mechanisms", ()):
                self.findings_by_mechanism[mechanism] += 1
            self.pairs[(finding.get("objectDrug", ""), finding.get("precipitantDrug", ""))] += 1
        changed = False
        for dose in response.get("doses", ()):
            action = dose.get("action", "")
            if action in _DOSE_CHANGING:
                changed = True
                drug = dose.get("drug", "")
                self.dose_changes[(drug, action)] += 1
                if len(self.dose_change_examples) < EXAMPLES_KEPT:
                    self.dose_change_examples.append(
                        DoseChange(
                            line,
                            response.get("requestId", ""),
                            drug,
                            dose.get("orderedDoseMg", 0.0),
                            dose.get("recommendedDoseMg", 0.0),
                            action,
                        )
                    )
        if changed:
            self.dose_change_rows += 1
        unrecognized = response.get("unrecognized")
        if unrecognized:
            self.incomplete += 1
            for item in unrecognized:
                name = item.get("name", "").strip()
                self.unrecognized[name] += 1
                if name not in self.suggestions:
                    self.suggestions[name] = list(item.get("suggestions", ()))

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
        self.findings_by_severity.update(other.findings_by_severity)
        self.findings_by_mechanism.update(other.findings_by_mechanism)
        self.pairs.update(other.pairs)
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
