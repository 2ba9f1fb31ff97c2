"""The one settings object of the service, read from `DOSECHECK_*` variables and CLI flags."""

from __future__ import annotations

import pathlib
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_port_for_all_workers(self) -> Settings:
        if self.workers > 1 and self.port == 0:
            raise ValueError("port 0 (any free port) would give each worker its own port; name a port")
        return self

    @property
    def address(self) -> str:
        """The `host:port` to bind, with IPv6 literals bracketed."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{self.port}"
