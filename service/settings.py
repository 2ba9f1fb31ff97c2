"""The one settings object of the service, read from `DOSECHECK_*` variables and CLI flags."""

from __future__ import annotations

import pathlib
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.auth import ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS, TrustedIssuer


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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    """`auto`: text on a terminal, JSON lines otherwise."""
    kb_path: pathlib.Path | None = None
    """A site's own knowledge-base directory; None = the built-in one."""
    http_port: Annotated[int, Field(ge=0, le=65535)] = 0
    """The CDS Hooks HTTP port, in the same workers; 0 = off. Off by default: an HTTP port is a new
    way in that needs trusted issuers (or loopback) and TLS to be configured deliberately first."""
    http_public_url: str = ""
    """The base URL callers use (a token's `aud` must be a service URL under it); default
    http(s)://host:http_port. Set it behind a proxy or load balancer."""
    http_issuers: tuple[TrustedIssuer, ...] = ()
    """Trusted EHRs, as JSON: [{"iss": "...", "jku": ["https://.../jwks.json"]}]."""
    http_jwt_algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    http_jwt_leeway_s: Annotated[float, Field(ge=0, le=300)] = 30.0
    """Clock skew allowed on a token's exp/iat/nbf."""
    http_tls_cert: pathlib.Path | None = None
    http_tls_key: pathlib.Path | None = None
    http_cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to call (the CDS Hooks sandbox: https://sandbox.cds-hooks.org); none by default."""
    http_db_path: pathlib.Path | None = None
    """SQLite file of card feedback and order-select/order-sign coordination; default
    $XDG_STATE_HOME/dosecheck/cds-hooks.sqlite3 (~/.local/state/...)."""
    http_fhir_timeout_s: Annotated[float, Field(gt=0, le=30)] = 3.0
    """Timeout of a fetch from the caller's FHIR server when prefetch is missing."""
    http_insecure_allow_unauthenticated: bool = False
    """Serve CDS Hooks without verifying tokens on a non-loopback address (never in production)."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("http_jwt_algorithms")
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
        if (self.http_tls_cert is None) != (self.http_tls_key is None):
            raise ValueError("http_tls_cert and http_tls_key go together")
        return self

    @property
    def address(self) -> str:
        """The `host:port` to bind, with IPv6 literals bracketed."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{self.port}"
