"""A dosecheck server for benchmarks: the real one, or an echo server of the same design.

    python -m bench.server --real --port P --workers W [--kb PATH]
    python -m bench.server --echo --requests FILE --port P --workers W [--kb PATH]

Both are built by `service.server.create_server` with the same settings, interceptor, health and
reflection, and run in the same worker processes on the same event loop. They differ only in
the servicer's answer: the real one runs the engine; the echo one looks up a response built at
start-up, the engine's own answer to each benchmark request (FILE: gRPC-framed requests), by
request id, so every answer has exactly the real size.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from bench.workload import split_frames
from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import KnowledgeBaseError, load_knowledge_base
from service import convert, server
from service.exit_codes import ExitCode
from service.servicer import RegimenChecker, engine_answer
from service.settings import Settings


def echo_servicer(kb_path: pathlib.Path | None, requests: list[pb.CheckRegimenRequest]) -> RegimenChecker:
    """A servicer that answers each benchmark request with the engine's answer, computed once.

    Args:
        kb_path: the knowledge base the answers come from (None = the built-in one).
        requests: the benchmark's requests; the first also answers any request id not among them.

    Returns:
        The echo servicer.
    """
    kb = load_knowledge_base(kb_path)
    engine = engine_answer(kb)
    answers = {request.request_id: engine(request) for request in requests}
    fallback = answers[requests[0].request_id]

    def answer(request: pb.CheckRegimenRequest) -> convert.EncodedResponse:
        return answers.get(request.request_id, fallback)

    return RegimenChecker(answer, convert.knowledge_base_info(kb))


def main(argv: list[str] | None = None) -> int:
    """Parses the command line and serves.

    Args:
        argv: the arguments; None = sys.argv.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--real", action="store_true", help="answer with the engine")
    kind.add_argument("--echo", action="store_true", help="answer with one fixed response")
    parser.add_argument("--requests", type=pathlib.Path, help="echo: the benchmark requests, gRPC-framed")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kb", type=pathlib.Path, help="knowledge-base directory (default: built-in)")
    parser.add_argument("--log-level", default="INFO", help="the production default, so logging costs count")
    args = parser.parse_args(argv)
    settings = Settings(
        port=args.port,
        workers=args.workers,
        kb_path=args.kb,
        log_level=args.log_level,
        log_format="json",
        grace_period_s=0.2,
        drain_delay_s=0.0,  # no load balancer to tell: nothing is sent after the load ends
    )
    if not args.echo:
        return server.serve(settings)  # exactly `dosecheck serve`
    if args.requests is None:
        parser.error("--echo needs --requests")
    messages = split_frames(args.requests.read_bytes())
    try:
        servicer = echo_servicer(args.kb, [pb.CheckRegimenRequest.FromString(m) for m in messages])
    except KnowledgeBaseError as err:
        print(f"bench.server: the knowledge base is invalid:\n{err}", file=sys.stderr)
        return ExitCode.UNUSABLE
    return server.serve(settings, servicer)


if __name__ == "__main__":
    sys.exit(main())
