"""A real dosecheck server on a free loopback port, run on an event loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
import pytest

from dosecheck.v1 import dosecheck_pb2_grpc
from interactions import KnowledgeBase, load_knowledge_base
from service.server import Server, create_server
from service.servicer import RegimenChecker
from service.settings import Settings

T = TypeVar("T")

LOOPBACK = Settings(host="127.0.0.1", port=0, workers=1, grace_period_s=5)


@dataclass
class RunningServer:
    """A started server and the loop it runs on; `run` executes a coroutine on that loop."""

    server: Server
    loop: asyncio.AbstractEventLoop

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)


@contextmanager
def running_server(
    servicer: RegimenChecker | None = None, *, ready: bool = True, settings: Settings = LOOPBACK
) -> Iterator[RunningServer]:
    """Builds with `create_server`, starts, optionally marks ready; stops with no grace at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-server-loop", daemon=True)
    thread.start()
    running = None
    try:
        server = asyncio.run_coroutine_threadsafe(create_server(settings, servicer), loop).result(30)
        running = RunningServer(server, loop)
        running.run(server.start())
        if ready:
            running.run(server.mark_ready())
        yield running
    finally:
        if running is not None:
            running.run(running.server.stop(0))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def server(kb: KnowledgeBase) -> Iterator[RunningServer]:
    with running_server(RegimenChecker.for_knowledge_base(kb)) as running:
        yield running


@pytest.fixture(scope="module")
def channel(server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.target) as channel:
        yield channel


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> Any:
    return dosecheck_pb2_grpc.RegimenCheckerStub(channel)
