"""Name resolution: spellings that must resolve, and misspellings that must not be corrected."""

from __future__ import annotations

import pytest

from interactions import KnowledgeBase
from interactions.names import normalise


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
        ("boostavir 300 mg / otherazole 100 mg", ("boostavir", "otherazole")),  # split before stripping
        ("strongazole 100 mg, delayed-release tablet", ("strongazole",)),  # a part with no drug in it
    ],
)
def test_resolves(fixture_kb: KnowledgeBase, name: str, expected: tuple[str, ...]) -> None:
    assert fixture_kb.resolver.resolve(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "strongazol",  # misspelt: suggested, never corrected
        "boostavir otherazole",  # two names without a separator: not guessed
        "boostavir/unknownium",  # one unknown part makes the whole unknown
        "boostavir 300 mg / unknownium 100 mg",
        "100 mg / tablet",
        "tablet",
        "100 mg",
        "///",
    ],
)
def test_does_not_resolve(fixture_kb: KnowledgeBase, name: str) -> None:
    assert fixture_kb.resolver.resolve(name) is None


def test_suggestions_are_canonical_and_at_most_three(fixture_kb: KnowledgeBase) -> None:
    assert fixture_kb.resolver.suggest("Strongexx")[0] == "strongazole"
    assert len(fixture_kb.resolver.suggest("azole")) <= 3
    assert fixture_kb.resolver.suggest("qqqqqqqqqqqq") == ()


@pytest.mark.parametrize(
    "name",
    [
        "boostavir 300 mg otherazole 100 mg",  # a second drug after a strength is not cut off
        "strongazole 300 mg then plainol",
        "otherazole / 2 strongazole",  # a part with a digit and a drug is no strength text
        "strongazole (otherazole)",  # brackets naming another drug: not guessed
        "strongazole (for prophylaxis)",
    ],
)
def test_a_drug_named_anywhere_in_the_text_is_never_dropped(fixture_kb: KnowledgeBase, name: str) -> None:
    assert fixture_kb.resolver.resolve(name) is None


def test_backtick_apostrophes_are_apostrophes(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.resolve("St John`s wort") == ("st john's wort",)
