"""The review desk's commands: `user add`, `user list`, `user deactivate`,
`audit verify`, `serve` and `watch --serve`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select, text
from typer.testing import CliRunner

from chartdrop.cli import app
from chartdrop.models import AuditEvent, User, make_engine, session_factory
from chartdrop.review.security import verify_password


class Cli:
    def __init__(self, env: dict[str, str], url: str) -> None:
        self.env, self.url = env, url

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=input, env=self.env)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CHARTDROP_"):
            monkeypatch.delenv(name)
    env = {
        "CHARTDROP_DATA_DIR": str(tmp_path / "var"),
        "CHARTDROP_DATABASE_URL": database_url,
        "CHARTDROP_ACTOR": "it-admin",
    }
    yield Cli(env, database_url)


def _user(url: str, username: str) -> User | None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(User).where(User.username == username))
    finally:
        engine.dispose()


def test_user_add_reads_the_password_from_stdin(cli: Cli) -> None:
    result = cli(
        "user",
        "add",
        "grant",
        "--role",
        "physician",
        "--name",
        "Dr. Alan Grant",
        "--password-stdin",
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    user = _user(cli.url, "grant")
    assert user is not None and user.role == "physician" and user.display_name == "Dr. Alan Grant"
    assert user.password_hash.startswith("$argon2")
    assert verify_password(user.password_hash, "a long password")
    listed = cli("user", "list")
    assert "grant" in listed.stdout and "physician" in listed.stdout


def test_user_add_prompts_twice_and_refuses_a_mismatch(cli: Cli) -> None:
    result = cli(
        "user",
        "add",
        "tech1",
        input="a long password\nanother password\na long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output  # never echoed
    assert _user(cli.url, "tech1") is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tech1", "--role", "boss"], "technician, physician or admin"),
        (["x", "--role", "admin"], "username"),
    ],
)
def test_user_add_refuses_bad_input(cli: Cli, args: list[str], message: str) -> None:
    result = cli("user", "add", *args, "--password-stdin", input="a long password\n")
    assert result.exit_code == 1 and message in result.output


def test_user_add_refuses_short_password_and_duplicates(cli: Cli) -> None:
    short = cli("user", "add", "tech1", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 10" in short.output
    assert cli("user", "add", "tech1", "--password-stdin", input="long password 1\n").exit_code == 0
    again = cli("user", "add", "TECH1", "--password-stdin", input="long password 1\n")
    assert again.exit_code == 1 and "taken" in again.output


def test_user_deactivate(cli: Cli) -> None:
    cli("user", "add", "tech1", "--password-stdin", input="long password 1\n")
    assert cli("user", "deactivate", "tech1").exit_code == 0
    user = _user(cli.url, "tech1")
    assert user is not None and not user.active
    assert cli("user", "deactivate", "nobody").exit_code == 1


def test_audit_verify_detects_an_altered_and_a_removed_event(cli: Cli) -> None:
    for name in ("tech1", "tech2", "tech3"):
        cli("user", "add", name, "--password-stdin", input="long password 1\n")
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and "intact: 3 events" in ok.stdout
    engine = make_engine(cli.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'intruder' WHERE id = 2"))
    altered = cli("audit", "verify")
    assert altered.exit_code == 1 and "event 2: contents altered" in altered.stdout
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = 2"))
    removed = cli("audit", "verify")
    assert removed.exit_code == 1 and "event 3" in removed.stdout
    with session_factory(engine)() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.id == 3)) == 3
    engine.dispose()


def test_serve_and_watch_serve_are_documented(cli: Cli) -> None:
    assert "--port" in cli("serve", "--help").stdout
    assert "--serve" in cli("watch", "--help").stdout


def test_config_hides_the_secret_key(cli: Cli) -> None:
    cli.env["CHARTDROP_SECRET_KEY"] = "do-not-print-me"
    result = cli("config")
    assert result.exit_code == 0 and "do-not-print-me" not in result.output
    assert "CHARTDROP_SECRET_KEY" in result.stdout and "(set)" in result.stdout
