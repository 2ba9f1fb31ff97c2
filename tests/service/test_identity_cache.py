"""cached_by_identity: one computation per object kept, never another object's value, bounded; one or many at a time."""

from __future__ import annotations

from service.identity_cache import IdentityCache, cached_by_identity


def _counting(limit: int) -> tuple[list[tuple[str, ...]], IdentityCache[tuple[str, ...], str]]:
    computed: list[tuple[str, ...]] = []

    @cached_by_identity(limit)
    def describe(key: tuple[str, ...]) -> str:
        computed.append(key)
        return "-".join(key)

    return computed, describe


def test_each_object_is_computed_once() -> None:
    computed, describe = _counting(10)
    key = ("a", "b")
    assert describe(key) == "a-b"
    assert describe(key) == "a-b"
    assert computed == [key]


def test_an_equal_but_distinct_object_is_computed_for_itself() -> None:
    computed, describe = _counting(10)
    letters = ["a", "b"]
    first, second = ("a", "b"), tuple(letters)
    assert first == second
    assert first is not second
    describe(first)
    describe(second)
    assert len(computed) == 2


def test_a_full_cache_starts_again() -> None:
    computed, describe = _counting(2)
    keys = [("a",), ("b",), ("c",)]
    for key in keys:
        describe(key)
    describe(keys[0])  # forgotten when the third entry found the cache full
    describe(keys[2])  # kept: it was stored after the clear
    assert computed == [*keys, keys[0]]


def test_many_gives_each_object_its_value_in_order_computing_only_the_new_ones() -> None:
    computed, describe = _counting(10)
    known, new = ("a", "b"), ("c",)
    describe(known)
    assert describe.many([new, known, new]) == ["c", "a-b", "c"]
    assert computed == [known, new]
    assert describe.many([known, new]) == ["a-b", "c"]  # all cached: no computation
    assert computed == [known, new]


def test_many_stays_right_when_the_cache_fills_up_in_the_middle() -> None:
    computed, describe = _counting(2)
    keys = [("a",), ("b",), ("c",), ("d",)]
    assert describe.many(keys) == ["a", "b", "c", "d"]
    assert describe.many(keys[2:]) == ["c", "d"]
    assert computed == keys
