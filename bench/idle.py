"""Idle load: many idle HTTP/2 connections and a silent audit stream beside normal CheckRegimen calls.

    python -m bench.idle [--connections 500] [--in-flight 8] [--seconds 20] [--json PATH]
    python -m bench.idle --probe-limits [--seconds 8]

The main run measures CheckRegimen p50/p99 on a real `dosecheck serve` without, then with, the
idle load, and each worker's resident memory (VmRSS) with and without it. An idle connection is a
raw TCP socket that sends the HTTP/2 client preface and SETTINGS, acknowledges the server's
SETTINGS and answers its keepalive PINGs, and sends nothing else: a live client with no call. The
silent stream is an `AuditRegimens` call that is opened (its headers sent) and never sends a row.

`--probe-limits` starts a server with short idle, age and keepalive limits and watches an idle
connection and a silent stream: which limit ends which (see `silent_stream_probe`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import pathlib
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Final

import grpc

from bench.processes import ServerProcess
from bench.pyload import AUDIT_METHOD
from bench.soak import Window, closed_loop, real_server, run_event_loop, serialised_requests, worker_rss
from bench.stats import machine, percentile, source_state
from bench.workload import grpc_frame

PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""The HTTP/2 client connection preface (RFC 9113, section 3.4)."""
SETTINGS: Final = 0x4
PING: Final = 0x6
GOAWAY: Final = 0x7
ACK: Final = 0x1
OPEN_AT_ONCE: Final = 50
"""Connections opened concurrently (a burst of 500 SYNs would overflow a small accept backlog)."""


def frame(kind: int, flags: int, payload: bytes = b"", stream: int = 0) -> bytes:
    """One HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload (RFC 9113, section 4.1).

    Args:
        kind: the frame type.
        flags: its flags.
        payload: its payload.
        stream: the stream id (0: the connection).

    Returns:
        The frame's bytes.
    """
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


@dataclass(slots=True)
class IdleConnection:
    """A raw HTTP/2 connection that completes the handshake and then only answers the server."""

    writer: asyncio.StreamWriter
    settings_received: asyncio.Event = field(default_factory=asyncio.Event)
    pings_answered: int = 0
    goaway_after_s: float | None = None
    closed_after_s: float | None = None
    task: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        """Whether the server has neither closed it nor sent GOAWAY."""
        return self.closed_after_s is None and self.goaway_after_s is None

    async def serve(self, reader: asyncio.StreamReader) -> None:
        """Reads the server's frames: acknowledges SETTINGS, answers PINGs, notes GOAWAY and the close.

        Args:
            reader: the connection's reading side.
        """
        opened = time.perf_counter()
        try:
            while True:
                header = await reader.readexactly(9)
                length = int.from_bytes(header[:3], "big")
                kind, flags = header[3], header[4]
                payload = await reader.readexactly(length)
                if kind == SETTINGS and not flags & ACK:
                    self.writer.write(frame(SETTINGS, ACK))
                    self.settings_received.set()
                elif kind == PING and not flags & ACK:
                    self.writer.write(frame(PING, ACK, payload))
                    self.pings_answered += 1
                elif kind == GOAWAY and self.goaway_after_s is None:
                    self.goaway_after_s = time.perf_counter() - opened
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed_after_s = time.perf_counter() - opened

    def close(self) -> None:
        """Closes the socket and stops reading."""
        if self.task is not None:
            self.task.cancel()
        self.writer.close()


async def open_idle(host: str, port: int, count: int, handshake_timeout_s: float = 10.0) -> list[IdleConnection]:
    """Opens `count` idle HTTP/2 connections, each once the server's SETTINGS have arrived.

    Args:
        host: the server's address.
        port: its port.
        count: how many connections.
        handshake_timeout_s: how long each may take to receive the server's SETTINGS.

    Returns:
        The connections, all past the HTTP/2 handshake.
    """
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one() -> IdleConnection:
        async with gate:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(PREFACE + frame(SETTINGS, 0))
            connection = IdleConnection(writer)
            connection.task = asyncio.create_task(connection.serve(reader))
            await asyncio.wait_for(connection.settings_received.wait(), handshake_timeout_s)
            return connection

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def open_silent_stream(target: str) -> tuple[grpc.aio.Channel, Any]:
    """Opens an AuditRegimens stream on a connection of its own and sends no row.

    Args:
        target: host:port.

    Returns:
        The channel and the call (cancel the call, close the channel, when done).
    """
    channel = grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
    call: Any = channel.stream_stream(AUDIT_METHOD, None, None)(None)
    await call.wait_for_connection()  # the call's headers have reached the server
    return channel, call


def established(port: int) -> int:
    """TCP connections the server side holds on a port now (ESTABLISHED, local port = `port`).

    Args:
        port: the server's port.

    Returns:
        The count, from /proc/net/tcp and tcp6.
    """
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table, encoding="ascii") as rows:
            next(rows)
            for row in rows:
                local, state = row.split()[1], row.split()[3]
                count += int(local.rsplit(":", 1)[1], 16) == port and state == "01"
    return count


def _latency(windows: list[Window]) -> dict[str, Any]:
    (window,) = windows
    ms = [s * 1e3 for s in window.latencies_s]
    return {
        "calls": sum(window.statuses.values()),
        "failures": {code: n for code, n in window.statuses.items() if code != "OK"},
        "p50_ms": round(percentile(ms, 0.5), 2) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
    }


async def _measure(
    server: ServerProcess, requests: list[bytes], connections: int, in_flight: int, seconds: float, warmup_s: float
) -> dict[str, Any]:
    target = server.target
    await closed_loop(target, requests, in_flight, warmup_s, warmup_s)
    without = _latency(await closed_loop(target, requests, in_flight, seconds, seconds))
    rss_without = worker_rss(server)
    held_before = established(server.port)
    idle = await open_idle("127.0.0.1", server.port, connections)
    channel, silent = await open_silent_stream(target)
    try:
        rss_idle = worker_rss(server)
        with_idle = _latency(await closed_loop(target, requests, in_flight, seconds, seconds))
        rss_after = worker_rss(server)
        held = established(server.port)
        still_open = sum(c.open for c in idle)
        silent_open = not silent.done()
    finally:
        silent.cancel()
        await channel.close(None)
        for connection in idle:
            connection.close()
    return {
        "without_idle_load": {**without, "worker_rss_mib": _by_pid(rss_without)},
        "with_idle_load": {
            **with_idle,
            "worker_rss_mib_idle_opened": _by_pid(rss_idle),
            "worker_rss_mib_after_calls": _by_pid(rss_after),
        },
        "idle_connections": connections,
        "idle_connections_open_at_end": still_open,
        "server_established_before_idle": held_before,
        "server_established_with_idle": held,
        "silent_stream_open_at_end": silent_open,
    }


def _by_pid(rss: dict[int, int]) -> dict[str, int]:
    return {str(pid): mib for pid, mib in rss.items()}


def idle_load(
    connections: int,
    in_flight: int,
    seconds: float,
    *,
    kb_path: pathlib.Path | None,
    server_workers: int,
    warmup_s: float = 2.0,
) -> dict[str, Any]:
    """Runs the main measurement against a fresh real server.

    Args:
        connections: idle HTTP/2 connections.
        in_flight: normal CheckRegimen calls kept in flight.
        seconds: length of each measured window (without, then with the idle load).
        kb_path: the knowledge base (None = the built-in one).
        server_workers: the server's worker processes.
        warmup_s: calls made before the first window.

    Returns:
        The JSON-able figures.
    """
    requests = serialised_requests(kb_path)
    with real_server(requests, kb_path, server_workers) as server:
        result = run_event_loop(_measure(server, requests, connections, in_flight, seconds, warmup_s))
    return {"in_flight": in_flight, "seconds": seconds, "server_workers": server_workers, **result}


PROBE_LIMITS: Final = {
    "DOSECHECK_MAX_CONNECTION_IDLE_S": "1",
    "DOSECHECK_MAX_CONNECTION_AGE_S": "2",
    "DOSECHECK_KEEPALIVE_TIME_S": "1",
    "DOSECHECK_KEEPALIVE_TIMEOUT_S": "1",
}
"""Short limits: a connection with no call is closed after 1 s, every connection is asked to go
away after 2 s, and each is pinged every second (max_connection_age_grace_s stays unset, the
default, so that an audit stream is never cut off midway)."""


def silent_stream_probe(
    seconds: float, *, kb_path: pathlib.Path | None, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Which server limit ends an idle connection, and which a stream that never sends a row.

    Args:
        seconds: how long to watch.
        kb_path: the knowledge base (None = the built-in one).
        extra_env: further `DOSECHECK_*` settings for the server.

    Returns:
        The limits used, and when (if) each was ended and how.
    """
    env = {**PROBE_LIMITS, **(extra_env or {})}
    with tempfile.TemporaryDirectory(prefix="dosecheck-probe-") as scratch:
        workdir = pathlib.Path(scratch)
        framed = workdir / "requests.grpc"
        framed.write_bytes(b"".join(grpc_frame(r) for r in serialised_requests(kb_path)[:1]))
        with ServerProcess(
            "real", workers=1, workdir=workdir, kb_path=kb_path, requests_file=framed, env=env
        ) as server:
            return {"limits": env, "watched_s": seconds, **run_event_loop(_probe(server, seconds))}


async def _probe(server: ServerProcess, seconds: float) -> dict[str, Any]:
    (idle,) = await open_idle("127.0.0.1", server.port, 1)
    opened = time.perf_counter()
    channel, silent = await open_silent_stream(server.target)
    ended_after: float | None = None
    try:
        while time.perf_counter() - opened < seconds:
            if silent.done() and ended_after is None:
                ended_after = time.perf_counter() - opened
            await asyncio.sleep(0.05)
        status = (await silent.code()).name if silent.done() else None
        details = await silent.details() if silent.done() else None
    finally:
        silent.cancel()
        await channel.close(None)
        idle.close()
    return {
        "idle_connection": {
            "goaway_after_s": _round(idle.goaway_after_s),
            "closed_after_s": _round(idle.closed_after_s),
            "pings_answered": idle.pings_answered,
        },
        "silent_stream": {"ended_after_s": _round(ended_after), "status": status, "details": details},
    }


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def main(argv: list[str] | None = None) -> int:
    """Parses the command line, runs the measurement (or the probe) and prints the figures as JSON.

    Args:
        argv: the arguments; None = sys.argv[1:].

    Returns:
        0.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=8, help="normal CheckRegimen calls in flight")
    parser.add_argument("--seconds", type=float, default=20.0, help="each measured window")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--kb", type=pathlib.Path, help="knowledge-base directory (default: the built-in one)")
    parser.add_argument("--probe-limits", action="store_true", help="which limit ends idle connections and streams")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = parser.parse_args(argv)
    before = machine()
    if args.probe_limits:
        result = silent_stream_probe(args.seconds, kb_path=args.kb)
    else:
        result = idle_load(args.connections, args.in_flight, args.seconds, kb_path=args.kb,
                           server_workers=args.server_workers)
    result = {"machine_before": before, "machine_after": machine(), "source": source_state(), **result}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
