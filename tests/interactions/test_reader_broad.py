"""The broad vocabulary: a real drug the knowledge base has not reviewed is reported as such, never dropped."""

from __future__ import annotations

import marshal
import os
import pathlib
from collections.abc import Iterator

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


@pytest.fixture
def fresh_process(tmp_path: pathlib.Path) -> Iterator[pathlib.Path]:
    """As a new process, whose cache directory is its own: no broad table built or read yet."""
    from interactions import reader

    built = dict(reader._broad_tables)
    reader._broad_tables.clear()
    yield tmp_path / "cache"
    reader._broad_tables.clear()
    reader._broad_tables.update(built)


READINGS = ["glucagon 1 MG Injection", "posaconazol 100 mg", "ACETAMINOPHEN 500 MG PO TABS",
            "venetoclax 100 mg / GLUCAGON 1 MG INJ", "filgrastim-sndz 300 mcg/0.5 mL"]


def _readings(kb: KnowledgeBase) -> list[object]:
    return [kb.resolver.read(text) for text in READINGS]


def _forget_tables() -> None:
    from interactions import reader

    reader._broad_tables.clear()


def test_a_process_reads_the_table_another_one_cached_and_reads_as_it(default_kb: KnowledgeBase,
                                                                     fresh_process: pathlib.Path) -> None:
    from interactions import load_knowledge_base

    built = load_knowledge_base(None, fresh_process)
    [cached] = fresh_process.glob("broad-*.marshal")
    written = cached.stat().st_ino  # a table built again would be renamed into place: another inode
    _forget_tables()
    read_back = load_knowledge_base(None, fresh_process)
    assert cached.stat().st_ino == written
    assert list(fresh_process.glob("broad-*.marshal")) == [cached]
    assert read_back.resolver._broad.values == built.resolver._broad.values
    assert _readings(read_back) == _readings(built) == _readings(default_kb)
    assert read_back.resolver.read(READINGS[0]).reason is UnrecognizedReason.NOT_REVIEWED


@pytest.mark.parametrize("damage", ["garbage", "cut short", "another shape"])
def test_a_damaged_cache_file_is_built_again_and_replaced(default_kb: KnowledgeBase, fresh_process: pathlib.Path,
                                                           damage: str) -> None:
    from interactions import load_knowledge_base

    load_knowledge_base(None, fresh_process)
    [cached] = fresh_process.glob("broad-*.marshal")
    whole = cached.read_bytes()
    cached.write_bytes({"garbage": b"\x00not marshal at all", "cut short": whole[: len(whole) // 2],
                        "another shape": marshal.dumps(("values", {}, frozenset()))}[damage])
    _forget_tables()
    rebuilt = load_knowledge_base(None, fresh_process)
    assert _readings(rebuilt) == _readings(default_kb)
    assert marshal.loads(cached.read_bytes()) == marshal.loads(whole)  # marshal.dumps is not byte-for-byte stable


def test_without_a_writable_cache_directory_the_table_is_built_in_memory(default_kb: KnowledgeBase,
                                                                         fresh_process: pathlib.Path) -> None:
    from interactions import load_knowledge_base

    fresh_process.parent.mkdir(exist_ok=True)
    fresh_process.write_text("a file where the directory would be")
    assert _readings(load_knowledge_base(None, fresh_process)) == _readings(default_kb)
    assert fresh_process.is_file()
    _forget_tables()
    assert _readings(load_knowledge_base(None)) == _readings(default_kb)


def test_a_read_only_cache_is_read_as_it_is(default_kb: KnowledgeBase, fresh_process: pathlib.Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # As in an image whose cache was built in, run with a read-only root file system (the tests run as
    # root, whom permissions do not stop: the file system's refusal is played by pathlib).
    from interactions import load_knowledge_base, reader

    load_knowledge_base(None, fresh_process)
    [cached] = fresh_process.glob("broad-*.marshal")

    def read_only(path: pathlib.Path, *args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system", str(path))

    monkeypatch.setattr(pathlib.Path, "touch", read_only)
    assert reader._read_cached(cached) is not None
    _forget_tables()
    assert _readings(load_knowledge_base(None, fresh_process)) == _readings(default_kb)


def test_a_change_of_what_the_table_is_built_from_names_another_file_and_old_files_go(
        fresh_process: pathlib.Path) -> None:
    from interactions import reader

    package, data_file = "drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2"
    spelled = reader._cache_name(package, data_file, (("sulphate", "sulfate"),))
    assert spelled == reader._cache_name(package, data_file, (("sulphate", "sulfate"),))
    assert spelled != reader._cache_name(package, data_file, ())
    fresh_process.mkdir()
    old = [fresh_process / f"broad-{i:032x}.marshal" for i in range(reader.CACHED_TABLES_KEPT + 2)]
    for age, path in enumerate(old):
        path.write_bytes(b"old")
        os.utime(path, ns=(age * 10**9, age * 10**9))
    reader._broad_table(package, data_file, (("sulphate", "sulfate"),), fresh_process)
    kept = sorted(fresh_process.glob("broad-*.marshal"))
    assert kept == sorted([fresh_process / spelled, *old[-(reader.CACHED_TABLES_KEPT - 1):]])
