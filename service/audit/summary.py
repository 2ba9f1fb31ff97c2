"""The audit's running totals, counted from the output records (the contract's JSON) as they are written or read back.

Every audit counts the same way: in-process, against servers, and the rows a resumed audit keeps.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar

__all__ = [
    "AuditSummary",
    "DecisionNeedingAction",
    "FindingTally",
    "IncompleteRow",
    "NotChecked",
    "RegimenNeedingAction",
    "RowError",
    "is_complete",
    "needed_action",
    "needed_actions",
    "not_checked",
    "recommended_dose",
]

EXAMPLES_KEPT: Final = 200
"""How many rows needing action, incomplete rows and rows with errors the report lists one by one (the
counts cover all rows)."""

# Actions on a dose that change what the patient gets (a reduction, a hold, a stop).
_CHANGING_WHAT_IS_GIVEN: Final = frozenset(
    {"ACTION_ADJUST_DOSE", "ACTION_HOLD", "ACTION_AVOID_COMBINATION", "ACTION_DISCONTINUE"}
)
# A dose that stands while another drug is to be avoided still needs action: it is counted under this.
_AVOID_OTHER: Final = "ACTION_AVOID_COMBINATION"
_HOLD: Final = "ACTION_HOLD"
_MONITOR: Final = "ACTION_MONITOR"
_MAJOR: Final = frozenset({"SEVERITY_MAJOR", "SEVERITY_CONTRAINDICATED"})
# The JSON leaves a default out: a decision without an action (an unrecognised regimen drug's) counts under this.
_NO_ACTION: Final = "ACTION_UNSPECIFIED"
_NO_REASON: Final = "UNRECOGNIZED_REASON_UNSPECIFIED"
_INDEX: Final = re.compile(r"\[\d+\]")

_Key = TypeVar("_Key")

class FindingTally(NamedTuple):
    """What the report counts of a finding, per other drug it found."""

    object_drug: str
    other_drug: str
    """"" for a QTc or patient finding."""
    severity: str
    mechanisms: tuple[str, ...]
    by_regimen_rule: bool
    """Found by a regimen rule (a duplication, the QT burden): its drugs are the regimen's, not a pair
    with its object drug."""


class NotChecked(NamedTuple):
    """A medication of a row that the check could not consider (the answer's `UnrecognizedMedication`)."""

    name: str
    """As written, without surrounding blanks."""
    reason: str
    """The contract's JSON value (`UNRECOGNIZED_REASON_UNKNOWN`)."""
    suggestions: tuple[str, ...]


def is_complete(response: dict[str, Any]) -> bool:
    """Whether a row's check considered every medication.

    Either sign of a gap makes it incomplete (`complete` not set, or a name unrecognised), so that a
    medication not recognised is never passed silently even by an answer that contradicts itself.

    Args:
        response: A checked row's `CheckRegimenResponse` in the contract's JSON shape.

    Returns:
        True when the check is complete.
    """
    return bool(response.get("complete")) and not response.get("unrecognized")


def not_checked(response: dict[str, Any]) -> tuple[NotChecked, ...]:
    """The medications of a row that the check could not consider, in the answer's order.

    Args:
        response: A `CheckRegimenResponse` in the contract's JSON shape.

    Returns:
        One per unrecognised name.
    """
    return tuple(
        NotChecked(item.get("name", "").strip(), item.get("reason", _NO_REASON), tuple(item.get("suggestions", ())))
        for item in response.get("unrecognized", ())
    )


def needed_actions(response: dict[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    """Each decision of an answer with the action it needs (`needed_action`), None where it needs none."""
    complete = is_complete(response)
    major = frozenset(finding.get("id", "") for finding in response.get("findings", ())
                      if finding.get("severity") in _MAJOR)
    return [(decision, needed_action(decision, complete, major)) for decision in response.get("decisions", ())]


def needed_action(decision: dict[str, Any], complete: bool, major: frozenset[str] = frozenset()) -> str | None:
    """The action a decision needs, or None when nothing about it needs a pharmacist.

    The audit's one rule for "needs action", shared by the totals and the decisions CSV. In a row
    whose check is incomplete every decision needs action: no decision of that regimen can be
    trusted before a pharmacist has looked at the medication that was not checked.

    Args:
        decision: A `DoseRecommendation` in the contract's JSON shape.
        complete: Whether the row's check is complete (`is_complete`).
        major: The ids of the answer's major and contraindicated findings.

    Returns:
        Its own action when that changes the dose (a reduction, a hold, a stop); ACTION_AVOID_COMBINATION
        for a dose that stands while another drug is to be avoided; ACTION_MONITOR when a major finding
        asks to monitor it (a QTc of 480 ms with three QT-prolonging drugs: ECGs to order); else, in an
        incomplete row, its own action (ACTION_UNSPECIFIED for a regimen drug that was not recognised);
        else None. A hold that no finding sets is the order's own ("HOLD venetoclax 400 mg", or `held`):
        nothing to change.
    """
    action = str(decision.get("action", _NO_ACTION))
    if action in _CHANGING_WHAT_IS_GIVEN and not _held_in_its_order(decision):
        return action
    if decision.get("avoidWith"):
        return _AVOID_OTHER
    if action == _MONITOR and not major.isdisjoint(decision.get("findings", ())):
        return action
    return None if complete else action


def _held_in_its_order(decision: dict[str, Any]) -> bool:
    """A hold that no finding sets: the order says the drug is held, and nothing is to change."""
    return decision.get("action") == _HOLD and not decision.get("findings")


def recommended_dose(decision: dict[str, Any]) -> float | None:
    """A decision's recommended dose; None when it has none to give.

    The contract leaves the dose out for a regimen drug that was not checked (no action) and for a
    partner ordered without a dose; a record written before the dose became optional also left out a
    dose of 0 (a hold), which its action tells apart.

    Args:
        decision: A `DoseRecommendation` in the contract's JSON shape.

    Returns:
        The dose in mg, or None.
    """
    dose = decision.get("recommendedDoseMg")
    if dose is not None:
        return float(dose)
    return 0.0 if decision.get("action") == "ACTION_HOLD" else None


class DecisionNeedingAction(NamedTuple):
    """One regimen drug's decision that needs action."""

    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float | None
    """None when there is no dose in mg to give (`recommended_dose`): the drug was not checked, or it is dosed per m2
    and ordered with no dose in mg."""
    action: str
    """As `needed_action` says."""
    avoid_with: tuple[str, ...]


class RegimenNeedingAction(NamedTuple):
    """One row with decisions that need action."""

    line: int
    request_id: str
    decisions: tuple[DecisionNeedingAction, ...]
    not_checked: tuple[NotChecked, ...]
    """Empty when the row's check is complete."""


class IncompleteRow(NamedTuple):
    """One row whose check could not consider every medication."""

    line: int
    request_id: str
    not_checked: tuple[NotChecked, ...]


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
    incomplete_rows: list[IncompleteRow] = field(default_factory=list)
    rows_by_severity: Counter[str] = field(default_factory=Counter)
    findings: Counter[FindingTally] = field(default_factory=Counter)
    regimen_findings: Counter[str] = field(default_factory=Counter)
    """Findings of regimen rules (a duplication, the QT burden) by rule id, once per finding."""
    action_rows: int = 0
    """Rows with a decision that needs action (see `needed_action`): every incomplete row among them."""
    dose_change_rows: int = 0
    """Rows with a decision that changes a dose or names a drug to avoid."""
    dose_changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(drug, action) of every decision changing a dose or naming a drug to avoid, as `needed_action` says: a
    hold its order says is none, though in an incomplete row it needs action."""
    decisions_needing_action: int = 0
    """Decisions that need action (see `needed_action`): the lines of the decisions CSV."""
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
        return self._regrouped(lambda tally: (tally.severity,))

    @property
    def findings_by_mechanism(self) -> Counter[str]:
        """Findings per mechanism, a finding of two counting under each (derived from `findings`: read-only)."""
        return self._regrouped(lambda tally: tally.mechanisms)

    @property
    def findings_by_mechanism_and_severity(self) -> Counter[tuple[str, str]]:
        """Findings per (mechanism, severity), as `findings_by_mechanism` (derived from `findings`: read-only)."""
        return self._regrouped(lambda tally: ((mechanism, tally.severity) for mechanism in tally.mechanisms))

    @property
    def pairs(self) -> Counter[tuple[str, str]]:
        """Agents' findings per (object drug, precipitant) (from `findings`: read-only).

        A regimen rule's findings are not pairs of the drug they name first: see `regimen_findings`;
        an agent's findings with no other drug (a QTc, a patient's values, a dose above the label) are
        counted by their mechanism in `own_findings`.
        """
        return self._regrouped(lambda tally: () if tally.by_regimen_rule or not tally.other_drug
                               else ((tally.object_drug, tally.other_drug),))

    @property
    def own_findings(self) -> Counter[tuple[str, str]]:
        """Agents' findings with no other drug per (object drug, mechanism) (from `findings`: read-only)."""
        return self._regrouped(lambda tally: () if tally.by_regimen_rule or tally.other_drug
                               else ((tally.object_drug, mechanism) for mechanism in tally.mechanisms))

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
            tallies = _tallies(finding)
            self.findings.update(tallies)
            if tallies[0].by_regimen_rule:
                self.regimen_findings[finding.get("rule", "")] += 1
        complete = is_complete(response)
        missed = not_checked(response)
        decisions = needed_actions(response)
        self.decisions.update([(decision.get("drug", ""), needed or decision.get("action", _NO_ACTION))
                               for decision, needed in decisions])
        needing = [
            DecisionNeedingAction(decision.get("drug", ""), decision.get("orderedDoseMg", 0.0),
                                  recommended_dose(decision), needed, tuple(decision.get("avoidWith", ())))
            for decision, needed in decisions if needed is not None
        ]
        changing = [(decision.get("drug", ""), needed) for decision, needed in decisions
                    if needed in _CHANGING_WHAT_IS_GIVEN and not _held_in_its_order(decision)]
        self.dose_changes.update(changing)
        if changing:
            self.dose_change_rows += 1
        if needing:
            self.action_rows += 1
            self.decisions_needing_action += len(needing)
            if len(self.regimens_needing_action) < EXAMPLES_KEPT:
                self.regimens_needing_action.append(RegimenNeedingAction(line, request_id, tuple(needing), missed))
        if not complete:
            self._add_incomplete(line, request_id, missed)

    def _add_row(self, highest_severity: str, kb_version: str) -> None:
        self.rows += 1
        self.rows_by_severity[highest_severity] += 1
        if kb_version:
            self.kb_versions[kb_version] += 1

    def _add_incomplete(self, line: int, request_id: str, missed: tuple[NotChecked, ...]) -> None:
        self.incomplete += 1
        if len(self.incomplete_rows) < EXAMPLES_KEPT:
            self.incomplete_rows.append(IncompleteRow(line, request_id, missed))
        for item in missed:
            if item.name not in self.suggestions:
                self.suggestions[item.name] = list(item.suggestions)
        # Counted in rows, as the report says: a name written twice in one regimen is one row's gap.
        self.unrecognized.update(list(dict.fromkeys(item.name for item in missed)))

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
        # In rows, as the report says: three doses written "400 mg" in one regimen are one row's error.
        self.error_fields.update(list(dict.fromkeys(name or "(whole row)" for name in fields)))

    def merge(self, other: AuditSummary) -> None:
        """Adds another summary's totals, keeping example lists in input order.

        Args:
            other: The totals of rows that come after this summary's rows.
        """
        self.rows += other.rows
        self.errors += other.errors
        self.incomplete += other.incomplete
        room = EXAMPLES_KEPT - len(self.incomplete_rows)
        self.incomplete_rows.extend(other.incomplete_rows[:room])
        self.rows_by_severity.update(other.rows_by_severity)
        self.findings.update(other.findings)
        self.regimen_findings.update(other.regimen_findings)
        self.action_rows += other.action_rows
        self.dose_change_rows += other.dose_change_rows
        self.dose_changes.update(other.dose_changes)
        self.decisions_needing_action += other.decisions_needing_action
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
    rule = finding.get("rule", "")
    # An agent's rule is "<agent>/<rule id>"; a regimen rule's is its id alone.
    regimen = bool(rule) and "/" not in rule
    return [FindingTally(head, drug, severity, mechanisms, regimen)
            for drug in finding.get("precipitantDrugs") or ("",)]
