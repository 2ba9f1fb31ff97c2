"""Property tests of the reader: decorating a name never changes what it reads as; no string makes it raise."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from interactions import KnowledgeBase, load_knowledge_base
from interactions.model import UnrecognizedReason
from interactions.reader import Reading

KB = load_knowledge_base()
_COMPONENTS = {c.name: c.components for c in KB.combinations}
# Every name of the dictionary with its owner (canonical drug or product), so a brand can be drawn.
ALIASES = [(d.name, alias) for d in KB.drugs for alias in (d.name, *d.synonyms)]
ALIASES += [(c.name, alias) for c in KB.combinations for alias in (c.name, *c.synonyms)]
OTHER_NAMES = {owner: [alias for o, alias in ALIASES if o == owner] for owner, _ in ALIASES}
# Names of other drugs that begin with a name and a word ("Emend" -> "Emend IV", fosaprepitant).
LONGER_NAMES: dict[str, list[str]] = {}
for _owner, _alias in ALIASES:
    for _other_owner, _other in ALIASES:
        if _other_owner != _owner and _other.casefold().startswith(_alias.casefold() + " "):
            LONGER_NAMES.setdefault(_alias.casefold(), []).append(_other.casefold())

STRENGTHS = st.sampled_from(["100 mg", "0.5 MG", "1,250 mg", "800-160 mg", "4 mg/2 mL", "100 mg/m2", "100 mg PE",
                             "25 mcg/hr", "0.12 %", "20 MEQ", "5000 UNT/ML", "40 MG/ML", "2.5mg", "12 HR"])
FORMS = st.sampled_from(["Oral Tablet", "Delayed Release Oral Tablet", "Disintegrating Oral Tablet",
                         "Injectable Solution", "Oral Suspension", "Extended Release Oral Capsule",
                         "Transdermal System", "Prefilled Syringe", "Auto-Injector", "Metered Dose Inhaler",
                         "TABS", "CAPS", "TBEC", "TBDP", "TB12", "TB24", "TBCR", "CP12", "CP24", "CPDR", "CPEP",
                         "SOLN", "SOLR", "SUSP", "SYRP", "ELIX", "INJ", "IVPB", "PACK", "PTCH", "NEBU", "AERO",
                         "tablet", "capsule", "ER tablet", "DR capsule", "EC", "MODIFIED",
                         "EXTENDED", "COATED BEADS", "injection", "solution"])
ROUTES = st.sampled_from(["PO", "IV", "IJ", "SC", "SQ", "IM", "PR", "SL", "INH", "NEB", "NG", "oral",
                          "by mouth", "intravenous"])
# Local forms and routes (names.toml's local_form): the rules are about systemic exposure.
LOCAL = st.sampled_from(["TOP", "CREA", "OINT", "EX", "OP", "topical", "cream", "Topical Cream", "ophthalmic ointment",
                         "Ophthalmic Solution", "eye drops", "otic", "vaginal cream", "shampoo", "lotion"])
FREQUENCIES = st.sampled_from(["daily", "BID", "q12h", "q8h", "PRN", "every 6 hours as needed", "nightly"])
VEHICLES = st.sampled_from(["in sodium chloride 0.9 % 100 mL IVPB", "in dextrose 5 % 50 mL", "in NS 250 mL",
                            "in sterile water 10 mL"])


def _case(name: str, style: int, mask: list[bool]) -> str:
    if style == 0:
        return name.upper()
    if style == 1:
        return name.title()
    if style == 2:  # tall-man and other mixed case
        return "".join(ch.upper() if up else ch for ch, up in zip(name, mask * len(name), strict=False))
    return name


@st.composite
def decorated(draw: st.DrawFn) -> tuple[str, str]:
    """A dictionary name, and the same name dressed as an order would dress it."""
    owner, alias = draw(st.sampled_from(ALIASES))
    text = _case(alias, draw(st.integers(0, 3)), draw(st.lists(st.booleans(), min_size=1, max_size=8)))
    if draw(st.booleans()):
        brand = draw(st.sampled_from(OTHER_NAMES[owner]))
        text = f"{text} ({brand.upper()})"
    parts = [text]
    for strategy in (STRENGTHS, ROUTES, FORMS, FREQUENCIES, VEHICLES):
        if draw(st.booleans()):
            parts.append(draw(strategy))
    return alias, " ".join(parts)


@settings(max_examples=1500, deadline=None)
@given(decorated())
def test_decorating_a_name_never_changes_what_it_reads_as(case: tuple[str, str]) -> None:
    name, text = case
    bare = KB.resolver.read(name)
    assert bare.reason is UnrecognizedReason.UNSPECIFIED
    # A brand whose route word is part of another product's name ("Emend" but "Emend IV", which is
    # fosaprepitant: kb-review E8) names that other product: the decoration is then a name.
    assume(not any(longer in text.casefold() for longer in LONGER_NAMES.get(name.casefold(), ())))
    assert KB.resolver.read(text).drugs == bare.drugs, (text, KB.resolver.read(text))


@settings(max_examples=500, deadline=None)
@given(decorated(), LOCAL)
def test_a_local_form_of_a_drug_some_rule_is_about_is_not_checked(case: tuple[str, str], local: str) -> None:
    name, text = case
    bare = KB.resolver.read(name)
    assume(not any(longer in text.casefold() for longer in LONGER_NAMES.get(name.casefold(), ())))
    reading = KB.resolver.read(f"{text} {local}")
    interacting = tuple(drug for drug in bare.drugs if drug in KB.resolver._interacting)
    if interacting:
        assert (reading.drugs, reading.reason, reading.ingredients) == (
            (), UnrecognizedReason.NOT_REVIEWED, interacting), (text, local)
    else:  # nothing to check either way
        assert reading.drugs == bare.drugs, (text, local, reading)


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_any_string_is_read_without_raising(text: str) -> None:
    reading = KB.resolver.read(text)
    assert isinstance(reading, Reading)
    assert bool(reading.drugs) == (reading.reason is UnrecognizedReason.UNSPECIFIED)
    assert isinstance(KB.resolver.suggest(text), tuple)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["(", ")", "[", "]", "{", "}", "/", "-", "in", "10", "mg", "posaconazole",
                                 "6-mp", "zofran", "sodium", "q12h", ",", "&", "filgrastim-sndz", "x"]), max_size=12))
def test_any_arrangement_of_grammar_parts_is_read_without_raising(parts: list[str]) -> None:
    for text in (" ".join(parts), "".join(parts)):
        reading = KB.resolver.read(text)
        assert bool(reading.drugs) == (reading.reason is UnrecognizedReason.UNSPECIFIED)


def test_every_name_of_the_dictionary_reads_as_its_drugs(default_kb: KnowledgeBase) -> None:
    wrong = []
    for drug in default_kb.drugs:
        expected = set(_COMPONENTS[drug.sold_only_in] if drug.sold_only_in else (drug.name,))
        wrong += [alias for alias in (drug.name, *drug.synonyms)
                  if set(default_kb.resolver.read(alias).drugs) != expected]
    for combination in default_kb.combinations:
        wrong += [alias for alias in (combination.name, *combination.synonyms)
                  if set(default_kb.resolver.read(alias).drugs) != set(combination.components)]
    assert wrong == []
