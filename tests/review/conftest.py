"""Fixtures for the review desk: a migrated database with one user per role, drafts
made by the real pipeline, and a TestClient that can log in and find CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from chartdrop.ingest import process_files
from chartdrop.models import Document, make_engine, session_factory, transaction
from chartdrop.review import create_app
from chartdrop.review.accounts import create_user
from chartdrop.settings import Settings
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
NOTE = (
    "PROGRESS NOTE\n"
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\n"
    "Dictated by: Dr. Alan Grant\n"
    "ASSESSMENT: Hypertension. Denies chest pain.\n"
)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Desk:
    settings: Settings
    factory: sessionmaker[Session]
    root: Path
    users: dict[str, int]

    def app_client(self) -> TestClient:
        return TestClient(create_app(self.settings), follow_redirects=False)

    def draft_from_text(self, text: str = NOTE, name: str = "note.txt") -> int:
        path = self.root / "notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return self.draft_from_file(path)

    def draft_from_file(self, path: Path) -> int:
        report = process_files(self.factory, self.settings, [path])
        document_id = report.document_ids[path]
        with self.factory() as session:
            document = session.get(Document, document_id)
            assert document is not None and document.draft is not None, document
            return document.draft.id


def make_desk(tmp_path: Path, url: str, **overrides: Any) -> Desk:
    settings = make_settings(tmp_path, url, **overrides)
    factory = session_factory(make_engine(settings.sqlalchemy_url))
    users = {}
    with transaction(factory) as session:
        for username, role, name in (
            ("tech1", "technician", "Terry Tech"),
            ("grant", "physician", "Dr. Alan Grant"),
            ("sattler", "physician", "Dr. Ellie Sattler"),
            ("admin1", "admin", "Ada Admin"),
        ):
            users[username] = create_user(session, username, PASSWORD, role, name).id
    return Desk(settings, factory, tmp_path, users)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its smallest costs: the tests log in hundreds of times."""
    from argon2 import PasswordHasher

    from chartdrop.review import security

    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def desk(tmp_path: Path, sqlite_url: str) -> Desk:
    return make_desk(tmp_path, sqlite_url)


@pytest.fixture
def desk_any_db(tmp_path: Path, database_url: str) -> Desk:
    """The desk on SQLite and on PostgreSQL."""
    return make_desk(tmp_path, database_url)


@pytest.fixture
def client(desk: Desk) -> Iterator[TestClient]:
    with desk.app_client() as client:
        yield client


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path}: {page.status_code}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def logged_in(client: TestClient, username: str) -> TestClient:
    response = login(client, username)
    assert response.status_code == 303, response.text
    return client
