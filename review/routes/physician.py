"""The physician's view: their own dictations, each draft's state, the deficiency
notices sent to them, and their replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from chartdrop.models import DraftEntry, Notice, Role, record_event, transaction
from chartdrop.review import drafts as d
from chartdrop.review.web import CurrentUser, factory_of, flash, render, require

router = APIRouter()
Physician = Annotated[CurrentUser, Depends(require(Role.PHYSICIAN))]
PhysicianPost = Annotated[CurrentUser, Depends(require(Role.PHYSICIAN, csrf=True))]


@router.get("/mine")
def my_drafts(request: Request, user: Physician) -> Response:
    with transaction(factory_of(request)) as db:
        drafts = db.scalars(
            select(DraftEntry)
            .where(DraftEntry.physician_id == user.id)
            .options(selectinload(DraftEntry.document), selectinload(DraftEntry.notices))
            .order_by(DraftEntry.id.desc())
            .limit(500)
        ).all()
        rows = [
            {
                "id": draft.id,
                "state": draft.state,
                "type": (draft.document_type or {}).get("value") or "unknown",
                "received": draft.document.received_at,
                "age": d.age_text(draft.document.received_at),
                "deficiencies": draft.deficiencies or [],
                "notices": [n for n in draft.notices if n.kind == "deficiency"],
                "replied": any(n.kind == "reply" for n in draft.notices),
            }
            for draft in drafts
        ]
        record_event(
            db,
            user.username,
            "viewed",
            "physician_drafts",
            user.id,
            {"drafts": [r["id"] for r in rows][:100]},
        )
    notices = [r for r in rows if r["notices"]]
    return render(request, "mine.html", {"rows": rows, "notice_rows": notices})


@router.get("/mine/{draft_id}")
def my_draft(request: Request, draft_id: int, user: Physician) -> Response:
    with transaction(factory_of(request)) as db:
        draft = d.get_draft(db, draft_id, user)
        record_event(db, user.username, "viewed", "draft", draft.id)
        context = {
            "draft": draft,
            "doc_type": (draft.document_type or {}).get("value") or "unknown",
            "text": d.current_text(draft),
            "fields": d.demographic_rows(draft),
            "deficiencies": draft.deficiencies or [],
            "notices": list(draft.notices),
            "kind": draft.document.kind,
        }
    return render(request, "mine_draft.html", context)


@router.post("/mine/{draft_id}/reply")
def reply(
    request: Request,
    draft_id: int,
    user: PhysicianPost,
    body: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    if not body.strip():
        flash(request, "Write a reply first.")
        return RedirectResponse(f"/mine/{draft_id}", status_code=303)
    with transaction(factory_of(request)) as db:
        draft = d.get_draft(db, draft_id, user)
        notice = Notice(
            draft_id=draft.id,
            kind="reply",
            sender_id=user.id,
            sender=user.username,
            recipient_id=None,  # the technicians' desk
            body=body.strip(),
        )
        db.add(notice)
        db.flush()
        record_event(db, user.username, "replied", "draft", draft.id, {"notice": notice.id})
    flash(request, "Your reply was sent to the records desk.")
    return RedirectResponse(f"/mine/{draft_id}", status_code=303)
