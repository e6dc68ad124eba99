"""The `chartdrop` command: watch, process, backfill, extract, review, db."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.settings import Settings, SettingsError, load_settings, settings_table

app = typer.Typer(
    help="chartdrop: dictations and scans dropped in a folder become draft chart entries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold patient details
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")
# soft_wrap: never break lines (paths, reasons) when output goes to a pipe or a log.
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        errors.print(f"[red]Configuration error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _open(settings: Settings) -> sessionmaker[Session]:
    from chartdrop.models import DatabaseNotReady, ensure_migrated, make_engine, session_factory

    engine = make_engine(settings.sqlalchemy_url)
    try:
        ensure_migrated(engine)
    except DatabaseNotReady as exc:
        errors.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from exc
    return session_factory(engine)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # Libraries' chatter may include text; keep them at warnings.
    for noisy in ("faster_whisper", "watchdog", "sqlalchemy", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _view(factory: sessionmaker[Session], document_id: int) -> dict[str, Any]:
    from chartdrop.models import Document
    from chartdrop.models.views import document_view

    with factory() as session:
        document = session.get(Document, document_id)
        assert document is not None
        original = (
            session.get(Document, document.duplicate_of_id) if document.duplicate_of_id else None
        )
        return document_view(document, original)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def _summary(view: dict[str, Any]) -> None:
    doc = view["document"]
    line = f"document {doc['id']} ({doc['kind'] or '?'}) {doc['source']}: {view['status']}"
    if view["draft_id"]:
        line += f", draft {view['draft_id']}"
    if view["error"]:
        line += f" — {view['error']}"
    console.print(line, markup=False, highlight=False)


@app.command()
def watch(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    serve: Annotated[
        bool, typer.Option("--serve", help="Also run the review desk web app.")
    ] = False,
) -> None:
    """Watch the inbox and process every complete file that arrives (Ctrl-C stops
    cleanly, finishing the documents in hand). With --serve, the review desk runs too."""
    from chartdrop.chart_commands import retry_quietly
    from chartdrop.ingest import Watcher
    from chartdrop.ingest.readers import get_transcriber
    from chartdrop.nlp import warm_up

    _logging(verbose)
    settings = _settings()
    factory = _open(settings)
    get_transcriber(settings)  # load models before the first file, not during it
    warm_up()
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        if stopping.is_set():
            os._exit(130)  # a second Ctrl-C: leave now, leases will expire and be retried
        stopping.set()
        errors.print("Stopping: finishing documents in hand (Ctrl-C again to leave now)…")

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    server = None
    if serve:
        from chartdrop.desk_commands import start_web_thread

        server = start_web_thread(settings, factory)
    with Watcher(factory, settings):
        errors.print(
            f"Watching {settings.inbox.resolve()} — data in {settings.data_dir.resolve()}. "
            "Ctrl-C to stop.",
            markup=False,
        )
        # Failed exports are retried in the background of the service too.
        interval = settings.export_retry_seconds
        while not stopping.wait(interval if interval > 0 else None):
            retry_quietly(factory, settings)
    if server is not None:
        server.should_exit = True
    errors.print("Stopped.")


@app.command()
def process(
    files: Annotated[list[Path], typer.Argument(help="Files to run through the pipeline.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per file.")
    ] = False,
) -> None:
    """Run the whole pipeline on FILES now and stage their drafts. The files are
    copied into chartdrop's archive; yours stay where they are."""
    from chartdrop.ingest import process_files

    _logging(False)
    settings = _settings()
    factory = _open(settings)
    report = process_files(factory, settings, files)
    views = [_view(factory, doc_id) for doc_id in report.document_ids.values()]
    if as_json:
        _print_json(views if len(files) != 1 or not views else views[0])
    else:
        for view in views:
            _summary(view)
    for path, reason in report.unreadable.items():
        errors.print(f"{path}: {reason}", markup=False)
    if report.unreadable or any(v["status"] == "failed" for v in views):
        raise typer.Exit(1)


@app.command()
def extract(
    file: Annotated[str, typer.Argument(help="A text file, or - for standard input.")] = "-",
    as_json: Annotated[bool, typer.Option("--json")] = True,
) -> None:
    """Run the clinical NLP alone on text and print what it finds."""
    from chartdrop.nlp import extract as run_extract

    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    result = run_extract(text).to_dict()
    if as_json:
        _print_json(result)
    else:
        console.print(result)


@app.command()
def drafts(
    state: Annotated[str, typer.Option(help="pending, approved or rejected")] = "pending",
) -> None:
    """List drafts (pending ones by default), oldest first."""
    from chartdrop.models import DraftEntry, DraftState
    from chartdrop.models.views import is_charted

    if state not in {s.value for s in DraftState}:
        errors.print(f"Unknown state {state!r}: use pending, approved or rejected.", markup=False)
        raise typer.Exit(2)

    factory = _open(_settings())
    table = Table("draft", "document", "received", "type", "charted", "deficiencies")
    with factory() as session:
        for draft in session.scalars(
            select(DraftEntry).where(DraftEntry.state == state).order_by(DraftEntry.id)
        ):
            doc_type = (draft.document_type or {}).get("value", "")
            table.add_row(
                str(draft.id),
                f"{draft.document.id} ({draft.document.kind})",
                f"{draft.document.received_at:%Y-%m-%d %H:%M}",
                doc_type,
                str(sum(is_charted(p) for p in draft.problems)),
                str(len(draft.deficiencies)),
            )
    console.print(table)


@app.command()
def show(
    draft_id: Annotated[int, typer.Argument(help="Draft id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one draft with its text and extraction."""
    from chartdrop.models import DraftEntry, record_event, transaction
    from chartdrop.models.views import is_charted

    factory = _open(_settings())
    with transaction(factory) as session:
        draft = session.get(DraftEntry, draft_id)
        if draft is None:
            errors.print(f"There is no draft {draft_id}.")
            raise typer.Exit(1)
        document_id = draft.document_id
        record_event(session, _actor(), "viewed", "draft", draft_id)
    view = _view(factory, document_id)
    if as_json:
        _print_json(view)
        return
    _summary(view)
    console.rule("text")
    console.print(view["text"] or "", markup=False, highlight=False)
    console.rule("extraction")
    for name, value in (view["demographics"] or {}).items():
        console.print(f"{name}: {value['value'] if value else '—'}", markup=False)
    for problem in view["problems"] or []:
        codes = ", ".join(c["code"] for c in problem.get("icd10cm", [])[:3])
        left_off = "" if is_charted(problem) else " (not charted)"
        also = ", ".join(c["code"] for c in problem.get("also") or [])
        with_it = f" (charted with {also})" if also else ""
        console.print(
            f"problem: {problem['text']} [{problem['assertion']}] {codes}{with_it}{left_off}",
            markup=False,
        )
    for deficiency in view["deficiencies"]:
        console.print(f"deficiency: {deficiency['message']}", markup=False)


def _actor() -> str:
    return os.environ.get("CHARTDROP_ACTOR") or os.environ.get("USER") or "cli"


@app.command()
def approve(
    draft_id: Annotated[int, typer.Argument(help="Draft id.")],
    patient: Annotated[
        str,
        typer.Option(help="auto (match), new (create a patient), or an existing patient's id."),
    ] = "auto",
) -> None:
    """Approve a pending draft: it becomes a chart entry linked to its patient, and
    is exported to the configured destinations (`chartdrop export --retry` retries)."""
    from chartdrop.chart.export import export_after_approval, queue_on_approval
    from chartdrop.models import transaction
    from chartdrop.models.review import ReviewError, approve_draft

    settings = _settings()
    factory = _open(settings)
    if patient not in ("auto", "new") and not patient.isdigit():
        errors.print("--patient takes auto, new or a patient id.", markup=False)
        raise typer.Exit(2)
    try:
        with transaction(factory) as session:
            draft = approve_draft(
                session,
                draft_id,
                _actor(),
                patient_id=int(patient) if patient.isdigit() else None,
                create_patient=patient == "new",
            )
            patient_id = draft.patient_id
            problem = queue_on_approval(session, settings, draft_id)
    except ReviewError as exc:
        errors.print(str(exc), markup=False)
        raise typer.Exit(1) from exc
    console.print(f"Draft {draft_id} approved (patient {patient_id}).")
    if problem:
        errors.print(f"Not exported: {problem}", markup=False)
    for result in export_after_approval(factory, settings, draft_id, _actor()):
        line = f"export {result.destination}: {result.status}"
        (errors if result.error else console).print(
            line + (f" — {result.error}" if result.error else ""), markup=False
        )


@app.command()
def reject(
    draft_id: Annotated[int, typer.Argument(help="Draft id.")],
    reason: Annotated[str, typer.Option("--reason", help="What the physician must fix.")],
) -> None:
    """Reject a pending draft with a reason for the dictating physician."""
    from chartdrop.models import transaction
    from chartdrop.models.review import ReviewError, reject_draft

    factory = _open(_settings())
    try:
        with transaction(factory) as session:
            reject_draft(session, draft_id, _actor(), reason)
    except ReviewError as exc:
        errors.print(str(exc))
        raise typer.Exit(1) from exc
    console.print(f"Draft {draft_id} rejected.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to this version's schema."""
    from chartdrop.models import upgrade

    settings = _settings()
    upgrade(settings.sqlalchemy_url)
    console.print("Database is up to date.")


@app.command()
def config() -> None:
    """Print every setting with its current value."""
    settings = _settings()
    table = Table("variable", "value", "meaning")
    for variable, _default, meaning in settings_table():
        name = variable.removeprefix("CHARTDROP_").lower()
        value = getattr(settings, name)
        if name in ("database_url", "secret_key") and value:
            value = "(set)"  # may hold a password; signs sessions
        if name == "fhir_base_url" and "@" in str(value):
            value = "(set, with credentials)"
        table.add_row(variable, str(value), meaning)
    console.print(table)


# backfill, the review desk's commands (serve, user, audit) and export live in their own
# modules.
from chartdrop.backfill_command import register as _register_backfill_command  # noqa: E402
from chartdrop.chart_commands import register as _register_chart_commands  # noqa: E402
from chartdrop.desk_commands import register as _register_desk_commands  # noqa: E402

_register_backfill_command(app)
_register_desk_commands(app)
_register_chart_commands(app)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
    app()
