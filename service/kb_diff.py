"""`dosecheck kb diff`: what changed between two knowledge bases, as a report a pharmacist reviews, or as JSON."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from interactions import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from interactions.kb_diff import Change, FieldChange, KbDiff, Release, Section, diff
from service.exit_codes import ExitCode
from service.settings import cache_dir

BUILT_IN = "built-in"
HEADINGS: dict[Section, str] = {
    "sources": "Sources",
    "drugs": "Drugs",
    "combinations": "Combination products",
    "regimens": "Regimens by name",
    "classes": "Classes",
    "agents": "Agents: doses and rules",
    "regimen rules": "Regimen rules (duplication, QT burden)",
    "site": "Site (site.toml): order names and overrides",
}
# The files' field names, where a reviewer would not read them as written.
LABELS = {"qt_risk": "QT risk", "dose_mg": "dose mg", "ramp_up": "ramp-up", "reviewed": "reviewed against"}


def diff_command(
    old: Annotated[str, typer.Argument(help="The knowledge base in use: a directory, or built-in.")],
    new: Annotated[str, typer.Argument(help="The knowledge base to review: a directory, or built-in.")],
    output_format: Annotated[str, typer.Option("--format", help="text for people, or json.")] = "text",
) -> None:
    """Show what changed from OLD to NEW: drugs, classes, doses, rules and the site's names and overrides.

    Either may be a site directory whose site.toml extends the built-in knowledge base; `built-in`
    names the embedded one. Exit 0 when they are identical, 1 when they differ, 2 when either cannot
    be loaded.
    """
    if output_format not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    result = diff(_load("OLD", old), _load("NEW", new))
    if output_format == "json":
        typer.echo(json.dumps({"identical": result.identical, **dataclasses.asdict(result)}, indent=2,
                              ensure_ascii=False))
    else:
        print_report(result, Console(highlight=False, soft_wrap=True))
    if not result.identical:
        raise typer.Exit(ExitCode.NOT_ALL_CHECKED)


def _load(side: str, argument: str) -> KnowledgeBase:
    try:
        return load_knowledge_base(None if argument == BUILT_IN else pathlib.Path(argument), cache_dir())
    except KnowledgeBaseError as err:
        typer.echo(f"dosecheck: {side} ({argument}) is not a valid knowledge base ({len(err.problems)} problems):",
                   err=True)
        for problem in err.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None


def print_report(result: KbDiff, console: Console) -> None:
    """The differences by section, each entry with what it says (added, removed) or what changed in it."""
    console.print(f"[bold]old[/bold] {_release(result.old)}")
    console.print(f"[bold]new[/bold] {_release(result.new)}")
    if result.identical:
        console.print("Identical.")
        return
    if not result.changes:
        console.print("The files differ (content hash), but no source, drug, class, dose, rule or site entry does: "
                      "the difference is in the name vocabularies (names.toml), comments or the order of entries.")
        return
    count = len(result.changes)
    console.print("1 entry differs." if count == 1 else f"{count} entries differ.")
    for section, heading in HEADINGS.items():
        changes = [c for c in result.changes if c.section == section]
        if changes:
            console.print(f"\n[bold]{heading}[/bold]")
            for change in changes:
                _print_change(change, console)


def _release(release: Release) -> str:
    site = f" + site {release.site!r}" if release.site else ""
    return escape(f"{release.title} {release.version}{site} ({release.content_hash})")


def _print_change(change: Change, console: Console) -> None:
    summary = f": {change.summary}" if change.summary else ""
    console.print(f"  {change.kind} [bold]{escape(change.subject)}[/bold]{escape(summary)}")
    for field in change.fields:
        console.print(f"      {escape(_label(field.field))}: {escape(_field_text(field))}")


def _label(field: str) -> str:
    return ".".join(LABELS.get(part, part.replace("_", " ")) for part in field.split("."))


def _field_text(field: FieldChange) -> str:
    if field.text_changed:
        return "text changed"
    if field.added or field.removed:
        parts = ([f"added {', '.join(field.added)}"] if field.added else []) + (
            [f"removed {', '.join(field.removed)}"] if field.removed else [])
        return "; ".join(parts)
    return f"{field.old} -> {field.new}"
