"""Migration 0002 (users, notices, draft edits, dictating physician) on SQLite and
PostgreSQL: it keeps existing drafts, and it can be undone and redone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from chartdrop.models import make_engine
from chartdrop.models.database import alembic_config, current_revision, upgrade


def test_0002_keeps_drafts_and_downgrades(database_url: str, tmp_path: Path) -> None:
    command.downgrade(alembic_config(database_url), "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO documents (id, original_name, sha256, size_bytes, kind, status, "
                "attempts, received_at, spool_path, stored_path) VALUES (1, 'a.txt', 'ab', 1, "
                "'text', 'staged', 1, CURRENT_TIMESTAMP, 's/1', 'a/1')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO draft_entries (id, document_id, demographics, problems, procedures,"
                " medications, deficiencies, state, created_at) VALUES (1, 1, '{}', '[]', '[]',"
                " '[]', '[]', 'pending', CURRENT_TIMESTAMP)"
            )
        )
    upgrade(database_url, "0002")
    assert current_revision(engine) == "0002"
    columns = {c["name"] for c in inspect(engine).get_columns("draft_entries")}
    assert {"physician_id", "text", "edited_by", "edited_at"} <= columns
    assert {"users", "notices"} <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        assert connection.execute(text("SELECT state FROM draft_entries")).scalar() == "pending"
    engine.dispose()
    command.downgrade(alembic_config(database_url), "0001")
    engine = make_engine(database_url)
    assert "users" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM draft_entries")).scalar() == 1
    engine.dispose()
    upgrade(database_url)
