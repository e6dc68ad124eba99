"""One document through the stages: text (speech/OCR/extraction) → NLP → staged draft,
or a plain-words failure in quarantine. Also the worker loop and crash recovery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.ingest import pdfa, queue
from chartdrop.ingest.files import (
    archive_destination,
    move_file,
    original_name_from_spool,
    quarantine_destination,
    sha256_file,
    write_error_sidecar,
)
from chartdrop.ingest.readers import SETUP_ERRORS, get_transcriber, read_document
from chartdrop.ingest.types import TextResult, UnreadableDocument
from chartdrop.models import (
    Document,
    DocumentStatus,
    DraftEntry,
    Transcript,
    record_event,
    transaction,
)
from chartdrop.nlp import Extraction, extract
from chartdrop.settings import Settings

log = logging.getLogger("chartdrop.ingest")


class LeaseLost(RuntimeError):
    """Another worker took the document over (our lease expired); drop our result."""


@dataclass(frozen=True, slots=True)
class Outcome:
    document_id: int
    status: str  # staged or failed
    draft_id: int | None = None
    error: str | None = None


def process_document(
    factory: sessionmaker[Session], settings: Settings, claim: queue.Claim
) -> Outcome:
    """Turn one claimed document into a staged draft, or fail it with a reason.
    Only the database write and the final move happen under the lease check."""
    with queue.LeaseKeeper(factory, claim, settings.lease_seconds):
        try:
            result = read_document(
                claim.spool_path, settings, claim.kind, transcriber=get_transcriber(settings)
            )
        except UnreadableDocument as exc:
            return fail_document(factory, settings, claim.document_id, exc.reason, claim.owner)
        except SETUP_ERRORS as exc:
            # Not the file's fault: retry, and if it persists fail with the cause.
            log.error("document %s: %s", claim.document_id, exc)
            return retry_or_fail(factory, settings, claim, str(exc))
        try:
            extraction = extract(result.text)
        except Exception as exc:  # a defect in our NLP must not lose the document
            # Exception messages can quote the text: type only, traceback at DEBUG.
            log.error(
                "document %s: text extraction failed (%s)", claim.document_id, type(exc).__name__
            )
            log.debug("traceback", exc_info=True)
            reason = f"Text extraction failed (internal error: {type(exc).__name__})."
            return fail_document(factory, settings, claim.document_id, reason, claim.owner)
    return stage_draft(factory, settings, claim, result, extraction)


def _deficiencies(result: TextResult, extraction: Extraction) -> list[dict[str, str]]:
    found = [asdict(d) for d in extraction.deficiencies]
    # Reader warnings (low OCR confidence, empty pages) are the technician's to check.
    found += [{"code": "low_confidence_source", "message": w} for w in result.warnings]
    return found


def stage_draft(
    factory: sessionmaker[Session],
    settings: Settings,
    claim: queue.Claim,
    result: TextResult,
    extraction: Extraction,
) -> Outcome:
    """Stage the draft and the document's new status in one transaction, then archive
    the original. A crash between the two is finished by `recover_spool`."""
    payload = extraction.to_dict()
    with transaction(factory) as session:
        document = session.get(Document, claim.document_id, with_for_update=True)
        if (
            document is None
            or document.status != DocumentStatus.PROCESSING
            or document.lease_owner != claim.owner
        ):
            raise LeaseLost(f"document {claim.document_id}: lease lost, result dropped")
        destination = archive_destination(
            settings.archive_dir,
            claim.received_at,
            document.id,
            document.sha256,
            claim.original_name,
        )
        document.kind = result.kind.value
        _finish(document, DocumentStatus.STAGED, None, destination)
        session.add(
            Transcript(
                document_id=document.id,
                text=result.text,
                segments=[asdict(s) for s in result.segments],
                engine=result.engine,
                model=result.model,
                duration_s=result.duration_s,
                pages=result.pages,
                warnings=list(result.warnings),
            )
        )
        draft = DraftEntry(
            document_id=document.id,
            demographics=payload["demographics"],
            problems=payload["problems"],
            procedures=payload["procedures"],
            medications=payload["medications"],
            document_type=payload["document_type"],
            deficiencies=_deficiencies(result, extraction),
        )
        session.add(draft)
        session.flush()
        record_event(session, "system", "staged", "draft", draft.id, {"document": document.id})
    landed = move_file(claim.spool_path, destination)
    _note_landing(factory, claim.document_id, destination, landed)
    log.info("document %s staged as draft %s", claim.document_id, draft.id)
    keep_pdfa_copy(settings, result, landed)
    return Outcome(claim.document_id, DocumentStatus.STAGED, draft_id=draft.id)


def keep_pdfa_copy(settings: Settings, result: TextResult, archived: Path) -> None:
    """A scan's searchable PDF/A copy beside its archived original, after staging:
    the draft never waits for it, and a failure is only logged."""
    if not pdfa.wanted(settings, result):
        return
    try:
        mixed = result.engine == "pdf-text-layer+tesseract"
        pdfa.make_pdfa_copy(archived, settings, result.pages or 1, mixed=mixed)
    except Exception as exc:  # never a document failure
        log.warning("PDF/A copy failed (%s)", type(exc).__name__)


def _finish(document: Document, status: str, error: str | None, destination: Path) -> None:
    """A document's last state change: its outcome, and where its original now lies."""
    document.status = status
    document.error = error
    document.processed_at = queue.now_utc()
    document.lease_owner = None
    document.lease_expires_at = None
    document.stored_path = str(destination)


def _note_landing(
    factory: sessionmaker[Session], document_id: int, planned: Path, landed: Path
) -> None:
    if landed != planned:  # a same-named file was already there: we never overwrite
        with transaction(factory) as session:
            document = session.get(Document, document_id)
            assert document is not None
            document.stored_path = str(landed)


def fail_document(
    factory: sessionmaker[Session],
    settings: Settings,
    document_id: int,
    reason: str,
    owner: str | None = None,
) -> Outcome:
    """Record why, move the original to quarantine with an `.error.json` beside it."""
    with transaction(factory) as session:
        document = session.get(Document, document_id, with_for_update=True)
        if document is None:
            raise LookupError(f"no document {document_id}")
        if owner is not None and document.lease_owner != owner:
            raise LeaseLost(f"document {document_id}: lease lost, failure not recorded")
        destination = quarantine_destination(
            settings.quarantine_dir, document.id, document.original_name
        )
        _finish(document, DocumentStatus.FAILED, reason, destination)
        record_event(session, "system", "failed", "document", document.id, {"reason": reason})
        spooled = Path(document.spool_path)
        sidecar = _sidecar(document)
    landed = move_file(spooled, destination)
    write_error_sidecar(landed, sidecar)
    _note_landing(factory, document_id, destination, landed)
    log.warning("document %s failed: %s", document_id, reason)
    return Outcome(document_id, DocumentStatus.FAILED, error=reason)


def _sidecar(document: Document) -> dict[str, object]:
    return {
        "document_id": document.id,
        "original_name": document.original_name,
        "sha256": document.sha256,
        "received_at": document.received_at,
        "failed_at": document.processed_at,
        "attempts": document.attempts,
        "reason": document.error,
    }


def retry_or_fail(
    factory: sessionmaker[Session], settings: Settings, claim: queue.Claim, reason: str
) -> Outcome:
    """Put the document back in the queue with the reason noted, or fail it when
    its attempts are spent."""
    if claim.attempts >= settings.max_attempts:
        reason = f"{reason} (after {claim.attempts} attempts)"
        return fail_document(factory, settings, claim.document_id, reason, claim.owner)
    with transaction(factory) as session:
        document = session.get(Document, claim.document_id, with_for_update=True)
        if document is None or document.lease_owner != claim.owner:
            raise LeaseLost(f"document {claim.document_id}: lease lost")
        document.status = DocumentStatus.QUEUED
        document.error = f"Attempt {claim.attempts} failed: {reason}"
        document.lease_owner = None
        document.lease_expires_at = None
    return Outcome(claim.document_id, DocumentStatus.QUEUED, error=reason)


def fail_exhausted(factory: sessionmaker[Session], settings: Settings) -> None:
    """Documents whose worker died on every allowed attempt: fail them, never loop."""
    for document_id in queue.exhausted(factory, settings):
        reason = (
            f"Processing did not finish after {settings.max_attempts} attempts "
            "(the worker stopped or crashed each time)."
        )
        fail_document(factory, settings, document_id, reason)


def recover_spool(factory: sessionmaker[Session], settings: Settings) -> int:
    """Finish what a crash interrupted: spool files with no row are registered; files
    of finished documents still in the spool are moved where their row says.
    Returns how many files were dealt with."""
    spool = queue.spool_dir(settings)
    if not spool.is_dir():
        return 0
    handled = 0
    for path in sorted(p for p in spool.iterdir() if p.is_file() and not p.name.startswith(".")):
        with factory() as session:
            document = session.scalar(select(Document).where(Document.spool_path == str(path)))
        if document is None:
            sha256, size = sha256_file(path)
            name = original_name_from_spool(path)
            queue.record_spooled(factory, settings, path, name, sha256, size)
        elif document.status in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING):
            continue
        else:
            try:
                landed = move_file(path, Path(document.stored_path))
            except FileNotFoundError:
                # Another process recovering the same spool (two `backfill --processes`
                # started together) moved it first and notes its landing.
                continue
            if document.status == DocumentStatus.FAILED:
                write_error_sidecar(landed, _sidecar(document))
            _note_landing(factory, document.id, Path(document.stored_path), landed)
        handled += 1
    return handled


class Worker(threading.Thread):
    """Claims and processes documents until stopped. On stop it finishes the
    document in hand (or, if `abandon` is set, gives it back to the queue)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        stop: threading.Event,
        *,
        idle_wait: float = 0.5,
        on_outcome: Callable[[Outcome], None] | None = None,
        only: queue.Batch | None = None,
        exit_when_idle: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.factory, self.settings, self.stop = factory, settings, stop
        self.idle_wait, self.on_outcome, self.only = idle_wait, on_outcome, only
        self.exit_when_idle = exit_when_idle
        self.wake = threading.Event()

    def run(self) -> None:
        owner = queue.worker_name()
        while not self.stop.is_set():
            try:
                fail_exhausted(self.factory, self.settings)
                claim = queue.claim(self.factory, self.settings, owner, self.only)
            except Exception:
                log.exception("worker %s: queue unavailable; retrying", self.name)
                self.stop.wait(5)
                continue
            if claim is None:
                if self.exit_when_idle:
                    return
                self.wake.wait(self.idle_wait)
                self.wake.clear()
                continue
            self._process(claim)

    def _process(self, claim: queue.Claim) -> None:
        try:
            outcome = process_document(self.factory, self.settings, claim)
        except LeaseLost as exc:
            log.warning("%s", exc)
            return
        except Exception as exc:
            log.error(
                "document %s: processing interrupted (%s)", claim.document_id, type(exc).__name__
            )
            log.debug("traceback", exc_info=True)
            reason = f"internal error ({type(exc).__name__})"
            try:
                outcome = retry_or_fail(self.factory, self.settings, claim, reason)
            except Exception:
                # The database itself is failing: the lease expires and the
                # document is retried, up to max_attempts.
                log.exception("document %s: could not record the failure", claim.document_id)
                return
        if self.on_outcome is not None and outcome.status != DocumentStatus.QUEUED:
            self.on_outcome(outcome)
