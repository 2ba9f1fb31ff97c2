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
    if not text.isascii() or "`" in text:
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text.casefold()).strip()


class NameResolver:
    """Resolves names against the drug dictionary; never corrects a misspelling on its own."""

    def __init__(self, lexicon: Mapping[str, tuple[str, ...]], display: Mapping[str, str],
                 dose_form_words: frozenset[str], unit_words: frozenset[str], separators: tuple[str, ...]) -> None:
        """Build the resolver.

        Args:
            lexicon: normalised name or synonym -> canonical component drug names.
            display: normalised canonical or product name -> how to show it in a suggestion.
            dose_form_words: normalised words that may follow a name ("tablet", "iv").
            unit_words: normalised units of a strength ("mg").
            separators: what joins the parts of a combination written out ("/", " and ").
        """
        self._lexicon = dict(lexicon)
        self._display = dict(display)
        self._choices = list(self._lexicon)
        self._form_words = dose_form_words
        self._qualifier_words = dose_form_words | unit_words
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
        return all(map(self._is_qualifier_word, part.split(" ")))

    def _is_qualifier_word(self, word: str) -> bool:
        word = word.strip(".,;:")
        return not word or any(ch.isdigit() for ch in word) or word in self._qualifier_words

    def _lookup(self, key: str) -> tuple[str, ...] | None:
        """The whole key, else the key without strength, dose-form or bracketed text."""
        found = self._lexicon.get(key)
        if found is not None or not key:
            return found
        bracketed = ""
        if "(" in key:
            before, _, rest = key.partition("(")
            bracketed, _, after = rest.partition(")")
            key = f"{before.strip()} {after.strip()}".strip()
            bracketed = bracketed.strip()
        found = self._lexicon.get(self._strip_qualifiers(key))
        if (found is not None and bracketed and not self._is_qualifier(bracketed)
                and self._lexicon.get(self._strip_qualifiers(bracketed)) != found):
            return None  # the brackets name something else: which one was meant is not guessed
        return found

    def _strip_qualifiers(self, key: str) -> str:
        """Cut "posaconazole 100 mg delayed-release tablet" down to "posaconazole".

        Text from the first word with a digit on is cut only when all of it is strength or dose-form
        text; anything else (another drug) leaves the name whole, so it is not recognised.
        """
        words = key.split(" ")
        for i in range(1, len(words)):
            if any(ch.isdigit() for ch in words[i]):
                if all(map(self._is_qualifier_word, words[i:])):
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
