"""`kb_diff.diff`: the built-in knowledge base against edited copies gives exactly the edits made."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from interactions import KnowledgeBase, load_knowledge_base
from interactions.kb_diff import Change, FieldChange, diff
from interactions.loading import default_data_dir

SITE = """
site = "Example General"

[[synonym]]
name = "POSA DR TAB (ONC)"
drugs = ["posaconazole"]
author = "A. Pharmacist, PharmD"
reason = "Formulary item 104233"
"""


@pytest.fixture
def copy(tmp_path: pathlib.Path) -> pathlib.Path:
    kb = tmp_path / "kb"
    shutil.copytree(default_data_dir(), kb)
    return kb


def _block(text: str, header: str, key: str) -> tuple[int, int]:
    """Where the TOML table holding `key` begins (its `header`) and ends (the next table)."""
    begin = text.rindex(header, 0, text.index(key))
    end = text.find("\n[[", text.index(key))
    return begin, end + 1 if end >= 0 else len(text)


def _edit_block(path: pathlib.Path, header: str, key: str, old: str, new: str) -> None:
    text = path.read_text()
    begin, end = _block(text, header, key)
    block = text[begin:end]
    assert block.count(old) == 1, (key, old)
    path.write_text(text[:begin] + block.replace(old, new) + text[end:])


def _remove_block(path: pathlib.Path, header: str, key: str) -> None:
    text = path.read_text()
    begin, end = _block(text, header, key)
    path.write_text(text[:begin] + text[end:])


def _shape(changes: tuple[Change, ...]) -> list[tuple[str, str, str, tuple[FieldChange, ...]]]:
    return [(c.section, c.subject, c.kind, c.fields) for c in changes]


def test_a_copy_of_the_built_in_knowledge_base_is_identical(copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    result = diff(default_kb, load_knowledge_base(copy))

    assert result.identical
    assert result.changes == ()
    assert result.old.content_hash == result.new.content_hash


def test_the_differences_are_exactly_the_edits(copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    _remove_block(copy / "drugs.toml", "[[drug]]", 'name = "busulfan"')
    _edit_block(copy / "classes.toml", "[[class]]", 'id = "pgp_inhibitor"', "members = [", 'members = ["acyclovir", ')
    venetoclax = copy / "agents" / "venetoclax.toml"
    rule = 'id = "ven-moderate-cyp3a-inhibitor"'
    _edit_block(venetoclax, "[[interaction]]", rule, 'severity = "major"', 'severity = "moderate"')
    _edit_block(venetoclax, "[[interaction]]", rule, "dose = { fraction = 0.5 }", "dose = { fraction = 0.25 }")
    (copy / "site.toml").write_text(SITE)

    result = diff(default_kb, load_knowledge_base(copy))

    assert not result.identical
    assert (result.old.site, result.new.site) == ("", "Example General")
    assert result.new.content_hash != result.old.content_hash
    removed_busulfan = next(c for c in result.changes if c.subject == "busulfan")
    assert "comedication" in removed_busulfan.summary
    assert _shape(result.changes) == [
        ("drugs", "busulfan", "removed", ()),
        ("classes", "P-gp inhibitors", "changed", (FieldChange("members", added=("acyclovir",)),)),
        ("agents", "venetoclax interaction ven-moderate-cyp3a-inhibitor", "changed", (
            FieldChange("severity", "major", "moderate"),
            FieldChange("dose", "0.5 of the labelled dose", "0.25 of the labelled dose"),
        )),
        ("site", "Example General", "added", ()),
        ("site", "order name 'POSA DR TAB (ONC)'", "added", ()),
    ]


def test_edited_text_is_reported_as_changed_text_and_citations_by_source(
        copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    venetoclax = copy / "agents" / "venetoclax.toml"
    rule = 'id = "ven-dexamethasone"'
    _edit_block(venetoclax, "[[interaction]]", rule, 'recommendation = "Dexamethasone may', 'recommendation = "It may')
    _edit_block(venetoclax, "[[interaction]]", rule, "citations = [",
                'citations = [\n    { source = "review", detail = "ref [99]" },')

    result = diff(default_kb, load_knowledge_base(copy))

    [change] = result.changes
    assert change.subject == "venetoclax interaction ven-dexamethasone"
    text, citations = change.fields
    assert (text.field, text.text_changed) == ("recommendation", True)
    assert text.new.startswith("It may")
    assert citations == FieldChange("citations", added=("review ref [99]",))


def test_a_standard_dose_and_its_ramp_up_are_compared_number_by_number(
        copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    venetoclax = copy / "agents" / "venetoclax.toml"
    text = venetoclax.read_text()
    standard = text.index("[standard_dose]")
    edited = text[standard:].replace("ramp_up = [100, 200, 400]", "ramp_up = [100, 200, 300, 400]", 1)
    venetoclax.write_text(text[:standard] + edited)

    [change] = diff(default_kb, load_knowledge_base(copy)).changes

    assert (change.subject, change.fields) == ("venetoclax", (
        FieldChange("standard_dose.ramp_up", "100, 200, 400", "100, 200, 300, 400"),))


def test_rules_added_and_removed_say_what_they_were(copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    _remove_block(copy / "agents" / "venetoclax.toml", "[[interaction]]", 'id = "ven-on-digoxin"')
    _remove_block(copy / "regimen_rules.toml", "[[duplication]]", 'id = "dup-idh1-inhibitors"')
    _remove_block(copy / "agents" / "enasidenib.toml", "[[patient_rule]]",
                  'id = "ena-bilirubin-transaminases-not-given"')

    result = diff(default_kb, load_knowledge_base(copy))

    assert [(c.section, c.subject, c.kind) for c in result.changes] == [
        ("agents", "enasidenib patient rule ena-bilirubin-transaminases-not-given", "removed"),
        ("agents", "venetoclax interaction ven-on-digoxin", "removed"),
        ("regimen rules", "duplication dup-idh1-inhibitors", "removed"),
    ]
    bilirubin, digoxin, idh1 = result.changes
    assert bilirubin.summary == "bilirubin_uln_above 3, transaminases_missing yes, severity moderate, action monitor"
    assert digoxin.summary == ("precipitant_drugs digoxin, direction on_precipitant, severity major, "
                               "action avoid_combination")
    assert idh1.summary.startswith("Two IDH1 inhibitors: ivosidenib, olutasidenib")


def test_the_site_overrides_of_two_sites_are_compared(tmp_path: pathlib.Path) -> None:
    override = """
[[override]]
agent = "gilteritinib"
rule = "gil-qt-prolonging"
severity = "{severity}"
author = "A. Pharmacist, PharmD"
reason = "P&T 2026-03"
"""
    old, new = tmp_path / "old", tmp_path / "new"
    for site, severity in ((old, "minor"), (new, "info")):
        site.mkdir()
        (site / "site.toml").write_text('site = "Example General"\nextends = "built-in"\n'
                                        + override.format(severity=severity))

    [change] = diff(load_knowledge_base(old), load_knowledge_base(new)).changes

    assert (change.section, change.subject, change.fields) == (
        "site", "override gilteritinib gil-qt-prolonging", (FieldChange("severity", "minor", "info"),))


def test_a_difference_only_in_comments_is_a_difference_of_files_not_of_entries(
        copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    names = copy / "names.toml"
    names.write_text("# a curator's note\n" + names.read_text())

    result = diff(default_kb, load_knowledge_base(copy))

    assert result.changes == ()
    assert not result.identical


def test_a_regimen_by_name_removed_is_a_difference(copy: pathlib.Path, default_kb: KnowledgeBase) -> None:
    regimen = default_kb.regimens[0]
    _remove_block(copy / "regimens.toml", "[[regimen]]", f'name = "{regimen.name}"')

    [change] = diff(default_kb, load_knowledge_base(copy)).changes

    assert (change.section, change.subject, change.kind, change.summary) == (
        "regimens", regimen.name, "removed", " + ".join(regimen.components))
