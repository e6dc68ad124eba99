"""Request plumbing shared by the routes: the signed-cookie session, the logged-in
user and role checks, CSRF checks, and template rendering (always autoescaped)."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.models import User
from chartdrop.review.security import csrf_matches, new_csrf_token
from chartdrop.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


class NotAuthenticated(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(Exception):
    """Logged in, but this role may not do this, or the CSRF token is wrong: 403."""


class NotFound(Exception):
    """No such thing, or not one this user may see: 404 (the same answer for both)."""


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user, detached from any database session."""

    id: int
    username: str
    display_name: str
    role: str


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"], default=True),
    )
    return Jinja2Templates(env=env)


def session_of(request: Request) -> dict[str, Any]:
    session: dict[str, Any] = request.state.session
    if "csrf" not in session:
        session["csrf"] = new_csrf_token()
        request.state.session_dirty = True
    return session


def factory_of(request: Request) -> sessionmaker[Session]:
    return request.app.state.factory  # type: ignore[no-any-return]


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def start_session(request: Request, user: User) -> None:
    """A fresh session for `user` (new CSRF token: no fixation from before login)."""
    now = time.time()
    request.state.session = {
        "uid": user.id,
        "epoch": user.session_epoch,
        "csrf": new_csrf_token(),
        "seen": now,
        "login": now,
    }
    request.state.session_dirty = True


def end_session(request: Request) -> None:
    request.state.session = {"csrf": new_csrf_token()}
    request.state.session_dirty = True


def _load_user(request: Request) -> CurrentUser:
    session = session_of(request)
    uid = session.get("uid")
    if not isinstance(uid, int):
        raise NotAuthenticated()
    idle_s = settings_of(request).session_idle_minutes * 60
    if time.time() - float(session.get("seen", 0)) > idle_s:
        end_session(request)
        raise NotAuthenticated("idle")
    with factory_of(request)() as db:
        user = db.get(User, uid)
        if user is None or not user.active or user.session_epoch != session.get("epoch"):
            end_session(request)
            raise NotAuthenticated()
        current = CurrentUser(user.id, user.username, user.display_name, user.role)
    session["seen"] = time.time()
    request.state.session_dirty = True
    request.state.user = current
    return current


def check_csrf(request: Request, given: str | None) -> None:
    if not csrf_matches(session_of(request).get("csrf"), given):
        raise Forbidden("The form has expired or did not come from this site. Reload and retry.")


def require(
    *roles: str, csrf: bool = False
) -> Callable[[Request], Coroutine[Any, Any, CurrentUser]]:
    """A dependency: the logged-in user, who must have one of `roles`; for `csrf`,
    the request must carry the session's CSRF token (form field or X-CSRF-Token)."""

    async def dependency(request: Request) -> CurrentUser:
        user = _load_user(request)
        if roles and user.role not in roles:
            raise Forbidden("Your role does not allow this.")
        if csrf:
            given = request.headers.get("x-csrf-token")
            if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form = await request.form()
                value = form.get("csrf_token")
                given = value if isinstance(value, str) else None
            check_csrf(request, given)
        return user

    return dependency


def flash(request: Request, message: str) -> None:
    """A one-time message for the next page (no patient details: it rides in the cookie)."""
    request.state.session["flash"] = message
    request.state.session_dirty = True


def take_flash(request: Request) -> str | None:
    message = request.state.session.pop("flash", None)
    if message:
        request.state.session_dirty = True
    return message if isinstance(message, str) else None


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    values = {
        "user": getattr(request.state, "user", None),
        "csrf_token": session_of(request)["csrf"],
        "flash": take_flash(request),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)
