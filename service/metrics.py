"""Prometheus metrics of `dosecheck serve`, one view over every worker process.

prometheus_client's multiprocess mode: each process writes its values to memory-mapped files in
one directory, and the /metrics endpoint adds them up at scrape time. The directory is made by
`metrics_directory` (a fresh temporary one, removed at exit) before any worker is forked, so
every worker writes beside the others; nothing is shared between processes but those files.

Only names, codes and enum values become labels: never a drug name, a request id or anything
about a patient. Labels are a fixed, small set (methods x status codes, severities x mechanisms,
actions, reasons), so the series stay few.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import grpc

from service.auth import is_loopback

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

    from interactions import CheckResult
    from interactions.model import Action, Mechanism, Severity, UnrecognizedReason

log = logging.getLogger(__name__)

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
DIRECTORY_PREFIX: Final = "dosecheck-metrics-"
"""Followed by the server's process id, so that a server can tell which directories are orphans."""
LATENCY_BUCKETS_S: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60)
"""A CheckRegimen takes 0.1-5 ms in the worker; an audit stream takes as long as its rows do."""


class Metrics:
    """The server's metrics; every method is cheap enough to call on each call (see `result`)."""

    def __init__(self) -> None:
        """Creates the metrics; call it once `PROMETHEUS_MULTIPROC_DIR` is set (`metrics_directory`)."""
        from prometheus_client import Counter, Gauge, Histogram, values

        # prometheus_client picks file-backed values when it is first imported, from the variable;
        # the directory is only made at run time, so make it pick again.
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]  # unannotated upstream
        self.latency: Final[Histogram] = Histogram(
            "dosecheck_rpc_duration_seconds", "Calls answered (`_count`) and the time from each one's start to its "
            "status, by method and status code.",
            ["method", "code"], buckets=LATENCY_BUCKETS_S, registry=None,
        )
        self.responses: Final[Counter] = Counter(
            "dosecheck_stream_responses", "Responses sent on streams (AuditRegimens: one per row), by method "
            "and outcome: `ok`, or `error` (the row's error set).", ["method", "outcome"], registry=None,
        )
        self.checks: Final[Counter] = Counter(
            "dosecheck_checks", "Regimens checked (CheckRegimen and audit rows), by highest severity and "
            "whether every medication was recognised.", ["highest_severity", "complete"], registry=None,
        )
        self.findings: Final[Counter] = Counter(
            "dosecheck_findings", "Findings returned, by severity and mechanism (a finding of two mechanisms "
            "counts under each).", ["severity", "mechanism"], registry=None,
        )
        self.unrecognized: Final[Counter] = Counter(
            "dosecheck_unrecognized_medications", "Medications returned as not checked, by reason "
            "(UNKNOWN, NOT_REVIEWED, CONFLICT).", ["reason"], registry=None,
        )
        self.decisions: Final[Counter] = Counter(
            "dosecheck_dose_decisions", "Dose decisions returned, by action.", ["action"], registry=None,
        )
        self.knowledge_base_info: Final[Gauge] = Gauge(
            "dosecheck_knowledge_base_info", "1 for each knowledge base (version, content hash) that a live "
            "worker answers with.", ["version", "content_hash"], registry=None, multiprocess_mode="livemax",
        )
        self.knowledge_base_reloads: Final[Counter] = Counter(
            "dosecheck_knowledge_base_reloads", "Knowledge-base reloads on SIGHUP, per worker: `loaded`, or "
            "`refused` (invalid; the old one goes on serving).", ["outcome"], registry=None,
        )
        self.workers_started: Final[Counter] = Counter(
            "dosecheck_workers_started", "Worker processes started by the server (it does not restart them).",
            registry=None,
        )
        self.http_latency: Final[Histogram] = Histogram(
            "dosecheck_http_request_duration_seconds", "CDS Hooks HTTP requests answered (`_count`) and the time "
            "from each one's start to its response, by route (the template, e.g. `/cds-services/{service_id}`; "
            "`unmatched` for none), hook (`order-select`, `order-sign`, or empty) and HTTP status.",
            ["route", "hook", "status"], buckets=LATENCY_BUCKETS_S, registry=None,
        )
        self.cards: Final[Counter] = Counter(
            "dosecheck_cds_hooks_cards", "CDS Hooks cards returned, by hook and indicator (info, warning, "
            "critical).", ["hook", "indicator"], registry=None,
        )
        self.certificate_reloads: Final[Counter] = Counter(
            "dosecheck_tls_certificate_reloads", "TLS certificate reloads after SIGHUP, per worker, by port (`grpc`: "
            "at the first handshake after the signal; `http`) and outcome: `loaded`, or `refused` (unusable files; "
            "the certificate in use stays).",
            ["port", "outcome"], registry=None,
        )
        # labels() validates and locks on each use: the histogram's children are kept here.
        self._latency: dict[tuple[str, grpc.StatusCode], Histogram] = {}
        self._http_latency: dict[tuple[str, str, int], Histogram] = {}
        # Counts not yet flushed; one dict per metric: the enums are ints, so keys of two would clash.
        self._checks: dict[tuple[Severity, bool], int] = {}
        self._findings: dict[tuple[Severity, Mechanism], int] = {}
        self._unrecognized: dict[UnrecognizedReason, int] = {}
        self._decisions: dict[Action, int] = {}
        self._serving: tuple[str, str] | None = None

    def call(self, method: str, code: grpc.StatusCode, seconds: float) -> None:
        """Counts one call and its duration (the CallObserver calls it as each call ends).

        Measured: 1.8 us per call (a histogram observation writes two file-backed values), against
        28-213 us for the check alone.
        """
        child = self._latency.get((method, code))
        if child is None:
            child = self._latency[method, code] = self.latency.labels(method, code.name)
        child.observe(seconds)

    def http_request(self, route: str, hook: str, status: int, seconds: float) -> None:
        """Counts one CDS Hooks HTTP request and its duration (the app's `Guard` calls it as each one ends)."""
        key = (route, hook, status)
        child = self._http_latency.get(key)
        if child is None:
            child = self._http_latency[key] = self.http_latency.labels(route, hook, str(status))
        child.observe(seconds)

    def cards_returned(self, hook: str, indicators: Iterable[str]) -> None:
        """Counts the cards of one hook call by indicator (a few per call: counted at once)."""
        for indicator in indicators:
            self.cards.labels(hook, indicator).inc()

    def stream_responses(self, method: str, answered: int, errors: int) -> None:
        """Counts the responses of one stream as it ends, `errors` of them a row's error."""
        self.responses.labels(method, "ok").inc(answered - errors)
        self.responses.labels(method, "error").inc(errors)

    def certificate_reload(self, port: str, outcome: str) -> None:
        """A TLS certificate reload on `port` (`grpc`, `http`) ended with `outcome` (`loaded`, `refused`)."""
        self.certificate_reloads.labels(port, outcome).inc()

    def result(self, result: CheckResult) -> None:
        """Counts what one check returned: its findings, unrecognised names and dose decisions.

        The counts wait in plain dicts until `flush`: a file-backed increment costs about 1 us,
        and a heavy result (5 agents, 30 co-medications) has 40 findings on average, which cost
        39 us (18% of its 213 us check and encoding) counted one by one. Measured in-process over
        the bench's request shapes: 0.4 us (1 agent), 1.4 us (2 + 10), 6.7 us (5 + 30) per result.
        """
        key = (result.highest_severity, result.complete)
        self._checks[key] = self._checks.get(key, 0) + 1
        findings = self._findings
        for finding in result.findings:
            severity = finding.severity
            for mechanism in finding.mechanisms:
                pair = (severity, mechanism)
                findings[pair] = findings.get(pair, 0) + 1
        unrecognized = self._unrecognized
        for medication in result.unrecognized:
            unrecognized[medication.reason] = unrecognized.get(medication.reason, 0) + 1
        decisions = self._decisions
        for dose in result.doses:
            decisions[dose.action] = decisions.get(dose.action, 0) + 1

    def flush(self) -> None:
        """Writes the counts waiting since the last flush to the files /metrics reads."""
        for key, count in self._checks.items():
            self.checks.labels(key[0].name, str(key[1]).lower()).inc(count)
        for pair, count in self._findings.items():
            self.findings.labels(pair[0].name, pair[1].name).inc(count)
        for reason, count in self._unrecognized.items():
            self.unrecognized.labels(reason.name).inc(count)
        for action, count in self._decisions.items():
            self.decisions.labels(action.name).inc(count)
        for pending in (self._checks, self._findings, self._unrecognized, self._decisions):
            pending.clear()

    async def flush_every(self, interval_s: float) -> None:
        """Flushes every `interval_s` until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(interval_s)
                self.flush()
        finally:
            self.flush()

    def serving(self, version: str, content_hash: str) -> None:
        """Records the knowledge base this process now answers with, in place of the one before."""
        if self._serving is not None:
            self.knowledge_base_info.labels(*self._serving).set(0)
        self._serving = (version, content_hash)
        self.knowledge_base_info.labels(version, content_hash).set(1)


@contextmanager
def metrics_directory() -> Iterator[Metrics]:
    """A fresh directory for the values of every process, made before any worker is forked.

    The directories of servers that were killed outright are removed first.

    Yields:
        The metrics, writing to that directory; it is removed when the block ends.
    """
    _remove_orphans()
    directory = tempfile.mkdtemp(prefix=f"{DIRECTORY_PREFIX}{os.getpid()}-")
    os.environ[MULTIPROC_ENV] = directory
    log.info("metrics of every worker in %s", directory)
    try:
        yield Metrics()
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(directory, ignore_errors=True)


def _remove_orphans() -> None:
    """Removes the directories of servers that were killed outright (SIGKILL leaves theirs behind).

    One named by this process's own id is an earlier server's too: in a container the server is
    always process 1, and a restarted container (or pod) keeps its /tmp.
    """
    for directory in pathlib.Path(tempfile.gettempdir()).glob(f"{DIRECTORY_PREFIX}*-*"):
        pid = directory.name.removeprefix(DIRECTORY_PREFIX).split("-", 1)[0]
        if not pid.isdigit():
            continue
        if int(pid) == os.getpid():
            if str(directory) != os.environ.get(MULTIPROC_ENV):  # not one this process is using
                shutil.rmtree(directory, ignore_errors=True)
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            pass  # alive, and another user's


@contextmanager
def metrics_endpoint(host: str, port: int) -> Iterator[None]:
    """Serves /metrics over HTTP on `host:port` from a thread while the block runs.

    What it serves is the sum over every process's files. Start it in a process that forks no
    more: threads and fork do not mix.
    """
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
    httpd, _ = start_http_server(port, host.strip("[]"), registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()


def endpoint_refusal(host: str, port: int, *, allow_plaintext: bool) -> str | None:
    """Why /metrics must not be served on `host:port`, checked before any worker starts.

    The endpoint is plain HTTP without authentication: off loopback it is refused unless
    `allow_plaintext` (the gRPC port's `insecure_allow_plaintext`) says the network is private,
    whatever protects the gRPC port. (A port in use is refused with the server's other ports.)
    """
    if is_loopback(host):
        return None
    if not allow_plaintext:
        return (f"metrics (--metrics-port {port}) on {host} would be plain HTTP that any host can read: serve "
                "on loopback, or, on a private network only, set --insecure-allow-plaintext "
                "(DOSECHECK_INSECURE_ALLOW_PLAINTEXT=true)")
    log.warning("metrics served in plain HTTP on %s:%d (--insecure-allow-plaintext)", host, port)
    return None


def process_ended(pid: int) -> None:
    """Drops a dead worker's live gauges (its knowledge-base version) from the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]  # unannotated upstream
