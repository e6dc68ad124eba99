"""A chart entry as the builders see it: a plain snapshot of a draft, its document,
patient and people, taken inside a session so the FHIR and HL7 builders stay pure."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from chartdrop.models.entities import DraftEntry, DraftState
from chartdrop.models.views import is_charted

CONTENT_TYPES = {"text": "text/plain", "pdf": "application/pdf"}


@dataclass(frozen=True)
class Person:
    """A patient's or a practitioner's identifying details."""

    key: str  # MRN for a patient, username (or dictated name) for a practitioner
    family: str | None = None
    given: str | None = None
    text: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    is_mrn: bool = True  # False: `key` is chartdrop's own patient id (no MRN known)


@dataclass(frozen=True)
class Problem:
    text: str
    assertion: str
    code: str | None
    description: str | None


@dataclass(frozen=True)
class ChartEntry:
    draft_id: int
    document_id: int
    approved: bool
    text: str
    patient: Person
    patient_id: int | None
    provider: Person | None
    reviewer: str | None
    reviewed_at: datetime | None
    received_at: datetime
    date_of_service: str | None
    document_type: str | None
    content_type: str
    original_name: str
    original_sha1: bytes | None
    original_size: int | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def when(self) -> datetime:
        """The entry's time: approval, else receipt."""
        return _aware(self.reviewed_at or self.received_at)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _value(draft: DraftEntry, name: str) -> str | None:
    field_ = (draft.demographics or {}).get(name)
    value = field_.get("value") if isinstance(field_, dict) else None
    return str(value) if value not in (None, "") else None


def _sha1(path: Path) -> tuple[bytes | None, int | None]:
    if not path.is_file():
        return None, None
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest(), path.stat().st_size


def content_type(kind: str | None, name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or CONTENT_TYPES.get(kind or "", "application/octet-stream")


def _problems(draft: DraftEntry) -> list[Problem]:
    out = []
    for problem in draft.problems or []:
        if problem.get("removed") or not is_charted(problem):
            continue
        selected = problem.get("selected") or {}
        suggestions = problem.get("icd10cm") or []
        code = selected.get("code") or (suggestions[0]["code"] if suggestions else None)
        description = selected.get("description") or (
            suggestions[0].get("description") if suggestions else None
        )
        text = str(problem.get("text") or "")
        assertion = str(problem.get("assertion") or "present")
        out.append(Problem(text=text, assertion=assertion, code=code, description=description))
        # The codes charted with the first ("diabetic gastroparesis": E11.43 and K31.84) are
        # each a Condition, a DG1 segment, of the same words.
        for extra in problem.get("also") or []:
            if extra.get("code") and extra.get("code") != code:
                out.append(
                    Problem(
                        text=text,
                        assertion=assertion,
                        code=extra["code"],
                        description=extra.get("description"),
                    )
                )
    return out


def snapshot(draft: DraftEntry) -> ChartEntry:
    """The entry for `draft` (read its relationships inside the caller's session)."""
    document = draft.document
    transcript = document.transcript
    text = draft.text if draft.text is not None else (transcript.text if transcript else "")
    patient = draft.patient
    if patient is not None:
        person = Person(
            key=patient.mrn or f"patient-{patient.id}",
            is_mrn=bool(patient.mrn),
            family=patient.last_name,
            given=patient.first_name,
            birth_date=patient.date_of_birth,
            sex=patient.sex,
        )
    else:
        person = Person(
            key=_value(draft, "mrn") or f"draft-{draft.id}",
            is_mrn=bool(_value(draft, "mrn")),
            family=_value(draft, "last_name"),
            given=_value(draft, "first_name"),
            birth_date=_value(draft, "date_of_birth"),
            sex=_value(draft, "sex"),
        )
    provider = None
    if draft.physician is not None:
        provider = Person(key=draft.physician.username, text=draft.physician.display_name)
    elif _value(draft, "provider"):
        provider = Person(
            key=f"dictated:{_value(draft, 'provider')}", text=_value(draft, "provider")
        )
    sha1, size = _sha1(Path(document.stored_path))
    return ChartEntry(
        draft_id=draft.id,
        document_id=document.id,
        approved=draft.state == DraftState.APPROVED,
        text=text or "",
        patient=person,
        patient_id=draft.patient_id,
        provider=provider,
        reviewer=draft.reviewer,
        reviewed_at=draft.reviewed_at,
        received_at=document.received_at,
        date_of_service=_value(draft, "date_of_service"),
        document_type=(draft.document_type or {}).get("value"),
        content_type=content_type(document.kind, document.original_name),
        original_name=document.original_name,
        original_sha1=sha1,
        original_size=size,
        problems=_problems(draft),
    )
