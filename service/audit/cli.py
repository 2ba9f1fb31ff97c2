"""`dosecheck audit`: check every regimen of a JSON Lines or CSV export, with a summary report."""

from __future__ import annotations

import contextlib
import pathlib
import sys
import time
from collections.abc import Iterator
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from interactions import KnowledgeBaseError, View
from service.audit.output import OutputWriteError, is_compressed
from service.audit.report import write_report
from service.audit.rows import AuditInputError, InputFormat
from service.audit.runner import AuditInterruptedError, AuditRun, ProgressCallback, run_audit
from service.client_channel import (
    ClientSecurity,
    ClientSecurityError,
    TlsCaOption,
    TlsCertOption,
    TlsKeyOption,
    TlsServerNameOption,
    TokenFileOption,
)
from service.exit_codes import ExitCode
from service.settings import Settings, cache_dir

__all__ = ["audit"]



@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr with rows, rate and ETA; nothing at all when not enabled."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("auditing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
    )
    # Drawn at each update rather than by a thread of its own: an audit's worker processes are forks of
    # this one, and a fork must not copy a lock that another thread holds (the console's, mid-draw).
    with Progress(*columns, console=Console(stderr=True), auto_refresh=False) as bar:
        task = bar.add_task("audit", total=None, rows=0, rate=0.0)
        started = time.perf_counter()
        first_rows: int | None = None

        def update(rows: int, position: int, size: int) -> None:
            nonlocal first_rows
            if first_rows is None:
                # Rows kept from an earlier run are not part of this run's rate.
                first_rows = rows
            elapsed = time.perf_counter() - started
            rate = (rows - first_rows) / elapsed if elapsed > 0 else 0.0
            bar.update(task, completed=position, total=size, rows=rows, rate=rate, refresh=True)

        yield update


def _say(run: AuditRun) -> None:
    summary = run.summary
    typer.echo(
        f"{summary.rows:,} rows ({run.resumed_rows:,} kept from an earlier run), "
        f"{summary.errors:,} with errors, {summary.incomplete:,} with unrecognised names, "
        f"{summary.action_rows:,} needing action (a dose change, a drug to avoid, a major finding to monitor or a "
        "check left incomplete); "
        f"{run.checked_rows:,} rows read in this run in {run.elapsed_s:.1f} s ({run.rows_per_s:,.0f} rows/s)",
        err=True,
    )


def audit(
    input_path: Annotated[
        pathlib.Path,
        typer.Argument(metavar="INPUT", help="Regimens: JSON Lines (.jsonl) or CSV (.csv).", show_default=False),
    ],
    output: Annotated[
        Optional[pathlib.Path],  # noqa: UP045 -- typer needs Optional[...] to see the type at runtime
        typer.Option("--output", "-o", help="Results, one JSON line per row; gzip when named *.gz, as the default "
                     "INPUT.results.jsonl.gz is (about a tenth of the size; zcat reads it), plain when named *.jsonl."),
    ] = None,
    report: Annotated[
        Optional[pathlib.Path],  # noqa: UP045 -- as above
        typer.Option("--report", help="Summary report; .html for HTML, else Markdown (default: beside OUTPUT, "
                     "its .jsonl or .jsonl.gz replaced by .md)."),
    ] = None,
    decisions: Annotated[
        Optional[pathlib.Path],  # noqa: UP045 -- as above
        typer.Option(
            "--decisions",
            help="CSV of the decisions that need action, one per line (default: beside OUTPUT, its .jsonl or "
            ".jsonl.gz replaced by .decisions.csv).",
        ),
    ] = None,
    input_format: Annotated[
        Optional[InputFormat],  # noqa: UP045 -- as above
        typer.Option("--format", help="Input format (default: from the extension)."),
    ] = None,
    target: Annotated[
        Optional[list[str]],  # noqa: UP045 -- as above
        typer.Option(
            "--target",
            help="Audit against this server (HOST:PORT or dns:///NAME:PORT); repeat to spread rows "
            "across replicas. Default: in-process.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="In-process checking processes.")] = 1,
    streams: Annotated[
        int, typer.Option(min=1, max=64, help="Concurrent streams per target (each its own connection).")
    ] = 2,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a target may leave a row unanswered before the audit stops."),
    ] = 60.0,
    kb: Annotated[
        Optional[pathlib.Path],  # noqa: UP045 -- as above
        typer.Option("--kb", help="Knowledge-base directory for in-process checks (default: built-in)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep the rows already in OUTPUT and check only the rest.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Answers in the FULL view, with their texts (default: BASIC, codes and ids)."),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing OUTPUT.")] = False,
    progress: Annotated[
        Optional[bool],  # noqa: UP045 -- as above
        typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal only)."),
    ] = None,
    tls_ca: TlsCaOption = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    token_file: TokenFileOption = None,
    tls_server_name: TlsServerNameOption = None,
) -> None:
    """Audit every regimen of an export: one result per row, a summary report, exit 1 on any row error.

    Rows that cannot be parsed are answered with an error naming their line, and the audit goes
    on. An interrupted audit (Ctrl-C, a lost server) finishes with --resume. With --target,
    --tls-ca, --tls-cert/--tls-key and --token-file secure the streams (a token needs the
    dosecheck.audit and dosecheck.kb scopes).
    """
    # Compressed unless asked otherwise: 7.6 KB of JSON a row on the benchmark's rows is 0.6 KB as gzip.
    output_path = output or input_path.with_name(input_path.name + ".results.jsonl.gz")
    # Beside the output, named after it without its .gz.
    named_after = output_path.with_suffix("") if is_compressed(output_path) else output_path
    report_path = report or named_after.with_suffix(".md")
    decisions_path = decisions or named_after.with_suffix(".decisions.csv")
    written_over = _written_over({"input": input_path, "output": output_path, "report": report_path,
                                  "decisions CSV": decisions_path})
    if written_over is not None:
        typer.echo(f"dosecheck audit: {written_over}: name another file", err=True)
        raise typer.Exit(ExitCode.UNUSABLE)
    # Before any row is checked: "--report reports/audit.html" before the folder existed was said after the whole audit.
    for path in (output_path, decisions_path, report_path):
        if not path.parent.is_dir():
            typer.echo(f"dosecheck audit: {path} could not be written (no folder {path.parent})", err=True)
            raise typer.Exit(ExitCode.OUTPUT_FAILED)
    if output_path.exists() and not (resume or overwrite):
        typer.echo(f"dosecheck audit: {output_path} exists; pass --resume or --overwrite", err=True)
        raise typer.Exit(ExitCode.UNUSABLE)
    kb_path = kb if kb is not None else Settings().kb_path
    security = ClientSecurity(tls_ca, tls_cert, tls_key, token_file, tls_server_name)
    try:
        for name in target or ():
            security.credentials(name)  # before the output is touched; read again for each channel
    except ClientSecurityError as exc:
        typer.echo(f"dosecheck audit: {exc}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None
    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        with _progress_bar(show_progress) as on_progress:
            run = run_audit(
                input_path,
                output_path,
                input_format=input_format,
                workers=workers,
                targets=tuple(target or ()),
                kb_path=kb_path,
                cache_dir=cache_dir(),
                resume=resume,
                view=View.FULL if full else View.BASIC,
                decisions_path=decisions_path,
                streams_per_target=streams,
                answer_timeout_s=timeout,
                security=security,
                progress=on_progress,
            )
    except AuditInterruptedError as exc:
        _say(exc.run)
        typer.echo(
            f"dosecheck audit: stopped ({exc.reason}); {output_path} holds the first "
            f"{exc.run.summary.rows:,} rows: run again with --resume to finish",
            err=True,
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except OutputWriteError as exc:
        typer.echo(
            f"dosecheck audit: stopped: {exc.filename} could not be written ({exc.strerror}); {output_path} ends "
            "with the last whole record: make room and run again with --resume to finish",
            err=True,
        )
        raise typer.Exit(ExitCode.OUTPUT_FAILED) from None
    except OSError as exc:
        if exc.filename not in (str(output_path), str(decisions_path)):
            typer.echo(f"dosecheck audit: {exc}", err=True)
            raise typer.Exit(ExitCode.UNUSABLE) from None
        # The output's or the CSV's folder not made yet, or not writable: the output's code, not an unreadable input's.
        typer.echo(f"dosecheck audit: {exc.filename} could not be written ({exc.strerror})", err=True)
        raise typer.Exit(ExitCode.OUTPUT_FAILED) from None
    except (AuditInputError, ClientSecurityError, KnowledgeBaseError) as exc:
        typer.echo(f"dosecheck audit: {exc}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None
    _say(run)
    try:
        write_report(run, report_path, decisions_path)
    except OSError as exc:  # a folder not made yet, a full disk: after the whole audit, no traceback
        typer.echo(f"dosecheck audit: {exc.filename} could not be written ({exc.strerror}); the results are whole: "
                   "run again with --resume to write it", err=True)
        raise typer.Exit(ExitCode.OUTPUT_FAILED) from None
    typer.echo(
        f"results: {output_path}{' (gzip: zcat reads it)' if is_compressed(output_path) else ''}\n"
        f"report: {report_path}\n"
        f"decisions: {decisions_path} ({run.summary.decisions_needing_action + run.summary.errors:,} lines: "
        "decisions needing action, rows with errors)",
        err=True,
    )
    if not run.summary.rows:  # an empty export is no audit: a scheduled run must not pass it as a clean one
        typer.echo(f"dosecheck audit: {input_path} holds no regimens to audit", err=True)
        raise typer.Exit(ExitCode.UNUSABLE)
    if run.summary.errors:
        typer.echo(f"dosecheck audit: {run.summary.errors:,} row(s) had errors (see the report)", err=True)
        raise typer.Exit(ExitCode.NOT_ALL_CHECKED)


def _written_over(files: dict[str, pathlib.Path]) -> str | None:
    """Which file the audit would write over another it reads or writes, said; None when they are all apart.

    A report or decisions CSV named as the export (a name tab-completed) replaced the one copy of it.

    Args:
        files: Each file by what it is, the input first, then in the order they are written.
    """
    seen: dict[pathlib.Path, str] = {}
    for role, path in files.items():
        other = seen.setdefault(path.resolve(), role)
        if other != role:
            return f"the {role} would be written over the {other}, {path}"
    return None
