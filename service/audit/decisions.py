"""The audit's decisions CSV: one line per regimen drug whose decision needs action, for a spreadsheet.

Its lines are made from each answer as it is written to the output, in the process that checked it (a
worker's lines come back with its chunk), and from the earlier records of a resumed audit as they are
read back, so the CSV is the same however the output was written (in-process or against servers, by
one worker or several, in one run or resumed). A decision needs action as `summary.needed_action`
says (every decision of a row whose check is incomplete does), so the CSV has one line per decision the
report counts, and one line per row that could not be checked at all (`action` "not checked (error)",
the error in `not_checked`): a pharmacist working from the CSV alone sees those regimens too.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import pathlib
import re
from collections.abc import Collection, Iterable
from types import TracebackType
from typing import IO, Any, Final

from dosecheck.v1 import dosecheck_pb2 as pb
from service.audit.output import OutputWriteError
from service.audit.report import action_label, enum_label, not_checked_text
from service.audit.summary import is_complete, needed_actions, not_checked, recommended_dose

__all__ = ["COLUMNS", "ERROR_ACTION", "DecisionsFile", "csv_text", "decision_rows"]

COLUMNS: Final = (
    "line",
    "request_id",
    "drug",
    "ordered_dose_mg",
    "recommended_dose_mg",
    "action",
    "because_of",
    "avoid_with",
    "findings",
    "highest_severity",
    "complete",
    "not_checked",
)
ERROR_ACTION: Final = "not checked (error)"
"""The action cell of a row that could not be checked."""
_JOINED: Final = "; "
_AVOID: Final = "ACTION_AVOID_COMBINATION"
_STOPPING: Final = frozenset({"ACTION_HOLD", "ACTION_DISCONTINUE"})
_SEVERITY_RANK: Final = {name: rank for rank, name in enumerate(pb.Severity.keys())}
_SEVERITY_LABELS: Final = {name: enum_label(name, "SEVERITY_") for name in _SEVERITY_RANK}
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# And reads one of these as a number or a date, changing it: an id's leading zeros dropped (00012345), one of 12
# digits or more shown as 1.23457E+11 (General format; saved again so) and digits past the 15th zeroed, 2E5 as
# 200000, 11-3 as 3 November. The patient could not be found, or another was.
_READ_AS_NUMBER: Final = re.compile(
    r"0\d+(?:\.\d*)?|\d{12,}|\d+(?:\.\d+)?[eE][+-]?\d+|\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?")


Line = tuple[object, ...]
"""One CSV line's cells, in `COLUMNS` order."""


def csv_text(lines: Iterable[Line]) -> str:
    """The CSV text of lines, as the file holds them (spreadsheet line endings, CRLF).

    Args:
        lines: Lines of `decision_rows`.

    Returns:
        The text, "" for none.
    """
    text = io.StringIO()
    csv.writer(text).writerows(lines)
    return text.getvalue()


class DecisionsFile:
    """The decisions CSV of an audit, written as its chunks come and put in place only when the audit is done.

    It is written to a file of its own beside the CSV (`.NAME.partial`), which replaces the CSV on `commit`: an
    audit that stops (Ctrl-C, a lost server, a full disk) leaves no CSV of part of the rows, nor an earlier
    audit's CSV cut short; its resumed run writes the whole CSV again. (A process killed outright leaves
    `.NAME.partial` behind, safe to delete.) A device or a pipe is written to directly. UTF-8 with a byte-order mark,
    which spreadsheets need to read UTF-8 rather than a local code page; a header row.
    """

    def __init__(self, path: pathlib.Path) -> None:
        """Opens the file the CSV is written to, and writes its header.

        Args:
            path: Where the CSV goes once the audit is done.

        Raises:
            OSError: The file cannot be written (its folder missing, say); `filename` is `path`.
        """
        self.path = path
        # A symbolic link's target is written, the link kept; a device or a pipe (`/dev/null`) is written to as it
        # is, never replaced by a file (review revT, must-fix 1: a file of patient data in place of /dev/null).
        target = path.resolve()
        self._in_place = target.exists() and not target.is_file()
        # Made as the CSV itself would be (the umask's permissions), for whoever reads it beside the report.
        self._written = target if self._in_place else target.with_name(f".{target.name}.partial")
        self._target = target
        try:
            self._file: IO[str] = self._written.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        self.write(csv_text([COLUMNS]))

    def write(self, text: str) -> None:
        """Appends lines of `csv_text`.

        Raises:
            OutputWriteError: They cannot be written (a full disk); its `filename` is the CSV's path.
        """
        try:
            self._file.write(text)
        except OSError as exc:
            raise OutputWriteError(self.path, exc) from exc

    def write_answer(self, line: int, response: dict[str, Any]) -> None:
        """Appends the lines of one output record (`decision_rows`): a resumed audit's earlier ones.

        Raises:
            OutputWriteError: They cannot be written (a full disk); its `filename` is the CSV's path.
        """
        self.write(csv_text(decision_rows(line, response)))

    def commit(self) -> None:
        """Puts the CSV in place of `path` (a rename: a reader sees the earlier file or this one, whole).

        Raises:
            OSError: It cannot be written; `filename` is the CSV's path.
        """
        try:
            self._file.close()
            if not self._in_place:
                os.replace(self._written, self._target)
        except OSError as exc:
            self.discard()
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc

    def discard(self) -> None:
        """Removes what was written; `path` is left as it was."""
        with contextlib.suppress(OSError):
            self._file.close()
        if not self._in_place:
            with contextlib.suppress(OSError):
                self._written.unlink()

    def __enter__(self) -> DecisionsFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def decision_rows(line: int, response: dict[str, Any]) -> list[Line]:
    """The CSV lines of one output record: one per decision that needs action, in the answer's order.

    `findings` gives the rule ids of the findings behind the decision: those it names (which set its
    dose), then those that say to avoid the drugs of its `avoidWith`; `because_of` what those findings
    rest on, for a reader without the rule ids: each other drug with its mechanism ("posaconazole
    (CYP3A4 strong inhibitor)"), or the mechanism alone where no other drug is involved ("labelled
    dose", "QTc threshold"); `highest_severity` is the
    highest of theirs; `complete` is the row's, and `not_checked` names what its check could not
    consider (empty when it is complete).

    Args:
        line: The record's input line.
        response: The `CheckRegimenResponse` in the contract's JSON shape.

    Returns:
        The lines' cells, in `COLUMNS` order; text cells guarded against being run as formulas.
    """
    error = response.get("error")
    if error is not None:
        return [(line, _text(response.get("requestId", "")), "", "", "", ERROR_ACTION, "", "", "", "", "no",
                 _text(str(error.get("message", ""))))]
    complete = is_complete(response)
    needing = [(decision, action) for decision, action in needed_actions(response) if action is not None]
    if not needing:
        return []
    findings = {finding.get("id", ""): finding for finding in response.get("findings", ())}
    # The contract says a decision's `avoidWith` drugs have findings saying why; the decision does
    # not name those (it names the findings that set its dose). Each with the drugs it concerns.
    avoiding = [(finding, {finding.get("objectDrug", ""), *finding.get("precipitantDrugs", ())})
                for finding in findings.values() if finding.get("action") == _AVOID]
    request_id = _text(response.get("requestId", ""))
    row_cells = ("yes", "") if complete else ("no", _text(not_checked_text(not_checked(response))))
    lines: list[Line] = []
    for decision, action in needing:
        drug = decision.get("drug", "")
        avoided = decision.get("avoidWith", ())
        behind = {finding_id: findings[finding_id] for finding_id in decision.get("findings", ())
                  if finding_id in findings}
        for finding, concerned in avoiding if avoided else ():
            if drug in concerned and not concerned.isdisjoint(avoided):
                behind.setdefault(finding.get("id", ""), finding)
        severities = [finding.get("severity", "SEVERITY_UNSPECIFIED") for finding in behind.values()]
        highest = max(severities, key=lambda name: _SEVERITY_RANK.get(name, -1)) if severities else ""
        lines.append((
            line,
            request_id,
            _text(drug),
            _number(decision.get("orderedDoseMg") or None),  # 0 is "not stated" in the contract
            _number(recommended_dose(decision)),
            action_label(action),
            _joined(_because_of(drug, action, behind.values())),
            _joined(avoided),
            _joined(dict.fromkeys(finding.get("rule", "") for finding in behind.values())),
            _SEVERITY_LABELS.get(highest) or enum_label(highest, "SEVERITY_"),
            *row_cells,
        ))
    return lines


def _because_of(drug: str, action: str, findings: Collection[dict[str, Any]]) -> list[str]:
    # Each other drug once, with every mechanism it is behind. A drug this one acts on (venetoclax
    # raising digoxin) names this one: the mechanism is then this drug's ("digoxin (venetoclax: P-gp
    # inhibitor)"). Findings with no other drug (a QTc, the labelled dose) give their mechanism alone.
    # A hold no finding calls for is the order's: its findings set the dose on resuming ("hold 400 -> 0"
    # because of posaconazole read as the azole's hold).
    behind: dict[str, dict[str, None]] = {}
    for finding in findings:
        mechanisms = [enum_label(name, "MECHANISM_") for name in finding.get("mechanisms", ())]
        acted_on = finding.get("objectDrug", drug)
        others = [(other, mechanisms) for other in finding.get("precipitantDrugs", ()) if other != drug]
        if acted_on != drug:
            others.append((acted_on, [f"{drug}: {mechanism}" for mechanism in mechanisms]))
        for other, said in others or [("", mechanisms)]:
            behind.setdefault(other, {}).update(dict.fromkeys(said))
    because = [f"{other} ({', '.join(said)})" if other else ", ".join(said) for other, said in behind.items()]
    if because and action in _STOPPING and not any(finding.get("action") in _STOPPING for finding in findings):
        return ["held in the order", f"on resuming: {because[0]}", *because[1:]]
    return because


def _text(value: str) -> str:
    # The apostrophe is how a spreadsheet is told a cell is text.
    return "'" + value if value.startswith(_FORMULA_START) or _READ_AS_NUMBER.fullmatch(value) else value


def _joined(values: Iterable[str]) -> str:
    return _text(_JOINED.join(values))


def _number(value: float | None) -> str:
    # Every digit the answer has (the report rounds; a spreadsheet should not have to). No dose (a drug
    # not checked) is an empty cell, never 0.
    return "" if value is None else f"{value:.15g}"
