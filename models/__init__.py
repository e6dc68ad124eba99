"""chartdrop's data model: SQLAlchemy entities, engine/session set-up, migrations."""

from chartdrop.models.database import (
    DatabaseNotReady,
    ensure_migrated,
    make_engine,
    record_event,
    session_factory,
    transaction,
    upgrade,
    verify_audit_chain,
)
from chartdrop.models.entities import (
    AuditEvent,
    Base,
    Document,
    DocumentStatus,
    DraftEntry,
    DraftState,
    Notice,
    Patient,
    Role,
    Transcript,
    User,
)

__all__ = [
    "AuditEvent",
    "Base",
    "DatabaseNotReady",
    "Document",
    "DocumentStatus",
    "DraftEntry",
    "DraftState",
    "Notice",
    "Patient",
    "Role",
    "Transcript",
    "User",
    "ensure_migrated",
    "make_engine",
    "record_event",
    "session_factory",
    "transaction",
    "upgrade",
    "verify_audit_chain",
]
