"""The audit's summary report, in Markdown or HTML, for a pharmacy quality team."""

from __future__ import annotations

import html
import pathlib
from collections.abc import Iterable, Sequence

from service.audit.runner import AuditRun

__all__ = ["render_html", "render_markdown", "write_report"]

TOP_PAIRS = 20
TOP_UNRECOGNIZED = 50
LISTED = 50

_Table = tuple[str, Sequence[str], list[Sequence[object]]]
"""A section: its heading, column titles and rows (an empty table is said in words)."""


def _label(enum_value: str, prefix: str) -> str:
    return enum_value.removeprefix(prefix).replace("_", " ").lower()


def _sections(run: AuditRun) -> tuple[list[tuple[str, str]], list[_Table]]:
    """The key figures and the tables of a report, independent of its format."""
    summary = run.summary
    checked = summary.rows - summary.errors
    facts = [
        ("Input", str(run.input_path)),
        ("Results", str(run.output_path)),
        ("Rows", f"{summary.rows:,}"),
        ("Rows checked", f"{checked:,}"),
        ("Rows with errors (not checked)", f"{summary.errors:,}"),
        ("Rows with unrecognised names (check incomplete)", f"{summary.incomplete:,}"),
        ("Rows needing a dose change or a drug avoided", f"{summary.dose_change_rows:,}"),
    ]
    if run.resumed_rows:
        facts.append(("Rows kept from an earlier, interrupted run", f"{run.resumed_rows:,}"))
    for kb in run.knowledge_bases:
        facts.append((f"Knowledge base ({kb.target})", f"{kb.version} ({kb.content_hash})"))
    versions = sorted(summary.kb_versions)
    if len(versions) > 1:
        facts.append(("Knowledge-base versions seen in answers", ", ".join(versions)))

    tables: list[_Table] = [
        (
            "Rows by highest severity",
            ("Highest severity", "Rows"),
            [
                (_label(k, "SEVERITY_") if k != "SEVERITY_UNSPECIFIED" else "no finding", v)
                for k, v in _by_count(summary.rows_by_severity.items())
            ],
        ),
        (
            "Findings by severity",
            ("Severity", "Findings"),
            [(_label(k, "SEVERITY_"), v) for k, v in _by_count(summary.findings_by_severity.items())],
        ),
        (
            "Findings by mechanism",
            ("Mechanism", "Findings"),
            [(_label(k, "MECHANISM_"), v) for k, v in _by_count(summary.findings_by_mechanism.items())],
        ),
        (
            f"Most frequent interacting pairs (top {TOP_PAIRS})",
            ("Drug", "With", "Findings"),
            [
                (obj, precipitant or "(QTc threshold)", count)
                for (obj, precipitant), count in summary.pairs.most_common(TOP_PAIRS)
            ],
        ),
        (
            "Dose changes by drug and action",
            ("Drug", "Action", "Rows"),
            [(drug, _label(action, "ACTION_"), count) for (drug, action), count in summary.dose_changes.most_common()],
        ),
        (
            f"Regimens needing a dose change (first {LISTED})",
            ("Line", "Request", "Drug", "Ordered mg", "Recommended mg", "Action"),
            [
                (
                    c.line,
                    c.request_id,
                    c.drug,
                    _mg(c.ordered_dose_mg),
                    _mg(c.recommended_dose_mg),
                    _label(c.action, "ACTION_"),
                )
                for c in summary.dose_change_examples[:LISTED]
            ],
        ),
        (
            f"Unrecognised names: the site dictionary's gaps (top {TOP_UNRECOGNIZED} of {len(summary.unrecognized):,})",
            ("Name as written", "Rows", "Closest known names"),
            [
                (name or "(blank)", count, ", ".join(summary.suggestions.get(name, ())))
                for name, count in summary.unrecognized.most_common(TOP_UNRECOGNIZED)
            ],
        ),
        (
            "Errors by field",
            ("Field", "Rows"),
            [(name, count) for name, count in summary.error_fields.most_common()],
        ),
        (
            f"Rows with errors (first {LISTED})",
            ("Line", "Request", "Error"),
            [(e.line, e.request_id, e.message) for e in summary.error_examples[:LISTED]],
        ),
    ]
    return facts, tables


def _by_count(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(items, key=lambda item: (-item[1], item[0]))


def _mg(value: float) -> str:
    return f"{value:g}"


def render_markdown(run: AuditRun) -> str:
    """The report as Markdown.

    Args:
        run: The finished audit.

    Returns:
        The Markdown text.
    """
    facts, tables = _sections(run)
    lines = ["# dosecheck audit report", ""]
    lines += [f"- **{name}**: {_md(value)}" for name, value in facts]
    for title, columns, rows in tables:
        lines += ["", f"## {title}", ""]
        if not rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    lines += ["", _DISCLAIMER, ""]
    return "\n".join(lines)


def _md(value: object) -> str:
    # Names come from the input: keep them from breaking the table.
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_html(run: AuditRun) -> str:
    """The report as a self-contained HTML page.

    Args:
        run: The finished audit.

    Returns:
        The HTML document.
    """
    facts, tables = _sections(run)
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>dosecheck audit report</title>',
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}"
        "th{background:#f3f3f3}</style></head><body>",
        "<h1>dosecheck audit report</h1>",
        "<dl>",
    ]
    parts += [f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>" for name, value in facts]
    parts.append("</dl>")
    for title, columns, rows in tables:
        parts.append(f"<h2>{esc(title)}</h2>")
        if not rows:
            parts.append("<p>None.</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts += [f"<p><em>{esc(_DISCLAIMER)}</em></p>", "</body></html>", ""]
    return "\n".join(parts)


_DISCLAIMER = (
    "dosecheck supports, and does not replace, a pharmacist's review: every flagged regimen and "
    "every unrecognised name needs a clinician's judgement."
)


def write_report(run: AuditRun, path: pathlib.Path) -> None:
    """Writes the report, as HTML if the path ends in .html or .htm, else as Markdown.

    Args:
        run: The finished audit.
        path: Where to write it.
    """
    text = render_html(run) if path.suffix.lower() in (".html", ".htm") else render_markdown(run)
    path.write_text(text, encoding="utf-8")
