"""The medication reader: an RxNorm, EHR order-catalogue or order-composer name -> every drug it names.

A medication string is read as drug names joined by separators, with order text around them
(strengths, dose forms, routes, salts, frequencies, vehicles, notes in brackets); the vocabularies
are data (names.toml). A string names a set of drugs: the reading returns all of them, or says why
the line is not recognised. Nothing is guessed: a word the reader does not know makes the whole
line unrecognised, misspellings are never corrected, and a brand and a generic named together must
name the same drugs.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import logging
import marshal
import math
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import takewhile
from pathlib import Path
from typing import Final, Generic, NamedTuple, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from interactions import broad
from interactions.broad import broad_vocabulary, data_path
from interactions.model import UnrecognizedReason
from interactions.schema import NamesFile

READ_CACHE_SIZE = 16384
"""Readings kept by exact string: audits repeat the same few thousand spellings millions of times."""
SUGGEST_CACHE_SIZE = 4096
MAX_SUGGESTIONS = 3
# A misspelling close enough to be a useful hint: normalised Levenshtein similarity of the unknown
# words to a dictionary name, with the same first letter ("vitamin d3" must never suggest rifampin).
SUGGESTION_CUTOFF = 0.75

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})
_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Brackets and separators are tokens of their own; everything else between spaces is a chunk.
# "#" before a number is a chunk too ("Tylenol #3" is a product of its own, never read as Tylenol; after a sig, "#120"
# is a supply: names.toml's `supply`), and at the end, as names.toml writes it.
_CHUNK = re.compile(r"[()\[\]{}/+&,;]|#(?=\s*\d|$)|[^\s()\[\]{}/+&,;\"*#|=!?<>:]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_BOUND: Final = re.compile(r"[<>]\s*=?\s*(?:\d+(?:\.\d+)?|\.\d+)\s*(?:mg|g)\b")
"""A comparison sign before a mass ("<400 mg", "> 400 mg"): a bound on the dose, not the dose. The sign is no chunk of
`_CHUNK`, so without this "venetoclax <400 mg daily" was read as 400 mg. Looked for in the spelled text, where
"<400 milligrams" is "<400 mg"."""
_LIST_NUMBER: Final = re.compile(r"^\s*\d{1,2}[.)]\s+(?=[^\W\d_])")
"""A numbered list's number opening the line before a name ("1) posaconazole", "12. venetoclax 100 mg daily"): it
was one of the line's numbers, and an agent's dose went unread (s19 probe R). Not "#2" or "2 -" (a count?)."""
_DAY: Final = r"(?:0?[1-9]|[12]\d|3[01])"
"""A day of a month's number, alone ("12-jan-2026") or before its ordinal (`_DAY_OF_MONTH`)."""
_DAY_OF_MONTH: Final = rf"{_DAY}(?:st|nd|rd|th)?\b"
_UNIT_AFTER: Final = r" ?(?:mg|g|mcg|m2|iv|sc|sq|subq|po)\b"
"""After a number, a unit or route: a dose ("dec 20 mg/m2", "10/20 mg"), never the day of a date."""
_DOSE_OR_COURSE_AFTER: Final = rf"(?:{_UNIT_AFTER}| ?(?:days?\b|d\d|x ?\d|/|- ?\d))"
"""After the day of "dec. 20", a unit, route, course or range: "dec. 20 mg/m2", "dec. 20 IV", "dec. 20 D1-5",
"dec. 20 x 5d", "dec. 1-5", "dec. 5 days"."""
_DATE: Final = "\u27e8date\u27e9"
"""The token a date written with a month's name is read as (`_month_dates`): no drug, no dose; a date to `_dated`."""
_TENS_OF_THOUSANDS: Final = re.compile(r"(?<![\d,.])\d{2,3},\d{3}(?!\d)")
"""A number of two or three digits, a comma and three more ("80,120 mg", "100,200 mg"): a list of two doses (80 or 120
mg) as much as tens of thousands of mg, which no dose read from a name is; "1,000 mg" and "1,250 mg" stay thousands.
Read as thousands, "gilteritinib 80,120 mg daily" was 80120 mg ordered."""
_PER_PERIOD = re.compile(r"(\d+) per (\d+(?:\.\d+)?) (h|d|wk)")
"""A FHIR Timing.repeat as the CDS Hooks adapter writes it: "2 per 1 d"."""
_HOURS: Final = {"h": 1, "d": 24, "wk": 168}
"""A FHIR period unit in hours, for "N per P unit"."""
_GLUED_NUMBER = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(\D.*)")
_PERCENT = re.compile(f"({_NUMBER.pattern})%")
_COMBINED_NAME = re.compile(r"\s*/\s*|\s*,\s*(?:and\s+)?|\s+and\s+")
_NUMBER_RANGE = re.compile(f"(?:{_NUMBER.pattern})(?:-(?:{_NUMBER.pattern}))+")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(_OPEN.values())

# What a term of names.toml is to the grammar.
_SKIP = 1
_SALT = 2
_SEPARATOR = 4
_MARKER = 8
_ELEMENTAL = 16
_LOCAL = 32
_HELD = 64
_CONDITION = 128
_ALLERGY = 256
_SUPPLY = 512
_STOPPED = 1024
_CHANGE = 2048
_ORAL = 4096
_MADE_ORAL = 8192
_ROLE_FLAGS = {"dose_form": _SKIP, "route": _SKIP, "unit": _SKIP, "modifier": _SKIP, "frequency": _SKIP,
               "local_form": _SKIP | _LOCAL, "held": _SKIP | _HELD, "condition": _SKIP | _CONDITION,
               "allergy": _SKIP | _ALLERGY, "supply": _SKIP | _SUPPLY, "stopped": _SKIP | _STOPPED, "filler": _SKIP,
               "dose_change": _CHANGE, "oral": _SKIP | _ORAL, "made_oral": _SKIP | _LOCAL | _MADE_ORAL,
               "salt": _SALT, "separator": _SEPARATOR, "vehicle_marker": _MARKER, "elemental": _ELEMENTAL}
_HYPHEN = "-"
_V = TypeVar("_V")


def normalise(text: str) -> str:
    """Canonical spelling for look-ups: NFKC, case-folded, one space between words, no edge spaces."""
    if not text.isascii() or "`" in text:
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text.casefold()).strip()


class Reading(NamedTuple):
    """What a medication string names."""

    drugs: tuple[str, ...]
    """Canonical names of the knowledge base, every drug the text names; () unless recognised."""
    reason: UnrecognizedReason
    """UNSPECIFIED when recognised."""
    ingredients: tuple[str, ...] = ()
    """NOT_REVIEWED: canonical names (broad vocabulary) of the unreviewed drugs it names."""
    detail: str = ""
    """Why, for people."""
    regimen: str = ""
    """The regimen's name when the text names one regimen (regimens.toml) and nothing else."""
    held: bool = False
    """The text says the order is on hold ("HOLD venetoclax 400 mg", names.toml's `held` words): not given."""
    stopped: str = ""
    """The words saying the order has ended ("discontinued", names.toml's `stopped` words), not when: the engine
    counts its drugs as stopped on the day of the check, through their washout."""


class StatedDose(NamedTuple):
    """A dose a medication's name states (`MedicationReader.stated_dose`)."""

    mg: float
    with_frequency: bool
    """Whether the name also says how often ("daily", "BID"): then a tablet's strength alone is no reading of it."""
    with_form: bool = False
    """Whether the name also names a dose form ("tablet 800 mg"): then a number that is a tablet's strength is that
    strength, whatever else it says (several tablets may be ordered)."""
    total: bool = False
    """Stated as a total or a count of tablets ("(800 mg total)", "take 1 tablet" of "40 mg tablet"): the dose,
    even when it is one tablet's strength."""
    per_day: bool = False
    """Stated per day ("400 mg/day", "120 mg/24h", "100 mg per day"): a total a day, one dose only for an agent
    its label gives once a day."""


_MASS_MG: Final = {"mg": 1.0, "g": 1000.0}
"""The units a dose read from a name may be in, as mg."""


class _Group:
    """A bracketed part of a string ("(", "[" or "{"), or the whole string (kind "")."""

    __slots__ = ("items", "kind")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: list[str | _Group] = []


class _Mention(NamedTuple):
    """A drug name in the text: reviewed components, or the broad vocabulary's canonical names."""

    text: str
    reviewed: tuple[str, ...]
    broad: tuple[str, ...]

    @property
    def names(self) -> frozenset[str]:
        """The drugs it names, a broad combination's name as its parts, as a line writes them.

        "budesonide-formoterol (SYMBICORT)" names one product: the broad vocabulary's "budesonide/formoterol".
        """
        if self.reviewed:
            return frozenset(self.reviewed)
        return frozenset(part for name in self.broad for part in _COMBINED_NAME.split(name) if part)


@dataclass(slots=True)
class _State:
    """What one reading found beyond the drugs: unknown words and disagreements."""

    unknown: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    """Order text of a local form or route ("cream", "ophthalmic")."""
    held: str = ""
    """The first order text saying the order is on hold ("HOLD", "on hold"); a string, not a list: no allocation."""
    condition: str = ""
    """The first order text of a condition a dose depends on ("ANC", "platelets")."""
    allergy: str = ""
    """The first text saying the line records an allergy or intolerance ("allergy", "allergic to")."""
    stopped: str = ""
    """The first text saying the order has ended ("discontinued", "completed"), no date of its last dose given."""
    arrowed: bool = False
    """Whether each "then" of the line is an arrow (`MedicationReader._arrowed`)."""
    change: str = ""
    """The first text of a change of dose ("dec to", "decrease to"): which dose is given now is not said."""
    stopped_amid: str = ""
    """The first such text standing elsewhere than where a line states its status (`_states_status`): "completed
    loading", "day 1 completed", "(completed 3 of 7 days)" may say a phase, a day or a dose ended, the order not."""


class _Phrases(Generic[_V]):
    """Phrases (token tuples) -> values, looked up longest first."""

    __slots__ = ("lengths", "values")

    def __init__(self) -> None:
        self.values: dict[tuple[str | _Group, ...], _V] = {}
        self.lengths: dict[str, tuple[int, ...]] = {}

    def add(self, tokens: tuple[str, ...], value: _V) -> None:
        if not tokens:
            return
        self.values[tokens] = value
        self.lengths[tokens[0]] = tuple(sorted({*self.lengths.get(tokens[0], ()), len(tokens)}, reverse=True))

    def longest(self, tokens: list[str | _Group], start: int) -> tuple[int, _V | None]:
        """The longest phrase starting at `start`: its length and value, or (0, None)."""
        first = tokens[start]
        if not isinstance(first, str):
            return 0, None
        room = len(tokens) - start
        for length in self.lengths.get(first, ()):
            if length <= room:
                value = self.values.get(tuple(tokens[start:start + length]))
                if value is not None:
                    return length, value
        return 0, None


class MedicationReader:
    """Reads medication strings against the reviewed dictionary, the grammar and the broad vocabulary."""

    def __init__(self, lexicon: Mapping[str, tuple[str, ...]], display: Mapping[str, str], names: NamesFile,
                 exact: Mapping[str, tuple[str, ...]] | None = None,
                 regimens: Mapping[str, str] | None = None,
                 combined: Mapping[frozenset[str], str] | None = None,
                 shared_brands: Iterable[tuple[str, str]] = (),
                 local_brands: Mapping[str, str] | None = None,
                 unnumbered: Iterable[str] = (),
                 interacting: frozenset[str] = frozenset(), broad_cache: Path | None = None,
                 premixed: frozenset[str] = frozenset(), agents: frozenset[str] = frozenset()) -> None:
        """Build the reader.

        Args:
            lexicon: a reviewed name or synonym (any spelling) -> canonical component drug names.
            display: normalised canonical or product name -> how to show it in a suggestion.
            names: the grammar's vocabularies (names.toml), with the broad vocabulary's package and the
                names of real drugs it lacks (`unreviewed`), read as its names are.
            exact: whole order names, normalised -> drugs (a site's catalogue names), read as they are
                before any grammar: a site's name may hold text the grammar would read otherwise.
            regimens: a regimen's name or synonym (also in `lexicon`) -> the regimen's name, so that a
                reading can say it named a regimen rather than a product.
            combined: the ingredients of a fixed-dose combination reviewed as one drug -> that drug.
            shared_brands: (brand, drug) for a brand that is another drug's synonym and that, written
                beside this drug's name, confirms it ("fosaprepitant (EMEND)").
            local_brands: a brand sold only in a local form (also in `lexicon`) -> that form: it reads
                as its drug in the form ("Protopic" as "tacrolimus ointment").
            unnumbered: brands and short forms (also in `lexicon`) that name no numbered product: a bare
                number after one is its strength ("Venclexta 400"), as after a generic name.
            interacting: the drugs some rule of the knowledge base is about. The rules are about
                systemic exposure, so such a drug in a local form (names.toml's `local_form`: a
                cream, eye drops) is not checked as if taken by mouth: it is NOT_REVIEWED, saying why.
            broad_cache: a directory where the broad vocabulary's table is kept for the next process
                (building it is most of a knowledge base's load); None to keep none.
            premixed: drugs whose name may be followed by a pair of numbers naming a premix of their own
                forms ("insulin 70/30"); after any other single drug such a pair is unknown.
            agents: the targeted agents: after the dose of one, a day of a course ("400 mg D3") is that day, never
                a drug named so ("D3", vitamin D3).

        Raises:
            FileNotFoundError: when names.toml names a broad vocabulary that is not installed.
        """
        self._exact = {normalise(name): drugs for name, drugs in (exact or {}).items()}
        self._combined = dict(combined or {})
        # How many strengths a drug's name may be followed by: its ingredients ("800/160" after Bactrim).
        self._strengths = {name: len(ingredients) for ingredients, name in self._combined.items()}
        self._premixed = premixed
        spellings = tuple(_spelling(s.written, s.reads_as) for s in names.spellings)
        self._spellings = _spellings_of(spellings)
        self._arrows = tuple(written for written, reads_as in spellings
                             if reads_as.strip() == _THEN and not any(character.isalpha() for character in written))
        """names.toml's arrows ("->", the arrow sign): symbols read as "then"."""
        self._patterns = re.compile("|".join(f"(?:{p.regex})" for p in names.patterns)) if names.patterns else None
        self._suffix_letters = names.biosimilar.suffix_letters if names.biosimilar else 0
        self._biologic_stems = tuple(normalise(s) for s in names.biosimilar.stems) if names.biosimilar else ()
        self._known_words: set[str] = set()
        self._drugs: _Phrases[tuple[str, ...]] = _Phrases()
        for alias, components in lexicon.items():
            for tokens in self._phrase_forms(alias):
                self._drugs.add(tokens, components)
        self._drug_words = set(self._known_words)
        # names.toml's `unreviewed`: matched as the dictionary's names are, read as the broad vocabulary's.
        self._unreviewed = frozenset(entry.canonical for entry in names.unreviewed)
        unreviewed_names = [name for entry in names.unreviewed for name in entry.names]
        for entry in names.unreviewed:
            for name in entry.names:
                for tokens in self._phrase_forms(name):
                    self._drugs.add(tokens, (entry.canonical,))
        # Keyed like a mention's text: the regimen phrase's tokens joined by spaces.
        self._regimens = {" ".join(tokens): name for alias, name in (regimens or {}).items()
                          for tokens in self._phrase_forms(alias)}
        self._shared_brands: dict[str, frozenset[str]] = {}
        """A shared brand, keyed like a mention's text -> the drugs it confirms besides its own."""
        for brand, drug in shared_brands:
            for tokens in self._phrase_forms(brand):
                key = " ".join(tokens)
                self._shared_brands[key] = self._shared_brands.get(key, frozenset()) | {drug}
        # Keyed like a mention's text.
        self._local_brands = {" ".join(tokens): form for brand, form in (local_brands or {}).items()
                              for tokens in self._phrase_forms(brand)}
        # An unreviewed name is never checked, so a number after it is read as its strength.
        self._unnumbered = frozenset(" ".join(tokens) for alias in (*unnumbered, *unreviewed_names)
                                     for tokens in self._phrase_forms(alias))
        self._reviewed_names = frozenset(name for components in lexicon.values() for name in components)
        self._words: _Phrases[int] = _Phrases()
        self._vehicles: _Phrases[bool] = _Phrases()
        roles: dict[tuple[str, ...], int] = {}
        for vocabulary in names.vocabularies:
            if vocabulary.role in ("product_suffix", "course", "month", "date_word"):
                # not order text: read only right after a brand (`_product_suffix`), beside a dose, or in a date
                continue
            for term in vocabulary.terms:
                for tokens in self._phrase_forms(term):
                    if vocabulary.role == "vehicle":
                        self._vehicles.add(tokens, True)
                    else:
                        roles[tokens] = roles.get(tokens, 0) | _ROLE_FLAGS[vocabulary.role]
        for tokens, flags in roles.items():
            self._words.add(tokens, flags | (_LOCAL if flags & _SKIP and _local_term(tokens, roles) else 0))
        months = self._phrases_of(names, "month")
        self._month_dates = _month_dates(_DateVocabulary(
            months, self._phrases_of(names, "date_word"), self._phrases_of(names, "separator"),
            self._phrases_of(names, "dose_change"), frozenset(" ".join(m) for m in months if m in self._drugs.values)))
        self._product_suffixes = frozenset(normalise(term) for vocabulary in names.vocabularies
                                           if vocabulary.role == "product_suffix" for term in vocabulary.terms)
        """Words that, right after a name, name another product of it ("Tylenol PM")."""
        self._units = frozenset(normalise(term) for vocabulary in names.vocabularies
                                if vocabulary.role == "unit" for term in vocabulary.terms)
        # After a number, what makes it a strength: a unit that is nothing else outside a note ("NG" is
        # nasogastric too, "PE" Sudafed PE, "x" a count), or a second number ("5/325", "1-7").
        self._strength_follows = self._units - frozenset(
            normalise(term) for vocabulary in names.vocabularies if vocabulary.role not in ("unit", "elemental")
            for term in vocabulary.terms) - {"x", "each", "ea"} | {"/", _HYPHEN}
        # A decimal comma (European EHRs: "quizartinib 17,7 mg") where no other reading is possible: one digit after
        # it, or two not ending in 0 ("10,20 mg" may be two doses), a unit after them, and no number or letter
        # glued before ("D1,3", "10,20,50"). Three digits after a comma are thousands ("1,000 mg", `_THOUSANDS`).
        units = "|".join(map(re.escape, sorted(self._strength_follows - {"/", _HYPHEN}, key=len, reverse=True)))
        self._decimal_comma = re.compile(rf"(?<![\w,.])(\d+),(\d[1-9]?)(?=\s*(?:{units})(?!\w))")
        # After a number, what makes it a strength or a count ("4 mg", "1 tab", "800/160").
        self._measure_follows = self._units | frozenset(
            normalise(term) for vocabulary in names.vocabularies if vocabulary.role == "dose_form"
            for term in vocabulary.terms) | {"/", _HYPHEN}
        self._forms = self._phrases_of(names, "dose_form", "local_form")
        """Dose forms: a number beside one may be a tablet's strength, not a dose."""
        self._frequencies = self._phrases_of(names, "frequency")
        self._routes = self._phrases_of(names, "route")
        self._per_day = {tokens: spec.per_day or (_NO_SCHEDULE if spec.unscheduled else _NOT_DAILY)
                         for spec in names.administrations for term in spec.terms
                         for tokens in self._phrase_forms(term)}
        self._single = frozenset(tokens for spec in names.administrations if spec.single for term in spec.terms
                                 for tokens in self._phrase_forms(term))
        """names.toml's words of a single dose ("once", "stat"): right before another frequency, that one's one time."""
        self._shortest_cycle_hours = names.cycle.shortest_days * 24 if names.cycle else math.inf
        """An interval this long or longer is the cycle beside a count a day (names.toml's `cycle`)."""
        self._per_day_lengths = sorted({len(tokens) for tokens in self._per_day}, reverse=True)
        self._per_day_first = frozenset(tokens[0] for tokens in self._per_day)
        self._course = frozenset(normalise(term) for vocabulary in names.vocabularies if vocabulary.role == "course"
                                 for term in vocabulary.terms)
        """Words that make a number beside them a count of days or cycles ("day 1", "for 14 days"), not a dose."""
        held = self._phrases_of(names, "held")
        self._hold_words = frozenset(tokens[0] for tokens in held)
        """The first words of names.toml's `held` phrases ("hold", "held"): a phrase of order text beginning with one
        may still say the order is on hold ("hold for 7 days")."""
        self._ended_holds = frozenset(
            tokens for tokens in self._phrases_of(names, "filler")
            if any(tokens[start:start + len(phrase)] == phrase for phrase in held for start in range(len(tokens))))
        """names.toml's filler phrases holding a `held` one ("off hold", "hold released"): a hold that has ended, the
        order given, but only alone at the end of its line or bracket. A date or any word after it may say when the
        hold ends ("off hold 12/20"), and the order may be on hold till then: not guessed."""
        self._supply = frozenset(tokens[-1] for tokens in self._phrases_of(names, "supply"))
        """The last words of names.toml's `supply` phrases ("#", "disp", "qty"): a number right after one is a supply
        or a count of refills, never a dose."""
        self._supplied = _SUPPLIED | self._supply
        """Words before a count of tablets that make it a pack's or a supply's ("pack of 14", "Disp: 4 tablet")."""
        self._interacting = interacting
        self._agents = agents
        self._regimen_drugs = agents | frozenset(drug for alias in regimens or {} for drug in lexicon[alias])
        """The agents and their regimens' partners ("7+3", "Aza/Ven", "FLAG-IDA"): drugs of a regimen's plan."""
        spec = names.broad_vocabulary
        self._broad: _Phrases[tuple[str, ...]] = _Phrases()
        self._broad_words: frozenset[str] = frozenset()
        if spec:
            self._broad, broad_words = _broad_table(spec.package, spec.data_file, spellings, broad_cache)
            # A number glued to its unit ("1g", "6h") is a strength, though a few broad names hold one as
            # a word ("campath 1h"): it is unglued, never kept whole as an unknown word.
            self._broad_words = frozenset(word for word in broad_words if not (
                (glued := _GLUED_NUMBER.fullmatch(word)) and glued.group(2) in self._units))
        self._display = dict(display)
        self._choices = sorted({normalise(alias) for alias in lexicon})
        self.read = lru_cache(maxsize=READ_CACHE_SIZE)(self._read)
        self.stated_dose = lru_cache(maxsize=READ_CACHE_SIZE)(self._stated_dose)
        self.multiplied_dose = lru_cache(maxsize=READ_CACHE_SIZE)(self._multiplied_dose)
        self.administrations_per_day = lru_cache(maxsize=SUGGEST_CACHE_SIZE)(self._administrations_per_day)
        self.frequencies_named = lru_cache(maxsize=SUGGEST_CACHE_SIZE)(self._frequencies_named)
        self.suggest = lru_cache(maxsize=SUGGEST_CACHE_SIZE)(self._suggest)
        self.resolved: dict[str, tuple[str, ...]] = {}
        """Drugs by exact string, () when not recognised: the engine asks this of every medication of
        every request and looks it up itself, with no call (emptied when it reaches READ_CACHE_SIZE)."""
        self.held_drugs: set[str] = set()
        """The drugs of every string ever read as saying the order is on hold ("posaconazole 300 mg daily - on
        hold"), filled by each read (`_read`), however the string came (a coded line is read too): the engine looks
        for held lines only in a request whose agent speaks of one of them. A request's lines are all read before,
        so it never misses one of its own; what was read before changes only whether it looks. Never emptied: it
        holds drug names, not strings, so it cannot outgrow the dictionary."""
        self.stopped_drugs: set[str] = set()
        """As `held_drugs`, for strings read as saying the order has ended (`Reading.stopped`)."""

    def resolve(self, text: str) -> tuple[str, ...] | None:
        """The canonical drugs `text` names, or None when it is not recognised."""
        drugs = self.resolved.get(text)
        if drugs is None:
            drugs = self.read(text).drugs
            if len(self.resolved) >= READ_CACHE_SIZE:
                self.resolved.clear()
            self.resolved[text] = drugs
        return drugs or None

    def _phrases_of(self, names: NamesFile, *roles: str) -> frozenset[tuple[str, ...]]:
        return frozenset(tokens for vocabulary in names.vocabularies if vocabulary.role in roles
                         for term in vocabulary.terms for tokens in self._phrase_forms(term))

    def _stated_dose(self, text: str) -> StatedDose | None:
        """The dose a line states ("Aza/Ven 400", "venetoclax 800 mg PO daily", "8 tablets (800 mg total)"), else None.

        Only where nothing else can be meant: a stated total or a count of tablets of one stated strength (see
        `_total_at`, `_counted`), else one number (the days of a course left aside), in mg or g, or bare right after
        a name; not a ratio ("5/325", "75 mg/m2"), a count ("#120"), one day of a course ("day 1": a ramp-up's), nor
        beside a dose form unless right after the name or the form. Whether the number is a product's strength is
        the caller's to judge (`StatedDose.with_frequency`, `StatedDose.with_form`): "VENETOCLAX 100 MG TAB" may be
        four tablets.
        """
        # Two doses in a list ("80,120 mg") before `_spell` takes the comma for thousands separating them.
        if _TENS_OF_THOUSANDS.search(normalise(text)) or _BOUND.search(_spell(text, self._spellings)):
            return None
        tokens = self._counted_tokens(text)
        if self._one_day(tokens):
            return None  # "take 1 tab on day 1", "100 mg day 1": that day's dose of a ramp-up, not the order's
        in_frequency = self._in_frequency(tokens)
        # Any frequency: "q12h" and "every 36 hours" are no words of the vocabulary ("Rydapt 25 mg capsule 2 caps PO
        # q12h" was dose-not-read where "... 2 caps PO BID" was 50 mg).
        with_frequency = bool(in_frequency) or self._has_phrase(tokens, self._frequencies)
        # The days of a course ("days 1-14", "for 14 days"), a supply ("#120", "Disp: 120 tablet", "2 refills"), the
        # hours of a frequency ("every 24 hours", "/24 h") and a date ("start 11/28/2026") are not doses.
        not_doses = in_frequency | _in_date(tokens)
        # A supply's number is left aside only after the frequency, where the directions have ended ("daily #120"):
        # before it, "100 mg #4 daily" may be four tablets of 100 mg.
        sig_end = min(in_frequency, default=len(tokens))
        numbers = [i for i, token in enumerate(tokens) if _NUMBER.fullmatch(token) and not self._of_course(tokens, i)
                   and not self._of_supply(tokens, i, sig_end) and i not in not_doses]
        totals = [i for i in numbers if self._total_at(tokens, i) is not None]
        if totals:
            # "Take 8 tablets (800 mg total)", "take 3 tablets (120 mg)": the dose, when the line's other numbers
            # are only the tablet's strength and the count; another dose beside it ("200 mg BID (400 mg total)", a
            # ramp-up's steps) leaves it unread.
            if len(totals) != 1:
                return None
            at = totals[0]
            total = self._total_at(tokens, at) or 0.0
            strengths = {i for i in numbers if self._strength_at(tokens, i)}
            # The count before a bracketed total ("3 tablets (120 mg)") or in the bracket after one ("(4 x 100 mg)").
            count = at + 3 if self._explained(tokens, at, total) else at - 3
            if set(numbers) - {at, count} - strengths or len(strengths) > 1:
                return None
            # A count of tablets of the stated strength must make the total ("4 tablets (40 mg total)" of 100 mg
            # tablets says two doses): else neither is read.
            counted = self._counted(tokens, [i for i in numbers if i != at], with_frequency=True)
            if counted is None and self._each_or_total(tokens, at):
                # "3 tabs (40 mg)", "ivosidenib 2 tabs (250 mg)": each tablet's strength (120, 500 mg) as often as
                # the total, and no stated strength tells which; a mass that is none of the agent's strengths can
                # only be the total ("take 3 tablets (120 mg)" of gilteritinib), which the caller judges as it
                # judges a strength beside a dose form.
                return StatedDose(total, with_frequency, with_form=True)
            return StatedDose(total, with_frequency, total=True) if counted in (None, total) else None
        counted = self._counted(tokens, numbers, with_frequency=with_frequency)
        if counted is not None:
            return StatedDose(counted, with_frequency, total=True)
        if len(numbers) != 1:
            return None
        at = numbers[0]
        before = tokens[at - 1] if at else ""
        unit, after = [*tokens[at + 1:at + 3], "", ""][:2]
        per_mass = unit in self._units and after == "/" and at + 2 not in in_frequency  # "mg/m2", not "mg/day"
        # "x" after the mass counts tablets, days or doses ("40 mg x 3"): not read; but one of any is the mass
        # ("400 mg x1", a single dose in names.toml: its frequency not read; it was dose-not-read too). In a bracket
        # right after the mass, only a count, "x" and a number no course word follows: "venetoclax 100 mg (x4) daily"
        # and "[x4]" were 100 mg, CONTINUE, where four tablets are meant; but the bracket sets a course apart from the
        # mass, and "400 mg (Days 1-14)", "(for 28 days)", "(x 28 days)", a common order phrase, is 400 mg; so is it
        # with no bracket ("400 mg days 1-14 daily", "400 mg x 28 days": dose-not-read before s18).
        bracketed = after in _OPEN
        counting = at + 3 if bracketed else at + 2
        times, number, then = [*tokens[counting:counting + 3], "", "", ""][:3]
        counted = unit in _MASS_MG and counting not in in_frequency and (
            times == _TIMES_WORD and bool(_NUMBER.fullmatch(number)) and then not in self._course if bracketed
            else times in self._course and not self._a_course_at(tokens, counting))
        if before in ("/", "#") or unit == "/" or per_mass or before in self._course or unit in self._course \
                or counted:
            return None
        with_form = self._has_phrase(tokens, self._forms)
        if with_form:  # only a mass right after a name or the form ("Xospata 40 mg tablet", "tablet 800 mg")
            if unit not in _MASS_MG or (before not in self._drug_words and (before,) not in self._forms):
                return None
        elif unit not in _MASS_MG and (unit in self._units or before not in self._drug_words or before == "/"):
            return None
        # A frequency starting with "/" or "per" ("mg/day", "mg PO per day"; not "twice per day") says a total a day.
        per_day = unit in _MASS_MG and any(tokens[i] in _PER and i - 1 not in in_frequency for i in in_frequency)
        return StatedDose(float(tokens[at]) * _MASS_MG.get(unit, 1.0), with_frequency, with_form, per_day=per_day)

    def _of_supply(self, tokens: list[str], at: int, sig_end: int) -> bool:
        """Whether the number at `at` counts a supply or refills, not a dose.

        Right after a supply word ("#120", "Disp: 120", "Refills: 2"), or right before one that is a word ("2 refills",
        "0 Refill(s)"), the supply word after the frequency, which starts at `sig_end` ("daily #120").
        """
        after = tokens[at + 1] if at + 1 < len(tokens) else ""
        return (sig_end < at - 1 and tokens[at - 1] in self._supply) \
            or (sig_end < at + 1 and after in self._supply and after.isalpha())

    def _in_frequency(self, tokens: list[str]) -> set[int]:
        """The positions of the tokens of names.toml's `[[administrations]]` phrases: "every 24 hours", "/ day"."""
        covered: set[int] = set()
        for at, phrase, _count in self._frequency_phrases(tokens):
            covered.update(range(at, at + len(phrase)))
        return covered

    def _one_day(self, tokens: list[str]) -> bool:
        """Whether the line names one day of a course ("day 1", "on day 2", "D1"), not a range of days."""
        for i, token in enumerate(tokens):
            following = tokens[i + 1:i + 3]
            if token in ("day", "d") and following and _NUMBER.fullmatch(following[0]) and following[1:2] != ["-"]:
                return True
            if _ONE_DAY.fullmatch(token):
                return True
        return False

    def _a_course_at(self, tokens: list[str], at: int) -> bool:
        """Whether the days of a course begin at `at`: a range ("days 1-14") or how long ("for 28 days", "x 2 weeks").

        Not a count ("x 4", "x 4 doses", "x 4 days 1-28": tablets at once?), nor one day ("day 1", a ramp-up's).
        """
        word, first, joint, last = [*tokens[at:at + 4], "", "", "", ""][:4]
        if word in ("day", "days", "d"):
            return _a_range(tokens, at + 1)
        # "x 4 days 1-28": the days of the course follow the number, which counts tablets.
        return word in ("for", _TIMES_WORD) and bool(_NUMBER.fullmatch(first)) and joint in self._course \
            and joint not in _COUNTS and not _NUMBER.fullmatch(last)

    def _of_course(self, tokens: list[str], at: int) -> bool:
        """Whether the number at `at` counts days or cycles.

        After a course word ("days 1", "for 14", "x 28") or before one ("14 days"), or the end of a range of them
        ("days 1-14").
        """
        before = tokens[at - 1] if at else ""
        after = tokens[at + 1] if at + 1 < len(tokens) else ""
        # "x" counts days only before its number ("x 28"); after it, it is times ("2 x daily", "2x": two doses).
        if before in self._course or (after in self._course and after not in _MASS_MG and after != _TIMES_WORD):
            return True
        return before == "-" and at >= 2 and bool(_NUMBER.fullmatch(tokens[at - 2])) and self._of_course(tokens, at - 2)

    def _dated(self, tokens: list[str]) -> bool:
        """Whether the line may hold a date, its year given or not.

        A full one (`_in_date`, "28.11.2026"), one written with a month's name (`_DATE`: "Dec 1"), or two whole numbers
        alone joined by "/" or "-" that can be a day and a month ("11/28", "28-11"), not the days of a course ("days
        1-14") nor part of a longer run ("10/20/50": a ramp-up).
        """
        if _in_date(tokens) or _DATE in tokens:
            return True
        joints = ("/", _HYPHEN)
        for at, first in enumerate(tokens[:-1]):
            if _DOTTED_DATE.fullmatch(first) and _DOTTED_YEAR.fullmatch(tokens[at + 1]):
                return True
            second = tokens[at + 2] if at + 2 < len(tokens) else ""
            if (tokens[at + 1] in joints and first.isdigit() and second.isdigit()
                    and (at == 0 or tokens[at - 1] not in joints) and tokens[at + 3:at + 4] != [tokens[at + 1]]
                    and _a_day_and_month(int(first), int(second))
                    and not self._of_course(tokens, at + 2)):
                return True
        return False

    def _counted(self, tokens: list[str], numbers: list[int], *, with_frequency: bool) -> float | None:
        """The dose of a count of tablets of one stated strength ("100 MG TABLET - Take 4 tablets": 400), else None.

        Exactly two numbers: a mass right before a dose form (the strength) and a whole count right before one,
        after "take" or "give", or in a line saying how often ("3 tabs qd") but not after a bracket, "x", "of" or a
        supply word: else a count is a pack's or a supply's ("7 tablets", "(14 tablets)", "pack of 14 tablets", "Disp: 4
        tablet"; after the sig a supply is left aside before: `_of_supply`).
        """
        if len(numbers) != 2:
            return None
        strengths = [i for i in numbers if self._strength_at(tokens, i)]
        counts = [i for i in numbers if i not in strengths and i + 1 < len(tokens) and (tokens[i + 1],) in self._forms
                  and i and (tokens[i - 1] in _DOSING_VERBS
                             or (with_frequency and tokens[i - 1] not in self._supplied))]
        if len(strengths) != 1 or len(counts) != 1:
            return None
        count = float(tokens[counts[0]])
        strength = float(tokens[strengths[0]]) * _MASS_MG[tokens[strengths[0] + 1]]
        return count * strength if count == int(count) and 1 <= count <= MAX_TABLETS_COUNTED else None

    def _multiplied_dose(self, text: str) -> float | None:
        """A mass times a count written after it ("100 mg tab x4", "40 mg x 3": 400, 120 mg), else None.

        Not a dose to check (`stated_dose` leaves such a line unread: "200 mg x2 daily" may be two doses a day),
        but what the name gives if the count is of tablets, to compare a dose field with. Only one mass, its "x"
        right after it or its dose form, and a whole count of tablets not followed by days ("x 28 days").
        """
        tokens = self._counted_tokens(text)
        masses = [i for i, token in enumerate(tokens)
                  if _NUMBER.fullmatch(token) and i + 1 < len(tokens) and tokens[i + 1] in _MASS_MG]
        if len(masses) != 1:
            return None
        at = masses[0] + 2
        if at < len(tokens) and (tokens[at],) in self._forms:
            at += 1
        times, count, after = [*tokens[at:at + 3], "", "", ""][:3]
        if times != _TIMES_WORD or not count.isdigit() or after in self._course:
            return None
        tablets = int(count)
        if not 1 < tablets <= MAX_TABLETS_COUNTED:
            return None
        return tablets * float(tokens[masses[0]]) * _MASS_MG[tokens[masses[0] + 1]]

    def _strength_at(self, tokens: list[str], at: int) -> bool:
        """Whether the number at `at` is a tablet's or capsule's strength: a mass right before a dose form.

        The form may be of several words, as RxNorm writes it ("100 MG Oral Tablet", "40 MG Extended Release Oral
        Tablet"), or after a route, as EHR catalogue names write it ("100 MG PO TABS").
        """
        if at + 2 >= len(tokens) or tokens[at + 1] not in _MASS_MG:
            return False
        form = at + 3 if (tokens[at + 2],) in self._routes else at + 2
        return any(tuple(tokens[form:form + length]) in self._forms for length in range(1, 5))

    def _total_at(self, tokens: list[str], at: int) -> float | None:
        """The mg of a total stated at `at`, else None.

        "800 mg total", a mass in brackets after a count of tablets ("3 tablets (120 mg)"), a mass after a dosing
        verb that is no tablet's strength ("40 MG TABLET take 120 mg": the catalogue line, then its sig), or a mass
        its bracket makes of tablets ("400 mg (4 x 100 mg tablets)", `_explained`).
        """
        unit = tokens[at + 1] if at + 1 < len(tokens) else ""
        if unit not in _MASS_MG:
            return None
        after, then = [*tokens[at + 2:at + 4], "", ""][:2]
        if after == "total" and then not in (")", ",", ""):
            return None  # "400 mg total daily", "(11200 mg total per cycle)": a total of several doses
        counted = at >= 3 and tokens[at - 1] == "(" and (tokens[at - 2],) in self._forms \
            and bool(_NUMBER.fullmatch(tokens[at - 3])) and after in (")", "total")
        # Not "give 75 mg/m2" (per body surface area), nor "take 100 mg tablet" (what was said is the tablet's).
        dosed = at >= 1 and tokens[at - 1] in _DOSING_VERBS and after != "/" and (after,) not in self._forms
        mg = float(tokens[at]) * _MASS_MG[unit]
        return mg if after == "total" or counted or dosed or self._explained(tokens, at, mg) else None

    @staticmethod
    def _each_or_total(tokens: list[str], at: int) -> bool:
        """Whether the mass at `at` is alone in a bracket after a count of several tablets ("3 tabs (40 mg)").

        Not called a total ("(120 mg total)"), and not after one tablet ("1 tab (100 mg)": its strength is the dose).
        """
        return at >= 3 and tokens[at - 1] == "(" and tokens[at + 2:at + 3] == [")"] \
            and bool(_NUMBER.fullmatch(tokens[at - 3])) and float(tokens[at - 3]) != 1

    def _explained(self, tokens: list[str], at: int, mg: float) -> bool:
        """Whether a bracket right after the mass at `at` makes it of tablets: "400 mg (4 x 100 mg tablets)".

        A count, "x", a mass and an optional dose form; the count times the mass must be `mg` ("200 mg (4 x 100 mg)"
        says two doses: neither is read). The count is at `at + 3`.
        """
        part = [*tokens[at + 2:at + 9], "", "", "", "", "", "", ""][:7]
        if part[0] != "(" or part[2] != _TIMES_WORD or part[4] not in _MASS_MG \
                or not (_NUMBER.fullmatch(part[1]) and _NUMBER.fullmatch(part[3])):
            return False
        if part[5] != ")" and not ((part[5],) in self._forms and part[6] == ")"):
            return False
        return abs(float(part[1]) * float(part[3]) * _MASS_MG[part[4]] - mg) < _SAME_MG

    def _administrations_per_day(self, text: str) -> int | None:
        """How many times a day `text` (a frequency, or a whole order line) gives a dose; None when it does not say.

        From the words of names.toml's `[[administrations]]` ("BID", "q12h", "once daily"), the longest first,
        or FHIR's "N per P h", "N per P d", "N per P wk"; frequencies joined by "and" add up ("qam and qpm": twice),
        as do two written apart, each after its dose ("400 mg qam, 400 mg qpm"), and one said twice is that one
        ("BID (morning and evening)"). None too when the text names frequencies that
        disagree ("daily ... BID", `frequencies_named`) or a schedule that is no whole number of doses a day from 1
        to 24 ("every other day", "PRN", "1 per 2 d").
        """
        counts = set(self._frequencies_named(text))
        count = counts.pop() if len(counts) == 1 else _NOT_DAILY
        return count or None

    def _frequencies_named(self, text: str) -> tuple[int, ...]:
        """The times a day of each frequency `text` names, in order ("daily BID": 1, 2); "qam and qpm" is one: 2.

        0 (`_NOT_DAILY`) for a schedule that gives no whole number of doses a day from 1 to 24 (names.toml's
        `[[administrations]]` without `per_day`: "every other day", "weekly", "PRN"; FHIR's "1 per 2 d").
        Several that disagree say no one frequency (`administrations_per_day`): the caller judges whether to say so.
        """
        per_period = _PER_PERIOD.fullmatch(text.strip().lower())
        if per_period:
            times, period, unit = int(per_period.group(1)), float(per_period.group(2)), per_period.group(3)
            if period <= 0:
                return ()
            per_day = times * 24 / (period * _HOURS[unit])
            return (int(per_day) if 1 <= per_day <= 24 and per_day == int(per_day) else _NOT_DAILY,)
        counts = self._counts_named(text)
        # Words naming no schedule ("as directed", the cycle's "q28d") give way to a count the line names ("daily as
        # directed", "daily x 14 days q28d"); alone they say no count a day ("venetoclax 400 mg as directed", "q4d").
        if any(count > 0 for count in counts):
            return tuple(count for count in counts if count != _NO_SCHEDULE)
        return tuple(_NOT_DAILY if count == _NO_SCHEDULE else count for count in counts)

    def names_schedule_of_its_own(self, text: str) -> bool:
        """Whether `text` names a schedule that is no count a day even beside a daily count said elsewhere.

        "QOD", "q4d", "PRN" do; words naming no schedule ("use as directed") and a cycle ("q28d") give way to a
        count another part of an order gives (a FHIR Timing's repeat beside its text), as within one line.
        """
        return _NOT_DAILY in self._counts_named(text)

    def _counts_named(self, text: str) -> list[int]:
        """The count a day of each frequency `text` names, in order: `_NOT_DAILY` or `_NO_SCHEDULE` for none."""
        tokens = self._tokens(text)
        counts: list[int] = []
        end = previous_count = 0
        previous: tuple[str, ...] = ()
        for at, phrase, count in self._frequency_phrases(tokens):
            joined = bool(counts) and at == end + 1 and tokens[end] in _JOINING
            # A schedule that is no count a day adds up with nothing ("daily and PRN" disagree).
            counted = count > 0 and bool(counts) and counts[-1] > 0
            if counted and (joined or (phrase != previous and count == 1 == previous_count
                                       and self._dose_again(tokens[end:at]))):
                # "qam and qpm", "400 mg qam, 400 mg qpm": a dose in the morning and one in the evening (written
                # apart, it was read as once daily, and 800 mg a day checked as 400); "daily, 100 mg BID" still
                # disagrees (frequency-not-read)
                counts[-1] += count
            elif joined and _NO_SCHEDULE in (count, counts[-1]):
                # "daily now and at bedtime", "stat and qhs": a dose now and another tonight, two on day 1 (was read as
                # once daily); only "then" makes a dose now the first of a schedule ("now then daily").
                counts[-1] = _NOT_DAILY
                counts.append(_NOT_DAILY)
            else:
                counts.append(count)
            end, previous, previous_count = at + len(phrase), phrase, count
        return counts

    def _frequency_phrases(self, tokens: list[str]) -> Iterator[tuple[int, tuple[str, ...], int]]:
        """Where each frequency stands in `tokens`, the longest at each place, with its count a day (`_frequency_at`).

        One scan for the frequencies a line names and the numbers they hold ("every 24 hours"). A word of a single dose
        right before another frequency ("once every 24 hours"), in a bracket right after one ("daily (once)"), before
        a unit of time ("x1 week": one week) or, its count, before a range ("x 1-2 tabs") is no frequency of its own
        ("daily stat" may be a first dose now).
        """
        at = 0
        end: int | None = None  # where the last frequency ended
        single: tuple[int, tuple[str, ...], int] | None = None
        while at < len(tokens):
            phrase, count = self._frequency_at(tokens, at)
            if single is not None and (phrase or tokens[at] in _UNIT_HOURS
                                       or (tokens[at] == _HYPHEN and single[1][-1][-1:].isdigit())):
                single = None  # "once every 24 hours", "once weekly": the next one's one time; "x 1-2": 1 to 2
            if single is not None:
                yield single
                single = None
            if phrase in self._single:
                # In a bracket right after another frequency, or after that one's course, it is that one's ("daily
                # (once)": once daily; "daily x 28 days (once)": the course once).
                if end is None or not self._bracketed_after(tokens[end:at]):
                    single = (at, phrase, count)
            elif phrase:
                yield at, phrase, count
            if phrase:
                end = at + len(phrase)
            at += len(phrase) or 1
        if single is not None:
            yield single

    def _bracketed_after(self, between: list[str]) -> bool:
        """Whether `between` (the tokens after a frequency) opens a bracket, after nothing or a course ("x 28 days")."""
        opened = len(between)  # where the brackets right before the single-dose word open
        while opened and between[opened - 1] in _OPEN:
            opened -= 1
        return opened < len(between) and all(
            token in self._course or _NUMBER.fullmatch(token) for token in between[:opened])

    def _frequency_at(self, tokens: list[str], at: int) -> tuple[tuple[str, ...], int]:
        """The frequency starting at `at` and its count a day (see `_frequencies_named`), else ((), 0).

        A phrase of names.toml's `[[administrations]]`, the longest, else an interval (`_interval`). Only a token some
        phrase starts with is looked at further (a set lookup), as most are none: a never-seen line's read and dose take
        630 calls, against 729 when every token was tried at every phrase length (cProfile, 2,000 EHR-format lines).
        """
        if tokens[at] in self._per_day_first:
            for n in self._per_day_lengths:
                found = tuple(tokens[at:at + n])
                if found in self._per_day:
                    return found, self._per_day[found]
        if tokens[at] in _DOSING_TIME_SLOTS:
            times = _dosing_times(tokens, at)
            if times[0]:
                return times
        return _interval(tokens, at, self._shortest_cycle_hours)

    @staticmethod
    def _dose_again(between: list[str]) -> bool:
        """Whether the words between two frequencies write another dose, not a change to it.

        "100 mg qam, 100 mg qpm": two doses a day; "100 mg qam then 200 mg qpm", "400 mg daily in the morning": one.
        """
        return _THEN not in between and any(_NUMBER.fullmatch(token) for token in between)

    @staticmethod
    def _has_phrase(tokens: list[str], phrases: frozenset[tuple[str, ...]]) -> bool:
        return any(tuple(tokens[i:i + length]) in phrases for i in range(len(tokens)) for length in range(1, 4))

    # --- tokens -------------------------------------------------------------------------------------

    def _phrase_forms(self, phrase: str) -> list[tuple[str, ...]]:
        forms = _phrase_forms(_spell(phrase, self._spellings))
        self._known_words.update(token for tokens in forms for token in tokens)
        return forms

    def _counted_tokens(self, text: str) -> list[str]:
        """The text's tokens with a glued count taken apart ("200 mg x2": ..., "x", "2"), as it is written apart."""
        return [part for token in self._tokens(text) for part in _count_apart(token)]

    def _tokens(self, text: str) -> list[str]:
        """The text's tokens: known words as they are, any other chunk taken apart by `_expand`."""
        tokens: list[str] = []
        known, broad = self._known_words, self._broad_words
        spelled = _LIST_NUMBER.sub("", _spell(text, self._spellings))
        # The whole pattern costs 13 us a string in pure Python (2,000 catalogue strings, s20): it runs only where a
        # month or a word of a date stands, which every date it reads holds (2 us to look for).
        if self._month_dates is not None and self._month_dates.words.search(spelled):
            spelled = self._month_dates.dates.sub(self._month_dates.as_a_date, spelled)
            spelled = self._month_dates.apart.sub(self._month_dates.spell_out, spelled)
        if "," in spelled:
            spelled = self._decimal_comma.sub(r"\1.\2", spelled)
        if "q" in spelled:
            spelled = _INTERVAL_UNIT_APART.sub(r"q \1 ", spelled)
        for chunk in _chunks(spelled):
            if chunk in known or chunk in broad:
                if _HYPHEN in chunk and tokens and self._name_across(tokens[-1], chunk):
                    tokens += _split_hyphens(chunk)
                else:
                    tokens.append(chunk)
            else:
                self._expand(chunk, tokens)
        return tokens

    def _name_across(self, before: str, chunk: str) -> bool:
        """Whether a hyphenated chunk's first part ends a name the word before begins, that word naming nothing alone.

        "ethinyl estradiol-norethindrone": kept whole, "estradiol-norethindrone" (estradiol with norethindrone)
        would leave "ethinyl" unknown; taken apart, it is ethinyl estradiol and norethindrone.
        """
        if before not in self._drugs.lengths and before not in self._broad.lengths:
            return False
        alone: list[str | _Group] = [before]
        if self._drugs.longest(alone, 0)[0] or self._broad.longest(alone, 0)[0] or self._words.longest(alone, 0)[0]:
            return False
        across: list[str | _Group] = [before, *_split_hyphens(chunk)]
        return self._drugs.longest(across, 0)[0] > 1 or self._broad.longest(across, 0)[0] > 1

    def _expand(self, chunk: str, tokens: list[str]) -> None:
        """An unknown chunk as tokens: numbers and units unglued, hyphens split, a biosimilar suffix cut."""
        if chunk in self._known_words or chunk in self._broad_words or _NUMBER.fullmatch(chunk) or (
                self._patterns is not None and self._patterns.fullmatch(chunk)):
            tokens.append(chunk)
            return
        if _HYPHEN in chunk:
            base, _, suffix = chunk.rpartition(_HYPHEN)
            # A suffix that is itself a drug's name is that drug ("HYDROCODONE-APAP", "LOSARTAN-HCTZ").
            if (len(suffix) == self._suffix_letters and suffix.isalpha() and suffix.isascii()
                    and base in self._drug_words and not self._drugs.longest([suffix], 0)[0]):
                tokens.append(_Suffixed(base, suffix))
                return
            parts = chunk.split(_HYPHEN)
            for i, part in enumerate(parts):
                if i:
                    tokens.append(_HYPHEN)
                if part:
                    self._expand(part, tokens)
            return
        glued = _GLUED_NUMBER.fullmatch(chunk)
        if glued:
            tokens.append(glued.group(1))
            self._expand(glued.group(2), tokens)
            return
        stripped = chunk.strip(".'")
        if stripped != chunk:
            if stripped:
                self._expand(stripped, tokens)
            return
        tokens.append(chunk)

    # --- reading ------------------------------------------------------------------------------------

    def _read(self, text: str) -> Reading:
        reading = self._read_text(text)
        if reading.held:
            self.held_drugs.update(reading.drugs)
        if reading.stopped:
            self.stopped_drugs.update(reading.drugs)
        return reading

    def _read_text(self, text: str) -> Reading:
        exact = self._exact.get(normalise(text)) if self._exact else None
        if exact is not None:
            return Reading(exact, UnrecognizedReason.UNSPECIFIED, detail="a site order name (site.toml)")
        tokens = self._tokens(text)
        if not tokens:
            return Reading((), UnrecognizedReason.UNKNOWN, detail="empty: names no drug")
        state = _State(arrowed=self._arrowed(text))
        mentions = self._read_group(_group(tokens), state)
        reading = self._reading(mentions, state, bool(state.allergy) and self._given(text, tokens))
        pair = _strength_pair(tokens, self._drug_words) if reading.drugs else None
        if pair is not None:
            # Against the name the strengths follow, not the whole line ("oxycodone 5/325 + ondansetron 4").
            named, strengths = self.read(" ".join(pair.name)).drugs or reading.drugs, pair.strengths
            if strengths.count("/") + 1 > sum(self._strengths.get(drug, 1) for drug in named) \
                    and self._premixed.isdisjoint(named):
                return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                    f"{strengths!r} after {' '.join(pair.name)!r} ({' and '.join(named)}) may be the strengths of "
                    f"{strengths.count('/') + 1} drugs, a ramp-up or a date: a product whose other drug is not "
                    "named is not guessed"))
        if reading.stopped and self._dated(tokens):
            # "posaconazole discontinued 11/28": which year, and which of day and month, is not guessed; nor is it
            # the day of the check, which the line says it is not.
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{reading.stopped!r} beside a date: when the order ended is not read from its text; give its last "
                "dose (stopped_on)"))
        step = self._step_named(text, tokens, reading) if reading.stopped else ""
        if reading.stopped and (state.stopped_amid or step):
            # Read as the order ended wherever it stood, "digoxin 0.125 mg daily, completed loading" dropped the rule
            # on digoxin's levels and "venetoclax ..., day 1 completed" the agent, the check said complete; so did
            # "x1 (completed) then 0.125 mg daily" and "- loading, completed", the word where a status stands.
            where = f"beside {step!r}" if not state.stopped_amid else (
                "beside other order text, not alone where a line states its status ('(discontinued)', "
                "'- discontinued', 'posaconazole stopped')")
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.stopped_amid or reading.stopped!r} {where}: whether the order has ended, or only a phase, a "
                "day or a dose of it, is not guessed; if it is still taken, list it without that word, if it has "
                "ended, give its last dose (stopped_on)"))
        systemic = [drug for drug in reading.drugs if drug in self._interacting]
        if state.local and systemic:
            return Reading((), UnrecognizedReason.NOT_REVIEWED, tuple(systemic), (
                f"{', '.join(systemic)} as {state.local[0]!r}: a local form; the knowledge base's rules are about "
                "systemic exposure, so it is not checked as if taken by mouth or by vein: judge how much of it "
                "this form lets through"))
        return reading

    def _arrowed(self, text: str) -> bool:
        """Whether the line holds an arrow and no "then" written as a word ("x 14 days -> hold").

        Read as "then", an arrow after a course ("x 14 days -> hold") was its days off to come, as "x 14 days then
        hold" is, and the order given; but an arrow is a switch (README): a hold now. Beside a "then" written as a word,
        the tokens do not tell which was the arrow, and the line reads as it did.
        """
        spelled = normalise(text)
        if ">" in spelled:
            spelled = self._spellings.arrow.sub("->", spelled)
        return any(arrow in spelled for arrow in self._arrows) and not _THEN_WORD.search(spelled)

    def _step_named(self, text: str, tokens: list[str], reading: Reading) -> str:
        """What in a line with a word of an ended order is more than one drug's order and that word, else "".

        Only a whole order's shape is read as ended: the drug's one-word name, then at most a dose in mg, a route and
        one frequency ("posaconazole 300mg PO daily (completed)", "[DISCONTINUED] posaconazole 300 mg"), with
        brackets, a dash, a comma or a semicolon. Anything else may be a step the word is about, and reviews kept
        finding more of them while they were listed ("x1 (completed) then 0.125 mg daily", "- loading, completed",
        "BID - PM dose, discontinued", "po daily - IV, discontinued", "- suspension, discontinued", "stopped?").
        """
        if "?" in text:
            return "?"
        said = normalise(reading.stopped).split()
        rest = [token for token in tokens if token not in _STATUS_MARKS and token not in said]
        if not rest or self.read(rest[0]).drugs != reading.drugs:
            return " ".join(rest[:2])
        steps = rest[1:]
        if len(steps) > 1 and _NUMBER.fullmatch(steps[0]) and steps[1] in _MASS_MG:
            steps = steps[2:]
        if steps and (steps[0],) in self._routes:
            steps = steps[1:]
        if steps and len(per_day := self.frequencies_named(steps[0])) == 1 and per_day[0]:
            steps = steps[1:]
        return steps[0] if steps else ""

    def _given(self, text: str, tokens: list[str]) -> bool:
        """Whether a line states a dose or a frequency: a medication taken, whatever else it says."""
        return any(_NUMBER.fullmatch(token) for token in tokens) or bool(self.frequencies_named(text))

    def _reading(self, mentions: list[_Mention], state: _State, given: bool = False) -> Reading:
        """What the mentions of a line name, unless a word was unknown or two names disagreed.

        `given`: the line states a dose or a frequency (`_given`), so an allergy word in it does not make it an
        allergy record.
        """
        if state.allergy and not given:
            # Read as taken, "posaconazole allergy" cut venetoclax to 70 mg; passed over, the allergy goes unsaid.
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.allergy!r}: the line records an allergy or intolerance, not a medication taken, so none of "
                "it is checked as taken; record it among the patient's allergies and list only what is taken"))
        if state.allergy and (state.conflicts or len(mentions) > 1):
            # "posaconazole 300 mg daily (voriconazole intolerance)": a dose is taken, but which drug the allergy
            # word belongs to is not guessed; the drugs are suggested (`suggest`), the check is incomplete.
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.allergy!r} beside a dose or frequency and several drugs: "
                "which is taken and which the allergy or intolerance is to is not guessed; list each medication "
                "taken on a line of its own, with its dose"))
        if state.change:
            # "venetoclax 400 mg daily - dec to 100 mg" was venetoclax and decitabine ("dec"), the dose unread.
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.change!r}: a change of dose; which dose is given now is not guessed: list the dose given"))
        if state.unknown:
            words = ", ".join(f"{w!r}" for w in dict.fromkeys(state.unknown))
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{words}: not a drug or order text the knowledge base or the broad vocabulary knows"))
        if state.conflicts:
            return Reading((), UnrecognizedReason.CONFLICT, detail="; ".join(dict.fromkeys(state.conflicts)))
        if not mentions:
            return Reading((), UnrecognizedReason.UNKNOWN,
                           detail="names no drug, only order text (strength, form, route, frequency)")
        if state.stopped and (state.held or state.condition):
            # "posaconazole discontinued (on hold)", "venetoclax stopped if ANC < 500": ended, on hold for now, or
            # to end only when the condition holds.
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.stopped!r} beside {(state.held or state.condition)!r}: whether the order has ended is not "
                "guessed; say so in the order's own fields (its last dose as stopped_on, or held)"))
        combination = self._combination(mentions)
        held = bool(state.held)
        if combination is not None:
            return Reading((combination,), UnrecognizedReason.UNSPECIFIED, held=held, stopped=state.stopped)
        if held and state.condition:
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.held!r} with a condition ({state.condition!r}): whether the order is on hold now or only "
                "when the condition holds is not guessed; say which in the order's own fields"))
        if (held or state.stopped) and len(mentions) > 1:
            return Reading((), UnrecognizedReason.UNKNOWN, detail=(
                f"{state.held or state.stopped!r} beside {' and '.join(repr(m.text) for m in mentions)}: which of "
                f"them {'is on hold' if held else 'has ended'} is not guessed; list each on a line of its own"))
        unreviewed = tuple(dict.fromkeys(n for m in mentions if not m.reviewed for n in m.broad))
        if unreviewed:
            return Reading((), UnrecognizedReason.NOT_REVIEWED, unreviewed, (
                f"{', '.join(unreviewed)}: a real drug whose interactions the knowledge base has not reviewed"))
        regimen = self._regimens.get(mentions[0].text, "") if len(mentions) == 1 else ""
        return Reading(tuple(dict.fromkeys(n for m in mentions for n in m.reviewed)), UnrecognizedReason.UNSPECIFIED,
                       regimen=regimen, held=held, stopped=state.stopped)

    def _read_group(self, group: _Group, state: _State, edge: bool = True) -> list[_Mention]:
        """The drugs one group names, in order; conflicts and unknown words go to `state`.

        `edge`: whether the group opens or ends the line, where a bracket may state the line's status.
        """
        items = group.items
        note = group.kind == "(" and bool(items) and isinstance(items[0], str) and bool(_NUMBER.fullmatch(items[0]))
        clauses: list[_Mention] = []
        current: _Mention | None = None
        previous_is_drug = False
        switched = ""  # "then" (or an arrow, or "now") opens the clause: what follows replaces what went before
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, _Group):
                inner = self._read_group(item, state, not group.kind and i in (0, len(items) - 1))
                previous_is_drug = False
                i += 1
                if not inner:
                    continue  # a note ("(PF)", "(65 mg iron)"): it names nothing
                # "{...}" parts of a pack, or a bracket that begins by joining ("(with posa)", "(+ aza)"): drugs of
                # their own, never the brand of the drug before them.
                if group.kind == "{" or item.kind == "{" or self._joins(item):
                    if current:
                        clauses.append(current)
                    current = None
                    clauses.extend(inner)
                    continue
                named = self._union(inner)
                so_far = [*clauses, current] if current else clauses
                if not so_far:
                    current = named
                    continue
                # "[Brand]" names the whole product; "(BRAND)" the drug just named, or all of them.
                agreed = (self._agree(current, named) if current and item.kind == "(" else None) or self._agree(
                    self._union(so_far), named)
                if agreed is None:
                    state.conflicts.append(_conflict(self._union(so_far), named))
                elif current and item.kind == "(" and self._agree(current, named):
                    current = agreed
                else:
                    clauses[:], current = [agreed], None
                continue
            length, mention, flags = self._match(items, i, previous_is_drug, note, state)
            if flags & _STOPPED and not state.stopped_amid and not _states_status(group, i, length, previous_is_drug,
                                                                                      edge):
                state.stopped_amid = " ".join(map(str, items[i:i + length]))
            if mention is not None and self._day_of_course(items, i, length,
                                                           [*clauses, current] if current else clauses):
                mention = None  # "venetoclax 100 mg D1, 200 mg D2, 400 mg D3": day 3, not vitamin D3 as well
            if mention is not None:
                if current is None:
                    # "posaconazole, then fluconazole", "posaconazole, now fluconazole": a switch, as without the comma;
                    # read as a list of both, the drug switched from was counted as taken, the check complete (s19).
                    before = self._union(clauses) if switched and clauses else None
                    if before and self._agree(before, mention) is None \
                            and not self._a_regimen_plan(switched, clauses[-1], mention, state.arrowed):
                        state.conflicts.append(f"{_conflict(before, mention)} (a switch)")
                    current = mention
                else:
                    agreed = self._agree(current, mention)
                    if agreed is None:
                        state.conflicts.append(
                            f"{_conflict(current, mention)} (nothing between them says how they go together)")
                    else:
                        current = agreed
                previous_is_drug = True
            else:
                # A separator ends what "then" switched to ("..., then 300 mg daily; acyclovir": a list again).
                word = item if isinstance(item, str) and item in _SWITCHES else ""
                switched = (switched or word) if current is None and not flags & _SEPARATOR else ""
                if flags & _SEPARATOR:
                    if current:
                        clauses.append(current)
                    current = None
                elif flags & _SALT and not previous_is_drug and not self._drug_follows(items, i + length):
                    state.unknown.append(" ".join(str(t) for t in items[i:i + length]))
                previous_is_drug = previous_is_drug and bool(flags & _SALT)
            i += length
        if current:
            clauses.append(current)
        return clauses

    def _a_regimen_plan(self, switched: str, before: _Mention, after: _Mention, arrowed: bool) -> bool:
        """Whether the switch word `switched` from the list's item right before it to `after` is a plan, no switch.

        A regimen's plan ("azacitidine 75 mg/m2 D1-7, then venetoclax 400 mg D1-28", "7+3, then HiDAC") names its
        drugs in turn, and read as a switch the line was a CONFLICT, venetoclax unchecked (s19 fixer R); a change of
        one drug's dose ("acyclovir 400 mg BID, posaconazole 300 mg BID x 2 doses, then posaconazole 300 mg daily")
        drops nothing, and an item listed before that one ("posaconazole; azacitidine, then venetoclax") is not the
        "then"'s. Only regimen drugs may come or go: a co-medication switched to ("posaconazole, then fluconazole")
        may replace the one before: a CONFLICT. Only "then" written as a word plans: "now" and an arrow (`arrowed`: the
        line's "then" is an arrow) are a switch.
        """
        return switched == _THEN and not arrowed and before.names ^ after.names <= self._regimen_drugs

    def _day_of_course(self, items: list[str | _Group], at: int, length: int, before: list[_Mention]) -> bool:
        """Whether a one-word name at `at` is a day of a course after an agent's dose ("venetoclax 400 mg D3").

        A day's label ("D3") right after a mass, with no strength of its own after it ("calcium 600 mg D3 400 IU" names
        vitamin D3), in a line that has named a targeted agent: a drug named so there was a drug the patient does not
        take ("D3" is a synonym of cholecalciferol).
        """
        token, mass, number = items[at], items[at - 1] if at else "", items[at - 2] if at > 1 else ""
        if length != 1 or not isinstance(token, str) or not _ONE_DAY.fullmatch(token) \
                or not isinstance(number, str) or mass not in _MASS_MG or not _NUMBER.fullmatch(number) \
                or self._number_before(items, at + 1, self._units):
            return False
        return any(drug in self._agents for mention in before for drug in mention.reviewed)

    def _joins(self, group: _Group) -> bool:
        """Whether a bracket begins with a separator ("(with posa)", "(w/ voriconazole)", "(+ aza)")."""
        return group.kind == "(" and bool(group.items) and isinstance(group.items[0], str) \
            and bool((self._words.longest(group.items, 0)[1] or 0) & _SEPARATOR)

    def _agree(self, first: _Mention, second: _Mention) -> _Mention | None:
        """One mention for two that name the same drug, else None.

        The same drugs (the reviewed mention is kept), or one drug and a brand it shares with another
        ("fosaprepitant (EMEND)": fosaprepitant).
        """
        if first.names == second.names:
            return first if first.reviewed or not second.reviewed else second
        if len(first.names) == 1 and first.names <= self._shared_brands.get(second.text, frozenset()):
            return first
        if len(second.names) == 1 and second.names <= self._shared_brands.get(first.text, frozenset()):
            return second
        return None

    def _union(self, mentions: Iterable[_Mention]) -> _Mention:
        """Several mentions as one (a product and its brand are compared as wholes)."""
        mentions = list(mentions)
        text = " / ".join(m.text for m in mentions)
        combination = self._combination(mentions)
        if combination is not None:
            return _Mention(text, (combination,), ())
        reviewed = all(m.reviewed for m in mentions)
        names = tuple(dict.fromkeys(n for m in mentions for n in (m.reviewed or m.broad)))
        return _Mention(text, names, ()) if reviewed else _Mention(text, (), names)

    def _combination(self, mentions: list[_Mention]) -> str | None:
        """The combination reviewed as one drug whose ingredients the mentions name, if exactly those.

        RxNorm writes a fixed-dose combination by its ingredients: `sulfamethoxazole 800 MG / trimethoprim 160 MG`.
        """
        if len(mentions) < 2 or not self._combined:
            return None
        return self._combined.get(frozenset(n for m in mentions for n in (m.reviewed or m.broad)))

    def _match(self, items: list[str | _Group], i: int, after_drug: bool, note: bool,
               state: _State) -> tuple[int, _Mention | None, int]:
        """What starts at items[i]: (length, a drug mention or None, role flags of order text)."""
        token = items[i]
        assert isinstance(token, str)
        reviewed_length, reviewed = self._drugs.longest(items, i)
        if (reviewed_length > 1 and items[i + reviewed_length - 2] != "#"
                and self._number_before(items, i + reviewed_length - 1, self._strength_follows)):
            # "Tylenol 4 mg/2 mL" is Tylenol at 4 mg, not the product "Tylenol 4" (with codeine); in
            # "Tylenol 3 tabs" the 3 may be either, and the product, which drops no drug, is read;
            # "Tylenol #3" is the product whatever follows.
            reviewed_length, reviewed = self._drugs.longest(items[:i + reviewed_length - 1], i)
        unreviewed = reviewed is not None and reviewed[0] in self._unreviewed
        if unreviewed and self._broad.longest(items, i)[0] > reviewed_length:
            reviewed_length = 0  # a longer name of the broad vocabulary: "iron sucrose", not "iron"
        word_length, word = self._words.longest(items, i)
        flags = word or 0
        if note and flags & _ELEMENTAL and word_length >= reviewed_length:
            return word_length, None, _SKIP
        flags &= ~_ELEMENTAL
        if not flags:
            word_length = 0
        # An unreviewed name that is also a salt ("potassium") is the salt beside a drug on either side.
        salt_wins = bool(flags & _SALT) and word_length >= reviewed_length and (
            after_drug or (unreviewed and self._drug_follows(items, i + reviewed_length)))
        if reviewed_length and reviewed_length >= word_length and not salt_wins:
            components = reviewed or ()
            text = " ".join(map(str, items[i:i + reviewed_length]))
            self._check_suffixes(items, i, reviewed_length, components, state)
            if self._product_suffix(items, i + reviewed_length, text, components, state):
                return reviewed_length + 1, None, 0
            if text in self._local_brands:
                state.local.append(f"{text} ({self._local_brands[text]})")
            if unreviewed:
                return reviewed_length, _Mention(text, (), components), 0
            return reviewed_length, _Mention(text, components, ()), 0
        broad_length, broad = self._broad.longest(items, i)
        self._check_suffixes(items, i, max(word_length, broad_length, 1), (), state)
        if word_length and word_length >= broad_length:
            if flags & _SUPPLY and after_drug:
                # "acetaminophen #3": right after a name, a number may name another product of it (Tylenol #3)
                state.unknown.append(" ".join(map(str, items[i:i + word_length])))
                return word_length, None, 0
            if flags & _CHANGE:
                state.change = state.change or " ".join(map(str, items[i:i + word_length]))
                return word_length, None, 0
            if flags & _MARKER:
                vehicle_length = self._vehicle(items, i + word_length)
                if vehicle_length:
                    return word_length + vehicle_length, None, _SKIP
                if flags == _MARKER:
                    state.unknown.append(token)
                    return 1, None, 0
            if flags & (_LOCAL | _HELD | _CONDITION | _ALLERGY | _STOPPED):
                text = " ".join(map(str, items[i:i + word_length]))
                if flags & _LOCAL:
                    state.local.append(text)
                # "hold D22-28", "hold days 22-28", "hold after day 14": the course's days off, not an order on hold.
                if flags & _HELD and not state.held and not self._days_follow(items, i + word_length) \
                        and (state.arrowed or not self._after_a_course(items, i)) \
                        and not (text == _HOLD and self._hold_to_come(items, i + word_length)):
                    state.held = text
                if flags & _CONDITION and not state.condition:
                    state.condition = text
                if flags & _ALLERGY and not state.allergy:
                    state.allergy = text
                if flags & _STOPPED and not state.stopped:
                    state.stopped = text
            elif not state.held and word_length > 1 and self._held_for_a_time(items, i, word_length):
                state.held = " ".join(map(str, items[i:i + word_length]))
            elif (i + word_length < len(items) and tuple(items[i:i + word_length]) in self._ended_holds) \
                    or (items[i + word_length - 1] == _OFF and not self._days_given_before(items, i, word_length)):
                # "off hold 12/20": released later, so on hold now? "voriconazole 200 mg BID - 3 days off": paused?
                state.unknown.append(" ".join(map(str, items[i:i + word_length])))
            return word_length, None, flags & ~_MARKER
        if broad_length:
            canonical = broad or ()
            text = " ".join(map(str, items[i:i + broad_length]))
            if self._reviewed_names.intersection(canonical):
                # Another spelling of a reviewed drug (a foreign or misspelt name): never corrected.
                state.unknown.append(text)
                return broad_length, None, 0
            if self._product_suffix(items, i + broad_length, text, canonical, state):
                return broad_length + 1, None, 0
            return broad_length, _Mention(text, (), canonical), 0
        if token == _HYPHEN:
            return 1, None, _SEPARATOR
        if _NUMBER.fullmatch(token) or token == _DATE or self._days_counted(items, i) or (
                self._patterns is not None and self._patterns.fullmatch(token)):
            return 1, None, _SKIP
        state.unknown.append(token)
        return 1, None, 0

    def _days_counted(self, items: list[str | _Group], at: int) -> bool:
        """Whether a unit of time at `at` ends a course's count: "d" of "x 14 d", "for 5 d", "wk" of "x 2 wk".

        As "x14d" is read. Its other readings (a brand's suffix: "Claritin-D"; vitamin D) are never after a count:
        "'d': not a drug or order text", the line unread, the check incomplete (s20 helper R6). Only the units of time
        of a FHIR period (`_HOURS`) that are course words (names.toml): any course word took "x 2 c" and "for 2 month"
        too (review R6), which were unread before, and "c" may be "with" (c-bar) as much as cycles.
        """
        if at < 2:
            return False
        word, count, unit = (item if isinstance(item, str) else "" for item in items[at - 2:at + 1])
        return word in self._course and unit in self._course and unit in _HOURS and bool(_NUMBER.fullmatch(count))

    def _held_for_a_time(self, items: list[str | _Group], at: int, length: int) -> bool:
        """Whether a phrase of order text beginning with a hold word is followed by how long ("hold for 7 days").

        "hold for" is a hold parameter's start ("Hold for ANC < 500": a condition of a running order); followed by
        a time, the order is on hold. The phrase must end in a course word ("for"), which makes the time how long.
        """
        if items[at] not in self._hold_words or items[at + length - 1] not in self._course:
            return False
        following = [item if isinstance(item, str) else "" for item in items[at + length:at + length + 2]]
        return len(following) == 2 and bool(_NUMBER.fullmatch(following[0])) and following[1] in self._course

    def _days_given_before(self, items: list[str | _Group], at: int, length: int) -> bool:
        """Whether the days given of a pattern come before its days off at `at` ("5 days on, 2 days off").

        Also the days of a course ("x 14 days, 14 days off", "days 1-14, 14 days off"), or the days off are a range of
        the course's days ("days off 15-28", as "hold days 15-28" is): each line was unrecognised (s19 probe R). Alone,
        days off ("voriconazole 200 mg BID - 3 days off") may say the drug is paused now: not guessed.
        """
        if self._paused_now(items, at, length):
            return False
        days_on = [*items[at:at + length - 1], _ON]
        if any(items[start:start + length] == days_on for start in range(at)):
            return True
        words = [item if isinstance(item, str) else "" for item in items]
        if any(self._a_course_at(words[:at], start) or self._days_follow(items, start) for start in range(at)):
            return True
        return _a_range(words, at + length)

    @staticmethod
    def _paused_now(items: list[str | _Group], at: int, length: int) -> bool:
        """Whether "now" comes right before a pattern's days off at `at` or anywhere after them: paused now?

        "x 7 days, now 3 days off", "x 14 days, 14 days off, now day 20": each was read as the pattern, the drug counted
        as taken, complete (s19 review R, review 3).
        """
        return _NOW in items[max(at - 2, 0):at] or _NOW in items[at + length:]

    @staticmethod
    def _hold_to_come(items: list[str | _Group], at: int) -> bool:
        """Whether the instruction "hold" begins on a day of the course still to come: its days off, the order given.

        Written "hold after day 14", "hold after D14", "hold after 14 days", "hold starting (on) day 15". After or
        starting anything else ("now", a date, "C1", "1 dose") the hold may be now, or whether its time has come is
        unknown: a hold, as a hold on a day is ("HOLD day 15"). Only after "hold" itself: "held after 14 days", "on hold
        starting day 15" say the order is on hold now (review 3 of s18).
        """
        word, *rest = [*(item if isinstance(item, str) else "" for item in items[at:at + 4]), "", "", "", ""][:4]
        first, second = rest[1:3] if rest[0] == "on" else rest[:2]
        on_a_day = (first == "day" and bool(_NUMBER.fullmatch(second))) or bool(_ONE_DAY.fullmatch(first))
        if word == "starting":
            return on_a_day
        return word == "after" and (on_a_day or (bool(_NUMBER.fullmatch(first)) and second in _LONG_AS_DAYS))

    def _days_follow(self, items: list[str | _Group], at: int) -> bool:
        """Whether a range of a course's days begins at `at` ("D22-28", "days 22-28"): its days off.

        Also written "on days 15-28", "days 15 to 28", "day 15 through 28" and within a cycle "C1D15-28" (each was read
        as a hold now). Only a range: "hold x 7 days", "hold day 15" or "hold d1" say when or how long the order is on
        hold.
        """
        following = [item if isinstance(item, str) else "" for item in items[at:at + 5]]
        if following[:1] == ["on"]:
            following = following[1:]
        first = following[0] if following else ""
        if "-" in first and first.startswith("d") and self._patterns is not None and self._patterns.fullmatch(first):
            return True
        if _CYCLE_DAY.fullmatch(first):
            day = first.rsplit("d", 1)[1]
            if day == "1":
                return False  # "hold C2D1-7": more often the cycle delayed, a hold, as "hold C2 D1-7" is (review 1)
            following = ["d", day, *following[1:]]  # "c1d15 - 28": "d 15 - 28"
        return bool(following) and following[0] in ("day", "days", "d") and _a_range(following, 1)

    def _after_a_course(self, items: list[str | _Group], at: int) -> bool:
        """Whether "then" after the days of a course comes right before `at` ("x 14 days then hold", "days 1-14, then").

        A hold after them is the course's days off to come, as "hold days 15-28" is; after anything else "then hold"
        (and an arrow, which reads "then": "400 mg -> hold") is a change to a hold now.
        """
        return at > 0 and items[at - 1] == _THEN and self._a_course_ends(items[:at - 1])

    def _a_course_ends(self, items: list[str | _Group]) -> bool:
        """Whether `items` end with the days of a course, a list's separators and a bracket after them aside.

        The course's count ("x 14 days", "for 2 weeks", "x14 days", "x14d"), its last day ("D14", "day 14", "C1D14",
        "14d") or its range ("days 1-14", "D1-14"), also in a bracket ("x 14 days (D1-14)", "daily (days 1-14)"), and
        before ",", ";" or "-" ("D1-14 - then hold"): each was read as a hold now (s19 probe R, review R, review 3),
        HOLD 0 mg of an order still given.
        """
        end = len(items)
        while end and items[end - 1] in _BEFORE_THEN:
            end -= 1
        items = items[:end]
        last_item = items[-1] if items else None
        if isinstance(last_item, _Group):
            return self._a_course_ends(last_item.items) or self._a_course_ends(items[:-1])
        number, last = ["", "", *(item if isinstance(item, str) else "" for item in items[-2:])][-2:]
        if (_NUMBER.fullmatch(number) or _GLUED_COUNT.fullmatch(number)) and last in self._course:
            return True  # "x 14 days", "for 2 weeks", "x14 days"
        glued = _GLUED_COURSE.fullmatch(last)
        if glued and glued.group(1) in self._course:
            return True  # "x14d", "x14days", "x2wk"
        if (number in ("day", "d") and _NUMBER.fullmatch(last)) or (
                _LAST_DAY.fullmatch(last) and not self._ends_a_name(items, end - 2, end)):
            return True  # "day 14", "D14", "C1D14", "14d"; not "vitamin D3", a drug's name (s19 review R)
        return any(start >= 0 and self._days_follow(items, start) for start in (end - 4, end - 1))

    def _ends_a_name(self, items: list[str | _Group], start: int, end: int) -> bool:
        """Whether `items[start:end]` is a drug's name of the dictionary or the broad vocabulary ("vitamin D3")."""
        return start >= 0 and end - start in (self._drugs.longest(items, start)[0],
                                             self._broad.longest(items, start)[0])

    def _product_suffix(self, items: list[str | _Group], after: int, text: str, names: tuple[str, ...],
                        state: _State) -> bool:
        """Whether a name is followed by what may name another product of it, noted as unknown if so.

        A word of names.toml's `product_suffix` ("Tylenol PM" and "guaifenesin AC" hold diphenhydramine
        and codeine too), or after a brand a number with no unit ("Tylenol #3" holds codeine; "Zofran
        4 mg", "Bactrim 800/160 mg" are strengths, "Bactrim DS 1 tab" a count; after a name of
        `unnumbered`, "Venclexta 400", the number is a strength): the whole is unknown, never read as
        the name alone.
        """
        suffix = items[after] if after < len(items) else None
        if not isinstance(suffix, str):
            return False
        numbered = text not in names and text not in self._unnumbered and bool(_NUMBER.fullmatch(suffix)) \
            and not self._number_before(items, after, self._measure_follows)
        if suffix not in self._product_suffixes and not numbered:
            return False
        if not numbered and (self._words.longest([suffix], 0)[1] or 0) & _SEPARATOR \
                and self._drug_follows(items, after + 1):
            return False  # "plus" between two names joins them ("venetoclax plus azacitidine")
        state.unknown.append(f"{text} {suffix}")
        return True

    @staticmethod
    def _number_before(items: list[str | _Group], at: int, following: frozenset[str]) -> bool:
        """Whether items[at] is a number and a word of `following` comes next: "4 mg", "5 / 325"."""
        number, after = [*items[at:at + 2], "", ""][:2]
        return isinstance(number, str) and bool(_NUMBER.fullmatch(number)) and isinstance(after, str) \
            and after in following

    def _drug_follows(self, items: list[str | _Group], i: int) -> bool:
        return i < len(items) and (self._drugs.longest(items, i)[0] > 0 or self._broad.longest(items, i)[0] > 0)

    def _vehicle(self, items: list[str | _Group], start: int) -> int:
        """Length of "0.9 % sodium chloride 100 mL"-like text at `start` naming a vehicle, else 0.

        A volume alone is a vehicle too, its diluent not named ("potassium chloride 20 mEq in 100 mL IVPB").
        """
        j = start
        while j < len(items):
            length, _ = self._vehicles.longest(items, j)
            if length:
                return j + length - start
            token = items[j]
            if not isinstance(token, str) or not (_NUMBER.fullmatch(token) or token == "/" or (
                    (self._words.longest(items, j)[1] or 0) & _SKIP)):
                break
            j += 1
        return 2 if self._number_before(items, start, self._units) else 0

    def _check_suffixes(self, items: list[str | _Group], start: int, length: int, components: tuple[str, ...],
                        state: _State) -> None:
        """A biosimilar suffix is read only at the end of a biologic's name; anywhere else it is unknown."""
        for index in range(start, min(start + length, len(items))):
            token = items[index]
            if isinstance(token, _Suffixed) and not (
                    components and index == start + length - 1 and all(
                        any(word.endswith(stem) for stem in self._biologic_stems for word in name.split())
                        for name in components)):
                state.unknown.append(f"{token}-{token.suffix}")

    # --- suggestions --------------------------------------------------------------------------------

    def _completions(self, word: str) -> list[str]:
        """Names that begin with `word`, a name cut short ("posacon", "amio", "itra"), in name order."""
        if len(word) < SHORTEST_COMPLETED or not word.isalpha():
            return []
        at = bisect.bisect_left(self._choices, word)
        return list(takewhile(lambda choice: choice.startswith(word), self._choices[at:at + MAX_SUGGESTIONS * 4]))

    def _suggest(self, text: str) -> tuple[str, ...]:
        """Up to three reviewed names: those `text` names beside its unknown words, then those close to them.

        "venetoclax 400 mg daily of each 28-day cycle" suggests venetoclax: the line is about it, and its unknown
        word names nothing.
        """
        reading = self.read(text)
        if reading.reason is not UnrecognizedReason.UNKNOWN:
            return ()
        state = _State()
        tokens = self._tokens(text)
        mentions = self._read_group(_group(tokens), state)
        if state.allergy and not self._given(text, tokens):
            return ()  # an allergy record: naming its drug would invite listing it as taken
        suggestions: dict[str, None] = dict.fromkeys(drug for mention in mentions for drug in mention.reviewed)
        for word in dict.fromkeys(state.unknown):
            matches = [choice for choice, _score, _index in process.extract(
                word, self._choices, scorer=Levenshtein.normalized_similarity, score_cutoff=SUGGESTION_CUTOFF,
                limit=MAX_SUGGESTIONS * 4) if choice[0] == word[0]]
            for choice in dict.fromkeys([*matches, *self._completions(word.split()[0])]):
                components = self.resolve(choice) or ()
                shown = self._display.get(choice) or (components[0] if len(components) == 1 else choice)
                suggestions[shown] = None
        return tuple(suggestions)[:MAX_SUGGESTIONS]


_DOSING_VERBS: Final = frozenset({"take", "takes", "give"})
"""The words before a count of tablets that make it a dose ("take 4 tablets"), not a pack's or a supply's."""
_SUPPLIED: Final = frozenset({"(", "of", "x"})
"""Words before a count of tablets that make it a pack ("(14 tablets)", "pack of 14"), not a dose (a supply's count,
"Disp: 120 tablet", is no dose at all: names.toml's `supply` words)."""
_PER: Final = frozenset({"/", "per"})
"""The words that, starting one of names.toml's `[[administrations]]` ("/ day", "per 24 hours"), make a dose per day."""
_GLUED_COUNT: Final = re.compile(r"x(\d+)|(\d+)x")
"""A count glued to "x" (ISMP's "times": "x2", "2x"), a pattern of order text that names.toml skips."""
_TIMES_WORD: Final = "x"
"""Times after a number ("2 x daily"), a course's count before one ("x 28": names.toml's `course` words)."""
_NOT_DAILY: Final = 0
"""The count a day of a schedule that gives no whole number of doses a day ("every other day", "PRN"): none adds up."""
_NO_SCHEDULE: Final = -1
"""The count a day, while a line is read, of words naming no schedule of their own (names.toml's `unscheduled`: "as
directed"; an interval as long as a cycle, the cycle beside a daily count): beside a count, that count; alone, none."""
_INTERVAL_STARTS: Final = frozenset({"q", "every"})
"""The words before an interval written apart ("q 48 hrs", "every 36 hours")."""
_DOSING_TIME_SLOTS: Final = frozenset({"0", "1"})
"""What a slot of European dosing times may hold ("1-0-1"): a dose at that time of day or none (`_dosing_times`)."""
_GLUED_INTERVAL: Final = re.compile(r"q\.?(\d+(?:\.\d+)?)(-\d+)?([a-z]+)")
"""An interval as one word ("q36h", "q.24h", "q4-6h", "q4d"), as names.toml's pattern of such words reads them."""
_NUMBER_WORDS: Final = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "eight": "8",
                         "twelve": "12"}
"""The numbers names.toml's order text spells out, in an interval ("every twelve hours": it was no frequency, and
venetoclax 400 mg so ordered was checked as once daily)."""
_UNIT_HOURS: Final = {"min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60, "h": 1, "hr": 1, "hrs": 1,
                      "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24, "w": 168, "wk": 168, "wks": 168,
                      "week": 168, "weeks": 168}
"""The units of an interval, in hours."""
_INTERVAL_UNIT_APART: Final = re.compile(
    rf"\bq\.?(\d+) (?=(?:{'|'.join(sorted(_UNIT_HOURS, key=len, reverse=True))})\b)")
"""An interval's number glued to "q" with its unit apart ("q24 hours", "q12 hrs"): read as written all apart ("q 24
hours"). Such lines were unrecognised; a number glued to "q" with no unit ("q24") stays so (hours, days or doses?)."""
_JOINING: Final = frozenset({"and", "&"})
"""Between two frequencies, a word that adds them up ("qam and qpm": twice a day)."""
_THEN: Final = "then"
"""names.toml's filler word of a change of dose ("100 mg qam then 200 mg qpm"); arrows are spelt as it."""
_NOW: Final = "now"
"""What the line says holds today: after a list's separator a switch (`_SWITCHES`); beside days off, paused now?"""
_SWITCHES: Final = frozenset({_THEN, _NOW})
"""After a list's separator and before a drug, words of a switch to it ("posaconazole, then fluconazole", "posaconazole;
now fluconazole"): the drug before may have been stopped, so the line is a CONFLICT (`MedicationReader._read_group`)."""
_THEN_WORD: Final = re.compile(rf"\b{_THEN}\b")
_HOLD: Final = "hold"
"""The instruction to hold, which may say when a hold to come begins (`MedicationReader._hold_to_come`)."""
_ONE_DAY: Final = re.compile(r"d\d+")
"""One day of a course as one token ("D1", "d8"); "D1-21" is a range."""
_CYCLE_DAY: Final = re.compile(r"c\d+d\d+")
"""One day of a cycle as one token ("C1D15"): before "- 28", the range of that cycle's days 15 to 28."""
_LAST_DAY: Final = re.compile(r"(?:c\d+)?d\d+|\d+d")
"""A day of a course as one token ("D14", "C1D14", the days' count "14d"): before "then", the course's last day."""
_GLUED_COURSE: Final = re.compile(r"x\d+([a-z]+)")
"""A course's count glued to "x" and its unit ("x14d", "x2wk"): the unit, a course word, makes it days, not doses."""
_BEFORE_THEN: Final = frozenset({",", ";", _HYPHEN})
"""A list's separators between a course and its "then" ("x 14 days; then hold", "D1-14 - then hold")."""
_COUNTS: Final = frozenset({_TIMES_WORD, "for", "times", "dose", "doses"})
"""Course words that count doses, not time: "100 mg x 4 doses" may be four tablets at once, so no course of days."""
_LONG_AS_DAYS: Final = frozenset({"day", "days", "week", "weeks"})
"""Course words of how long in days ("after 14 days"), not in doses or cycles ("after 1 dose", "after 2 cycles")."""
_ON: Final = "on"
_OFF: Final = "off"
"""The last words of a pattern's days given and not ("5 days on, 2 days off")."""
_RANGE_TO: Final = frozenset({"-", "to", "through", "thru"})
"""Between two days, the words of a range ("days 15-28", "days 15 to 28", "day 15 through 28")."""
_SAME_MG: Final = 1e-6
"""Two masses within this are the same: a count times a strength is computed in floats ("3 x 17.7 mg")."""
MAX_TABLETS_COUNTED = 20
"""The most tablets or capsules read as one dose ("take 8 tablets"); more is no dose count (a supply: "#120")."""
SHORTEST_COMPLETED = 4
"""The fewest letters a cut-short name ("posacon", "amio") is completed from: three would suggest at random."""


class _StrengthPair(NamedTuple):
    name: tuple[str, ...]
    """The name's tokens the strengths follow ("amlodipine", "/", "benazepril")."""
    strengths: str
    """As written: "5/325"."""


def _dosing_times(tokens: list[str], at: int) -> tuple[tuple[str, ...], int]:
    """European dosing times starting at `at` ("1-0-1", "1-0-0-1") and their count a day, else ((), 0).

    Each slot is a dose or none at a time of day: morning, noon, evening[, night].
    Not read before (s19 review R): "gilteritinib 120 mg 1-0-1", or "1-0-1" in the frequency field, was the label's
    once daily with no finding, 240 mg a day checked as 120. Only slots of 0 or 1: "3-0-0" is three tablets each
    morning, and its dose stays unread, not the strength's 40 mg. Not part of a longer run of hyphened numbers (a date
    "2026-1-0-1", "1-0-1-0-1"), and never all noughts.
    """
    if at and tokens[at - 1] == _HYPHEN:
        return (), 0
    for slots in (4, 3):
        end = at + 2 * slots - 1
        phrase = tuple(tokens[at:end])
        if (len(phrase) == end - at and all(slot in _DOSING_TIME_SLOTS for slot in phrase[::2])
                and all(joint == _HYPHEN for joint in phrase[1::2]) and tokens[end:end + 1] != [_HYPHEN]):
            count = phrase[::2].count("1")
            return (phrase, count) if count else ((), 0)
    return (), 0


def _interval(tokens: list[str], at: int, shortest_cycle_hours: float) -> tuple[tuple[str, ...], int]:
    """An interval starting at `at` ("q36h", "q 48 hrs", "every 36 hours", "q4d") and its count a day, else ((), 0).

    Read by its arithmetic, not only where names.toml lists it: q<N>h is 24/N doses a day when N divides 24 ("q8h": 3);
    any other interval is no count a day (`_NOT_DAILY`: "q36h", "q4-6h", "q30min", "q4d"), one at least as long as
    the shortest cycle no schedule of its own (`_NO_SCHEDULE`: the cycle beside a daily count, "daily x 14 days q28d").
    It was passed as order text, and "gilteritinib 120 mg q36h", "venetoclax 400 mg q4d" were checked as given daily,
    with no finding; a shorter interval of days was the cycle too, and "gilteritinib 120 mg qAM q4 days" so checked.
    """
    token = tokens[at]
    if token[:1] != "q" and token not in _INTERVAL_STARTS:
        return (), 0  # most words: no regular expression tried
    glued = _GLUED_INTERVAL.fullmatch(token)
    if glued:
        every, ranged, unit = glued.group(1), bool(glued.group(2)), glued.group(3)
    elif token in _INTERVAL_STARTS:
        words = [*tokens[at + 1:at + 5], "", "", "", ""]
        ranged = words[1] == _HYPHEN and bool(_NUMBER.fullmatch(words[2]))  # "q 4 - 6 h"
        every, unit = _NUMBER_WORDS.get(words[0], words[0]), words[3] if ranged else words[1]
        if not _NUMBER.fullmatch(every):
            return (), 0
    else:
        return (), 0
    hours = _UNIT_HOURS.get(unit)
    if hours is None:
        return (), 0
    phrase = tuple(tokens[at:at + (1 if glued else 5 if ranged else 3)])
    interval = float(every) * hours
    per_day = 24 / interval if interval else 0.0
    if not ranged and per_day == int(per_day) and 1 <= per_day <= 24:
        return phrase, int(per_day)
    # In hours ("q504h"), an interval is never written as a cycle.
    cycle = hours >= 24 and interval >= shortest_cycle_hours
    return phrase, _NO_SCHEDULE if cycle and not ranged else _NOT_DAILY


def _strength_pair(tokens: list[str], name_words: set[str]) -> _StrengthPair | None:
    """The first run of numbers joined by slashes right after a drug's name ("oxycodone 5/325").

    None when there is none: a fraction ("1/2 tab"), a strength per volume ("5000/0.5 mL"), and runs after
    other words (a date "on 11/28", a ramp-up "ramp-up 100/200/400") are not a product's strengths.
    """
    for i in range(1, len(tokens) - 2):
        before = tokens[i - 1]
        if not (before in name_words and before != "/" and not _NUMBER.fullmatch(before)
                and _NUMBER.fullmatch(tokens[i]) and tokens[i + 1] == "/" and _NUMBER.fullmatch(tokens[i + 2])):
            continue
        end = i + 3
        while end + 1 < len(tokens) and tokens[end] == "/" and _NUMBER.fullmatch(tokens[end + 1]):
            end += 2
        numbers = tokens[i:end:2]
        fraction = len(numbers) == 2 and numbers[1] in ("2", "3", "4") and float(numbers[0]) < float(numbers[1])
        if not fraction and (end == len(tokens) or tokens[end] not in ("ml", "l")):
            start = i - 1
            while start and tokens[start - 1] in name_words and not _NUMBER.fullmatch(tokens[start - 1]):
                start -= 1
            return _StrengthPair(tuple(tokens[start:i]), "/".join(numbers))
    return None


def _in_date(tokens: list[str]) -> set[int]:
    """The positions of the numbers of dates with a year of four digits ("11/28/2026", "28/11/2026", "2026-11-28").

    Only a day and a month that can be one: a ramp-up ("20/50/100/200/400") or a dose is never a date.
    """
    dates: set[int] = set()
    for at in range(len(tokens) - 4):
        first, joint, second, again, third = tokens[at:at + 5]
        if joint not in ("/", _HYPHEN) or again != joint or (at + 5 < len(tokens) and tokens[at + 5] == joint) \
                or not all(part.isdigit() for part in (first, second, third)):
            continue
        if len(first) == _YEAR_DIGITS and joint == _HYPHEN:
            year, day_month = first, (int(second), int(third))
        elif len(third) == _YEAR_DIGITS:
            year, day_month = third, (int(first), int(second))
        else:
            continue
        if year.startswith("20") and _a_day_and_month(*day_month):
            dates.update((at, at + 2, at + 4))
    return dates


_YEAR_DIGITS: Final = 4
_DOTTED_DATE: Final = re.compile(r"\d{1,2}\.\d{1,2}")
"""The day and month of a dotted date ("28.11.2026" is read as "28.11", ".2026")."""
_DOTTED_YEAR: Final = re.compile(r"\.\d{2}(?:\d{2})?")
_MONTHS: Final = 12
_DAYS: Final = 31


def _a_day_and_month(first: int, second: int) -> bool:
    """Whether two numbers can be a day and a month, in either order ("11/28", "28/11"; not "20/50")."""
    return 1 <= min(first, second) <= _MONTHS and max(first, second) <= _DAYS


class _MonthDates(NamedTuple):
    words: re.Pattern[str]
    """A month or a word of a date, whole: each of `dates` holds one."""
    dates: re.Pattern[str]
    after_a_joiner: re.Pattern[str]
    """A joiner of names.toml (`separator`: "+", "and", "plus"), perhaps a bracket, ending the text before a date."""
    drug_months: dict[str, str]
    """A month that is a drug's name too -> the month spelt out, a word naming no drug ("dec": "december")."""
    apart: re.Pattern[str]
    """A month that is a drug's name ("dec", `drug_months`) before a day, with its full stop or after a comma or
    semicolon, no year and no word of a date before it: a date perhaps (`dates` reads the others). It was
    names.toml's decitabine ("venetoclax 400 mg daily, Dec. 1" added decitabine to the regimen, complete; review 3;
    "venetoclax 400 mg daily, Dec 1", "...; Dec 1" still did after s20 helper R6: review R6), also after a joiner
    ("; Dec. 1 start", "+ Dec. 1": decitabine added, complete; review 5). Spelt out, it is an unknown word: "ven 400
    + dec. 20" or "venetoclax 400 mg, dec 20" may be decitabine 20 mg/m2 too, and is unknown rather than a drug
    perhaps not ordered. Not "dec" beside a dose ("dec 20 mg/m2", "Ven/Dec 400") nor before a course, range, route
    or unit after the day ("dec. 20 D1-5", "dec. 20 x 5d", "dec. 1-5", "dec. 20 IV", "dec. 5 days"): decitabine
    (made a date, the whole line was unknown, venetoclax unchecked too; review 4)."""

    def spell_out(self, month: re.Match[str]) -> str:
        """The month `apart` found, spelt out: a word naming no drug."""
        return self.drug_months[month.group()]

    def as_a_date(self, date: re.Match[str]) -> str:
        """The token of a date `dates` found; or, a drug's name opening it right after a joiner, the month spelt out.

        "ven 400 + (dec 20)", "+ dec 2nd", "plus dec 2nd" may be decitabine too: read as a date, decitabine was dropped,
        venetoclax alone, complete (reviews R6, R6b). Spelt out, an unknown word, as "+ Dec. 1" is (`apart`); a word
        of a date before ("+ (started dec 1)") makes it a date. A change of dose `dates` found is kept as written
        ("dec from dec 8 to 100 mg"), for the grammar to say so.
        """
        text = date.group()
        if date.group("change"):
            return text
        if date.group("ended"):
            # The list ends before "and dec 20": a third date, or decitabine 20 too. Read as a date, decitabine was
            # dropped, complete; read as decitabine, "on Dec 1 & Dec 8" added it (reviews R6b, revFinal): unknown.
            ended, month = date.group("ended"), date.group("ended_month")
            at = date.start("ended_month") - date.start("ended")
            return f" {_DATE} {ended[:at]}{self.drug_months[month]}{ended[at + len(month):]}"
        opening = re.match(r"[( ]*([^\W\d_]+)", text)
        spelt = self.drug_months.get(opening.group(1)) if opening else None
        if opening and spelt and self.after_a_joiner.search(date.string, 0, date.start()):
            return text.replace(opening.group(1), spelt, 1)
        if date.group("numeric"):
            numbers = [int(number) for number in re.findall(r"\d+", date.group("numeric"))]
            day_month = numbers[1:3] if numbers[0] > _DAYS else numbers[:2]
            if not _a_day_and_month(*day_month):
                return text
        # Padded: a date glued to what is around it ("x,dec 1st", "12-jan-2026)") is still a chunk of its own.
        return f" {_DATE} "


class _DateVocabulary(NamedTuple):
    """names.toml's words a date is read with (`_month_dates`), each a set of phrases."""

    months: frozenset[tuple[str, ...]]
    words: frozenset[tuple[str, ...]]
    """Words before a date (`date_word`: "started", "since", "to")."""
    separators: frozenset[tuple[str, ...]]
    """Joiners of a list (`separator`): between the dates of a list or range, or before a drug's name."""
    changes: frozenset[tuple[str, ...]]
    """Words of a change of dose (`dose_change`: "dec from"), read before any date."""
    drug_months: frozenset[str]
    """Months that are a drug's name too ("dec", decitabine)."""


def _month_dates(vocabulary: _DateVocabulary) -> _MonthDates | None:
    """Dates written with a month's name (names.toml's `month`), with the words before them (`date_word`).

    With a year ("12-jan-2026", "28 feb 2026", "january 5, 2026", "dec-01-2026") or a day's ordinal ("dec 3rd"),
    anywhere; with neither, only after a word of a date ("started dec 1", "since nov 1", "from 5 jan") or alone in a
    bracket ("(dec 1)"), and not before a unit, route, course or range ("from dec 20 mg/m2", "on dec 20 d1-5":
    decitabine). Each was read as decitabine ("dec", a drug not ordered, venetoclax's dose unread) or left the whole
    line unknown (s20 helper R6). After a word of a date, a numeric one that can be a date is one too ("since 12/1",
    "until 12/14/2026", "from 2026-12-01", "from 12/1-12/14", "since 12/1 x 14 d"), but not before a unit ("from 10/20
    mg"): "since" was an unknown word, the line unread (reviews R6, R6b).

    A range or list of dates, joined by any separator ("from dec 1 - dec 14", "on dec 1 and dec 8", "dec 1, dec 8 &
    dec 15"), is one date: its second "dec", after no word of a date, was decitabine, complete (reviews R6, R6b). It is
    matched whole or not at all (possessive): "from dec 1 - dec 14 mg" is no date ending at "dec 1", its second "dec"
    decitabine 14 mg. After a word of a date, a bare day ends a range at the end of a line or a part of it ("from dec
    1 to 14", "from dec 1-14,"): its number was read as the dose (review R6b); before anything else ("to 4 tabs") it
    may be a count. A joiner of drugs and a drug's month with a bare day end the list ("started dec 1 and dec 20":
    decitabine 20 perhaps), and that end is left unknown (`_MonthDates.as_a_date`): read as a date, decitabine was
    dropped, complete (review revFinal); "on dec 1 & dec 8" is unknown too, as no rule tells the two apart.
    """
    if not vocabulary.months:
        return None
    month = rf"\b(?:{_alternatives(vocabulary.months)})\b\.?"
    day = _DAY
    year = r"\d{4}\b"
    # ":?": "start date: dec 1" reads as "start date dec 1".
    lead = rf"(?:(?:{_alternatives(vocabulary.words)}):? )" if vocabulary.words else "(?!)"
    joiner = rf" ?(?:{_alternatives(vocabulary.separators | vocabulary.words)}) ?"
    with_year = "|".join((
        rf"\b{day}-{month}-(?:{year}|\d{{2}}\b)", rf"\b{day}/{month}/(?:{year}|\d{{2}}\b)",
        rf"\b{day} {month},? {year}", rf"{month} ?{day}(?:st|nd|rd|th)?,?[-/ ]{year}", rf"{month}[- ]{day}-{year}",
    ))
    ordinal = rf"{month} ?{day}(?:st|nd|rd|th)\b"
    undated = rf"{month} ?{_DAY_OF_MONTH}|\b{day} {month}"
    # A list's punctuation is no joiner there: after it "dec 1" alone is unknown already (`_MonthDates.apart`), and a
    # year or an ordinal makes a date (", dec 3rd", ", dec 1, 2026").
    joining_drugs = frozenset(phrase for phrase in vocabulary.separators if " ".join(phrase) not in _BEFORE_THEN)
    joiner_of_drugs = rf" ?(?:{_alternatives(joining_drugs)}) ?" if joining_drugs else "(?!)"
    drug_month = _alternatives(frozenset(tuple(drug.split()) for drug in vocabulary.drug_months)) or "(?!)"

    def drug_and_a_day(month: str) -> str:
        """"and dec 20": a drug's name and a dose as much as a date ("ven 400 + dec 20"); no year, no ordinal."""
        return rf"{joiner_of_drugs}{month}\.? ?{day}\b"

    # A list goes on past a drug's month and a day only after its punctuation or a word of a date.
    another = rf"(?:{joiner}(?:{with_year}|{ordinal})|(?!{drug_and_a_day(f'(?:{drug_month})')}){joiner}(?:{undated}))"
    # The rest of a range or list, whole, and no dose or course after it; or none.
    to_another = rf"(?:(?:{another})++(?!{_DOSE_OR_COURSE_AFTER})|(?!{another}))"
    to_a_day = rf"(?:{joiner}{day}(?= ?(?:$|[),;])))?"
    # A year or an ordinal makes a date on its own: the words before it are taken too ("{lead}*"), not left unknown.
    # Without either, the word of a date is what makes it one ("{lead}+").
    anywhere = rf"{lead}*(?:{with_year}|{ordinal}){to_another}"
    after_a_word = rf"{lead}+(?:{undated}){to_another}{to_a_day}(?!{_DOSE_OR_COURSE_AFTER})"
    bracketed = rf"\( ?{lead}*(?:{undated}){to_another} ?\)"
    # A year of two digits is left unread: "start 11/28/26", a date or a ramp-up? (as `_in_date` leaves it).
    numeric = (rf"(?P<numeric>\d{{1,2}}/\d{{1,2}}\b(?:/{year})?(?!/)|\d{{1,2}}(?P<joint>[.-])\d{{1,2}}(?P=joint){year}"
               rf"|\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b)")
    to_another_numeric = rf"(?:{joiner}\d{{1,2}}/\d{{1,2}}\b(?:/{year})?(?!/))?"
    numeric_after_a_word = rf"{lead}+{numeric}{to_another_numeric}(?!{_UNIT_AFTER})"
    # After a date, the end of the list that is not guessed (`_MonthDates.as_a_date`); not after a numeric date.
    ended = drug_and_a_day(f"(?P<ended_month>{drug_month})")
    change = rf"(?P<change>{_alternatives(vocabulary.changes)})" if vocabulary.changes else "(?!)"
    spelt = {drug: max((" ".join(m) for m in vocabulary.months if " ".join(m).startswith(drug)), key=len)
             for drug in vocabulary.drug_months}
    return _MonthDates(re.compile(_alternatives(vocabulary.months | vocabulary.words)),
                       re.compile(f"{change}|(?:{anywhere}|{after_a_word}|{bracketed})(?P<ended>{ended})?"
                                  f"|{numeric_after_a_word}"),
                       re.compile(rf"(?:{_alternatives(joining_drugs)}) ?\(? ?$"), spelt,
                       re.compile(rf"(?:(?<=[,;])|(?<=[,;] )|(?=(?:{drug_month})\.))(?:{drug_month})"
                                  rf"(?=\.? ?{_DAY_OF_MONTH}(?!{_DOSE_OR_COURSE_AFTER}))"))


def _alternatives(phrases: frozenset[tuple[str, ...]]) -> str:
    """Phrases as a regular expression's alternatives, the longest first ("start date" before "start").

    A word's edge is a word's boundary ("and", never in "sand"); a sign's is none ("+", "w/").
    """
    def alternative(phrase: str) -> str:
        return (r"\b" if phrase[0].isalnum() else "") + re.escape(phrase) + (r"\b" if phrase[-1].isalnum() else "")

    return "|".join(alternative(" ".join(tokens)) for tokens in sorted(phrases, key=lambda t: -len(" ".join(t))))


def _count_apart(token: str) -> tuple[str, ...]:
    """A glued count as its number and "x" in the order written ("x2": "x", "2"); any other token as it is."""
    glued = _GLUED_COUNT.fullmatch(token)
    if glued is None:
        return (token,)
    return (_TIMES_WORD, glued.group(1)) if glued.group(1) else (glued.group(2), _TIMES_WORD)


def _spelling(written: str, reads_as: str) -> tuple[str, str]:
    """A spelling, normalised; a symbol's ("->") reads as a word of its own (" then "), never glued to the next.

    A symbol read as another symbol stays where it stands: "200-400 mg" written with the en dash (U+2013) reads as
    with the hyphen, a range, as written. A mark read as nothing ("®") still parts the words it is glued between
    ("VENCLEXTA®400 MG", "Venclexta®tablets"): it reads as a space, which is nothing beside another. A mark NFKC
    spells otherwise ("™" as the letters "TM", glued to the brand) is kept as written, read before the text is
    normalised (`_spell`).
    """
    reads_as = normalise(reads_as)
    written = normalise(written) if unicodedata.is_normalized("NFKC", written) else written.casefold()
    if not reads_as:
        return written, " "
    word = any(character.isalpha() for character in reads_as)
    return written, f" {reads_as} " if word and not any(character.isalpha() for character in written) else reads_as


class _Spellings(NamedTuple):
    """names.toml's spellings, normalised (`_spelling`), as `_spell` reads a text with them."""

    unnormalised: tuple[tuple[str, str], ...]
    """Those NFKC would change ("™", which it spells "TM" glued to the brand): read first, on the text as written."""
    normalised: tuple[tuple[str, str], ...]
    """The others, read on the normalised text, in names.toml's order."""
    arrow: re.Pattern[str]
    """A run of dashes before ">" ("-->", "- ->", the em dash's or the en dash's, spaced or not; the dashes are the
    hyphen and those names.toml reads as it): read as "->" is, whichever is typed. One spelling at a time, each but
    "->" read both drugs of "posaconazole --> micafungin" as taken together (review 1)."""


def _spellings_of(spellings: tuple[tuple[str, str], ...]) -> _Spellings:
    """names.toml's spellings, each normalised (`_spelling`), split once by when they are read."""
    unnormalised = tuple(spelling for spelling in spellings if not unicodedata.is_normalized("NFKC", spelling[0]))
    dashes = sorted({_HYPHEN, *(written for written, reads_as in spellings if reads_as == _HYPHEN)})
    dash = "|".join(map(re.escape, dashes))
    return _Spellings(unnormalised, tuple(spelling for spelling in spellings if spelling not in unnormalised),
                      re.compile(rf"(?:{dash})(?:\s*(?:{dash}))*\s*>"))


def _spell(text: str, spellings: _Spellings) -> str:
    """Normalised, with the spellings of names.toml applied and thousands separators dropped ("1,250")."""
    if not text.isascii() and spellings.unnormalised:
        folded = text.casefold()  # as each spelling's written form is (`_spelling`)
        if any(written in folded for written, _ in spellings.unnormalised):
            for written, reads_as in spellings.unnormalised:
                folded = folded.replace(written, reads_as)
            text = folded
    text = normalise(text)
    if ">" in text:
        text = spellings.arrow.sub("->", text)
    for written, reads_as in spellings.normalised:
        if written in text:
            text = text.replace(written, reads_as)
    return _THOUSANDS.sub("", text) if "," in text else text


def _chunks(text: str) -> list[str]:
    """Text cut into chunks, a percentage apart from its number ("0.9%" as "0.9", "%").

    The broad vocabulary writes both, and "sodium chloride 0.9% flush" must read as "sodium chloride 0.9 %" does.
    """
    chunks: list[str] = []
    for chunk in _CHUNK.findall(text):
        percent = _PERCENT.fullmatch(chunk)
        chunks += (percent.group(1), "%") if percent else (chunk,)
    return chunks


def _local_term(tokens: tuple[str, ...], roles: dict[tuple[str, ...], int]) -> bool:
    """Whether a term of the grammar names a local form by a local word of its own.

    A local site or route makes any term local: "Topical Cream", "Ophthalmic Solution" as "topical", "ophthalmic". A
    gel (names.toml's `made_oral`) is local unless a word of the oral route or an oral dose form stands beside it:
    "ERYTHROMYCIN 2% GEL", "Rectal Ointment", "Nasal Gel" are not taken by mouth, "Oral Gel" and "gel caps" are (made
    local by "gel", erythromycin gel caps and posaconazole oral gel were NOT_REVIEWED, the check incomplete; s19 review
    4). Any route beside it was too wide: "diltiazem 2% rectal ointment" cut venetoclax as if taken by mouth (review 5).
    """
    local = {token for token in tokens if roles.get((token,), 0) & _LOCAL}
    taken_by_mouth = any(roles.get((token,), 0) & _ORAL for token in tokens)  # names.toml's `oral` words
    made_oral = all(roles.get((token,), 0) & _MADE_ORAL for token in local)
    # all() of no local form is true: `bool(local)` keeps a line with none from being read as local.
    return bool(local) and not (made_oral and taken_by_mouth)


def _phrase_forms(phrase: str) -> list[tuple[str, ...]]:
    """A dictionary phrase as tokens: as written, and with its hyphens as separators."""
    chunks = _chunks(phrase)
    split = [token for chunk in chunks for token in _split_hyphens(chunk)]
    return [tuple(chunks)] if split == chunks else [tuple(chunks), tuple(split)]


_BroadKey = tuple[str, str, tuple[tuple[str, str], ...]]
_BroadTable = tuple[_Phrases[tuple[str, ...]], frozenset[str]]
_BroadData = tuple[dict[tuple[str | _Group, ...], tuple[str, ...]], dict[str, tuple[int, ...]], frozenset[str]]
_broad_tables: dict[_BroadKey, _BroadTable] = {}
"""The broad tables this process built or read, by package, data file and spellings."""
CACHED_TABLES_KEPT = 4
"""Cache files kept, the most recently used: each is about 7.5 MB, and every change of this code makes a new one."""
_log = logging.getLogger(__name__)


def _broad_table(package: str, data_file: str, spellings: tuple[tuple[str, str], ...],
                 cache: Path | None) -> _BroadTable:
    """The broad vocabulary as phrases and its words, once per process (about 107,000 variants).

    Building it takes most of a knowledge base's load (0.6 of 0.83 s, compiled); reading it from a
    cache file takes 0.08 s.
    """
    key = (package, data_file, spellings)
    table = _broad_tables.get(key)
    if table is None:
        cached = cache / _cache_name(package, data_file, spellings) if cache else None
        table = _read_cached(cached) if cached else None
        if table is None:
            table = _build_broad_table(package, data_file, spellings)
            if cached:
                _write_cached(cached, table)
        _broad_tables[key] = table
    return table


def _build_broad_table(package: str, data_file: str, spellings: tuple[tuple[str, str], ...]) -> _BroadTable:
    phrases: _Phrases[tuple[str, ...]] = _Phrases()
    words: set[str] = set()
    spelled = _spellings_of(spellings)
    for variant, canonical in broad_vocabulary(package, data_file).items():
        for tokens in _phrase_forms(_spell(variant, spelled)):
            phrases.add(tokens, canonical)
            words.update(tokens)
    # Kept whole, a range of numbers would not read as numbers in order text ("days 1-7"): it is split
    # as any hyphenated chunk is, so no drug's name is made of one.
    return phrases, frozenset(word for word in words if not _NUMBER_RANGE.fullmatch(word))


def _cache_name(package: str, data_file: str, spellings: tuple[tuple[str, str], ...]) -> str:
    """The cache file of a table: named by the digest of everything the table is built from.

    That is the data file, the spellings, this module and the broad vocabulary's (the code that
    builds it, compiled or not) and the Python that reads it back, so no table outlives any of them.
    """
    digest = hashlib.sha256(repr((spellings, sys.version, marshal.version)).encode())
    for path in (data_path(package, data_file), Path(__file__), Path(str(broad.__file__))):
        digest.update(path.read_bytes())
    return f"broad-{digest.hexdigest()[:32]}.marshal"


def _read_cached(path: Path) -> _BroadTable | None:
    try:
        table = _table_from_data(marshal.loads(path.read_bytes()))
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, TypeError) as error:  # unreadable, cut short or not a table: built again
        _log.info("the broad-vocabulary cache %s is not used: %s", path, error)
        return None
    with contextlib.suppress(OSError):  # a read-only cache (one built into an image) is used as it is
        path.touch()  # recently used: kept when older ones are removed
    return table


def _write_cached(path: Path, table: _BroadTable) -> None:
    """Written whole or not at all (renamed into place), then all but the most recent files removed."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".broad-", delete=False) as temporary:
            temporary.write(marshal.dumps(_table_data(table)))
        os.replace(temporary.name, path)
        stale = sorted(path.parent.glob("broad-*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in stale[CACHED_TABLES_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError as error:  # a read-only or full disk: the next process builds the table again
        _log.info("the broad-vocabulary cache %s is not written: %s", path, error)


def _table_data(table: _BroadTable) -> _BroadData:
    """A table as plain data: marshal writes and reads it without running any code."""
    phrases, words = table
    return phrases.values, phrases.lengths, words


def _table_from_data(data: object) -> _BroadTable:
    """Raises TypeError when `data` is not what `_table_data` writes."""
    if not (isinstance(data, tuple) and len(data) == 3 and isinstance(data[0], dict)
            and isinstance(data[1], dict) and isinstance(data[2], frozenset)):
        raise TypeError("not a broad table")
    phrases: _Phrases[tuple[str, ...]] = _Phrases()
    phrases.values, phrases.lengths = data[0], data[1]
    return phrases, data[2]


def _split_hyphens(chunk: str) -> list[str]:
    if _HYPHEN not in chunk or chunk == _HYPHEN:
        return [chunk]
    parts: list[str] = []
    for i, part in enumerate(chunk.split(_HYPHEN)):
        if i:
            parts.append(_HYPHEN)
        if part:
            parts.append(part)
    return parts


def _a_range(tokens: list[str], at: int) -> bool:
    """Whether a range of numbers begins at `at` ("1-14", "15 to 28"): a course's days after a day word."""
    first, joint, last = [*tokens[at:at + 3], "", "", ""][:3]
    return bool(_NUMBER.fullmatch(first)) and joint in _RANGE_TO and bool(_NUMBER.fullmatch(last))


def _conflict(first: _Mention, second: _Mention) -> str:
    return (f"{first.text!r} names {', '.join(sorted(first.names))} but {second.text!r} names "
            f"{', '.join(sorted(second.names))}: which one was meant is not guessed")


class _Suffixed(str):
    """A token from which a biosimilar suffix ("-sndz") was cut; equal to the token without it."""

    suffix: str

    def __new__(cls, token: str, suffix: str) -> _Suffixed:
        made = super().__new__(cls, token)
        made.suffix = suffix
        return made


_STATUS_AFTER: Final = frozenset({_HYPHEN, ",", ";"})
_STATUS_MARKS: Final = frozenset({*_STATUS_AFTER, "(", ")", "[", "]"})
"""What may stand around a line's status besides its order ("[DISCONTINUED] posaconazole", "(completed)")."""
"""What may stand before a line's status at its end ("posaconazole 300 mg daily - DISCONTINUED", ", stopped")."""


def _states_status(group: _Group, at: int, length: int, after_drug: bool, edge: bool) -> bool:
    """Whether the words at `at` stand where a line states its status.

    Alone in a bracket that opens or ends the line (`edge`: "(completed)", "[DISCONTINUED] posaconazole"; "x1
    (completed) then daily" says a dose ended), or ending the line right after a dash, a comma
    or the drug's name ("- stopped", "posaconazole stopped"). Elsewhere they may say that a phase, a day or a dose
    ended ("completed loading", "day 1 completed", "x 2 doses completed then daily"), the drug still taken (s16
    review).
    """
    items = group.items
    if group.kind:
        return edge and at == 0 and length == len(items)
    before = items[at - 1] if at else None
    return at + length == len(items) and (after_drug or (isinstance(before, str) and before in _STATUS_AFTER))


def _group(tokens: list[str]) -> _Group:
    """Tokens as nested bracket groups; a stray closing bracket is dropped, an open one closes at the end."""
    root = _Group("")
    stack = [root]
    for token in tokens:
        if token in _OPEN:
            inner = _Group(token)
            stack[-1].items.append(inner)
            stack.append(inner)
        elif token in _CLOSE:
            for depth in range(len(stack) - 1, 0, -1):
                if _OPEN[stack[depth].kind] == token:
                    del stack[depth:]
                    break
        else:
            stack[-1].items.append(token)
    return root
