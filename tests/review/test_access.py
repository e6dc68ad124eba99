"""Every route of the review desk: login required, role checks, CSRF checks. The
table below must list every route the app has (the first test checks that)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from chartdrop.models import DraftEntry, DraftState
from chartdrop.review.app import ROUTERS
from tests.review.conftest import Desk, csrf_of, logged_in

TECH, DOC, ADMIN = "technician", "physician", "admin"
ANY = (TECH, DOC, ADMIN)
USER_OF = {TECH: "tech1", DOC: "grant", ADMIN: "admin1"}
PROBLEM = {"code": "I10", "assertion": "present"}
# method, path ({d}: a draft of grant's, {u}: sattler's user id), roles, form data
ROUTES: list[tuple[str, str, tuple[str, ...], dict[str, Any] | None]] = [
    ("GET", "/", ANY, None),
    ("GET", "/queue", (TECH,), None),
    ("GET", "/drafts/{d}", (TECH,), None),
    ("GET", "/drafts/{d}/source", (TECH, DOC), None),
    ("GET", "/drafts/{d}/pages/{page}", (TECH, DOC), None),
    ("POST", "/drafts/{d}/demographics", (TECH,), {"mrn": "447220"}),
    ("POST", "/drafts/{d}/text", (TECH,), {"text": "corrected"}),
    ("POST", "/drafts/{d}/physician", (TECH,), {"physician_id": ""}),
    ("POST", "/drafts/{d}/problems/{index}/code", (TECH,), PROBLEM),
    ("POST", "/drafts/{d}/problems/{index}/chart", (TECH,), {}),
    ("POST", "/drafts/{d}/problems/{index}/also/drop", (TECH,), {"code": "K31.84"}),
    ("POST", "/drafts/{d}/problems/{index}/remove", (TECH,), {}),
    ("POST", "/drafts/{d}/problems", (TECH,), {"text": "asthma", "assertion": "present"}),
    ("POST", "/drafts/{d}/approve", (TECH,), {"patient": "auto"}),
    ("POST", "/drafts/{d}/reject", (TECH,), {"reason": "Please state the MRN."}),
    ("POST", "/api/codes/search", (TECH,), None),
    ("GET", "/mine", (DOC,), None),
    ("GET", "/mine/{d}", (DOC,), None),
    ("POST", "/mine/{d}/reply", (DOC,), {"body": "Will re-dictate."}),
    ("GET", "/admin/users", (ADMIN,), None),
    ("POST", "/admin/users", (ADMIN,), {"username": "x1", "role": TECH, "password": "p" * 12}),
    ("POST", "/admin/users/{u}/active", (ADMIN,), {"active": "0"}),
    ("GET", "/admin/audit", (ADMIN,), None),
    ("GET", "/exports", (TECH, ADMIN), None),
    ("POST", "/exports/retry", (TECH, ADMIN), {"export_id": "all"}),
    ("POST", "/logout", ANY, {}),
]
IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]


@pytest.fixture
def draft_id(desk: Desk) -> int:
    draft_id = desk.draft_from_text()
    with desk.factory.begin() as session:
        draft = session.get(DraftEntry, draft_id)
        assert draft is not None
        draft.physician_id = desk.users["grant"]
    return draft_id


def _path(template: str, desk: Desk, draft_id: int) -> str:
    return template.format(d=draft_id, u=desk.users["sattler"], index=0, page=1)


def _send(
    client: TestClient, method: str, path: str, data: dict[str, Any] | None, token: str | None
) -> Any:
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        headers = {"X-CSRF-Token": token} if token is not None else {}
        return client.post(path, json={"q": "hypertension"}, headers=headers)
    form = dict(data or {})
    if token is not None:
        form["csrf_token"] = token
    return client.post(path, data=form)


def test_the_table_lists_every_route() -> None:
    routes = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    listed = {
        (m, p.replace("{d}", "{draft_id}").replace("{u}", "{user_id}")) for m, p, *_ in ROUTES
    }
    public = {("GET", "/login"), ("POST", "/login")}  # tested in test_auth.py
    assert routes == listed | public


@pytest.mark.parametrize(("method", "template", "roles", "data"), ROUTES, ids=IDS)
def test_without_login_pages_redirect_and_the_api_says_401(
    desk: Desk,
    client: TestClient,
    draft_id: int,
    method: str,
    template: str,
    roles: tuple[str, ...],
    data: dict[str, Any] | None,
) -> None:
    path = _path(template, desk, draft_id)
    response = _send(client, method, path, data, csrf_of(client))
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
    with desk.factory() as session:
        assert session.get(DraftEntry, draft_id).state == DraftState.PENDING  # type: ignore[union-attr]


@pytest.mark.parametrize(("method", "template", "roles", "data"), ROUTES, ids=IDS)
def test_other_roles_get_403(
    desk: Desk,
    client: TestClient,
    draft_id: int,
    method: str,
    template: str,
    roles: tuple[str, ...],
    data: dict[str, Any] | None,
) -> None:
    path = _path(template, desk, draft_id)
    others = [role for role in ANY if role not in roles]
    for role in others:
        client.cookies.clear()
        logged_in(client, USER_OF[role])
        response = _send(client, method, path, data, csrf_of(client))
        assert response.status_code == 403, (role, response.text[:200])


@pytest.mark.parametrize(
    ("method", "template", "roles", "data"),
    [r for r in ROUTES if r[0] == "POST"],
    ids=[i for i, r in zip(IDS, ROUTES, strict=True) if r[0] == "POST"],
)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_the_csrf_token_get_403(
    desk: Desk,
    client: TestClient,
    draft_id: int,
    method: str,
    template: str,
    roles: tuple[str, ...],
    data: dict[str, Any] | None,
    token: str | None,
) -> None:
    logged_in(client, USER_OF[roles[0]])
    response = _send(client, method, _path(template, desk, draft_id), data, token)
    assert response.status_code == 403
    with desk.factory() as session:
        draft = session.get(DraftEntry, draft_id)
        assert draft is not None and draft.state == DraftState.PENDING
        assert draft.text is None and draft.edited_by is None


EXPECTED = {
    "GET /": 303,
    "GET /drafts/{d}/pages/{page}": 404,  # a typed note has no page images
    "POST /api/codes/search": 200,
}


@pytest.mark.parametrize(("method", "template", "roles", "data"), ROUTES, ids=IDS)
def test_the_right_role_gets_through(
    desk: Desk,
    client: TestClient,
    draft_id: int,
    method: str,
    template: str,
    roles: tuple[str, ...],
    data: dict[str, Any] | None,
) -> None:
    for role in roles:
        client.cookies.clear()
        logged_in(client, USER_OF[role])
        response = _send(client, method, _path(template, desk, draft_id), data, csrf_of(client))
        expected = EXPECTED.get(f"{method} {template}", 303 if method == "POST" else 200)
        assert response.status_code == expected, (role, response.text[:300])
