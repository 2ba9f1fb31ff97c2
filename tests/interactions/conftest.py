"""Shared fixtures: the fictional engine fixture KB and the curated default KB."""

from __future__ import annotations

from pathlib import Path

import pytest

from interactions import KnowledgeBase, load_knowledge_base

FIXTURE_KB = Path(__file__).parent / "fixture_kb"


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    return load_knowledge_base(FIXTURE_KB)


@pytest.fixture(scope="session")
def default_kb() -> KnowledgeBase:
    return load_knowledge_base()
