"""Knowledge-base reload without downtime: SIGHUP (or `dosecheck kb reload`), and each worker swaps.

On SIGHUP (forwarded by the supervisor to every worker) a worker loads and validates the files
of its knowledge-base path again, in a thread beside the event loop that goes on serving, then
replaces the one in use in a single assignment (`RegimenChecker.use`, and `HttpService.use` for
CDS Hooks, in the same step of the event loop): a call, hook call or audit stream under way
finishes with the one it started with, and every answer names the version it was checked against.
An invalid knowledge base is refused: its problems are logged, the refusal is counted
(`dosecheck_knowledge_base_reloads_total{outcome="refused"}`), and the old one serves on.

Each worker loads for itself (a worker cannot hand objects to another): files changed again
between two workers' loads would leave them on different versions until the next SIGHUP, which
`dosecheck_knowledge_base_info` shows.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import pathlib
import signal
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Optional

import typer

from interactions import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from service.exit_codes import ExitCode
from service.metrics import Metrics
from service.servicer import RegimenChecker
from service.settings import usable_settings

log = logging.getLogger(__name__)


class Rerun:
    """Runs a job in the running loop when asked (`request`, a SIGHUP callback); never two at once.

    A request during a run makes the job run once more after it, so the last request is always
    followed by a run that started after it (files changed again mid-reload are read).
    """

    def __init__(self, job: Callable[[], Awaitable[object]]) -> None:
        self._job = job
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self) -> None:
        """Starts the job, or asks for one more run when it is running."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.ensure_future(self._run_until_current())

    async def _run_until_current(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            await self._job()


class KnowledgeBaseReload:
    """Reloads one worker's knowledge base when asked (`request`, a SIGHUP callback)."""

    def __init__(self, kb_path: pathlib.Path | None, servicer: RegimenChecker, metrics: Metrics | None,
                 also: Sequence[Callable[[KnowledgeBase], None]] = ()) -> None:
        """Prepares reloads of `kb_path` (None = the built-in one) into `servicer`.

        Args:
            kb_path: the knowledge-base directory the server was started with.
            servicer: the gRPC servicer, whose knowledge base is replaced.
            metrics: counts reloads; None = not counted.
            also: what else answers with the knowledge base (the CDS Hooks service's `use`), given
                each new one in the same step as the servicer.
        """
        self._kb_path = kb_path
        self._servicer = servicer
        self._metrics = metrics
        self._also = tuple(also)
        self.request = Rerun(self._reload_counted).request
        """Starts a reload in the running loop; one asked for during a reload follows it."""

    async def _reload_counted(self) -> None:
        outcome = await self.reload()
        if self._metrics is not None:
            self._metrics.knowledge_base_reloads.labels(outcome).inc()

    async def reload(self) -> str:
        """Loads, validates and swaps in the knowledge base once.

        Returns:
            `loaded`, or `refused` when it is invalid (the old one still serving).
        """
        old = self._servicer.knowledge_base
        try:
            kb = await asyncio.to_thread(load_knowledge_base, self._kb_path)
        except KnowledgeBaseError as err:
            log.error("knowledge-base reload refused, still serving %s (%s): %d problems: %s", old.version,
                      old.content_hash, len(err.problems), "; ".join(str(p) for p in err.problems))
            return "refused"
        except Exception:  # a reload must never end a worker that is serving
            log.exception("knowledge-base reload failed, still serving %s (%s)", old.version, old.content_hash)
            return "refused"
        self._servicer.use(kb)
        for use in self._also:
            use(kb)
        if self._metrics is not None:
            self._metrics.serving(kb.version, kb.content_hash)
        log.info("knowledge base %s (%s) loaded in place of %s (%s)", kb.version, kb.content_hash, old.version,
                 old.content_hash)
        return "loaded"


class PidFileError(Exception):
    """The pid file cannot be written, or another running server holds it."""


@contextmanager
def pid_file(path: pathlib.Path | None) -> Iterator[None]:
    """Writes this process's id to `path` (None = nowhere) while the block runs, for `kb reload`.

    The file stays locked (flock) while the server runs, its workers included: `kb reload` signals
    only a process whose file is held, never one that reused the pid of a server killed outright.

    Raises:
        PidFileError: it cannot be written, or another running server holds it.
    """
    if path is None:
        yield
        return
    pid = os.getpid()
    try:
        file = open(path, "a+", encoding="ascii")  # noqa: SIM115 -- held open while the block runs
    except OSError as err:
        raise PidFileError(f"{path}: {err.strerror}") from None
    with file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            raise PidFileError(f"{path} is held by a running server (pid {file.read().strip()})") from None
        file.truncate(0)
        file.write(f"{pid}\n")
        file.flush()
        try:
            yield
        finally:
            if os.getpid() == pid:  # not in a forked worker
                path.unlink(missing_ok=True)


def _held(path: pathlib.Path) -> bool:
    """Whether a running server holds the pid file `path` (see `pid_file`)."""
    with open(path, encoding="ascii") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def reload_command(
    pid: Annotated[
        Optional[int],  # noqa: UP045 -- typer needs Optional[...] to see the type at runtime
        typer.Option(help="The process id of `dosecheck serve` [default: read from the pid file]."),
    ] = None,
    pid_path: Annotated[
        Optional[pathlib.Path],  # noqa: UP045
        typer.Option("--pid-file", help="The file `serve --pid-file` wrote [default: DOSECHECK_PID_FILE]."),
    ] = None,
) -> None:
    """Ask a running server to reload its knowledge base (SIGHUP): validated first, the old one kept if invalid.

    The server also rereads its TLS certificates. Whether the new one was taken: the server's log,
    GetKnowledgeBase's content hash, or the metric dosecheck_knowledge_base_reloads_total.
    """
    if pid is None:
        path = pid_path if pid_path is not None else usable_settings().pid_file
        if path is None:
            typer.echo("dosecheck: give --pid, or --pid-file (DOSECHECK_PID_FILE) as given to serve", err=True)
            raise typer.Exit(ExitCode.UNUSABLE)
        try:
            pid = int(path.read_text(encoding="ascii"))
            held = _held(path)
        except (OSError, ValueError) as err:
            typer.echo(f"dosecheck: no server pid in {path}: {err}", err=True)
            raise typer.Exit(ExitCode.UNUSABLE) from None
        if not held:
            # Left by a server killed outright: its pid may now be another process's, which SIGHUP would end.
            typer.echo(f"dosecheck: no server holds {path} (pid {pid}): the server that wrote it is gone; "
                       "not signalled", err=True)
            raise typer.Exit(ExitCode.UNUSABLE)
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as err:
        typer.echo(f"dosecheck: cannot signal process {pid}: {err.strerror}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None
    typer.echo(f"asked process {pid} to reload its knowledge base")
