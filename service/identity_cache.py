"""Per-object caches for the values the engine hands out again and again (findings, events, citations)."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import TypeVar

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")

DEFAULT_LIMIT = 20_000
"""Entries per cache: the built-in knowledge base has about 500 findings, and each distinct cycle start
date adds its own dated events, so this holds many days of schedules before starting again."""


def cached_by_identity(limit: int = DEFAULT_LIMIT) -> Callable[[Callable[[_Key], _Value]], Callable[[_Key], _Value]]:
    """Computes a function once per argument object, as long as that object is kept.

    The knowledge base builds each rule's finding and citations once, and the engine caches each
    drug's schedule, so the same objects come back request after request: a look-up by `id()` finds
    them without hashing their contents (which for a finding means every string and tuple in it).
    Each entry holds its object, so the id cannot be reused by another object while the entry
    exists; a full cache starts again, so memory stays bounded whatever comes.

    Args:
        limit: entries kept at most.

    Returns:
        A decorator for a one-argument function; the cached value is shared: treat it as read-only.
    """
    def decorate(compute: Callable[[_Key], _Value]) -> Callable[[_Key], _Value]:
        entries: dict[int, tuple[_Key, _Value]] = {}

        def cached(key: _Key) -> _Value:
            entry = entries.get(id(key))
            if entry is not None and entry[0] is key:
                return entry[1]
            value = compute(key)
            if len(entries) >= limit:
                entries.clear()
            entries[id(key)] = (key, value)
            return value

        return update_wrapper(cached, compute)

    return decorate
