"""`dosecheck kb resolve`: map a site's formulary onto the knowledge base before go-live.

A formulary is CSV (a `name` column, optionally `rxcui`; other columns are carried through) or plain
text (one name a line; blank lines and `#` comments skipped). Each line is identified as the service
would identify it in a check, and the result says what it resolves to or why it would not be checked.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Annotated, NamedTuple, Optional

import typer

from interactions import Coding, KnowledgeBase, KnowledgeBaseError, Medication, UnrecognizedReason, load_knowledge_base
from interactions.identify import Identification, identify
from interactions.schema import RXNORM
from service.exit_codes import ExitCode
from service.settings import cache_dir

STATUS = {
    UnrecognizedReason.UNSPECIFIED: "recognised",
    UnrecognizedReason.NOT_REVIEWED: "not_reviewed",
    UnrecognizedReason.UNKNOWN: "unknown",
    UnrecognizedReason.CONFLICT: "conflict",
}
RESULT_COLUMNS = ("line", "name", "rxcui", "status", "drugs", "ingredients", "suggestions", "detail")
MOST_COMMON_GAPS = 15


class FormularyLine(NamedTuple):
    """One line of a formulary: where it stands, the medication, and the columns carried through."""

    line: int
    medication: Medication
    extra: dict[str, str]


class FormularyError(ValueError):
    """The formulary cannot be read at all (no `name` column, not UTF-8)."""


def read_formulary(text: str, is_csv: bool) -> Iterator[FormularyLine]:
    """The lines of a formulary file's text.

    Raises:
        FormularyError: a CSV without a `name` column.
    """
    if not is_csv:
        for number, raw in enumerate(text.splitlines(), start=1):
            name = raw.strip()
            if name and not name.startswith("#"):
                yield FormularyLine(number, Medication(name), {})
        return
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "name" not in reader.fieldnames:
        raise FormularyError("a CSV formulary needs a 'name' column")
    for row in reader:
        name = (row.pop("name") or "").strip()
        rxcui = (row.pop("rxcui", "") or "").strip()
        coding = (Coding(RXNORM, rxcui),) if rxcui else ()
        if name or coding:
            # DictReader counts the header as line 1, so the data's first line is line 2.
            yield FormularyLine(reader.line_num, Medication(name, coding=coding), {k: v or "" for k, v in row.items()})


def result_row(entry: FormularyLine, found: Identification) -> dict[str, str]:
    """One line's result as flat text columns (the formulary's own columns after ours)."""
    return {
        "line": str(entry.line),
        "name": entry.medication.name,
        "rxcui": ";".join(c.code for c in entry.medication.coding),
        "status": STATUS[found.reason],
        "drugs": ";".join(found.drugs),
        "ingredients": ";".join(found.ingredients),
        "suggestions": ";".join(found.suggestions),
        "detail": found.detail,
        **entry.extra,
    }


def summary(results: list[dict[str, str]]) -> list[str]:
    """What a pharmacy committee reads first: how much resolved, and the biggest gaps."""
    total = len(results)
    statuses = Counter(r["status"] for r in results)
    recognised = statuses["recognised"]
    lines = [f"{total} formulary lines: {recognised} recognised ({100 * recognised / max(total, 1):.1f}%), "
             f"{statuses['not_reviewed']} not reviewed, {statuses['unknown']} unknown, "
             f"{statuses['conflict']} conflicting"]
    gaps = Counter(ingredient for r in results if r["status"] == "not_reviewed"
                   for ingredient in r["ingredients"].split(";") if ingredient)
    if gaps:
        lines.append("most frequent drugs not reviewed: " + ", ".join(
            f"{name} ({count})" for name, count in gaps.most_common(MOST_COMMON_GAPS)))
    return lines


def resolve_formulary(kb: KnowledgeBase, text: str, is_csv: bool) -> list[dict[str, str]]:
    """Every line of a formulary, identified against `kb`."""
    return [result_row(entry, identify(kb, entry.medication)) for entry in read_formulary(text, is_csv)]


def write_results(results: list[dict[str, str]], output: pathlib.Path | None) -> None:
    """CSV (or JSON for a `.json` output) to the file, or CSV to standard output."""
    if output is not None and output.suffix.lower() == ".json":
        output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    columns = list(dict.fromkeys(column for row in results for column in row)) or list(RESULT_COLUMNS)
    handle = output.open("w", encoding="utf-8", newline="") if output is not None else sys.stdout
    try:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(results)
    finally:
        if output is not None:
            handle.close()


def resolve_command(
    formulary: Annotated[pathlib.Path, typer.Argument(help="CSV with a 'name' (and optional 'rxcui') column, or "
                                                             "text with one name a line.")],
    output: Annotated[
        Optional[pathlib.Path],  # noqa: UP045 -- typer needs Optional[...] to see the type at runtime
        typer.Option("--output", "-o", help="Write CSV, or JSON for a .json name [default: CSV on stdout]."),
    ] = None,
    kb_path: Annotated[
        Optional[pathlib.Path],  # noqa: UP045
        typer.Option("--kb", help="A knowledge-base directory (default: DOSECHECK_KB_PATH, else built-in)."),
    ] = None,
) -> None:
    """Map a formulary onto the knowledge base: what each line resolves to, or why it would not be checked.

    Exit 0 when every line resolved, 1 when some did not (the summary names the gaps), 2 when the
    file cannot be read.
    """
    try:
        text = formulary.read_text(encoding="utf-8")
        results = resolve_formulary(load_knowledge_base(kb_path, cache_dir()), text, formulary.suffix.lower() == ".csv")
    except (OSError, UnicodeDecodeError, FormularyError, csv.Error, KnowledgeBaseError) as err:
        typer.echo(f"dosecheck: cannot read {formulary}: {err}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None
    write_results(results, output)
    for line in summary(results):
        typer.echo(line, err=True)
    if any(r["status"] != "recognised" for r in results):
        raise typer.Exit(ExitCode.NOT_ALL_CHECKED)
