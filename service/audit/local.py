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
from multiprocessing import forkserver
from typing import Final, NamedTuple

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import KnowledgeBase, View, check, load_knowledge_base
from interactions.answer import answer
from interactions.reader import write_broad_tables
from service.audit.output import Batch, encode_record, write_records
from service.audit.rows import CsvLayout, Row, decode_row, request_id_of_row
from service.audit.summary import AuditSummary
from service.contract import JsonObject, to_json
from service.errors import error_response
from service.lifetime import end_with

__all__ = ["ChunkResult", "RowChecker", "chunked", "run_local", "start_worker_server"]

# forkserver: workers start from a clean interpreter, so no lock or gRPC thread of this
# process is inherited mid-use (a fork of a process with gRPC threads can deadlock).
_WORKERS: Final = multiprocessing.get_context("forkserver")

CHUNK_ROWS: Final = 250
"""Rows per unit of work: enough to amortise a worker's round trip, few enough that a chunk's records
(about 10 MB) reuse memory already touched rather than fault in fresh pages (1,000 rows measured
about a sixth slower)."""
RESPONSE: Final = pb.CheckRegimenResponse


class ChunkResult(NamedTuple):
    """The output records of a run of consecutive rows, and their totals."""

    records: Batch
    """One JSON line each (not joined: joining a chunk's 40 KB records would fault in megabytes of
    fresh memory every time), or, from a worker process, the file it wrote them to."""
    summary: AuditSummary


class RowChecker:
    """Decodes, checks and encodes rows against one knowledge base; the hot loop of an audit."""

    def __init__(self, kb: KnowledgeBase, layout: CsvLayout | None, view: View = View.BASIC) -> None:
        """Binds the knowledge base, the input's CSV layout (None for JSON Lines) and the answers' view.

        Args:
            kb: The knowledge base to check against.
            layout: The CSV layout, for CSV input.
            view: The view of the answers of rows that do not name one.
        """
        self._kb = kb
        self._layout = layout
        self._view = view

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
            return to_json(error_response(request_id_of_row(row, self._layout), exc), RESPONSE)
        view = request.view or self._view
        return to_json(answer(result, view), RESPONSE, view)

    def run(self, rows: Iterable[Row]) -> tuple[list[bytes], AuditSummary]:
        """Answers consecutive rows.

        Args:
            rows: The rows, in input order.

        Returns:
            Their output records, in the same order, and their totals.
        """
        summary = AuditSummary()
        answer_row = self.answer
        records: list[bytes] = []
        append = records.append
        # A chunk allocates thousands of short-lived dicts and lists, freed by reference counting;
        # the cyclic collector would scan them (and the knowledge base) again and again meanwhile,
        # which costs a quarter of the time of a chunk. It runs again once the chunk is done.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for row in rows:
                response = answer_row(row)
                summary.add(row.line, response)
                append(encode_record(row.line, response))
        finally:
            if collecting:
                gc.enable()
        return records, summary


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


def _start_worker(kb_path: pathlib.Path | None, cache_dir: pathlib.Path, layout: CsvLayout | None, view: View,
                  audit: int) -> None:
    global _worker_checker
    # Ctrl-C reaches the whole process group; the parent decides how to stop, workers just die
    # with it, so they must not print their own KeyboardInterrupt tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Workers blocked on the task queue would live on after a SIGKILL of the audit (and keep
    # the forkserver alive with them).
    end_with(audit)
    # The parent built or read the broad vocabulary's table: a worker reads it from the cache instead of
    # building it: 20,000 rows with 2 workers, 4,050 -> 4,710 rows/s (bench.audit, compiled, alternating runs).
    _worker_checker = RowChecker(load_knowledge_base(kb_path, cache_dir), layout, view)


def _run_chunk(rows: list[Row], spill: pathlib.Path, compressed: bool) -> ChunkResult:
    # The records go to a file, not back through the pool's pipe: megabytes a chunk pickled, piped
    # and unpickled cost the parent more than checking them costs a worker.
    assert _worker_checker is not None
    records, summary = _worker_checker.run(rows)
    fd = os.open(spill, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        write_records(fd, records, compressed=compressed)
    finally:
        os.close(fd)
    return ChunkResult(spill, summary)


def start_worker_server() -> None:
    """Starts the process that worker processes are forked from, importing what they run.

    Called before this process loads its knowledge base, so that the imports (about 0.2 s) happen
    meanwhile, on the other core, and each worker starts as a fork of a process that has them:
    20,000 rows with 2 workers, 5,230 -> 5,440 rows/s (bench.audit, compiled, alternating runs).
    """
    _WORKERS.set_forkserver_preload([__name__])
    forkserver.ensure_running()


def run_local(
    rows: Iterable[Row],
    sink: Callable[[ChunkResult], None],
    *,
    kb: KnowledgeBase,
    kb_path: pathlib.Path | None,
    cache_dir: pathlib.Path | None,
    layout: CsvLayout | None,
    spill_directory: Callable[[], pathlib.Path],
    view: View = View.BASIC,
    workers: int = 1,
    chunk_size: int = CHUNK_ROWS,
    compressed: bool = False,
) -> None:
    """Checks every row and hands the results to `sink` chunk by chunk, in input order.

    Args:
        rows: The rows to check, in input order.
        sink: Receives each chunk's records and totals, in order.
        kb: The knowledge base (used directly with one worker).
        kb_path: Where each worker process loads the same knowledge base from (None = built in).
        cache_dir: Where the parent keeps the broad vocabulary's table (None = nowhere: the parent
            then writes it to the spill directory for its workers).
        layout: The CSV layout, for CSV input.
        spill_directory: Gives the directory where worker processes write their chunks' records
            (see `OutputWriter.spill_directory`); called only with more than one worker.
        view: The answers' view, for rows that do not name one.
        workers: Processes to check in; 1 checks in this process.
        chunk_size: Rows per unit of work.
        compressed: Worker processes write their records as gzip members (for an output that is gzip).
    """
    if workers <= 1:
        checker = RowChecker(kb, layout, view)
        for chunk in chunked(rows, chunk_size):
            sink(ChunkResult(*checker.run(chunk)))
        return
    spill = spill_directory()
    # A file, not an argument: 7.5 MB through the pool's pipe held up each worker's start by 0.3 s.
    if cache_dir is None:
        cache_dir = spill
        write_broad_tables(spill)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_WORKERS,
        initializer=_start_worker,
        initargs=(kb_path, cache_dir, layout, view, os.getpid()),
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
