"""Running the pipeline to completion on given files: `chartdrop process` (one-shot)
and `backfill` (a folder of legacy notes, resumable)."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from chartdrop.ingest import containers, queue
from chartdrop.ingest.files import sha256_file, walk_files
from chartdrop.ingest.pipeline import Outcome, Worker, recover_spool
from chartdrop.ingest.types import DocumentKind, UnreadableDocument
from chartdrop.models import DocumentStatus
from chartdrop.settings import Settings

# Files a backfill registers before it processes them (see `backfill`).
BACKFILL_CHUNK = 500


@dataclass
class BatchReport:
    document_ids: dict[Path, int] = field(default_factory=dict)  # file → its document
    skipped: dict[Path, int] = field(default_factory=dict)  # done in an earlier run
    unreadable: dict[Path, str] = field(default_factory=dict)  # could not even be read
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.status == DocumentStatus.FAILED]

    @property
    def staged(self) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == DocumentStatus.STAGED)


def drain(
    factory: sessionmaker[Session],
    settings: Settings,
    document_ids: set[int],
    on_outcome: Callable[[Outcome], None] | None = None,
) -> dict[int, Outcome]:
    """Process the given queued documents with `settings.workers` threads; return when
    none of them is left to claim."""
    outcomes: dict[int, Outcome] = {}
    lock = threading.Lock()

    def collect(outcome: Outcome) -> None:
        with lock:
            outcomes[outcome.document_id] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    stop = threading.Event()
    batch = queue.Batch.of(document_ids)
    workers = [
        Worker(factory, settings, stop, on_outcome=collect, only=batch, exit_when_idle=True)
        for _ in range(max(1, settings.workers))
    ]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            while worker.is_alive():
                worker.join(0.2)
    except KeyboardInterrupt:
        stop.set()  # workers finish the document in hand, then stop
        for worker in workers:
            worker.join()
        raise
    return outcomes


def _register_rows(
    factory: sessionmaker[Session], settings: Settings, path: Path, report: BatchReport
) -> set[int]:
    """A note-per-row CSV: each row becomes its own document, reported as
    `<file>#rowNNNNN`; an empty note is listed as unreadable with its row number.
    Returns the documents to process: the new rows', and those of rows received before
    that are still queued (an interrupted run)."""
    try:
        rows = containers.register_container(factory, settings, path, keep_source=True)
    except (UnreadableDocument, OSError) as exc:
        report.unreadable[path] = getattr(exc, "reason", None) or "cannot read the file"
        return set()
    for number, registration in rows.registrations.items():
        report.document_ids[_row_path(path, number)] = registration.document_id
    for number, document_id in rows.already.items():
        report.skipped[_row_path(path, number)] = document_id
    for number, reason in rows.skipped_rows.items():
        report.unreadable[_row_path(path, number)] = reason
    return {r.document_id for r in rows.registrations.values()} | rows.unfinished


def _cannot_read(exc: OSError) -> str:
    return f"cannot read the file ({exc.strerror or type(exc).__name__})"


def _row_path(path: Path, row: int) -> Path:
    return path.with_name(f"{path.name}#row{row:05d}")


def process_files(
    factory: sessionmaker[Session],
    settings: Settings,
    paths: Iterable[Path],
    on_outcome: Callable[[Outcome], None] | None = None,
) -> BatchReport:
    """Copy each file into the queue (the caller's file stays where it is) and run
    the whole pipeline on it now."""
    recover_spool(factory, settings)
    report = BatchReport()
    for path in paths:
        kind = containers.sniffed_kind(path, settings)
        if kind is DocumentKind.CSV:
            _register_rows(factory, settings, path, report)
            continue
        try:
            registration = queue.register(factory, settings, path, keep_source=True, kind=kind)
        except OSError as exc:
            report.unreadable[path] = _cannot_read(exc)
            continue
        if registration is None:
            report.unreadable[path] = "the file does not exist"
            continue
        report.document_ids[path] = registration.document_id
    queued = set(report.document_ids.values())
    report.outcomes = drain(factory, settings, queued, on_outcome)
    return report


def backfill(
    factory: sessionmaker[Session],
    settings: Settings,
    directory: Path,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_registered: Callable[[int], None] | None = None,
    part: tuple[int, int] | None = None,
) -> BatchReport:
    """Every file under `directory` through the pipeline (with `part` (k, n), only the files
    whose `part_of` is k: one of n processes sharing the folder). Resumable: content already
    received (staged, failed, or queued by an interrupted run) is not taken again;
    queued leftovers of an earlier run are processed now.

    Files are registered and processed BACKFILL_CHUNK at a time, so drafts reach the review
    queue from the first minute of a backfill of millions (rather than after every file is
    registered), and an interruption leaves each earlier chunk finished. `on_registered`
    gets the running count of documents taken to process, once per chunk."""
    recover_spool(factory, settings)
    report = BatchReport()
    chunk: set[int] = set()
    taken = 0

    def run_chunk() -> None:
        nonlocal taken
        taken += len(chunk)
        if on_registered is not None:
            on_registered(taken)
        report.outcomes.update(drain(factory, settings, chunk, on_outcome))
        chunk.clear()

    for path in walk_files(directory):
        if part is not None and part_of(path, directory, part[1]) != part[0]:
            continue
        chunk |= _take(factory, settings, path, report)
        if len(chunk) >= BACKFILL_CHUNK:
            run_chunk()
    run_chunk()
    return report


def part_of(path: Path, directory: Path, parts: int) -> int:
    """Which of `parts` processes takes the file: the same on every run (CRC-32 of its path
    under the folder), so that re-runs with as many processes split it alike."""
    return zlib.crc32(path.relative_to(directory).as_posix().encode("utf-8")) % parts


def _take(
    factory: sessionmaker[Session], settings: Settings, path: Path, report: BatchReport
) -> set[int]:
    """Register one file of a backfill (or each row of a note-per-row CSV); the documents
    to process: new ones, and ones an interrupted run left queued."""
    kind = containers.sniffed_kind(path, settings)
    if kind is DocumentKind.CSV:
        return _register_rows(factory, settings, path, report)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        report.unreadable[path] = _cannot_read(exc)
        return set()
    existing = queue.find_original(factory, digest[0])
    if existing is not None:
        report.skipped[path] = existing.id
        unfinished = existing.status in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING)
        return {existing.id} if unfinished else set()
    registration = queue.register(
        factory, settings, path, keep_source=True, digest=digest, kind=kind
    )
    if registration is None:
        return set()
    report.document_ids[path] = registration.document_id
    return {registration.document_id}
