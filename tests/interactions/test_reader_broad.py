"""The broad vocabulary: a real drug the knowledge base has not reviewed is reported as such, never dropped."""

from __future__ import annotations

import pytest

from interactions import KnowledgeBase, check
from interactions.broad import broad_vocabulary
from interactions.model import CheckRequest, Medication, UnrecognizedReason

# Real drugs outside the AML supportive-care scope; the first one drugs.toml has not reviewed is used.
CANDIDATES = ["lacosamide", "brivaracetam", "zonisamide", "rufinamide", "perampanel", "eslicarbazepine"]


@pytest.fixture(scope="module")
def unreviewed(default_kb: KnowledgeBase) -> str:
    return next(name for name in CANDIDATES if name not in default_kb.drug_by_name)


def test_an_unreviewed_drug_reads_as_not_reviewed_with_its_canonical_name(default_kb: KnowledgeBase,
                                                                         unreviewed: str) -> None:
    reading = default_kb.resolver.read(f"{unreviewed} 50 MG Oral Tablet")
    assert (reading.drugs, reading.reason, reading.ingredients) == (
        (), UnrecognizedReason.NOT_REVIEWED, (unreviewed,))
    assert unreviewed in reading.detail


def test_a_reviewed_and_an_unreviewed_drug_make_the_line_not_reviewed(default_kb: KnowledgeBase,
                                                                      unreviewed: str) -> None:
    reading = default_kb.resolver.read(f"venetoclax 100 mg / {unreviewed.upper()} 50 MG PO TABS")
    assert (reading.drugs, reading.reason, reading.ingredients) == (
        (), UnrecognizedReason.NOT_REVIEWED, (unreviewed,))


def test_a_name_known_to_neither_is_unknown_with_plausible_suggestions(default_kb: KnowledgeBase) -> None:
    assert default_kb.resolver.read("posaconazol 100 mg").reason is UnrecognizedReason.UNKNOWN
    assert default_kb.resolver.suggest("posaconazol 100 mg")[0] == "posaconazole"
    assert "rifampin" not in default_kb.resolver.suggest("vitamin Dx 1000 units")
    assert default_kb.resolver.suggest("zzqqxx 5 mg") == ()


def test_the_engine_reports_why_each_medication_was_not_checked(default_kb: KnowledgeBase, unreviewed: str) -> None:
    result = check(default_kb, CheckRequest(
        (Medication("venetoclax", 400),),
        (Medication(f"{unreviewed} 50 mg tablet"), Medication("posaconazole (ZOFRAN) 100 mg"),
         Medication("posaconazol 300 mg"), Medication("POSACONAZOLE 100 MG PO TBEC"))))
    reasons = {u.name: (u.reason, u.ingredients, bool(u.detail), u.suggestions) for u in result.unrecognized}
    assert reasons == {
        f"{unreviewed} 50 mg tablet": (UnrecognizedReason.NOT_REVIEWED, (unreviewed,), True, ()),
        "posaconazole (ZOFRAN) 100 mg": (UnrecognizedReason.CONFLICT, (), True, ()),
        "posaconazol 300 mg": (UnrecognizedReason.UNKNOWN, (), True, ("posaconazole",)),
    }
    assert not result.complete
    assert any(f.precipitant_drug == "posaconazole" for f in result.findings)


def test_the_broad_vocabulary_is_loaded_once_per_process() -> None:
    first = broad_vocabulary("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2")
    assert broad_vocabulary("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2") is first
    assert len(first) > 100_000
    assert first["6-mp"] == ("mercaptopurine",)


def test_a_knowledge_base_without_a_broad_vocabulary_calls_every_other_name_unknown(fixture_kb: KnowledgeBase) -> None:
    assert fixture_kb.resolver.read("levetiracetam 500 MG Oral Tablet").reason is UnrecognizedReason.UNKNOWN


def test_a_missing_broad_vocabulary_package_is_an_error() -> None:
    with pytest.raises(FileNotFoundError):
        broad_vocabulary("no_such_package_installed_here", "data.pkl.bz2")


@pytest.mark.parametrize(("name", "suggestion"), [("voriconazol", "voriconazole"), ("itraconazol", "itraconazole")])
def test_another_spelling_of_a_reviewed_drug_is_unknown_not_corrected(default_kb: KnowledgeBase, name: str,
                                                                      suggestion: str) -> None:
    # The broad vocabulary holds foreign and misspelt variants; read as a reviewed drug they would be a correction.
    assert default_kb.resolver.read(f"{name} 200 mg").reason is UnrecognizedReason.UNKNOWN
    assert suggestion in default_kb.resolver.suggest(f"{name} 200 mg")


def test_a_process_that_adopts_the_broad_table_reads_as_the_one_that_built_it(default_kb: KnowledgeBase,
                                                                             unreviewed: str) -> None:
    # What an audit's worker processes do: take the parent's table instead of building their own.
    from interactions import load_knowledge_base, reader

    snapshot = reader.broad_tables_snapshot()
    built = dict(reader._broad_tables)
    reader._broad_tables.clear()
    try:
        reader.adopt_broad_tables(snapshot)
        adopted = load_knowledge_base(None)
        assert [phrases for phrases, _ in reader._broad_tables.values()] == [adopted.resolver._broad]
    finally:
        reader._broad_tables.clear()
        reader._broad_tables.update(built)
    texts = [f"{unreviewed} 50 MG Oral Tablet", "posaconazol 100 mg", "ACETAMINOPHEN 500 MG PO TABS",
             f"venetoclax 100 mg / {unreviewed.upper()} 50 MG PO TABS", "filgrastim-sndz 300 mcg/0.5 mL"]
    assert [adopted.resolver.read(t) for t in texts] == [default_kb.resolver.read(t) for t in texts]
    assert adopted.resolver.read(texts[0]).reason is UnrecognizedReason.NOT_REVIEWED
