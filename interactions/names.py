"""Name resolution: what a prescriber types -> canonical drug names, or unrecognised with suggestions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_SUGGESTIONS = 3
# Below this normalised Levenshtein similarity a dictionary name is too far off to be a useful hint.
SUGGESTION_CUTOFF = 0.6
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Canonical spelling for look-ups: NFKC, case-folded, one space between words, no edge spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text.casefold()).strip()


class NameResolver:
    """Resolves names against the drug dictionary; never corrects a misspelling on its own."""

    def __init__(self, lexicon: Mapping[str, tuple[str, ...]], display: Mapping[str, str],
                 dose_form_words: frozenset[str], separators: tuple[str, ...]) -> None:
        """Build the resolver.

        Args:
            lexicon: normalised name or synonym -> canonical component drug names.
            display: normalised canonical or product name -> how to show it in a suggestion.
            dose_form_words: normalised words that may follow a name ("tablet", "iv").
            separators: what joins the parts of a combination written out ("/", " and ").
        """
        self._lexicon = dict(lexicon)
        self._display = dict(display)
        self._choices = list(self._lexicon)
        self._form_words = dose_form_words
        self._separators = separators
        # Audits repeat the same few hundred spellings millions of times: resolve each once.
        self.resolve = lru_cache(maxsize=16384)(self._resolve)
        self.suggest = lru_cache(maxsize=4096)(self._suggest)

    def _resolve(self, name: str) -> tuple[str, ...] | None:
        """Canonical component names of `name`, or None when it is not recognised."""
        key = normalise(name)
        found = self._lexicon.get(key)
        if found is not None:
            return found
        parts = self._split(key)
        if len(parts) < 2:
            return self._lookup(key)
        # "sulfamethoxazole/trimethoprim 800/160 mg" is one product with its strengths; but in
        # "nirmatrelvir 300 mg / ritonavir 100 mg" the text cut away names a drug, which must be kept.
        stripped = self._strip_qualifiers(key)
        found = self._lexicon.get(stripped)
        if found is not None and all(self._is_qualifier(p) for p in self._split(key[len(stripped):])):
            return found
        components: dict[str, None] = {}
        for part in parts:
            if self._is_qualifier(part):
                continue
            resolved = self._lookup(part)
            if resolved is None:
                return None  # one unknown part: the whole name is unknown, never half-checked
            components.update(dict.fromkeys(resolved))
        return tuple(components) or None

    def _split(self, text: str) -> list[str]:
        parts = [text]
        for separator in self._separators:
            parts = [piece.strip() for part in parts for piece in part.split(separator)]
        return parts

    def _is_qualifier(self, part: str) -> bool:
        """Strength or dose-form text with no drug name in it ("100 mg", "delayed-release tablet")."""
        words = part.split(" ")
        return not part or any(ch.isdigit() for ch in words[0]) or all(
            w.strip(".,;") in self._form_words for w in words)

    def _lookup(self, key: str) -> tuple[str, ...] | None:
        """The whole key, else the key without strength, dose-form or bracketed text."""
        found = self._lexicon.get(key)
        if found is not None or not key:
            return found
        stripped = self._strip_qualifiers(key)
        return self._lexicon.get(stripped) if stripped != key else None

    def _strip_qualifiers(self, key: str) -> str:
        """Cut "posaconazole (noxafil) 100 mg delayed-release tablet" down to "posaconazole"."""
        key = key.split("(", 1)[0].strip() or key
        words = key.split(" ")
        for i, word in enumerate(words[1:], start=1):
            if any(ch.isdigit() for ch in word):
                words = words[:i]
                break
        while len(words) > 1 and words[-1].strip(".,;") in self._form_words:
            words.pop()
        return " ".join(words)

    def _suggest(self, name: str) -> tuple[str, ...]:
        """Up to three dictionary names closest by edit distance, canonical spelling, best first."""
        key = self._strip_qualifiers(normalise(name))
        if not key:
            return ()
        matches = process.extract(key, self._choices, scorer=Levenshtein.normalized_similarity,
                                  score_cutoff=SUGGESTION_CUTOFF, limit=MAX_SUGGESTIONS * 4)
        suggestions: dict[str, None] = {}
        for choice, _score, _index in matches:
            components = self._lexicon[choice]
            shown = self._display.get(choice) or (
                components[0] if len(components) == 1 else choice)
            suggestions[shown] = None
            if len(suggestions) == MAX_SUGGESTIONS:
                break
        return tuple(suggestions)
