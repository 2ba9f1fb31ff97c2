"""Load against a running server: h2load (primary) or the grpc.aio client of `bench.pyload` (fallback).

h2load posts a pre-framed gRPC message with `content-type: application/grpc` and `te: trailers`.
It sees only HTTP statuses, so `verify` first sends the same bytes once with `nghttp -v` and checks
the `grpc-status` trailer and the size of the answer.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.pyload import AUDIT_METHOD, CHECK_METHOD, MAX_CONNECTIONS
from bench.stats import percentile

H2LOAD = "h2load"
PYTHON = "python grpc.aio"
GRPC_HEADERS = ("-H", "content-type: application/grpc", "-H", "te: trailers")


def h2load_available() -> bool:
    """Whether h2load and nghttp (Debian package nghttp2-client) are installed.

    Returns:
        True when both are on PATH.
    """
    return shutil.which("h2load") is not None and shutil.which("nghttp") is not None


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one load run measured in its window."""

    tool: str
    concurrency: int
    """Calls in flight (unary) or streams (AuditRegimens)."""
    count: int
    """Calls, or rows, answered in the window."""
    errors: int
    duration_s: float
    p50_us: float | None
    p99_us: float | None
    server_cpu_us: float | None
    """Server CPU (all its processes) per call or row in the window."""

    @property
    def rate(self) -> float:
        """Calls or rows per second."""
        return self.count / self.duration_s


@dataclass(frozen=True, slots=True)
class Verification:
    """One call's outcome as the server sent it."""

    grpc_status: int | None
    response_bytes: int
    """Total length of the response DATA frames (framed messages)."""


def verify(url: str, body: pathlib.Path) -> Verification:
    """Sends the h2load body once with `nghttp -v` and reads the grpc-status trailer and the answer size.

    Args:
        url: the full method URL.
        body: the framed request(s).

    Returns:
        The grpc-status (None when absent) and the bytes of the answer.
    """
    out = subprocess.run(
        ["nghttp", "-v", f"--data={body}", *GRPC_HEADERS, url], capture_output=True, check=False, timeout=60
    ).stdout.decode("latin-1")
    status = re.search(r"recv \(stream_id=\d+\) grpc-status: (\d+)", out)
    data = sum(int(n) for n in re.findall(r"recv DATA frame <length=(\d+)", out))
    return Verification(int(status.group(1)) if status else None, data)


CpuProbe = Callable[[], float]
"""Returns the server's CPU seconds so far."""


def _measured(command: list[str], warmup_s: float, cpu: CpuProbe) -> tuple[bytes, float]:
    """Runs a load generator whose measured window opens after `warmup_s`.

    Returns its standard output and the server's CPU seconds in that window (a timer samples the
    CPU when the window opens).
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    opened: list[float] = []
    timer = threading.Timer(warmup_s, lambda: opened.append(cpu()))
    timer.start()
    out, err = process.communicate()
    closed = cpu()
    timer.join()
    if process.returncode != 0:
        said = (err or out).decode(errors="replace")[-1000:]
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {said}")
    return out, closed - opened[0]


def _h2load(args: list[str], url: str, warmup_s: float, cpu: CpuProbe) -> tuple[str, float]:
    """Runs h2load with a warm-up (its main duration starts when the warm-up ends)."""
    out, cpu_s = _measured(["h2load", *args, f"--warm-up-time={_ms(warmup_s)}", *GRPC_HEADERS, url], warmup_s, cpu)
    return out.decode(errors="replace"), cpu_s


def _ms(seconds: float) -> str:
    """A duration as h2load reads it (it takes no fractions of a second)."""
    return f"{round(seconds * 1000)}ms"


def _h2load_errors(out: str) -> int:
    found = re.search(r"(\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if found is None or codes is None:
        raise RuntimeError(f"cannot read h2load's summary: {out[-1000:]}")
    return sum(int(n) for n in found.groups()[1:]) + sum(int(n) for n in codes.groups()[1:])


def h2load_unary(
    url_base: str,
    body: pathlib.Path,
    in_flight: int,
    warmup_s: float,
    duration_s: float,
    log_path: pathlib.Path,
    cpu: CpuProbe,
) -> LoadResult:
    """CheckRegimen with `in_flight` calls in flight over min(in_flight, 8) connections.

    Args:
        url_base: http://host:port.
        body: the framed request.
        in_flight: calls in flight.
        warmup_s: seconds of load before the window.
        duration_s: the measured window.
        log_path: where h2load writes one line per call (its latencies); h2load appends, so it is
            emptied first.
        cpu: the server's CPU probe.

    Returns:
        What the window measured.
    """
    connections = min(in_flight, MAX_CONNECTIONS)
    streams = math.ceil(in_flight / connections)
    args = [
        "-c",
        str(connections),
        "-m",
        str(streams),
        "-D",
        _ms(duration_s),
        f"--data={body}",
        f"--log-file={log_path}",
    ]
    log_path.unlink(missing_ok=True)
    out, cpu_s = _h2load(args, url_base + CHECK_METHOD, warmup_s, cpu)
    latencies: list[float] = []
    non_ok = 0
    for line in log_path.read_text().splitlines():
        _, status, elapsed = line.split("\t")[:3]
        if status == "200":
            latencies.append(float(elapsed))
        else:
            non_ok += 1
    errors = max(non_ok, _h2load_errors(out))
    return LoadResult(
        H2LOAD,
        in_flight,
        len(latencies),
        errors,
        duration_s,
        percentile(latencies, 0.5) if latencies else None,
        percentile(latencies, 0.99) if latencies else None,
        cpu_s * 1e6 / len(latencies) if latencies else None,
    )


def h2load_stream(
    url_base: str,
    body: pathlib.Path,
    rows_per_stream: int,
    streams: int,
    warmup_s: float,
    duration_s: float,
    cpu: CpuProbe,
) -> LoadResult:
    """AuditRegimens: `streams` connections, each posting `rows_per_stream` framed rows per stream, again and again.

    Args:
        url_base: http://host:port.
        body: `rows_per_stream` framed requests.
        rows_per_stream: rows in `body`.
        streams: concurrent streams, one connection each.
        warmup_s: seconds of load before the window.
        duration_s: the measured window.
        cpu: the server's CPU probe.

    Returns:
        Rows answered in the window (whole streams only).
    """
    args = ["-c", str(streams), "-m", "1", "-D", _ms(duration_s), f"--data={body}"]
    out, cpu_s = _h2load(args, url_base + AUDIT_METHOD, warmup_s, cpu)
    found = re.search(r"(\d+) succeeded", out)
    rows = int(found.group(1)) * rows_per_stream if found else 0
    return LoadResult(
        H2LOAD, streams, rows, _h2load_errors(out), duration_s, None, None, cpu_s * 1e6 / rows if rows else None
    )


def _pyload(args: list[str], warmup_s: float, cpu: CpuProbe) -> tuple[dict[str, Any], float]:
    out, cpu_s = _measured([sys.executable, "-m", "bench.pyload", *args], warmup_s, cpu)
    result: dict[str, Any] = json.loads(out)
    return result, cpu_s


def python_unary(
    target: str, request: pathlib.Path, in_flight: int, warmup_s: float, duration_s: float, cpu: CpuProbe
) -> LoadResult:
    """The fallback of `h2load_unary`: bench.pyload in its own process.

    Args:
        target: host:port.
        request: the framed request.
        in_flight: calls in flight.
        warmup_s: seconds of load before the window.
        duration_s: the measured window.
        cpu: the server's CPU probe.

    Returns:
        What the window measured.
    """
    result, cpu_s = _pyload(
        [
            "unary",
            "--target",
            target,
            "--request",
            str(request),
            "--in-flight",
            str(in_flight),
            "--warmup",
            str(warmup_s),
            "--duration",
            str(duration_s),
        ],
        warmup_s,
        cpu,
    )
    latencies = [float(x) for x in result["latencies_us"]]
    return LoadResult(
        PYTHON,
        in_flight,
        len(latencies),
        int(result["errors"]),
        duration_s,
        percentile(latencies, 0.5) if latencies else None,
        percentile(latencies, 0.99) if latencies else None,
        cpu_s * 1e6 / len(latencies) if latencies else None,
    )


def python_stream(
    target: str, request: pathlib.Path, streams: int, warmup_s: float, duration_s: float, cpu: CpuProbe
) -> LoadResult:
    """The fallback of `h2load_stream`: bench.pyload in its own process.

    Args:
        target: host:port.
        request: the framed rows, sent in turn.
        streams: concurrent streams, one connection each.
        warmup_s: seconds of load before the window.
        duration_s: the measured window.
        cpu: the server's CPU probe.

    Returns:
        Rows answered in the window.
    """
    result, cpu_s = _pyload(
        [
            "stream",
            "--target",
            target,
            "--request",
            str(request),
            "--streams",
            str(streams),
            "--warmup",
            str(warmup_s),
            "--duration",
            str(duration_s),
        ],
        warmup_s,
        cpu,
    )
    rows = int(result["rows"])
    return LoadResult(
        PYTHON, streams, rows, int(result["errors"]), duration_s, None, None, cpu_s * 1e6 / rows if rows else None
    )
