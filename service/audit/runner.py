"""`run_audit`: one audit from input file to output file, in-process or against servers, resumable."""

from __future__ import annotations

import contextlib
import pathlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from interactions import View, load_knowledge_base
from service.audit.decisions import DecisionsFile
from service.audit.local import CHUNK_ROWS, ChunkResult, run_local
from service.audit.output import OutputWriter, ResumeState, is_compressed, scan_output
from service.audit.remote import KnowledgeBaseIdentity, RemoteAuditError, run_remote
from service.audit.rows import (
    AuditInputError,
    CsvLayout,
    InputFormat,
    Row,
    RowReader,
    open_reader,
    request_id_of_row,
    row_digest,
)
from service.audit.summary import AuditSummary
from service.client_channel import PLAINTEXT, ClientSecurity

__all__ = ["AuditInterruptedError", "AuditRun", "ProgressCallback", "run_audit"]

ProgressCallback = Callable[[int, int, int], None]
"""Called as rows are answered and handed to the output's writer: (rows answered in all, input bytes
read, input size in bytes)."""

IN_PROCESS = "in-process"


@dataclass(slots=True)
class AuditRun:
    """What an audit did: its totals over every row of the output, and how it got them."""

    input_path: pathlib.Path
    output_path: pathlib.Path
    summary: AuditSummary
    knowledge_bases: tuple[KnowledgeBaseIdentity, ...]
    resumed_rows: int
    """Rows already answered by an earlier run and kept."""
    checked_rows: int
    """Rows answered by this run."""
    elapsed_s: float
    csv_rows: int = 0
    """The CSV's medication rows read (its regimens are the rows answered); 0 for JSON Lines."""

    @property
    def rows_per_s(self) -> float:
        """Rows this run answered per second of wall time."""
        return self.checked_rows / self.elapsed_s if self.elapsed_s > 0 else 0.0


class AuditInterruptedError(Exception):
    """The audit stopped early (Ctrl-C, a lost server); `run` has what was written, a prefix of the input."""

    def __init__(self, run: AuditRun, reason: str) -> None:
        self.run = run
        self.reason = reason
        super().__init__(reason)


def run_audit(
    input_path: pathlib.Path,
    output_path: pathlib.Path,
    *,
    input_format: InputFormat | None = None,
    workers: int = 1,
    targets: tuple[str, ...] = (),
    kb_path: pathlib.Path | None = None,
    cache_dir: pathlib.Path | None = None,
    resume: bool = False,
    view: View = View.BASIC,
    decisions_path: pathlib.Path | None = None,
    chunk_size: int = CHUNK_ROWS,
    streams_per_target: int = 2,
    connect_timeout_s: float = 10.0,
    answer_timeout_s: float = 60.0,
    security: ClientSecurity = PLAINTEXT,
    progress: ProgressCallback | None = None,
) -> AuditRun:
    """Checks every row of an input file and writes one output record per row, in input order.

    Args:
        input_path: JSON Lines or CSV (see `service.audit.rows` for the CSV layout).
        output_path: Where the JSON Lines results go (replaced, unless resuming); gzip when named `*.gz`.
        input_format: The input's format; None tells it from the extension.
        workers: In-process checking processes (ignored with targets).
        targets: gRPC targets to audit against; empty checks in-process.
        kb_path: The knowledge-base directory for in-process checks (None = the built-in one).
        cache_dir: Where the broad vocabulary's table is kept between processes (None = nowhere).
        resume: Keep the rows already in the output (cutting a half-written last record) and
            check only the others.
        view: The view of the answers written, for rows that do not name one.
        decisions_path: Where the decisions CSV goes (`service.audit.decisions`), put in place only once every
            row is answered; None writes none.
        chunk_size: Rows per unit of in-process work.
        streams_per_target: Concurrent `AuditRegimens` streams per target.
        connect_timeout_s: How long each target may take to answer its first call.
        answer_timeout_s: How long a target may leave a row unanswered before the audit stops.
        security: TLS, client certificate and token for the targets.
        progress: Called after each batch of records is written.

    Returns:
        The audit's totals over all rows of the output, and how it got them.

    Raises:
        AuditInputError: The input cannot be read, or (resuming) the output does not belong to it.
        AuditInterruptedError: Ctrl-C or a failed stream stopped the audit; the output holds a
            prefix of the rows, and `resume=True` finishes it.
        ClientSecurityError: `security` cannot be used (a file unreadable, a token without TLS).
        KnowledgeBaseError: The in-process knowledge base is invalid.
        OSError: A file cannot be opened (the decisions CSV's before the output is touched), or the
            decisions CSV cannot be put in place.
        OutputWriteError: The output or the decisions CSV could not be written (a full disk); the output
            then ends with a whole record, and `resume=True` finishes it.
    """
    started = time.perf_counter()
    with open_reader(input_path, input_format) as reader, contextlib.ExitStack() as files:
        # Opened first: a CSV that cannot be written stops the audit before the output is touched.
        decisions = files.enter_context(DecisionsFile(decisions_path)) if decisions_path is not None else None
        state = scan_output(output_path, decisions.write_answer if decisions else None) if resume else ResumeState()
        summary = AuditSummary()
        summary.merge(state.summary)
        resumed = summary.rows
        size = input_path.stat().st_size
        identities: tuple[KnowledgeBaseIdentity, ...] = ()
        kb = None
        if not targets:
            kb = load_knowledge_base(kb_path, cache_dir)
            identities = (KnowledgeBaseIdentity(IN_PROCESS, kb.version, kb.content_hash),)

        def run_so_far() -> AuditRun:
            return AuditRun(
                input_path,
                output_path,
                summary,
                identities,
                resumed,
                summary.rows - resumed,
                time.perf_counter() - started,
                reader.csv_rows,
            )

        try:
            with OutputWriter(output_path, append=resume) as out:

                def sink(chunk: ChunkResult) -> None:
                    out.write(chunk.records)
                    if decisions is not None:
                        decisions.write(chunk.decisions)
                    summary.merge(chunk.summary)
                    if progress is not None:
                        progress(summary.rows, reader.position, size)

                if progress is not None:
                    progress(summary.rows, 0, size)
                rows = _rows_to_check(reader, state, output_path)
                try:
                    if kb is not None:
                        run_local(
                            rows,
                            sink,
                            kb=kb,
                            layout=reader.layout,
                            view=view,
                            workers=workers,
                            chunk_size=chunk_size,
                            spill_directory=out.spill_directory,
                            compressed=is_compressed(output_path),
                            decisions=decisions is not None,
                        )
                    else:
                        identities = run_remote(
                            rows,
                            sink,
                            targets=targets,
                            layout=reader.layout,
                            view=view,
                            streams_per_target=streams_per_target,
                            connect_timeout_s=connect_timeout_s,
                            answer_timeout_s=answer_timeout_s,
                            security=security,
                            decisions=decisions is not None,
                        )
                except RemoteAuditError as exc:
                    raise AuditInterruptedError(run_so_far(), str(exc)) from exc
        except KeyboardInterrupt:
            # Also when it comes while the output's last batches are written: those are finished first.
            raise AuditInterruptedError(run_so_far(), "interrupted") from None
        if state.done:
            unmatched = sorted(state.done)[:5]
            raise AuditInputError(
                f"{output_path}: {len(state.done)} earlier record(s) match no input row "
                f"(lines {', '.join(map(str, unmatched))}...); the output holds rows of another input"
            )
        return run_so_far()


def _rows_to_check(reader: RowReader, state: ResumeState, output_path: pathlib.Path) -> Iterator[Row]:
    """The input's rows less those already answered, checking that those are the same rows.

    Matched entries are removed from `state.done`, so what remains at the end matched nothing. A row
    edited since its answer was written (a refreshed export at the same path) stops the audit: its
    answer is of another regimen, and it sits among answers an append-only output cannot replace.
    """
    done = state.done
    layout: CsvLayout | None = reader.layout
    for row in reader:
        if done:
            answered = done.pop(row.line, None)
            if answered is not None:
                given = request_id_of_row(row, layout)
                if given != answered.request_id:
                    raise AuditInputError(
                        f"{output_path}: line {row.line} was answered for request {answered.request_id!r},"
                        f" but the input has {given!r} there; the output holds rows of another input"
                    )
                if answered.digest is not None and answered.digest != row_digest(row):
                    raise AuditInputError(
                        f"{output_path}: line {row.line} (request {given!r}) has changed since it was answered;"
                        " the output holds answers to an earlier version of the input: audit it again with"
                        " --overwrite"
                    )
                continue
        yield row
