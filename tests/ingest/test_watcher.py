"""The inbox service end to end: real dictations (espeak-ng + Whisper), real scans
(Pillow + Tesseract), bad files, duplicates, and a worker killed mid-document."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chartdrop.ingest import Watcher
from chartdrop.models import AuditEvent, Document, DocumentStatus, DraftEntry
from tests.factories import make_dictation, make_scan

# A dictation as a physician would speak it; the commas make espeak-ng pause
# between the MRN's digits, as a person does.
DICTATION = (
    "This is doctor Alan Grant dictating a progress note on patient Maria Lopez. "
    "Date of birth, March fourth, nineteen fifty five. "
    "Medical record number, four, four, seven, two, one, nine. "
    "The patient has hypertension. She denies chest pain."
)
SCAN = (
    "PROGRESS NOTE\nPatient: LOPEZ, MARIA   DOB: 03/04/1955   MRN: 447219\n"
    "Date of service: 11/20/2026\nDictated by: Dr. Alan Grant\n\n"
    "ASSESSMENT:\n1. Type 2 diabetes mellitus.\n2. No evidence of pneumonia.\n"
)


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def _documents(factory) -> list[Document]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.scalars(select(Document).order_by(Document.id)))


def _settled(factory, count: int) -> bool:  # type: ignore[no-untyped-def]
    documents = _documents(factory)
    done = {DocumentStatus.STAGED, DocumentStatus.FAILED, DocumentStatus.DUPLICATE}
    return len(documents) >= count and all(d.status in done for d in documents)


def _draft(factory, document_id: int) -> DraftEntry:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(DraftEntry).where(DraftEntry.document_id == document_id))


def _value(draft: DraftEntry, name: str) -> str | None:
    field = draft.demographics.get(name)
    return field["value"] if field else None


@pytest.fixture
def sqlite_settings(tmp_path, sqlite_url):  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    return make_settings(tmp_path, sqlite_url)


@pytest.fixture
def sqlite_factory(sqlite_settings):  # type: ignore[no-untyped-def]
    from chartdrop.models import make_engine, session_factory

    return session_factory(make_engine(sqlite_settings.sqlalchemy_url))


def test_a_dropped_dictation_becomes_a_draft(sqlite_settings, sqlite_factory, tmp_path):
    settings, factory = sqlite_settings, sqlite_factory
    audio = make_dictation(DICTATION, tmp_path / "dictation.wav", voice="en-us", speed=160)
    with Watcher(factory, settings):
        # Uploads arrive under a temporary name and are renamed when complete.
        partial = settings.inbox / "dictation.wav.part"
        shutil.copy(audio, partial)
        partial.rename(settings.inbox / "dictation.wav")
        wait_for(lambda: _settled(factory, 1), 120, "the dictation to be staged")
    [document] = _documents(factory)
    assert document.status == DocumentStatus.STAGED, document.error
    assert document.kind == "audio"
    draft = _draft(factory, document.id)
    assert (_value(draft, "first_name") or "").lower() == "maria"
    assert (_value(draft, "last_name") or "").lower() == "lopez"
    assert _value(draft, "date_of_birth") == "1955-03-04"
    assert _value(draft, "mrn") == "447219"
    assert _value(draft, "provider")
    problems = {p["text"].lower(): p for p in draft.problems}
    assert problems["hypertension"]["assertion"] == "present"
    assert problems["hypertension"]["icd10cm"][0]["code"] == "I10"
    assert problems["chest pain"]["assertion"] == "negated"
    archived = Path(document.stored_path)
    assert archived.is_relative_to(settings.archive_dir)
    assert archived.read_bytes() == audio.read_bytes()
    assert list(settings.inbox.iterdir()) == []


def test_a_dropped_scan_is_read_by_ocr(sqlite_settings, sqlite_factory, tmp_path):
    settings, factory = sqlite_settings, sqlite_factory
    scan = make_scan(SCAN, tmp_path / "scan.png", rotate=0.8, noise=True)
    with Watcher(factory, settings):
        shutil.copy(scan, settings.inbox / "fax-0042.tif")  # the name lies; content decides
        wait_for(lambda: _settled(factory, 1), 60, "the scan to be staged")
    [document] = _documents(factory)
    assert document.status == DocumentStatus.STAGED, document.error
    assert document.kind == "image"
    draft = _draft(factory, document.id)
    assert _value(draft, "mrn") == "447219"
    assert _value(draft, "date_of_birth") == "1955-03-04"
    problems = {p["text"].lower(): p for p in draft.problems}
    assert problems["type 2 diabetes mellitus"]["icd10cm"][0]["code"] == "E11.9"
    assert problems["pneumonia"]["assertion"] == "negated"


def test_bad_files_are_quarantined_and_the_watcher_lives_on(sqlite_settings, sqlite_factory):
    settings, factory = sqlite_settings, sqlite_factory
    with Watcher(factory, settings) as watcher:
        settings.inbox.mkdir(exist_ok=True)
        (settings.inbox / "empty.m4a").write_bytes(b"")
        (settings.inbox / "corrupt.mp3").write_bytes(b"ID3\x03\x00\x00\x00" + os.urandom(4000))
        (settings.inbox / "setup.exe").write_bytes(b"MZ\x90\x00" + os.urandom(2000))
        wait_for(lambda: _settled(factory, 3), 60, "the bad files to be failed")
        (settings.inbox / "after.txt").write_text("Patient denies fever. History of asthma.")
        wait_for(lambda: _settled(factory, 4), 60, "a good file after the bad ones")
        assert all(worker.is_alive() for worker in watcher.workers)
    statuses = {d.original_name: d for d in _documents(factory)}
    for name in ("empty.m4a", "corrupt.mp3", "setup.exe"):
        document = statuses[name]
        assert document.status == DocumentStatus.FAILED
        quarantined = Path(document.stored_path)
        assert quarantined.is_relative_to(settings.quarantine_dir)
        assert quarantined.with_name(quarantined.name + ".error.json").is_file()
    assert statuses["after.txt"].status == DocumentStatus.STAGED
    assert list(settings.inbox.iterdir()) == []


def test_same_content_twice_gives_one_draft(sqlite_settings, sqlite_factory):
    settings, factory = sqlite_settings, sqlite_factory
    with Watcher(factory, settings):
        settings.inbox.mkdir(exist_ok=True)
        (settings.inbox / "first.txt").write_text("Patient has hypertension.")
        wait_for(lambda: _settled(factory, 1), 30)
        (settings.inbox / "again.txt").write_text("Patient has hypertension.")
        wait_for(lambda: _settled(factory, 2), 30)
    documents = _documents(factory)
    assert [d.status for d in documents] == [DocumentStatus.STAGED, DocumentStatus.DUPLICATE]
    assert documents[1].duplicate_of_id == documents[0].id
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(DraftEntry)) == 1


def test_files_waiting_at_start_and_in_folders_are_taken_partials_are_not(
    sqlite_settings, sqlite_factory
):
    settings, factory = sqlite_settings, sqlite_factory
    (settings.inbox / "clinic" / "2019").mkdir(parents=True)
    (settings.inbox / "waiting.txt").write_text("Patient has asthma.")
    (settings.inbox / "clinic" / "2019" / "old.txt").write_text("Patient has gout.")
    (settings.inbox / "upload.txt.part").write_text("still arriving")
    (settings.inbox / ".hidden.txt").write_text("not a document")
    (settings.inbox / "~$note.docx").write_text("office lock file")
    with Watcher(factory, settings):
        wait_for(lambda: _settled(factory, 2), 30)
        # Emptied folders go once settled, so the inbox ends empty.
        wait_for(lambda: not (settings.inbox / "clinic").exists(), 10, "emptied folders to go")
    assert sorted(d.original_name for d in _documents(factory)) == ["old.txt", "waiting.txt"]
    left = sorted(p.name for p in settings.inbox.rglob("*"))
    assert left == [".hidden.txt", "upload.txt.part", "~$note.docx"]


@pytest.mark.slow
def test_a_worker_killed_mid_document_is_staged_exactly_once_after_restart(
    tmp_path, sqlite_url, sqlite_settings, sqlite_factory
):
    settings, factory = sqlite_settings, sqlite_factory
    long_note = " ".join([DICTATION] * 6)  # long enough to be caught mid-transcription
    audio = make_dictation(long_note, tmp_path / "long.wav", speed=160)
    env = {
        **os.environ,
        "CHARTDROP_DATA_DIR": str(settings.data_dir),
        "CHARTDROP_INBOX": str(settings.inbox),
        "CHARTDROP_DATABASE_URL": sqlite_url,
        "CHARTDROP_LEASE_SECONDS": "3",
        "CHARTDROP_SETTLE_SECONDS": "0.3",
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-c", "from chartdrop.cli import main; main()", "watch"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)

    first = start()
    try:
        settings.inbox.mkdir(exist_ok=True)
        shutil.copy(audio, settings.inbox / "long.wav")
        wait_for(
            lambda: any(d.status == DocumentStatus.PROCESSING for d in _documents(factory)),
            90,
            "the worker to claim the dictation",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    [held] = _documents(factory)
    assert held.status == DocumentStatus.PROCESSING  # the dead worker's lease still stands
    second = start()
    try:
        wait_for(lambda: _settled(factory, 1), 180, "the restarted watcher to stage it")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0  # a clean stop
    [document] = _documents(factory)
    assert document.status == DocumentStatus.STAGED
    assert document.attempts == 2
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(DraftEntry)) == 1
        staged_events = select(func.count()).select_from(AuditEvent)
        assert session.scalar(staged_events.where(AuditEvent.action == "staged")) == 1
