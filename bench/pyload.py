"""The fallback load generator: a closed-loop grpc.aio client sending pre-serialised requests.

    python -m bench.pyload unary  --target HOST:PORT --requests FILE --in-flight C --warmup S --duration S
    python -m bench.pyload stream --target HOST:PORT --requests FILE --streams N --warmup S --duration S

FILE holds gRPC-framed requests, as h2load posts them: unary sends the first again and again, a
stream sends them all in turn, again and again. Prints one JSON object: calls (or rows) answered
in the measured window, errors, and latencies. It runs in its own process so that its CPU use is
apart from the orchestrator's. It sends bytes, not messages, so it pays no protobuf cost, as
h2load; it still costs far more CPU per call.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import pathlib
import sys
import time
from typing import Any

import grpc

from bench.workload import split_frames

CHECK_METHOD = "/dosecheck.v1.RegimenChecker/CheckRegimen"
AUDIT_METHOD = "/dosecheck.v1.RegimenChecker/AuditRegimens"
MAX_CONNECTIONS = 8
STREAM_WINDOW = 128
"""Rows sent and not yet answered, per stream (the audit client's pipelining)."""


def _channels(target: str, count: int) -> list[grpc.aio.Channel]:
    # A local subchannel pool per channel, so each really opens its own connection (and the
    # kernel can spread them over the server's worker processes).
    return [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(count)]


async def unary(target: str, request: bytes, in_flight: int, warmup_s: float, duration_s: float) -> dict[str, Any]:
    """Keeps `in_flight` CheckRegimen calls going; counts those started and finished in the window.

    Args:
        target: host:port.
        request: the serialised request.
        in_flight: calls kept in flight.
        warmup_s: seconds before the window opens.
        duration_s: length of the measured window.

    Returns:
        The JSON-able result.
    """
    channels = _channels(target, min(in_flight, MAX_CONNECTIONS))
    calls: list[Any] = [channel.unary_unary(CHECK_METHOD, None, None) for channel in channels]
    latencies: list[float] = []
    errors = 0
    clock = time.perf_counter
    opens = clock() + warmup_s
    closes = opens + duration_s

    async def caller(call: Any) -> None:
        nonlocal errors
        while (started := clock()) < closes:
            try:
                await call(request)
            except grpc.aio.AioRpcError:
                errors += 1
                continue
            ended = clock()
            if started >= opens and ended <= closes:
                latencies.append(ended - started)

    await asyncio.gather(*(caller(calls[i % len(calls)]) for i in range(in_flight)))
    await asyncio.gather(*(channel.close(None) for channel in channels))
    return {"calls": len(latencies), "errors": errors, "duration_s": duration_s, "latencies_us": _us(latencies)}


async def stream(
    target: str, requests: list[bytes], streams: int, warmup_s: float, duration_s: float
) -> dict[str, Any]:
    """Runs `streams` AuditRegimens streams, one connection each; counts rows answered in the window.

    Args:
        target: host:port.
        requests: the serialised rows, sent in turn.
        streams: concurrent streams.
        warmup_s: seconds before the window opens.
        duration_s: length of the measured window.

    Returns:
        The JSON-able result.
    """
    channels = _channels(target, streams)
    rows = 0
    errors = 0
    clock = time.perf_counter
    opens = clock() + warmup_s
    closes = opens + duration_s

    async def one(channel: grpc.aio.Channel) -> None:
        nonlocal rows, errors
        call: Any = channel.stream_stream(AUDIT_METHOD, None, None)(None)
        window = asyncio.Semaphore(STREAM_WINDOW)

        async def send() -> None:
            for request in itertools.cycle(requests):
                if clock() >= closes:
                    break
                await window.acquire()
                await call.write(request)
            await call.done_writing()

        sender = asyncio.create_task(send())
        try:
            while (response := await call.read()) is not grpc.aio.EOF:
                window.release()
                if opens <= clock() <= closes:
                    rows += 1
                del response
            await sender
        except grpc.aio.AioRpcError:
            errors += 1
            sender.cancel()

    await asyncio.gather(*(one(channel) for channel in channels))
    await asyncio.gather(*(channel.close(None) for channel in channels))
    return {"rows": rows, "errors": errors, "duration_s": duration_s}


def _us(seconds: list[float]) -> list[float]:
    return [round(s * 1e6, 1) for s in seconds]


def main(argv: list[str] | None = None) -> int:
    """Parses the command line, runs the load and prints the result as JSON.

    Args:
        argv: the arguments; None = sys.argv.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("unary", "stream"))
    parser.add_argument("--target", required=True)
    parser.add_argument("--requests", type=pathlib.Path, required=True, help="gRPC-framed requests")
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args(argv)
    requests = split_frames(args.requests.read_bytes())
    if args.mode == "unary":
        work = unary(args.target, requests[0], args.in_flight, args.warmup, args.duration)
    else:
        work = stream(args.target, requests, args.streams, args.warmup, args.duration)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(work)
    else:
        result = uvloop.run(work)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
