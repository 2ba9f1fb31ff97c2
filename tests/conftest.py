"""Fixtures for every test."""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Iterator

import pytest

from tests.service.processes import StartServe, serve_processes


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """`dosecheck serve` run in-process configures the root logger on a captured stream: undo it.

    Otherwise a later test's server logs to a stream that was closed with the earlier test.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def serve(tmp_path: pathlib.Path) -> Iterator[StartServe]:
    """Starts `dosecheck serve` processes on free ports; kills any a test left running at its end."""
    with serve_processes(tmp_path) as start:
        yield start
