"""In-process audits: every row answered once and in order, bad lines reported, resume, report counts."""

from __future__ import annotations

import errno
import gc
import gzip
import json
import pathlib
import re
import subprocess
import sys
import threading
import zlib
from collections import Counter
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from interactions import load_knowledge_base
from service.audit.local import RowChecker
from service.audit.output import OutputWriter, scan_output
from service.audit.report import render_html, render_markdown
from service.audit.rows import AuditInputError, open_reader
from service.audit.runner import AuditInterruptedError, run_audit
from service.cli import app

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def request(request_id: str, *concomitant: str, dose: float = 400) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "regimen": [{"name": "venetoclax", "doseMg": dose}, {"name": "azacitidine", "doseMg": 130}],
        "concomitant": [{"name": name} for name in concomitant],
    }


def records(path: pathlib.Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def answers_to(tmp_path: pathlib.Path, name: str, content: bytes) -> dict[int, dict[str, Any]]:
    """Audits a file of `content` named `name`; each record's response by its line."""
    source = tmp_path / name
    source.write_bytes(content)
    run_audit(source, tmp_path / "out.jsonl")
    return {r["line"]: r["response"] for r in records(tmp_path / "out.jsonl")}


def write_jsonl(path: pathlib.Path, lines: list[str]) -> pathlib.Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def mixed_jsonl(tmp_path: pathlib.Path) -> pathlib.Path:
    lines = []
    for i in range(40):
        if i % 9 == 4:
            lines.append('{"requestId": "broken", "regimen": [')
        elif i % 9 == 6:
            lines.append(json.dumps(request(f"r{i}", dose=-1)))
        elif i % 9 == 7:
            lines.append(json.dumps({**request(f"r{i}"), "regimen": [{"name": "venetoclax", "doseMg": "lots"}]}))
        else:
            lines.append(json.dumps(request(f"r{i}", "posaconazole", "acyclovir", "posaconazol")))
    lines.insert(10, "")  # a blank line is not a row
    return write_jsonl(tmp_path / "in.jsonl", lines)


def input_rows(path: pathlib.Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_jsonl_row_is_answered_once_in_order_and_malformed_lines_are_reported(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, workers: int
) -> None:
    out = tmp_path / "out.jsonl"
    run = run_audit(mixed_jsonl, out, workers=workers, chunk_size=7)

    got = records(out)
    assert [r["line"] for r in got] == input_rows(mixed_jsonl)
    broken = [r for r in got if "not valid JSON" in r["response"].get("error", {}).get("message", "")]
    assert [r["line"] for r in broken] == [n for n in input_rows(mixed_jsonl) if "broken" in _line(mixed_jsonl, n)]
    assert all(r["response"]["error"]["message"].startswith(f"line {r['line']}:") for r in broken)
    bad_dose = [r for r in got if r["response"].get("requestId") in {"r6", "r15"}]
    assert [_fields(r) for r in bad_dose] == [["regimen[0].dose_mg"], ["regimen[0].dose_mg"]]
    assert run.summary.rows == 40
    assert run.summary.errors == sum("error" in r["response"] for r in got) == 4 + 4 + 4


def _line(path: pathlib.Path, number: int) -> str:
    return path.read_text().splitlines()[number - 1]


def _fields(record: dict[str, Any]) -> list[str]:
    return [v["field"] for d in record["response"]["error"].get("details", ()) for v in d.get("fieldViolations", ())]


def test_report_counts_match_the_input(mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "out.jsonl"
    run = run_audit(mixed_jsonl, out)
    checked = [r["response"] for r in records(out) if "error" not in r["response"]]
    summary = run.summary

    # 28 good rows, each venetoclax + azacitidine with posaconazole and one misspelt name.
    assert len(checked) == 28
    assert summary.rows - summary.errors == 28
    assert summary.unrecognized == Counter({"posaconazol": 28})
    assert summary.incomplete == 28
    pair = ("venetoclax", "posaconazole")
    assert summary.pairs[pair] == sum(
        1 for r in checked for f in r["findings"] if f["objectDrug"] == pair[0] and pair[1] in f["precipitantDrugs"]
    ) == 28
    assert summary.dose_changes[("venetoclax", "ACTION_ADJUST_DOSE")] == 28
    assert summary.dose_change_rows == 28
    assert summary.error_fields == Counter({"(whole row)": 4, "regimen[].dose_mg": 8})
    assert sum(summary.rows_by_severity.values()) == 28
    assert sum(summary.findings_by_severity.values()) == sum(
        len(f.get("precipitantDrugs", ())) or 1 for r in checked for f in r["findings"])

    markdown = render_markdown(run)
    assert "| posaconazol | 28 |" in markdown
    assert "- **Rows with errors (not checked)**: 12" in markdown
    assert run.knowledge_bases[0].content_hash in markdown
    page = render_html(run)
    assert page.startswith("<!doctype html>")
    assert "<td>posaconazol</td><td>28</td>" in page


def test_csv_input_with_a_malformed_line_is_reported_and_the_rest_checked(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "regimen_id,role,name,dose_mg,held,qtc_ms\n"
        "A,regimen,venetoclax,400,,\n"
        "A,regimen,azacitidine,130,,\n"
        "A,concomitant,posaconazole,300,no,\n"
        'B,regimen,gilteritinib,120,,"51"0\n'  # broken quoting: B may be missing a medication
        "B,concomitant,escitalopram,10,,510\n"
        "C,regimen,gilteritinib,120,,450\n"
        "C,concomitant,sertraline,fifty,,\n"
        "D,therapy,gilteritinib,120,,\n"
        ",regimen,venetoclax,400,,\n"
        "E,regimen,ivosidenib,500,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    run = run_audit(source, out)

    got = {r["line"]: r["response"] for r in records(out)}
    assert list(got) == [2, 6, 7, 9, 10, 11]
    # The broken line may belong to A or to B: neither is checked as if it were complete.
    for line, request_id in ((2, "A"), (6, "B")):
        assert got[line]["requestId"] == request_id
        assert got[line]["error"]["message"].startswith("line 5: unreadable CSV")
    assert _fields({"response": got[7]}) == ["concomitant[0].dose_mg"]
    assert _fields({"response": got[10]}) == ["request_id"]
    # Line 10's venetoclax, without its regimen id, may be D's or E's: neither is checked without it.
    for line in (9, 11):
        assert got[line]["error"]["message"] == (
            "line 10: 'venetoclax' has a blank regimen_id: it may be this regimen's, which is not checked without it")
    assert run.summary.errors == 6


def test_a_jsonl_export_with_a_byte_order_mark_or_latin_1_bytes_is_read_or_said_so(tmp_path: pathlib.Path) -> None:
    # The mark made the first row "not valid JSON"; a Latin-1 byte was "str is not valid UTF-8: surrogates
    # not allowed: line 1 column 1", pointing nowhere.
    got = answers_to(tmp_path, "in.jsonl",
                     b'\xef\xbb\xbf{"requestId": "a", "regimen": [{"name": "venetoclax", "doseMg": 400}]}\n'
                     b'{"requestId": "b", "regimen": [{"name": "c\xe9f\xe9pime", "doseMg": 1}]}\n')
    assert [d["drug"] for d in got[1]["decisions"]] == ["venetoclax"]
    assert got[2]["error"]["message"] == "line 2: not UTF-8 text (byte 43 of the line): save the export as UTF-8"


def test_a_jsonl_row_that_gives_a_key_twice_is_an_error_naming_it_and_the_rest_are_checked(
        tmp_path: pathlib.Path) -> None:
    # The row was checked as 10 mg (orjson keeps the last), CONTINUE, no error.
    got = answers_to(tmp_path, "in.jsonl",
                     b'{"requestId": "a", "regimen": [{"name": "venetoclax", "doseMg": 400, "doseMg": 10}]}\n'
                     b'{"requestId": "b", "regimen": [{"name": "venetoclax", "doseMg": 400, "frequency": "daily"}],'
                     b' "concomitant": [{"name": "posaconazole", "doseMg": 300, "frequency": "08:00"}]}\n')
    assert got[1]["error"]["message"] == ("line 1: regimen[0].doseMg is given more than once (a key repeated in one "
                                          "JSON object): which of its values is meant cannot be told")
    assert "decisions" not in got[1]
    # A colon in a string is no repeat: the row after is checked.
    [venetoclax] = [d for d in got[2]["decisions"] if d["drug"] == "venetoclax"]
    assert (venetoclax["recommendedDoseMg"], venetoclax["action"]) == (70, "ACTION_ADJUST_DOSE")


def test_a_regimen_whose_rows_are_not_consecutive_is_checked_whole(tmp_path: pathlib.Path) -> None:
    # An export sorted by role: each regimen's co-medications come after every regimen's agents. Read
    # as consecutive groups, venetoclax was CONTINUE 400 mg without its posaconazole, "complete".
    got = answers_to(tmp_path, "in.csv", (
        b"regimen_id,role,name,dose_mg\n"
        b"X-1,regimen,venetoclax,400\n"
        b"X-1,regimen,azacitidine,130\n"
        b"X-2,regimen,gilteritinib,120\n"
        b"X-3,regimen,ivosidenib,500\n"
        b"X-3,concomitant,acyclovir,400\n"
        b"X-1,concomitant,posaconazole,300\n"
        b"X-2,concomitant,rifampin,600\n"))
    assert [(line, response["requestId"]) for line, response in got.items()] == [(5, "X-3"), (2, "X-1"), (4, "X-2")]
    decisions = {d["drug"]: d for response in got.values() for d in response["decisions"]}
    assert (decisions["venetoclax"]["recommendedDoseMg"], decisions["venetoclax"]["action"]) == (
        70, "ACTION_ADJUST_DOSE")
    assert decisions["gilteritinib"]["avoidWith"] == ["rifampin"]
    assert not any("error" in response for response in got.values())


def test_an_unclosed_quote_names_every_line_it_swallowed(tmp_path: pathlib.Path) -> None:
    # The quote runs on to the next one, four lines down: regimens are inside it. The error
    # named line 3 alone, so nothing said that they were never read.
    got = answers_to(tmp_path, "in.csv", (
        b"regimen_id,role,name,dose_mg\n"
        b"A-1,regimen,venetoclax,400\n"
        b'A-1,concomitant,"posaconazole,300\n'
        b"A-2,regimen,venetoclax,400\n"
        b"A-2,concomitant,rifampin,600\n"
        b"A-3,regimen,gilteritinib,120\n"
        b'A-3,concomitant,"St. John"s Wort",\n'
        b"A-4,regimen,venetoclax,400\n"))
    # Every regimen with a row there carries the error; those with no other row are reported where their rows were.
    assert {line: response["requestId"] for line, response in got.items()} == {2: "A-1", 4: "A-2", 6: "A-3", 8: "A-4"}
    for response in got.values():
        assert response["error"]["message"].startswith("lines 3-7: unreadable CSV")
        assert "the medications and regimens on them are not read" in response["error"]["message"]


def test_a_scattered_regimen_with_a_row_inside_a_broken_quote_is_not_checked(tmp_path: pathlib.Path) -> None:
    # The reviewer's finding: R2's itraconazole row is the broken one and R1's ondansetron is swallowed by it;
    # both were answered complete without them.
    got = answers_to(tmp_path, "in.csv", (
        b"regimen_id,role,name,dose_mg\n"
        b"R1,regimen,venetoclax,400\n"
        b"R2,regimen,gilteritinib,120\n"
        b"R1,concomitant,posaconazole,300\n"
        b"R3,regimen,ivosidenib,500\n"
        b'R2,concomitant,"itraconazole,200\n'
        b"R1,concomitant,ondansetron,8\n"))

    assert {response["requestId"] for response in got.values()} == {"R1", "R2", "R3"}
    for request_id in ("R1", "R2"):
        (response,) = [r for r in got.values() if r["requestId"] == request_id]
        assert response["error"]["message"].startswith("lines 6-7: unreadable CSV")


@pytest.mark.parametrize("header", ["regimen_id,name,dose_mg", "regimen_id,role,name,dose_mg"],
                         ids=["no role column", "blank roles"])
def test_an_export_that_does_not_say_which_drug_is_the_regimen_is_checked_by_its_agents(
        tmp_path: pathlib.Path, header: str) -> None:
    blank = "," if "role" in header else ""
    source = tmp_path / "in.csv"
    source.write_text(
        f"{header}\n"
        f"A,{blank}VENETOCLAX 100 MG TAB,400\n"
        f"A,{blank}posaconazole DR 100 mg tab,300\n"
        f"A,{blank}acyclovir,400\n"
        f"B,{blank}posaconazole,300\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    run_audit(source, out)

    got = {r["line"]: r["response"] for r in records(out)}
    (venetoclax,) = got[2]["decisions"]
    assert (venetoclax["drug"], venetoclax["recommendedDoseMg"], venetoclax["action"]) == (
        "venetoclax", 70, "ACTION_ADJUST_DOSE")
    assert _fields({"response": got[5]}) == ["regimen"]  # no targeted agent in B: said, never passed


def test_csv_and_jsonl_versions_of_the_sample_give_the_same_answers(tmp_path: pathlib.Path) -> None:
    run_audit(EXAMPLES / "regimens.jsonl", tmp_path / "a.jsonl")
    run_audit(EXAMPLES / "regimens.csv", tmp_path / "b.jsonl")
    a = [r["response"] for r in records(tmp_path / "a.jsonl")]
    b = [r["response"] for r in records(tmp_path / "b.jsonl")]
    assert len(a) == 300
    # The CSV's errors also say the line of the value refused ("patient.qtc_ms: line 68: must be ..."): a JSON
    # Lines row is one line, a CSV regimen several.
    located = [r for r in b if "error" in r]
    assert located
    assert all(re.search(r": line \d+: ", r["error"]["message"]) for r in located)
    assert a == [orjson.loads(re.sub(rb'(: |")line \d+: ', rb"\1", orjson.dumps(r))) for r in b]


@pytest.mark.parametrize("cut", ["whole-records", "half-written-line"])
def test_a_resumed_audit_gives_exactly_one_result_per_row(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, cut: str
) -> None:
    out = tmp_path / "out.jsonl"
    complete = run_audit(mixed_jsonl, out)
    expected = out.read_bytes()
    lines = expected.splitlines(keepends=True)
    # An interruption: the first 17 records written, and maybe half of the 18th.
    partial = b"".join(lines[:17]) + (lines[17][: len(lines[17]) // 2] if cut == "half-written-line" else b"")
    out.write_bytes(partial)

    resumed = run_audit(mixed_jsonl, out, resume=True, chunk_size=5)

    assert out.read_bytes() == expected
    assert resumed.resumed_rows == 17
    assert resumed.checked_rows == 23
    assert resumed.summary.rows == complete.summary.rows == 40
    assert resumed.summary.errors == complete.summary.errors
    assert resumed.summary.unrecognized == complete.summary.unrecognized


def test_resuming_a_finished_audit_checks_nothing(mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "out.jsonl"
    run_audit(mixed_jsonl, out)
    before = out.read_bytes()
    again = run_audit(mixed_jsonl, out, resume=True)
    assert out.read_bytes() == before
    assert again.checked_rows == 0
    assert again.summary.rows == 40


def test_resume_refuses_the_output_of_another_input(mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "out.jsonl"
    other = write_jsonl(tmp_path / "other.jsonl", [json.dumps(request(f"x{i}")) for i in range(3)])
    run_audit(other, out)
    with pytest.raises(AuditInputError, match="another input"):
        run_audit(mixed_jsonl, out, resume=True)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_refuses_answers_to_rows_edited_since(tmp_path: pathlib.Path, suffix: str) -> None:
    # A refreshed export at the same path: the same request ids and lines, posaconazole added to the first
    # regimen. Its kept answer (venetoclax 400 mg, nothing to change) would have been reported as this regimen's.
    def export(first: list[str]) -> pathlib.Path:
        if suffix == ".jsonl":
            return write_jsonl(tmp_path / "in.jsonl", [json.dumps(request("r0", *first)), json.dumps(request("r1"))])
        path = tmp_path / "in.csv"
        rows = [f"r0,{name},,concomitant" for name in first] + ["r1,venetoclax,400,regimen"]
        path.write_text("regimen_id,name,dose_mg,role\nr0,venetoclax,400,regimen\n" + "\n".join(rows) + "\n")
        return path

    out = tmp_path / "out.jsonl"
    run_audit(export(["acyclovir"]), out)
    out.write_bytes(out.read_bytes().splitlines(keepends=True)[0])  # interrupted after r0
    unchanged = run_audit(export(["acyclovir"]), out, resume=True)
    assert (unchanged.resumed_rows, unchanged.checked_rows) == (1, 1)

    out.write_bytes(out.read_bytes().splitlines(keepends=True)[0])
    with pytest.raises(AuditInputError, match=r"request 'r0'\) has changed since it was answered"):
        run_audit(export(["acyclovir", "posaconazole"]), out, resume=True)


def test_a_csv_without_the_required_columns_is_refused(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,drug\n1,venetoclax\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match="missing column"):
        run_audit(source, tmp_path / "out.jsonl")


def test_the_command_exits_nonzero_with_the_error_count_and_writes_the_report(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    out, report = tmp_path / "out.jsonl", tmp_path / "report.html"
    result = CliRunner().invoke(app, ["audit", str(mixed_jsonl), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 1, result.output
    assert "12 row(s) had errors" in result.output
    assert report.read_text().startswith("<!doctype html>")
    assert len(records(out)) == 40
    again = CliRunner().invoke(app, ["audit", str(mixed_jsonl), "-o", str(out)])
    assert again.exit_code == 2
    assert "--resume or --overwrite" in again.output


def test_the_command_exits_zero_when_every_row_was_checked(tmp_path: pathlib.Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(request("ok", "acyclovir"))])
    result = CliRunner().invoke(app, ["audit", str(source), "--no-progress"])
    assert result.exit_code == 0, result.output
    # The default output is gzip, and the report is named after it without the .gz.
    [row] = gzip.decompress((tmp_path / "in.jsonl.results.jsonl.gz").read_bytes()).splitlines()
    assert json.loads(row)["response"]["requestId"] == "ok"
    assert (tmp_path / "in.jsonl.results.md").exists()


@pytest.mark.parametrize(("name", "text"), [("in.jsonl", ""), ("in.jsonl", "\n\n"), ("in.jsonl", "\ufeff"),
                                             ("in.csv", "regimen_id,role,name,dose_mg\n")])
def test_an_export_with_no_regimens_is_no_audit(tmp_path: pathlib.Path, name: str, text: str) -> None:
    # Exited 0 with an empty report: a scheduled audit of an empty export passed as a clean one. An empty
    # export saved by a Windows editor (a byte-order mark alone) exited 1, "line 1: not valid JSON".
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(source), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert f"{source} holds no regimens to audit" in result.output


def test_the_progress_bar_draws_with_no_thread_of_its_own(mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # The audit's workers are forks of its process: a thread drawing the bar could hold the console's lock
    # at the fork, and a worker writing to stderr would then wait forever.
    from service.audit.cli import _progress_bar

    threads = threading.active_count()
    with _progress_bar(True) as update:
        assert update is not None
        update(5, 10, 100)
        assert threading.active_count() == threads
    drawn = subprocess.run(
        [sys.executable, "-m", "service", "audit", str(mixed_jsonl), "-o", str(tmp_path / "out.jsonl"), "--progress",
         "--workers", "2"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert drawn.returncode == 1, drawn.stderr  # rows with errors
    assert "auditing" in drawn.stderr
    assert "40 rows" in drawn.stderr
    assert len(records(tmp_path / "out.jsonl")) == 40


@pytest.mark.parametrize("workers", [1, 2])
def test_totals_counted_while_checking_equal_totals_read_back_from_the_output(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, workers: int
) -> None:
    # An audit counts its records as it writes them; a resumed one counts those it reads back. The
    # sample regimens bring every kind of finding, dose change and unrecognised name.
    for name, source in (("mixed", mixed_jsonl), ("sample", EXAMPLES / "regimens.jsonl")):
        out = tmp_path / f"{name}.jsonl"
        run = run_audit(source, out, workers=workers, chunk_size=50)
        read_back = scan_output(out).summary
        assert read_back == run.summary
        assert run.summary.rows == len(input_rows(source))
        assert sum(run.summary.findings.values()) == sum(
            len(f.get("precipitantDrugs", ())) or 1 for r in records(out) for f in r["response"].get("findings", ()))
        assert run.summary.findings_by_mechanism
        assert run.summary.dose_change_rows
        assert run.summary.unrecognized


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_audit_leaves_whole_records_and_no_scratch_files_and_resumes(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, workers: int
) -> None:
    complete = tmp_path / "complete.jsonl"
    run_audit(mixed_jsonl, complete)
    out = tmp_path / "out.jsonl"

    def interrupt(rows: int, position: int, size: int) -> None:
        if rows >= 10:  # Ctrl-C once two chunks are handed to the writer
            raise KeyboardInterrupt

    with pytest.raises(AuditInterruptedError) as stopped:
        run_audit(mixed_jsonl, out, workers=workers, chunk_size=5, progress=interrupt)

    written = out.read_bytes()
    assert written.endswith(b"\n")
    assert complete.read_bytes().startswith(written)
    assert len(written.splitlines()) == stopped.value.run.summary.rows == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["complete.jsonl", "in.jsonl", "out.jsonl"]
    run_audit(mixed_jsonl, out, workers=workers, chunk_size=5, resume=True)
    assert out.read_bytes() == complete.read_bytes()


def test_a_write_that_fails_is_raised_not_lost() -> None:
    # /dev/full takes the open and refuses every write with ENOSPC, as a full disk does.
    with pytest.raises(OSError, match="No space left"), OutputWriter(pathlib.Path("/dev/full"), append=False) as out:
        out.write([b'{"line": 1}\n'])


def test_a_failure_other_than_oserror_in_the_writer_is_raised_too(tmp_path: pathlib.Path) -> None:
    out = OutputWriter(tmp_path / "out.jsonl", append=False)
    out.write([b'{"line": 1}\n'])
    out.write(["not bytes"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        out.close()
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"line": 1}\n'


def test_a_batch_that_fails_half_written_is_cut_back_to_whole_records(tmp_path: pathlib.Path) -> None:
    # A file size limit lets the first batch in and stops the second part-way (EFBIG), as a disk
    # filling up mid-write would; in a child process, since the limit holds for the whole process.
    script = f"""
import pathlib, resource, signal
from service.audit.output import OutputWriter
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
record = b"x" * 29_999 + b"\\n"
try:
    with OutputWriter(pathlib.Path({str(tmp_path / "out.jsonl")!r}), append=False) as out:
        out.write([record])
        out.write([record])
except OSError as exc:
    print("raised", exc.errno)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == f"raised {errno.EFBIG}"
    assert (tmp_path / "out.jsonl").read_bytes() == b"x" * 29_999 + b"\n"


# A gzip output (named *.gz): the same records, one gzip member per batch.


@pytest.mark.parametrize("workers", [1, 2])
def test_a_gz_output_holds_the_same_records_as_a_plain_one(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, workers: int
) -> None:
    plain, packed = tmp_path / "out.jsonl", tmp_path / "out.jsonl.gz"
    run_audit(mixed_jsonl, plain, chunk_size=5)
    run = run_audit(mixed_jsonl, packed, workers=workers, chunk_size=5)
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    assert run.summary.rows == 40
    assert scan_output(packed).summary.rows == 40  # read back whole, every member


@pytest.mark.parametrize("cut", ["between-members", "inside-a-member", "garbage-after"])
def test_a_resumed_gz_audit_keeps_its_whole_members_and_ends_as_a_complete_one(
    mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, cut: str
) -> None:
    out = tmp_path / "out.jsonl.gz"
    run_audit(mixed_jsonl, out, chunk_size=5)
    expected = gzip.decompress(out.read_bytes())
    members = _gzip_members(out.read_bytes())
    assert len(members) == 8  # 40 rows, 5 a chunk
    kept = b"".join(members[:3])
    partial = {"between-members": kept, "inside-a-member": kept + members[3][:-9],
               "garbage-after": kept + b"\x1f\x8b not gzip"}[cut]
    out.write_bytes(partial)

    state = scan_output(out)
    assert (len(state.done), state.dropped_bytes) == (15, len(partial) - len(kept))
    assert out.read_bytes() == kept
    resumed = run_audit(mixed_jsonl, out, resume=True, chunk_size=5)
    assert (resumed.resumed_rows, resumed.checked_rows) == (15, 25)
    assert gzip.decompress(out.read_bytes()) == expected


def test_the_command_writes_its_report_and_decisions_beside_a_gz_output_without_the_gz(
    tmp_path: pathlib.Path,
) -> None:
    rows = write_jsonl(tmp_path / "in.jsonl", [json.dumps(request(f"r{i}", "posaconazole")) for i in range(3)])
    result = CliRunner().invoke(app, ["audit", str(rows), "--output", str(tmp_path / "found.jsonl.gz")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "found.decisions.csv", "found.jsonl.gz", "found.md", "in.jsonl"]
    decisions = (tmp_path / "found.decisions.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(decisions) == 1 + 3  # the header, then venetoclax's reduced dose in each row


def _gzip_members(data: bytes) -> list[bytes]:
    members = []
    while data:
        member = zlib.decompressobj(wbits=31)
        member.decompress(data)
        assert member.eof
        members.append(data[: len(data) - len(member.unused_data)])
        data = member.unused_data
    return members


def test_a_csv_carries_the_patient_s_values_and_the_medications_course(tmp_path: pathlib.Path) -> None:
    # The quality team's finding: a CSV could carry only QTc and the cycle, so liver holds, Child-Pugh and washouts
    # never applied to a CSV audit. Every PatientContext field is a column now, and the medication's course.
    got = answers_to(tmp_path, "in.csv", (
        b"regimen_id,role,name,dose_mg,held,stopped_on,hold_reason,qtc_at_hold_ms,as_of_date,child_pugh,potassium_mmol_l\n"
        b"A,regimen,venetoclax,400,,,,,2026-03-10,C,\n"
        b"A,regimen,azacitidine,75,,,,,,,\n"
        b"A,concomitant,posaconazole,300,,2026-03-01,,,,,\n"
        b"B,regimen,quizartinib,35.4,yes,,qtc_prolongation,510,,,\n"
        b"C,regimen,gilteritinib,120,,,,,,,low\n"
        b"D,regimen,ivosidenib,500,yes,,tiredness,,,,\n"))

    venetoclax = next(d for d in got[2]["decisions"] if d["drug"] == "venetoclax")
    # Posaconazole stopped 9 days before no longer counts; Child-Pugh C halves the dose.
    assert (venetoclax["recommendedDoseMg"], venetoclax["action"]) == (200, "ACTION_ADJUST_DOSE")
    assert not any("posaconazole" in f.get("precipitantDrugs", ()) for f in got[2]["findings"])
    (quizartinib,) = got[5]["decisions"]
    assert quizartinib["action"] == "ACTION_HOLD"  # held for QTc prolongation, no QTc since: stays held
    assert got[6]["error"]["message"].startswith("patient.potassium_mmol_l: line 6: must be a number, not 'low'")
    assert got[7]["error"]["message"].startswith("regimen[0].hold_reason: line 7: must be one of qtc_prolongation")


@pytest.mark.parametrize("sample", ["mixed", "regimens.jsonl", "regimens.csv"])
def test_a_chunk_leaves_no_reference_cycles_behind(mixed_jsonl: pathlib.Path, sample: str) -> None:
    # RowChecker.run freezes what a chunk leaves alive, out of the collector's sight until the audit ends:
    # garbage in a cycle among it would build up over a long audit.
    path = mixed_jsonl if sample == "mixed" else EXAMPLES / sample
    with open_reader(path) as reader:
        checker = RowChecker(load_knowledge_base(), reader.layout, decisions=True)
        rows = list(reader)
    checker.run(rows)  # the first chunk fills caches whose own bookkeeping may be cyclic
    gc.unfreeze()
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        records, _, decisions = checker.run(rows).result()
        gc.unfreeze()
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()
    assert len(records) == len(rows)
    assert sample != "mixed" or sum(b'"error"' in record for record in records) == 12
    assert decisions.count("\r\n") >= 12  # a line for each row with an error at least


@pytest.mark.parametrize("workers", [1, 2])
def test_nothing_stays_frozen_after_an_audit(mixed_jsonl: pathlib.Path, tmp_path: pathlib.Path, workers: int) -> None:
    run_audit(mixed_jsonl, tmp_path / "out.jsonl", workers=workers)
    assert gc.get_freeze_count() == 0
