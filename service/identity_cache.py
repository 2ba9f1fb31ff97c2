"""Per-object caches for the values the engine hands out again and again (findings, events, citations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import update_wrapper
from typing import Generic, TypeVar

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")

DEFAULT_LIMIT = 20_000
"""Entries per cache: the built-in knowledge base has about 500 findings, and each distinct cycle start
date adds its own dated events, so this holds many days of schedules before starting again."""


class IdentityCache(Generic[_Key, _Value]):
    """Computes a function once per argument object, as long as that object is kept.

    The knowledge base builds each rule's finding and citations once, and the engine caches each
    drug's schedule, so the same objects come back request after request: a look-up by `id()` finds
    them without hashing their contents (which for a finding means every string and tuple in it).
    The cache holds each object it has a value for, so no other object can take that id while the
    entry exists; a full cache starts again, so memory stays bounded whatever comes. Not for
    several threads at once: the server's event loop and an audit's checking thread each have one.
    """

    def __init__(self, compute: Callable[[_Key], _Value], limit: int = DEFAULT_LIMIT) -> None:
        """Wraps `compute`.

        Args:
            compute: the one-argument function; its values are shared: treat them as read-only.
            limit: entries kept at most.
        """
        update_wrapper(self, compute)  # its name and docstring, for profiles and tracebacks
        self._compute = compute
        self._limit = limit
        self._values: dict[int, _Value] = {}
        self._keys: dict[int, _Key] = {}

    def __call__(self, key: _Key) -> _Value:
        """The value for one object."""
        ident = id(key)
        try:
            return self._values[ident]
        except KeyError:
            pass
        value = self._compute(key)
        if len(self._values) >= self._limit:
            self._values.clear()
            self._keys.clear()
        self._keys[ident] = key
        self._values[ident] = value
        return value

    def many(self, keys: Sequence[_Key]) -> list[_Value]:
        """The values for a sequence of objects, in order.

        When every object is cached (the usual case), the look-ups run in C, with no Python call per
        object: a result's fifty findings cost about as much as one call.
        """
        try:
            return list(map(self._values.__getitem__, map(id, keys)))
        except KeyError:
            return [self(key) for key in keys]


def cached_by_identity(limit: int = DEFAULT_LIMIT) -> Callable[[Callable[[_Key], _Value]], IdentityCache[_Key, _Value]]:
    """Decorates a one-argument function into an `IdentityCache` of it.

    Args:
        limit: entries kept at most.

    Returns:
        The decorator.
    """

    def decorate(compute: Callable[[_Key], _Value]) -> IdentityCache[_Key, _Value]:
        return IdentityCache(compute, limit)

    return decorate
