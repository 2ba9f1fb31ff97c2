"""The server interceptor every dosecheck server runs: maps exceptions to statuses, logs each call.

It is the one place where an exception becomes a gRPC status (via `service.errors`) and the one
place that writes the per-call log line: method, status, duration and counts, never names or
patient data. A bad request is that one line (INFO), never a traceback. Real and echo servers
share it because `create_server` installs it.

It also closes the server's door at shutdown: gRPC cancels (status CANCELLED, which no retry
policy retries) every call that reached the server but that the server has not yet taken up when
it stops. So before it stops, `refuse_new_calls` takes up every new call at once, which empties
that queue, and holds it; `wait_quiet` waits until calls stop arriving (a caller whose call is held
sends no other), and once gRPC has closed the port `answer_refused` answers the held calls
UNAVAILABLE. Answered at once instead, each caller retried within its back-off, so calls went on
arriving at the instant gRPC stopped: 13 of 1,536 calls ended CANCELLED in one CI run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any, Final, Protocol, TypeAlias

import grpc

from dosecheck.v1 import dosecheck_pb2 as pb
from service.convert import EncodedResponse
from service.errors import MalformedRequestError, grpc_status_for

log = logging.getLogger(__name__)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

REFUSED_MESSAGE = "server shutting down; retry on another server"
_CANCEL_REACHES_HANDLER_S: Final = 0.005
"""How long the end of a stream's requests waits for gRPC to cancel the handler, if the end was a cancel."""
_DEADLINE_SLACK_S: Final = 0.1
"""A cancel this close to the server's deadline is taken for the caller's deadline (see `_cancellation_code`)."""


class CallRecorder(Protocol):
    """What counts calls as they end (`service.metrics.Metrics`)."""

    def call(self, method: str, code: grpc.StatusCode, seconds: float) -> None:
        """One call ended with `code` after `seconds`."""

    def stream_responses(self, method: str, answered: int, errors: int) -> None:
        """A stream ended after `answered` responses, `errors` of them a row's error."""


class CallObserver(grpc.aio.ServerInterceptor):
    """Wraps each coroutine unary handler and async-generator stream handler of the server."""

    def __init__(self, recorder: CallRecorder | None = None) -> None:
        """Starts with no handler wrapped; each is wrapped once, on its first call.

        Args:
            recorder: counts each call as it ends (metrics); None = the log line only.
        """
        self.recorder = recorder
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}
        self.refusing = False
        self._last_arrival = time.monotonic()
        self._refused_may_end = asyncio.Event()

    def refuse_new_calls(self) -> None:
        """From now on, every call that reaches a wrapped handler is held, then answered UNAVAILABLE."""
        self.refusing = True

    def answer_refused(self) -> None:
        """Answers the held calls, and any later one, UNAVAILABLE (once gRPC has closed the port)."""
        self._refused_may_end.set()

    async def hold_then_refuse(self, context: Context) -> None:
        """Holds a call until `answer_refused`, then answers it UNAVAILABLE."""
        await self._refused_may_end.wait()
        await context.abort(grpc.StatusCode.UNAVAILABLE, REFUSED_MESSAGE)

    async def wait_quiet(self, quiet_s: float, limit_s: float) -> float:
        """Waits until no call has arrived for `quiet_s` since the wait began, or `limit_s` has passed.

        Args:
            quiet_s: how long without a new call counts as quiet.
            limit_s: the longest wait.

        Returns:
            The seconds waited.
        """
        started = time.monotonic()
        while (now := time.monotonic()) - started < limit_s:
            quiet_since = max(self._last_arrival, started)
            if now - quiet_since >= quiet_s:
                break
            await asyncio.sleep(min(quiet_s - (now - quiet_since), limit_s - (now - started)))
        return time.monotonic() - started

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        """Returns the handler for a call, wrapped.

        Args:
            continuation: looks the handler up.
            handler_call_details: the method called.

        Returns:
            The wrapped handler (or the unwrapped one for shapes this interceptor leaves alone).
        """
        self._last_arrival = time.monotonic()
        handler = await continuation(handler_call_details)
        if handler is None:  # an unknown method, which grpc answers with UNIMPLEMENTED
            return handler
        method = handler_call_details.method
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = _wrap(method, handler, self)
        self._wrapped[method] = (handler, wrapped)
        return wrapped


def _wrap(method: str, handler: Handler, observer: CallObserver) -> Handler:
    """The same handler with its behaviour observed, when its shape is one we observe."""
    name = method.rsplit("/", 1)[-1]
    deserializer = _deferring(handler.request_deserializer)
    behavior: Any = handler.unary_unary
    if behavior is not None and inspect.iscoroutinefunction(behavior):
        return grpc.unary_unary_rpc_method_handler(
            _observe_unary(name, behavior, observer, method.startswith(_HEALTH_METHODS)),
            request_deserializer=deserializer,
            response_serializer=handler.response_serializer,
        )
    behavior = handler.stream_stream
    if behavior is not None and inspect.isasyncgenfunction(behavior):
        return grpc.stream_stream_rpc_method_handler(
            _observe_stream(name, behavior, observer),
            request_deserializer=deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler


def _deferring(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """The deserializer, returning a MalformedRequestError instead of raising it.

    grpc calls deserializers outside the handler: a unary call whose deserializer raises is
    answered UNKNOWN with a traceback logged at ERROR, and in a stream the exception ends the
    stream. Returned as a value, the error reaches the handler, which answers it like any other
    bad request: INVALID_ARGUMENT, or the row's `error` with the stream going on.
    """
    if deserializer is None:
        return None

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except MalformedRequestError as exc:
            return exc

    return deserialize


_HEALTH_METHODS: Final = "/grpc.health.v1.Health/"
"""Load balancers and kubelets probe every few seconds: a probe that succeeds is logged at DEBUG only."""


def _observe_unary(
    name: str, behavior: Callable[[Any, Context], Awaitable[Any]], observer: CallObserver, probe: bool
) -> Callable[[Any, Context], Awaitable[Any]]:
    async def observed(request: Any, context: Context) -> Any:
        started = time.perf_counter()
        ending = _Ending(context)
        response = None
        try:
            async with ending:
                if observer.refusing:
                    ending.code = grpc.StatusCode.UNAVAILABLE
                    await observer.hold_then_refuse(context)
                if isinstance(request, MalformedRequestError):
                    raise request
                response = await behavior(request, context)
        finally:
            if observer.recorder is not None:
                observer.recorder.call(name, ending.code, time.perf_counter() - started)
            if log.isEnabledFor(logging.INFO):
                _log_call(name, ending.code, started, _unary_counts(request, response), probe)
        return response

    return observed


def _observe_stream(
    name: str, behavior: Callable[[AsyncIterable[Any], Context], AsyncIterator[Any]], observer: CallObserver
) -> Callable[[AsyncIterable[Any], Context], AsyncIterator[Any]]:
    async def observed(requests: AsyncIterable[Any], context: Context) -> AsyncIterator[Any]:
        started = time.perf_counter()
        received = answered = errors = 0
        if observer.refusing:
            if observer.recorder is not None:
                observer.recorder.call(name, grpc.StatusCode.UNAVAILABLE, time.perf_counter() - started)
            _log_call(name, grpc.StatusCode.UNAVAILABLE, started, {})
            await observer.hold_then_refuse(context)

        async def counted() -> AsyncIterator[Any]:
            nonlocal received
            async for request in requests:
                received += 1
                yield request

        ending = _Ending(context)
        try:
            async with ending:
                async for response in behavior(counted(), context):
                    answered += 1
                    if isinstance(response, EncodedResponse) and response.error:
                        errors += 1
                    yield response
                # gRPC's aio server reads a caller's cancel (or its passed deadline) as the end of the requests
                # and cancels this task a moment later: waiting that moment tells it from a last row sent. With
                # no wait, 40 of 40 cancels of a stream waiting for a row were logged OK; 35 of 40 with one turn of
                # the loop; none with 2 ms (unloaded, and with 3 busy loops on the 2 cores): 5 ms leaves a margin.
                await asyncio.sleep(_CANCEL_REACHES_HANDLER_S)
                if context.cancelled() or _deadline_passed(context):
                    ending.code = _cancellation_code(context)
        finally:
            if observer.recorder is not None:
                observer.recorder.call(name, ending.code, time.perf_counter() - started)
                observer.recorder.stream_responses(name, answered, errors)
            if log.isEnabledFor(logging.INFO):
                _log_call(name, ending.code, started, {"received": received, "answered": answered, "errors": errors})

    return observed


class _Ending:
    """The status a call ends with, from how its handler ended: the one place exceptions become statuses.

    `async with` it around the handler; `code` is OK unless the handler set another or raised.
    """

    __slots__ = ("_context", "code")

    def __init__(self, context: Context) -> None:
        self.code = grpc.StatusCode.OK
        self._context = context

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: object) -> bool:
        context = self._context
        if isinstance(exc, GeneratorExit | asyncio.CancelledError):
            # GeneratorExit: grpc left a stream at a `yield`, the caller having cancelled (or its deadline passed)
            # while a row was being answered or written (logged OK before, every time: a row slower than the cancel).
            self.code = _cancellation_code(context)
        elif isinstance(exc, grpc.aio.AbortError):
            self.code = context.code() or grpc.StatusCode.UNKNOWN
        elif isinstance(exc, Exception):
            status = grpc_status_for(exc)
            self.code = status.code
            await context.abort_with_status(status)
        return False


def _deadline_passed(context: Context, slack_s: float = 0.0) -> bool:
    remaining = context.time_remaining()
    return remaining is not None and remaining <= slack_s


def _cancellation_code(context: Context) -> grpc.StatusCode:
    """How a call the caller ended ended: its deadline passed, or it was cancelled.

    gRPC does not tell the server which: a cancel that arrives just before this server's deadline is taken for
    the caller's, which passes first (the server's is later by the time the call took to arrive: in one CI run
    a stream ended by its caller's 0.5 s deadline ended here after 499.4 ms, before the server's had passed).
    """
    if _deadline_passed(context, slack_s=_DEADLINE_SLACK_S):
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.CANCELLED


def _unary_counts(request: Any, response: Any) -> dict[str, int]:
    if not isinstance(request, pb.CheckRegimenRequest):
        return {}
    counts = {"regimen": len(request.regimen), "concomitant": len(request.concomitant)}
    if isinstance(response, EncodedResponse):
        counts["findings"] = response.findings
        counts["unrecognized"] = response.unrecognized
    return counts


def _log_call(name: str, code: grpc.StatusCode, started: float, counts: dict[str, int], probe: bool = False) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    log.log(
        logging.DEBUG if probe and code is grpc.StatusCode.OK else logging.INFO,
        "%s %s %.3fms%s",
        name,
        code.name,
        duration_ms,
        "".join(f" {k}={v}" for k, v in counts.items()),
        extra={"rpc": name, "code": code.name, "duration_ms": duration_ms, **counts},
    )
