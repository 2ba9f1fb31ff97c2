"""Loading: a broken knowledge base is refused with every problem located; a good one is hashed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interactions import KnowledgeBaseError, load_knowledge_base
from interactions.model import UnrecognizedReason
from tests.interactions.conftest import FIXTURE_KB


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_KB, tmp_path / "kb"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(path)
    return [str(p) for p in raised.value.problems]


def test_fixture_loads_with_a_stable_hash(kb_copy: Path) -> None:
    first = load_knowledge_base(kb_copy)
    assert first.version == "test-1"
    assert first.content_hash == load_knowledge_base(FIXTURE_KB).content_hash
    edit(kb_copy / "drugs.toml", 'name = "plainol"', 'name = "plainol"\nnote = "edited"')
    assert load_knowledge_base(kb_copy).content_hash != first.content_hash


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("agents/testinib.toml", 'citations = [{ source = "label-x", detail = "7.1" }]', "",
         "agents/testinib.toml: interaction[4].citations: Field required"),
        ("agents/testinib.toml", 'action = "avoid_combination"', 'action = "avoid_combination"\ncolour = "red"',
         "agents/testinib.toml: interaction[4].colour: Extra inputs are not permitted"),
        ("agents/testinib.toml", "dose = { max_mg = 70 }", "dose = { max_mg = -70 }",
         "agents/testinib.toml: interaction[0].dose.max_mg: Input should be greater than 0"),
        ("agents/testinib.toml", 'action = "avoid_combination"', 'action = "ban"',
         "agents/testinib.toml: interaction[4].action: Value error, unknown action 'ban'"),
        ("agents/testinib.toml", 'precipitant_drugs = ["substratin"]', 'precipitant_drugs = ["substratine"]',
         "agents/testinib.toml: interaction[6].precipitant_drugs: unknown drug 'substratine' (not in drugs.toml)"),
        ("agents/testinib.toml", 'precipitant_class = "qt"', 'precipitant_class = "qtx"',
         "agents/testinib.toml: interaction[5].precipitant_class: unknown class 'qtx'"),
        ("agents/testinib.toml", 'source = "label-x", detail = "7.2"', 'source = "label-z", detail = "7.2"',
         "agents/testinib.toml: interaction[6].citations: unknown source 'label-z' (not in manifest)"),
        ("agents/testinib.toml", 'id = "qtc-rise"\nif_held = false', 'id = "qtc-rise"',
         "agents/testinib.toml: qtc_rule[2].if_held: this agent has rules for a held drug"),
        ("agents/testinib.toml", 'days = ["C1D1",', 'days = ["day 1",',
         "agents/testinib.toml: monitoring[0].days: Value error, day label 'day 1' is not of the form C1D8"),
        ("agents/testinib.toml", 'citations = [{ source = "label-x", detail = "7.1" }]',
         'citations = [{ source = "label-x", detail = "7.1" }, { source = "label-x", detail = "7.1" }]',
         "agents/testinib.toml: interaction[4].citations: Value error, citation label-x '7.1' is given twice"),
        ("agents/testinib.toml", 'rationale = "Labelled dose 400 mg with a 3-day ramp-up."',
         'rationale = "Labelled dose 400 mg with a 3-day ramp-up."\nwith_any = ["partnerine"]',
         "agents/testinib.toml: standard_dose.with_any: the default dose applies when no variant does"),
        ("drugs.toml", 'synonyms = ["Testa", "TST"]', 'synonyms = ["Testa", "Strongex"]',
         "drugs.toml: drug[2]: name 'Strongex' is already used by 'testinib'"),
        ("drugs.toml", 'synonyms = ["Testa", "TST"]', 'synonyms = ["Testa", "TST"]\nshared_brands = ["Nobrand"]',
         "drugs.toml: drug[0].shared_brands: 'Nobrand' is not the name of another drug"),
        ("drugs.toml", 'synonyms = ["Testa", "TST"]', 'synonyms = ["Testa", "TST"]\nshared_brands = ["TST"]',
         "drugs.toml: drug[0].shared_brands: 'TST' is not the name of another drug"),
        ("drugs.toml", 'synonyms = ["Testa", "TST"]',
         'synonyms = ["Testa", "TST"]\nlocal_brands = [{ name = "Strongex", form = "cream", citations = [{ source = '
         '"label-x", detail = "1" }] }]', "drugs.toml: drug[2]: name 'Strongex' is already used by 'testinib'"),
        ("drugs.toml", 'synonyms = ["Testa", "TST"]',
         'synonyms = ["Testa", "TST"]\nlocal_brands = [{ name = "Testcream", form = "cream", citations = [{ source = '
         '"label-z", detail = "1" }] }]', "drugs.toml: drug[0].local_brands[0].citations: unknown source 'label-z'"),
        ("drugs.toml", 'name = "otherazole"', 'name = "strongazole"', "drugs.toml: drug: duplicate 'strongazole'"),
        ("classes.toml", 'members = ["qtdrug", "testinib"]', 'members = ["qtdrug", "testinb"]',
         "classes.toml: class[4].members: unknown drug 'testinb' (not in drugs.toml)"),
        ("classes.toml", "inducerin = ", "plainol = ",
         "classes.toml: class[3].member_notes.plainol: note for a drug not in members"),
        ("manifest.toml", 'version = "test-1"', 'version = "test-1"\nversion = "2"',
         "manifest.toml: not valid TOML"),
    ],
)
def test_broken_files_are_refused_with_a_located_problem(kb_copy: Path, file: str, old: str, new: str,
                                                         expected: str) -> None:
    edit(kb_copy / file, old, new)
    assert any(p.startswith(expected) for p in problems_of(kb_copy)), problems_of(kb_copy)


def test_every_problem_is_reported_not_just_the_first(kb_copy: Path) -> None:
    edit(kb_copy / "agents/testinib.toml", 'action = "avoid_combination"', 'action = "ban"')
    (kb_copy / "names.toml").unlink()
    problems = problems_of(kb_copy)
    assert "names.toml: file missing" in problems
    assert any(p.startswith("agents/testinib.toml: interaction[4].action") for p in problems)


def test_cross_file_problems_are_all_reported(kb_copy: Path) -> None:
    edit(kb_copy / "classes.toml", 'members = ["qtdrug", "testinib"]', 'members = ["nope1", "nope2"]')
    assert sum("unknown drug 'nope" in p for p in problems_of(kb_copy)) == 2


def test_missing_directory(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "absent") == [f"{tmp_path / 'absent'}: not a directory"]


UNREVIEWED = ('\n[[unreviewed]]\ncanonical = "{canonical}"\nnames = [{names}]\n'
              'citations = [{{ source = "{source}", detail = "1" }}]\n')


def test_an_unreviewed_name_reads_as_not_reviewed_with_its_canonical_name(kb_copy: Path) -> None:
    with (kb_copy / "names.toml").open("a") as names:
        names.write(UNREVIEWED.format(canonical="iron (salt not stated)", names='"iron"', source="label-x"))
    reading = load_knowledge_base(kb_copy).resolver.read("iron 65 mg tablet")
    assert (reading.drugs, reading.reason, reading.ingredients) == (
        (), UnrecognizedReason.NOT_REVIEWED, ("iron (salt not stated)",))


@pytest.mark.parametrize(("canonical", "names", "source", "expected"), [
    ("strongex (unreviewed)", '"Strongex"', "label-x",
     "names.toml: unreviewed[0]: name 'Strongex' is already 'strongazole' of the knowledge base"),
    ("strongazole", '"strongazole tincture"', "label-x",
     "names.toml: unreviewed[0]: canonical 'strongazole' is a name of drugs.toml: it is reviewed"),
    ("iron", '"iron"', "label-z", "names.toml: unreviewed[0].citations: unknown source 'label-z'"),
])
def test_an_unreviewed_name_of_the_dictionary_or_without_a_source_is_refused(
        kb_copy: Path, canonical: str, names: str, source: str, expected: str) -> None:
    with (kb_copy / "names.toml").open("a") as file:
        file.write(UNREVIEWED.format(canonical=canonical, names=names, source=source))
    assert any(p.startswith(expected) for p in problems_of(kb_copy)), problems_of(kb_copy)
