"""Soak: CheckRegimen at a fixed number of calls in flight against a real `dosecheck serve`, for minutes.

    python -m bench.soak --minutes 10 --in-flight 64 [--json PATH] [--kb DIR] [--server-workers 2]

Reports the calls, the failures by status, p50/p99 per minute, and each worker's resident memory
(VmRSS) at the start, after every minute and at the end. The client is a closed-loop grpc.aio
caller in this process that sends pre-serialised requests (a mix of the benchmark's three shapes)
and reads every call's status, so failures are counted by code (h2load sees HTTP statuses only).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime
import itertools
import json
import pathlib
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc

from bench.processes import ServerProcess
from bench.pyload import CHECK_METHOD, MAX_CONNECTIONS
from bench.stats import machine, percentile, source_state
from bench.stream_memory import rss_mib
from bench.workload import SHAPES, Workload, grpc_frame
from interactions import load_knowledge_base
from service import convert

REQUESTS_PER_SHAPE = 100
"""Distinct requests of each shape (1 + 0, 2 + 10, 5 + 30), sent in turn."""

_T = TypeVar("_T")


@dataclass(slots=True)
class Window:
    """The calls that ended within one window of the run (a minute, in a full soak)."""

    index: int
    latencies_s: list[float] = field(default_factory=list)
    """Of the calls that ended OK."""
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    """Calls by final status: `OK`, or the name of the failure's code."""
    worker_rss_mib: dict[int, int] = field(default_factory=dict)
    """Each worker's VmRSS when the window closed."""

    def summary(self) -> dict[str, Any]:
        """The window's figures, JSON-able.

        Returns:
            Calls, failures by status, p50/p99/max in ms, worker RSS in MiB.
        """
        failures = {code: n for code, n in self.statuses.items() if code != "OK"}
        ms = sorted(s * 1e3 for s in self.latencies_s)
        return {
            "window": self.index,
            "calls": sum(self.statuses.values()),
            "failures": failures,
            "p50_ms": round(percentile(ms, 0.5), 2) if ms else None,
            "p99_ms": round(percentile(ms, 0.99), 2) if ms else None,
            "max_ms": round(ms[-1], 2) if ms else None,
            "worker_rss_mib": {str(pid): mib for pid, mib in self.worker_rss_mib.items()},
        }


def worker_pids(server: ServerProcess) -> list[int]:
    """The processes that answer calls: the supervisor's children, or the server itself with one worker.

    Args:
        server: a running server.

    Returns:
        Process ids.
    """
    supervisor, *children = server.pids()
    return children or [supervisor]


def worker_rss(server: ServerProcess) -> dict[int, int]:
    """Each worker's resident memory now.

    Args:
        server: a running server.

    Returns:
        MiB by process id.
    """
    return {pid: rss_mib(pid) for pid in worker_pids(server)}


def serialised_requests(kb_path: pathlib.Path | None) -> list[bytes]:
    """The soak's requests: seeded synthetic regimens of every benchmark shape, serialised.

    Args:
        kb_path: the knowledge base whose names they use (None = the built-in one).

    Returns:
        `REQUESTS_PER_SHAPE` requests of each shape, shapes interleaved.
    """
    workload = Workload(load_knowledge_base(kb_path))
    per_shape = [workload.requests(shape, REQUESTS_PER_SHAPE) for shape in SHAPES]
    return [convert.request_to_proto(r).SerializeToString() for r in itertools.chain(*zip(*per_shape, strict=True))]


async def closed_loop(
    target: str,
    requests: list[bytes],
    in_flight: int,
    duration_s: float,
    window_s: float,
    at_window_end: Callable[[Window], None] = lambda window: None,
) -> list[Window]:
    """Keeps `in_flight` CheckRegimen calls going for `duration_s`; sorts every call into its window.

    Calls go over up to `MAX_CONNECTIONS` connections (as `bench.pyload`), so the kernel spreads
    them over the server's workers. A call belongs to the window in which it ended; one that ends
    after the last window closes (started before) counts in the last.

    Args:
        target: host:port.
        requests: serialised CheckRegimenRequests, sent in turn.
        in_flight: calls kept in flight.
        duration_s: how long new calls are started.
        window_s: the length of a window.
        at_window_end: called in the event loop as each window closes (RSS sampling); keep it short.

    Returns:
        The windows, in order.
    """
    count = max(1, round(duration_s / window_s))
    windows = [Window(i) for i in range(count)]
    channels = [
        grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(min(in_flight, MAX_CONNECTIONS))
    ]
    calls: list[Any] = [channel.unary_unary(CHECK_METHOD, None, None) for channel in channels]
    clock = time.perf_counter
    opens = clock()
    closes = opens + duration_s

    async def caller(index: int) -> None:
        call = calls[index % len(calls)]
        for request in itertools.islice(itertools.cycle(requests), index, None):
            started = clock()
            if started >= closes:
                return
            try:
                await call(request)
            except grpc.aio.AioRpcError as exc:
                status = exc.code().name
            else:
                status = "OK"
            ended = clock()
            window = windows[min(int((ended - opens) / window_s), count - 1)]
            window.statuses[status] += 1
            if status == "OK":
                window.latencies_s.append(ended - started)

    async def ticker() -> None:
        for window in windows:
            await asyncio.sleep(max(0.0, opens + (window.index + 1) * window_s - clock()))
            at_window_end(window)

    try:
        await asyncio.gather(ticker(), *(caller(i) for i in range(in_flight)))
    finally:
        await asyncio.gather(*(channel.close(None) for channel in channels))
    return windows


def run_event_loop(work: Coroutine[Any, Any, _T]) -> _T:
    """Runs a coroutine on uvloop when it is installed (as the server does), else asyncio's loop.

    Args:
        work: the coroutine.

    Returns:
        Its result.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    result: _T = uvloop.run(work)
    return result



@contextlib.contextmanager
def real_server(requests: list[bytes], kb_path: pathlib.Path | None, workers: int) -> Iterator[ServerProcess]:
    """A fresh `dosecheck serve` (bench.server --real) with `workers` workers, in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="dosecheck-bench-") as scratch:
        workdir = pathlib.Path(scratch)
        framed = workdir / "requests.grpc"
        framed.write_bytes(b"".join(grpc_frame(r) for r in requests))
        with ServerProcess("real", workers=workers, workdir=workdir, kb_path=kb_path, requests_file=framed) as server:
            yield server


def soak(
    minutes: float, in_flight: int, *, kb_path: pathlib.Path | None, server_workers: int, window_s: float = 60.0
) -> dict[str, Any]:
    """Runs the soak against a fresh real server.

    Args:
        minutes: how long calls are made.
        in_flight: calls kept in flight.
        kb_path: the knowledge base (None = the built-in one).
        server_workers: the server's worker processes.
        window_s: the reporting window (a minute; shorter in the smoke test).

    Returns:
        The JSON-able result: totals, failures by status, per-window figures, worker RSS.
    """
    requests = serialised_requests(kb_path)
    with real_server(requests, kb_path, server_workers) as server:
        at_start = worker_rss(server)

        def sample(window: Window) -> None:
            window.worker_rss_mib = worker_rss(server)

        started = time.perf_counter()
        windows = run_event_loop(closed_loop(server.target, requests, in_flight, minutes * 60, window_s, sample))
        elapsed = time.perf_counter() - started
        log_bytes = server.log_path.stat().st_size
    statuses: collections.Counter[str] = collections.Counter()
    for window in windows:
        statuses.update(window.statuses)
    all_ms = [s * 1e3 for window in windows for s in window.latencies_s]
    calls = sum(statuses.values())
    return {
        "minutes": minutes,
        "in_flight": in_flight,
        "server_workers": server_workers,
        "knowledge_base": str(kb_path or "built-in"),
        "request_mix": [shape.label for shape in SHAPES],
        "calls": calls,
        "calls_per_s": round(calls / elapsed),
        "failures": {code: n for code, n in statuses.items() if code != "OK"},
        "p50_ms": round(percentile(all_ms, 0.5), 2) if all_ms else None,
        "p99_ms": round(percentile(all_ms, 0.99), 2) if all_ms else None,
        "worker_rss_mib": {
            "start": {str(pid): mib for pid, mib in at_start.items()},
            "after_first_window": windows[0].summary()["worker_rss_mib"],
            "end": windows[-1].summary()["worker_rss_mib"],
        },
        "windows": [window.summary() for window in windows],
        "server_log_bytes": log_bytes,
    }


def markdown(result: dict[str, Any]) -> str:
    """The soak as a Markdown table, one row per window.

    Args:
        result: what `soak` returned.

    Returns:
        The table and a line of totals.
    """
    lines = [
        "| window | calls | failures | p50 ms | p99 ms | worker RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for w in result["windows"]:
        failures = ", ".join(f"{code} {n}" for code, n in w["failures"].items()) or "0"
        rss = " / ".join(str(mib) for mib in w["worker_rss_mib"].values())
        lines.append(f"| {w['window'] + 1} | {w['calls']:,} | {failures} | {w['p50_ms']} | {w['p99_ms']} | {rss} |")
    rss = result["worker_rss_mib"]
    failed = sum(result["failures"].values())
    lines.append("")
    lines.append(
        f"{result['calls']:,} calls ({result['calls_per_s']:,}/s), {failed} failed, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms; worker RSS MiB at start {_rss(rss['start'])}, after the first window "
        f"{_rss(rss['after_first_window'])}, at the end {_rss(rss['end'])}"
    )
    return "\n".join(lines)


def _rss(by_pid: dict[str, int]) -> str:
    return " / ".join(str(mib) for mib in by_pid.values())


def main(argv: list[str] | None = None) -> int:
    """Parses the command line, runs the soak, prints the table and optionally writes the JSON.

    Args:
        argv: the arguments; None = sys.argv[1:].

    Returns:
        0 when no call failed, 1 otherwise.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--server-workers", type=int, default=2, help="one per core of the target machine")
    parser.add_argument("--kb", type=pathlib.Path, help="knowledge-base directory (default: the built-in one)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per reported window (default 60)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    before = machine()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result = soak(args.minutes, args.in_flight, kb_path=args.kb, server_workers=args.server_workers,
                  window_s=args.window)
    result = {
        "command": " ".join(("python -m bench.soak", *(sys.argv[1:] if argv is None else argv))),
        "started": started,
        "machine_before": before,
        "machine_after": machine(),
        "source": source_state(),
        **result,
    }
    print(markdown(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
