"""A hospital's own order names (site.toml): read like the rest of the knowledge base, validated, hashed."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from interactions import CheckRequest, KnowledgeBaseError, Medication, check, load_knowledge_base
from interactions.loading import default_data_dir

SITE = """
site = "Example General Hospital"
extends = "built-in"

[[synonym]]
name = "POSA DR TAB 100MG (ONC)"
drugs = ["posaconazole"]
author = "A. Pharmacist, PharmD"
reason = "Formulary item 104233: the oncology order catalogue's name"
"""


def _site(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    (tmp_path / "site.toml").write_text(text)
    return tmp_path


def test_a_site_name_is_read_as_its_drug_on_the_built_in_knowledge_base(tmp_path: pathlib.Path) -> None:
    kb = load_knowledge_base(_site(tmp_path, SITE))
    assert kb.resolver.resolve("POSA DR TAB 100MG (ONC)") == ("posaconazole",)
    result = check(kb, CheckRequest((Medication("venetoclax", 400), Medication("azacitidine", 75)),
                                    (Medication("posa dr tab 100mg (onc)"),)))
    assert result.complete
    assert result.doses[1].recommended_dose_mg == 70  # venetoclax after azacitidine


def test_the_site_file_is_part_of_the_content_hash(tmp_path: pathlib.Path) -> None:
    built_in = load_knowledge_base()
    with_site = load_knowledge_base(_site(tmp_path, SITE))
    assert with_site.version == built_in.version
    assert with_site.content_hash != built_in.content_hash
    changed = load_knowledge_base(_site(tmp_path, SITE.replace("104233", "104234")))
    assert changed.content_hash != with_site.content_hash


@pytest.mark.parametrize(
    ("name", "drugs", "location", "message"),
    [
        ("Noxafil", '["voriconazole"]', "synonym[0].name", "already names posaconazole"),
        ("POSA DR TAB", '["posaconazol"]', "synonym[0].drugs", "unknown drug 'posaconazol'"),
    ],
)
def test_a_site_name_that_contradicts_the_knowledge_base_is_refused(
        tmp_path: pathlib.Path, name: str, drugs: str, location: str, message: str) -> None:
    text = SITE.replace('"POSA DR TAB 100MG (ONC)"', f'"{name}"').replace('["posaconazole"]', drugs)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_site(tmp_path, text))
    assert [(p.file, p.location) for p in caught.value.problems if message in p.message] == [("site.toml", location)]


def test_a_site_file_without_its_author_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_site(tmp_path, SITE.replace('author = "A. Pharmacist, PharmD"\n', "")))
    assert any(p.file == "site.toml" and "author" in p.location for p in caught.value.problems)


@pytest.mark.parametrize("text", ["not = = toml\n", SITE.replace('author = "A. Pharmacist, PharmD"\n', "")],
                         ids=["not TOML", "not a site file"])
def test_a_site_file_that_cannot_be_read_is_the_one_problem_told(tmp_path: pathlib.Path, text: str) -> None:
    """Whether it extends the built-in files is unknown: the others were reported missing, which misled."""
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_site(tmp_path, text))
    assert {p.file for p in caught.value.problems} == {"site.toml"}


def test_a_directory_where_a_file_should_be_is_a_problem_not_a_crash(tmp_path: pathlib.Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(default_data_dir(), kb)
    (kb / "classes.toml").unlink()
    (kb / "classes.toml").mkdir()
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(kb)
    assert [(p.file, p.message[:14]) for p in caught.value.problems] == [("classes.toml", "cannot be read")]


def test_hidden_copies_beside_the_files_do_not_change_the_hash(tmp_path: pathlib.Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(default_data_dir(), kb)
    before = load_knowledge_base(kb).content_hash
    shutil.copytree(default_data_dir(), kb / "..2026_11_30_19_00_00.123")  # a ConfigMap volume's snapshot
    assert load_knowledge_base(kb).content_hash == before
