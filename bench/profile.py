"""Where a CheckRegimen call's CPU goes: py-spy on a real server worker under h2load, by function.

    python -m bench.profile [--seconds 8] [--kb DIR] [--echo]

Needs py-spy (`pip install py-spy`) and h2load. Starts one real (or echo) server worker, keeps 64
calls in flight, samples the worker, and prints each function's share of the samples including
what it calls (C code is charged to the Python frame that called it). The engine's share of the
same call, in-process, is the `check` line.
"""

from __future__ import annotations

import argparse
import collections
import math
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

from bench.load import GRPC_HEADERS
from bench.processes import ServerProcess
from bench.pyload import CHECK_METHOD
from bench.workload import HEAVY, Workload, grpc_frame
from interactions import load_knowledge_base
from service import convert

IN_FLIGHT = 64
SAMPLE_RATE_HZ = 500


def inclusive_shares(raw: str) -> tuple[int, collections.Counter[str]]:
    """Per function, the samples whose stack contains it (each stack counted once per function).

    Args:
        raw: py-spy's `--format raw` output: one `frame;frame;... count` line per distinct stack.

    Returns:
        The total samples and the samples per function (`name (file)`, line numbers dropped).
    """
    total = 0
    shares: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        for frame in {re.sub(r":\d+\)$", ")", f) for f in stack.split(";")}:
            shares[frame] += samples
    return total, shares


def main(argv: list[str] | None = None) -> int:
    """Profiles one server worker under load and prints the top functions.

    Args:
        argv: the arguments; None = sys.argv.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="how long to sample")
    parser.add_argument("--kb", type=pathlib.Path, help="knowledge-base directory (default: built-in)")
    parser.add_argument("--echo", action="store_true", help="profile the echo server instead")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--raw", type=pathlib.Path, help="also keep py-spy's raw stacks here")
    args = parser.parse_args(argv)
    for tool in ("py-spy", "h2load"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} not found (pip install py-spy; apt-get install nghttp2-client)")
    kb = load_knowledge_base(args.kb)
    with tempfile.TemporaryDirectory(prefix="dosecheck-profile-") as scratch:
        workdir = pathlib.Path(scratch)
        payload = convert.request_to_proto(Workload(kb).request(HEAVY, 0)).SerializeToString()
        body, raw = workdir / "request.grpc", workdir / "profile.txt"
        body.write_bytes(grpc_frame(payload))
        kind = "echo" if args.echo else "real"
        with ServerProcess(kind, workers=1, workdir=workdir, kb_path=args.kb, requests_file=body) as server:
            load = subprocess.Popen(
                [
                    "h2load",
                    "-c",
                    "8",
                    "-m",
                    "8",
                    "-D",
                    f"{math.ceil(args.seconds) + 3}s",
                    f"--data={body}",
                    *GRPC_HEADERS,
                    server.url_base + CHECK_METHOD,
                ],
                stdout=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # past start-up and first calls
            spy = subprocess.run(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    str(server.pids()[-1]),
                    "--duration",
                    str(math.ceil(args.seconds)),
                    "--rate",
                    str(SAMPLE_RATE_HZ),
                    "--format",
                    "raw",
                    "--nonblocking",
                    "-o",
                    str(raw),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            load.wait()
        if spy.returncode != 0:
            print(f"py-spy failed: {spy.stderr[-1000:]}", file=sys.stderr)
            return 1
        stacks = raw.read_text()
    if args.raw is not None:
        args.raw.write_text(stacks)
    total, shares = inclusive_shares(stacks)
    print(f"{kind} server worker, {IN_FLIGHT} calls in flight, {total} samples; share of samples incl. callees:")
    for frame, samples in shares.most_common(args.top):
        print(f"{samples / total * 100:6.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
