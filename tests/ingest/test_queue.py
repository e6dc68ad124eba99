"""The database as the durable queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from sqlalchemy import func, select

from chartdrop.ingest import queue
from chartdrop.ingest.pipeline import fail_exhausted
from chartdrop.models import (
    AuditEvent,
    Document,
    DocumentStatus,
    make_engine,
    session_factory,
)
from chartdrop.settings import Settings


def _drop(settings: Settings, name: str, content: str) -> Path:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    path = settings.inbox / name
    path.write_text(content, encoding="utf-8")
    return path


def test_register_moves_the_file_to_the_spool_and_commits_a_queued_row(settings, factory):
    path = _drop(settings, "note.txt", "Patient has hypertension.")
    registration = queue.register(factory, settings, path)
    assert registration is not None and registration.status == DocumentStatus.QUEUED
    assert not path.exists()
    with factory() as session:
        document = session.get(Document, registration.document_id)
        assert document.status == DocumentStatus.QUEUED
        assert document.original_name == "note.txt"
        assert len(document.sha256) == 64 and document.size_bytes == 25
        assert Path(document.stored_path).read_text() == "Patient has hypertension."
        assert Path(document.stored_path).parent == settings.data_dir / "spool"


def test_same_content_twice_is_recorded_as_a_duplicate_and_archived(settings, factory):
    first = queue.register(factory, settings, _drop(settings, "a.txt", "same words"))
    second = queue.register(factory, settings, _drop(settings, "b.txt", "same words"))
    assert second.status == DocumentStatus.DUPLICATE and second.duplicate_of == first.document_id
    with factory() as session:
        duplicate = session.get(Document, second.document_id)
        archived = Path(duplicate.stored_path)
        assert archived.is_relative_to(settings.archive_dir)
        assert archived.read_text() == "same words"  # never deleted


def test_keep_source_copies_instead_of_moving(settings, factory, tmp_path):
    source = tmp_path / "legacy.txt"
    source.write_text("legacy note")
    registration = queue.register(factory, settings, source, keep_source=True)
    assert registration is not None and source.read_text() == "legacy note"


def test_claim_takes_the_oldest_and_no_document_twice(settings, factory):
    ids = [
        queue.register(factory, settings, _drop(settings, f"{n}.txt", f"note {n}")).document_id
        for n in range(3)
    ]
    first = queue.claim(factory, settings, "w1")
    second = queue.claim(factory, settings, "w2")
    third = queue.claim(factory, settings, "w1")
    assert [first.document_id, second.document_id, third.document_id] == ids
    assert queue.claim(factory, settings, "w2") is None
    assert first.attempts == 1 and first.owner == "w1"


def test_a_batch_claims_only_its_own_documents(settings, factory, monkeypatch):
    # Ids 1..10: the batch holds 2, 9 and 10; the others (the watcher's) lie in its range.
    # A scan window of 3 rows makes the claim look past more than one window of others.
    monkeypatch.setattr(queue, "_SCAN", 3)
    ids = [
        queue.register(factory, settings, _drop(settings, f"{n}.txt", f"note {n}")).document_id
        for n in range(10)
    ]
    batch = queue.Batch.of([ids[1], ids[8], ids[9]])
    taken = []
    while (claim := queue.claim(factory, settings, "batch", batch)) is not None:
        taken.append(claim.document_id)
    assert taken == [ids[1], ids[8], ids[9]]
    others = queue.claim(factory, settings, "watcher")
    assert others.document_id == ids[0]  # the rest are still queued for everyone else
    assert queue.claim(factory, settings, "batch", queue.Batch.of([])) is None


def test_the_oldest_of_queued_and_expired_is_claimed_first(tmp_path, database_url):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url, lease_seconds=0.2)
    factory = session_factory(make_engine(database_url))
    first, second = (
        queue.register(factory, settings, _drop(settings, f"{n}.txt", f"note {n}")).document_id
        for n in range(2)
    )
    assert queue.claim(factory, settings, "dead-worker").document_id == first
    time.sleep(0.3)  # the first one's lease runs out; it is older than the queued second
    for only in (None, queue.Batch.of([first, second])):
        retried = queue.claim(factory, settings, "other", only)
        assert retried.document_id == first
        queue.release(factory, retried)


def test_an_expired_lease_is_claimed_again_and_counts_an_attempt(tmp_path, database_url):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url, lease_seconds=0.2)
    factory = session_factory(make_engine(database_url))
    queue.register(factory, settings, _drop(settings, "x.txt", "text"))
    dead = queue.claim(factory, settings, "dead-worker")
    assert queue.claim(factory, settings, "other") is None  # lease still held
    time.sleep(0.3)
    retried = queue.claim(factory, settings, "other")
    assert retried.document_id == dead.document_id and retried.attempts == 2
    assert not queue.renew(factory, dead, 10)  # the dead worker's lease is gone


def test_release_returns_the_document_without_counting_the_attempt(settings, factory):
    queue.register(factory, settings, _drop(settings, "x.txt", "text"))
    claim = queue.claim(factory, settings, "w1")
    queue.release(factory, claim)
    again = queue.claim(factory, settings, "w2")
    assert again.document_id == claim.document_id and again.attempts == 1


def test_a_document_whose_workers_keep_dying_is_failed_and_quarantined(tmp_path, database_url):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url, lease_seconds=0.05, max_attempts=2)
    factory = session_factory(make_engine(database_url))
    registration = queue.register(factory, settings, _drop(settings, "x.txt", "text"))
    for _ in range(2):
        assert queue.claim(factory, settings, "doomed") is not None
        time.sleep(0.1)
    assert queue.claim(factory, settings, "next") is None  # attempts spent
    fail_exhausted(factory, settings)
    with factory() as session:
        document = session.get(Document, registration.document_id)
        assert document.status == DocumentStatus.FAILED
        assert "2 attempts" in document.error
        quarantined = Path(document.stored_path)
    assert quarantined.read_text() == "text"
    assert quarantined.with_name(quarantined.name + ".error.json").is_file()


def _claim_all(url: str, data_dir: str, owner: str, results) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=Path(data_dir), database_url=url)
    factory = session_factory(make_engine(url))
    taken = []
    while (claim := queue.claim(factory, settings, owner)) is not None:
        taken.append(claim.document_id)
    results.put((owner, taken))


def test_two_processes_never_claim_the_same_document(settings, factory, database_url):
    ids = {
        queue.register(factory, settings, _drop(settings, f"{n}.txt", f"note {n}")).document_id
        for n in range(40)
    }
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(
            target=_claim_all, args=(database_url, str(settings.data_dir), f"p{n}", results)
        )
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    taken = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(30)
    assert set(taken["p0"]).isdisjoint(taken["p1"])
    assert set(taken["p0"]) | set(taken["p1"]) == ids
    with factory() as session:
        received = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "received")
        )
    assert received == 40
