"""The servicer of `dosecheck.v1.RegimenChecker`: adapters from the contract to the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import NamedTuple

import grpc

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import CheckResult, KnowledgeBase, View, check
from interactions.identify import identify
from interactions.validation import validate_medications
from service import convert
from service.errors import MalformedRequestError

Answer = Callable[[pb.CheckRegimenRequest], convert.EncodedResponse]
"""Answers one request with its encoded response, or raises (InvalidRequestError for a bad one)."""
Resolve = Callable[[pb.ResolveMedicationsRequest], pb.ResolveMedicationsResponse]
"""Says what each medication of a request is, or raises InvalidRequestError."""


def engine_answer(kb: KnowledgeBase, on_result: Callable[[CheckResult], None] | None = None) -> Answer:
    """The `Answer` of the engine over a knowledge base: proto in, domain check, proto out.

    Args:
        kb: the loaded, validated knowledge base.
        on_result: called with each result before it is encoded (metrics); None = nothing.

    Returns:
        A function returning the response in the request's view; it raises InvalidRequestError for a
        request the domain rejects.
    """

    def answer(request: pb.CheckRegimenRequest) -> convert.EncodedResponse:
        # The message has the shape of the domain's CheckRequestLike: the engine reads it as is.
        result = check(kb, request)
        if on_result is not None:
            on_result(result)
        return convert.encode_response(result, View(request.view))

    return answer


def engine_resolve(kb: KnowledgeBase) -> Resolve:
    """The `Resolve` of a knowledge base: each medication identified by its codes and name.

    Args:
        kb: the loaded, validated knowledge base.

    Returns:
        A function answering ResolveMedications; it raises InvalidRequestError for a bad request.
    """

    def resolve(request: pb.ResolveMedicationsRequest) -> pb.ResolveMedicationsResponse:
        medications = request.medications
        validate_medications(medications)
        return convert.resolutions(medications, [identify(kb, m) for m in medications], kb.version)

    return resolve


DRAINING_MESSAGE = "server shutting down; resend the rows that were not answered"


class _Answering(NamedTuple):
    """What answers calls, from one knowledge base: replaced as a whole when it is reloaded."""

    answer: Answer
    knowledge_base: pb.KnowledgeBaseInfo
    resolve: Resolve | None


class RegimenChecker:
    """Serves CheckRegimen, AuditRegimens, GetKnowledgeBase and ResolveMedications over any `answer` function.

    The real server answers with the engine (`for_knowledge_base`); a benchmark's echo server
    passes a function returning a pre-built response, and so shares everything else. Exceptions of
    unary calls are mapped to statuses by `service.observe.CallObserver`, in one place.
    """

    def __init__(self, answer: Answer, knowledge_base: pb.KnowledgeBaseInfo, resolve: Resolve | None = None) -> None:
        """Builds the servicer.

        Args:
            answer: checks one request.
            knowledge_base: what GetKnowledgeBase returns.
            resolve: answers ResolveMedications; None (a benchmark's echo server) answers UNIMPLEMENTED.
        """
        # The one reference every call reads, once, when it starts: a reload replaces it, and calls
        # and audit streams under way finish with the knowledge base they started with.
        self._current = _Answering(answer, knowledge_base, resolve)
        self._engine: Callable[[KnowledgeBase], _Answering] | None = None
        self._draining = False
        self.stream_idle_timeout_s: float | None = None
        """How long an AuditRegimens stream may wait for a row; None = for ever (`create_server` sets it)."""
        self._reading: set[asyncio.Task[object]] = set()
        """The AuditRegimens calls waiting for their next row: what draining cancels."""

    @classmethod
    def for_knowledge_base(
        cls, kb: KnowledgeBase, on_result: Callable[[CheckResult], None] | None = None
    ) -> RegimenChecker:
        """The servicer that checks against a loaded knowledge base.

        Args:
            kb: the loaded, validated knowledge base.
            on_result: called with each check's result (metrics); None = nothing.

        Returns:
            The servicer.
        """

        def engine(kb: KnowledgeBase) -> _Answering:
            return _Answering(engine_answer(kb, on_result), convert.knowledge_base_info(kb), engine_resolve(kb))

        servicer = cls(*engine(kb))
        servicer._engine = engine
        return servicer

    @property
    def knowledge_base(self) -> pb.KnowledgeBaseInfo:
        """What GetKnowledgeBase returns: the version and content hash answers are given with."""
        return self._current.knowledge_base

    @property
    def reloadable(self) -> bool:
        """Whether it checks against a knowledge base (`for_knowledge_base`) that `use` can replace."""
        return self._engine is not None

    def use(self, kb: KnowledgeBase) -> None:
        """Answers new calls and streams with `kb`; those under way finish with the one they started with.

        Raises:
            TypeError: the servicer was not built by `for_knowledge_base` (an echo server).
        """
        if self._engine is None:
            raise TypeError("this servicer does not check against a knowledge base")
        self._current = self._engine(kb)

    async def CheckRegimen(  # noqa: N802 -- method names are the contract's
        self, request: pb.CheckRegimenRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> convert.EncodedResponse:
        """Checks one regimen."""
        return self._current.answer(request)

    async def GetKnowledgeBase(  # noqa: N802 -- method names are the contract's
        self, request: pb.GetKnowledgeBaseRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> pb.KnowledgeBaseInfo:
        """Describes the knowledge base."""
        return self._current.knowledge_base

    async def ResolveMedications(  # noqa: N802 -- method names are the contract's
        self, request: pb.ResolveMedicationsRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> pb.ResolveMedicationsResponse:
        """Says what each medication is (formulary mapping before go-live)."""
        resolve = self._current.resolve
        if resolve is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "this server does not resolve medications")
        return resolve(request)

    async def AuditRegimens(  # noqa: N802 -- method names are the contract's
        self,
        requests: AsyncIterable[pb.CheckRegimenRequest | MalformedRequestError],
        context: grpc.aio.ServicerContext[object, object],
    ) -> AsyncIterator[convert.EncodedResponse]:
        """Answers each row in order; a row that cannot be checked gets `error` and the stream goes on.

        A row whose bytes do not decode (`service.observe` hands it over as the error) is such a
        row; its answer has no request id, since none could be read.

        One row is read, answered and written before the next is read, so a slow reader slows the
        writer and nothing queues here. Once draining, no new row is read: the row in hand is
        answered, then the stream ends with UNAVAILABLE. Every row is checked against the knowledge
        base in use when the stream began, even if it is reloaded meanwhile.
        """
        rows = aiter(requests)
        answer = self._current.answer  # the whole stream is answered with one knowledge base
        current = asyncio.current_task()
        assert current is not None  # grpc runs each call's handler in a task
        while not self._draining:
            self._reading.add(current)
            try:
                # No gRPC limit ends a stream whose live caller sends nothing (the idle limit counts
                # connections without calls; keepalive pings are answered): this one does. The limit
                # covers the read alone, never a `yield` (grpc writes the answer in this same task). A task and
                # asyncio.wait per read cost 62 µs a row here against 13 (rows answered from a table, in-process).
                async with asyncio.timeout(self.stream_idle_timeout_s):
                    request = await anext(rows, None)
            except TimeoutError:
                await context.abort(
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                    f"no row for {self.stream_idle_timeout_s:g} s; stream closed: send the rest on a new one",
                )
            except asyncio.CancelledError:
                # Draining cancels a call waiting for a row; this handler still has to send UNAVAILABLE. Any
                # other cancel (the caller's, its deadline) ends it.
                if not self._draining or current.cancelling() > 1:
                    raise
                current.uncancel()
                break
            finally:
                self._reading.discard(current)
            if request is None:
                return
            if isinstance(request, MalformedRequestError):
                yield convert.encode_error("", request)
                continue
            try:
                response = answer(request)
            except Exception as exc:  # noqa: BLE001 -- every row gets an answer; rpc_status_for logs bugs
                response = convert.encode_error(request.request_id, exc)
            yield response
        await context.abort(grpc.StatusCode.UNAVAILABLE, DRAINING_MESSAGE)

    def begin_drain(self) -> None:
        """Stops audit streams from reading further rows (the server is shutting down); once, whatever calls it."""
        if self._draining:
            return  # cancelled twice, a waiting stream would take the second cancel for its caller's and hang
        self._draining = True
        for call in self._reading:
            call.cancel()
