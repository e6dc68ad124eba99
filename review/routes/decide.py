"""Approve (patient linked or created, problems confirmed) and reject (a deficiency
notice to the dictating physician). Each is one transaction with its audit events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from chartdrop.chart.export import export_after_approval, queue_on_approval
from chartdrop.models import Notice, Role, record_event, transaction
from chartdrop.models.review import ReviewError, approve_draft, reject_draft
from chartdrop.review import drafts as d
from chartdrop.review.accounts import match_physician
from chartdrop.review.web import CurrentUser, factory_of, flash, require, settings_of

router = APIRouter()
TechnicianPost = Annotated[CurrentUser, Depends(require(Role.TECHNICIAN, csrf=True))]


@router.post("/drafts/{draft_id}/approve")
def approve(
    request: Request,
    draft_id: int,
    user: TechnicianPost,
    background: BackgroundTasks,
    patient: Annotated[str, Form(max_length=32)] = "auto",
) -> Response:
    """`patient` is "auto" (chart.matching: only an exact MRN and birth date links
    without asking), "new", or the id of an existing patient. The approved entry's
    exports are queued in the same transaction and sent after the response."""
    try:
        with transaction(factory_of(request)) as db:
            draft = d.pending(d.get_draft(db, draft_id, user))
            d.confirm_problems(draft, user.username)
            approve_draft(
                db,
                draft.id,
                user.username,
                patient_id=int(patient) if patient.isdigit() else None,
                create_patient=patient == "new",
            )
            problem = queue_on_approval(db, settings_of(request), draft.id)
    except (ReviewError, d.EditError) as exc:
        flash(request, str(exc))
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)
    background.add_task(
        export_after_approval, factory_of(request), settings_of(request), draft_id, user.username
    )
    flash(request, f"Draft {draft_id} approved." + (f" Not exported: {problem}" if problem else ""))
    return RedirectResponse("/queue", status_code=303)


@router.post("/drafts/{draft_id}/reject")
def reject(
    request: Request,
    draft_id: int,
    user: TechnicianPost,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        with transaction(factory_of(request)) as db:
            draft = d.get_draft(db, draft_id, user)
            if draft.physician_id is None:
                matched = match_physician(db, d.field_value(draft, "provider"))
                draft.physician_id = matched.id if matched else None
            reject_draft(db, draft.id, user.username, reason)
            if draft.physician_id is not None:
                notice = Notice(
                    draft_id=draft.id,
                    kind="deficiency",
                    sender_id=user.id,
                    sender=user.username,
                    recipient_id=draft.physician_id,
                    body=reason.strip(),
                )
                db.add(notice)
                db.flush()
                record_event(
                    db,
                    user.username,
                    "notice_sent",
                    "draft",
                    draft.id,
                    {"notice": notice.id, "recipient": draft.physician_id},
                )
                message = f"Draft {draft_id} rejected; the physician has been notified."
            else:
                message = (
                    f"Draft {draft_id} rejected. No physician account matches its provider, "
                    "so no notice could be sent."
                )
    except ReviewError as exc:
        flash(request, str(exc))
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)
    flash(request, message)
    return RedirectResponse("/queue", status_code=303)
