"""Export on approval to the outbox, a FHIR server and an MLLP receiver on loopback:
retries, failures recorded and retried, never sent twice, every attempt audited."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hl7
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from chartdrop.chart import destinations as dest_module
from chartdrop.chart.destinations import Outbox, write_atomically
from chartdrop.chart.export import (
    export,
    export_after_approval,
    queue_on_approval,
    retry_exports,
)
from chartdrop.models import AuditEvent, DraftEntry, ExportRecord, transaction
from chartdrop.models.database import verify_audit_chain
from chartdrop.models.review import approve_draft
from tests.chart.conftest import FhirEndpoint, MllpListener
from tests.review.conftest import Desk, make_desk


def _desk(tmp_path: Path, url: str, **overrides: Any) -> Desk:
    return make_desk(tmp_path, url, export_backoff_seconds=0.01, **overrides)


def _approve(desk: Desk, draft_id: int) -> list[Any]:
    with transaction(desk.factory) as session:
        approve_draft(session, draft_id, "tech1")
        assert queue_on_approval(session, desk.settings, draft_id) is None
    return export_after_approval(desk.factory, desk.settings, draft_id, "tech1")


def _records(desk: Desk) -> list[ExportRecord]:
    with desk.factory() as session:
        return list(session.scalars(select(ExportRecord).order_by(ExportRecord.id)))


def _export_events(desk: Desk) -> list[AuditEvent]:
    with desk.factory() as session:
        assert verify_audit_chain(session) == []
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("export_%"))))


def test_fhir_retries_then_exactly_one_success(
    tmp_path: Path, sqlite_url: str, fhir_endpoint: FhirEndpoint
) -> None:
    desk = _desk(tmp_path, sqlite_url, export_destinations="fhir", fhir_base_url=fhir_endpoint.url)
    draft_id = desk.draft_from_text()
    (result,) = _approve(desk, draft_id)
    assert result.status == "sent" and result.error is None
    assert fhir_endpoint.statuses == [503, 503, 200]  # retried with backoff in one attempt
    Bundle.model_validate(fhir_endpoint.bodies[-1])
    (record,) = _records(desk)
    assert (record.status, record.attempts) == ("sent", 1)
    assert record.remote_id and record.remote_id.startswith("DocumentReference/")

    # Never sent twice: neither by --retry nor by an explicit export.
    assert retry_exports(desk.factory, desk.settings, force=True) == []
    again = export(desk.factory, desk.settings, draft_id)
    assert again == []
    assert fhir_endpoint.accepted == 1 and len(fhir_endpoint.bodies) == 3

    events = _export_events(desk)
    assert [e.action for e in events] == ["export_queued", "export_sent"]
    for event in events:  # ids, destination, format, status: never PHI
        assert set(event.detail) <= {"export", "destination", "format", "status", "attempt"}
        assert "lopez" not in json.dumps(event.detail).lower()


def test_a_failing_server_leaves_a_failed_record_that_is_retried(
    tmp_path: Path, sqlite_url: str, fhir_endpoint: FhirEndpoint
) -> None:
    fhir_endpoint.fail_first = 4  # one whole attempt (4 tries) fails
    desk = _desk(tmp_path, sqlite_url, export_destinations="fhir", fhir_base_url=fhir_endpoint.url)
    draft_id = desk.draft_from_text()
    (result,) = _approve(desk, draft_id)
    assert result.status == "failed" and "HTTP 503" in (result.error or "")
    with desk.factory() as session:
        assert session.get(DraftEntry, draft_id).state == "approved"  # type: ignore[union-attr]
    (record,) = _records(desk)
    assert record.status == "failed" and "503" in (record.last_error or "")

    (retried,) = retry_exports(desk.factory, desk.settings)
    assert retried.status == "sent"
    assert retry_exports(desk.factory, desk.settings) == []
    assert fhir_endpoint.accepted == 1
    actions = [e.action for e in _export_events(desk)]
    assert actions == ["export_queued", "export_failed", "export_sent"]


def test_max_attempts_stop_automatic_retries(tmp_path: Path, sqlite_url: str) -> None:
    desk = _desk(
        tmp_path,
        sqlite_url,
        export_destinations="fhir",
        fhir_base_url="http://127.0.0.1:9/fhir",  # discard port: nothing listens
        export_max_attempts=2,
        export_timeout_seconds=0.5,
    )
    draft_id = desk.draft_from_text()
    assert _approve(desk, draft_id)[0].status == "failed"
    assert len(retry_exports(desk.factory, desk.settings)) == 1
    assert retry_exports(desk.factory, desk.settings) == []  # out of attempts
    forced = retry_exports(desk.factory, desk.settings, force=True)
    assert len(forced) == 1 and "cannot reach" in (forced[0].error or "")
    assert _records(desk)[0].attempts == 3


def test_mllp_aa_and_ae(tmp_path: Path, sqlite_url: str, mllp_listener: MllpListener) -> None:
    desk = _desk(
        tmp_path,
        sqlite_url,
        export_destinations="mllp",
        mllp_host="127.0.0.1",
        mllp_port=mllp_listener.port,
    )
    first = desk.draft_from_text()
    (sent,) = _approve(desk, first)
    assert sent.status == "sent"
    message = hl7.parse(mllp_listener.messages[0])
    assert str(message.segment("MSH")[9]) == "MDM^T02^MDM_T02"
    assert str(message.segment("TXA")[17]) == "AU"
    assert _records(desk)[0].remote_id == str(message.segment("MSH")[10])

    mllp_listener.answer = "AE"
    second = desk.draft_from_text(
        "PROGRESS NOTE\nPatient: SMITH, JOHN  DOB: 01/02/1960  MRN: 558120\nCough.\n", "b.txt"
    )
    (failed,) = _approve(desk, second)
    assert failed.status == "failed"
    assert "receiver answered AE" in (failed.error or "")
    mllp_listener.answer = "AA"
    (retried,) = retry_exports(desk.factory, desk.settings)
    assert (retried.draft_id, retried.status) == (second, "sent")
    assert len(mllp_listener.messages) == 3


def test_outbox_files_are_complete_and_atomic(tmp_path: Path, sqlite_url: str) -> None:
    desk = _desk(tmp_path, sqlite_url)  # the default: outbox only
    draft_id = desk.draft_from_text()
    (result,) = _approve(desk, draft_id)
    assert result.status == "sent" and result.destination == "outbox"
    outbox = desk.settings.data_dir / "outbox"
    names = sorted(p.name for p in outbox.iterdir())
    assert names == [f"draft-{draft_id}.fhir.json", f"draft-{draft_id}.hl7"]
    Bundle.model_validate_json((outbox / names[0]).read_text())
    assert str(hl7.parse((outbox / names[1]).read_bytes().decode()).segment("TXA")[17]) == "AU"

    # A preliminary copy of a pending draft on request goes to its own files.
    other = desk.draft_from_text("PROGRESS NOTE\nPatient: DOE, JANE\nCough.\n", "c.txt")
    (prelim,) = export(desk.factory, desk.settings, other, preliminary=True)
    assert prelim.destination == "outbox+preliminary" and prelim.status == "sent"
    assert (outbox / f"draft-{other}.preliminary.hl7").is_file()


def test_write_atomically_never_leaves_a_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "x.json"
    write_atomically(target, b"old")

    def broken_replace(_src: str, _dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dest_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomically(target, b"new content")
    assert target.read_bytes() == b"old"
    assert os.listdir(target.parent) == ["x.json"]  # the temporary file is gone


def test_outbox_write_failure_is_recorded(tmp_path: Path, sqlite_url: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    desk = _desk(tmp_path, sqlite_url, outbox_dir=str(blocker / "outbox"))
    (result,) = _approve(desk, desk.draft_from_text())
    assert result.status == "failed" and "cannot write the outbox" in (result.error or "")
    assert isinstance(Outbox(blocker).paths(1, False)[0], Path)


def test_a_send_in_flight_elsewhere_is_not_repeated(
    tmp_path: Path, sqlite_url: str, fhir_endpoint: FhirEndpoint
) -> None:
    fhir_endpoint.fail_first = 0
    desk = _desk(tmp_path, sqlite_url, export_destinations="fhir", fhir_base_url=fhir_endpoint.url)
    draft_id = desk.draft_from_text()
    with transaction(desk.factory) as session:
        approve_draft(session, draft_id, "tech1")
        queue_on_approval(session, desk.settings, draft_id)
        (record,) = session.scalars(select(ExportRecord)).all()
        record.attempts = 1  # claimed just now by another process, still sending
        record.updated_at = datetime.now(UTC)
    (busy,) = retry_exports(desk.factory, desk.settings, force=True)
    assert busy.error == "being sent by another process"
    assert fhir_endpoint.bodies == []
    with transaction(desk.factory) as session:  # that process died an hour ago
        session.scalars(select(ExportRecord)).one().updated_at = datetime.now(UTC) - timedelta(
            hours=1
        )
    (sent,) = retry_exports(desk.factory, desk.settings)
    assert sent.status == "sent" and fhir_endpoint.accepted == 1
