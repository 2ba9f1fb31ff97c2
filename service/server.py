"""Builds the gRPC server (`create_server`) and runs it (`serve`): workers, signals, graceful stop."""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

import grpc
from google.protobuf import message_factory
from google.protobuf.message import DecodeError, Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from dosecheck.v1 import dosecheck_pb2
from interactions import KnowledgeBaseError, load_knowledge_base
from service import build
from service.convert import EncodedResponse
from service.errors import MalformedRequestError
from service.exit_codes import ExitCode
from service.grpc_auth import exposure_refusal, token_guards
from service.grpc_tls import ReloadingCredentials, TlsFilesError, tls_files
from service.lifetime import end_with
from service.logs import configure_logging
from service.metrics import Metrics, endpoint_refusal, metrics_directory, metrics_endpoint, process_ended
from service.observe import CallObserver, CallRecorder
from service.reload import KnowledgeBaseReload, PidFileError, pid_file
from service.servicer import RegimenChecker
from service.settings import Settings, unknown_variables

if TYPE_CHECKING:
    from service.cds_hooks.http import HttpService

log = logging.getLogger(__name__)

SERVICE_NAME = dosecheck_pb2.DESCRIPTOR.services_by_name["RegimenChecker"].full_name
HEALTH_SERVICE_NAME = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
QUIET_S: Final = 0.2
"""At shutdown, how long without a new call means callers have moved away and gRPC's queue is
empty. Measured: a worker saturated by 64 callers took more than 50 ms to take up its queue."""

LISTENER_CLOSE_S: Final = 0.05
"""At shutdown, how long held calls wait for gRPC to close the listening socket once its stop has begun."""

METRICS_FLUSH_S: Final = 1.0
"""How often a worker writes the counts of its results to the metrics files (see `Metrics.result`)."""

_FORWARDED: Final = frozenset({signal.SIGHUP, signal.SIGTERM, signal.SIGINT})
"""The signals the supervisor forwards to its workers."""

_M = TypeVar("_M", bound=Message)


@dataclass(frozen=True, slots=True)
class Server:
    """A built dosecheck server: its gRPC server, the port it bound, and what its lifecycle needs."""

    grpc_server: grpc.aio.Server
    port: int
    health: HealthServicer
    servicer: RegimenChecker
    observer: CallObserver
    certificates: ReloadingCredentials | None = None
    """The TLS credentials; `request_reload` makes new connections read the files again."""

    async def start(self) -> None:
        """Starts serving; health stays NOT_SERVING until `mark_ready`."""
        await self.grpc_server.start()

    async def mark_ready(self) -> None:
        """Reports SERVING for the server as a whole and for the RegimenChecker service."""
        for name in ("", SERVICE_NAME):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace_s: float, drain_delay_s: float = 0) -> None:
        """Stops gracefully: NOT_SERVING, audit streams stop reading, in-flight calls get `grace_s`.

        After the drain delay, new calls are held until none has arrived for QUIET_S (for at most
        half the grace period), and only then does gRPC stop, the held calls answered UNAVAILABLE
        as it closes the port: it would answer calls that had arrived but were not yet taken up
        CANCELLED, which retry policies do not retry. Calls still running when the grace period
        ends are ended UNAVAILABLE by gRPC.

        Args:
            grace_s: seconds in-flight calls may still take once the port closes; then they end
                UNAVAILABLE.
            drain_delay_s: seconds to go on accepting unary calls before the port closes.
        """
        await self.health.enter_graceful_shutdown()
        self.servicer.begin_drain()
        if drain_delay_s:
            await asyncio.sleep(drain_delay_s)
        self.observer.refuse_new_calls()
        try:
            waited = await self.observer.wait_quiet(QUIET_S, grace_s / 2)
            stopping = asyncio.ensure_future(self.grpc_server.stop(grace_s - waited))
            # gRPC's stop starts closing the port and sending GOAWAY before it first waits (grpc's aio server.pyx:
            # shutdown calls grpc_server_shutdown_and_notify first), but closes the listening socket on a thread of
            # its own: the port took a connection after the refusal in 1 of 30 shutdowns with no wait, in none of 40
            # with this one (connecting right after each refusal); a retry there would reach this server again.
            await asyncio.sleep(LISTENER_CLOSE_S)
        finally:
            self.observer.answer_refused()  # also when the stop is cancelled meanwhile: no call is held for ever
        await stopping


async def create_server(
    settings: Settings, servicer: RegimenChecker | None = None, recorder: CallRecorder | None = None,
    certificate_reloaded: Callable[[str], None] | None = None,
) -> Server:
    """Builds the server, bound to its port but not started; call it inside the event loop.

    Health reports NOT_SERVING for "" and for dosecheck.v1.RegimenChecker until `mark_ready`;
    reflection (when its setting is on) lists every service. The CallObserver interceptor maps
    exceptions and logs calls; inside it, with issuers configured, a TokenGuard checks tokens.
    With a TLS certificate the port speaks TLS only (mTLS with a client CA).

    Args:
        settings: where to listen and how many workers share the port.
        servicer: what answers calls; None = the engine over the knowledge base of `settings`.
            An echo server for benchmarks passes `RegimenChecker(fixed_answer, info)`.
        recorder: counts each call as it ends (metrics); None = the log line only.
        certificate_reloaded: told the outcome of each TLS certificate reload (metrics); None = the log only.

    Returns:
        The server and the port it bound (the actual one when settings.port is 0).

    Raises:
        KnowledgeBaseError: no servicer was given and the knowledge base is invalid.
        RuntimeError: the address could not be bound.
        TlsFilesError: the TLS files cannot be used.
    """
    if servicer is None:
        servicer = RegimenChecker.for_knowledge_base(load_knowledge_base(settings.kb_path, settings.cache_dir))
    servicer.stream_idle_timeout_s = settings.stream_idle_timeout_s
    observer = CallObserver(recorder)
    grpc_server = grpc.aio.server(interceptors=[observer, *token_guards(settings)], options=settings.grpc_options)
    _add_regimen_checker(servicer, grpc_server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, grpc_server)
    if settings.reflection:
        reflection.enable_server_reflection((SERVICE_NAME, HEALTH_SERVICE_NAME, reflection.SERVICE_NAME), grpc_server)
    for name in ("", SERVICE_NAME):
        await health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    files = tls_files(settings)
    certificates = ReloadingCredentials(files, certificate_reloaded) if files is not None else None
    if certificates is None:
        port = grpc_server.add_insecure_port(settings.address)
    else:
        port = grpc_server.add_secure_port(settings.address, certificates.credentials)
    return Server(grpc_server, port, health, servicer, observer, certificates)


def _parser(message_type: type[_M]) -> Callable[[bytes], _M]:
    """The request deserializer of a message type: bytes that do not decode raise MalformedRequestError."""
    name = message_type.DESCRIPTOR.full_name

    def parse(data: bytes) -> _M:
        try:
            return message_type.FromString(data)
        except DecodeError:
            raise MalformedRequestError(name) from None

    return parse


def _serialize(response: Message) -> bytes:
    return response.SerializeToString()


def _encoded(response: EncodedResponse) -> bytes:
    return response.data


_HANDLER_SHAPES: Final = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def _add_regimen_checker(servicer: RegimenChecker, grpc_server: grpc.aio.Server) -> None:
    """Registers the servicer as the generated `add_RegimenCheckerServicer_to_server` would, from the descriptor.

    Two differences: the request deserializer (`_parser`) makes undecodable bytes a bad request
    rather than an UNKNOWN status, and check answers come encoded (`convert.EncodedResponse`).
    """
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in dosecheck_pb2.DESCRIPTOR.services_by_name["RegimenChecker"].methods:
        shape = _HANDLER_SHAPES[method.client_streaming, method.server_streaming]
        request_type = message_factory.GetMessageClass(method.input_type)
        encoded = method.output_type is dosecheck_pb2.CheckRegimenResponse.DESCRIPTOR
        handlers[method.name] = shape(getattr(servicer, method.name), request_deserializer=_parser(request_type),
                                      response_serializer=_encoded if encoded else _serialize)
    grpc_server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    grpc_server.add_registered_method_handlers(SERVICE_NAME, handlers)


def serve(settings: Settings, servicer: RegimenChecker | None = None) -> int:
    """Runs the server until SIGTERM or SIGINT, in `settings.workers` processes.

    The knowledge base is loaded and validated once, before any worker is forked or any gRPC
    object exists (forking after gRPC has started threads is unsafe).

    Args:
        settings: the server's settings.
        servicer: what answers calls; None = the engine over the knowledge base of `settings`
            (a benchmark's echo server passes its own, and so runs exactly as this one does).

    Returns:
        The exit code: 0 after a graceful stop (also one asked for while starting), 2 when the
        settings, a port, the pid file or the knowledge base cannot be used, 70 when a worker ended
        without being asked to or failed with an unexpected error. Each reason is a log line (JSON
        in JSON mode, as every line this writes).
    """
    # From the start: a reload asked for while the server loads must not end it, and a stop must end
    # it cleanly (the pid file and metrics directory removed) rather than by SIGTERM's default action.
    hangups = Hangups.catch()
    stops = StopSignals.catch()
    configure_logging(settings.log_level, settings.log_format)
    if unknown := unknown_variables(os.environ):
        log.warning("ignored: variables that name no setting: %s", ", ".join(unknown))
    refusal = _security_refusal(settings) or _ports_refusal(settings)
    if refusal is not None:
        return _refuse(refusal)
    with ExitStack() as stack:
        try:
            stack.enter_context(pid_file(settings.pid_file))
        except PidFileError as err:
            return _refuse(f"pid file (--pid-file, DOSECHECK_PID_FILE) {err}")
        # The metrics directory is made before any worker is forked, so that all write beside each other.
        metrics = stack.enter_context(metrics_directory()) if settings.metrics_port else None
        return _serve(settings, servicer, metrics, hangups, stops)


def _refuse(reason: str, **fields: object) -> int:
    """Logs why the server does not start, and returns the exit code that says so (2)."""
    log.error("refusing to start: %s", reason, extra={"exit_code": int(ExitCode.UNUSABLE), **fields})
    return ExitCode.UNUSABLE


def _serve(settings: Settings, servicer: RegimenChecker | None, metrics: Metrics | None, hangups: Hangups,
           stops: StopSignals) -> int:
    http: HttpService | None = None
    if servicer is None:
        try:
            kb = load_knowledge_base(settings.kb_path, settings.cache_dir)
        except KnowledgeBaseError as err:
            problems = [str(problem) for problem in err.problems]
            # One record: readable lines on a terminal, one JSON line with the list for a log pipeline.
            return _refuse("".join([f"the knowledge base is invalid ({len(problems)} problems):",
                                    *(f"\n  {problem}" for problem in problems)]), problems=problems)
        log.info("knowledge base %s loaded (%s); %s", kb.version, kb.content_hash, build.describe())
        servicer = RegimenChecker.for_knowledge_base(kb, metrics.result if metrics else None)
        if settings.http_port:
            from service.cds_hooks.http import HttpService, SecurityRefusedError  # only when asked: FastAPI is heavy

            try:
                http = HttpService.prepare(settings, kb, metrics)
            except SecurityRefusedError as err:
                return _refuse(str(err))
    if settings.workers == 1:
        with _endpoint(settings, metrics):
            return _run_worker(settings, servicer, hangups, stops, http, metrics)
    return _supervise(settings, servicer, http, metrics, hangups, stops)


def _security_refusal(settings: Settings) -> str | None:
    """Why the ports must not open: TLS files that cannot be used, or no protection off loopback."""
    files = tls_files(settings)
    try:
        if files is not None:
            files.load()
    except TlsFilesError as err:
        return f"TLS: {err}"
    refusal = exposure_refusal(settings)
    if refusal is None and settings.metrics_port:
        refusal = endpoint_refusal(settings.host, settings.metrics_port,
                                   allow_plaintext=settings.insecure_allow_plaintext)
    return refusal


def _ports_refusal(settings: Settings) -> str | None:
    """Why a port of the server cannot be bound (in use, an address not of this host), before anything starts.

    Told here with exit 2, rather than as a worker's traceback once the knowledge base has loaded.
    """
    ports = (("gRPC", settings.port), ("CDS Hooks HTTP", settings.http_port), ("metrics", settings.metrics_port))
    for what, port in ports:
        if port and (refusal := _bind_refusal(settings.host, port)):
            return f"{what} port {port}: {refusal}"
    return None


def _bind_refusal(host: str, port: int) -> str | None:
    """Why `host:port` cannot be bound; None when it can.

    The probe binds without SO_REUSEPORT, so a port that another server's workers hold (with
    SO_REUSEPORT) is refused: gRPC's own bind would join them, and the kernel would split callers
    between the two servers, one of them perhaps on old code or an old knowledge base.
    """
    bare = host.strip("[]")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
            probe.bind(address)
    except OSError as err:
        return f"cannot bind {host}:{port}: {err.strerror or err}"
    return None


class Hangups:
    """A process's SIGHUP: "read your files again" (TLS certificates; the knowledge base may follow).

    Noted from the process's start (`catch`), then, in a worker, handled in its event loop
    (`install`): each SIGHUP calls every subscribed callback in the loop; the supervisor forwards its
    SIGHUP to each worker. A callback notes the request or starts a task; it must not block the loop.
    A SIGHUP that came before a callback subscribed is replayed to it: sent just after a server
    started, it reached a process still starting, which would otherwise have ended (SIGHUP's default)
    or served its old files until the next one.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []
        self.received = False
        """Whether a SIGHUP came since `catch`."""

    @classmethod
    def catch(cls) -> Hangups:
        """Notes SIGHUP from now on, until `install` handles it in the event loop."""
        hangups = cls()
        signal.signal(signal.SIGHUP, hangups._noted)
        return hangups

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Handles SIGHUP in `loop` from now on."""
        loop.add_signal_handler(signal.SIGHUP, self._received)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Calls `callback` on every SIGHUP from now on, and now if one came before."""
        self._callbacks.append(callback)
        if self.received:
            callback()

    def _noted(self, _signum: int, _frame: object) -> None:
        self.received = True

    def _received(self) -> None:
        self.received = True
        log.info("SIGHUP: reloading (%d subscribers)", len(self._callbacks))
        for callback in self._callbacks:
            callback()


class StopSignals:
    """A process's SIGTERM and SIGINT, noted from its start until its event loop or supervisor handles them.

    With their default actions, one that came while the knowledge base loaded ended the process
    at once (exit 143), leaving its pid file and metrics directory behind; noted, it is honoured
    once the process can stop cleanly (`received`).
    """

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        """The stop signal that came since `catch`, if any."""

    @classmethod
    def catch(cls) -> StopSignals:
        """Notes SIGTERM and SIGINT from now on, until a handler of the event loop or supervisor replaces this."""
        stops = cls()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stops._noted)
        return stops

    def _noted(self, signum: int, _frame: object) -> None:
        self.received = signal.Signals(signum)

    def stopped_before_serving(self) -> bool:
        """Whether a stop came while starting; if so, says so in the log."""
        if self.received is None:
            return False
        log.info("stopped before serving: %s came while starting", self.received.name)
        return True


def _run_worker(settings: Settings, servicer: RegimenChecker, hangups: Hangups, stops: StopSignals,
                http: HttpService | None = None, metrics: Metrics | None = None) -> int:
    try:
        return _run_event_loop(_serve_until_signalled(settings, servicer, hangups, stops, http, metrics))
    except Exception:
        # Logged here rather than printed by the interpreter (or multiprocessing): a plain-text
        # traceback breaks a JSON log, and Python's exit status 1 means something else to our callers.
        log.exception("stopping: unexpected error", extra={"exit_code": int(ExitCode.FAILED)})
        return ExitCode.FAILED


def _endpoint(settings: Settings, metrics: Metrics | None) -> AbstractContextManager[object]:
    """Serves /metrics while the block runs, when metrics are on (from a thread: start it after forking)."""
    return metrics_endpoint(settings.host, settings.metrics_port) if metrics else nullcontext()


def _run_event_loop(main: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def _serve_until_signalled(
    settings: Settings, servicer: RegimenChecker, hangups: Hangups, stops: StopSignals, http: HttpService | None,
    metrics: Metrics | None
) -> int:
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_requested.set)
    hangups.install(loop)
    if stops.stopped_before_serving():
        return ExitCode.OK
    server = await create_server(settings, servicer, metrics,
                                 functools.partial(metrics.certificate_reload, "grpc") if metrics else None)
    if server.certificates is not None:
        hangups.subscribe(server.certificates.request_reload)
    if servicer.reloadable:
        hangups.subscribe(KnowledgeBaseReload(settings.kb_path, servicer, metrics,
                                              also=(http.use,) if http is not None else ()).request)
    await server.start()
    await server.mark_ready()
    flushing = None
    if metrics is not None:
        metrics.serving(servicer.knowledge_base.version, servicer.knowledge_base.content_hash)
        flushing = asyncio.ensure_future(metrics.flush_every(METRICS_FLUSH_S))
    if http is not None:
        await http.start()
        hangups.subscribe(http.request_certificate_reload)
    log.info("serving %s on %s:%d (pid %d)", SERVICE_NAME, settings.host, server.port, os.getpid())
    await stop_requested.wait()
    log.info("stopping: NOT_SERVING, closing the port in %.1fs, in-flight calls then get %.1fs",
             settings.drain_delay_s, settings.grace_period_s)
    if http is not None:
        http.begin_drain()
    await server.stop(settings.grace_period_s, settings.drain_delay_s)
    if http is not None:
        await http.stop()
    if flushing is not None:
        flushing.cancel()  # which flushes what the last calls counted
        await asyncio.gather(flushing, return_exceptions=True)
    log.info("stopped")
    return ExitCode.OK


def _supervise(settings: Settings, servicer: RegimenChecker, http: HttpService | None, metrics: Metrics | None,
               hangups: Hangups, stops: StopSignals) -> int:
    """Forks the workers, forwards SIGTERM/SIGINT/SIGHUP to them, and stops all when one fails; serves /metrics.

    A SIGHUP that came while this process loaded the knowledge base (`hangups`) is forwarded once the
    workers run: what they were forked with may predate it. A SIGTERM or SIGINT that came then
    (`stops`) stops them.
    """
    if stops.stopped_before_serving():
        # Forked now, a worker could log "serving" before the stop forwarded to it arrives: none is started.
        return ExitCode.OK
    context = multiprocessing.get_context("fork")
    supervisor = os.getpid()
    workers = [
        context.Process(
            target=_worker_process, args=(settings, servicer, http, metrics, supervisor), name=f"dosecheck-worker-{i}"
        )
        for i in range(settings.workers)
    ]
    stopping = False

    def stop_workers(_signum: int = signal.SIGTERM, _frame: object = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signal.SIGTERM)

    def forward_hangup(signum: int, _frame: object) -> None:
        for worker in workers:
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signum)

    # Blocked while the handlers change and the workers are forked: a signal sent meanwhile waits until
    # there are workers to pass it to (else a stop would reach none and be lost), and a worker, forked
    # with them blocked, unblocks them once its own handlers are set.
    signal.pthread_sigmask(signal.SIG_BLOCK, _FORWARDED)
    signal.signal(signal.SIGTERM, stop_workers)
    signal.signal(signal.SIGINT, stop_workers)
    signal.signal(signal.SIGHUP, forward_hangup)
    for worker in workers:
        worker.start()
        if metrics is not None:
            metrics.workers_started.inc()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORWARDED)
    if hangups.received:
        forward_hangup(signal.SIGHUP, None)
    if stops.received is not None:
        stop_workers()
    log.info("supervising %d workers", len(workers))
    running = list(workers)
    failed = False
    with _endpoint(settings, metrics):
        while running:
            multiprocessing.connection.wait([w.sentinel for w in running])
            for worker in [w for w in running if w.exitcode is not None]:
                running.remove(worker)
                if metrics is not None and worker.pid is not None:
                    process_ended(worker.pid)
                if not stopping:
                    # Even with 0 (a worker sent SIGTERM by itself): the server did not choose to stop.
                    failed = True
                    log.error("worker %s (pid %s) exited with %s; stopping the others", worker.name, worker.pid,
                              worker.exitcode, extra={"exit_code": int(ExitCode.FAILED)})
                    stop_workers()
    return ExitCode.OK if not failed and all(w.exitcode == 0 for w in workers) else ExitCode.FAILED


def _worker_process(
    settings: Settings, servicer: RegimenChecker, http: HttpService | None, metrics: Metrics | None, supervisor: int
) -> None:
    # The parent's handlers forward signals to workers; a worker handles its own.
    hangups = Hangups.catch()
    stops = StopSignals.catch()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORWARDED)  # blocked by the supervisor around the fork
    # A supervisor killed outright cannot forward SIGTERM: without this, its workers would go on
    # serving (old code, old knowledge base) beside the server that replaces it.
    end_with(supervisor)
    sys.exit(_run_worker(settings, servicer, hangups, stops, http, metrics))
