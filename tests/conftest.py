"""Fixtures for every test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from service.build import stale_compiled_modules


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test compiled modules built from another source: the tests would pass on the old code."""
    stale = stale_compiled_modules()
    if stale:
        pytest.exit(f"{', '.join(stale)}: edited since compiled; rebuild with `pip install -e .` "
                    "(or install with DOSECHECK_PURE_PYTHON=1 and delete the .so files)", returncode=3)


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
