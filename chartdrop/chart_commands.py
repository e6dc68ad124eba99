"""`chartdrop export`: send one entry on request, retry what is stuck, or list it."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.settings import Settings


def _cli() -> Any:
    from chartdrop import cli

    return cli


def export_command(
    draft_id: Annotated[int | None, typer.Argument(help="Draft id to export now.")] = None,
    preliminary: Annotated[
        bool,
        typer.Option(
            "--preliminary",
            help="Export a draft not yet approved (docStatus preliminary, TXA-17 DO).",
        ),
    ] = False,
    retry: Annotated[
        bool, typer.Option("--retry", help="Send every pending and failed export again.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --retry: also those out of attempts.")
    ] = False,
    stuck: Annotated[
        bool, typer.Option("--stuck", help="List pending and failed exports with the reason.")
    ] = False,
) -> None:
    """Export approved entries to the configured destinations (outbox, FHIR, MLLP).
    Exports also run on approval; a sent export is never sent twice. Exits 1 if any
    export failed."""
    from chartdrop.chart.export import ExportError, export, retry_exports, stuck_exports

    cli = _cli()
    settings = cli._settings()
    factory = cli._open(settings)
    if stuck or (draft_id is None and not retry):
        table = Table("export", "draft", "destination", "status", "attempts", "reason")
        with factory() as session:
            for record in stuck_exports(session):
                table.add_row(
                    str(record.id),
                    str(record.draft_id),
                    record.destination,
                    record.status,
                    str(record.attempts),
                    record.last_error or "",
                )
        cli.console.print(table)
        return
    results = []
    try:
        if draft_id is not None:
            results += export(factory, settings, draft_id, cli._actor(), preliminary)
        if retry:
            results += retry_exports(factory, settings, cli._actor(), force=force)
    except ExportError as exc:
        cli.errors.print(str(exc), markup=False)
        raise typer.Exit(1) from exc
    for result in results:
        line = f"draft {result.draft_id} → {result.destination}: {result.status}"
        if result.error:
            line += f" — {result.error}"
        cli.console.print(line, markup=False)
    if not results:
        cli.console.print("Nothing to export.")
    if any(r.error for r in results):
        raise typer.Exit(1)


def retry_quietly(factory: sessionmaker[Session], settings: Settings) -> None:
    """`chartdrop watch`'s periodic retry of pending and failed exports."""
    from chartdrop.chart.export import retry_exports

    try:
        retry_exports(factory, settings, "system")
    except Exception:  # the watcher must go on; the records stay pending/failed
        logging.getLogger("chartdrop.chart").exception("export retry failed")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
