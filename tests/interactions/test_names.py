"""The reader on the fixture knowledge base: names that must resolve, misspellings never corrected."""

from __future__ import annotations

import pytest

from interactions import KnowledgeBase
from interactions.model import UnrecognizedReason
from interactions.reader import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Posaconazole  ", "posaconazole"),
        ("St\u00a0John\u2019s   Wort", "st john's wort"),
        ("ＶＥＮ", "ven"),  # full-width letters fold under NFKC
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("testinib", ("testinib",)),
        ("TESTA", ("testinib",)),  # brand
        ("tst", ("testinib",)),  # abbreviation
        ("strongazonium sulfate", ("strongazole",)),  # salt
        ("Strongex 100 mg delayed-release tablet", ("strongazole",)),  # strength and form text
        ("strongazole tablet", ("strongazole",)),
        ("strongazole (Strongex)", ("strongazole",)),
        ("Comboprod", ("boostavir", "otherazole")),  # combination product
        ("boostavir/otherazole", ("boostavir", "otherazole")),  # combination written out
        ("boostavir + plainol 5 mg", ("boostavir", "plainol")),
        ("boostavir 300 mg / otherazole 100 mg", ("boostavir", "otherazole")),
        ("strongazole 100 mg, delayed-release tablet", ("strongazole",)),  # a part with no drug in it
        ("otherazole / 2 strongazole", ("otherazole", "strongazole")),  # a number is no name: both kept
    ],
)
def test_resolves(fixture_kb: KnowledgeBase, name: str, expected: tuple[str, ...]) -> None:
    assert fixture_kb.resolver.resolve(name) == expected


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("strongazol", UnrecognizedReason.UNKNOWN),  # misspelt: suggested, never corrected
        ("boostavir otherazole", UnrecognizedReason.CONFLICT),  # two names with nothing joining them
        ("boostavir/unknownium", UnrecognizedReason.UNKNOWN),  # one unknown part makes the whole unknown
        ("boostavir 300 mg / unknownium 100 mg", UnrecognizedReason.UNKNOWN),
        ("100 mg / tablet", UnrecognizedReason.UNKNOWN),
        ("tablet", UnrecognizedReason.UNKNOWN),
        ("100 mg", UnrecognizedReason.UNKNOWN),
        ("///", UnrecognizedReason.UNKNOWN),
        ("", UnrecognizedReason.UNKNOWN),
        ("boostavir 300 mg otherazole 100 mg", UnrecognizedReason.CONFLICT),  # a drug after a strength is kept
        ("strongazole 300 mg then plainol", UnrecognizedReason.UNKNOWN),  # "then" is no word of this grammar
        ("strongazole (otherazole)", UnrecognizedReason.CONFLICT),  # brackets naming another drug: not guessed
        ("strongazole (for prophylaxis)", UnrecognizedReason.UNKNOWN),
        ("Testa (Strongex)", UnrecognizedReason.CONFLICT),
    ],
)
def test_does_not_resolve(fixture_kb: KnowledgeBase, name: str, reason: UnrecognizedReason) -> None:
    reading = fixture_kb.resolver.read(name)
    assert fixture_kb.resolver.resolve(name) is None
    assert (reading.drugs, reading.reason) == ((), reason)
    assert reading.detail


def test_a_conflict_names_both_drugs(fixture_kb: KnowledgeBase) -> None:
    detail = fixture_kb.resolver.read("strongazole (otherazole)").detail
    assert "strongazole" in detail
    assert "otherazole" in detail


def test_suggestions_are_canonical_and_at_most_three(fixture_kb: KnowledgeBase) -> None:
    assert fixture_kb.resolver.suggest("Strongexx")[0] == "strongazole"
    assert fixture_kb.resolver.suggest("strongazol 100 mg tablet") == ("strongazole",)
    assert len(fixture_kb.resolver.suggest("azole")) <= 3
    assert fixture_kb.resolver.suggest("qqqqqqqqqqqq") == ()


def test_a_recognised_name_has_no_suggestions(fixture_kb: KnowledgeBase) -> None:
    assert fixture_kb.resolver.suggest("strongazole") == ()


def test_backtick_apostrophes_are_apostrophes(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.resolve("St John`s wort") == ("st john's wort",)


def test_readings_are_cached_by_exact_string(fixture_kb: KnowledgeBase) -> None:
    reader = fixture_kb.resolver
    assert reader.read("Testa 5 mg") is reader.read("Testa 5 mg")
