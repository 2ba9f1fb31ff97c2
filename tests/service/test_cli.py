"""The `dosecheck` command in-process: check (JSON, table, remote), kb validate/show, health, serve's exit 2."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from typer.testing import CliRunner

from interactions.loading import default_data_dir
from interactions.schema import VERIFY_NOTE
from service.cli import app
from tests.service.conftest import RunningServer

REQUEST = {
    "requestId": "cli-1",
    "regimen": [{"name": "venetoclax", "doseMg": 400}, {"name": "azacitidine", "doseMg": 130}],
    "concomitant": [{"name": "posaconazole", "doseMg": 300}],
    "patient": {"cycleStartDate": "2026-01-05"},
}

runner = CliRunner()


@pytest.fixture
def request_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    return path


@pytest.fixture
def broken_kb(tmp_path: pathlib.Path) -> pathlib.Path:
    kb = tmp_path / "kb"
    shutil.copytree(default_data_dir(), kb)
    (kb / "names.toml").write_text("this is = = not toml\n")
    (kb / "classes.toml").write_text("[[class]\n")
    return kb


def _venetoclax(output: str) -> dict[str, object]:
    response = json.loads(output)
    return next(d for d in response["decisions"] if d["drug"] == "venetoclax")


def test_check_in_process_prints_the_response_as_json(request_file: pathlib.Path) -> None:
    result = runner.invoke(app, ["check", str(request_file)])

    assert result.exit_code == 0, result.output
    dose = _venetoclax(result.stdout)
    assert dose["recommendedDoseMg"] == 70
    assert dose["action"] == "ACTION_ADJUST_DOSE"
    assert json.loads(result.stdout)["requestId"] == "cli-1"


def test_check_reads_standard_input() -> None:
    result = runner.invoke(app, ["check", "-"], input=json.dumps(REQUEST))

    assert result.exit_code == 0, result.output
    assert _venetoclax(result.stdout)["recommendedDoseMg"] == 70


def test_check_against_a_server_gives_the_same_answer(server: RunningServer, request_file: pathlib.Path) -> None:
    local = runner.invoke(app, ["check", str(request_file)])
    remote = runner.invoke(app, ["check", str(request_file), "--target", server.target])

    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_check_as_a_table_for_people(request_file: pathlib.Path) -> None:
    result = runner.invoke(app, ["check", str(request_file), "--format", "table"])

    assert result.exit_code == 0, result.output
    assert "venetoclax" in result.stdout
    assert "ADJUST_DOSE" in result.stdout
    assert "1: 10, 2: 20" in result.stdout
    assert "C1D1" in result.stdout


def test_the_table_says_which_finding_applied_and_which_sources_are_still_to_verify(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"regimen": [{"name": "olutasidenib", "doseMg": 400}, {"name": "gilteritinib",
                                                                                     "doseMg": 120}],
                                "concomitant": [{"name": "posaconazole"}]}))

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if ": " in line}
    assert "Finding f2 applies, the most restrictive of f2, f1." in lines["gilteritinib"]
    assert "Finding f3 applies." in lines["olutasidenib"]
    assert f"uspi-rezlidhia Dosage and Administration: recommended dosage ({VERIFY_NOTE})" in lines["olutasidenib"]


@pytest.mark.parametrize("remote", [False, True], ids=["in-process", "remote"])
def test_check_an_invalid_request_exits_1_naming_the_fields(
        request: pytest.FixtureRequest, tmp_path: pathlib.Path, remote: bool) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"regimen": [{"name": " ", "doseMg": -4}]}))
    target = ["--target", request.getfixturevalue("server").target] if remote else []

    result = runner.invoke(app, ["check", str(path), *target])

    assert result.exit_code == 1
    assert "INVALID_ARGUMENT" in result.stderr
    assert "regimen[0].name" in result.stderr
    assert "regimen[0].dose_mg" in result.stderr


def test_check_rejects_json_that_is_not_a_request(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"regimen": [{"nme": "venetoclax"}]}')

    result = runner.invoke(app, ["check", str(path)])

    assert result.exit_code == 2
    assert "not a CheckRegimenRequest" in result.stderr


def test_kb_validate_accepts_the_built_in_knowledge_base() -> None:
    result = runner.invoke(app, ["kb", "validate"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")
    assert "sha256:" in result.stdout


def test_kb_validate_lists_every_problem_and_exits_2(broken_kb: pathlib.Path) -> None:
    result = runner.invoke(app, ["kb", "validate", str(broken_kb)])

    assert result.exit_code == 2
    assert "names.toml" in result.stderr
    assert "classes.toml" in result.stderr


def test_serve_refuses_an_invalid_knowledge_base_with_exit_2(broken_kb: pathlib.Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "0", "--kb", str(broken_kb)])

    assert result.exit_code == 2
    assert "names.toml" in result.stderr
    assert "classes.toml" in result.stderr


def test_kb_show_describes_a_drug_by_any_name() -> None:
    result = runner.invoke(app, ["kb", "show", "Venclexta"])

    assert result.exit_code == 0, result.output
    description = json.loads(result.stdout)
    assert description["resolves_to"] == ["venetoclax"]
    assert any("posaconazole" in rule for rule in description["rules"])


def test_kb_show_an_unknown_name_suggests_and_exits_1() -> None:
    result = runner.invoke(app, ["kb", "show", "posaconazol"])

    assert result.exit_code == 1
    assert "posaconazole" in json.loads(result.stdout)["suggestions"]


def test_health_reports_serving(server: RunningServer) -> None:
    result = runner.invoke(app, ["health", "--target", server.target])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "SERVING"


def test_health_fails_when_nothing_listens() -> None:
    result = runner.invoke(app, ["health", "--target", "127.0.0.1:1", "--timeout", "1"])

    assert result.exit_code == 1


def test_kb_show_gives_the_tier_the_review_the_codes_and_every_kind_of_rule() -> None:
    result = runner.invoke(app, ["kb", "show", "venetoclax"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["codes"] == ["http://www.nlm.nih.gov/research/umls/rxnorm|1747556"]
    assert shown["reviewed"]
    hepatic = "venetoclax patient: adjust_dose (ven-severe-hepatic-impairment"
    assert any(line.startswith(hepatic) for line in shown["rules"])
    levofloxacin = json.loads(runner.invoke(app, ["kb", "show", "levofloxacin"]).stdout)
    assert levofloxacin["qt_risk"] == "known"
    # A fact from a secondary restatement says so, in the drug's review and in the rules citing it.
    fluvoxamine = json.loads(runner.invoke(app, ["kb", "show", "fluvoxamine"]).stdout)
    assert any(line.startswith("fda-ddi ") and line.endswith(f"({VERIFY_NOTE})") for line in fluvoxamine["reviewed"])
    assert any(f"uspi-tibsovo 7.1 (strong or moderate CYP3A4 inhibitors: monitor for QTc prolongation) ({VERIFY_NOTE})"
               in line for line in fluvoxamine["rules"])
