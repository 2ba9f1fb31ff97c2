"""Runs the CDS Hooks application in a worker's event loop, beside the gRPC server.

`HttpService.prepare` runs in the parent before the workers fork: it decides whether serving is
safe (see `SecurityRefusedError`) and logs how calls are authenticated. `start` runs in each worker's
loop: it binds the port (with SO_REUSEPORT when several workers share it, as gRPC does) and runs a
uvicorn server on that socket; the worker's own signal handling stops it (`begin_drain`, `stop`).
On SIGHUP the worker's reload hands it the new knowledge base (`use`) and asks it to read its TLS
certificate again (`request_certificate_reload`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from uvicorn.config import create_ssl_context

from interactions import KnowledgeBase
from service.auth import JwtVerifier, is_loopback
from service.cds_hooks.app import AppState, Guard, create_app
from service.cds_hooks.store import default_path
from service.grpc_tls import TlsFiles, TlsFilesError
from service.metrics import Metrics
from service.reload import Rerun
from service.settings import Settings

log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0


class SecurityRefusedError(Exception):
    """The settings would expose unauthenticated CDS Hooks beyond this machine; the message says what to set."""


class _WorkerServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the worker handles SIGTERM/SIGINT and stops this server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _Certificates:
    """The HTTPS port's certificate, read again on request: new handshakes get the new one.

    uvicorn's SSL context is fixed when the port opens. Its SNI callback, which OpenSSL calls on
    every handshake (with a server name or without), moves each new connection onto the context
    loaded last; connections already open keep theirs. A reload builds a whole new context, so files
    that cannot be used (unreadable, half-written, a key that is not the certificate's) leave the
    one in use untouched: `load_cert_chain` on the live context would, on a mismatched key, leave
    it without a usable key and fail every new handshake.
    """

    def __init__(self, config: uvicorn.Config, metrics: Metrics | None) -> None:
        """Takes over the loaded config's context (`config.ssl`)."""
        assert config.ssl is not None
        self._config = config
        self._metrics = metrics
        self._current = config.ssl
        config.ssl.sni_callback = self._choose
        self.request_reload = Rerun(lambda: asyncio.to_thread(self.reload)).request
        """Reads the files again in a thread beside the loop; one asked for during a reload follows it."""

    def _choose(self, connection: ssl.SSLObject, _server_name: str | None, context: ssl.SSLContext) -> None:
        if context is not self._current:
            connection.context = self._current

    def reload(self) -> None:
        """Reads the certificate and key again; logs and counts the outcome (`loaded` or `refused`)."""
        config = self._config
        assert config.ssl_certfile is not None
        try:
            # As uvicorn made the first one (its default HTTP protocol negotiates no ALPN).
            context = create_ssl_context(config.ssl_certfile, config.ssl_keyfile, config.ssl_keyfile_password,
                                         config.ssl_version, config.ssl_cert_reqs, config.ssl_ca_certs,
                                         config.ssl_ciphers)
        except OSError as err:  # ssl.SSLError is one
            log.error("CDS Hooks TLS certificate not reloaded, the one in use stays: %s: %s", config.ssl_certfile,
                      err)
            outcome = "refused"
        else:
            self._current = context
            log.info("CDS Hooks TLS certificate reloaded from %s", config.ssl_certfile)
            outcome = "loaded"
        if self._metrics is not None:
            self._metrics.certificate_reload("http", outcome)


@dataclass
class HttpService:
    """The CDS Hooks HTTP server of one worker."""

    settings: Settings
    kb: KnowledgeBase
    public_url: str
    metrics: Metrics | None = None
    state: AppState | None = None
    server: _WorkerServer | None = None
    task: asyncio.Task[None] | None = None
    certificates: _Certificates | None = None

    @classmethod
    def prepare(cls, settings: Settings, kb: KnowledgeBase, metrics: Metrics | None = None) -> HttpService | None:
        """The service to start in each worker, or None when `http_port` is 0.

        `metrics` counts requests, results, cards and certificate reloads (None = not counted).

        Raises:
            SecurityRefusedError: no trusted issuers on a non-loopback address without the insecure flag,
                or issuers without a public URL to check `aud` against on such an address, or TLS files
                that cannot be used.
        """
        if not settings.http_port:
            return None
        if settings.http_tls_cert is not None and settings.http_tls_key is not None:
            try:  # checked once here, as for gRPC, rather than failing in every worker
                TlsFiles(settings.http_tls_cert, settings.http_tls_key).load()
            except TlsFilesError as err:
                raise SecurityRefusedError(f"CDS Hooks TLS: {err}") from None
        loopback = is_loopback(settings.host)
        if not settings.http_issuers:
            if not loopback and not settings.http_insecure_allow_unauthenticated:
                raise SecurityRefusedError(
                    f"CDS Hooks on {settings.host} would accept calls from anyone: configure trusted issuers "
                    "(DOSECHECK_HTTP_ISSUERS) or, for a test system only, --insecure-allow-unauthenticated")
            log.warning("CDS Hooks calls are NOT authenticated (%s): any caller is trusted",
                        "loopback, no issuers configured: development only" if loopback
                        else "--insecure-allow-unauthenticated")
        elif not loopback and not settings.http_public_url:
            raise SecurityRefusedError("set --http-public-url (the URL EHRs call, which their tokens' aud must name)")
        if not loopback and settings.http_tls_cert is None:
            log.warning("CDS Hooks served without TLS on %s: terminate TLS in front of it", settings.host)
        scheme = "https" if settings.http_tls_cert else "http"
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        return cls(settings, kb, settings.http_public_url or f"{scheme}://{host}:{settings.http_port}", metrics)

    def use(self, kb: KnowledgeBase) -> None:
        """Checks new hook calls against `kb`; those under way finish with the one they started with."""
        self.kb = kb
        if self.state is not None:
            self.state.kb = kb

    def request_certificate_reload(self) -> None:
        """New connections get the certificate and key read again from their files (over TLS only)."""
        if self.certificates is not None:
            self.certificates.request_reload()

    async def start(self) -> None:
        """Binds the port and serves until `stop`; returns once the server accepts connections."""
        settings = self.settings
        verifier = JwtVerifier(settings.http_issuers, algorithms=settings.http_jwt_algorithms,
                               leeway_s=settings.http_jwt_leeway_s) if settings.http_issuers else None
        self.state = AppState(self.kb, settings.http_db_path or default_path(), self.public_url, verifier,
                              settings.http_fhir_timeout_s, settings.http_fhir_deadline_s, self.metrics,
                              time_zone=settings.http_time_zone)
        config = uvicorn.Config(
            Guard(create_app(self.state, settings.http_cors_origins), metrics=self.metrics), lifespan="off",
            log_config=None,
            access_log=False, server_header=False, proxy_headers=False,
            timeout_graceful_shutdown=int(settings.grace_period_s) or None,
            ssl_certfile=str(settings.http_tls_cert) if settings.http_tls_cert else None,
            ssl_keyfile=str(settings.http_tls_key) if settings.http_tls_key else None,
        )
        config.load()  # makes the SSL context, which serving uses as it is
        if config.ssl is not None:
            self.certificates = _Certificates(config, self.metrics)
        self.server = _WorkerServer(config)
        sock = _bind(settings.host, settings.http_port, reuse_port=settings.workers > 1)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]), name="cds-hooks-http")
        async with asyncio.timeout(START_TIMEOUT_S):
            while not self.server.started:
                if self.task.done():
                    self.task.result()  # raises what stopped it
                    raise RuntimeError("the CDS Hooks server stopped while starting")
                await asyncio.sleep(0.01)
        log.info("serving CDS Hooks on %s (%s)", self.public_url,
                 "tokens verified" if verifier else "tokens NOT verified")

    def begin_drain(self) -> None:
        """Readiness reports 503 from now on; calls are still answered until `stop`."""
        if self.state is not None:
            self.state.ready = False

    async def stop(self) -> None:
        """Closes the port; in-flight calls get the grace period."""
        if self.server is None or self.task is None:
            return
        self.server.should_exit = True
        await self.task
        if self.state is not None:
            await self.state.close()


def _bind(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        # Each worker binds the same port; the kernel spreads connections across them (as for gRPC).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(1024)
    sock.setblocking(False)
    return sock
