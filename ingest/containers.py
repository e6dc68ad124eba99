"""One-note-per-row CSV exports (MTSamples-style): each row its own document.

A CSV with a known note column is a *container*, never a document itself: each
row's note is written to the spool as a UTF-8 text file and registered like any
dropped file (its own hash, so rows already received are skipped on a re-run and
the same note twice is a duplicate). The CSV itself is kept once, unchanged, under
`<archive>/containers/<sha256 prefix>-<name>`. A row whose note is empty becomes no
document: it is reported (`skipped_rows`) with its row number, so the batch report
lists it and nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from chartdrop.models import DocumentStatus
from chartdrop.settings import Settings

from . import queue
from .files import _fsync_dir, _safe_name, copy_file, move_file, sha256_file, spool_destination
from .legacy import note_rows
from .sniff import sniff
from .types import DocumentKind, UnreadableDocument


@dataclass
class ContainerReport:
    registrations: dict[int, queue.Registration] = field(default_factory=dict)  # row →
    already: dict[int, int] = field(default_factory=dict)  # row → document received before
    unfinished: set[int] = field(default_factory=set)  # of those, still queued/processing
    skipped_rows: dict[int, str] = field(default_factory=dict)  # row → why no document
    archived: Path | None = None


def sniffed_kind(path: Path, settings: Settings) -> DocumentKind | None:
    """The file's kind (CSV: a note-per-row container), or None when it cannot be told:
    the file is then registered as one document and its reader fails it with the reason.
    The kind is recorded with the document, so the worker does not sniff it again."""
    try:
        return sniff(path, settings)
    except UnreadableDocument:
        return None


def row_name(csv_name: str, row: int) -> str:
    stem = csv_name.rsplit(".", 1)[0] if "." in csv_name else csv_name
    return f"{stem}-row{row:05d}.txt"


def register_container(
    factory: sessionmaker[Session], settings: Settings, path: Path, *, keep_source: bool
) -> ContainerReport:
    """Spool and register each row's note, then archive the CSV once (copied when
    `keep_source`, else moved). Raises UnreadableDocument if the CSV cannot be read;
    the file is then left where it is."""
    report = ContainerReport()
    spool = queue.spool_dir(settings)
    rows = list(note_rows(path))  # read it all first: a broken file registers nothing
    for number, note in rows:
        if not note:
            report.skipped_rows[number] = f"row {number}: the note column is empty"
            continue
        data = (note + "\n").encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        existing = queue.find_original(factory, digest)
        if existing is not None:  # an earlier run (or an identical note) has it
            report.already[number] = existing.id
            if existing.status in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING):
                report.unfinished.add(existing.id)
            continue
        name = row_name(path.name, number)
        spooled = _write_durably(spool_destination(spool, name), data)
        report.registrations[number] = queue.record_spooled(
            factory, settings, spooled, name, digest, len(data)
        )
    sha256, _ = sha256_file(path)
    target = settings.archive_dir / "containers" / f"{sha256[:12]}-{_safe_name(path.name)}"
    if keep_source and target.exists():
        report.archived = target  # kept by an earlier run
    else:  # a second drop of the same CSV lands beside the first (never overwritten)
        report.archived = (copy_file if keep_source else move_file)(path, target)
    return report


def _write_durably(destination: Path, data: bytes) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(partial, destination)
    _fsync_dir(destination.parent)
    return destination
