"""Export status per entry and destination, and the sending itself.

`queue_exports` runs inside the approval's transaction: the approved entry gets one
`pending` ExportRecord per configured destination, so an export can never be lost,
even if the process stops right after approving. `run_exports` (after the commit)
and `retry_exports` (`chartdrop export --retry`, the desk's retry button) send the
unsent ones; a send never happens inside a database transaction, and a failure only
marks the record `failed` with its reason — the approval stands. A record that is
`sent` is never sent again (unique per draft and destination). Every attempt is an
audit event with ids, destination, format and status only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.chart.destinations import HTTP_TRIES, Destination, ExportFailure, destinations
from chartdrop.chart.entry import snapshot
from chartdrop.chart.fhir import FhirError
from chartdrop.chart.hl7v2 import Hl7Error
from chartdrop.models import transaction
from chartdrop.models.database import record_event
from chartdrop.models.entities import DraftEntry, DraftState, ExportRecord, ExportStatus
from chartdrop.settings import Settings

log = logging.getLogger(__name__)
PRELIMINARY = "+preliminary"
UNSENT = (ExportStatus.PENDING, ExportStatus.FAILED)


class ExportError(ValueError):
    """The export cannot start (no such draft, not approved, ...)."""


@dataclass(frozen=True)
class ExportResult:
    record_id: int
    draft_id: int
    destination: str
    status: str
    error: str | None


def destination_key(destination: Destination, preliminary: bool) -> str:
    return destination.name + (PRELIMINARY if preliminary else "")


def queue_exports(
    session: Session, settings: Settings, draft_id: int, preliminary: bool = False
) -> list[ExportRecord]:
    """A pending record per configured destination (existing ones are kept as they
    are), in the caller's transaction."""
    try:
        configured = destinations(settings)
    except ValueError as exc:
        raise ExportError(str(exc)) from exc
    draft = session.get(DraftEntry, draft_id)
    if draft is None:
        raise ExportError(f"There is no draft {draft_id}.")
    if not preliminary and draft.state != DraftState.APPROVED:
        raise ExportError(
            f"Draft {draft_id} is {draft.state}: only approved drafts are exported "
            "(use --preliminary for a preliminary copy)."
        )
    if preliminary and draft.state == DraftState.REJECTED:
        raise ExportError(f"Draft {draft_id} was rejected: there is nothing to export.")
    records = []
    for destination in configured:
        key = destination_key(destination, preliminary)
        record = session.scalar(
            select(ExportRecord).where(
                ExportRecord.draft_id == draft_id, ExportRecord.destination == key
            )
        )
        if record is None:
            record = ExportRecord(
                draft_id=draft_id,
                destination=key,
                format=destination.format,
                status=ExportStatus.PENDING,
                preliminary=preliminary,
                attempts=0,
            )
            session.add(record)
            session.flush()
            record_event(
                session,
                "system",
                "export_queued",
                "draft",
                draft_id,
                {"export": record.id, "destination": key, "format": destination.format},
            )
        records.append(record)
    return records


def queue_on_approval(session: Session, settings: Settings, draft_id: int) -> str | None:
    """queue_exports for the approval's transaction; a configuration problem is
    returned as a message instead of raised, so it never undoes the approval."""
    try:
        queue_exports(session, settings, draft_id)
    except ExportError as exc:
        log.warning("exports of draft %s not queued: %s", draft_id, exc)
        return str(exc)
    return None


def _in_flight(record: ExportRecord, settings: Settings) -> bool:
    """A send claimed by someone (maybe another process) and not yet finished. A claim
    older than the longest a send can take was abandoned (a crash) and is free again."""
    if record.status != ExportStatus.PENDING or record.attempts == 0:
        return False
    lease = (
        settings.export_timeout_seconds * (HTTP_TRIES + 1) * 2
        + (settings.export_backoff_seconds * 2**HTTP_TRIES)
        + 30
    )
    claimed = record.updated_at
    claimed = claimed if claimed.tzinfo else claimed.replace(tzinfo=UTC)
    return datetime.now(UTC) - claimed < timedelta(seconds=lease)


def _attempt(
    factory: sessionmaker[Session], settings: Settings, record_id: int, actor: str
) -> ExportResult:
    by_name = {d.name: d for d in destinations(settings)}
    with transaction(factory) as session:
        record = session.get(ExportRecord, record_id, with_for_update=True)
        if record is None:
            raise ExportError(f"There is no export {record_id}.")
        if record.status == ExportStatus.SENT:  # never twice
            return ExportResult(record.id, record.draft_id, record.destination, record.status, None)
        if _in_flight(record, settings):
            busy = "being sent by another process"
            return ExportResult(record.id, record.draft_id, record.destination, record.status, busy)
        # Claim it: another process sees a fresh pending attempt and leaves it alone.
        record.status, record.updated_at = ExportStatus.PENDING, datetime.now(UTC)
        record.attempts += 1
        entry = snapshot(record.draft)
        key, preliminary = record.destination, record.preliminary
        destination = by_name.get(key.removesuffix(PRELIMINARY))
    error: str | None = None
    remote_id = None
    if destination is None:
        error = f"destination {key.removesuffix(PRELIMINARY)} is no longer configured"
    else:
        try:
            remote_id = destination.send(entry, preliminary)
        except ExportFailure as exc:
            error = str(exc)
        except (FhirError, Hl7Error) as exc:
            error = f"could not build the message: {type(exc).__name__}"
            log.warning("export %s of draft %s: %s", key, entry.draft_id, exc)
        except Exception as exc:  # a destination bug must not lose the record
            error = f"unexpected error: {type(exc).__name__}"
            log.exception("export %s of draft %s failed", key, entry.draft_id)
    with transaction(factory) as session:
        record = session.get(ExportRecord, record_id, with_for_update=True)
        assert record is not None
        record.updated_at = datetime.now(UTC)
        if error is None:
            record.status, record.last_error = ExportStatus.SENT, None
            record.sent_at, record.remote_id = record.updated_at, remote_id
        else:
            record.status, record.last_error = ExportStatus.FAILED, error[:2000]
        record_event(
            session,
            actor,
            f"export_{record.status}",
            "draft",
            record.draft_id,
            {
                "export": record.id,
                "destination": record.destination,
                "format": record.format,
                "status": record.status,
                "attempt": record.attempts,
            },
        )
        log.info(
            "export %s of draft %s: %s (attempt %s)",
            record.destination,
            record.draft_id,
            record.status,
            record.attempts,
        )
        return ExportResult(record.id, record.draft_id, record.destination, record.status, error)


def run_exports(
    factory: sessionmaker[Session],
    settings: Settings,
    draft_id: int,
    actor: str = "system",
    preliminary: bool = False,
) -> list[ExportResult]:
    """Send the draft's unsent exports now (never raises for a failed send)."""
    with factory() as session:
        ids = session.scalars(
            select(ExportRecord.id)
            .where(ExportRecord.draft_id == draft_id, ExportRecord.status.in_(UNSENT))
            .where(ExportRecord.preliminary.is_(preliminary))
            .order_by(ExportRecord.id)
        ).all()
    return [_attempt(factory, settings, record_id, actor) for record_id in ids]


def export(
    factory: sessionmaker[Session],
    settings: Settings,
    draft_id: int,
    actor: str = "system",
    preliminary: bool = False,
) -> list[ExportResult]:
    """Queue and send one entry to every configured destination (on request)."""
    with transaction(factory) as session:
        queue_exports(session, settings, draft_id, preliminary)
    return run_exports(factory, settings, draft_id, actor, preliminary)


def export_after_approval(
    factory: sessionmaker[Session], settings: Settings, draft_id: int, actor: str
) -> list[ExportResult]:
    """The approval has committed (with its pending records): try them now. Nothing
    here can undo the approval; what fails stays for `chartdrop export --retry`."""
    try:
        return run_exports(factory, settings, draft_id, actor)
    except Exception:
        log.exception("exports of draft %s could not run; they stay pending", draft_id)
        return []


def stuck_exports(session: Session, limit: int = 200) -> list[ExportRecord]:
    """Pending and failed exports, oldest first."""
    return list(
        session.scalars(
            select(ExportRecord)
            .where(ExportRecord.status.in_(UNSENT))
            .order_by(ExportRecord.id)
            .limit(limit)
        )
    )


def retry_exports(
    factory: sessionmaker[Session],
    settings: Settings,
    actor: str = "system",
    record_ids: list[int] | None = None,
    force: bool = False,
) -> list[ExportResult]:
    """Send pending and failed exports again: all of them, or `record_ids`. Records
    that used up `export_max_attempts` are left alone unless `force` (the desk's
    button and `--force`)."""
    with factory() as session:
        query = select(ExportRecord.id).where(ExportRecord.status.in_(UNSENT))
        if record_ids is not None:
            query = query.where(ExportRecord.id.in_(record_ids))
        if not force:
            query = query.where(ExportRecord.attempts < settings.export_max_attempts)
        ids = session.scalars(query.order_by(ExportRecord.id)).all()
    return [_attempt(factory, settings, record_id, actor) for record_id in ids]
