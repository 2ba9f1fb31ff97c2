"""The audit's summary report, in Markdown or HTML, for a pharmacy quality team."""

from __future__ import annotations

import functools
import html
import pathlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final, NamedTuple

from dosecheck.v1 import dosecheck_pb2 as pb
from service.audit.charts import Crosstab, stacked_bars
from service.audit.summary import AuditSummary, DecisionNeedingAction, NotChecked

if TYPE_CHECKING:  # the runner's chunks make the decisions CSV's lines, with this module's labels
    from service.audit.runner import AuditRun

__all__ = ["action_label", "enum_label", "not_checked_text", "render_html", "render_markdown", "write_report"]

TOP_PAIRS = 20
TOP_UNRECOGNIZED = 50
TOP_AGENTS = 20
"""Regimen drugs with a bar of their own; unrecognised names in the regimen are each a drug, so there may be many."""
LISTED = 50

_SEVERITIES: Final = tuple(reversed(pb.Severity.keys()))
"""Most severe first."""
_ACTIONS: Final = tuple(pb.Action.keys())
"""Least restrictive first."""
# Colours by label: severity from blue to dark red, actions from green (the order stands) to dark red (stop).
_SEVERITY_COLORS: Final = {
    "contraindicated": "#67000d", "major": "#d7301f", "moderate": "#fc8d59", "minor": "#fdcc8a",
    "info": "#9ecae1", "unspecified": "#bdbdbd",
}
_ACTION_COLORS: Final = {
    "not checked": "#bdbdbd", "continue": "#74c476", "monitor": "#6baed6", "adjust dose": "#fd8d3c",
    "hold": "#9e9ac8", "avoid combination": "#d7301f", "discontinue": "#67000d",
}


class _Table(NamedTuple):
    """A section: its heading, column titles and rows (an empty table is said in words)."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[object]]
    chart: Callable[[], str] | None = None
    """Draws the table's numbers as an SVG chart, for the HTML report."""
    note: str = ""
    """How to read the table, under its heading."""


# A few dozen names, each met thousands of times: the decisions CSV of 10,000 of the benchmark's rows called it
# 184,465 times, and cached wrote it in 1.31 s instead of 1.43 s (best of 3 alternating runs). Bounded: the output
# read back may come from another version's server.
@functools.lru_cache(maxsize=512)
def enum_label(enum_value: str, prefix: str) -> str:
    """An enum value of the contract's JSON as a reader sees it: `ACTION_ADJUST_DOSE` -> "adjust dose".

    Args:
        enum_value: The value's name.
        prefix: Its enum's prefix (`ACTION_`).

    Returns:
        The label, its acronyms spelt as pharmacists write them (`MECHANISM_QTC_THRESHOLD` -> "QTc threshold").
    """
    return " ".join(_ACRONYMS.get(word, word) for word in enum_value.removeprefix(prefix).lower().split("_"))


_ACRONYMS: Final = {"cyp3a4": "CYP3A4", "pgp": "P-gp", "qt": "QT", "qtc": "QTc", "ecg": "ECG"}


def action_label(action: str) -> str:
    """An action of the contract's JSON as a reader sees it; a decision without one was "not checked".

    Args:
        action: The action's name (`ACTION_ADJUST_DOSE`).

    Returns:
        The label ("adjust dose").
    """
    return "not checked" if action == "ACTION_UNSPECIFIED" else enum_label(action, "ACTION_")


def not_checked_text(items: Iterable[NotChecked]) -> str:
    """The medications a check could not consider, in one cell: "posaconazol (unknown; did you mean posaconazole?)".

    Args:
        items: A row's medications not checked.

    Returns:
        Each with its reason and the closest known names, "; " between them; for an incomplete row
        whose answer names none, says so.
    """
    # A name listed twice in one regimen is said once.
    return "; ".join(dict.fromkeys(not_checked_phrase(*item) for item in items)) or "(the answer names none)"


def not_checked_phrase(name: str, reason: str, suggestions: Sequence[str]) -> str:
    """One medication not checked, as people read it: "posaconazol (unknown; did you mean posaconazole?)".

    Args:
        name: As written.
        reason: The contract's name of its reason (`UNRECOGNIZED_REASON_UNKNOWN`).
        suggestions: The closest known names.
    """
    said = enum_label(reason, "UNRECOGNIZED_REASON_")
    if suggestions:
        *first, last = suggestions
        said += f"; did you mean {', '.join(first)} or {last}?" if first else f"; did you mean {last}?"
    return f"{name or '(blank)'} ({said})"


def _findings_by_mechanism(summary: AuditSummary) -> Crosstab:
    """Findings by mechanism (most first) and severity (most severe first), as the report tables and charts them.

    Args:
        summary: The audit's totals.

    Returns:
        The labelled counts.
    """
    return _crosstab(summary.findings_by_mechanism_and_severity, lambda name: enum_label(name, "MECHANISM_"),
                     _SEVERITIES, lambda name: enum_label(name, "SEVERITY_"))


def _decisions_by_agent(summary: AuditSummary) -> Crosstab:
    """Decisions by regimen drug (most first, the top `TOP_AGENTS`, then the others together) and action.

    Actions go from the least restrictive; an unrecognised regimen drug's decision has none ("not checked").

    Args:
        summary: The audit's totals.

    Returns:
        The labelled counts.
    """
    return _crosstab(summary.decisions, str, _ACTIONS, action_label, top=TOP_AGENTS)


def _crosstab(counts: Counter[tuple[str, str]], row_label: Callable[[str], str], column_order: Sequence[str],
              column_label: Callable[[str], str], top: int | None = None) -> Crosstab:
    per_row: Counter[str] = Counter()
    for (row, _), count in counts.items():
        per_row[row] += count
    rows = [row for row, _ in _by_count(per_row.items())]
    rank = {name: i for i, name in enumerate(column_order)}
    columns = sorted({column for _, column in counts}, key=lambda name: (rank.get(name, len(rank)), name))
    labels = [row_label(row) for row in rows]
    table = [[counts[(row, column)] for column in columns] for row in rows]
    if top is not None and len(rows) > top:
        rest = table[top:]
        labels[top:] = [f"({len(rest):,} others)"]
        table[top:] = [[sum(column) for column in zip(*rest, strict=True)]]
    return Crosstab(tuple(labels), tuple(map(column_label, columns)), tuple(map(tuple, table)))


def _charted(title: str, heading: str, table: Crosstab, *, chart_id: str, value_label: str, horizontal: bool,
             colors: dict[str, str], note: str = "") -> _Table:
    """A table of counts by two keys, with its stacked bar chart for the HTML report."""
    rows: list[Sequence[object]] = [
        (row, *counts, total) for row, counts, total in zip(table.rows, table.counts, table.totals(), strict=True)
    ]

    def chart() -> str:
        return stacked_bars(table, chart_id=chart_id, title=title, value_label=value_label, horizontal=horizontal,
                            colors=colors)

    return _Table(title, (heading, *table.columns, "Total"), rows, chart, note)


def _sections(run: AuditRun, decisions_path: pathlib.Path | None) -> tuple[list[tuple[str, str]], list[_Table]]:
    """The key figures and the tables of a report, independent of its format."""
    summary = run.summary
    checked = summary.rows - summary.errors
    facts = [
        ("Input", str(run.input_path)),
        ("Results", str(run.output_path)),
        ("Rows", f"{summary.rows:,}"),
        *([("CSV medication rows read", f"{run.csv_rows:,} (a result line per regimen, at its first row's line; "
            "blank rows not counted)")] if run.csv_rows else []),
        ("Rows checked", f"{checked:,}"),
        ("Rows with errors (not checked)", f"{summary.errors:,}"),
        ("Rows with unrecognised names (check incomplete)", f"{summary.incomplete:,}"),
        ("Rows needing action (a dose change, a drug to avoid, a major finding to monitor, or a medication not "
         "checked)",
         f"{summary.action_rows:,}"),
        ("Rows needing a dose change or a drug avoided", f"{summary.dose_change_rows:,}"),
        ("Decisions needing action (every decision of an incomplete row among them)",
         f"{summary.decisions_needing_action:,}"),
        ("Decisions changing a dose or naming a drug to avoid", f"{summary.dose_changes.total():,}"),
    ]
    if decisions_path is not None:
        facts.append(("Decisions needing action, one per line (CSV)", str(decisions_path)))
    if run.resumed_rows:
        facts.append(("Rows kept from an earlier run (--resume)", f"{run.resumed_rows:,}"))
    for kb in run.knowledge_bases:
        facts.append((f"Knowledge base ({kb.target})", f"{kb.version} ({kb.content_hash})"))
    versions = sorted(summary.kb_versions)
    if len(versions) > 1:
        facts.append(("Knowledge-base versions seen in answers", ", ".join(versions)))

    tables: list[_Table] = [
        _Table(
            "Rows by highest severity",
            ("Highest severity", "Rows"),
            [
                (enum_label(k, "SEVERITY_") if k != "SEVERITY_UNSPECIFIED" else "no finding", v)
                for k, v in _by_count(summary.rows_by_severity.items())
            ],
        ),
        _Table(
            "Findings by severity",
            ("Severity", "Findings"),
            [(enum_label(k, "SEVERITY_"), v) for k, v in _by_count(summary.findings_by_severity.items())],
        ),
        _charted(
            "Findings by mechanism and severity",
            "Mechanism",
            _findings_by_mechanism(summary),
            chart_id="findings",
            value_label="findings",
            horizontal=True,
            colors=_SEVERITY_COLORS,
        ),
        _Table(
            f"Most frequent interacting pairs (top {TOP_PAIRS})",
            ("Drug", "With", "Findings"),
            [
                (obj, other, count)
                for (obj, other), count in (summary.pairs + Counter({
                    (obj, f"({enum_label(mechanism, 'MECHANISM_')})"): count
                    for (obj, mechanism), count in summary.own_findings.items()
                })).most_common(TOP_PAIRS)
            ],
            note="Findings of the agents' rules; in brackets, those with no other drug (a QTc, the patient's "
                 "values, a dose above the label) by mechanism. A regimen rule's findings are not pairs: they "
                 "are counted under Regimen-wide findings.",
        ),
        _Table(
            "Regimen-wide findings",
            ("Rule", "Findings"),
            [(rule, count) for rule, count in _by_count(summary.regimen_findings.items())],
            note="A regimen rule (a therapeutic duplication, the QT burden) concerns the drugs of a regimen "
                 "together, not the drug its finding names first.",
        ),
        _charted(
            "Decisions by agent and action",
            "Agent",
            _decisions_by_agent(summary),
            chart_id="decisions",
            value_label="decisions",
            horizontal=False,
            colors=_ACTION_COLORS,
            note="A dose that stands while another drug is to be avoided counts under avoid combination.",
        ),
        _Table(
            f"Regimens needing action ({_first(LISTED, summary.action_rows)})",
            ("Line", "Request", "Decisions needing action", "Not checked"),
            [
                (regimen.line, regimen.request_id, "; ".join(map(_decision, regimen.decisions)),
                 not_checked_text(regimen.not_checked) if regimen.not_checked else "")
                for regimen in summary.regimens_needing_action[:LISTED]
            ],
            note="Every decision of a row whose check is incomplete needs action: a pharmacist looks at the "
                 "medication not checked before trusting any decision of that regimen.",
        ),
        _Table(
            f"Rows whose check is incomplete ({_first(LISTED, summary.incomplete)})",
            ("Line", "Request", "Not checked"),
            [(row.line, row.request_id, not_checked_text(row.not_checked))
             for row in summary.incomplete_rows[:LISTED]],
            note=_not_listed(summary.incomplete - LISTED),
        ),
        _Table(
            "Unrecognised names: the site dictionary's gaps "
            f"({_first(TOP_UNRECOGNIZED, len(summary.unrecognized), 'top')})",
            ("Name as written", "Rows", "Closest known names"),
            [
                (name or "(blank)", count, ", ".join(summary.suggestions.get(name, ())))
                for name, count in summary.unrecognized.most_common(TOP_UNRECOGNIZED)
            ],
        ),
        _Table(
            "Errors by field",
            ("Field", "Rows"),
            [(name, count) for name, count in summary.error_fields.most_common()],
        ),
        _Table(
            f"Rows with errors ({_first(LISTED, summary.errors)})",
            ("Line", "Request", "Error"),
            [(e.line, e.request_id, e.message) for e in summary.error_examples[:LISTED]],
        ),
    ]
    return facts, tables


def _by_count(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(items, key=lambda item: (-item[1], item[0]))


def _not_listed(more: int) -> str:
    """What a list of incomplete rows leaves out, and where to find those rows."""
    if more <= 0:
        return ""
    return (f"{more:,} more are not listed: the decisions CSV has a line for every decision of every "
            "incomplete row, with the names not checked in its not_checked column.")


def _mg(value: float) -> str:
    return f"{value:g}"


def _decision(decision: DecisionNeedingAction) -> str:
    """One decision in a cell: "venetoclax 400 → 200 mg (adjust dose), avoid with posaconazole"."""
    # A drug not checked, or a partner ordered without a dose, has no recommended dose: only the order is said.
    recommended, ordered = decision.recommended_dose_mg, decision.ordered_dose_mg
    if recommended is None:
        dose = f"{_mg(ordered)} mg" if ordered else "no dose ordered"
    else:
        dose = f"{_mg(ordered) if ordered else 'no dose ordered'} → {_mg(recommended)} mg"
    text = f"{decision.drug} {dose} ({action_label(decision.action)})"
    return f"{text}, avoid with {', '.join(decision.avoid_with)}" if decision.avoid_with else text


def render_markdown(run: AuditRun, decisions_path: pathlib.Path | None = None) -> str:
    """The report as Markdown: the charts' numbers as tables.

    Args:
        run: The finished audit.
        decisions_path: The decisions CSV, when one was written.

    Returns:
        The Markdown text.
    """
    facts, tables = _sections(run, decisions_path)
    lines = ["# dosecheck audit report", ""]
    lines += [f"- **{name}**: {_md(value)}" for name, value in facts]
    for title, columns, rows, _, note in tables:
        lines += ["", f"## {title}", ""]
        if note:
            lines += [note, ""]
        if not rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    lines += ["", _DISCLAIMER, ""]
    return "\n".join(lines)


def _md(value: object) -> str:
    # Names come from the input: keep them from breaking the table, and markup in them from being run by
    # a viewer that renders HTML inside Markdown.
    return html.escape(str(value), quote=False).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_html(run: AuditRun, decisions_path: pathlib.Path | None = None) -> str:
    """The report as a self-contained HTML page, its charts inline SVG: it opens offline.

    Args:
        run: The finished audit.
        decisions_path: The decisions CSV, when one was written.

    Returns:
        The HTML document.
    """
    facts, tables = _sections(run, decisions_path)
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>dosecheck audit report</title>',
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}"
        "th{background:#f3f3f3}figure{margin:0 0 1em}svg{max-width:100%;height:auto}</style></head><body>",
        "<h1>dosecheck audit report</h1>",
        "<dl>",
    ]
    parts += [f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>" for name, value in facts]
    parts.append("</dl>")
    for title, columns, rows, chart, note in tables:
        parts.append(f"<h2>{esc(title)}</h2>")
        if note:
            parts.append(f"<p>{esc(note)}</p>")
        if not rows:
            parts.append("<p>None.</p>")
            continue
        if chart is not None:
            parts.append(f"<figure>{chart()}</figure>")
        parts.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts += [f"<p><em>{esc(_DISCLAIMER)}</em></p>", "</body></html>", ""]
    return "\n".join(parts)


_DISCLAIMER = (
    "dosecheck supports, and does not replace, a pharmacist's review: every flagged regimen and "
    "every unrecognised name needs a clinician's judgement."
)


def write_report(run: AuditRun, path: pathlib.Path, decisions_path: pathlib.Path | None = None) -> None:
    """Writes the report, as HTML if the path ends in .html or .htm, else as Markdown.

    Args:
        run: The finished audit.
        path: Where to write it.
        decisions_path: The decisions CSV, when one was written: the report names it.
    """
    html_report = path.suffix.lower() in (".html", ".htm")
    text = render_html(run, decisions_path) if html_report else render_markdown(run, decisions_path)
    path.write_text(text, encoding="utf-8")


def _first(shown: int, total: int, word: str = "first") -> str:
    """"first 50 of 1,234", or "all 31" when every one is shown."""
    return f"{word} {shown} of {total:,}" if total > shown else f"all {total:,}"
