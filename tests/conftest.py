"""Shared fixtures: settings in a temporary folder, and databases — SQLite, and a
private PostgreSQL server started for the test session (Debian's postgresql)."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chartdrop.models import make_engine, session_factory, upgrade
from chartdrop.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL server on loopback; yields its admin URL.
    `CHARTDROP_TEST_POSTGRES_URL` points at an existing server instead."""
    existing = os.environ.get("CHARTDROP_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; scripts/setup-tests.sh installs it")
        pytest.skip("PostgreSQL is not installed (run scripts/setup-tests.sh)")
    root = Path(tempfile.mkdtemp(prefix="chartdrop-pg-"))
    data, port = root / "data", _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
        run_as = ["runuser", "-u", "postgres", "--"]
        assert pwd.getpwnam("postgres")
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    # The server must not inherit our pipes, or waiting for pg_ctl never ends.
    log_file = str(root / "log")
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            log_file,
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


_database_numbers = itertools.count()


def _new_postgres_database(admin_url: str) -> str:
    name = f"chartdrop_test_{os.getpid()}_{next(_database_numbers)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'chartdrop.db'}"
    else:
        url = _new_postgres_database(request.getfixturevalue("postgres_server"))
    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'chartdrop.db'}"
    upgrade(url)
    return url


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    base = Settings(
        data_dir=tmp_path / "var",
        inbox=tmp_path / "inbox",
        database_url=database_url,
        settle_seconds=0.3,
        poll_seconds=0.2,
    )
    return base.with_(**overrides)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def factory(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.sqlalchemy_url)
    yield session_factory(engine)
    engine.dispose()
