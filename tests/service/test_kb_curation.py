"""Curating from the command line and the contract: `kb diff`, a site's overrides in `kb show` and GetKnowledgeBase."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from typer.testing import CliRunner

from dosecheck.v1 import dosecheck_pb2 as pb
from interactions import load_knowledge_base
from interactions.loading import default_data_dir
from service import convert
from service.cli import app

runner = CliRunner()

SITE = """
site = "Example General"
extends = "built-in"

[[synonym]]
name = "POSA DR TAB (ONC)"
drugs = ["posaconazole"]
author = "A. Pharmacist, PharmD"
reason = "Formulary item 104233"

[[override]]
agent = "gilteritinib"
rule = "gil-qt-known-risk"
precipitant = "ondansetron"
severity = "minor"
author = "A. Pharmacist, PharmD"
reason = "P&T 2026-03: single-dose premedication"

[[override]]
agent = "venetoclax"
rule = "ven-on-warfarin"
suppress = true
author = "B. Haematologist"
reason = "The anticoagulation clinic checks every INR"
"""


@pytest.fixture
def site(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "site.toml").write_text(SITE)
    return tmp_path


@pytest.fixture
def edited(tmp_path: pathlib.Path) -> pathlib.Path:
    """The built-in knowledge base with one dose changed: venetoclax 70 mg with posaconazole becomes 50 mg."""
    kb = tmp_path / "kb"
    shutil.copytree(default_data_dir(), kb)
    venetoclax = kb / "agents" / "venetoclax.toml"
    text = venetoclax.read_text()
    assert text.count("dose = { max_mg = 70 }") == 1
    venetoclax.write_text(text.replace("dose = { max_mg = 70 }", "dose = { max_mg = 50 }"))
    return kb


def test_the_same_knowledge_base_twice_is_identical_and_exits_0() -> None:
    result = runner.invoke(app, ["kb", "diff", "built-in", str(default_data_dir())])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Identical."


def test_a_changed_dose_is_reported_for_people_and_exits_1(edited: pathlib.Path) -> None:
    result = runner.invoke(app, ["kb", "diff", "built-in", str(edited)])

    assert result.exit_code == 1, result.output
    assert "1 entry differs." in result.stdout
    assert "changed venetoclax interaction ven-posaconazole" in result.stdout
    assert "dose: at most 70 mg -> at most 50 mg" in result.stdout


def test_the_json_report_carries_both_releases_and_every_field(site: pathlib.Path) -> None:
    result = runner.invoke(app, ["kb", "diff", "built-in", str(site), "--format", "json"])

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["identical"] is False
    assert (report["old"]["site"], report["new"]["site"]) == ("", "Example General")
    assert report["old"]["content_hash"] != report["new"]["content_hash"]
    assert [(c["section"], c["kind"], c["subject"]) for c in report["changes"]] == [
        ("site", "added", "Example General"),
        ("site", "added", "order name 'POSA DR TAB (ONC)'"),
        ("site", "added", "override gilteritinib gil-qt-known-risk with ondansetron"),
        ("site", "added", "override venetoclax ven-on-warfarin"),
    ]
    assert report["changes"][3]["summary"] == (
        "suppressed (B. Haematologist: The anticoagulation clinic checks every INR)")


def test_an_invalid_knowledge_base_exits_2_naming_the_side_and_the_problems(tmp_path: pathlib.Path) -> None:
    (tmp_path / "site.toml").write_text(SITE.replace('rule = "ven-on-warfarin"', 'rule = "ven-posaconazole"'))

    result = runner.invoke(app, ["kb", "diff", "built-in", str(tmp_path)])

    assert result.exit_code == 2
    assert f"NEW ({tmp_path}) is not a valid knowledge base (1 problems)" in result.stderr
    assert "site.toml: override[1].rule: ven-posaconazole sets the venetoclax dose" in result.stderr


def test_the_help_states_the_exit_codes() -> None:
    result = runner.invoke(app, ["kb", "diff", "--help"])

    assert result.exit_code == 0
    assert "Exit 0 when they are identical, 1 when they differ, 2 when" in " ".join(result.stdout.split())


def test_kb_show_lists_a_drugs_site_overrides(site: pathlib.Path) -> None:
    result = runner.invoke(app, ["kb", "show", "warfarin", "--kb", str(site)])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["site_overrides"] == [
        "venetoclax ven-on-warfarin: suppressed: no finding "
        "(site Example General, B. Haematologist: The anticoagulation clinic checks every INR)"]


def test_get_knowledge_base_carries_the_site_and_its_overrides(site: pathlib.Path) -> None:
    info = convert.knowledge_base_info(load_knowledge_base(site))

    assert info.site == "Example General"
    assert [(o.agent, o.rule, o.precipitant, o.severity, o.suppressed, o.author) for o in info.site_overrides] == [
        ("gilteritinib", "gil-qt-known-risk", "ondansetron", pb.SEVERITY_MINOR, False, "A. Pharmacist, PharmD"),
        ("venetoclax", "ven-on-warfarin", "", pb.SEVERITY_UNSPECIFIED, True, "B. Haematologist"),
    ]
    assert info.site_overrides[1].reason == "The anticoagulation clinic checks every INR"
