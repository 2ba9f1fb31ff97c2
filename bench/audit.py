"""Audit throughput: `dosecheck audit` (its runner, `run_audit`, and its report) in-process and against a server.

Timed as the command works: the decisions CSV and the report are written too, beside the output (the CSV
was left out while it was written after the audit, when it took a fifth of the command's time).
"""

from __future__ import annotations

import pathlib
import time
from dataclasses import dataclass

from service.audit.report import write_report
from service.audit.runner import AuditRun, run_audit


@dataclass(frozen=True, slots=True)
class AuditTiming:
    """One audit, timed from the call to the last record written."""

    mode: str
    workers: int
    rows: int
    elapsed_s: float

    @property
    def rows_per_s(self) -> float:
        """Rows checked per second of wall time (start-up, parsing and writing included)."""
        return self.rows / self.elapsed_s


def audit_in_process(
    input_path: pathlib.Path,
    output_path: pathlib.Path,
    kb_path: pathlib.Path | None,
    cache_dir: pathlib.Path,
    workers: int,
) -> AuditTiming:
    """Times `dosecheck audit INPUT --workers N` as the command does it, knowledge-base load included.

    Args:
        input_path: JSON Lines of requests.
        output_path: where the results go (replaced).
        kb_path: the knowledge base (None = built-in).
        cache_dir: the cache directory, as the command's settings give it one.
        workers: checking processes (1 = this process).

    Returns:
        Rows and wall time.
    """
    started = time.perf_counter()
    run = _reported(run_audit(input_path, output_path, workers=workers, kb_path=kb_path, cache_dir=cache_dir,
                              decisions_path=_decisions_path(output_path)))
    return AuditTiming("in-process", workers, run.checked_rows, time.perf_counter() - started)


def audit_remote(input_path: pathlib.Path, output_path: pathlib.Path, target: str) -> AuditTiming:
    """Times `dosecheck audit INPUT --target HOST:PORT` (its streams, its Python client).

    Args:
        input_path: JSON Lines of requests.
        output_path: where the results go (replaced).
        target: the server.

    Returns:
        Rows and wall time.
    """
    started = time.perf_counter()
    run = _reported(run_audit(input_path, output_path, targets=(target,), decisions_path=_decisions_path(output_path)))
    return AuditTiming("remote", 0, run.checked_rows, time.perf_counter() - started)


def _decisions_path(output_path: pathlib.Path) -> pathlib.Path:
    return output_path.with_name(output_path.name.split(".")[0] + ".decisions.csv")


def _reported(run: AuditRun) -> AuditRun:
    write_report(run, _decisions_path(run.output_path).with_suffix(".md"), _decisions_path(run.output_path))
    return run
