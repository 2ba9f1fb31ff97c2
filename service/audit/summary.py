"""The audit's running totals, counted from the output records (the contract's JSON) as they are written or read back.

Every audit counts the same way: in-process, against servers, and the rows a resumed audit keeps.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar

__all__ = ["AuditSummary", "DoseChange", "FindingTally", "RegimenNeedingAction", "RowError", "needed_action"]

EXAMPLES_KEPT: Final = 200
"""How many rows needing action and rows with errors the report lists one by one (the counts cover all rows)."""

# Actions on a dose that change what the patient gets (a reduction, a hold, a stop).
_DOSE_CHANGING: Final = frozenset(
    {"ACTION_ADJUST_DOSE", "ACTION_HOLD", "ACTION_AVOID_COMBINATION", "ACTION_DISCONTINUE"}
)
# A dose that stands while another drug is to be avoided still needs action: it is counted under this.
_AVOID_OTHER: Final = "ACTION_AVOID_COMBINATION"
# The JSON leaves a default out: a decision without an action (none in today's answers) counts under this.
_NO_ACTION: Final = "ACTION_UNSPECIFIED"
_INDEX: Final = re.compile(r"\[\d+\]")

_Key = TypeVar("_Key")

FindingTally = tuple[str, str, str, tuple[str, ...]]
"""What the report counts of a finding, per other drug it found: object drug, that drug ("" for a QTc
or patient finding), severity, mechanisms."""


def needed_action(decision: dict[str, Any]) -> str | None:
    """The action a decision needs, or None when its dose stands with nothing to avoid.

    The audit's one rule for "needs action", shared by the totals and the decisions CSV.

    Args:
        decision: A `DoseRecommendation` in the contract's JSON shape.

    Returns:
        Its own action when that changes the dose (a reduction, a hold, a stop); ACTION_AVOID_COMBINATION
        for a dose that stands while another drug is to be avoided; else None.
    """
    action = decision.get("action", _NO_ACTION)
    if action in _DOSE_CHANGING:
        return str(action)
    return _AVOID_OTHER if decision.get("avoidWith") else None


class DoseChange(NamedTuple):
    """One regimen drug's decision that needs action."""

    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float
    action: str
    """As `needed_action` says."""
    avoid_with: tuple[str, ...]


class RegimenNeedingAction(NamedTuple):
    """One row with decisions that need action."""

    line: int
    request_id: str
    changes: tuple[DoseChange, ...]


class RowError(NamedTuple):
    """One row that could not be checked."""

    line: int
    request_id: str
    message: str


@dataclass(slots=True)
class AuditSummary:
    """Totals over the rows of an audit; `add` one row at a time, `merge` partial sums.

    Counters are keyed by the contract's JSON values (`SEVERITY_MAJOR`, `MECHANISM_PGP_INHIBITOR`).
    """

    rows: int = 0
    errors: int = 0
    incomplete: int = 0
    """Rows checked with an unrecognised name: the check could not consider every medication."""
    rows_by_severity: Counter[str] = field(default_factory=Counter)
    findings: Counter[FindingTally] = field(default_factory=Counter)
    dose_change_rows: int = 0
    """Rows with a decision that needs action (see `needed_action`)."""
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(drug, action) of every decision, the action as `needed_action` says where one is needed."""
    regimens_needing_action: list[RegimenNeedingAction] = field(default_factory=list)
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
    def findings_by_mechanism_and_severity(self) -> Counter[tuple[str, str]]:
        """Findings per (mechanism, severity), as `findings_by_mechanism` (derived from `findings`: read-only)."""
        return self._regrouped(lambda tally: ((mechanism, tally[2]) for mechanism in tally[3]))

    @property
    def dose_changes(self) -> Counter[tuple[str, str]]:
        """(drug, action) of every decision that needs action (derived from `decisions`: read-only)."""
        return Counter({key: count for key, count in self.decisions.items() if key[1] in _DOSE_CHANGING})

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
        for finding in response.get("findings", ()):
            self.findings.update(_tallies(finding))
        decisions = [(decision, needed_action(decision)) for decision in response.get("decisions", ())]
        self.decisions.update([(decision.get("drug", ""), needed or decision.get("action", _NO_ACTION))
                               for decision, needed in decisions])
        if any(needed for _, needed in decisions):
            self.dose_change_rows += 1
            if len(self.regimens_needing_action) < EXAMPLES_KEPT:
                changes = tuple(
                    DoseChange(decision.get("drug", ""), decision.get("orderedDoseMg", 0.0),
                               decision.get("recommendedDoseMg", 0.0), needed, tuple(decision.get("avoidWith", ())))
                    for decision, needed in decisions if needed is not None
                )
                self.regimens_needing_action.append(RegimenNeedingAction(line, request_id, changes))
        self._add_unrecognized(
            [(item.get("name", ""), item.get("suggestions", ())) for item in response.get("unrecognized", ())]
        )

    def _add_row(self, highest_severity: str, kb_version: str) -> None:
        self.rows += 1
        self.rows_by_severity[highest_severity] += 1
        if kb_version:
            self.kb_versions[kb_version] += 1

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
            fields = [f"(status code {code})"]
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
        self.decisions.update(other.decisions)
        room = EXAMPLES_KEPT - len(self.regimens_needing_action)
        self.regimens_needing_action.extend(other.regimens_needing_action[:room])
        self.unrecognized.update(other.unrecognized)
        for name, suggestions in other.suggestions.items():
            self.suggestions.setdefault(name, suggestions)
        self.error_fields.update(other.error_fields)
        room = EXAMPLES_KEPT - len(self.error_examples)
        self.error_examples.extend(other.error_examples[:room])
        self.kb_versions.update(other.kb_versions)


def _tallies(finding: dict[str, Any]) -> list[FindingTally]:
    """One tally per other drug the finding found (one with "" when it found none)."""
    head = finding.get("objectDrug", "")
    severity = finding.get("severity", "SEVERITY_UNSPECIFIED")
    mechanisms = tuple(finding.get("mechanisms", ()))
    return [(head, drug, severity, mechanisms) for drug in finding.get("precipitantDrugs") or ("",)]
