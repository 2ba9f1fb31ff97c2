"""What a medication is: its codes and its name read together, agreeing or declared unrecognised."""

from __future__ import annotations

from typing import Final, NamedTuple

from interactions.index import KnowledgeBase
from interactions.model import MedicationLike, UnrecognizedMedication, UnrecognizedReason
from interactions.schema import RXNORM

_RXNORM_SPELLINGS: Final = frozenset({
    RXNORM, RXNORM + "/", "https://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:oid:2.16.840.1.113883.6.88", "2.16.840.1.113883.6.88",  # HL7's OID for RxNorm (v2 and CDA)
    "rxnorm",  # pharmacy catalogues' own exports
})
"""How systems write RxNorm: a code of RxNorm under any of them was looked up nowhere, so a code that
contradicts the name passed without a trace (a pharmacist's review, session 12)."""


def _system(system: str) -> str:
    return RXNORM if system.strip().lower() in _RXNORM_SPELLINGS else system


class Identification(NamedTuple):
    """The drugs a medication names, or why it names none the knowledge base has reviewed."""

    drugs: tuple[str, ...]
    """Canonical names of the knowledge base; empty unless recognised."""
    reason: UnrecognizedReason
    """UNSPECIFIED when recognised."""
    ingredients: tuple[str, ...] = ()
    """NOT_REVIEWED: the canonical names of the unreviewed drugs it names."""
    detail: str = ""
    """How it was identified or why not, for people."""
    suggestions: tuple[str, ...] = ()
    """Close names the knowledge base knows, when not recognised."""

    def unrecognized(self, name: str) -> UnrecognizedMedication:
        """The answer's entry for the medication `name` when it was not checked."""
        return UnrecognizedMedication(name, self.suggestions, self.reason, self.ingredients, self.detail)


def identify(kb: KnowledgeBase, medication: MedicationLike) -> Identification:
    """Identify a medication by its known codes and its name; suggestions when it is not recognised.

    Args:
        kb: the loaded knowledge base.
        medication: the medication as the caller sent it.

    Returns:
        The identification.
    """
    found = _identify(kb, medication)
    if found.drugs or not medication.name.strip():
        return found
    return found._replace(suggestions=kb.resolver.suggest(medication.name))


def _identify(kb: KnowledgeBase, medication: MedicationLike) -> Identification:
    """Identify a medication by its known codes and its name.

    A code the knowledge base knows identifies the drugs; the name must then agree or not be
    understood at all (a catalogue's abbreviation). A code and a name that name different drugs are
    a conflict: which one is right is not guessed. Codes the knowledge base does not know are left
    to the name, and the detail says so.
    """
    reading = kb.resolver.read(medication.name) if medication.name.strip() else None
    coding = medication.coding
    if not coding:
        if reading is None:
            return Identification((), UnrecognizedReason.UNKNOWN, detail="no name and no code")
        return Identification(reading.drugs, reading.reason, reading.ingredients, reading.detail)
    by_code: dict[tuple[str, ...], str] = {}
    unknown_codes: list[str] = []
    for code in coding:
        drugs = kb.drugs_by_code.get((_system(code.system), code.code.strip()))
        if drugs is None:
            unknown_codes.append(code.code)
        else:
            by_code.setdefault(drugs, code.code)
    if len(by_code) > 1:
        named = "; ".join(f"code {code} is {' + '.join(drugs)}" for drugs, code in by_code.items())
        return Identification((), UnrecognizedReason.CONFLICT, detail=f"its codes disagree: {named}")
    unknown = f"code {', '.join(unknown_codes)} is not in the knowledge base" if unknown_codes else ""
    if not by_code:
        if reading is None:
            return Identification((), UnrecognizedReason.UNKNOWN, detail=f"{unknown}, and there is no name")
        detail = (f"{unknown}; identified by name" if reading.drugs
                  else "; ".join(filter(None, (unknown, reading.detail))))
        return Identification(reading.drugs, reading.reason, reading.ingredients, detail)
    ((drugs, known_code),) = by_code.items()
    coded = f"RxNorm code {known_code} ({' + '.join(drugs)})"
    if reading is None or (reading.reason is UnrecognizedReason.UNKNOWN and not reading.ingredients):
        return Identification(drugs, UnrecognizedReason.UNSPECIFIED, detail=f"identified by {coded}")
    if set(reading.drugs) == set(drugs):
        return Identification(drugs, UnrecognizedReason.UNSPECIFIED, detail=f"identified by {coded} and its name")
    said = " + ".join(reading.drugs or reading.ingredients) or "something else"
    return Identification((), UnrecognizedReason.CONFLICT,
                          detail=f"{coded} and the name ({said}) name different drugs")

