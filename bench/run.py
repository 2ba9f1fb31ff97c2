"""The benchmark run: engine, unary service against its echo ceiling, audits, memory; one table, one JSON."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import pathlib
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench import audit, engine, load, report
from bench.audit import AuditTiming
from bench.processes import ServerProcess
from bench.pyload import AUDIT_METHOD, CHECK_METHOD
from bench.stats import machine, source_state
from bench.workload import AUDIT_MAX_CONCOMITANT, AUDIT_REGIMEN, HEAVY, Workload, grpc_frame, write_jsonl
from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import KnowledgeBase, KnowledgeBaseError, View, load_knowledge_base
from service import build, convert
from service.servicer import engine_answer

IN_FLIGHT = (1, 8, 64)
KINDS = ("real", "echo")


@dataclass(frozen=True, slots=True)
class Profile:
    """How long and how often each part runs."""

    name: str
    repeats: int
    """Rounds of the service runs; each round starts every server fresh."""
    warmup_s: float
    duration_s: float
    engine_s: float
    """Time spent calling `check()` per request shape."""
    kb_loads: int
    audit_rows: int
    """Rows of the in-process audits."""
    remote_audit_rows: int
    """Rows of `dosecheck audit --target`, whose Python client is the slowest part."""
    rows_per_stream: int
    """Rows h2load posts on one AuditRegimens stream before opening the next."""


PROFILES = {
    "full": Profile("full", 3, 2.0, 8.0, 3.0, 5, 20_000, 5_000, 250),
    "quick": Profile("quick", 1, 1.0, 3.0, 1.0, 3, 10_000, 2_000, 250),
    # Seconds in all: proves that every part still runs (the smoke test), measures nothing.
    "smoke": Profile("smoke", 1, 0.2, 0.5, 0.05, 1, 200, 50, 20),
}


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, resolved."""

    profile: Profile
    kb_path: pathlib.Path | None
    json_path: pathlib.Path
    tool: str
    server_workers: int
    streams: int
    argv: tuple[str, ...]


def parse_args(argv: list[str]) -> Options:
    """Reads the command line.

    Args:
        argv: the arguments after the program name.

    Returns:
        The options.
    """
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="one round, short windows (under 2 minutes)")
    size.add_argument("--smoke", action="store_true", help="tiny windows: checks that the benchmark runs")
    parser.add_argument(
        "--json",
        type=pathlib.Path,
        default=pathlib.Path("bench-results.json"),
        help="where to write the results (default: bench-results.json)",
    )
    parser.add_argument("--kb", type=pathlib.Path, help="knowledge-base directory (default: the built-in one)")
    parser.add_argument(
        "--load-generator",
        choices=("auto", "h2load", "python"),
        default="auto",
        help="auto: h2load when installed, else the Python grpc.aio client",
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=2,
        help="server processes sharing the port (default 2: one per core of the target machine)",
    )
    parser.add_argument("--streams", type=int, default=4, help="concurrent AuditRegimens streams (default 4)")
    args = parser.parse_args(argv)
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    tool = args.load_generator
    if tool == "auto":
        tool = "h2load" if load.h2load_available() else "python"
    elif tool == "h2load" and not load.h2load_available():
        parser.error("h2load/nghttp not found: apt-get install nghttp2-client, or --load-generator python")
    return Options(profile, args.kb, args.json, tool, args.server_workers, args.streams, tuple(argv))


class Bench:
    """One run: its options, scratch directory, benchmark request and results."""

    def __init__(self, options: Options, kb: KnowledgeBase, workdir: pathlib.Path) -> None:
        """Writes the benchmark requests in every form the load generators and audits need.

        Args:
            options: the command line.
            kb: the loaded knowledge base.
            workdir: a scratch directory.
        """
        self.options = options
        self.profile = options.profile
        self.workdir = workdir
        engine = engine_answer(kb)
        workload = Workload(kb)
        request = convert.request_to_proto(workload.request(HEAVY, 0))
        self.request_bytes = len(request.SerializeToString())
        self.expected_response = len(grpc_frame(engine(request).data))
        self.answer_bytes: dict[str, int] = {}
        """The answer to the request in each view, unframed."""
        for name, view in (("BASIC", pb.VIEW_BASIC), ("FULL", pb.VIEW_FULL)):
            in_view = pb.CheckRegimenRequest()
            in_view.CopyFrom(request)
            in_view.view = view
            self.answer_bytes[name] = len(engine(in_view).data)
        self.unary_body = workdir / "unary.grpc"
        self.unary_body.write_bytes(grpc_frame(request.SerializeToString()))
        rows = workload.audit_rows(self.profile.audit_rows)
        self.audit_input = workdir / "audit.jsonl"
        write_jsonl(rows, self.audit_input)
        self.audit_cache = workdir / "cache"
        """The audits' cache directory, warm, as the command's default one is from its second run on (a
        first run builds the broad vocabulary's table: about 0.7 s more)."""
        load_knowledge_base(options.kb_path, self.audit_cache)
        self.remote_audit_input = workdir / "audit-remote.jsonl"
        write_jsonl(rows[: self.profile.remote_audit_rows], self.remote_audit_input)
        # The stream carries the audit's first rows, again and again, as `dosecheck audit --target` sends
        # them: in the BASIC view (its output's default) unless a row names one.
        stream_rows = [convert.request_to_proto(row._replace(view=row.view or View.BASIC))
                       for row in rows[: self.profile.rows_per_stream]]
        self.stream_body = workdir / "stream.grpc"
        self.stream_body.write_bytes(b"".join(grpc_frame(row.SerializeToString()) for row in stream_rows))
        self.expected_stream = sum(len(grpc_frame(engine(row).data)) for row in stream_rows)
        self.echo_requests = workdir / "echo-requests.grpc"
        self.echo_requests.write_bytes(self.unary_body.read_bytes() + self.stream_body.read_bytes())
        self.verified: dict[str, dict[str, Any]] = {}
        self.audit_output_bytes: dict[str, int] = {}
        """The last in-process audit's output size, by the output's suffix (`.jsonl`, `.gz`)."""

    def server(self, kind: str) -> ServerProcess:
        """A fresh server of one kind (not yet started).

        Args:
            kind: "real" or "echo".

        Returns:
            The server process, to use in a `with`.
        """
        return ServerProcess(
            kind,
            workers=self.options.server_workers,
            workdir=self.workdir,
            kb_path=self.options.kb_path,
            requests_file=self.echo_requests,
        )

    def verify(self, server: ServerProcess) -> None:
        """Once per kind: the exact bytes h2load sends get grpc-status 0 and an answer of the real size.

        Args:
            server: a running server.

        Raises:
            RuntimeError: the server did not answer as expected.
        """
        if server.kind in self.verified or self.options.tool != "h2load":
            return  # the Python client checks every call's status itself
        unary = load.verify(server.url_base + CHECK_METHOD, self.unary_body)
        stream = load.verify(server.url_base + AUDIT_METHOD, self.stream_body)
        expected_stream = self.expected_stream
        if unary.grpc_status != 0 or unary.response_bytes != self.expected_response:
            raise RuntimeError(f"{server.kind} CheckRegimen: {unary}, expected status 0, {self.expected_response} B")
        if stream.grpc_status != 0 or stream.response_bytes != expected_stream:
            raise RuntimeError(f"{server.kind} AuditRegimens: {stream}, expected status 0, {expected_stream} B")
        self.verified[server.kind] = {
            "method": "nghttp -v",
            "check_regimen": dataclasses.asdict(unary),
            "audit_regimens": dataclasses.asdict(stream),
        }

    def unary(self, server: ServerProcess, in_flight: int) -> load.LoadResult:
        """CheckRegimen load on a running server.

        Args:
            server: the server.
            in_flight: calls in flight.

        Returns:
            The measured window.
        """
        p = self.profile
        if self.options.tool == "h2load":
            log_path = self.workdir / f"h2load-{server.kind}-{server.port}-{in_flight}.log"
            return load.h2load_unary(
                server.url_base, self.unary_body, in_flight, p.warmup_s, p.duration_s, log_path, server.cpu_seconds
            )
        return load.python_unary(
            server.target, self.unary_body, in_flight, p.warmup_s, p.duration_s, server.cpu_seconds
        )

    def stream(self, server: ServerProcess) -> load.LoadResult:
        """AuditRegimens load on a running server.

        Args:
            server: the server.

        Returns:
            The measured window.
        """
        p = self.profile
        if self.options.tool == "h2load":
            return load.h2load_stream(
                server.url_base,
                self.stream_body,
                p.rows_per_stream,
                self.options.streams,
                p.warmup_s,
                p.duration_s,
                server.cpu_seconds,
            )
        return load.python_stream(
            server.target, self.stream_body, self.options.streams, p.warmup_s, p.duration_s, server.cpu_seconds
        )


def _alternating(kinds: tuple[str, ...], index: int) -> Iterator[str]:
    # Real first, then echo first: a drift over the run hits both kinds alike.
    return iter(kinds if index % 2 == 0 else kinds[::-1])


def run_service(bench: Bench) -> dict[str, Any]:
    """Unary at each concurrency and the stream, real and echo, each on a fresh server, interleaved.

    Args:
        bench: the run.

    Returns:
        Every measured window, by part, concurrency and kind.
    """
    unary: dict[int, dict[str, list[load.LoadResult]]] = {c: {k: [] for k in KINDS} for c in IN_FLIGHT}
    stream: dict[str, list[load.LoadResult]] = {k: [] for k in KINDS}
    turn = 0
    for _ in range(bench.profile.repeats):
        for in_flight in IN_FLIGHT:
            for kind in _alternating(KINDS, turn):
                with bench.server(kind) as server:
                    bench.verify(server)
                    unary[in_flight][kind].append(bench.unary(server, in_flight))
            turn += 1
        for kind in _alternating(KINDS, turn):
            with bench.server(kind) as server:
                bench.verify(server)
                stream[kind].append(bench.stream(server))
        turn += 1
    return {"unary": unary, "stream": stream}


def audit_in_process(bench: Bench, workers: int, gzip_output: bool = False) -> AuditTiming:
    """`dosecheck audit` in this process (1 worker) or a pool, on the audit input.

    Args:
        bench: the run.
        workers: checking processes.
        gzip_output: write the output as gzip (`--output *.jsonl.gz`).

    Returns:
        Rows and wall time.
    """
    output = bench.workdir / ("audit-out.jsonl.gz" if gzip_output else "audit-out.jsonl")
    timing = audit.audit_in_process(bench.audit_input, output, bench.options.kb_path, bench.audit_cache, workers)
    bench.audit_output_bytes[output.suffix] = output.stat().st_size
    output.unlink()  # kilobytes per row: do not let them pile up
    return timing


def run_memory_and_remote_audit(bench: Bench) -> dict[str, Any]:
    """One real server through every kind of load: RSS after start-up and after; the remote audit's rate.

    Args:
        bench: the run.

    Returns:
        RSS figures and the remote audit's timing.
    """
    with bench.server("real") as server:
        started = server.memory()
        processes = len(server.pids())
        runs = [bench.unary(server, in_flight) for in_flight in IN_FLIGHT]
        runs.append(bench.stream(server))
        remote = audit.audit_remote(bench.remote_audit_input, bench.workdir / "remote-out.jsonl", server.target)
        final = server.memory()
    return {
        "memory": {
            "processes": processes,
            "after_start_bytes": started.total,
            "after_load_bytes": final.total,
            "growth": final.total / started.total - 1,
            "anonymous_growth_bytes": final.anonymous - started.anonymous,
            "file_backed_growth_bytes": final.file_backed - started.file_backed,
            "load_runs": runs,
        },
        "remote_audit": remote,
    }


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark, prints the Markdown table and writes the JSON.

    Args:
        argv: the arguments; None = sys.argv[1:].

    Returns:
        0 (even when goals are not met: the table says which).
    """
    options = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        kb = load_knowledge_base(options.kb_path)
    except KnowledgeBaseError as err:
        print(f"bench: the knowledge base does not load ({err.problems[0]}...); pass --kb DIR", file=sys.stderr)
        return 2
    started = time.time()
    results: dict[str, Any] = {
        "command": " ".join(("python -m bench", *options.argv)),
        "profile": dataclasses.asdict(options.profile),
        "started": datetime.datetime.fromtimestamp(started, datetime.UTC).isoformat(timespec="seconds"),
        "machine_before": machine(),
        "source": source_state(),
        "build": build.describe(),
        "load_generator": load.H2LOAD if options.tool == "h2load" else load.PYTHON,
        "server_workers": options.server_workers,
        "streams": options.streams,
        "knowledge_base": {
            "path": str(options.kb_path or "built-in"),
            "version": kb.version,
            "content_hash": kb.content_hash,
            "drugs": len(kb.drugs),
        },
    }
    p = options.profile
    _progress("engine")
    results["engine"] = engine.run(options.kb_path, p.engine_s, p.kb_loads)
    with tempfile.TemporaryDirectory(prefix="dosecheck-bench-") as scratch:
        workdir = pathlib.Path(scratch)
        bench = Bench(options, kb, workdir)
        results["request"] = {
            "shape": HEAVY.label,
            "request_bytes": bench.request_bytes,
            "response_bytes": bench.expected_response,
            "answer_bytes": bench.answer_bytes,
        }
        results["audit_input"] = {
            "rows": p.audit_rows,
            "shape": f"{AUDIT_REGIMEN} + 0..{AUDIT_MAX_CONCOMITANT}",
            "bytes_per_row": round(bench.audit_input.stat().st_size / p.audit_rows),
            "stream_rows": p.rows_per_stream,
            "remote_rows": p.remote_audit_rows,
        }
        _progress("audit in-process")
        results["audit"] = [audit_in_process(bench, workers) for workers in (1, 2)]
        results["audit_gzip"] = audit_in_process(bench, 1, gzip_output=True)
        results["audit_input"]["output_bytes_per_row"] = round(bench.audit_output_bytes[".jsonl"] / p.audit_rows)
        results["audit_input"]["gzip_output_bytes_per_row"] = round(bench.audit_output_bytes[".gz"] / p.audit_rows)
        _progress(f"service ({results['load_generator']}, {p.repeats} rounds)")
        results.update(run_service(bench))
        results["verification"] = bench.verified
        _progress("memory and remote audit")
        results.update(run_memory_and_remote_audit(bench))
    results["machine_after"] = machine()
    results["elapsed_s"] = round(time.time() - started, 1)
    summary = report.summarise(results)
    print(report.markdown(summary, results))
    options.json_path.write_text(json.dumps(report.jsonable({**results, "summary": summary}), indent=2) + "\n")
    return 0


def _progress(part: str) -> None:
    print(f"bench: {part}...", file=sys.stderr, flush=True)
