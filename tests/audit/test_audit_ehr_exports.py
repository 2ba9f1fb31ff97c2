"""CSV exports as EHR reporting tools and spreadsheets write them, audited as a pharmacy quality team does."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import pathlib
import zipfile
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from service.audit.decisions import COLUMNS
from service.audit.runner import run_audit
from service.cli import app
from tests.service.conftest import running_server


def audited(tmp_path: pathlib.Path, content: bytes) -> tuple[int, dict[int, dict[str, Any]], list[dict[str, str]]]:
    """Audits `content` as `export.csv` the way users run it: the exit code, each answer by its line, the CSV."""
    source = tmp_path / "export.csv"
    source.write_bytes(content)
    result = CliRunner().invoke(app, ["audit", str(source), "-o", str(tmp_path / "out.jsonl"), "--no-progress"])
    answers = {r["line"]: r["response"] for r in map(orjson.loads, (tmp_path / "out.jsonl").read_bytes().splitlines())}
    with (tmp_path / "out.decisions.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return result.exit_code, answers, list(reader)


def test_a_row_of_empty_cells_is_a_blank_row(tmp_path: pathlib.Path) -> None:
    # Excel and report writers end a blank row with its separators (",,,"). Each was an error, "blank
    # regimen_id", in the CSV as "not checked (error)", and the whole audit exited 1 for rows of nothing.
    code, answers, lines = audited(tmp_path, (
        b"regimen_id,role,name,dose_mg\r\n"
        b"R1,regimen,venetoclax,400\r\n"
        b",,,\r\n"
        b"R1,concomitant,posaconazole,300\r\n"
        b" , ,,\r\n"
        b"R2,regimen,ivosidenib,500\r\n"
        b",,,\r\n"))
    assert code == 0
    assert sorted(answers) == [2, 6]
    venetoclax = answers[2]["decisions"][0]
    assert (venetoclax["recommendedDoseMg"], venetoclax["action"]) == (70, "ACTION_ADJUST_DOSE")
    assert [(line["line"], line["drug"], line["action"]) for line in lines] == [("2", "venetoclax", "adjust dose")]


def test_a_value_the_check_refuses_names_the_csv_line_it_is_on(tmp_path: pathlib.Path) -> None:
    # Dates as the EHR writes them (11/28/2026) are refused, rightly (the contract's dates are ISO 8601 and
    # 01/12/2026 is two days), but the message said "concomitant[0].stopped_on" of a regimen whose rows are
    # apart: the CSV has no "concomitant[0]", and the pharmacist could not tell which row to correct.
    code, answers, lines = audited(tmp_path, (
        b"regimen_id,role,name,dose_mg,stopped_on,as_of_date\r\n"
        b"R1,regimen,venetoclax,400,,2026-12-01\r\n"
        b"R2,regimen,gilteritinib,120,,\r\n"
        b"R1,concomitant,acyclovir,400,,\r\n"
        b"R1,concomitant,posaconazole,300,11/28/2026,\r\n"
        b"R2,concomitant,fluconazole,200,,12/01/2026\r\n"))
    assert code == 1
    assert answers[2]["error"]["message"] == (
        "concomitant[1].stopped_on: line 5: not an ISO 8601 date (YYYY-MM-DD): '11/28/2026'")
    assert answers[3]["error"]["message"] == (
        "patient.as_of_date: line 6: not an ISO 8601 date (YYYY-MM-DD): '12/01/2026'")
    assert [(line["line"], line["action"], line["not_checked"]) for line in lines] == [
        ("2", "not checked (error)", answers[2]["error"]["message"]),
        ("3", "not checked (error)", answers[3]["error"]["message"])]


def test_an_export_ending_every_line_with_a_separator_is_read(tmp_path: pathlib.Path) -> None:
    # Report writers end every line, the header's too, with a separator: the header's last cell is empty.
    # The audit refused the whole export with "unknown column(s): " naming nothing.
    code, answers, lines = audited(tmp_path, (
        b"regimen_id,role,name,dose_mg,\r\n"
        b"R1,regimen,venetoclax,400,\r\n"
        b"R1,concomitant,posaconazole,300,\r\n"
        b"R2,regimen,gilteritinib,120,\r\n"
        b"R2,concomitant,fluconazole,200,today\r\n"))
    assert code == 1
    assert (answers[2]["decisions"][0]["recommendedDoseMg"], answers[2]["decisions"][0]["action"]) == (
        70, "ACTION_ADJUST_DOSE")
    # A value under the column with no name is no blank: a row shifted by a comma, or data the audit would drop.
    assert answers[4]["error"]["message"] == "line 5: 'today' under a column with no name (column 5)"
    assert [(line["line"], line["action"]) for line in lines] == [("2", "adjust dose"), ("4", "not checked (error)")]


def test_an_export_saved_in_the_windows_code_page_is_read_as_it_was_written(tmp_path: pathlib.Path) -> None:
    # Excel's "CSV" and Windows report writers save Windows-1252: "125 µg" is the byte B5. It was read as
    # "125 \ufffdg": digoxin went unrecognised ("did you mean digoxin?") and venetoclax's digoxin finding was lost.
    code, answers, lines = audited(tmp_path, (
        "regimen_id,role,name,dose_mg\r\n"
        "R1,regimen,Venclexta 100 mg tablet,400\r\n"
        "R1,concomitant,Digoxin 125 µg tablet,0.125\r\n"
        "R2,regimen,venetoclax,400\r\n"
        "R2,concomitant,Noxafil® 100 mg DR tablet,300\r\n"
        "R3,regimen,venetoclax,400\r\n"
        "R3,concomitant,Kräuterblut® tonic,10\r\n").encode("cp1252"))
    assert code == 0
    assert answers[2]["complete"] is True
    assert answers[2]["decisions"][0]["avoidWith"] == ["digoxin"]
    # The registered-trademark sign (the byte AE) is read as the brand written without it (s17).
    assert (answers[4]["complete"], answers[4]["decisions"][0]["recommendedDoseMg"]) == (True, 70)
    # A name still unknown is shown as the export spells it, for the site's dictionary.
    assert [u["name"] for u in answers[6]["unrecognized"]] == ["Kräuterblut® tonic"]
    assert lines[0]["because_of"] == "digoxin (venetoclax: P-gp inhibitor)"
    assert lines[1]["because_of"] == "posaconazole (CYP3A4 strong inhibitor)"
    assert lines[2]["not_checked"] == "Kräuterblut® tonic (unknown)"


def test_a_medication_without_its_regimen_id_keeps_the_regimens_beside_it_from_being_checked(
        tmp_path: pathlib.Path) -> None:
    # A report writer that names the regimen on its first row only. Venetoclax was CONTINUE 400 mg,
    # complete, and absent from the decisions CSV, its posaconazole on the next line an error without a
    # request id that no one could tie to R1.
    code, answers, lines = audited(tmp_path, (
        b"regimen_id,role,name,dose_mg\r\n"
        b"R1,regimen,venetoclax,400\r\n"
        b",concomitant,posaconazole,300\r\n"
        b"R2,regimen,ivosidenib,500\r\n"
        b"R3,regimen,gilteritinib,120\r\n"))
    assert code == 1
    beside = "line 3: 'posaconazole' has a blank regimen_id: it may be this regimen's, which is not checked without it"
    assert answers[2]["error"]["message"] == beside
    assert answers[3]["error"]["message"] == "request_id: line 3: blank regimen_id"
    assert answers[4]["error"]["message"] == beside  # or the next regimen's, its id lost
    assert "decisions" in answers[5]
    assert [(line["line"], line["request_id"], line["action"]) for line in lines] == [
        ("2", "R1", "not checked (error)"), ("3", "", "not checked (error)"), ("4", "R2", "not checked (error)")]


def test_an_export_with_lines_ending_in_a_carriage_return_alone_is_refused_saying_so(tmp_path: pathlib.Path) -> None:
    # Classic Mac OS line endings (some report writers still offer them): the audit said "new-line character
    # seen in unquoted field - do you need to open the file in universal-newline mode?", Python's words.
    source = tmp_path / "export.csv"
    source.write_bytes(b"regimen_id,role,name,dose_mg\rR1,regimen,venetoclax,400\rR1,concomitant,posaconazole,300\r")
    result = CliRunner().invoke(app, ["audit", str(source), "--no-progress"])
    assert result.exit_code == 2
    assert (f"{source}: its lines end with a carriage return alone (classic Mac OS): save it with Windows (CRLF) "
            "or Unix (LF) line endings") in result.output
    # Nor is the carriage return of a UTF-16 line ("\r\x00\n\x00"), which was taken for one.
    source.write_bytes("regimen_id,role,name,dose_mg\r\nR1,regimen,venetoclax,400\r\n".encode("utf-16"))
    result = CliRunner().invoke(app, ["audit", str(source), "--overwrite", "--no-progress"])
    assert result.exit_code == 2
    assert f"{source}: UTF-16 text: save the export as CSV UTF-8 (or Windows-1252)" in result.output


def test_the_reports_counts_of_rows_count_each_row_once(tmp_path: pathlib.Path) -> None:
    # A name written twice in one regimen (an order and its refill) and two doses written "400 mg" in one were
    # counted twice under "Rows": 2 rows with "posaconazol" beside a total of 1 incomplete row.
    audited(tmp_path, (
        b"regimen_id,role,name,dose_mg\r\n"
        b"R1,regimen,venetoclax,400\r\n"
        b"R1,concomitant,posaconazol,300\r\n"
        b"R1,concomitant,posaconazol,300\r\n"
        b"R2,regimen,venetoclax,400\r\n"
        b"R2,concomitant,acyclovir,400 mg\r\n"
        b"R2,concomitant,levofloxacin,500 mg\r\n"))
    report = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert "- **Rows with unrecognised names (check incomplete)**: 1\n" in report
    assert "| posaconazol | 1 | posaconazole |\n" in report
    assert "- **Rows with errors (not checked)**: 1\n" in report
    assert "| concomitant[].dose_mg | 1 |\n" in report


def test_an_export_separated_by_semicolons_or_tabs_is_refused_saying_so(tmp_path: pathlib.Path) -> None:
    # Excel in a locale with decimal commas saves "CSV" with semicolons. The audit said "missing column(s):
    # regimen_id, name, dose_mg" of a header that plainly has them.
    for separator, said in ((";", "';'"), ("\t", "tabs")):
        source = tmp_path / "export.csv"
        header = separator.join(("regimen_id", "role", "name", "dose_mg"))
        source.write_text(f"{header}\r\nR1{separator}regimen{separator}venetoclax{separator}400\r\n")
        result = CliRunner().invoke(app, ["audit", str(source), "--overwrite", "--no-progress"])
        assert result.exit_code == 2
        assert (f"{source}: CSV header: its cells are separated by {said}, not commas: save the export as "
                "comma-separated values") in result.output


def test_the_report_says_how_many_csv_rows_its_regimens_hold(tmp_path: pathlib.Path) -> None:
    # A CSV of 5 medication rows gave "Rows: 2" and nothing else: the analyst reconciling the export's row
    # count with the report's could not tell a regimen from a row, nor see that no row was lost.
    audited(tmp_path, (
        b"regimen_id,role,name,dose_mg\r\n"
        b"R1,regimen,venetoclax,400\r\n"
        b"R2,regimen,ivosidenib,500\r\n"
        b",,,\r\n"
        b"R1,concomitant,\"posaconazole, DR\ntablet\",300\r\n"
        b"R1,concomitant,acyclovir,400\r\n"
        b"R2,concomitant,acyclovir,400\r\n"))
    report = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert ("- **Rows**: 2\n- **CSV medication rows read**: 5 (a result line per regimen, at its first row's line; "
            "blank rows not counted)\n") in report


def test_an_output_report_or_decisions_csv_that_cannot_be_written_is_said_before_any_row_with_exit_74(
    tmp_path: pathlib.Path,
) -> None:
    # "--report reports/audit.html" before the folder existed: a traceback after the whole audit, and exit 1 (the code
    # of rows with errors) for an audit whose rows were all checked; "-o results/audit.jsonl.gz" exited 2, the code of
    # an unreadable input. Each is said before any row is checked, and nothing is written.
    source = tmp_path / "export.csv"
    source.write_bytes(b"regimen_id,role,name,dose_mg\r\nR1,regimen,venetoclax,400\r\n")
    missing = tmp_path / "reports" / "audit.out"
    output = tmp_path / "fresh.jsonl"
    for option in ("-o", "--report", "--decisions"):
        options = [option, str(missing)] + ([] if option == "-o" else ["-o", str(output)])
        result = CliRunner().invoke(app, ["audit", str(source), *options, "--no-progress"])
        assert result.exit_code == 74, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.output == f"dosecheck audit: {missing} could not be written (no folder {missing.parent})\n"
        assert sorted(path.name for path in tmp_path.iterdir()) == ["export.csv"]


def test_a_decisions_csv_that_cannot_be_opened_is_said_before_any_row_is_checked(tmp_path: pathlib.Path) -> None:
    # Its folder there but not writable (a read-only share): the CSV is opened before the output.
    source = tmp_path / "export.csv"
    source.write_bytes(b"regimen_id,role,name,dose_mg\r\nR1,regimen,venetoclax,400\r\n")
    output = tmp_path / "fresh.jsonl"
    taken = tmp_path / "taken.csv"
    (taken.parent / f".{taken.name}.partial").mkdir()  # where the CSV is written first: no file can be opened there
    result = CliRunner().invoke(app, ["audit", str(source), "-o", str(output), "--decisions", str(taken),
                                      "--no-progress"])
    assert result.exit_code == 74, result.output
    assert result.output == f"dosecheck audit: {taken} could not be written (Is a directory)\n"
    assert not output.exists()
    assert not taken.exists()


def test_a_decisions_csv_named_as_a_link_or_a_device_writes_through_it(tmp_path: pathlib.Path) -> None:
    # Review revT (must-fix 1): the CSV, written beside and renamed into place, replaced a symbolic link by a file
    # (its target left stale) and a device by a file of patient data (`--decisions /dev/null`, as root).
    source = tmp_path / "export.csv"
    source.write_bytes(b"regimen_id,role,name,dose_mg\r\nR1,regimen,venetoclax,400\r\nR1,concomitant,posaconazole,300\r\n")
    target = tmp_path / "shared" / "decisions.csv"
    target.parent.mkdir()
    link = tmp_path / "decisions.csv"
    link.symlink_to(target)
    result = CliRunner().invoke(app, ["audit", str(source), "-o", str(tmp_path / "o.jsonl"), "--decisions", str(link),
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8-sig").splitlines()[1].startswith("2,R1,venetoclax,400,70,adjust dose,")
    assert sorted(path.name for path in target.parent.iterdir()) == ["decisions.csv"]

    # /dev/full takes the open and refuses every write with ENOSPC, as a full disk does; it stays a device.
    result = CliRunner().invoke(app, ["audit", str(source), "-o", str(tmp_path / "o2.jsonl"), "--decisions",
                                      "/dev/full", "--no-progress"])
    assert result.exit_code == 74, result.output
    assert "/dev/full could not be written (No space left on device)" in result.output
    assert pathlib.Path("/dev/full").is_char_device()


@pytest.mark.parametrize("remote", [False, True], ids=["in-process", "against a server"])
def test_the_checks_refusal_of_a_csv_regimen_names_its_lines(tmp_path: pathlib.Path, remote: bool) -> None:
    # Venetoclax listed twice (an order and its refill, rows apart) was "regimen[1].name: venetoclax is already
    # ordered as regimen[0]", which no line of the CSV is called; a date the EHR's way, "concomitant[0]".
    source = tmp_path / "export.csv"
    source.write_bytes(
        b"regimen_id,role,name,dose_mg,stopped_on,as_of_date\r\n"
        b"R1,regimen,venetoclax,400,,\r\n"
        b"R1,concomitant,posaconazole,300,,\r\n"
        b"R2,regimen,gilteritinib,120,,2026-12-01\r\n"
        b"R2,concomitant,fluconazole,200,11/28/2026,\r\n"
        b"R1,regimen,Venclexta 100 mg tablet,400,,\r\n")
    out = tmp_path / "out.jsonl"
    with running_server() if remote else contextlib.nullcontext() as server:
        run_audit(source, out, targets=(server.target,) if server else ())
    answers = {r["line"]: r["response"] for r in map(orjson.loads, out.read_bytes().splitlines())}
    assert answers[2]["error"]["message"] == "regimen[1].name: line 6: venetoclax is already ordered as regimen[0]"
    assert answers[2]["error"]["details"][0]["fieldViolations"] == [
        {"field": "regimen[1].name", "description": "line 6: venetoclax is already ordered as regimen[0]"}]
    assert answers[4]["error"]["message"] == (
        "concomitant[0].stopped_on: line 5: not an ISO 8601 date (YYYY-MM-DD): '11/28/2026'")


def test_a_row_short_of_cells_is_an_error_of_its_regimen(tmp_path: pathlib.Path) -> None:
    # A row cut short by the report writer: its regimen is not checked, and the audit goes on.
    code, answers, _ = audited(tmp_path, (
        b"regimen_id,name,dose_mg,held,role\r\n"
        b"R1,venetoclax,400\r\n"
        b"R1,posaconazole,300,N,concomitant\r\n"
        b"R2,ivosidenib,500,N,regimen\r\n"))
    assert code == 1
    assert answers[2]["error"]["message"] == "line 2: 3 cells where the header has 5"
    assert "decisions" in answers[4]


def test_a_cell_longer_than_the_csv_modules_limit_is_an_error_of_its_regimen_not_a_crash(
        tmp_path: pathlib.Path) -> None:
    # A clinical note pasted into a cell (over 131,072 characters, the csv module's limit for a cell): the
    # audit stopped with a traceback (_csv.Error: field larger than field limit) and exit 1, writing nothing.
    # R1's rows are apart: its posaconazole is on the unreadable line, so R1 is not checked without it.
    note = "daily; " + "note " * 30_000
    code, answers, lines = audited(tmp_path, (
        "regimen_id,role,name,dose_mg,frequency\r\n"
        "R1,regimen,venetoclax,400,daily\r\n"
        "R2,regimen,gilteritinib,120,daily\r\n"
        f"R1,concomitant,posaconazole,300,{note}\r\n"
        "R3,regimen,ivosidenib,500,daily\r\n"
        "R4,regimen,venetoclax,400,daily\r\n").encode())
    assert code == 1
    unreadable = ("line 4: unreadable CSV (field larger than field limit (131072)); the medications and regimens "
                  "on them are not read")
    assert [answers[line]["error"]["message"] for line in (2, 3, 5)] == [unreadable] * 3
    assert (answers[6]["decisions"][0]["recommendedDoseMg"], answers[6]["decisions"][0]["action"]) == (
        400, "ACTION_CONTINUE")
    assert [(line["line"], line["action"]) for line in lines] == [
        ("2", "not checked (error)"), ("3", "not checked (error)"), ("5", "not checked (error)")]


@pytest.mark.parametrize("input_format", ["jsonl", "csv"])
def test_a_compressed_export_or_a_workbook_is_refused_saying_so(tmp_path: pathlib.Path, input_format: str) -> None:
    # export.jsonl.gz audited with --format jsonl (as the audit's message for '.gz' said to) was 63 rows of
    # "line N: not UTF-8 text", exit 1, a report of errors about nothing in the export; as CSV "new-line
    # character seen in unquoted field - do you need to open the file in universal-newline mode?".
    rows = b"regimen_id,role,name,dose_mg\r\nR1,regimen,venetoclax,400\r\n"
    for name, content, said in (
            ("export.gz", gzip.compress(rows * 200), "gzip-compressed: decompress it first"),
            ("export.xlsx", zip_of("xl/workbook.xml", rows), "a ZIP archive (an Excel workbook?): save it as CSV"
                                                             " UTF-8 or decompress it first")):
        source = tmp_path / name
        source.write_bytes(content)
        result = CliRunner().invoke(app, ["audit", str(source), "--format", input_format, "--overwrite",
                                          "--no-progress"])
        assert result.exit_code == 2, result.output
        assert f"{source}: {said}" in result.output


def zip_of(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("option", ["--report", "--decisions", "-o"])
def test_an_export_named_as_a_file_the_audit_writes_is_left_as_it_is(tmp_path: pathlib.Path, option: str) -> None:
    # "--decisions export.csv" (the export's name, tab-completed) replaced the export with the decisions CSV,
    # "--report" with the report; "-o export.jsonl --overwrite" truncated it and audited what was left of it
    # (an 800-regimen export: 2 rows, both errors). The export is the one copy the quality team was handed.
    source = tmp_path / "export.jsonl"
    content = b'{"requestId":"R1","regimen":[{"name":"venetoclax","doseMg":400}]}\n'
    source.write_bytes(content)
    result = CliRunner().invoke(app, ["audit", str(source), option, str(tmp_path / "." / "export.jsonl"),
                                      "--overwrite", "--no-progress"])
    assert result.exit_code == 2, result.output
    said = {"--report": "the report", "--decisions": "the decisions CSV", "-o": "the output"}[option]
    assert f"dosecheck audit: {said} would be written over the input, {source}: name another file" in result.output
    assert source.read_bytes() == content
    # Nor is one output written over another.
    result = CliRunner().invoke(app, ["audit", str(source), "-o", str(tmp_path / "out.jsonl"), "--report",
                                      str(tmp_path / "out.jsonl"), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert (f"dosecheck audit: the report would be written over the output, {tmp_path / 'out.jsonl'}: name another "
            "file") in result.output


def test_a_jsonl_export_with_lines_ending_in_a_carriage_return_alone_is_refused_saying_so(
        tmp_path: pathlib.Path) -> None:
    # Five regimens so saved were one row, "line 1: not valid JSON (unexpected content after document ...)":
    # the report said "Rows: 1" of a five-regimen export, as the CSV's reading says it plainly.
    source = tmp_path / "export.jsonl"
    source.write_bytes(b'{"requestId":"R1","regimen":[{"name":"venetoclax","doseMg":400}]}\r' * 5)
    result = CliRunner().invoke(app, ["audit", str(source), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert (f"{source}: its lines end with a carriage return alone (classic Mac OS): save it with Windows (CRLF) "
            "or Unix (LF) line endings") in result.output
    # One record ending so is a line.
    source.write_bytes(b'{"requestId":"R1","regimen":[{"name":"venetoclax","doseMg":400}]}\r')
    result = CliRunner().invoke(app, ["audit", str(source), "--overwrite", "--no-progress"])
    assert result.exit_code == 0, result.output
