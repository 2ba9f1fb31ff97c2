"""`dosecheck feedback report`: override rates by card kind, from the CDS Hooks feedback database."""

from __future__ import annotations

import pathlib
from typing import Annotated, Optional

import pydantic
import typer
from rich.console import Console
from rich.table import Table

from service.cds_hooks.store import Store, default_path
from service.exit_codes import ExitCode
from service.settings import Settings

feedback_app = typer.Typer(help="What clinicians did with the CDS Hooks cards.", no_args_is_help=True)


@feedback_app.command("report")
def report(
    db: Annotated[
        Optional[pathlib.Path],  # noqa: UP045 -- typer needs Optional[...] to see the type at runtime
        typer.Option(help="The feedback database [default: DOSECHECK_HTTP_DB_PATH, else the state directory]."),
    ] = None,
) -> None:
    """Print, per card kind, the cards issued, accepted and overridden, the override rate and the reasons."""
    try:
        path = db or Settings().http_db_path or default_path()
    except pydantic.ValidationError as err:
        typer.echo(f"dosecheck: invalid settings:\n{err}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE) from None
    if not path.is_file():
        typer.echo(f"dosecheck: no feedback database at {path}", err=True)
        raise typer.Exit(ExitCode.UNUSABLE)
    store = Store(path)
    try:
        rows = store.report()
    finally:
        store.close()
    table = Table(title=f"CDS Hooks card outcomes ({path})", title_justify="left")
    for column in ("card kind", "issued", "accepted", "overridden", "override rate", "override reasons"):
        table.add_column(column)
    for row in rows:
        rate = row.override_rate
        table.add_row(row.kind, str(row.issued), str(row.accepted), str(row.overridden),
                      "-" if rate is None else f"{rate:.0%}", "; ".join(f"{r} ({n})" for r, n in row.reasons))
    Console(width=160).print(table)
