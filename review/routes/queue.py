"""The technicians' queue: pending drafts, oldest first, with filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from chartdrop.models import Document, DraftEntry, DraftState, Notice, Role
from chartdrop.review.drafts import age_text, field_value, recognition_confidence
from chartdrop.review.web import CurrentUser, factory_of, render, require

router = APIRouter()
QUEUE_LIMIT = 500


@router.get("/queue")
def queue_page(
    request: Request,
    user: Annotated[CurrentUser, Depends(require(Role.TECHNICIAN))],
    type: str = "",
    deficiency: str = "",
) -> Response:
    rows = []
    types: set[str] = set()
    deficiency_codes: set[str] = set()
    with factory_of(request)() as db:
        drafts = db.scalars(
            select(DraftEntry)
            .join(DraftEntry.document)
            .where(DraftEntry.state == DraftState.PENDING)
            .options(
                selectinload(DraftEntry.document).selectinload(Document.transcript),
                selectinload(DraftEntry.physician),
            )
            .order_by(Document.received_at, DraftEntry.id)
            .limit(QUEUE_LIMIT)
        ).all()
        for draft in drafts:
            doc_type = (draft.document_type or {}).get("value") or "unknown"
            codes = [d.get("code", "") for d in draft.deficiencies or []]
            types.add(doc_type)
            deficiency_codes.update(codes)
            if type and doc_type != type:
                continue
            if deficiency == "none" and codes:
                continue
            if deficiency == "any" and not codes:
                continue
            if deficiency not in ("", "none", "any") and deficiency not in codes:
                continue
            confidence = recognition_confidence(draft)
            rows.append(
                {
                    "id": draft.id,
                    "kind": draft.document.kind,
                    "type": doc_type,
                    "physician": draft.physician.display_name
                    if draft.physician
                    else field_value(draft, "provider") or "",
                    "age": age_text(draft.document.received_at),
                    "deficiencies": len(codes),
                    "confidence": confidence,
                    "type_confidence": (draft.document_type or {}).get("confidence"),
                }
            )
        replies = db.scalars(
            select(Notice).where(Notice.kind == "reply").order_by(Notice.id.desc()).limit(20)
        ).all()
        reply_rows = [
            {"draft_id": n.draft_id, "sender": n.sender, "at": n.created_at} for n in replies
        ]
    return render(
        request,
        "queue.html",
        {
            "rows": rows,
            "types": sorted(types),
            "deficiency_codes": sorted(deficiency_codes),
            "selected_type": type,
            "selected_deficiency": deficiency,
            "replies": reply_rows,
        },
    )
