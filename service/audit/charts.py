"""Stacked bar charts for the audit's HTML report, drawn by matplotlib as SVG text to embed inline.

A chart is drawn in memory, with no file and nothing fetched when the page opens: the report is
read offline. The SVG is the same for the same counts (a fixed hash salt, no date), its text is
text rather than glyph outlines, and each bar segment carries a `<title>` with its numbers, which
a browser shows on hover.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from typing import Final, NamedTuple

__all__ = ["Crosstab", "stacked_bars"]

# No date, and no creator or format that would add a metadata block: the SVG depends on the counts only.
_METADATA: Final = {"Date": None, "Creator": None, "Format": None, "Type": None}
_BAR_INCHES: Final = 0.3
"""Room per bar (its height in a horizontal chart, its width in a vertical one)."""


class Crosstab(NamedTuple):
    """Counts by two labelled keys: one bar per row, one segment per column, in the orders given."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    """counts[i][j]: row i, column j."""

    def totals(self) -> tuple[int, ...]:
        """Each row's sum: its bar's length."""
        return tuple(map(sum, self.counts))


def stacked_bars(
    table: Crosstab,
    *,
    chart_id: str,
    title: str,
    value_label: str,
    horizontal: bool,
    colors: Mapping[str, str],
) -> str:
    """Draws one stacked bar chart as an `<svg>` element to embed in HTML.

    Args:
        table: The counts; a table without rows gives an empty chart.
        chart_id: Prefixes every id of the SVG, so that several charts on one page keep theirs apart.
        title: What the chart shows, also its accessible name.
        value_label: The axis of the counts ("findings").
        horizontal: Bars along the x axis, first row at the top; else upright bars, left to right.
        colors: A colour per column label; a column without one gets matplotlib's next colour.

    Returns:
        The `<svg ...>...</svg>` text, without XML prolog or doctype.
    """
    # Imported here: it takes most of a second to import, which every `dosecheck` command would pay.
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    bars = len(table.rows)
    titles: dict[str, str] = {}
    with rc_context({
        "svg.hashsalt": "dosecheck-audit",  # clip-path and marker ids from a fixed salt, not a random one
        "svg.fonttype": "none",  # <text>, not glyph outlines: smaller, and searchable in the page
        "font.size": 9.0,
        "text.parse_math": False,  # labels come from the input: "$" is a dollar sign, not TeX
    }):
        width, height = (8.0, 1.2 + _BAR_INCHES * bars) if horizontal else (1.5 + 2 * _BAR_INCHES * bars, 4.5)
        figure = Figure(figsize=(max(width, 5.0), height), layout="constrained")
        axes = figure.add_subplot()
        axes.set_title(title, loc="left")
        positions = range(bars)
        base = [0] * bars
        for j, column in enumerate(table.columns):
            counts = [row[j] for row in table.counts]
            if horizontal:
                drawn = axes.barh(positions, counts, left=base, label=column, color=colors.get(column))
            else:
                drawn = axes.bar(positions, counts, bottom=base, label=column, color=colors.get(column))
            for i, (patch, count) in enumerate(zip(drawn.patches, counts, strict=True)):
                if count:
                    gid = f"bar-{i}-{j}"
                    patch.set_gid(gid)
                    titles[gid] = f"{table.rows[i]}, {column}: {count:,}"
            base = [b + c for b, c in zip(base, counts, strict=True)]
        for i, total in enumerate(table.totals()):
            if horizontal:
                axes.annotate(f"{total:,}", (total, i), xytext=(3, 0), textcoords="offset points", va="center")
            else:
                axes.annotate(f"{total:,}", (i, total), xytext=(0, 3), textcoords="offset points", ha="center")
        if horizontal:
            axes.set_yticks(positions, table.rows)
            axes.invert_yaxis()
            axes.set_xlabel(value_label)
            axes.margins(x=0.08)
        else:
            axes.set_xticks(positions, table.rows, rotation=30, ha="right")
            axes.set_ylabel(value_label)
            axes.margins(y=0.1)
        axes.spines[["top", "right"]].set_visible(False)
        if table.columns:
            figure.legend(loc="outside lower center", ncols=min(len(table.columns), 6), frameon=False)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=_METADATA)
    return _embeddable(buffer.getvalue(), chart_id, title, titles)


def _embeddable(svg: str, chart_id: str, title: str, titles: dict[str, str]) -> str:
    """The `<svg>` element alone, its bars titled and its ids prefixed with the chart's."""
    svg = svg[svg.index("<svg") :]  # an XML prolog and doctype are not allowed inside HTML
    for gid, text in titles.items():
        svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(text)}</title>', 1)
    # matplotlib numbers its ids from 1 in every drawing: two charts on one page would share them.
    svg = (
        svg.replace(' id="', f' id="{chart_id}-')
        .replace('url(#', f'url(#{chart_id}-')
        .replace('xlink:href="#', f'xlink:href="#{chart_id}-')
    )
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" ', 1)
