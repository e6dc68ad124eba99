"""Engine and session set-up, schema migrations, and the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.models.entities import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
# Any constant works: it only has to be the same for every chartdrop process.
_AUDIT_LOCK_KEY = 0x63686172


class DatabaseNotReady(RuntimeError):
    """The database is missing tables or is behind the code's migrations."""


def make_engine(url: str) -> Engine:
    """An engine with chartdrop's connection rules: for SQLite, WAL, foreign keys,
    a busy timeout, and write-locking transactions (BEGIN IMMEDIATE) so two workers
    never both read-then-upgrade and fail with 'database is locked'."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "chartdrop.models:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_migrated(engine: Engine) -> None:
    """Refuse to work on a database the migrations have not brought up to date."""
    current = current_revision(engine)
    head = head_revision(engine.url.render_as_string(hide_password=False))
    if current != head:
        state = "has no chartdrop tables" if current is None else f"is at revision {current}"
        raise DatabaseNotReady(
            f"The database {state}; this chartdrop needs revision {head}. "
            "Run `chartdrop db upgrade` first."
        )


def _event_hash(prev_hash: str, event_fields: dict[str, Any]) -> str:
    canonical = json.dumps(event_fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _hashed_fields(audit: AuditEvent) -> dict[str, Any]:
    at: datetime = audit.at
    if at.tzinfo is not None:  # PostgreSQL gives aware times, SQLite naive UTC
        at = at.astimezone(UTC).replace(tzinfo=None)
    return {
        "at": at.isoformat(timespec="microseconds"),
        "actor": audit.actor,
        "action": audit.action,
        "entity_type": audit.entity_type,
        "entity_id": audit.entity_id,
        "detail": audit.detail,
    }


def record_event(
    session: Session,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event, chained to the previous one, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appends so two transactions never chain to the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    prev_hash = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    audit = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=detail or {},
        prev_hash=prev_hash or GENESIS_HASH,
    )
    audit.at = utcnow()
    audit.hash = _event_hash(audit.prev_hash, _hashed_fields(audit))
    session.add(audit)
    session.flush()
    return audit


def verify_audit_chain(session: Session) -> list[str]:
    """Problems found in the audit chain; empty when every event is intact and linked."""
    problems: list[str] = []
    expected_prev = GENESIS_HASH
    for audit in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if audit.prev_hash != expected_prev:
            problems.append(f"event {audit.id}: does not follow the previous event (one removed?)")
        if _event_hash(audit.prev_hash, _hashed_fields(audit)) != audit.hash:
            problems.append(f"event {audit.id}: contents altered")
        expected_prev = audit.hash
    return problems
