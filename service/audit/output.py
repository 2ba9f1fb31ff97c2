"""The audit's output file: one JSON record per input row, and what a resumed audit finds in it.

Each line is `{"line": N, "response": {...}}`: the input line where the row starts and the
`CheckRegimenResponse` in the contract's JSON shape (with `error` set for a row not checked).
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from service.audit.rows import AuditInputError
from service.audit.summary import AuditSummary

__all__ = ["ResumeState", "encode_record", "scan_output"]


def encode_record(line: int, response: dict[str, Any]) -> bytes:
    """One output line, newline included.

    Args:
        line: The input line where the row starts.
        response: The response in the contract's JSON shape.

    Returns:
        The UTF-8 bytes to append to the output.
    """
    return orjson.dumps({"line": line, "response": response}, option=orjson.OPT_APPEND_NEWLINE)


@dataclass(slots=True)
class ResumeState:
    """What an earlier, interrupted run left: the rows done (line -> request id) and their totals."""

    done: dict[int, str] = field(default_factory=dict)
    summary: AuditSummary = field(default_factory=AuditSummary)
    dropped_bytes: int = 0
    """Bytes cut from the end of the file: a half-written record (or anything after a damaged one)."""


def scan_output(path: pathlib.Path) -> ResumeState:
    """Reads an earlier run's output and cuts it back to its last whole record.

    Records are written in input order, so everything up to the first damaged line (a crash
    mid-write leaves a line without its newline) is kept; that line and anything after it is
    dropped, and those rows are checked again.

    Args:
        path: The output file; a missing file means nothing is done yet.

    Returns:
        The rows already answered and their totals.

    Raises:
        AuditInputError: The file holds two records for one line, so it is not an audit output.
    """
    state = ResumeState()
    if not path.exists():
        return state
    kept = 0
    with open(path, "r+b") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                record = orjson.loads(raw)
                line = record["line"]
                response = record["response"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                break
            if type(line) is not int or type(response) is not dict:
                break
            if line in state.done:
                raise AuditInputError(f"{path}: two records for line {line}; is this the output of an audit?")
            request_id = response.get("requestId", "")
            state.done[line] = request_id if type(request_id) is str else ""
            state.summary.add(line, response)
            kept += len(raw)
        size = fh.seek(0, 2)
        if size > kept:
            fh.truncate(kept)
    state.dropped_bytes = size - kept
    return state
