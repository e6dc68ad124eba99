"""The database as the durable work queue: register, claim (with a lease), renew,
release, and the sweep that fails documents whose workers kept dying."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.ingest.files import (
    archive_destination,
    copy_file,
    move_file,
    sha256_file,
    spool_destination,
)
from chartdrop.ingest.types import DocumentKind
from chartdrop.models import Document, DocumentStatus, record_event, transaction
from chartdrop.settings import Settings

log = logging.getLogger("chartdrop.ingest")


def now_utc() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


@dataclass(frozen=True, slots=True)
class Registration:
    document_id: int
    sha256: str
    status: str  # queued or duplicate
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    document_id: int
    sha256: str
    original_name: str
    spool_path: Path
    received_at: datetime
    attempts: int
    owner: str
    kind: DocumentKind | None = None  # as sniffed when registered; None: sniff it now


def spool_dir(settings: Settings) -> Path:
    return settings.data_dir / "spool"


def find_original(factory: sessionmaker[Session], sha256: str) -> Document | None:
    with factory() as session:
        return session.scalar(
            select(Document).where(Document.sha256 == sha256, Document.duplicate_of_id.is_(None))
        )


def register(
    factory: sessionmaker[Session],
    settings: Settings,
    path: Path,
    *,
    keep_source: bool = False,
    digest: tuple[str, int] | None = None,
    kind: DocumentKind | None = None,
) -> Registration | None:
    """Take one complete file into the queue. The file is moved (inbox) or copied
    (`process`, `backfill`) into the spool first, then its row is committed; a crash
    between the two leaves a spool file that `recover_spool` registers on start.
    Returns None if the file vanished first (another watcher took it)."""
    try:
        sha256, size = digest or sha256_file(path)
        destination = spool_destination(spool_dir(settings), path.name)
        spooled = copy_file(path, destination) if keep_source else move_file(path, destination)
    except FileNotFoundError:
        return None
    return record_spooled(factory, settings, spooled, path.name, sha256, size, kind)


def record_spooled(
    factory: sessionmaker[Session],
    settings: Settings,
    spooled: Path,
    name: str,
    sha256: str,
    size: int,
    kind: DocumentKind | None = None,
) -> Registration:
    """Commit the row for a file already in the spool (queued, or a duplicate)."""
    try:
        with transaction(factory) as session:
            document = Document(
                original_name=name,
                sha256=sha256,
                size_bytes=size,
                kind=kind.value if kind else None,
                status=DocumentStatus.QUEUED,
                spool_path=str(spooled),
                stored_path=str(spooled),
            )
            session.add(document)
            session.flush()
            record_event(session, "system", "received", "document", document.id)
        log.info("document %s received (sha256 %s, %d bytes)", document.id, sha256[:12], size)
        return Registration(document.id, sha256, DocumentStatus.QUEUED)
    except IntegrityError:
        pass  # the same content was received before: record it as a duplicate
    with transaction(factory) as session:
        original_id = session.scalar(
            select(Document.id).where(Document.sha256 == sha256, Document.duplicate_of_id.is_(None))
        )
        document = Document(
            original_name=name,
            sha256=sha256,
            size_bytes=size,
            status=DocumentStatus.DUPLICATE,
            error=f"Same content as document {original_id}; not staged again.",
            duplicate_of_id=original_id,
            spool_path=str(spooled),
            stored_path=str(spooled),
            processed_at=now_utc(),
        )
        session.add(document)
        session.flush()
        # Kept like every original: in the archive, beside the first copy's day.
        destination = archive_destination(
            settings.archive_dir, now_utc(), document.id, sha256, name
        )
        document.stored_path = str(destination)
        record_event(session, "system", "duplicate", "document", document.id, {"of": original_id})
    move_file(spooled, destination)
    log.info("document %s is a duplicate of %s (sha256 %s)", document.id, original_id, sha256[:12])
    return Registration(document.id, sha256, DocumentStatus.DUPLICATE, original_id)


def _expired(now: datetime) -> ColumnElement[bool]:
    """Taken by a worker whose lease ran out (it stopped or crashed)."""
    return and_(Document.status == DocumentStatus.PROCESSING, Document.lease_expires_at < now)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(Document.status == DocumentStatus.QUEUED, _expired(now))


def _oldest_claimable(
    session: Session, settings: Settings, now: datetime, only: Batch | None
) -> int | None:
    """The oldest claimable document's id. Queued and lease-expired documents are looked up
    apart, each walking the (status, id) index from its first row: one query with their OR
    made the database gather and sort the whole backlog on every claim (36 ms a claim with
    100,000 queued, and growing with the backlog)."""
    found = [
        first
        for condition in (Document.status == DocumentStatus.QUEUED, _expired(now))
        if (first := _first_id(session, settings, condition, only)) is not None
    ]
    return min(found, default=None)


def _first_id(
    session: Session, settings: Settings, condition: ColumnElement[bool], only: Batch | None
) -> int | None:
    query = (
        select(Document.id)
        .where(condition, Document.attempts < settings.max_attempts)
        .order_by(Document.id)
    )
    if only is None:
        return session.scalar(query.limit(1))
    after = only.low - 1
    while True:
        ids = session.scalars(
            query.where(Document.id > after, Document.id <= only.high).limit(_SCAN)
        ).all()
        for document_id in ids:
            if document_id in only.ids:
                return document_id
        if len(ids) < _SCAN:
            return None
        after = ids[-1]


@dataclass(frozen=True)
class Batch:
    """The documents a batch run waits for (`chartdrop backfill`, `process`): their ids and
    the range they lie in. A claim looks inside the range and skips the few other documents
    there (the watcher's), rather than send every id with every claim: that cost O(batch)
    a claim, 0.38 s with 100,000 documents, and more ids than PostgreSQL takes at once."""

    ids: frozenset[int]
    low: int
    high: int

    @classmethod
    def of(cls, ids: Iterable[int]) -> Batch:
        chosen = frozenset(ids)
        return cls(chosen, min(chosen, default=0), max(chosen, default=-1))


_SCAN = 64  # rows looked at per query when a batch's range holds other documents


def claim(
    factory: sessionmaker[Session], settings: Settings, owner: str, only: Batch | None = None
) -> Claim | None:
    """Atomically take the oldest claimable document. The conditional UPDATE is the
    lock: of two workers racing for one row, exactly one sees rowcount 1."""
    while True:
        now = now_utc()
        with transaction(factory) as session:
            candidate = _oldest_claimable(session, settings, now, only)
            if candidate is None:
                return None
            taken = session.execute(
                update(Document)
                .where(Document.id == candidate, _claimable(now))
                .values(
                    status=DocumentStatus.PROCESSING,
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=settings.lease_seconds),
                    attempts=Document.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                continue  # another worker won this one; try the next
            document = session.get(Document, candidate, populate_existing=True)
            assert document is not None
            return Claim(
                document.id,
                document.sha256,
                document.original_name,
                Path(document.spool_path),
                document.received_at,
                document.attempts,
                owner,
                _known_kind(document.kind),
            )


def _known_kind(value: str | None) -> DocumentKind | None:
    try:
        return DocumentKind(value) if value else None
    except ValueError:  # a kind this version does not know: sniff the file again
        return None


def renew(factory: sessionmaker[Session], claim_: Claim, lease_seconds: float) -> bool:
    """Extend the lease; False if it was lost (expired and taken by another worker)."""
    with transaction(factory) as session:
        result = session.execute(
            update(Document)
            .where(
                Document.id == claim_.document_id,
                Document.lease_owner == claim_.owner,
                Document.status == DocumentStatus.PROCESSING,
            )
            .values(lease_expires_at=now_utc() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def release(factory: sessionmaker[Session], claim_: Claim) -> None:
    """Give a claimed document back to the queue (clean shutdown); the attempt is not
    counted against it."""
    with transaction(factory) as session:
        session.execute(
            update(Document)
            .where(Document.id == claim_.document_id, Document.lease_owner == claim_.owner)
            .values(
                status=DocumentStatus.QUEUED,
                lease_owner=None,
                lease_expires_at=None,
                attempts=Document.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )


def exhausted(factory: sessionmaker[Session], settings: Settings) -> list[int]:
    """Documents whose lease expired on their last allowed attempt."""
    now = now_utc()
    with factory() as session:
        return list(
            session.scalars(
                select(Document.id).where(_expired(now), Document.attempts >= settings.max_attempts)
            )
        )


class LeaseKeeper:
    """Renews a claim's lease in the background while a long document is processed."""

    def __init__(self, factory: sessionmaker[Session], claim_: Claim, lease_seconds: float):
        self._factory, self._claim, self._lease = factory, claim_, lease_seconds
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._lease / 3):
            try:
                if not renew(self._factory, self._claim, self._lease):
                    self.lost = True
                    return
            except Exception:  # a database hiccup: try again next round
                log.warning("document %s: lease renewal failed", self._claim.document_id)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
