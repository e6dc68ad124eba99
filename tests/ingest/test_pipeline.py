"""Documents through the whole pipeline with real readers and NLP, on SQLite and
PostgreSQL: staging, failures into quarantine, concurrency, crash recovery."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import func, select

from chartdrop.ingest import process_files, queue, recover_spool
from chartdrop.ingest.batch import drain
from chartdrop.ingest.files import spool_destination
from chartdrop.ingest.pipeline import Worker
from chartdrop.models import AuditEvent, Document, DocumentStatus, DraftEntry, Transcript

NOTE = (
    "PROGRESS NOTE\nPatient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\nDictated by: Dr. Alan Grant\n"
    "ASSESSMENT: Hypertension. She denies chest pain.\n"
)


def _count(factory, model, *where) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_text_note_is_staged_with_its_extraction_and_archived(settings, factory, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    report = process_files(factory, settings, [note])
    [outcome] = report.outcomes.values()
    assert outcome.status == DocumentStatus.STAGED
    with factory() as session:
        draft = session.get(DraftEntry, outcome.draft_id)
        assert draft.state == "pending"
        assert draft.demographics["mrn"]["value"] == "447219"
        assert draft.demographics["date_of_birth"]["value"] == "1955-03-04"
        problems = {p["text"].lower(): p for p in draft.problems}
        assert problems["hypertension"]["icd10cm"][0]["code"] == "I10"
        assert problems["chest pain"]["assertion"] == "negated"
        document = draft.document
        assert document.kind == "text" and document.status == DocumentStatus.STAGED
        assert Path(document.stored_path).is_relative_to(settings.archive_dir)
        assert Path(document.stored_path).read_text() == NOTE
        assert session.scalar(select(Transcript.text).where(Transcript.document_id == document.id))
    assert note.read_text() == NOTE  # `process` leaves the caller's file in place


def test_a_file_is_sniffed_once_and_its_kind_kept_from_registration(
    settings, factory, tmp_path, monkeypatch
):
    # libmagic costs ~2.7 ms a file: the kind told when the file is registered (to find
    # note-per-row CSVs) is recorded with the document and handed to the worker.
    import chartdrop.ingest.containers as containers
    import chartdrop.ingest.readers as readers
    from chartdrop.ingest.sniff import sniff

    calls: list[Path] = []

    def counted(path, settings=None):  # type: ignore[no-untyped-def]
        calls.append(Path(path))
        return sniff(path, settings)

    monkeypatch.setattr(containers, "sniff", counted)
    monkeypatch.setattr(readers, "sniff", counted)
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    registration = queue.register(
        factory, settings, note, keep_source=True, kind=containers.sniffed_kind(note, settings)
    )
    with factory() as session:
        assert session.get(Document, registration.document_id).kind == "text"  # while queued
    outcomes = drain(factory, settings, {registration.document_id})
    assert outcomes[registration.document_id].status == DocumentStatus.STAGED
    assert calls == [note]
    calls.clear()  # and through `chartdrop process` (batch.process_files)
    second = tmp_path / "second.txt"
    second.write_text(NOTE.replace("447219", "447220"))
    [outcome] = process_files(factory, settings, [second]).outcomes.values()
    assert outcome.status == DocumentStatus.STAGED and calls == [second]


def test_bad_files_are_quarantined_with_a_plain_reason(settings, factory, tmp_path):
    bad = {
        "empty.txt": b"",
        "corrupt.wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4,
        "program.bin": bytes([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1]) + bytes(500),
    }
    paths = []
    for name, content in bad.items():
        (tmp_path / name).write_bytes(content)
        paths.append(tmp_path / name)
    report = process_files(factory, settings, paths)
    assert len(report.failed) == 3
    with factory() as session:
        for path, document_id in report.document_ids.items():
            document = session.get(Document, document_id)
            assert document.status == DocumentStatus.FAILED, path.name
            assert document.error and len(document.error) < 300
            quarantined = Path(document.stored_path)
            assert quarantined.is_relative_to(settings.quarantine_dir)
            assert quarantined.read_bytes() == bad[path.name]  # the original, kept
            sidecar = json.loads(
                quarantined.with_name(quarantined.name + ".error.json").read_text()
            )
            assert sidecar["reason"] == document.error
            assert sidecar["sha256"] == document.sha256
    reasons = {p.name: report.outcomes[i].error for p, i in report.document_ids.items()}
    assert "empty" in reasons["empty.txt"]
    assert "unsupported" in reasons["program.bin"].lower()
    assert "audio" in reasons["corrupt.wav"].lower()
    assert _count(factory, DraftEntry) == 0


def test_two_workers_stage_every_document_exactly_once(settings, factory):
    settings.inbox.mkdir(parents=True)
    ids = set()
    for n in range(12):
        path = settings.inbox / f"note{n}.txt"
        path.write_text(NOTE.replace("447219", f"5000{n:02d}"))
        ids.add(queue.register(factory, settings, path).document_id)
    outcomes = drain(factory, settings.with_(workers=2), ids)
    assert {o.status for o in outcomes.values()} == {DocumentStatus.STAGED}
    assert _count(factory, DraftEntry) == 12
    assert _count(factory, AuditEvent, AuditEvent.action == "staged") == 12
    with factory() as session:
        attempts = session.scalars(select(Document.attempts)).all()
    assert attempts == [1] * 12  # nobody took a document another worker held


def test_recovery_leaves_a_file_another_process_moved_first(
    settings, factory, tmp_path, monkeypatch
):
    """Two processes started together both recover the spool: the one that finds a finished
    document's file already gone goes on, and the file lands once."""
    from chartdrop.ingest import pipeline

    note = tmp_path / "blank.txt"
    note.write_text("")
    process_files(factory, settings, [note])  # failed: empty, quarantined
    with factory() as session:
        document = session.scalar(select(Document))
        landed = Path(document.stored_path)
    spooled = Path(document.spool_path)
    landed.rename(spooled)  # as if the crash came before the move
    original = pipeline.move_file

    def other_process_first(source: Path, destination: Path) -> Path:
        original(source, destination)  # the other process's move
        return original(source, destination)

    monkeypatch.setattr(pipeline, "move_file", other_process_first)
    assert recover_spool(factory, settings) == 0
    assert not spooled.exists() and landed.exists()


def test_workers_stop_cleanly_between_documents(settings, factory):
    stop = threading.Event()
    worker = Worker(factory, settings, stop, idle_wait=0.05)
    worker.start()
    stop.set()
    worker.wake.set()
    worker.join(5)
    assert not worker.is_alive()


def test_recovery_registers_orphans_and_finishes_interrupted_moves(settings, factory):
    # A crash after the move into the spool but before the row was committed:
    orphan = spool_destination(settings.data_dir / "spool", "orphan.txt")
    orphan.parent.mkdir(parents=True)
    orphan.write_text(NOTE)
    assert recover_spool(factory, settings) == 1
    with factory() as session:
        document = session.scalar(select(Document))
        assert document.original_name == "orphan.txt"
        assert document.status == DocumentStatus.QUEUED
    # A crash after staging was committed but before the original was archived:
    with factory() as session, session.begin():
        document = session.scalar(select(Document))
        document.status = DocumentStatus.STAGED
        document.stored_path = str(settings.archive_dir / "2026" / "11" / "23" / "1-x-orphan.txt")
    recover_spool(factory, settings)
    assert (settings.archive_dir / "2026" / "11" / "23" / "1-x-orphan.txt").read_text() == NOTE
    assert not orphan.exists()
