"""What an audit hands people: the decisions CSV, the HTML report's charts, the rows needing action."""

from __future__ import annotations

import csv
import json
import pathlib
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from service.audit.decisions import COLUMNS, decision_rows
from service.audit.report import TOP_AGENTS, TOP_PAIRS, render_html, render_markdown
from service.audit.report import enum_label as label
from service.audit.runner import AuditInterruptedError, AuditRun, run_audit
from service.cli import app

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SVG = "{http://www.w3.org/2000/svg}"
# Decisions that need action, as the issue defines them: the dose changes, or another drug is to be avoided.
DOSE_CHANGING = {"ACTION_ADJUST_DOSE", "ACTION_HOLD", "ACTION_AVOID_COMBINATION", "ACTION_DISCONTINUE"}
SEVERITY_ORDER = ["SEVERITY_INFO", "SEVERITY_MINOR", "SEVERITY_MODERATE", "SEVERITY_MAJOR", "SEVERITY_CONTRAINDICATED"]


def responses(path: pathlib.Path) -> list[tuple[int, dict[str, Any]]]:
    return [(r["line"], r["response"]) for r in map(orjson.loads, path.read_bytes().splitlines())]


def needs_action(decision: dict[str, Any], response: dict[str, Any]) -> bool:
    # Every decision of a row whose check is incomplete needs a pharmacist; a hold no finding sets is the
    # order's own (the order says it is held): nothing to change; a major finding to monitor is ECGs or labs to
    # order (a quality team's review: a QTc of 480 ms with three QT drugs was left out).
    own_hold = decision.get("action") == "ACTION_HOLD" and not decision.get("findings")
    severity = {f["id"]: f.get("severity") for f in response.get("findings", ())}
    major_to_monitor = decision.get("action") == "ACTION_MONITOR" and any(
        severity.get(i) in ("SEVERITY_MAJOR", "SEVERITY_CONTRAINDICATED") for i in decision.get("findings", ()))
    return ((decision.get("action") in DOSE_CHANGING and not own_hold) or bool(decision.get("avoidWith"))
            or major_to_monitor or not response.get("complete"))


def concerned(finding: dict[str, Any]) -> set[str]:
    return {finding["objectDrug"], *finding.get("precipitantDrugs", ())}


def csv_lines(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)




def write_jsonl(path: pathlib.Path, requests: list[dict[str, Any]]) -> pathlib.Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    return path


def request(request_id: str, regimen: list[dict[str, Any]], *concomitant: str) -> dict[str, Any]:
    return {"requestId": request_id, "regimen": regimen, "concomitant": [{"name": n} for n in concomitant]}


VEN = {"name": "venetoclax", "doseMg": 400}
AZA = {"name": "azacitidine", "doseMg": 75}
IVO = {"name": "ivosidenib", "doseMg": 500}
GIL = {"name": "gilteritinib", "doseMg": 120}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditRun, pathlib.Path]:
    """The sample export audited once: every kind of finding, action and unrecognised name."""
    out = tmp_path_factory.mktemp("sample") / "out.jsonl"
    return run_audit(EXAMPLES / "regimens.jsonl", out, decisions_path=out.with_suffix(".csv")), out


@pytest.fixture
def varied(tmp_path: pathlib.Path) -> pathlib.Path:
    """Rows with no action, one, two (dose changes, holds, drugs to avoid), and errors."""
    rows = []
    for i in range(45):
        kind = i % 5
        if kind == 0:
            rows.append(request(f"r{i}", [VEN, AZA], "posaconazole", "acyclovir"))
        elif kind == 1:
            rows.append(request(f"r{i}", [VEN, IVO], "posaconazole"))
        elif kind == 2:
            rows.append(request(f"r{i}", [GIL, {**AZA, "held": True}], "rifampin"))
        elif kind == 3:
            rows.append(request(f"r{i}", [AZA], "acyclovir"))
        else:
            rows.append(request(f"r{i}", [{**VEN, "doseMg": -1}]))
    return write_jsonl(tmp_path / "in.jsonl", rows)


def test_the_csv_has_one_line_per_decision_needing_action_with_its_columns(
    sample: tuple[AuditRun, pathlib.Path], tmp_path: pathlib.Path
) -> None:
    run, out = sample
    path = out.with_suffix(".csv")

    # One line per decision needing action, and one per row that could not be checked.
    expected = [(line, response, d) for line, response in responses(out)
                for d in ((None,) if "error" in response else response.get("decisions", ()))
                if d is None or needs_action(d, response)]
    errors = [(line, response) for line, response, d in expected if d is None]
    got = csv_lines(path)
    assert len(got) == len(expected) == run.summary.decisions_needing_action + run.summary.errors > 100
    assert len(errors) == run.summary.errors > 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbfline,request_id,")  # a BOM: spreadsheets read it as UTF-8
    for row, (line, response, decision) in zip(got, expected, strict=True):
        if decision is None:
            assert (row["line"], row["request_id"], row["drug"], row["action"], row["complete"]) == (
                str(line), response.get("requestId", ""), "", "not checked (error)", "no")
            assert row["not_checked"] == response["error"]["message"] != ""
            continue
        findings = {f["id"]: f for f in response.get("findings", ())}
        named = list(dict.fromkeys(findings[i]["rule"] for i in decision.get("findings", ())))
        assert (row["line"], row["request_id"], row["drug"]) == (str(line), response["requestId"], decision["drug"])
        # 0 is "not stated" in the contract: an empty cell, never a 0 mg order beside a dose to give.
        assert row["ordered_dose_mg"] == ("" if not decision.get("orderedDoseMg")
                                          else f"{decision['orderedDoseMg']:.15g}")
        assert float(row["recommended_dose_mg"]) == decision.get("recommendedDoseMg", 0)
        own = decision.get("action", "")
        if own in DOSE_CHANGING or not decision.get("avoidWith"):
            assert row["action"] == (label(own, "ACTION_") if own else "not checked")
        else:
            assert row["action"] == "avoid combination"
        assert row["avoid_with"] == "; ".join(decision.get("avoidWith", ()))
        rules = row["findings"].split("; ") if row["findings"] else []
        # Every other drug of the findings the decision names is in `because_of`, with a mechanism.
        named_findings = [findings[i] for i in decision.get("findings", ())]
        for other in {d for f in named_findings for d in concerned(f)} - {decision["drug"]}:
            assert f"{other} (" in row["because_of"]
        assert bool(row["because_of"]) == bool(rules)
        assert rules[: len(named)] == named
        # The findings after the named ones say why a drug of avoidWith is to be avoided with this one
        # (either way round: "venetoclax raises digoxin" names digoxin as the object drug).
        avoided = set(decision.get("avoidWith", ()))
        for rule in rules[len(named):]:
            assert any(f["action"] == "ACTION_AVOID_COMBINATION" and decision["drug"] in concerned(f)
                       and avoided & concerned(f) for f in findings.values() if f["rule"] == rule)
        for drug in avoided:
            assert any(drug in concerned(f) for f in findings.values() if f["rule"] in rules)
        severities = [f["severity"] for f in findings.values() if f["rule"] in rules]
        assert row["highest_severity"] == (label(max(severities, key=SEVERITY_ORDER.index), "SEVERITY_")
                                           if severities else "")
        assert row["complete"] == ("yes" if response.get("complete") else "no")
        assert bool(row["not_checked"]) == (row["complete"] == "no")
        for missed in response.get("unrecognized", ()):
            reason = label(missed.get("reason", "UNRECOGNIZED_REASON_UNSPECIFIED"), "UNRECOGNIZED_REASON_")
            assert f"{missed['name'].strip()} ({reason}" in row["not_checked"]
            assert all(name in row["not_checked"] for name in missed.get("suggestions", ()))
    assert {row["action"] for row in got} >= {"adjust dose", "hold", "avoid combination", "continue"}
    assert {row["complete"] for row in got} == {"yes", "no"}
    # Line 253: venetoclax reduced for other drugs, and a misspelt strong inhibitor not checked.
    ven_253 = next(row for row in got if (row["line"], row["drug"]) == ("253", "venetoclax"))
    assert ven_253["not_checked"] == "posaconazol (unknown; did you mean posaconazole?)"
    # Incomplete rows whose decisions need nothing else are there too.
    assert {row["line"] for row in got if row["action"] in {"continue", "monitor"}} >= {"45", "49", "71"}


def test_cells_from_the_input_cannot_run_as_formulas(tmp_path: pathlib.Path) -> None:
    ids = ["=HYPERLINK(\"http://example.com\")", "+1", "-2", "@SUM(A1:A2)", "\tx", "plain=1"]
    source = write_jsonl(tmp_path / "in.jsonl", [request(i, [VEN], "posaconazole") for i in ids])
    out = tmp_path / "out.jsonl"
    run_audit(source, out, decisions_path=tmp_path / "d.csv")

    assert [row["request_id"] for row in csv_lines(tmp_path / "d.csv")] == ["'" + i for i in ids[:5]] + ["plain=1"]
    # Drug names are the knowledge base's, but the CSV does not count on it.
    response = {"decisions": [{"drug": "=cmd", "action": "ACTION_HOLD", "avoidWith": ["-x", "y"]}]}
    assert decision_rows(1, response) == [
        (1, "", "'=cmd", "", "0", "avoid combination", "", "'-x; y", "", "", "no", "(the answer names none)")]
    assert decision_rows(1, {"requestId": "=r", "error": {"code": 3, "message": "-1 mg"}}) == [
        (1, "'=r", "", "", "", "not checked (error)", "", "", "", "", "no", "'-1 mg")]
    response = {"complete": False, "decisions": [{"drug": "azacitidine", "action": "ACTION_CONTINUE"}],
                "unrecognized": [{"name": "=1+1", "reason": "UNRECOGNIZED_REASON_UNKNOWN"}]}
    assert decision_rows(1, response)[0][-1] == "'=1+1 (unknown)"



def test_ids_a_spreadsheet_would_turn_into_numbers_or_dates_keep_their_text(tmp_path: pathlib.Path) -> None:
    # Medical record numbers with leading zeros, or of 12 digits or more: the CSV wrote them bare, and Excel showed
    # 00012345 as 12345, 123456789012 as 1.23457E+11, 123456789012345678 as 123456789012345000, 2E5 as 200000 and
    # 11-3 as 3-Nov: the quality team could not find the patient, or found another.
    ids = ["00012345", "123456789012345678", "123456789012", "2E5", "11-3", "2026/11/28", "12345678901",
           "MRN00012345", "0"]
    source = write_jsonl(tmp_path / "in.jsonl", [request(i, [VEN], "posaconazole") for i in ids])
    out = tmp_path / "out.jsonl"
    run_audit(source, out, decisions_path=tmp_path / "d.csv")

    assert [row["request_id"] for row in csv_lines(tmp_path / "d.csv")] == [
        "'00012345", "'123456789012345678", "'123456789012", "'2E5", "'11-3", "'2026/11/28", "12345678901",
        "MRN00012345", "0"]

def test_the_csv_is_the_same_for_one_worker_two_workers_and_a_resumed_audit(
    varied: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    csvs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.jsonl"
        run_audit(varied, out, workers=workers, chunk_size=4, decisions_path=tmp_path / f"w{workers}.csv")
        csvs.append((tmp_path / f"w{workers}.csv").read_bytes())

    resumed = tmp_path / "resumed.jsonl"

    def interrupt(rows: int, position: int, size: int) -> None:
        if rows >= 12:
            raise KeyboardInterrupt

    with pytest.raises(AuditInterruptedError):
        run_audit(varied, resumed, chunk_size=4, progress=interrupt, decisions_path=tmp_path / "resumed.csv")
    # An audit stopped part way leaves no CSV of part of the rows.
    assert not (tmp_path / "resumed.csv").exists()
    assert [path.name for path in tmp_path.iterdir() if "resumed.csv" in path.name] == []
    run_audit(varied, resumed, chunk_size=4, resume=True, decisions_path=tmp_path / "resumed.csv")
    csvs.append((tmp_path / "resumed.csv").read_bytes())

    assert csvs[0] == csvs[1] == csvs[2]
    # Rows of kinds 0, 1, 2 need action: 1 + 2 + 2 decisions each, 9 rows of each kind.
    assert len(csvs[0].splitlines()) == 1 + 9 * (1 + 2 + 2)


def svgs(page: str) -> dict[str, ET.Element]:
    """The page's inline charts by the prefix of their ids, each parsed as XML."""
    charts = {}
    for text in re.findall(r"<svg\b.*?</svg>", page, re.DOTALL):
        root = ET.fromstring(text)
        first_id = next(e.get("id") for e in root.iter() if e.get("id"))
        charts[first_id.split("-")[0]] = root
    return charts


def bars(chart: ET.Element) -> Counter[tuple[str, str]]:
    """The numbers a chart shows: each bar segment's title, "row, column: count"."""
    counts: Counter[tuple[str, str]] = Counter()
    for title in chart.iter(f"{SVG}title"):
        assert title.text is not None
        key, count = title.text.rsplit(": ", 1)
        row, column = key.rsplit(", ", 1)
        counts[(row, column)] += int(count.replace(",", ""))
    return counts


def findings_counted(out: pathlib.Path) -> Counter[tuple[str, str]]:
    """Findings by mechanism and severity, counted as the report does: once per other drug found."""
    counts: Counter[tuple[str, str]] = Counter()
    for _, response in responses(out):
        for f in response.get("findings", ()):
            for mechanism in f.get("mechanisms", ()):
                key = (label(mechanism, "MECHANISM_"), label(f["severity"], "SEVERITY_"))
                counts[key] += len(f.get("precipitantDrugs", ())) or 1
    return counts


def decisions_counted(out: pathlib.Path) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for _, response in responses(out):
        for d in response.get("decisions", ()):
            action = d.get("action", "")
            if not action:
                shown = "not checked"
            elif action in DOSE_CHANGING or not d.get("avoidWith"):
                shown = label(action, "ACTION_")
            else:
                shown = "avoid combination"
            counts[(d["drug"], shown)] += 1
    return counts


def test_the_html_report_draws_both_charts_inline_and_loads_nothing(sample: tuple[AuditRun, pathlib.Path]) -> None:
    run, _ = sample
    page = render_html(run)

    assert page.count("<svg") == 2
    assert set(svgs(page)) == {"findings", "decisions"}
    assert "<?xml" not in page
    assert "<!DOCTYPE svg" not in page
    assert not re.search(r"""\b(?:src|href)\s*=\s*["'](?!#)""", page)  # links only to ids within the page
    assert not re.search(r"url\((?!#)|@import|<(?:link|script|img|iframe|object)\b", page, re.IGNORECASE)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # two charts on one page keep their ids apart
    assert render_html(run) == page  # no date, no random ids: the same counts give the same page


def test_the_charts_show_the_numbers_of_the_output(sample: tuple[AuditRun, pathlib.Path]) -> None:
    run, out = sample
    charts = svgs(render_html(run))

    assert bars(charts["findings"]) == findings_counted(out)
    assert sum(findings_counted(out).values()) >= sum(run.summary.findings_by_severity.values())
    assert bars(charts["decisions"]) == decisions_counted(out)
    assert decisions_counted(out).total() == sum(len(r.get("decisions", ())) for _, r in responses(out))


def markdown_table(markdown: str, title: str) -> list[dict[str, str]]:
    section = markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]


def test_the_markdown_report_has_the_charts_numbers_as_tables(sample: tuple[AuditRun, pathlib.Path]) -> None:
    run, out = sample
    markdown = render_markdown(run)

    assert "<svg" not in markdown
    for title, heading, expected in (
        ("Findings by mechanism and severity", "Mechanism", findings_counted(out)),
        ("Decisions by agent and action", "Agent", decisions_counted(out)),
    ):
        table = markdown_table(markdown, title)
        shown: Counter[tuple[str, str]] = Counter()
        for row in table:
            name = row.pop(heading)
            assert int(row.pop("Total")) == sum(map(int, row.values()))
            shown.update({(name, column): int(count) for column, count in row.items() if count != "0"})
        assert shown == expected


def test_regimens_needing_action_are_listed_once_with_all_their_decisions(
    varied: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    run = run_audit(varied, tmp_path / "out.jsonl")
    listed = markdown_table(render_markdown(run), "Regimens needing action (all 27)")

    assert [row["Line"] for row in listed] == [str(n) for n in range(1, 46) if (n - 1) % 5 in (0, 1, 2)]
    two = next(row for row in listed if row["Request"] == "r1")["Decisions needing action"]
    assert two.startswith("ivosidenib 500 → ")
    assert "; venetoclax 400 → " in two
    # Azacitidine's hold is the order's own (held: true): nothing to change, so not listed.
    held = next(row for row in listed if row["Request"] == "r2")["Decisions needing action"]
    assert held == "gilteritinib 120 → 120 mg (avoid combination), avoid with rifampin"


def test_input_names_are_drawn_as_written_and_rare_agents_share_a_bar(tmp_path: pathlib.Path) -> None:
    # Each unrecognised regimen name is a regimen drug of its own, named as the input spells it.
    names = ["$\\frac{1}{", "<b>&amp;", *(f"trial drug {i}" for i in range(TOP_AGENTS))]
    source = write_jsonl(tmp_path / "in.jsonl", [request(f"r{i}", [VEN, {"name": n, "doseMg": 5}], "posaconazole")
                                                  for i, n in enumerate(names)])
    run = run_audit(source, tmp_path / "out.jsonl")
    page = render_html(run)

    counts = bars(svgs(page)["decisions"])
    assert counts[("venetoclax", "adjust dose")] == len(names)
    others = [row for row, _ in counts if row.endswith(" others)")]
    assert others == [f"({len(names) + 1 - TOP_AGENTS:,} others)"]
    assert counts.total() == decisions_counted(tmp_path / "out.jsonl").total() == 2 * len(names)
    texts = "".join(t.text or "" for t in svgs(page)["decisions"].iter(f"{SVG}text"))
    assert "$\\frac{1}{" in texts  # not typeset as TeX
    assert "<b>&amp;" in texts  # not markup
    markdown = render_markdown(run)  # viewers render HTML inside Markdown: the name is text there too
    assert "<b>" not in markdown
    assert "&lt;b&gt;&amp;amp;" in markdown


def test_the_command_writes_the_decisions_csv_and_says_where(varied: pathlib.Path, tmp_path: pathlib.Path) -> None:
    result = CliRunner().invoke(app, ["audit", str(varied), "--no-progress"])
    default = tmp_path / "in.jsonl.results.decisions.csv"
    # 36 decisions needing action (venetoclax, ivosidenib and venetoclax, gilteritinib: 9 rows of each kind)
    # and the 9 rows with a negative dose.
    assert f"decisions: {default} (45 lines: decisions needing action, rows with errors)" in result.output
    assert Counter(row["action"] for row in csv_lines(default)) == {
        "adjust dose": 27, "avoid combination": 9, "not checked (error)": 9}
    assert str(default) in (tmp_path / "in.jsonl.results.md").read_text(encoding="utf-8")

    chosen = tmp_path / "action.csv"
    result = CliRunner().invoke(app, ["audit", str(varied), "--overwrite", "--decisions", str(chosen), "--no-progress"])
    assert result.exit_code == 1  # the rows with a negative dose
    assert f"decisions: {chosen} (45 lines: decisions needing action, rows with errors)" in result.output
    assert chosen.read_bytes() == default.read_bytes()


def test_findings_with_no_other_drug_are_listed_by_mechanism_among_the_pairs(tmp_path: pathlib.Path) -> None:
    # A dose above the label and a patient's values were all listed as "(QTc threshold)".
    rows = [
        {"requestId": "hi", "regimen": [{**VEN, "doseMg": 800}, AZA], "concomitant": [{"name": "acyclovir"}]},
        {"requestId": "qt", "regimen": [GIL], "patient": {"qtcMs": 520}},
        {"requestId": "pk", "regimen": [VEN, AZA], "concomitant": [{"name": "posaconazole"}]},
    ]
    run = run_audit(write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl")
    pairs = {(row["Drug"], row["With"]): int(row["Findings"])
             for row in markdown_table(render_markdown(run), f"Most frequent interacting pairs (top {TOP_PAIRS})")}

    assert pairs[("venetoclax", "(labelled dose)")] == 1
    assert pairs[("gilteritinib", "(QTc threshold)")] == 1
    assert pairs[("venetoclax", "posaconazole")] == 1
    assert sum(pairs.values()) == 3


def test_a_name_listed_twice_is_said_once_and_the_errors_table_says_of_how_many(tmp_path: pathlib.Path) -> None:
    # The quality team's findings: "vit D (not reviewed); vit D (not reviewed)", and "Rows with errors (first 50)"
    # with no total beside it, as the other tables have.
    response = {"complete": False, "decisions": [{"drug": "azacitidine", "action": "ACTION_CONTINUE"}],
                "unrecognized": [{"name": "vit D", "reason": "UNRECOGNIZED_REASON_NOT_REVIEWED"}] * 2}
    assert decision_rows(1, response)[0][-1] == "vit D (not reviewed)"
    rows = [request("ok", [VEN]), *(request(f"bad{i}", [{**VEN, "doseMg": -1}]) for i in range(3))]
    run = run_audit(write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl")
    assert "## Rows with errors (all 3)" in render_markdown(run)


def test_a_major_finding_to_monitor_needs_action_and_a_moderate_one_does_not(tmp_path: pathlib.Path) -> None:
    # A quality team's review: gilteritinib with drugs of known torsades risk (a major finding: ECGs to order)
    # was in neither the report's list nor the CSV, since its dose stands.
    rows = [request("known-risk", [GIL], "ondansetron", "methadone"), request("possible-risk", [GIL], "tacrolimus")]
    out = tmp_path / "out.jsonl"
    run = run_audit(write_jsonl(tmp_path / "in.jsonl", rows), out, decisions_path=tmp_path / "d.csv")

    (line,) = csv_lines(tmp_path / "d.csv")
    assert (line["request_id"], line["drug"], line["action"], line["highest_severity"]) == (
        "known-risk", "gilteritinib", "monitor", "major")
    assert run.summary.action_rows == 1
    (possible,) = [r for _, r in responses(out) if r["requestId"] == "possible-risk"]
    assert [d["action"] for d in possible["decisions"]] == ["ACTION_MONITOR"]  # moderate: not listed


def test_the_csv_says_what_each_decision_rests_on_without_the_rule_ids(tmp_path: pathlib.Path) -> None:
    # A pharmacy quality team works from the spreadsheet: "venetoclax 400 -> 70, adjust dose" with rule ids only
    # did not say which of the patient's drugs to look at.
    rows = [request("ven", [VEN], "posaconazole", "digoxin", "acyclovir"),
            {**request("gil-qtc", [GIL], "ondansetron"), "patient": {"qtcMs": 520}}]
    out = tmp_path / "out.jsonl"
    run_audit(write_jsonl(tmp_path / "in.jsonl", rows), out, decisions_path=tmp_path / "d.csv")

    ven, gil = csv_lines(tmp_path / "d.csv")
    assert (ven["drug"], ven["recommended_dose_mg"], ven["action"]) == ("venetoclax", "70", "adjust dose")
    # Venetoclax raises digoxin: the mechanism is venetoclax's, so the cell says whose it is.
    assert ven["because_of"] == "posaconazole (CYP3A4 strong inhibitor); digoxin (venetoclax: P-gp inhibitor)"
    assert (gil["drug"], gil["action"]) == ("gilteritinib", "hold")
    assert gil["because_of"] == "QTc threshold; ondansetron (QT prolongation)"


def test_an_agent_held_in_its_order_is_not_said_to_be_held_because_of_its_findings(tmp_path: pathlib.Path) -> None:
    # "hold 400 -> 0 because of posaconazole (CYP3A4 strong inhibitor)" read as the azole's hold: the hold is the
    # order's, and the azole sets the dose on resuming (a QTc hold, a finding's, stays as it was above).
    rows = [request("held", [{**VEN, "held": True}], "posaconazole")]
    out = tmp_path / "out.jsonl"
    run_audit(write_jsonl(tmp_path / "in.jsonl", rows), out, decisions_path=tmp_path / "d.csv")

    (ven,) = csv_lines(tmp_path / "d.csv")
    assert (ven["drug"], ven["recommended_dose_mg"], ven["action"]) == ("venetoclax", "0", "hold")
    assert ven["because_of"] == "held in the order; on resuming: posaconazole (CYP3A4 strong inhibitor)"
