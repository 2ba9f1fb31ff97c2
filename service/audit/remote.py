"""The remote audit runner: rows over `AuditRegimens` streams to one or several servers, re-merged in order."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import grpc

from dosecheck.v1 import dosecheck_pb2 as pb
from dosecheck.v1 import dosecheck_pb2_grpc as pb_grpc
from interactions import InvalidRequestError, View
from service import convert
from service.audit.local import RESPONSE, ChunkCollector, ChunkResult, locate_error
from service.audit.rows import CsvLayout, Row, decode_row, request_id_of_row
from service.client_channel import PLAINTEXT, ClientSecurity, open_aio_channel
from service.contract import to_json
from service.errors import error_response

__all__ = [
    "KnowledgeBaseIdentity",
    "RemoteAuditError",
    "run_remote",
]

_FLUSH_EVERY: Final = 256
"""Records handed to the sink at once: amortises writing without holding results back long."""


@dataclass(frozen=True, slots=True)
class KnowledgeBaseIdentity:
    """Which knowledge base a target checks against."""

    target: str
    version: str
    content_hash: str


class RemoteAuditError(Exception):
    """A stream ended by a transport failure (a lost server, a deadline); the audit stops there."""

    def __init__(self, target: str, code: grpc.StatusCode, details: str) -> None:
        self.target = target
        self.code = code
        self.details = details
        super().__init__(f"{target}: {code.name}: {details}")


class _Merger:
    """Puts answers from several streams back in input order and bounds what is held meanwhile."""

    def __init__(self, sink: Callable[[ChunkResult], None], window: int, decisions: bool) -> None:
        self._sink = sink
        self._ready: dict[int, tuple[Row, dict[str, Any]]] = {}
        self._next = 0
        self._decisions = decisions
        self._chunk = ChunkCollector(decisions)
        # Taken when a row is read from the input, given back when its answer goes to the writer:
        # however slow one replica is, at most `window` rows wait in memory.
        self.window = asyncio.Semaphore(window)

    def deliver(self, seq: int, row: Row, response: dict[str, Any]) -> None:
        self._ready[seq] = (row, response)
        while self._next in self._ready:
            row, answer = self._ready.pop(self._next)
            self._next += 1
            self._chunk.add(row, answer)
            self.window.release()
            if len(self._chunk.records) >= _FLUSH_EVERY:
                self.flush()
        if not self._ready:
            self.flush()

    def flush(self) -> None:
        if self._chunk.records:
            chunk, self._chunk = self._chunk, ChunkCollector(self._decisions)
            self._sink(chunk.result())


class _Source:
    """The input rows, numbered in input order, shared by every stream (whichever asks first)."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self._rows: Iterator[Row] = iter(rows)
        self._seq = 0

    def take(self) -> tuple[int, Row] | None:
        row = next(self._rows, None)
        if row is None:
            return None
        seq = self._seq
        self._seq += 1
        return seq, row


async def _stream(
    target: str,
    channel: grpc.aio.Channel,
    source: _Source,
    merger: _Merger,
    layout: CsvLayout | None,
    view: View,
    answer_timeout_s: float,
) -> None:
    call = pb_grpc.RegimenCheckerStub(channel).AuditRegimens()
    sent: deque[tuple[int, Row]] = deque()
    write_failed = False

    async def send() -> None:
        nonlocal write_failed
        while True:
            await merger.window.acquire()
            item = source.take()
            if item is None:
                merger.window.release()
                break
            seq, row = item
            try:
                _, request = decode_row(row, layout)
            except InvalidRequestError as exc:
                merger.deliver(seq, row, to_json(error_response(request_id_of_row(row, layout), exc), RESPONSE))
                continue
            sent.append(item)
            try:
                await call.write(convert.request_to_proto(request._replace(view=request.view or view)))
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
                # The call is over; the reader reports why. (A write fails only on a broken
                # connection, and grpc then marks the call INTERNAL: "Internal error from Core".)
                write_failed = True
                return
        await call.done_writing()

    sender = asyncio.create_task(send())
    try:
        while True:
            # A row sent and not answered in time means a frozen or overloaded server: give up on
            # it rather than wait for ever (keepalive finds a dead one; this, one that hangs).
            read = call.read()
            response = await (asyncio.wait_for(read, answer_timeout_s) if sent else read)
            if response is grpc.aio.EOF:
                break
            seq, row = sent.popleft()
            merger.deliver(seq, row, locate_error(row, layout, to_json(response, RESPONSE)))
        await sender
    except grpc.aio.AioRpcError as exc:
        if write_failed and exc.code() == grpc.StatusCode.INTERNAL:
            raise RemoteAuditError(
                target, grpc.StatusCode.UNAVAILABLE, "the connection broke (the server went away?)"
            ) from None
        raise RemoteAuditError(target, exc.code(), exc.details() or "") from None
    except TimeoutError:
        raise RemoteAuditError(
            target, grpc.StatusCode.DEADLINE_EXCEEDED, f"no answer within {answer_timeout_s:g} s"
        ) from None
    finally:
        sender.cancel()
        call.cancel()
    if sent:
        # The server closed the stream without a status for the rows it had: it went away.
        raise RemoteAuditError(target, grpc.StatusCode.UNAVAILABLE, f"stream ended with {len(sent)} rows unanswered")


_SERVICE_CONFIG: Final = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{"service": pb.DESCRIPTOR.services_by_name["RegimenChecker"].full_name}],
                # gRPC retries a call (a stream too, until its first answer) that a server refused
                # or that never reached one: a replica restarting, or shutting down.
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.2s",
                    "maxBackoff": "5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)
KEEPALIVE_S: Final = 30
"""How often the audit pings a quiet connection; a server that does not answer within
KEEPALIVE_TIMEOUT_S is given up (UNAVAILABLE). Servers allow a ping every 10 s or more."""
KEEPALIVE_TIMEOUT_S: Final = 10


def _channel_options() -> list[tuple[str, Any]]:
    return [
        # Each stream gets its own connection, so servers sharing a port (SO_REUSEPORT) or
        # several addresses behind one name all take a share of the rows.
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.lb_policy_name", "round_robin"),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
        ("grpc.keepalive_time_ms", KEEPALIVE_S * 1000),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_S * 1000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", _SERVICE_CONFIG),
    ]


async def _identify(target: str, channel: grpc.aio.Channel, timeout_s: float) -> KnowledgeBaseIdentity:
    stub = pb_grpc.RegimenCheckerStub(channel)
    try:
        info = await stub.GetKnowledgeBase(pb.GetKnowledgeBaseRequest(), timeout=timeout_s, wait_for_ready=True)
    except grpc.aio.AioRpcError as exc:
        raise RemoteAuditError(target, exc.code(), exc.details() or "") from None
    return KnowledgeBaseIdentity(target, info.version, info.content_hash)


async def _run(
    rows: Iterable[Row],
    sink: Callable[[ChunkResult], None],
    targets: tuple[str, ...],
    layout: CsvLayout | None,
    view: View,
    streams_per_target: int,
    window: int,
    connect_timeout_s: float,
    answer_timeout_s: float,
    security: ClientSecurity,
    decisions: bool,
) -> tuple[KnowledgeBaseIdentity, ...]:
    channels = [
        (target, open_aio_channel(target, security, _channel_options()))
        for target in targets
        for _ in range(streams_per_target)
    ]
    try:
        identities = await asyncio.gather(
            *(_identify(target, channel, connect_timeout_s) for target, channel in channels[::streams_per_target])
        )
        source = _Source(rows)
        merger = _Merger(sink, window, decisions)
        try:
            async with asyncio.TaskGroup() as group:
                for target, channel in channels:
                    group.create_task(_stream(target, channel, source, merger, layout, view, answer_timeout_s))
        except BaseExceptionGroup as failures:
            # Report the first transport failure; the rest are usually its consequences.
            first = failures.exceptions[0]
            merger.flush()
            raise first from None
        merger.flush()
        return tuple(identities)
    finally:
        await asyncio.gather(*(channel.close(None) for _, channel in channels), return_exceptions=True)


def run_remote(
    rows: Iterable[Row],
    sink: Callable[[ChunkResult], None],
    *,
    targets: tuple[str, ...],
    layout: CsvLayout | None,
    view: View = View.BASIC,
    streams_per_target: int = 2,
    window: int = 4096,
    connect_timeout_s: float = 10.0,
    answer_timeout_s: float = 60.0,
    security: ClientSecurity = PLAINTEXT,
    decisions: bool = False,
) -> tuple[KnowledgeBaseIdentity, ...]:
    """Checks every row on the target servers and hands the answers to `sink` in input order.

    Rows go to whichever stream is ready for more, so a faster replica takes a larger share.
    Rows that cannot be parsed are answered here and never sent. A stream that fails stops the
    whole audit: the answers written so far are a prefix of the input, for `--resume`.

    Args:
        rows: The rows, in input order.
        sink: Receives the records and their totals, in input order.
        targets: gRPC targets (`host:port`, or a `dns:///name:port` with several addresses).
        layout: The CSV layout, for CSV input.
        view: The view the servers answer in, for rows that do not name one.
        streams_per_target: Concurrent streams (each on its own connection) per target.
        window: Rows read but not yet written, at most.
        connect_timeout_s: How long to wait for each target to answer GetKnowledgeBase.
        answer_timeout_s: How long a stream may leave a sent row unanswered before the audit stops
            (DEADLINE_EXCEEDED): a frozen server is not waited on for ever.
        security: TLS, client certificate and token of every channel (a token file is read for each).
        decisions: Whether chunks make their lines of the decisions CSV.

    Returns:
        The knowledge base each target checks against.

    Raises:
        RemoteAuditError: A target could not be reached or a stream failed.
        ClientSecurityError: `security` cannot be used (a file unreadable, a token without TLS).
    """
    return asyncio.run(
        _run(rows, sink, targets, layout, view, max(1, streams_per_target), window, connect_timeout_s,
             answer_timeout_s, security, decisions)
    )
