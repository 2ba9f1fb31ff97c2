"""Audit input files (JSON Lines and CSV): reading rows cheaply and decoding each into a request.

The CSV layout: a header row, then one row per medication.

| column | required | meaning |
|---|---|---|
| `regimen_id` | yes | the request id; rows with the same id are one regimen, wherever they are in the file |
| `name` | yes | the medication as written in the order |
| `dose_mg` | yes (may be blank) | blank = not stated |
| `role` | no | `regimen` (an antileukemic agent being ordered), `concomitant`, or blank (an export that does not
say: the engine finds the targeted agents among the medications) |
| `frequency`, `held` | no | `held` is true/false, yes/no, 1/0 or blank |
| `stopped_on`, `hold_reason`, `qtc_at_hold_ms`, `treatment_day` | no | the medication's, as the contract's fields |
| `qtc_ms`, `as_of_date`, `potassium_mmol_l`, ... | no | the patient: every field of `PatientContext` by its name, |
| | | on any row of the regimen (rows that repeat a value must agree) |

Rows are decoded in the worker that checks them, so the reading process only splits the file. A
regimen's rows are usually consecutive and go out as they are read; a first pass finds the ids whose
rows are not (an export sorted by role or by drug), which are gathered and go out at their last row,
and the ids of the lines an unclosed quote swallowed, whose regimens are reported with it.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import pathlib
import re
from collections.abc import Iterator
from typing import IO, Any, Final, NamedTuple, Protocol

import orjson

from interactions.model import (
    CheckRequest,
    FieldViolation,
    HoldReason,
    InvalidRequestError,
    Medication,
    PatientContext,
)
from service import json_input
from service.contract import decode_request

__all__ = [
    "CSV_COLUMNS",
    "AuditInputError",
    "CsvLayout",
    "CsvRegimen",
    "InputFormat",
    "Row",
    "RowReader",
    "UnreadableRowError",
    "decode_row",
    "detect_format",
    "located_violations",
    "open_reader",
    "request_id_of_row",
    "row_digest",
]

REQUIRED_CSV_COLUMNS: Final = ("regimen_id", "name", "dose_mg")
_COURSE_COLUMNS: Final = ("stopped_on", "hold_reason", "qtc_at_hold_ms", "treatment_day")
"""A medication's own columns beyond name, dose, frequency and held: typed as `Medication`'s fields."""
_PATIENT_COLUMNS: Final = PatientContext._fields
"""Every field of the patient, typed as `PatientContext`'s defaults are."""
OPTIONAL_CSV_COLUMNS: Final = ("role", "frequency", "held", *_COURSE_COLUMNS, *_PATIENT_COLUMNS)
CSV_COLUMNS: Final = REQUIRED_CSV_COLUMNS + OPTIONAL_CSV_COLUMNS
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_PACKED: Final = (
    (b"\x1f\x8b", "gzip-compressed: decompress it first (gunzip -k)"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?): save it as CSV UTF-8 or decompress it first"),
)
"""The openings of files an export is handed over as that hold no rows to read as they are, with what to do."""
_TRUE: Final = frozenset({"true", "yes", "y", "1"})
_FALSE: Final = frozenset({"", "false", "no", "n", "0"})


class InputFormat(enum.Enum):
    """The layouts an audit reads."""

    JSONL = "jsonl"
    CSV = "csv"


class AuditInputError(Exception):
    """An input (or output, on resume) that cannot be audited at all, such as a CSV without a header."""


class UnreadableRowError(InvalidRequestError):
    """A row whose text could not be parsed (bad JSON, broken CSV quoting): one violation of the whole row."""

    def __init__(self, message: str) -> None:
        super().__init__((FieldViolation("", message),))


class CsvRegimen(NamedTuple):
    """The CSV rows of one regimen, with any parse problems that may concern it."""

    rows: tuple[tuple[int, list[str]], ...]
    """(line number, cells) of each medication row."""
    problems: tuple[str, ...]
    """Lines near this regimen that could not be parsed: the regimen may be missing a medication."""


class Row(NamedTuple):
    """One unit of audit work: one request, located by the line where it starts."""

    line: int
    payload: bytes | CsvRegimen


class CsvLayout(NamedTuple):
    """Which cell holds which column; -1 for an optional column the file does not have."""

    width: int
    regimen_id: int
    name: int
    dose_mg: int
    role: int
    frequency: int
    held: int
    course: tuple[tuple[str, int], ...]
    """The medication columns of `_COURSE_COLUMNS` the file has, with their cells."""
    patient: tuple[tuple[str, int], ...]
    """The patient columns the file has, with their cells."""
    unnamed: tuple[int, ...] = ()
    """The cells under a header cell left empty (a line ending with a separator), blank on every row."""

    @classmethod
    def from_header(cls, header: list[str]) -> CsvLayout:
        """The layout named by a header row.

        Args:
            header: The first row of the file.

        Returns:
            The column positions.

        Raises:
            AuditInputError: A required column is missing, or a column is unknown or repeated.
        """
        names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
        if len(names) == 1:
            # Excel saves "CSV" with semicolons where the decimal mark is a comma; "Unicode Text" with tabs.
            for separator, said in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
                if set(REQUIRED_CSV_COLUMNS) <= {n.strip() for n in names[0].split(separator)}:
                    raise AuditInputError(f"CSV header: its cells are separated by {said}, not commas: save the "
                                          "export as comma-separated values")
        # An empty header cell names no column: report writers end every line with a separator.
        unknown = [n for n in names if n and n not in CSV_COLUMNS]
        missing = [n for n in REQUIRED_CSV_COLUMNS if n not in names]
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        problems = []
        if missing:
            problems.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s): {', '.join(unknown)}")
        if repeated:
            problems.append(f"repeated column(s): {', '.join(repeated)}")
        if problems:
            raise AuditInputError(f"CSV header: {'; '.join(problems)} (columns: {', '.join(CSV_COLUMNS)})")
        index = {n: i for i, n in enumerate(names)}
        return cls(len(names), index["regimen_id"], index["name"], index["dose_mg"], index.get("role", -1),
                   index.get("frequency", -1), index.get("held", -1),
                   tuple((column, index[column]) for column in _COURSE_COLUMNS if column in index),
                   tuple((column, index[column]) for column in _PATIENT_COLUMNS if column in index),
                   tuple(i for i, n in enumerate(names) if not n))


def detect_format(path: pathlib.Path, given: InputFormat | None = None) -> InputFormat:
    """The input's format: as given, else from the file's extension.

    Args:
        path: The input file.
        given: The format named on the command line, if any.

    Returns:
        The format to read.

    Raises:
        AuditInputError: Not given and the extension is neither .jsonl/.ndjson/.json nor .csv.
    """
    if given is not None:
        return given
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return InputFormat.JSONL
    if suffix == ".csv":
        return InputFormat.CSV
    raise AuditInputError(f"{path}: cannot tell the format from {suffix!r}; pass --format jsonl or csv")


class RowReader:
    """Iterates the rows of an input file; `position` is the bytes consumed so far (for progress)."""

    def __init__(self, path: pathlib.Path, input_format: InputFormat) -> None:
        """Opens the file and, for CSV, reads its header.

        Args:
            path: The input file.
            input_format: How to read it.

        Raises:
            AuditInputError: The file is unreadable or its CSV header is wrong.
            OSError: The file cannot be opened.
        """
        self.format = input_format
        self.position = 0
        self.csv_rows = 0
        """The CSV's medication rows read so far (blank rows and unreadable lines not counted)."""
        self.layout: CsvLayout | None = None
        self._first_pass = _FirstPass({}, {}, {})
        self._file: io.BufferedReader = open(path, "rb")  # noqa: SIM115 -- closed by close()/__exit__
        # What csv's own words ("new-line character seen in unquoted field") and rows of "not UTF-8 text" do not say.
        first = self._file.peek(1 << 16)[: 1 << 16]
        for magic, said in _PACKED:
            if first.startswith(magic):
                self.close()
                raise AuditInputError(f"{path}: {said}")
        if b"\n" not in first and b"\r" in first.rstrip(b"\r"):  # the whole file is one line
            self.close()
            raise AuditInputError(f"{path}: its lines end with a carriage return alone (classic Mac OS): "
                                  "save it with Windows (CRLF) or Unix (LF) line endings")
        if input_format is InputFormat.CSV:
            if first.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text"
                self.close()
                raise AuditInputError(f"{path}: UTF-16 text: save the export as CSV UTF-8 (or Windows-1252)")
            self._csv = csv.reader(self._text_lines(), strict=True)
            try:
                header = next(self._csv)
            except StopIteration:
                self.close()
                raise AuditInputError(f"{path}: empty CSV file (no header)") from None
            except csv.Error as exc:
                self.close()
                raise AuditInputError(f"{path}: unreadable CSV header: {exc}") from None
            try:
                self.layout = CsvLayout.from_header(header)
            except AuditInputError as exc:
                self.close()
                raise AuditInputError(f"{path}: {exc}") from None
            with open(path, "rb") as whole:
                self._first_pass = _first_pass(whole, self.layout.regimen_id)

    def close(self) -> None:
        """Closes the file."""
        self._file.close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Row]:
        if self.format is InputFormat.JSONL:
            return self._jsonl_rows()
        return self._csv_rows()

    def _jsonl_rows(self) -> Iterator[Row]:
        line = 0
        for raw in self._file:
            line += 1
            self.position += len(raw)
            if line == 1:
                raw = raw.removeprefix(_UTF8_BOM)  # written by spreadsheets and Windows editors
            # Blank lines separate nothing in JSON Lines; they are not rows (nor is a byte-order mark alone).
            if not raw.strip():
                continue
            yield Row(line, raw)

    def _text_lines(self) -> Iterator[str]:
        first = True
        for raw in self._file:
            self.position += len(raw)
            text = _decoded(raw)
            if first:
                text = text.lstrip("\ufeff")
                first = False
            yield text

    def _csv_rows(self) -> Iterator[Row]:
        layout = self.layout
        assert layout is not None
        reader = self._csv
        id_column = layout.regimen_id
        first_pass = self._first_pass
        group_id: str | None = None
        group_line = 0
        group: list[tuple[int, list[str]]] = []
        problems: list[str] = []
        carried: list[str] = []
        orphans: list[Row] = []  # rows with a blank regimen_id, each answered (an error) after the regimen before it
        orphaned: set[str] = set()  # their problems, which are their own rows' too
        # The regimens whose rows are scattered, gathered until their last row: (first line, rows, problems).
        gathered: dict[str, tuple[int, list[tuple[int, list[str]]], list[str]]] = {}
        seen: set[str] = set()

        def finished() -> Iterator[Row]:
            assert group_id is not None
            seen.add(group_id)
            lost = first_pass.swallowed.get(group_id)
            if lost is not None and lost not in problems:
                problems.append(lost)  # some of its rows are inside a broken quote
            last = first_pass.last_lines.get(group_id)
            if last is None:
                yield Row(group_line, CsvRegimen(tuple(group), tuple(problems)))
                return
            first_line, rows, their_problems = gathered.setdefault(group_id, (group_line, [], []))
            rows.extend(group)
            their_problems.extend(problem for problem in problems if problem not in their_problems)
            if group[-1][0] == last:  # its last row: it goes out now, not at the end of the file
                del gathered[group_id]
                yield Row(first_line, CsvRegimen(tuple(rows), tuple(their_problems)))

        before = 0
        for before, cells in _records(reader):
            if isinstance(cells, csv.Error):
                # The broken line may belong to the regimen being read or to the next one: both
                # are reported with it, so neither is silently checked without a medication. An
                # unclosed quote runs on over the lines after it: every regimen with a row there
                # is reported with it too (the first pass found them).
                problem = _unreadable(before, reader.line_num, cells)
                if group:
                    problems.append(problem)
                carried.append(problem)
                continue
            if _blank(cells):
                continue
            line = before + 1
            self.csv_rows += 1
            regimen_id = cells[id_column].strip() if id_column < len(cells) else ""
            if not regimen_id:
                # A blank id cannot tie rows together: the row stands alone (and fails). Its medication may
                # be the regimen's just read (an export naming the regimen on its first row only) or the
                # next one's: as with a broken line, neither is checked without it.
                name = cells[layout.name].strip() if layout.name < len(cells) else ""
                problem = (f"line {line}: {name[:60]!r} has a blank regimen_id: it may be this regimen's, "
                           "which is not checked without it")
                if group:
                    problems.append(problem)
                carried.append(problem)
                orphaned.add(problem)
                orphans.append(Row(line, CsvRegimen(((line, cells),), ())))
                continue
            if regimen_id != group_id:
                if group:
                    yield from finished()
                yield from orphans
                orphans = []
                group_id, group_line, group, problems = regimen_id, line, [], carried
            # The broken line, if any, was this regimen's (or the previous one's): hand it on once.
            carried = []
            group.append((line, cells))
        if group:
            yield from finished()
        yield from orphans
        broken = [problem for problem in carried if problem not in orphaned]
        if not group and broken:  # a broken line, with no regimen before or after it
            yield Row(before + 1, CsvRegimen((), tuple(broken)))
        for first_line, rows, their_problems in gathered.values():
            yield Row(first_line, CsvRegimen(tuple(rows), tuple(their_problems)))
        # A regimen whose every row is inside a broken quote: an error of its own, at its first row there.
        for regimen_id, (line, cells) in first_pass.swallowed_at.items():
            if regimen_id not in seen:
                yield Row(line, CsvRegimen(((line, cells),), (first_pass.swallowed[regimen_id],)))


def _blank(cells: list[str]) -> bool:
    """A record with nothing in it, which is no medication and no error.

    An empty line, or a row of separators alone (",,,", as spreadsheets end a blank row).
    """
    return not any(cell.strip() for cell in cells)


class _CsvReader(Protocol):
    """`csv.reader`'s object, as `_records` uses it."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


def _records(reader: _CsvReader) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each record of a CSV reader, with its `line_num` before it.

    The record's cells, or the error that stopped it (the reader goes on from the line after).
    """
    while True:
        before = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield before, exc
            continue
        yield before, cells


def _unreadable(before: int, end: int, exc: csv.Error) -> str:
    """The problem of a CSV record that could not be parsed, from the line after `before` to `end`."""
    lines = f"line {before + 1}" if end <= before + 1 else f"lines {before + 1}-{end}"
    return f"{lines}: unreadable CSV ({exc}); the medications and regimens on them are not read"


class _FirstPass(NamedTuple):
    """What a CSV file's regimen ids say before its rows are read in turn."""

    last_lines: dict[str, int]
    """The last line of each regimen whose rows are not all consecutive (an export sorted by role)."""
    swallowed: dict[str, str]
    """The regimens with a row inside a record that could not be parsed (an unclosed quote), and its problem."""
    swallowed_at: dict[str, tuple[int, list[str]]]
    """The line of each one's first row there, with that line's cells read alone."""


def _recorded(file: IO[bytes], lines: list[str]) -> Iterator[str]:
    """The file's lines as text, each also appended to `lines`.

    A generator of its own: compiled by mypyc, one nested in `_first_pass` lost its closure
    (`__mypyc_env__` undefined) when the reader stopped on a broken record.
    """
    for raw in file:
        lines.append(_decoded(raw))
        yield lines[-1]


def _decoded(raw: bytes) -> str:
    """A CSV line as text: UTF-8, or else Windows-1252, what Excel and Windows report writers save.

    Read as UTF-8 with its bad bytes replaced, "125 µg" of a Windows export was "125 \ufffdg", and a
    drug the reader knows came back unrecognised. A byte Windows-1252 leaves undefined still decodes to
    U+FFFD, so a stray byte does not stop a million-row audit: the name it sits in comes back unrecognised.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _cells_alone(line: str) -> list[str]:
    """The cells of one physical line of a broken record, read alone to find whose row it is.

    A cell longer than the csv module's limit (a clinical note pasted in) stops the reader on the line
    alone too: the line is then read up to the limit, which holds its regimen_id, a short cell, unless
    the id comes after the long cell.
    """
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return next(csv.reader([line[: csv.field_size_limit() - 1]]), [])


def _first_pass(file: IO[bytes], id_column: int) -> _FirstPass:
    """Reads the regimen ids of a CSV file as `RowReader` reads its rows, and of the lines a broken record holds."""
    lines: list[str] = []
    reader = csv.reader(_recorded(file, lines), strict=True)
    next(reader, None)  # the header, read already
    seen: set[str] = set()
    last_lines: dict[str, int] = {}
    scattered: set[str] = set()
    swallowed: dict[str, str] = {}
    swallowed_at: dict[str, tuple[int, list[str]]] = {}
    previous = None
    del lines[:]
    for before, cells in _records(reader):
        if isinstance(cells, csv.Error):
            problem = _unreadable(before, reader.line_num, cells)
            # Each physical line of the broken record, read alone: whose rows it swallowed.
            for offset, held in enumerate(lines):
                row = _cells_alone(held)
                if id_column < len(row) and (regimen_id := row[id_column].strip()):
                    swallowed.setdefault(regimen_id, problem)
                    swallowed_at.setdefault(regimen_id, (before + 1 + offset, row))
            del lines[:]
            continue
        del lines[:]
        regimen_id = cells[id_column].strip() if id_column < len(cells) else ""
        if not regimen_id:
            continue  # as the rows are read: a row standing alone, not between a regimen's rows
        last_lines[regimen_id] = before + 1
        if regimen_id != previous:
            if regimen_id in seen:
                scattered.add(regimen_id)
            seen.add(regimen_id)
        previous = regimen_id
    return _FirstPass({regimen_id: last_lines[regimen_id] for regimen_id in scattered}, swallowed, swallowed_at)


def open_reader(path: pathlib.Path, input_format: InputFormat | None = None) -> RowReader:
    """Opens an input file for reading rows.

    Args:
        path: The input file.
        input_format: The format, or None to tell it from the extension.

    Returns:
        The reader (a context manager).

    Raises:
        AuditInputError: Unknown format, or a bad CSV header.
        OSError: The file cannot be opened.
    """
    return RowReader(path, detect_format(path, input_format))


def row_digest(row: Row) -> str:
    """A digest of a row as the input has it, which its output record keeps.

    A resumed audit keeps an earlier answer only for the same row, not for a row edited since (a
    refreshed export at the same path).

    Args:
        row: The row.

    Returns:
        16 hex digits (BLAKE2b; a digest, not a signature: it tells edits apart, not forgeries).
    """
    payload = row.payload
    if isinstance(payload, bytes):
        data = payload.strip()
    else:
        data = "\n".join("\x1f".join(cells) for _, cells in payload.rows).encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def request_id_of_row(row: Row, layout: CsvLayout | None) -> str:
    """The request id a row's answer will echo (as `decode_row` and the error path find it).

    Args:
        row: The row.
        layout: The CSV layout, for CSV rows.

    Returns:
        The id, or "" when the row has none or cannot be parsed.
    """
    payload = row.payload
    if isinstance(payload, bytes):
        try:
            obj = json_input.loads(payload)
        except ValueError:  # not JSON, or JSON that says two things (which id is meant cannot be told)
            return ""
        value = obj.get("requestId", obj.get("request_id")) if type(obj) is dict else None
        return value if type(value) is str else ""
    assert layout is not None
    if not payload.rows:
        return ""
    cells = payload.rows[0][1]
    return cells[layout.regimen_id].strip() if layout.regimen_id < len(cells) else ""


def decode_row(row: Row, layout: CsvLayout | None) -> tuple[str, CheckRequest]:
    """Decodes a row into its request id and request.

    Args:
        row: The row.
        layout: The CSV layout, for CSV rows.

    Returns:
        The request id to echo and the request.

    Raises:
        UnreadableRowError: The row's text cannot be parsed at all.
        InvalidRequestError: It parses, but not into a request (the error path finds the id to
            echo with `request_id_of_row`).
    """
    payload = row.payload
    if isinstance(payload, bytes):
        try:
            obj = json_input.loads(payload)
        except json_input.JsonInputError as exc:
            raise UnreadableRowError(f"line {row.line}: {exc}") from None
        except orjson.JSONDecodeError as exc:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError as not_utf8:
                raise UnreadableRowError(f"line {row.line}: not UTF-8 text (byte {not_utf8.start + 1} of the line): "
                                         "save the export as UTF-8") from None
            raise UnreadableRowError(f"line {row.line}: not valid JSON ({exc})") from None
        request = decode_request(obj)
        return request.request_id, request
    assert layout is not None
    return _decode_csv(payload, layout)


def _decode_csv(regimen: CsvRegimen, layout: CsvLayout) -> tuple[str, CheckRequest]:
    # A regimen near a line that could not be read may be missing a medication: checking the
    # rest would give a confident answer about a partial regimen, so it is not checked at all.
    problems = list(regimen.problems)
    problems += [
        f"line {line}: {len(cells)} cells where the header has {layout.width}"
        for line, cells in regimen.rows
        if len(cells) != layout.width
    ]
    if problems or not regimen.rows:
        raise UnreadableRowError("; ".join(problems))
    violations: list[FieldViolation] = []
    first_cells = regimen.rows[0][1]
    request_id = first_cells[layout.regimen_id].strip()
    if not request_id:
        violations.append(
            FieldViolation(field="request_id", description=f"line {regimen.rows[0][0]}: blank regimen_id")
        )
    regimen_meds: list[Medication] = []
    concomitant: list[Medication] = []
    patient: dict[str, tuple[int, str]] = {}
    for line, cells in regimen.rows:
        # A value there is not dropped unread: it is a cell of a row shifted by a separator, or data.
        violations.extend(
            FieldViolation("", f"line {line}: {cells[i].strip()[:40]!r} under a column with no name (column {i + 1})")
            for i in layout.unnamed if cells[i].strip())
        kind = _list_of(cells, layout)
        if kind == "regimen":
            target, path = regimen_meds, f"regimen[{len(regimen_meds)}]"
        elif kind == "concomitant":
            target, path = concomitant, f"concomitant[{len(concomitant)}]"
        else:
            role = cells[layout.role].strip().lower()
            violations.append(
                FieldViolation(
                    field="role",
                    description=f"line {line}: must be regimen, concomitant or blank, not {role[:40]!r}",
                )
            )
            continue
        dose_text = cells[layout.dose_mg].strip()
        dose = _typed(dose_text, 0.0, f"{path}.dose_mg", line, violations) if dose_text else 0.0
        held_text = cells[layout.held].strip() if layout.held >= 0 else ""
        held = _typed(held_text, False, f"{path}.held", line, violations) if held_text else False
        frequency = cells[layout.frequency].strip() if layout.frequency >= 0 else ""
        course = {column: _typed(cells[index].strip(), _MEDICATION_DEFAULTS[column], f"{path}.{column}", line,
                                 violations) for column, index in layout.course if cells[index].strip()}
        target.append(Medication(cells[layout.name].strip(), dose, frequency, held, **course))
        for column, index in layout.patient:
            value = cells[index].strip()
            if not value:
                continue
            earlier = patient.setdefault(column, (line, value))
            if earlier[1] != value:
                violations.append(
                    FieldViolation(
                        field=f"patient.{column}",
                        description=(
                            f"line {line}: {value[:40]!r} differs from {earlier[1][:40]!r} on line {earlier[0]}"
                        ),
                    )
                )
    context = _patient(patient, violations)
    if violations:
        raise InvalidRequestError(tuple(violations))
    return request_id, CheckRequest(
        regimen=tuple(regimen_meds),
        concomitant=tuple(concomitant),
        patient=context,
        request_id=request_id,
    )


def located_violations(row: Row, layout: CsvLayout | None,
                       violations: tuple[FieldViolation, ...]) -> tuple[FieldViolation, ...]:
    """The violations of a CSV regimen's refused check, each saying the CSV line of what it names.

    The check names the request's paths ("regimen[1].name: venetoclax is already ordered as regimen[0]",
    "concomitant[0].stopped_on"), which no line of a CSV is called: a regimen's rows may be apart, its roles
    mixed.

    Args:
        row: The row answered.
        layout: The CSV layout, None for JSON Lines (whose row is one line: the violations stand).
        violations: The violations of the answer's error.

    Returns:
        The violations, located where they name a medication or a patient value (the CSV's own errors, a row
        short of cells or a broken quote, say their lines already); the same tuple when none is.
    """
    payload = row.payload
    if layout is None or isinstance(payload, bytes) or not any(_PATH_HEAD.match(v.field) for v in violations):
        return violations
    lines = _lines_by_path(payload, layout)
    return tuple(_located(violation, lines) for violation in violations)


def _list_of(cells: list[str], layout: CsvLayout) -> str | None:
    """The request's list a medication row goes in, "regimen" or "concomitant"; None for a role not known."""
    role = cells[layout.role].strip().lower() if layout.role >= 0 else ""
    if role == "regimen":
        return "regimen"
    # Not said: the engine takes the agents among them as the regimen.
    return "concomitant" if role in ("concomitant", "") else None


def _lines_by_path(regimen: CsvRegimen, layout: CsvLayout) -> dict[str, int]:
    """The line of each path a violation may name: each medication (as `_decode_csv` lists them) and patient value."""
    lines: dict[str, int] = {}
    listed = {"regimen": 0, "concomitant": 0}
    for line, cells in regimen.rows:
        kind = _list_of(cells, layout)
        if kind is not None:
            lines[f"{kind}[{listed[kind]}]"] = line
            listed[kind] += 1
        for column, index in layout.patient:
            if cells[index].strip():
                lines.setdefault(f"patient.{column}", line)  # where `_decode_csv` took it from
    return lines


_PATH_HEAD: Final = re.compile(r"^(?:regimen|concomitant)\[\d+\]|^patient\.\w+")


def _located(violation: FieldViolation, lines: dict[str, int]) -> FieldViolation:
    """The violation with the CSV line of the medication or patient value it names, unless it says one."""
    head = _PATH_HEAD.match(violation.field)
    line = lines.get(head.group()) if head else None
    if line is None or violation.description.startswith("line "):
        return violation
    return violation._replace(description=f"line {line}: {violation.description}")


def _patient(values: dict[str, tuple[int, str]], violations: list[FieldViolation]) -> PatientContext:
    if not values:
        return _NO_PATIENT
    return PatientContext(**{column: _typed(text, _PATIENT_DEFAULTS[column], f"patient.{column}", line, violations)
                             for column, (line, text) in values.items()})


def _typed(text: str, default: object, field: str, line: int, violations: list[FieldViolation]) -> Any:
    """A cell as the type of its field's default (a number, a whole number, yes/no, a hold reason, text).

    The default, and a violation naming the field and line, when it is not one.
    """
    kind = "text"
    try:
        if isinstance(default, bool):
            kind = "true or false"
            lowered = text.lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError(text)
            return lowered in _TRUE
        if isinstance(default, HoldReason):
            kind = f"one of {', '.join(reason.name.lower() for reason in HoldReason if reason)}"
            return HoldReason[text.upper().removeprefix("HOLD_REASON_").replace(" ", "_")]
        if isinstance(default, int):
            kind = "a whole number"
            return int(text)
        if isinstance(default, float):
            kind = "a number"
            return float(text)
    except (KeyError, ValueError):
        violations.append(FieldViolation(field=field, description=f"line {line}: must be {kind}, not {text[:40]!r}"))
        return default
    return text


_PATIENT_DEFAULTS: Final = PatientContext._field_defaults
_MEDICATION_DEFAULTS: Final = Medication._field_defaults
_NO_PATIENT: Final = PatientContext()
