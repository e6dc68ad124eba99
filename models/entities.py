"""chartdrop's tables: the durable work queue (Document), what each file said
(Transcript), what the technician reviews (DraftEntry), and who it is about (Patient).
AuditEvent is append-only and hash-chained."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    STAGED = "staged"
    FAILED = "failed"
    DUPLICATE = "duplicate"


class Role(StrEnum):
    TECHNICIAN = "technician"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class DraftState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Base(DeclarativeBase):
    # Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Document(Base):
    """One received file. The row is committed before any work: it is the queue entry."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    original_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    # Where the original was queued (the spool), and where it lies now: the spool
    # while queued, then its place in the archive or the quarantine.
    spool_path: Mapped[str] = mapped_column(String(1024), unique=True)
    stored_path: Mapped[str] = mapped_column(String(1024))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    transcript: Mapped[Transcript | None] = relationship(back_populates="document")
    draft: Mapped[DraftEntry | None] = relationship(back_populates="document")

    __table_args__ = (
        # A claim takes the oldest document of a status: (status, id) finds it without
        # gathering and sorting the whole backlog (ingest/queue.py).
        Index("ix_documents_status_id", "status", "id"),
        # One original per content: a second copy can only be recorded as a duplicate,
        # even when two watchers register it at the same instant.
        Index(
            "uq_documents_sha256_original",
            "sha256",
            unique=True,
            sqlite_where=text("duplicate_of_id IS NULL"),
            postgresql_where=text("duplicate_of_id IS NULL"),
        ),
    )


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    segments: Mapped[list[Any]] = mapped_column(default=list)
    engine: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(256), default="")
    duration_s: Mapped[float | None]
    pages: Mapped[int | None]
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="transcript")


class Patient(Base):
    """Created or linked when a draft is approved."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str | None] = mapped_column(String(64), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD
    sex: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    drafts: Mapped[list[DraftEntry]] = relationship(back_populates="patient")


class DraftEntry(Base):
    """The staged chart entry a technician reviews. Fields hold the JSON contract's
    shapes (value, span, confidence), so evidence survives edits."""

    __tablename__ = "draft_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    demographics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    procedures: Mapped[list[Any]] = mapped_column(default=list)
    medications: Mapped[list[Any]] = mapped_column(default=list)
    document_type: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deficiencies: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), default=DraftState.PENDING, index=True)
    reviewer: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The dictating physician (a `physician` user), set by the technician on the review
    # desk or matched from the dictated provider name; deficiency notices go to them.
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The technician's corrected text; None means the recogniser's text
    # (Transcript.text, which is never changed) stands.
    text: Mapped[str | None] = mapped_column(Text)
    edited_by: Mapped[str | None] = mapped_column(String(128))
    edited_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship(back_populates="draft")
    patient: Mapped[Patient | None] = relationship(back_populates="drafts")
    physician: Mapped[User | None] = relationship(foreign_keys=[physician_id])
    notices: Mapped[list[Notice]] = relationship(
        back_populates="draft", order_by="Notice.id", foreign_keys="Notice.draft_id"
    )


class User(Base):
    """A person who logs in to the review desk. Passwords are Argon2 hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at logout and deactivation: every session cookie issued before is void.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(Base):
    """A deficiency notice (a rejection's reason, to the dictating physician) or the
    physician's reply to one. Bodies are clinical text: never logged or audited."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "deficiency" or "reply"
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sender: Mapped[str] = mapped_column(String(128))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[DraftEntry] = relationship(back_populates="notices", foreign_keys=[draft_id])


class ExportStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ExportRecord(Base):
    """One draft's export to one destination (outbox, fhir, mllp). Unique per
    (draft, destination): once `sent`, it is never sent again. `last_error` holds a
    reason a technician can read, never PHI."""

    __tablename__ = "export_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft_entries.id"), index=True)
    destination: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.PENDING, index=True)
    preliminary: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(String(512))

    draft: Mapped[DraftEntry] = relationship()

    __table_args__ = (UniqueConstraint("draft_id", "destination"),)


class AuditEvent(Base):
    """Append-only. Each event carries the hash of the one before it, so an altered
    or removed event breaks the chain. `detail` holds ids and codes, never PHI."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # no forks
    hash: Mapped[str] = mapped_column(String(64), unique=True)
