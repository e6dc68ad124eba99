"""Administration: users (list, add, deactivate, reactivate) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from chartdrop.models import AuditEvent, Role, User, record_event, transaction
from chartdrop.models.database import verify_audit_chain
from chartdrop.review.accounts import AccountError, create_user, set_active
from chartdrop.review.web import CurrentUser, factory_of, flash, render, require

router = APIRouter()
Admin = Annotated[CurrentUser, Depends(require(Role.ADMIN))]
AdminPost = Annotated[CurrentUser, Depends(require(Role.ADMIN, csrf=True))]
AUDIT_PAGE = 100


@router.get("/admin/users")
def users_page(request: Request, user: Admin) -> Response:
    with factory_of(request)() as db:
        users = db.scalars(select(User).order_by(User.username)).all()
    return render(request, "admin_users.html", {"users": users, "roles": [r.value for r in Role]})


@router.post("/admin/users")
def add_user(
    request: Request,
    user: AdminPost,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=128)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        with transaction(factory_of(request)) as db:
            create_user(db, username.strip(), password, role, display_name, actor=user.username)
        flash(request, f"User {username.strip()} added.")
    except AccountError as exc:
        flash(request, str(exc))
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_user_active(
    request: Request,
    user_id: int,
    user: AdminPost,
    active: Annotated[str, Form(max_length=8)] = "0",
) -> Response:
    if user_id == user.id and active != "1":
        flash(request, "You cannot deactivate your own account.")
        return RedirectResponse("/admin/users", status_code=303)
    try:
        with transaction(factory_of(request)) as db:
            target = set_active(db, user_id, active == "1", user.username)
            flash(
                request,
                f"User {target.username} {'reactivated' if target.active else 'deactivated'}.",
            )
    except AccountError as exc:
        flash(request, str(exc))
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit")
def audit_page(request: Request, user: Admin, before: int = 0) -> Response:
    with transaction(factory_of(request)) as db:
        problems = verify_audit_chain(db)
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)
        if before > 0:
            query = query.where(AuditEvent.id < before)
        events = db.scalars(query).all()
        record_event(db, user.username, "viewed", "audit_log", None, {"before": before or None})
    older = events[-1].id if len(events) == AUDIT_PAGE else None
    return render(
        request, "admin_audit.html", {"events": events, "problems": problems, "older": older}
    )
