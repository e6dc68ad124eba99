"""Exports that are stuck (pending or failed) with their reason, and a retry button.
Technicians and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from chartdrop.chart.export import retry_exports, stuck_exports
from chartdrop.models import Role, record_event, transaction
from chartdrop.review.web import CurrentUser, factory_of, flash, render, require, settings_of

router = APIRouter()
Staff = Annotated[CurrentUser, Depends(require(Role.TECHNICIAN, Role.ADMIN))]
StaffPost = Annotated[CurrentUser, Depends(require(Role.TECHNICIAN, Role.ADMIN, csrf=True))]


@router.get("/exports")
def exports_page(request: Request, user: Staff) -> Response:
    with transaction(factory_of(request)) as db:
        records = stuck_exports(db)
        rows = [
            {
                "id": r.id,
                "draft_id": r.draft_id,
                "destination": r.destination,
                "format": r.format,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "updated_at": r.updated_at,
            }
            for r in records
        ]
        record_event(db, user.username, "viewed", "exports", None, {"stuck": len(rows)})
    settings = settings_of(request)
    return render(
        request,
        "exports.html",
        {"rows": rows, "destinations": settings.destinations, "max": settings.export_max_attempts},
    )


@router.post("/exports/retry")
def retry(
    request: Request,
    user: StaffPost,
    export_id: Annotated[str, Form(max_length=16)] = "all",
) -> Response:
    """Retry one export (`export_id`) or every stuck one ("all"), even those out of
    automatic attempts: a person asked."""
    ids = [int(export_id)] if export_id.isdigit() else None
    results = retry_exports(
        factory_of(request), settings_of(request), user.username, record_ids=ids, force=True
    )
    sent = sum(1 for r in results if r.error is None)
    if not results:
        flash(request, "Nothing to retry.")
    elif sent == len(results):
        flash(request, f"{sent} of {len(results)} export(s) sent.")
    else:
        flash(request, f"{sent} of {len(results)} export(s) sent; the rest are still failing.")
    return RedirectResponse("/exports", status_code=303)
