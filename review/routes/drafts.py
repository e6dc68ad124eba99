"""The draft page (source beside extraction) and the technician's edits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from chartdrop.models import DraftEntry, DraftState, Role, User, record_event, transaction
from chartdrop.review import drafts as d
from chartdrop.review.accounts import match_physician
from chartdrop.review.web import CurrentUser, factory_of, flash, render, require

router = APIRouter()
Technician = Annotated[CurrentUser, Depends(require(Role.TECHNICIAN))]
TechnicianPost = Annotated[CurrentUser, Depends(require(Role.TECHNICIAN, csrf=True))]
MAX_TEXT = 200_000


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: int, user: Technician) -> Response:
    with transaction(factory_of(request)) as db:
        draft = d.get_draft(db, draft_id, user)
        record_event(db, user.username, "viewed", "draft", draft.id)
        if draft.physician_id is None and draft.state == DraftState.PENDING:
            matched = match_physician(db, d.field_value(draft, "provider"))
            if matched is not None:
                draft.physician_id = matched.id
                record_event(
                    db, "system", "physician_matched", "draft", draft.id, {"physician": matched.id}
                )
        candidates = d.patient_candidates(db, draft)
        for candidate in candidates:
            record_event(
                db,
                user.username,
                "viewed",
                "patient",
                candidate.patient_id,
                {"draft": draft.id, "as": "match"},
            )
        linked = draft.patient
        if linked is not None:
            record_event(db, user.username, "viewed", "patient", linked.id, {"draft": draft.id})
        context = _context(db, draft)
        context["candidates"] = candidates
        context["linked"] = linked
    return render(request, "draft.html", context)


def _context(db: Session, draft: DraftEntry) -> dict[str, Any]:
    transcript = draft.document.transcript
    source = d.source_view(draft)
    return {
        "draft": draft,
        "document": draft.document,
        "kind": draft.document.kind,
        "doc_type": (draft.document_type or {}).get("value") or "unknown",
        "fields": d.demographic_rows(draft),
        "problems": [(i, p) for i, p in enumerate(draft.problems or []) if d.is_charted(p)],
        "uncharted": [(i, p) for i, p in enumerate(draft.problems or []) if not d.is_charted(p)],
        "medications": draft.medications or [],
        "procedures": draft.procedures or [],
        "assertions": d.ASSERTIONS,
        "deficiencies": draft.deficiencies or [],
        "recognised_text": transcript.text if transcript else "",
        "text": d.current_text(draft),
        "source": source,
        "page_numbers": list(range(1, (source["page_count"] or 0) + 1)),
        "physicians": d.physicians(db),
        "physician": draft.physician,
        "notices": list(draft.notices),
        "editable": draft.state == DraftState.PENDING,
        "confidence": d.recognition_confidence(draft),
        "low": d.LOW_CONFIDENCE,
        "js_data": {
            "draftId": draft.id,
            "kind": draft.document.kind,
            "boxes": source["boxes"],
            "text": transcript.text if transcript else "",
        },
    }


def _edit(
    request: Request,
    draft_id: int,
    user: CurrentUser,
    what: str,
    change: Callable[[DraftEntry], dict[str, Any] | None],
    anchor: str = "",
) -> Response:
    """Run one edit on a pending draft in a transaction, with an audit event."""
    try:
        with transaction(factory_of(request)) as db:
            draft = d.pending(d.get_draft(db, draft_id, user))
            detail = change(draft)
            if detail is not None:
                draft.edited_by = user.username
                draft.edited_at = datetime.now(UTC)
                record_event(
                    db, user.username, "edited", "draft", draft.id, {"what": what, **detail}
                )
    except d.EditError as exc:
        flash(request, str(exc))
    return RedirectResponse(f"/drafts/{draft_id}{anchor}", status_code=303)


@router.post("/drafts/{draft_id}/demographics")
async def edit_demographics(request: Request, draft_id: int, user: TechnicianPost) -> Response:
    form = await request.form()
    values = {
        name: str(form.get(name, ""))[:128] for name, _ in d.FIELDS if form.get(name) is not None
    }

    def change(draft: DraftEntry) -> dict[str, Any] | None:
        changed = d.edit_demographics(draft, values, user.username)
        return {"fields": changed} if changed else None

    return _edit(request, draft_id, user, "demographics", change, "#demographics")


@router.post("/drafts/{draft_id}/text")
def edit_text(
    request: Request,
    draft_id: int,
    user: TechnicianPost,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        text_now = text.replace("\r\n", "\n")
        if text_now == d.current_text(draft):
            return None
        draft.text = text_now
        return {"chars": len(text_now)}

    return _edit(request, draft_id, user, "text", change, "#text")


@router.post("/drafts/{draft_id}/physician")
def set_physician(
    request: Request,
    draft_id: int,
    user: TechnicianPost,
    physician_id: Annotated[str, Form()] = "",
) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        chosen = int(physician_id) if physician_id.isdigit() else None
        if chosen is not None:
            db = Session.object_session(draft)
            target = db.get(User, chosen) if db else None
            if target is None or target.role != Role.PHYSICIAN or not target.active:
                raise d.EditError("Choose an active physician.")
        if chosen == draft.physician_id:
            return None
        draft.physician_id = chosen
        return {"physician": chosen}

    return _edit(request, draft_id, user, "physician", change, "#physician")


@router.post("/drafts/{draft_id}/problems/{index}/code")
def set_code(
    request: Request,
    draft_id: int,
    index: int,
    user: TechnicianPost,
    code: Annotated[str, Form(max_length=16)] = "",
    assertion: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        chosen = d.set_problem_code(draft, index, code, assertion or None, user.username)
        return {"problem": index, "code": chosen, "assertion": assertion or None}

    return _edit(request, draft_id, user, "problem_code", change, "#problems")


@router.post("/drafts/{draft_id}/problems/{index}/chart")
def chart_problem(request: Request, draft_id: int, index: int, user: TechnicianPost) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        d.chart_problem(draft, index, user.username)
        return {"problem": index, "charted": True}

    return _edit(request, draft_id, user, "problem_charted", change, "#problems")


@router.post("/drafts/{draft_id}/problems/{index}/also/drop")
def drop_additional_code(
    request: Request,
    draft_id: int,
    index: int,
    user: TechnicianPost,
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        d.drop_additional_code(draft, index, code)
        return {"problem": index, "dropped": code}

    return _edit(request, draft_id, user, "problem_code_dropped", change, "#problems")


@router.post("/drafts/{draft_id}/problems/{index}/remove")
def remove_problem(request: Request, draft_id: int, index: int, user: TechnicianPost) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        d.remove_problem(draft, index)
        return {"problem": index, "removed": True}

    return _edit(request, draft_id, user, "problem_removed", change, "#problems")


@router.post("/drafts/{draft_id}/problems")
def add_problem(
    request: Request,
    draft_id: int,
    user: TechnicianPost,
    text: Annotated[str, Form(max_length=200)] = "",
    assertion: Annotated[str, Form(max_length=16)] = "present",
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    def change(draft: DraftEntry) -> dict[str, Any] | None:
        d.add_problem(draft, text, assertion, code, user.username)
        added = draft.problems[-1]
        return {
            "problem": len(draft.problems) - 1,
            "code": (added.get("selected") or {}).get("code"),
        }

    return _edit(request, draft_id, user, "problem_added", change, "#problems")
