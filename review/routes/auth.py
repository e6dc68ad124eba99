"""Login, logout, and the home page that sends each role to its own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from chartdrop.models import Role, User, record_event, transaction
from chartdrop.review.security import LoginLimiter, verify_password
from chartdrop.review.web import (
    CurrentUser,
    check_csrf,
    client_address,
    end_session,
    factory_of,
    render,
    require,
    start_session,
)

router = APIRouter()

HOME = {Role.TECHNICIAN: "/queue", Role.PHYSICIAN: "/mine", Role.ADMIN: "/admin/users"}


@router.get("/")
def home(user: Annotated[CurrentUser, Depends(require())]) -> Response:
    return RedirectResponse(HOME.get(Role(user.role), "/login"), status_code=303)


@router.get("/login")
def login_page(request: Request, expired: int = 0) -> Response:
    message = "You were logged off after a period of inactivity." if expired else None
    return render(request, "login.html", {"message": message})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    limiter: LoginLimiter = request.app.state.limiter
    address = client_address(request)
    username = username.strip()
    factory = factory_of(request)
    if limiter.blocked(username, address):
        with transaction(factory) as db:
            record_event(db, "unknown", "login_refused", "user", None, {"reason": "rate limit"})
        return render(
            request,
            "login.html",
            {"error": "Too many failed attempts. Wait a few minutes and try again."},
            status_code=429,
        )
    with transaction(factory) as db:
        user = db.scalar(select(User).where(func.lower(User.username) == username.lower()))
        ok = verify_password(user.password_hash if user else None, password)
        if user is not None and ok and user.active:
            record_event(db, user.username, "login", "user", user.id, {"address": address})
            start_session(request, user)
            limiter.succeeded(username, address)
            return RedirectResponse("/", status_code=303)
        # The typed name is recorded only when it is a real account: a password typed
        # into the username box must not land in the audit log.
        reason = "unknown user" if user is None else "inactive" if ok else "wrong password"
        record_event(
            db,
            user.username if user else "unknown",
            "login_failed",
            "user",
            user.id if user else None,
            {"reason": reason, "address": address},
        )
    limiter.failed(username, address)
    return render(request, "login.html", {"error": "Wrong username or password."}, status_code=401)


@router.post("/logout")
def logout(request: Request, user: Annotated[CurrentUser, Depends(require(csrf=True))]) -> Response:
    with transaction(factory_of(request)) as db:
        account = db.get(User, user.id)
        if account is not None:
            account.session_epoch += 1  # this cookie, and any copy of it, is void now
        record_event(db, user.username, "logout", "user", user.id)
    end_session(request)
    return RedirectResponse("/login", status_code=303)
