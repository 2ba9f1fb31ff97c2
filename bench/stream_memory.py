"""Memory under a long audit stream: N rows through AuditRegimens of a real server, its RSS sampled.

    python -m bench.stream_memory --rows 1000000 [--distinct 20000]

Every 1,000th row is invalid, so error answers are part of the run. The stream is a plain Python
client that reads answers as they come; the server's flow control must keep its memory flat. The
valid rows are one regimen, again and again, or with --distinct N the benchmark's first N seeded
audit rows in turn: what the engine and the codec remember of them grows to its bounds, then stays.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

import grpc

from bench.processes import free_port
from bench.workload import Workload
from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc as pb_grpc
from interactions import View, load_knowledge_base
from service import convert

SAMPLES = 10
INVALID_EVERY = 1000
READY_TIMEOUT_S = 30.0
_ROW = pb.CheckRegimenRequest(
    regimen=[pb.Medication(name="venetoclax", dose_mg=400), pb.Medication(name="azacitidine", dose_mg=75)],
    concomitant=[pb.Medication(name="posaconazole"), pb.Medication(name="acyclovir")],
)
_INVALID_ROW = pb.CheckRegimenRequest(regimen=[pb.Medication(name="venetoclax", dose_mg=-1)])


def rss_mib(pid: int) -> int:
    """The resident set size of a process, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) // 1024


def _rows(count: int, valid: Sequence[pb.CheckRegimenRequest]) -> Iterator[pb.CheckRegimenRequest]:
    for i in range(1, count + 1):
        yield _INVALID_ROW if i % INVALID_EVERY == 0 else valid[i % len(valid)]


def distinct_rows(count: int) -> list[pb.CheckRegimenRequest]:
    """The benchmark's first `count` seeded audit rows, in the BASIC view as `dosecheck audit` sends them."""
    rows = Workload(load_knowledge_base(None)).audit_rows(count)
    return [convert.request_to_proto(row._replace(view=View.BASIC)) for row in rows]


async def stream(port: int, server_pid: int, rows: int,
                 valid: Sequence[pb.CheckRegimenRequest] = (_ROW,)) -> dict[str, object]:
    """Streams the rows and checks every one is answered, errors where the row was invalid.

    Args:
        port: the server's port on 127.0.0.1.
        server_pid: the server process, whose memory is sampled.
        rows: how many rows to send.
        valid: the valid rows, sent in turn.

    Returns:
        Rows answered, errors, rate, and the RSS at start and at each tenth of the stream.
    """
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        await asyncio.wait_for(channel.channel_ready(), READY_TIMEOUT_S)
        start_rss = rss_mib(server_pid)
        answered = errors = 0
        samples: list[tuple[int, int]] = []
        started = time.perf_counter()
        async for response in pb_grpc.RegimenCheckerStub(channel).AuditRegimens(_rows(rows, valid)):
            answered += 1
            errors += response.HasField("error")
            if answered % max(rows // SAMPLES, 1) == 0:
                samples.append((answered, rss_mib(server_pid)))
        elapsed = time.perf_counter() - started
    return {"rows": answered, "errors": errors, "rows_per_s": round(answered / elapsed),
            "rss_mib_at_start": start_rss, "rss_mib_samples": samples}


def main(argv: list[str] | None = None) -> int:
    """Runs the measurement against a fresh `dosecheck serve` and prints the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=1, help="valid rows: 1 = one regimen; N = N seeded rows")
    options = parser.parse_args(argv)
    valid = distinct_rows(options.distinct) if options.distinct > 1 else [_ROW]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port),
                               "--log-level", "WARNING"])
    try:
        result = asyncio.run(stream(port, server.pid, options.rows, valid))
    finally:
        server.terminate()
        server.wait(READY_TIMEOUT_S)
    print(result)
    expected_errors = options.rows // INVALID_EVERY
    return 0 if result["rows"] == options.rows and result["errors"] == expected_errors else 1


if __name__ == "__main__":
    sys.exit(main())
