"""Export on approval through the CLI (SQLite and PostgreSQL) and the review desk's
exports page; migration 0003."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from chartdrop.cli import app
from chartdrop.models import Base, ExportRecord, make_engine, session_factory
from chartdrop.models.database import alembic_config, current_revision, head_revision, upgrade
from tests.chart.conftest import FhirEndpoint
from tests.review.conftest import NOTE, csrf_of, logged_in, make_desk


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[dict]:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CHARTDROP_"):
            monkeypatch.delenv(name)
    yield {
        "CHARTDROP_DATA_DIR": str(tmp_path / "var"),
        "CHARTDROP_INBOX": str(tmp_path / "inbox"),
        "CHARTDROP_DATABASE_URL": database_url,
        "CHARTDROP_ACTOR": "tech1",
        "HF_HUB_OFFLINE": "1",
    }


def _run(env: dict, *args: str) -> object:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_approve_exports_via_the_cli(tmp_path: Path, env: dict, database_url: str) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text("PROGRESS NOTE\nPatient: DOE, JANE  MRN: 100200\nCough.\n")
    processed = _run(env, "process", str(note), str(other), "--json")
    assert processed.exit_code == 0, processed.output
    first, second = (v["draft_id"] for v in json.loads(processed.stdout))

    approved = _run(env, "approve", str(first))
    assert approved.exit_code == 0, approved.output
    assert "export outbox: sent" in approved.stdout
    outbox = tmp_path / "var" / "outbox"
    assert (outbox / f"draft-{first}.fhir.json").is_file()
    assert (outbox / f"draft-{first}.hl7").is_file()

    retried = _run(env, "export", "--retry")
    assert retried.exit_code == 0 and "Nothing to export" in retried.stdout
    again = _run(env, "export", str(first))
    assert again.exit_code == 0 and "Nothing to export" in again.stdout

    refused = _run(env, "export", str(second))
    assert refused.exit_code == 1 and "--preliminary" in refused.stderr
    prelim = _run(env, "export", str(second), "--preliminary")
    assert prelim.exit_code == 0, prelim.output
    assert (outbox / f"draft-{second}.preliminary.fhir.json").is_file()

    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        records = session.scalars(select(ExportRecord).order_by(ExportRecord.id)).all()
        assert [(r.draft_id, r.destination, r.status, r.attempts) for r in records] == [
            (first, "outbox", "sent", 1),
            (second, "outbox+preliminary", "sent", 1),
        ]
    engine.dispose()


def test_a_failed_export_does_not_undo_the_approval(tmp_path: Path, env: dict) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    env = {
        **env,
        "CHARTDROP_EXPORT_DESTINATIONS": "outbox,mllp",
        "CHARTDROP_MLLP_HOST": "127.0.0.1",
        "CHARTDROP_MLLP_PORT": "9",  # nothing listens
        "CHARTDROP_EXPORT_TIMEOUT_SECONDS": "0.5",
    }
    draft_id = json.loads(_run(env, "process", str(note), "--json").stdout)["draft_id"]
    approved = _run(env, "approve", str(draft_id))
    assert approved.exit_code == 0
    assert "export mllp: failed" in approved.stderr
    shown = json.loads(_run(env, "show", str(draft_id), "--json").stdout)
    assert shown["state"] == "approved"
    stuck = _run(env, "export", "--stuck")
    assert "mllp" in stuck.stdout and "failed" in stuck.stdout
    retried = _run(env, "export", "--retry")
    assert retried.exit_code == 1 and "MLLP exchange failed" in retried.stdout


def test_the_exports_page_and_its_retry_button(
    tmp_path: Path, sqlite_url: str, fhir_endpoint: FhirEndpoint
) -> None:
    fhir_endpoint.fail_first = 4
    desk = make_desk(
        tmp_path,
        sqlite_url,
        export_destinations="fhir",
        fhir_base_url=fhir_endpoint.url,
        export_backoff_seconds=0.01,
    )
    draft_id = desk.draft_from_text()
    with desk.app_client() as client:
        logged_in(client, "tech1")
        token = csrf_of(client, "/queue")
        page = client.get(f"/drafts/{draft_id}")
        assert page.status_code == 200
        approved = client.post(
            f"/drafts/{draft_id}/approve", data={"patient": "new", "csrf_token": token}
        )
        assert approved.status_code == 303
        page = client.get("/exports")
        assert page.status_code == 200
        assert "FHIR server answered HTTP 503" in page.text and "Retry" in page.text
        record_id = _only_record(desk.factory).id
        forged = client.post("/exports/retry", data={"export_id": str(record_id)})
        assert forged.status_code == 403
        retried = client.post(
            "/exports/retry", data={"export_id": str(record_id), "csrf_token": token}
        )
        assert retried.status_code == 303
        assert "1 of 1 export(s) sent" in client.get("/exports").text
    assert _only_record(desk.factory).status == "sent"
    assert fhir_endpoint.accepted == 1


def _only_record(factory: object) -> ExportRecord:
    with factory() as session:  # type: ignore[operator]
        (record,) = session.scalars(select(ExportRecord)).all()
        return record


def test_migration_0003_up_down_and_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    command.downgrade(alembic_config(database_url), "0002")
    assert "export_records" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    assert "export_records" in inspect(engine).get_table_names()
    engine.dispose()


def test_approve_asks_the_technician_unless_mrn_and_birth_date_agree(
    tmp_path: Path, env: dict
) -> None:
    notes = {
        "a.txt": NOTE,
        "b.txt": "PROGRESS NOTE\nPatient: LOPEZ, MARIA  DOB: 03/04/1955\nCough.\n",
        "c.txt": NOTE.replace("Hypertension.", "Asthma."),
    }
    paths = []
    for name, text in notes.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text, encoding="utf-8")
    views = json.loads(_run(env, "process", *map(str, paths), "--json").stdout)
    first, no_mrn, same_mrn = (v["draft_id"] for v in views)
    assert _run(env, "approve", str(first)).exit_code == 0
    patient_id = json.loads(_run(env, "show", str(first), "--json").stdout)["review"]["patient_id"]
    # Same MRN and date of birth: linked without asking.
    assert _run(env, "approve", str(same_mrn)).exit_code == 0
    shown = json.loads(_run(env, "show", str(same_mrn), "--json").stdout)
    assert shown["review"]["patient_id"] == patient_id
    # Same name and birth date but no MRN: the technician must choose.
    asked = _run(env, "approve", str(no_mrn))
    assert asked.exit_code == 1 and f"#{patient_id}" in asked.stderr
    linked = _run(env, "approve", str(no_mrn), "--patient", str(patient_id))
    assert linked.exit_code == 0, linked.output
    shown = json.loads(_run(env, "show", str(no_mrn), "--json").stdout)
    assert shown["review"]["patient_id"] == patient_id


def test_the_draft_page_shows_ranked_matches_with_reasons(tmp_path: Path, sqlite_url: str) -> None:
    desk = make_desk(tmp_path, sqlite_url)
    first = desk.draft_from_text(name="a.txt")
    second = desk.draft_from_text(
        "PROGRESS NOTE\nPatient: LOPES, MARIA  DOB: 03/04/1955\nCough.\n", "b.txt"
    )
    with desk.app_client() as client:
        logged_in(client, "tech1")
        token = csrf_of(client, "/queue")
        client.post(f"/drafts/{first}/approve", data={"patient": "new", "csrf_token": token})
        page = client.get(f"/drafts/{second}").text
    assert "Link to patient #" in page and "match 0." in page
    assert "last name nearly the same (typo?)" in page
