from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from chartdrop.models import (
    AuditEvent,
    DatabaseNotReady,
    ensure_migrated,
    make_engine,
    record_event,
    session_factory,
    transaction,
    verify_audit_chain,
)
from chartdrop.models.database import current_revision, head_revision


def test_unmigrated_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(DatabaseNotReady, match="chartdrop db upgrade"):
        ensure_migrated(engine)


def test_upgrade_brings_database_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    ensure_migrated(engine)
    assert current_revision(engine) == head_revision(database_url)
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def _chain(database_url: str, events: int):  # type: ignore[no-untyped-def]
    factory = session_factory(make_engine(database_url))
    for n in range(events):
        with transaction(factory) as session:
            record_event(session, "tech1", "viewed", "draft", n, {"n": n})
    return factory


def test_audit_chain_verifies_when_intact(database_url: str) -> None:
    factory = _chain(database_url, 4)
    with factory() as session:
        assert verify_audit_chain(session) == []
        hashes = session.scalars(select(AuditEvent.prev_hash).order_by(AuditEvent.id)).all()
    assert len(set(hashes)) == 4


def test_audit_chain_detects_an_altered_event(database_url: str) -> None:
    factory = _chain(database_url, 3)
    with transaction(factory) as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="intruder"))
    with factory() as session:
        assert verify_audit_chain(session) == ["event 2: contents altered"]


def test_audit_chain_detects_a_removed_event(database_url: str) -> None:
    factory = _chain(database_url, 3)
    with transaction(factory) as session:
        session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    with factory() as session:
        problems = verify_audit_chain(session)
    assert any("event 3" in p and "removed" in p for p in problems)
