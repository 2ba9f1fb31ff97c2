"""The one settings object of the service, read from `DOSECHECK_*` variables and CLI flags."""

from __future__ import annotations

import difflib
import json
import os
import pathlib
import sys
import zoneinfo
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.auth import ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS, TrustedIssuer
from service.exit_codes import ExitCode


def default_cache_dir() -> pathlib.Path | None:
    """$XDG_CACHE_HOME/dosecheck, else ~/.cache/dosecheck; None for a user with no home directory."""
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return pathlib.Path(base or pathlib.Path.home() / ".cache") / "dosecheck"
    except RuntimeError:  # no home directory to find (a container's user without one)
        return None


class Settings(BaseSettings):
    """How to run the server; every field may be set as `DOSECHECK_<FIELD>` or by a CLI flag."""

    model_config = SettingsConfigDict(env_prefix="DOSECHECK_", frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    """Address to bind. Loopback by default; `0.0.0.0` or `[::]` to serve other hosts (the container)."""
    port: Annotated[int, Field(ge=0, le=65535)] = 50051
    """0 picks a free port (tests; one worker only)."""
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """Server processes sharing the port (SO_REUSEPORT); 2 on a 2-core machine, one per core."""
    grace_period_s: Annotated[float, Field(ge=0, le=600)] = 10.0
    """How long in-flight calls and audit streams may take to finish after SIGTERM."""
    drain_delay_s: Annotated[float, Field(ge=0, le=60)] = 1.0
    """After SIGTERM, how long to keep accepting calls (health already NOT_SERVING) before the port
    closes, so that callers and load balancers move away; calls still queued when it closes are
    cancelled by gRPC rather than answered."""
    max_receive_message_bytes: Annotated[int, Field(ge=64 * 1024, le=64 * 1024 * 1024)] = 8 * 1024 * 1024
    """The largest request accepted; a larger one is answered RESOURCE_EXHAUSTED unread. A
    ResolveMedications of 1,000 medications with every text field full of ASCII is 6.6 MB, a
    CheckRegimen of 200 such medications 1.3 MB (limits count characters, so text of 4-byte
    characters is up to four times that: split such a formulary)."""
    max_send_message_bytes: Annotated[int, Field(ge=64 * 1024, le=64 * 1024 * 1024)] = 4 * 1024 * 1024
    """The largest answer sent: 4 MiB, what every gRPC client receives by default. Answers of 200
    medications measured 150-200 KB; GetKnowledgeBase about 240 KB."""
    max_concurrent_streams: Annotated[int, Field(ge=1, le=10_000)] = 100
    """Calls one connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); more wait
    in the caller. An audit opens one stream per connection."""
    keepalive_time_s: Annotated[float, Field(ge=1, le=7200)] = 60.0
    """How often the server pings a connection that is quiet, to find callers that are gone
    (a half-open connection would otherwise hold its calls until their deadline, or for ever)."""
    keepalive_timeout_s: Annotated[float, Field(ge=1, le=600)] = 20.0
    """How long a ping may go unanswered before the connection and its calls are dropped."""
    min_client_ping_interval_s: Annotated[float, Field(ge=1, le=3600)] = 10.0
    """The most often a caller may ping without sending data; a caller that pings more often is
    sent GOAWAY (too_many_pings) after two such pings. `dosecheck audit` pings every 30 s."""
    max_connection_idle_s: Annotated[float, Field(ge=1, le=86_400)] = 300.0
    """A connection with no call for this long is closed (GOAWAY); the caller reconnects when it
    needs to. Idle connections otherwise hold memory for ever."""
    max_connection_age_s: Annotated[float, Field(ge=1, le=86_400)] = 1800.0
    """A connection this old is asked to go away (GOAWAY) so that callers reconnect and spread
    over the workers and replicas again; the calls it carries go on."""
    max_connection_age_grace_s: Annotated[float | None, Field(ge=0, le=86_400)] = None
    """How long the calls of a connection that reached its age may still run; None = no limit, since
    an audit stream may take hours and is not cut off midway."""
    stream_idle_timeout_s: Annotated[float, Field(ge=1, le=86_400)] = 300.0
    """How long an AuditRegimens stream may wait for its next row before it is ended
    (DEADLINE_EXCEEDED). No gRPC limit ends a stream that a live caller keeps open without sending:
    the idle limit counts only connections without calls, the age limit lets calls run on, and
    keepalive pings are answered. Longer than `dosecheck audit --timeout` (60 s), which bounds how
    long one of its streams waits on another's answers before sending more."""
    metrics_port: Annotated[int, Field(ge=0, le=65535)] = 0
    """The Prometheus endpoint (plain HTTP, /metrics, on `host`), one for all workers; 0 = off. Off
    loopback only with `insecure_allow_plaintext`, whatever protects the gRPC port."""
    pid_file: pathlib.Path | None = None
    """Where `serve` writes its process id while it runs, for `dosecheck kb reload`; None = nowhere."""
    tls_cert: pathlib.Path | None = None
    """The gRPC port's certificate chain (PEM, the server's certificate first); None = plaintext.
    Read again on SIGHUP, for new connections only."""
    tls_key: pathlib.Path | None = None
    """The private key of `tls_cert` (PEM, unencrypted)."""
    tls_client_ca: pathlib.Path | None = None
    """CA certificates (PEM); when set, every client must present a certificate they signed (mTLS)."""
    issuers: Annotated[tuple[TrustedIssuer, ...], NoDecode] = ()
    """Issuers of the bearer tokens gRPC calls must carry, as JSON (the format of `http_issuers`);
    none = calls are not authenticated by token."""
    audience: str = ""
    """The `aud` a token must name to call this service (e.g. its public name); required with issuers."""
    jwt_algorithms: Annotated[tuple[str, ...], NoDecode] = DEFAULT_ALGORITHMS
    jwt_leeway_s: Annotated[float, Field(ge=0, le=300)] = 30.0
    """Clock skew allowed on a gRPC token's exp/iat/nbf."""
    reflection: bool = True
    """gRPC server reflection (grpcurl without proto files): for development; off in production."""
    insecure_allow_plaintext: bool = False
    """Serve gRPC off loopback with neither TLS nor issuers, and /metrics off loopback at all (plain
    HTTP): a private network behind a balancer only."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    """`auto`: text on a terminal, JSON lines otherwise."""
    kb_path: pathlib.Path | None = None
    """A site's own knowledge-base directory; None = the built-in one."""
    cache_dir: pathlib.Path | None = Field(default_factory=default_cache_dir)
    """Where the broad vocabulary's table is kept between processes (a knowledge base then loads in
    0.2 s instead of 0.8 s); $XDG_CACHE_HOME/dosecheck (~/.cache/dosecheck) by default; empty = none."""
    http_port: Annotated[int, Field(ge=0, le=65535)] = 0
    """The CDS Hooks HTTP port, in the same workers; 0 = off. Off by default: an HTTP port is a new
    way in that needs trusted issuers (or loopback) and TLS to be configured deliberately first."""
    http_public_url: str = ""
    """The base URL callers use (a token's `aud` must be a service URL under it); default
    http(s)://host:http_port. Set it behind a proxy or load balancer."""
    http_issuers: Annotated[tuple[TrustedIssuer, ...], NoDecode] = ()
    """Trusted EHRs, as JSON: [{"iss": "...", "jku": ["https://.../jwks.json"]}]."""
    http_jwt_algorithms: Annotated[tuple[str, ...], NoDecode] = DEFAULT_ALGORITHMS
    http_jwt_leeway_s: Annotated[float, Field(ge=0, le=300)] = 30.0
    """Clock skew allowed on a token's exp/iat/nbf."""
    http_tls_cert: pathlib.Path | None = None
    http_tls_key: pathlib.Path | None = None
    http_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Browser origins allowed to call (the CDS Hooks sandbox: https://sandbox.cds-hooks.org); none by default."""
    http_db_path: pathlib.Path | None = None
    """SQLite file of card feedback and order-select/order-sign coordination; default
    $XDG_STATE_HOME/dosecheck/cds-hooks.sqlite3 (~/.local/state/...)."""
    http_fhir_timeout_s: Annotated[float, Field(gt=0, le=30)] = 3.0
    """Timeout of a fetch from the caller's FHIR server when prefetch is missing."""
    http_fhir_deadline_s: Annotated[float, Field(gt=0, le=30)] = 4.0
    """All the fetches of one hook call from the caller's FHIR server end by then (412 or a not-checked card after):
    an EHR waits only a few seconds for its cards."""
    http_time_zone: zoneinfo.ZoneInfo | None = None
    """The EHR's time zone (IANA: `Europe/Paris`): an order's start sent as a date alone is a day there. Unset, it
    is read at UTC+14, the latest date on Earth: an order dated tomorrow then counts as begun from 10:00 UTC, so a
    draft beside it is no start. (Days since a stop are counted from UTC-12's date either way.)"""
    http_insecure_allow_unauthenticated: bool = False
    """Serve CDS Hooks without verifying tokens on a non-loopback address (never in production)."""

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("issuers", "jwt_algorithms", "http_issuers", "http_jwt_algorithms", "http_cors_origins",
                     mode="before")
    @classmethod
    def _json_text(cls, value: object) -> object:
        # Decoded here rather than by pydantic-settings (NoDecode), which would end the command with a
        # traceback (SettingsError) instead of a settings error naming the variable.
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as err:
            raise ValueError(f"not JSON ({err}): this setting is a JSON list") from None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("http_jwt_algorithms", "jwt_algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: tuple[str, ...]) -> tuple[str, ...]:
        refused = sorted(set(algorithms) - ASYMMETRIC_ALGORITHMS)
        if refused or not algorithms:
            raise ValueError(f"only asymmetric algorithms ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}), got {refused}")
        return algorithms

    @model_validator(mode="after")
    def _one_port_for_all_workers(self) -> Settings:
        if self.workers > 1 and self.port == 0:
            raise ValueError("port 0 (any free port) would give each worker its own port; name a port")
        if self.http_port and self.http_port == self.port:
            raise ValueError("http_port must differ from the gRPC port")
        if self.metrics_port and self.metrics_port in (self.port, self.http_port):
            raise ValueError("metrics_port must differ from the gRPC and HTTP ports")
        if (self.http_tls_cert is None) != (self.http_tls_key is None):
            raise ValueError("http_tls_cert and http_tls_key go together")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("tls_client_ca (client certificates) needs tls_cert and tls_key")
        if self.issuers and not self.audience:
            raise ValueError("issuers need an audience: the aud their tokens name for this service")
        return self

    @property
    def grpc_options(self) -> list[tuple[str, int]]:
        """The gRPC channel arguments that set the limits above (gRPC core's names, in ms)."""
        options = [
            # Each worker process binds the same port; the kernel spreads connections across them.
            ("grpc.so_reuseport", 1 if self.workers > 1 else 0),
            ("grpc.max_receive_message_length", self.max_receive_message_bytes),
            ("grpc.max_send_message_length", self.max_send_message_bytes),
            ("grpc.max_concurrent_streams", self.max_concurrent_streams),
            ("grpc.keepalive_time_ms", _ms(self.keepalive_time_s)),
            ("grpc.keepalive_timeout_ms", _ms(self.keepalive_timeout_s)),
            # Keep pinging a connection whose calls are all waiting (a stream that never sends).
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", _ms(self.min_client_ping_interval_s)),
            ("grpc.http2.max_ping_strikes", 2),
            ("grpc.max_connection_idle_ms", _ms(self.max_connection_idle_s)),
            ("grpc.max_connection_age_ms", _ms(self.max_connection_age_s)),
        ]
        if self.max_connection_age_grace_s is not None:
            options.append(("grpc.max_connection_age_grace_ms", _ms(self.max_connection_age_grace_s)))
        return options

    @property
    def address(self) -> str:
        """The `host:port` to bind, with IPv6 literals bracketed."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{self.port}"


OTHER_VARIABLES = frozenset({"DOSECHECK_PURE_PYTHON", "DOSECHECK_PUBLISH_ADDRESS"})
"""`DOSECHECK_*` variables that are no server setting: the build's (setup.py) and the compose file's."""
CLIENT_PREFIX = "DOSECHECK_CLIENT_"
"""The variables of our own clients' options (`service/client_channel.py`)."""


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """What each `DOSECHECK_*` variable of `environ` that names no setting would be, with the likely one meant.

    pydantic-settings ignores them, so a misspelt setting (`DOSECHECK_DRAIN_DELAY`) would silently
    leave its default in force.
    """
    fields = [name.upper() for name in Settings.model_fields]
    unknown = []
    for name in sorted(environ):
        upper = name.upper()  # pydantic-settings reads variables whatever their case
        if not upper.startswith("DOSECHECK_") or upper.removeprefix("DOSECHECK_") in fields \
                or upper in OTHER_VARIABLES or upper.startswith(CLIENT_PREFIX):
            continue
        meant = difflib.get_close_matches(upper.removeprefix("DOSECHECK_"), fields, n=1, cutoff=0.75)
        unknown.append(f"{name} (did you mean DOSECHECK_{meant[0]}?)" if meant else name)
    return unknown


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def usable_settings(**overrides: object) -> Settings:
    """Settings from DOSECHECK_* variables, with the flags that were given on top (None = not given).

    Raises:
        SystemExit: exit code 2, having named each setting that cannot be used (never a traceback).
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as err:
        print(f"dosecheck: invalid settings:\n{err}", file=sys.stderr)
        raise SystemExit(ExitCode.UNUSABLE) from None


def cache_dir() -> pathlib.Path | None:
    """The settings' cache directory, for the commands that load a knowledge base without serving."""
    return usable_settings().cache_dir
