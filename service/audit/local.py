"""The in-process audit runner: checks rows with `interactions.check`, in this process or a pool."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pathlib
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Final, NamedTuple

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import KnowledgeBase, View, check
from interactions.answer import answer
from interactions.model import FieldViolation, InvalidRequestError
from service.audit.decisions import Line, csv_text, decision_rows
from service.audit.output import Batch, encode_record, write_records
from service.audit.rows import CsvLayout, Row, decode_row, located_violations, request_id_of_row
from service.audit.summary import AuditSummary
from service.contract import JsonObject, to_json
from service.errors import error_response
from service.lifetime import end_with

__all__ = ["ChunkCollector", "ChunkResult", "RowChecker", "chunked", "locate_error", "run_local"]

# fork: a worker starts as a copy of this process, its knowledge base already loaded, as the
# server's workers do. Safe here: an in-process audit opens no gRPC channel, the progress bar draws
# without a thread, and the output's writer thread holds nothing a worker uses.
_WORKERS: Final = multiprocessing.get_context("fork")

CHUNK_ROWS: Final = 250
"""Rows per unit of work: enough to amortise a worker's round trip, few enough that a chunk's records
(about 10 MB) reuse memory already touched rather than fault in fresh pages (1,000 rows measured
about a sixth slower)."""
RESPONSE: Final = pb.CheckRegimenResponse


def locate_error(row: Row, layout: CsvLayout | None, response: JsonObject) -> JsonObject:
    """An answer whose error names the CSV lines of what it refused (`located_violations`), checked here or by a server.

    Args:
        row: The row answered.
        layout: The CSV layout, None for JSON Lines.
        response: The answer in the contract's JSON shape.

    Returns:
        The answer; with an error, its violations located.
    """
    error = response.get("error")
    if error is None or layout is None:
        return response
    violations = tuple(FieldViolation(violation.get("field", ""), violation.get("description", ""))
                       for detail in error.get("details", ()) for violation in detail.get("fieldViolations", ()))
    located = located_violations(row, layout, violations)
    if located == violations:
        return response
    return to_json(error_response(response.get("requestId", ""), InvalidRequestError(located)), RESPONSE)


class ChunkResult(NamedTuple):
    """The output records of a run of consecutive rows, their totals and their lines of the decisions CSV."""

    records: Batch
    """One JSON line each (not joined: joining a chunk's 40 KB records would fault in megabytes of
    fresh memory every time), or, from a worker process, the file it wrote them to."""
    summary: AuditSummary
    decisions: str
    """Their lines of the decisions CSV (`decisions.csv_text`); "" when none is written."""


class ChunkCollector:
    """Gathers the answers to consecutive rows into a `ChunkResult`, in one place for every way of checking them."""

    __slots__ = ("_decision_lines", "records", "summary")

    def __init__(self, decisions: bool) -> None:
        """Starts an empty chunk.

        Args:
            decisions: Whether the decisions CSV is written: its lines are made as the answers come, in the
                process that has them (a worker's come back with its chunk), rather than read back from the
                output once the audit is done (a fifth of the command's time, and all of it in one process).
        """
        self.records: list[bytes] = []
        self.summary = AuditSummary()
        self._decision_lines: list[Line] | None = [] if decisions else None

    def add(self, row: Row, response: JsonObject) -> None:
        """Takes the answer to the next row: its output record, its totals, its decision lines.

        Args:
            row: The row answered.
            response: Its answer in the contract's JSON shape.
        """
        self.summary.add(row.line, response)
        self.records.append(encode_record(row, response))
        if self._decision_lines is not None:
            self._decision_lines.extend(decision_rows(row.line, response))

    def result(self, spilled: pathlib.Path | None = None) -> ChunkResult:
        """The chunk gathered; its records as the file `spilled` when a worker wrote them there."""
        return ChunkResult(spilled or self.records, self.summary, csv_text(self._decision_lines or ()))


class RowChecker:
    """Decodes, checks and encodes rows against one knowledge base; the hot loop of an audit."""

    def __init__(self, kb: KnowledgeBase, layout: CsvLayout | None, view: View = View.BASIC,
                 decisions: bool = False) -> None:
        """Binds the knowledge base, the input's CSV layout (None for JSON Lines) and the answers' view.

        Args:
            kb: The knowledge base to check against.
            layout: The CSV layout, for CSV input.
            view: The view of the answers of rows that do not name one.
            decisions: Whether chunks make their lines of the decisions CSV.
        """
        self._kb = kb
        self._layout = layout
        self._view = view
        self._decisions = decisions

    def answer(self, row: Row) -> JsonObject:
        """The answer to one row in the contract's JSON shape: its check, or `error` saying why there is none.

        Args:
            row: The row.

        Returns:
            The CheckRegimenResponse as JSON.
        """
        try:
            _, request = decode_row(row, self._layout)
            result = check(self._kb, request)
        except Exception as exc:  # noqa: BLE001 -- every row gets an answer; rpc_status_for logs bugs
            return locate_error(row, self._layout,
                                to_json(error_response(request_id_of_row(row, self._layout), exc), RESPONSE))
        view = request.view or self._view
        return to_json(answer(result, view), RESPONSE, view)

    def run(self, rows: Iterable[Row]) -> ChunkCollector:
        """Answers consecutive rows, then freezes what they leave alive (`gc.freeze`, for the whole process).

        Whoever runs chunks unfreezes once they are done (`run_local` does; a worker ends with its audit).
        `gc.unfreeze` is for the whole process too: what a caller froze before the audit is unfrozen with it.

        Args:
            rows: The rows, in input order.

        Returns:
            Their output records, in the same order, their totals and their decision lines.
        """
        answer_row = self.answer
        chunk = ChunkCollector(self._decisions)
        add = chunk.add
        # A chunk allocates thousands of short-lived dicts and lists, freed by reference counting;
        # the cyclic collector would scan them (and the knowledge base) again and again meanwhile,
        # which costs a quarter of the time of a chunk. It runs again once the chunk is done.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for row in rows:
                add(row, answer_row(row))
        finally:
            # What a chunk leaves alive, about 120 objects a row (the engine's remembered outcomes, the
            # totals), lives on: the first collection after the chunk scanned it all (15 ms a chunk) and
            # later ones again. Frozen, no collection looks at it; a chunk leaves no reference cycles
            # behind (tests/audit), so nothing the collector would free is kept. 10,000 of the
            # benchmark's rows, compiled, one process: 0.8 s less collecting, 1,369-1,459 -> 1,593-1,635
            # rows/s (alternating runs).
            gc.freeze()
            if collecting:
                gc.enable()
        return chunk


def chunked(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Splits rows into lists of at most `size`, in order.

    Args:
        rows: The rows.
        size: The largest list.

    Yields:
        Consecutive lists of rows.
    """
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


_worker_checker: RowChecker | None = None


def _start_worker(checker: RowChecker, audit: int) -> None:
    global _worker_checker
    # Ctrl-C reaches the whole process group; the parent decides how to stop, workers just die
    # with it, so they must not print their own KeyboardInterrupt tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Workers blocked on the task queue would live on after a SIGKILL of the audit.
    end_with(audit)
    # Inherited, not sent: a forked worker's arguments are not pickled. Each worker loading the knowledge
    # base again (forkserver) held up its first rows by 0.44 s; frozen, the inherited objects are left out
    # of the worker's collections (which would also copy their shared pages). 20,000 rows, 2 workers, cache
    # warm: 5,211-5,331 rows/s (forkserver) -> 5,540-5,675 (fork) -> 5,766-6,156 (fork, frozen) (the audit
    # benchmark's rows, compiled, alternating runs).
    gc.freeze()
    _worker_checker = checker


def _run_chunk(rows: list[Row], spill: pathlib.Path, compressed: bool) -> ChunkResult:
    # The records go to a file, not back through the pool's pipe: megabytes a chunk pickled, piped
    # and unpickled cost the parent more than checking them costs a worker.
    assert _worker_checker is not None
    chunk = _worker_checker.run(rows)
    fd = os.open(spill, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        write_records(fd, chunk.records, compressed=compressed)
    finally:
        os.close(fd)
    return chunk.result(spill)


def run_local(
    rows: Iterable[Row],
    sink: Callable[[ChunkResult], None],
    *,
    kb: KnowledgeBase,
    layout: CsvLayout | None,
    spill_directory: Callable[[], pathlib.Path],
    view: View = View.BASIC,
    workers: int = 1,
    chunk_size: int = CHUNK_ROWS,
    compressed: bool = False,
    decisions: bool = False,
) -> None:
    """Checks every row and hands the results to `sink` chunk by chunk, in input order.

    Args:
        rows: The rows to check, in input order.
        sink: Receives each chunk's records and totals, in order.
        kb: The knowledge base (worker processes inherit it).
        layout: The CSV layout, for CSV input.
        spill_directory: Gives the directory where worker processes write their chunks' records
            (see `OutputWriter.spill_directory`); called only with more than one worker.
        view: The answers' view, for rows that do not name one.
        workers: Processes to check in; 1 checks in this process.
        chunk_size: Rows per unit of work.
        compressed: Worker processes write their records as gzip members (for an output that is gzip).
        decisions: Whether chunks make their lines of the decisions CSV.
    """
    checker = RowChecker(kb, layout, view, decisions)
    if workers <= 1:
        try:
            for chunk in chunked(rows, chunk_size):
                sink(checker.run(chunk).result())
        finally:
            gc.unfreeze()  # this process goes on (a test, a caller of run_audit): its collector sees everything again
        return
    spill = spill_directory()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_WORKERS, initializer=_start_worker, initargs=(checker, os.getpid())
    )
    # A bounded window of chunks in flight keeps memory flat however long the input is.
    window = 2 * workers + 1
    pending: deque[Future[ChunkResult]] = deque()
    try:
        for index, chunk in enumerate(chunked(rows, chunk_size)):
            pending.append(pool.submit(_run_chunk, chunk, spill / f"{index}.jsonl", compressed))
            if len(pending) >= window:
                sink(pending.popleft().result())
        while pending:
            sink(pending.popleft().result())
    finally:
        # Waits for the chunks being checked (a fraction of a second each) so that no worker still writes into
        # the spill directory when the output's writer removes it.
        pool.shutdown(wait=True, cancel_futures=True)
