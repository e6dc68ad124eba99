"""Logging in and out: audit events, the rate limit, idle log-off, cookie flags."""

from __future__ import annotations

import stat

from fastapi.testclient import TestClient
from sqlalchemy import select

from chartdrop.models import AuditEvent
from chartdrop.review.security import SESSION_COOKIE, secret_key
from tests.review.conftest import PASSWORD, Desk, csrf_of, logged_in, login, make_desk


def _events(desk: Desk) -> list[AuditEvent]:
    with desk.factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_login_and_failures_are_audited_without_the_password(desk_any_db: Desk) -> None:
    desk = desk_any_db
    with desk.app_client() as client:
        assert login(client, "tech1", "not the password").status_code == 401
        assert login(client, "no-such-user", PASSWORD).status_code == 401
        response = login(client, "tech1")
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert client.get("/", follow_redirects=False).headers["location"] == "/queue"
    events = [(e.actor, e.action, e.detail.get("reason")) for e in _events(desk)]
    assert ("tech1", "login_failed", "wrong password") in events
    assert ("unknown", "login_failed", "unknown user") in events
    assert ("tech1", "login", None) in events
    everything = repr([(e.actor, e.detail) for e in _events(desk)])
    assert PASSWORD not in everything and "not the password" not in everything
    assert "no-such-user" not in everything


def test_login_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "tech1", "password": PASSWORD})
    assert response.status_code == 403


def test_login_is_rate_limited_per_username_and_address(client: TestClient) -> None:
    for _ in range(5):
        assert login(client, "tech1", "wrong password!").status_code == 401
    # Even the right password is refused while the limit holds.
    response = login(client, "tech1")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    # Another account from the same address is not locked out by tech1's failures.
    assert login(client, "grant").status_code == 303


def test_rate_limit_ages_out(client: TestClient) -> None:
    limiter = client.app.state.limiter  # type: ignore[attr-defined]
    limiter.window_s = 0.0
    for _ in range(6):
        login(client, "tech1", "wrong password!")
    assert login(client, "tech1").status_code == 303


def test_idle_session_is_logged_off(tmp_path, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(tmp_path, sqlite_url, session_idle_minutes=0.0005)  # 30 ms
    with desk.app_client() as client:
        logged_in(client, "tech1")
        import time

        time.sleep(0.1)
        response = client.get("/queue")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?expired=1"
        assert "inactivity" in client.get("/login?expired=1").text
        # and the old session does not come back
        assert client.get("/queue").headers["location"] == "/login"


def test_activity_keeps_the_session_alive(client: TestClient) -> None:
    logged_in(client, "tech1")
    for _ in range(3):
        assert client.get("/queue").status_code == 200


def test_logout_voids_the_cookie_even_when_replayed(client: TestClient) -> None:
    logged_in(client, "tech1")
    stolen = client.cookies.get(SESSION_COOKIE)
    token = csrf_of(client, "/queue")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/queue").status_code == 303


def test_deactivated_user_is_logged_off_and_cannot_log_in(desk: Desk) -> None:
    with desk.app_client() as admin, desk.app_client() as tech:
        logged_in(tech, "tech1")
        logged_in(admin, "admin1")
        token = csrf_of(admin, "/admin/users")
        uid = desk.users["tech1"]
        admin.post(f"/admin/users/{uid}/active", data={"active": "0", "csrf_token": token})
        assert tech.get("/queue").status_code == 303
        assert login(tech, "tech1").status_code == 401


def test_tampered_cookie_is_ignored(client: TestClient) -> None:
    logged_in(client, "tech1")
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie[:-3] + ("AAA" if cookie[-3:] != "AAA" else "BBB"))
    assert client.get("/queue").status_code == 303


def test_cookie_is_httponly_samesite_and_secure_only_over_https(desk: Desk) -> None:
    with desk.app_client() as client:
        header = client.get("/login").headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header and "secure" not in header
    with TestClient(client.app, base_url="https://testserver") as secure:
        header = secure.get("/login").headers["set-cookie"].lower()
        assert "httponly" in header and "secure" in header


def test_pages_are_not_cached_and_scripts_are_restricted(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert headers["cache-control"] == "no-store"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_static_files_need_no_login(client: TestClient) -> None:
    assert client.get("/static/review.js").status_code == 200
    assert client.get("/static/review.css").status_code == 200


def test_secret_key_is_generated_once_with_owner_only_permissions(desk: Desk) -> None:
    key = secret_key(desk.settings)
    path = desk.settings.data_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(desk.settings) == key and len(key) >= 40
    assert secret_key(desk.settings.with_(secret_key="configured")) == "configured"
