"""A draft's review transitions: approve (links or creates the Patient) and reject."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chartdrop.models.database import record_event
from chartdrop.models.entities import DraftEntry, DraftState, Patient


class ReviewError(ValueError):
    """The draft cannot make this transition (missing, already reviewed, ...)."""


def _pending(session: Session, draft_id: int) -> DraftEntry:
    draft = session.get(DraftEntry, draft_id, with_for_update=True)
    if draft is None:
        raise ReviewError(f"There is no draft {draft_id}.")
    if draft.state != DraftState.PENDING:
        raise ReviewError(f"Draft {draft_id} is already {draft.state}.")
    return draft


def _value(draft: DraftEntry, name: str) -> str | None:
    field = (draft.demographics or {}).get(name)
    return field.get("value") if isinstance(field, dict) else None


def link_patient(session: Session, draft: DraftEntry) -> Patient:
    """The patient this draft is about when the technician has not chosen one.

    chart.matching ranks the candidates. Linked without asking: the one candidate with
    the same MRN and the same date of birth, or the same MRN when the draft has no date
    of birth (the MRN is the hospital's identifier). Any other candidate — a name and
    birth-date match, a nickname, a typo, the same MRN with another birth date — is the
    technician's decision: ReviewError asks them to choose. No candidate: a new patient.
    """
    from chartdrop.chart.matching import auto_link_candidate, match_candidates

    candidates = match_candidates(session, draft.demographics or {})
    chosen = auto_link_candidate(candidates)
    mrn, dob = _value(draft, "mrn"), _value(draft, "date_of_birth")
    if chosen is None and mrn and not dob:
        chosen = next((c for c in candidates if c.patient and c.patient.mrn == mrn), None)
    if chosen is not None:
        patient = session.get(Patient, chosen.patient_id)
        assert patient is not None
        return patient
    if candidates:
        ids = ", ".join(f"#{c.patient_id} ({c.score:.2f})" for c in candidates[:5])
        raise ReviewError(
            f"Draft {draft.id} may be about an existing patient ({ids}): choose the "
            "patient to link, or choose to create a new one."
        )
    return new_patient(session, draft)


def new_patient(session: Session, draft: DraftEntry) -> Patient:
    """A new patient from the draft's demographics (the technician chose to create one)."""
    mrn = _value(draft, "mrn")
    if mrn and session.scalar(select(Patient.id).where(Patient.mrn == mrn)) is not None:
        raise ReviewError("A patient with this MRN exists already: link the draft to them.")
    patient = Patient(
        mrn=mrn,
        first_name=_value(draft, "first_name"),
        last_name=_value(draft, "last_name"),
        date_of_birth=_value(draft, "date_of_birth"),
        sex=_value(draft, "sex"),
    )
    session.add(patient)
    session.flush()
    record_event(session, "system", "patient_created", "patient", patient.id)
    return patient


def approve_draft(
    session: Session,
    draft_id: int,
    reviewer: str,
    patient_id: int | None = None,
    create_patient: bool = False,
) -> DraftEntry:
    """Approve in the caller's transaction: patient linked, reviewer and time recorded.
    The patient is `patient_id` when given, a new one for `create_patient`, else the
    one `link_patient` finds or creates."""
    draft = _pending(session, draft_id)
    if patient_id is not None:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise ReviewError(f"There is no patient {patient_id}.")
    elif create_patient:
        patient = new_patient(session, draft)
    else:
        patient = link_patient(session, draft)
    draft.patient_id = patient.id
    draft.state = DraftState.APPROVED
    draft.reviewer = reviewer
    draft.reviewed_at = datetime.now(UTC)
    record_event(session, reviewer, "approved", "draft", draft.id, {"patient": patient.id})
    return draft


def reject_draft(session: Session, draft_id: int, reviewer: str, reason: str) -> DraftEntry:
    if not reason.strip():
        raise ReviewError("A rejection needs a reason for the physician.")
    draft = _pending(session, draft_id)
    draft.state = DraftState.REJECTED
    draft.reviewer = reviewer
    draft.reviewed_at = datetime.now(UTC)
    draft.reason = reason.strip()
    record_event(session, reviewer, "rejected", "draft", draft.id)
    return draft
