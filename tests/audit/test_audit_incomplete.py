"""Rows whose check is incomplete are actionable: their decisions in the CSV, the rows in the report.

And regimen-wide findings (the QT burden) are counted by rule, not as pairs of the drug they name first.
"""

from __future__ import annotations

import csv
import json
import pathlib
from typing import Any

import orjson
import pytest

from service.audit.decisions import COLUMNS
from service.audit.report import LISTED, render_html, render_markdown
from service.audit.runner import AuditRun, run_audit
from service.audit.summary import EXAMPLES_KEPT, AuditSummary

VEN = {"name": "venetoclax", "doseMg": 400}
AZA = {"name": "azacitidine", "doseMg": 75}
# A misspelt strong CYP3A inhibitor: recognised, venetoclax would be reduced.
MISSPELT = "posaconazol"
MISSED = "posaconazol (unknown; did you mean posaconazole"


def request(request_id: str, regimen: list[dict[str, Any]], *concomitant: str) -> dict[str, Any]:
    return {"requestId": request_id, "regimen": regimen, "concomitant": [{"name": n} for n in concomitant]}


def audit(tmp_path: pathlib.Path, requests: list[dict[str, Any]]) -> tuple[AuditRun, list[dict[str, str]]]:
    """The requests audited in-process, and the decisions CSV of the audit."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run = run_audit(source, out, decisions_path=tmp_path / "decisions.csv")
    with (tmp_path / "decisions.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        lines = list(reader)
    assert len(lines) == run.summary.decisions_needing_action  # the CSV and the report agree
    return run, lines


def markdown_table(markdown: str, title_start: str) -> tuple[str, list[dict[str, str]]]:
    """The section whose title starts so: its text before the table, and the table's rows."""
    section = markdown.split(f"\n## {title_start}", 1)[1].split("\n## ", 1)[0]
    text = [line for line in section.splitlines()[1:] if line and not line.startswith("|")]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]
    return " ".join(text), rows


def test_every_decision_of_a_row_with_a_misspelt_inhibitor_has_a_csv_line_naming_it(tmp_path: pathlib.Path) -> None:
    run, lines = audit(tmp_path, [
        request("spelt", [VEN, AZA], "posaconazole"),
        request("misspelt", [VEN, AZA], MISSPELT),
    ])

    spelt = [line for line in lines if line["request_id"] == "spelt"]
    # Spelt right, venetoclax is reduced: its one line; azacitidine continues and is not in the CSV.
    assert [(line["drug"], line["action"], line["complete"], line["not_checked"]) for line in spelt] == [
        ("venetoclax", "adjust dose", "yes", "")]
    misspelt = [line for line in lines if line["request_id"] == "misspelt"]
    # Misspelt, nothing changes venetoclax's dose, yet both decisions need a pharmacist.
    assert [(line["line"], line["drug"], line["action"], line["complete"]) for line in misspelt] == [
        ("2", "azacitidine", "continue", "no"), ("2", "venetoclax", "continue", "no")]
    assert all(line["not_checked"].startswith(MISSED) for line in misspelt)
    assert all(line["not_checked"].endswith("?)") for line in misspelt)
    assert (run.summary.incomplete, run.summary.action_rows, run.summary.dose_change_rows) == (1, 2, 1)
    assert run.summary.decisions_needing_action == 3
    assert run.summary.dose_changes.total() == 1



def test_a_hold_the_order_says_is_not_counted_as_a_dose_change(tmp_path: pathlib.Path) -> None:
    # Venetoclax held in its order, no finding behind the hold: nothing to change. The report said "Decisions
    # changing a dose or naming a drug to avoid: 2" and "Rows needing a dose change or a drug avoided: 2" of
    # one reduction (an 800-regimen export: 392 and 375 against 371 and 371, every held order counted).
    run, lines = audit(tmp_path, [
        request("reduced", [VEN, AZA], "posaconazole"),
        request("held", [{**VEN, "held": True}, AZA]),
        request("held, misspelt", [{**VEN, "held": True}, AZA], MISSPELT),
    ])

    assert (run.summary.dose_changes.total(), run.summary.dose_change_rows) == (1, 1)
    # The incomplete row needs a pharmacist all the same: its decisions are in the CSV, its hold the order's.
    assert (run.summary.action_rows, run.summary.decisions_needing_action) == (2, 3)
    assert [(line["request_id"], line["drug"], line["action"]) for line in lines] == [
        ("reduced", "venetoclax", "adjust dose"), ("held, misspelt", "azacitidine", "continue"),
        ("held, misspelt", "venetoclax", "hold")]
    report = render_markdown(run)
    assert "- **Decisions changing a dose or naming a drug to avoid**: 1\n" in report
    assert "- **Rows needing a dose change or a drug avoided**: 1\n" in report

def test_an_incomplete_row_with_no_dose_change_gets_its_lines_and_is_listed(tmp_path: pathlib.Path) -> None:
    trial = {"name": "trial drug 7", "doseMg": 5}
    run, lines = audit(tmp_path, [
        request("complete", [AZA], "acyclovir"),
        request("one missed", [AZA], "acyclovr"),
        request("two missed", [AZA, trial], "flucanazole"),
    ])

    assert {line["request_id"] for line in lines} == {"one missed", "two missed"}
    one = next(line for line in lines if line["request_id"] == "one missed")
    assert (one["drug"], one["action"], one["not_checked"]) == (
        "azacitidine", "continue", "acyclovr (unknown; did you mean acyclovir?)")
    two = [line for line in lines if line["request_id"] == "two missed"]
    # The unrecognised regimen drug has a decision with no action: not checked.
    assert [(line["drug"], line["action"]) for line in two] == [
        ("azacitidine", "continue"), ("trial drug 7", "not checked")]
    # Not checked, so no recommended dose: an empty cell, never 0 mg.
    assert [(line["ordered_dose_mg"], line["recommended_dose_mg"]) for line in two] == [("75", "75"), ("5", "")]
    missed = {cell.split(" (")[0] for cell in two[0]["not_checked"].split("); ")}
    assert missed == {"trial drug 7", "flucanazole"}
    assert len({line["not_checked"] for line in two}) == 1  # the row's, on every line

    markdown = render_markdown(run)
    assert "- **Rows with unrecognised names (check incomplete)**: 2" in markdown
    assert "- **Decisions needing action (every decision of an incomplete row among them)**: 3" in markdown
    _, listed = markdown_table(markdown, "Rows whose check is incomplete (all 2)")
    assert [(row["Line"], row["Request"]) for row in listed] == [("2", "one missed"), ("3", "two missed")]
    assert listed[0]["Not checked"] == "acyclovr (unknown; did you mean acyclovir?)"
    assert listed[1]["Not checked"] == two[0]["not_checked"]
    _, needing = markdown_table(markdown, "Regimens needing action (all 2)")
    assert needing[0] == {"Line": "2", "Request": "one missed", "Decisions needing action":
                          "azacitidine 75 → 75 mg (continue)", "Not checked": listed[0]["Not checked"]}
    page = render_html(run)
    assert "<h2>Rows whose check is incomplete (all 2)</h2>" in page
    assert "<td>2</td><td>one missed</td><td>acyclovr (unknown; did you mean acyclovir?)</td>" in page


def test_the_incomplete_rows_listed_are_capped_and_the_rest_counted(tmp_path: pathlib.Path) -> None:
    run, lines = audit(tmp_path, [request(f"r{i}", [AZA], "acyclovr") for i in range(LISTED + 3)])

    assert len(lines) == LISTED + 3
    note, listed = markdown_table(render_markdown(run), f"Rows whose check is incomplete (first 50 of {LISTED + 3})")
    assert [row["Request"] for row in listed] == [f"r{i}" for i in range(LISTED)]
    assert note.startswith("3 more are not listed: the decisions CSV has a line for every decision")


def test_the_rows_kept_for_the_report_stop_at_examples_kept_however_summed() -> None:
    response = {"requestId": "r", "decisions": [{"drug": "azacitidine", "action": "ACTION_CONTINUE"}],
                "unrecognized": [{"name": " acyclovr ", "suggestions": ["acyclovir"],
                                  "reason": "UNRECOGNIZED_REASON_UNKNOWN"}]}
    whole, first, second = AuditSummary(), AuditSummary(), AuditSummary()
    for line in range(1, EXAMPLES_KEPT + 11):
        whole.add(line, response)
        (first if line <= 7 else second).add(line, response)
    first.merge(second)

    for summary in (whole, first):
        assert summary.incomplete == summary.action_rows == summary.decisions_needing_action == EXAMPLES_KEPT + 10
        assert [row.line for row in summary.incomplete_rows] == list(range(1, EXAMPLES_KEPT + 1))
        assert summary.unrecognized == {"acyclovr": EXAMPLES_KEPT + 10}
        assert summary.incomplete_rows[0].not_checked[0].name == "acyclovr"


def test_an_answer_that_says_incomplete_without_naming_a_medication_is_not_passed() -> None:
    # Contradicting the contract (`complete` false, nothing unrecognised): still incomplete.
    summary = AuditSummary()
    summary.add(1, {"requestId": "r", "decisions": [{"drug": "azacitidine", "action": "ACTION_CONTINUE"}]})
    assert (summary.incomplete, summary.decisions_needing_action) == (1, 1)
    assert "| 1 | r | (the answer names none) |" in render_markdown(
        AuditRun(pathlib.Path("in"), pathlib.Path("out"), summary, (), 0, 1, 0.0))


@pytest.fixture
def qt_burden(tmp_path: pathlib.Path) -> tuple[AuditRun, pathlib.Path]:
    """Venetoclax (no QT rule of its own) with two drugs of known TdP risk, and an inducer it has a rule for."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(request("qt", [VEN, AZA], "methadone", "ondansetron", "rifampin")) + "\n",
                      encoding="utf-8")
    return run_audit(source, tmp_path / "out.jsonl"), tmp_path / "out.jsonl"


def test_a_qt_burden_finding_is_not_counted_as_venetoclax_pairs(qt_burden: tuple[AuditRun, pathlib.Path]) -> None:
    run, out = qt_burden
    (record,) = map(orjson.loads, out.read_bytes().splitlines())
    burden = [f for f in record["response"]["findings"] if f["rule"] == "qt-burden-two-known-risk"]
    assert [(f["objectDrug"], sorted(f["precipitantDrugs"])) for f in burden] == [
        ("venetoclax", ["methadone", "ondansetron"])]

    summary = run.summary
    assert summary.pairs == {("venetoclax", "rifampin"): 1}
    assert summary.regimen_findings == {"qt-burden-two-known-risk": 1}
    # Still counted by mechanism, once per drug it found, as every finding is.
    assert summary.findings_by_mechanism["MECHANISM_QT_PROLONGATION"] == 2
    markdown = render_markdown(run)
    _, pairs = markdown_table(markdown, "Most frequent interacting pairs")
    assert pairs == [{"Drug": "venetoclax", "With": "rifampin", "Findings": "1"}]
    _, by_rule = markdown_table(markdown, "Regimen-wide findings")
    assert by_rule == [{"Rule": "qt-burden-two-known-risk", "Findings": "1"}]
