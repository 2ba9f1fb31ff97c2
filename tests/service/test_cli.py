"""The `dosecheck` command in-process: check (JSON, table, remote), kb validate/show, health, serve's exit 2."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
from collections.abc import Mapping

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

INCOMPLETE = {
    "requestId": "cli-incomplete",
    "regimen": [{"name": "venetoclax", "doseMg": 400}],
    "concomitant": [{"name": "posaconazole"}, {"name": "ondansetron (KYTRIL) 8 mg tablet"}, {"name": "ensitrelvir"},
                    {"name": "voriconzole"}],
}
"""Checked in part: venetoclax and posaconazole are, a conflict, a drug not reviewed and a misspelling are not."""

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


def _write(tmp_path: pathlib.Path, request: Mapping[str, object]) -> pathlib.Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    return path


def _sources(table: str) -> dict[int, str]:
    """The table's Sources list: reference number -> citation (one line each at a width of 400)."""
    listed = table.split("\nSources\n", 1)[1]
    return {int(m[1]): m[2] for m in re.finditer(r"^\[(\d+)\] (.*)$", listed, re.MULTILINE)}


def _references(line: str) -> list[int]:
    """The reference numbers a note ends with: `... [1,2]`."""
    found = re.search(r"\[([\d,]+)\]$", line.rstrip())
    assert found, line
    return [int(n) for n in found[1].split(",")]


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
    assert "ADJUST DOSE" in result.stdout
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
    cited = [_sources(result.stdout)[n] for n in _references(lines["olutasidenib"])]
    assert f"uspi-rezlidhia Dosage and Administration: recommended dosage ({VERIFY_NOTE})" in cited


def test_the_table_names_as_applied_the_finding_whose_action_the_decision_takes(tmp_path: pathlib.Path) -> None:
    # Gilteritinib weekly beside posaconazole: ADJUST_DOSE from its frequency-not-read finding, listed after the
    # azole's MONITOR findings; "Finding f2 applies" named a MONITOR. A venetoclax held by its order: the hold is no
    # finding's, the azole's finding is weighed (its dose on resuming), not applied.
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"regimen": [{"name": "gilteritinib 120 mg weekly"},
                                            {"name": "venetoclax", "doseMg": 400, "held": True}],
                                "concomitant": [{"name": "posaconazole"}]}))

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    answer = json.loads(runner.invoke(app, ["check", str(path)]).stdout)
    rules = {f["id"]: f["rule"] for f in answer["findings"]}
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if ": " in line}
    applied = lines["gilteritinib"].split("Finding ")[1].split(" applies")[0]
    assert rules[applied] == "gilteritinib/frequency-not-read"
    assert "Findings weighed: " in lines["venetoclax"]
    assert "applies" not in lines["venetoclax"]


def test_the_table_says_an_unstated_dose_was_not_stated_never_0_mg(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"regimen": [{"name": "venetoclax"}, {"name": "gilteritinib", "doseMg": 120}]}))

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    rows = {cells[0]: cells for line in result.stdout.splitlines()
            if len(cells := [cell.strip() for cell in line.strip("│┃ ").split("│")]) > 3}
    assert rows["venetoclax"][1:3] == ["not stated", "400"]
    assert rows["gilteritinib"][1:3] == ["120", "120"]


def test_the_table_says_which_drugs_to_avoid_and_that_the_dose_stands(tmp_path: pathlib.Path) -> None:
    # Carbamazepine lowers olutasidenib: avoid it; the dose does not change for it.
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"regimen": [{"name": "olutasidenib", "doseMg": 150}],
                                "concomitant": [{"name": "carbamazepine"}]}))

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    assert ("olutasidenib: Avoid or replace while olutasidenib is given: carbamazepine (see the findings); the "
            "olutasidenib dose does not change for it.") in result.stdout


def test_the_table_never_says_the_dose_stands_for_a_drug_that_sets_it(tmp_path: pathlib.Path) -> None:
    # Itraconazole raises ivosidenib (500 -> 250 mg) and ivosidenib lowers itraconazole (avoid it).
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"regimen": [{"name": "ivosidenib", "doseMg": 500}],
                                "concomitant": [{"name": "itraconazole"}, {"name": "carbamazepine"}]}))

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stdout.splitlines() if line.startswith("ivosidenib: Avoid")]
    assert "itraconazole" in line.split(":")[2]
    assert "the ivosidenib dose does not change for carbamazepine." in line


def test_the_table_lists_each_source_once_and_fits_80_columns(tmp_path: pathlib.Path) -> None:
    """The decisions and findings refer to one numbered Sources list; long names wrap between words."""
    path = _write(tmp_path, {"regimen": [{"name": "venetoclax", "doseMg": 400}, {"name": "gilteritinib",
                                                                                "doseMg": 120}],
                             "concomitant": [{"name": "verapamil"}, {"name": "carbamazepine"}]})

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "80"})

    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "…" not in result.stdout
    assert {"CYP3A4", "MODERATE", "INHIBITOR", "AVOID", "COMBINATION"} <= set(result.stdout.split()), \
        "names wrap between words"
    wide = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"}).stdout
    notes = wide.split("\nSources\n")[0]
    citations = json.loads(runner.invoke(app, ["check", str(path)]).stdout)["citations"]
    assert citations
    # Each source's text once, in the Sources list, however many decisions and findings cite it.
    assert sorted(_sources(wide).values()) == sorted(
        f"{c['source']} {c['detail']}" + (f" ({VERIFY_NOTE})" if c["verify"] else "") for c in citations)
    assert not [c for c in citations if f"{c['source']} {c['detail']}" in notes]


def test_the_table_shows_one_row_per_drug_and_test_with_each_schedules_reason(tmp_path: pathlib.Path) -> None:
    """Gilteritinib's differentiation-syndrome reviews and a strong inhibitor's, other days: one row, both reasons."""
    path = _write(tmp_path, {"regimen": [{"name": "gilteritinib", "doseMg": 120}],
                             "concomitant": [{"name": "clarithromycin"}], "patient": {"cycleStartDate": "2026-01-05"}})
    schedules = json.loads(runner.invoke(app, ["check", str(path)]).stdout)["monitoring"]
    reviews = [s for s in schedules
               if s["drug"] == "gilteritinib" and s["test"] == "MONITORING_TEST_CLINICAL_ASSESSMENT"]
    assert len(reviews) == 2, "the answer has two review schedules for gilteritinib, on different days"

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    row_start = r"│ gilteritinib +│ CLINICAL ASSESSMENT +│"
    assert len(re.findall("^" + row_start, result.stdout, re.MULTILINE)) == 1
    days = {f"{e['label']} {e['date']}" for s in reviews for e in s["events"]}
    row = next(line for line in result.stdout.splitlines() if re.match(row_start, line))
    assert all(day in row for day in days)
    notes = [line for line in result.stdout.splitlines() if line.startswith("gilteritinib CLINICAL ASSESSMENT: ")]
    assert [note.removeprefix("gilteritinib CLINICAL ASSESSMENT: ").rsplit(" [", 1)[0] for note in notes] == [
        s["reason"] for s in reviews]


@pytest.mark.parametrize("output_format", ["json", "table"])
@pytest.mark.parametrize("remote", [False, True], ids=["in-process", "remote"])
def test_an_incomplete_check_prints_the_whole_answer_and_exits_1(
        request: pytest.FixtureRequest, tmp_path: pathlib.Path, remote: bool, output_format: str) -> None:
    """A script gating on the exit status never takes a partial check for a clean one."""
    path = _write(tmp_path, INCOMPLETE)
    target = ["--target", request.getfixturevalue("server").target] if remote else []

    result = runner.invoke(app, ["check", str(path), "--format", output_format, *target],
                           env={"COLUMNS": "400"})

    assert result.exit_code == 1, result.output
    assert "the check is incomplete; not checked: ensitrelvir (not reviewed), ondansetron (KYTRIL) 8 mg tablet " \
           "(conflict), voriconzole (unknown; did you mean voriconazole?)" in result.stderr
    if output_format == "json":
        response = json.loads(result.stdout)
        assert response["complete"] is False
        assert _venetoclax(result.stdout)["recommendedDoseMg"] == 70
        assert [u["reason"] for u in response["unrecognized"]] == [
            "UNRECOGNIZED_REASON_NOT_REVIEWED", "UNRECOGNIZED_REASON_CONFLICT", "UNRECOGNIZED_REASON_UNKNOWN"]
    else:
        assert "complete NO: 3 medication(s) not checked" in result.stdout
        assert re.search(r"│ venetoclax +│ 400 +│ 70 +│ ADJUST DOSE", result.stdout)


@pytest.mark.parametrize("output_format", ["json", "table"])
def test_an_unrecognised_regimen_drug_is_given_no_dose(tmp_path: pathlib.Path, output_format: str) -> None:
    path = _write(tmp_path, {"regimen": [{"name": "venetoclx", "doseMg": 400}]})

    result = runner.invoke(app, ["check", str(path), "--format", output_format], env={"COLUMNS": "400"})

    assert result.exit_code == 1, result.output
    if output_format == "json":
        (decision,) = json.loads(result.stdout)["decisions"]
        assert "recommendedDoseMg" not in decision
        assert decision["action"] == "ACTION_UNSPECIFIED"
    else:
        assert re.search(r"│ venetoclx +│ 400 +│ - +│ NOT CHECKED", result.stdout)


def test_the_table_says_why_each_medication_was_not_checked(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, INCOMPLETE)

    result = runner.invoke(app, ["check", str(path), "--format", "table"], env={"COLUMNS": "400"})

    assert result.exit_code == 1
    assert re.search(r"│ ondansetron \(KYTRIL\) 8 mg tablet +│ CONFLICT +│ - +│", result.stdout)
    assert re.search(r"│ ensitrelvir +│ NOT REVIEWED +│ - +│", result.stdout)
    assert re.search(r"│ voriconzole +│ UNKNOWN +│ voriconazole +│", result.stdout)
    details = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert "'kytril' names granisetron" in details["ondansetron (KYTRIL) 8 mg tablet"]
    assert "a real drug whose interactions the knowledge base has not reviewed" in details["ensitrelvir"]
    assert "not a drug or order text" in details["voriconzole"]


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
    assert "regimen[0].nme: unknown field" in result.stderr


def test_check_refuses_a_dose_given_twice_naming_it(tmp_path: pathlib.Path) -> None:
    # Was checked as 10 mg (json.loads keeps the last), exit 0, no word of the 400 mg beside it.
    path = tmp_path / "twice.json"
    path.write_text('{"requestId": "cli-twice", "regimen": [{"name": "venetoclax", "doseMg": 400, "doseMg": 10}]}')

    result = runner.invoke(app, ["check", str(path)])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"dosecheck: {path}: regimen[0].doseMg is given more than once (a key repeated in one "
                             "JSON object): which of its values is meant cannot be told\n")


def test_check_names_the_allowed_values_of_a_bad_hold_reason(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, {"regimen": [{"name": "gilteritinib", "doseMg": 120, "held": True,
                                          "holdReason": "QTc prolongation"}]})

    result = runner.invoke(app, ["check", str(path)])

    assert result.exit_code == 2
    assert ("regimen[0].hold_reason: must be one of HOLD_REASON_UNSPECIFIED, HOLD_REASON_QTC_PROLONGATION, "
            "HOLD_REASON_PANCREATITIS, HOLD_REASON_DIFFERENTIATION_SYNDROME, HOLD_REASON_OTHER_ADVERSE_REACTION, "
            "HOLD_REASON_OTHER, not 'QTc prolongation'") in result.stderr


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
    assert "reason" not in description
    assert any("posaconazole" in rule for rule in description["rules"])


def test_kb_show_lists_the_brands_read_as_a_local_form() -> None:
    result = runner.invoke(app, ["kb", "show", "tacrolimus"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["local_brands"] == ["protopic (ointment)"]


@pytest.mark.parametrize(("name", "reason", "detail", "suggestions"), [
    ("posaconazol", "UNKNOWN", "not a drug or order text", ["posaconazole"]),
    ("voriconzole", "UNKNOWN", "not a drug or order text", ["voriconazole"]),
    ("ZZZ", "UNKNOWN", "not a drug or order text", []),
    ("ensitrelvir", "NOT_REVIEWED", "a real drug whose interactions the knowledge base has not reviewed", []),
    ("ondansetron (KYTRIL) 8 mg tablet", "CONFLICT", "'kytril' names granisetron", []),
])
def test_kb_show_a_name_it_cannot_resolve_says_why_and_exits_1(
        name: str, reason: str, detail: str, suggestions: list[str]) -> None:
    result = runner.invoke(app, ["kb", "show", name])

    assert result.exit_code == 1
    shown = json.loads(result.stdout)
    assert shown["resolves_to"] == []
    assert shown["reason"] == reason
    assert detail in shown["detail"]
    assert shown["suggestions"] == suggestions
    guess = f"; did you mean {suggestions[0]}?" if suggestions else ""
    said = f"{name} ({reason.lower().replace('_', ' ')}{guess}) would not be checked: {shown['detail']}"
    assert said in result.stderr


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
