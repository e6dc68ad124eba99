"""`chartdrop backfill DIR [--processes N]`: every file under DIR through the pipeline.

With N processes, each takes one part of the folder (a stable hash of each file's path under
it: `ingest.batch.part_of`) and runs the ordinary, resumable backfill on it against the shared
database, where claims, duplicate checks and leases are safe across processes. One process
uses one core (its NLP runs under one lock and its Python under one interpreter lock), so this
is how a backfill uses more. The children report on stdout, one line at a time: "taken N"
(documents taken to process so far), "done" (one finished), and last "report {json}".
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def _cli() -> Any:
    from chartdrop import cli

    return cli


@dataclass
class BackfillSummary:
    staged: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @classmethod
    def of(cls, report: Any) -> BackfillSummary:  # report: ingest.batch.BatchReport
        names = {doc_id: str(path) for path, doc_id in report.document_ids.items()}
        return cls(
            staged=report.staged,
            skipped=len(report.skipped),
            failed=[
                (names.get(o.document_id, f"document {o.document_id}"), o.error or "")
                for o in report.failed
            ],
            unreadable=[(str(path), reason) for path, reason in report.unreadable.items()],
        )

    def add(self, other: BackfillSummary) -> None:
        self.staged += other.staged
        self.skipped += other.skipped
        self.failed += [(name, reason) for name, reason in other.failed]
        self.unreadable += [(name, reason) for name, reason in other.unreadable]


def backfill_command(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Folder of notes.")
    ],
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            "-p",
            min=1,
            help="Processes sharing the work, one per core to use (each loads its own models).",
        ),
    ] = 1,
    part: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run every file under DIRECTORY through the pipeline (legacy notes). Resumable:
    a re-run skips what is done. Failures are listed; the run goes on."""
    cli = _cli()
    logging.basicConfig(level=logging.WARNING)
    settings = cli._settings()
    factory = cli._open(settings)
    if part is not None:
        _serve_part(factory, settings, directory, part)
        return
    progress = Progress(
        TextColumn("[bold]backfill"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=cli.errors,
    )
    with progress:
        task = progress.add_task("backfill", total=None)
        if processes > 1:
            summary = _run_in_processes(
                directory,
                processes,
                on_taken=lambda n: progress.update(task, total=n),
                on_done=lambda: progress.advance(task),
            )
        else:
            from chartdrop.ingest import backfill

            summary = BackfillSummary.of(
                backfill(
                    factory,
                    settings,
                    directory,
                    on_outcome=lambda _o: progress.advance(task),
                    on_registered=lambda n: progress.update(task, total=n),
                )
            )
    _print(summary)


def _print(summary: BackfillSummary) -> None:
    console = _cli().console
    console.print(
        f"{summary.staged} staged, {len(summary.failed)} failed, {summary.skipped} already "
        f"done, {len(summary.unreadable)} unreadable."
    )
    for name, reason in summary.failed:
        console.print(f"  failed: {name}: {reason}", markup=False)
    for name, reason in summary.unreadable:
        console.print(f"  unreadable: {name}: {reason}", markup=False)
    if summary.failed or summary.unreadable:
        raise typer.Exit(1)


def _serve_part(factory: Any, settings: Any, directory: Path, part: str) -> None:
    from chartdrop.ingest import backfill

    index, _, count = part.partition("/")

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    report = backfill(
        factory,
        settings,
        directory,
        on_outcome=lambda _o: say("done"),
        on_registered=lambda n: say(f"taken {n}"),
        part=(int(index), int(count)),
    )
    say("report " + json.dumps(asdict(BackfillSummary.of(report))))


def _run_in_processes(
    directory: Path, processes: int, on_taken: Any, on_done: Any
) -> BackfillSummary:
    command = [sys.executable, "-c", "from chartdrop.cli import main; main()", "backfill"]
    children = [
        subprocess.Popen(
            [*command, str(directory), "--part", f"{k}/{processes}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(processes)
    ]
    taken = [0] * processes
    reports: list[BackfillSummary | None] = [None] * processes
    lock = threading.Lock()

    def read(k: int, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            kind, _, rest = line.rstrip("\n").partition(" ")
            with lock:
                if kind == "taken":
                    taken[k] = int(rest)
                    on_taken(sum(taken))
                elif kind == "done":
                    on_done()
                elif kind == "report":
                    reports[k] = BackfillSummary(**json.loads(rest))

    readers = [threading.Thread(target=read, args=(k, c)) for k, c in enumerate(children)]
    for reader in readers:
        reader.start()
    for reader, child in zip(readers, children, strict=True):
        reader.join()
        child.wait()
    summary = BackfillSummary()
    for child, report in zip(children, reports, strict=True):
        if report is None:  # it stopped early: what it did is kept, a re-run resumes
            _cli().errors.print(
                f"[red]A backfill process stopped (exit {child.returncode}); "
                "run the backfill again to resume.[/]"
            )
            raise typer.Exit(1)
        summary.add(report)
    return summary


def register(app: typer.Typer) -> None:
    app.command("backfill")(backfill_command)
