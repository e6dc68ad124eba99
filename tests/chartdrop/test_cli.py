"""The `chartdrop` command, driven in-process with Typer's CliRunner: real pipeline,
real database (SQLite, and the process/approve flow on PostgreSQL too)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from chartdrop.cli import app
from chartdrop.models import (
    AuditEvent,
    DraftEntry,
    DraftState,
    Patient,
    make_engine,
    session_factory,
    verify_audit_chain,
)

NOTE = (
    "PROGRESS NOTE\n"
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\n"
    "Dictated by: Dr. Alan Grant\n"
    "ASSESSMENT: Hypertension. Denies chest pain.\n"
)
OTHER_NOTE = (
    "PROGRESS NOTE\n"
    "Patient: SMITH, JOHN  DOB: 01/02/1960  MRN: 558120\n"
    "Date of service: 11/21/2026\n"
    "Dictated by: Dr. Ellie Sattler\n"
    "ASSESSMENT: Type 2 diabetes mellitus. No fever.\n"
)
VIEW_KEYS = {
    "draft_id",
    "status",
    "state",
    "error",
    "document",
    "text",
    "demographics",
    "problems",
    "procedures",
    "medications",
    "document_type",
    "deficiencies",
}
COMMANDS = [
    ["watch"],
    ["process"],
    ["backfill"],
    ["extract"],
    ["drafts"],
    ["show"],
    ["approve"],
    ["reject"],
    ["export"],
    ["config"],
    ["db"],
    ["db", "upgrade"],
]


class Cli:
    """Runs `chartdrop ARGS` in-process with a private environment."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.data_dir = Path(env["CHARTDROP_DATA_DIR"])

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        runner = CliRunner()
        return runner.invoke(
            app, list(args), input=input, env={**self.env, **env}, catch_exceptions=False
        )

    def json(self, *args: str, expect: int = 0) -> Any:
        result = self(*args)
        assert result.exit_code == expect, result.output
        return json.loads(result.stdout)

    def note(self, name: str, text: str = NOTE) -> Path:
        path = self.root / "notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    @contextmanager
    def session(self, url: str | None = None) -> Iterator[Session]:
        engine = make_engine(url or f"sqlite:///{self.data_dir / 'chartdrop.db'}")
        try:
            with session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()


def _flat(text: str) -> str:
    """Rich wraps at 80 columns; compare words, not line breaks."""
    return " ".join(text.split())


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)  # no stray ./chartdrop.toml
    for name in list(os.environ):
        if name.startswith("CHARTDROP_"):
            monkeypatch.delenv(name)
    env = {
        "CHARTDROP_DATA_DIR": str(tmp_path / "var"),
        "CHARTDROP_INBOX": str(tmp_path / "inbox"),
        "CHARTDROP_ACTOR": "tech1",
        "HF_HUB_OFFLINE": "1",
    }
    yield Cli(tmp_path, env)


@pytest.fixture
def migrated(cli: Cli, sqlite_url: str) -> Cli:
    """The CLI on an SQLite database already at head, in its default place."""
    assert sqlite_url == f"sqlite:///{cli.data_dir / 'chartdrop.db'}"
    return cli


def _processed(cli: Cli, name: str = "NOTE.txt", text: str = NOTE) -> dict[str, Any]:
    view = cli.json("process", str(cli.note(name, text)), "--json")
    assert view["status"] == "staged", view
    return view


def _problem(view: dict[str, Any], word: str) -> dict[str, Any]:
    matches = [p for p in view["problems"] if word in p["text"].lower()]
    assert matches, f"no problem mentioning {word!r} in {view['problems']}"
    return matches[0]


# --- help and configuration -------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_for_every_command(cli: Cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def test_top_level_help_lists_the_commands(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for name in ("watch", "process", "backfill", "extract", "drafts", "show", "approve"):
        assert name in result.stdout
    assert "reject" in result.stdout and "config" in result.stdout and "db" in result.stdout


def test_config_prints_every_setting_and_hides_the_database_url(cli: Cli) -> None:
    secret_url = "postgresql+psycopg://chartdrop:s3cretpw@db.example/chartdrop"
    result = cli("config", CHARTDROP_DATABASE_URL=secret_url, CHARTDROP_WORKERS="3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "s3cretpw" not in result.output
    assert "db.example" not in result.output
    assert "(set)" in out
    for variable in ("CHARTDROP_DATA_DIR", "CHARTDROP_INBOX", "CHARTDROP_DATABASE_URL"):
        assert variable in out
    assert "CHARTDROP_WORKERS" in out
    assert "watched" in out  # the meaning column (wrapped by Rich)


def test_configuration_error_exits_2_naming_the_variable(cli: Cli) -> None:
    result = cli("drafts", CHARTDROP_WORKERS="many")
    assert result.exit_code == 2
    assert "Configuration error" in result.stderr
    assert "CHARTDROP_WORKERS" in result.stderr


def test_configuration_error_shows_paths_with_brackets_verbatim(cli: Cli) -> None:
    missing = cli.root / "backup[old]" / "chartdrop.toml"
    result = cli("drafts", CHARTDROP_CONFIG=str(missing))
    assert result.exit_code == 2
    assert "backup[old]" in result.stderr


# --- the database must be migrated --------------------------------------------------


@pytest.mark.parametrize(
    "command", [["drafts"], ["show", "1"], ["approve", "1"], ["process", "NOTE.txt"]], ids=" ".join
)
def test_unmigrated_database_exits_2_and_says_to_upgrade(cli: Cli, command: list[str]) -> None:
    cli.note("NOTE.txt")
    result = cli(*command)
    assert result.exit_code == 2, result.output
    assert "chartdrop db upgrade" in _flat(result.stderr)


def test_db_upgrade_creates_the_database_then_commands_work(cli: Cli) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout
    assert (cli.data_dir / "chartdrop.db").is_file()
    assert cli("drafts").exit_code == 0
    again = cli("db", "upgrade")  # idempotent
    assert again.exit_code == 0, again.output


# --- process --------------------------------------------------------------------


def test_process_a_typed_note_prints_its_draft_as_json(cli: Cli) -> None:
    assert cli("db", "upgrade").exit_code == 0
    note = cli.note("NOTE.txt")
    result = cli("process", str(note), "--json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)

    assert set(view) >= VIEW_KEYS
    assert isinstance(view["draft_id"], int)
    assert view["status"] == "staged"
    assert view["state"] == "pending"
    assert view["error"] is None
    document = view["document"]
    assert len(document["sha256"]) == 64
    assert document["kind"] == "text"
    assert document["source"] == "NOTE.txt"
    assert "Hypertension" in view["text"]

    demographics = view["demographics"]
    assert demographics["mrn"]["value"] == "447219"
    assert demographics["date_of_birth"]["value"] == "1955-03-04"
    assert demographics["last_name"]["value"].lower() == "lopez"

    hypertension = _problem(view, "hypertension")
    assert hypertension["assertion"] == "present"
    assert hypertension["icd10cm"][0]["code"] == "I10"
    chest_pain = _problem(view, "chest pain")
    assert chest_pain["assertion"] == "negated"

    assert isinstance(view["procedures"], list)
    assert isinstance(view["medications"], list)
    assert view["document_type"]["value"] == "progress_note"
    assert isinstance(view["deficiencies"], list)

    # process copies: the user's file stays; chartdrop keeps its own copy.
    assert note.read_text(encoding="utf-8") == NOTE
    stored = Path(document["stored_path"])
    assert stored.is_file()
    assert stored.is_relative_to(cli.data_dir / "archive")
    assert stored.read_text(encoding="utf-8") == NOTE


def test_process_without_json_prints_a_summary_line(migrated: Cli) -> None:
    result = migrated("process", str(migrated.note("NOTE.txt")))
    assert result.exit_code == 0, result.output
    assert "NOTE.txt" in result.stdout
    assert "staged" in result.stdout
    assert "draft" in result.stdout


def test_process_two_files_prints_a_json_list(migrated: Cli) -> None:
    first = migrated.note("a.txt")
    second = migrated.note("b.txt", OTHER_NOTE)
    views = migrated.json("process", str(first), str(second), "--json")
    assert isinstance(views, list)
    assert len(views) == 2
    assert {v["document"]["source"] for v in views} == {"a.txt", "b.txt"}
    assert all(v["status"] == "staged" for v in views)
    assert len({v["draft_id"] for v in views}) == 2


def test_process_an_empty_file_fails_and_quarantines_it(migrated: Cli) -> None:
    empty = migrated.note("blank.txt", "")
    view = migrated.json("process", str(empty), "--json", expect=1)
    assert view["status"] == "failed"
    assert view["draft_id"] is None
    assert "empty" in view["error"].lower()
    assert empty.exists()  # the user's file is untouched

    quarantined = Path(view["document"]["stored_path"])
    assert quarantined.is_relative_to(migrated.data_dir / "quarantine")
    assert quarantined.is_file()
    assert quarantined.name.endswith("blank.txt")
    sidecar = quarantined.with_name(quarantined.name + ".error.json")
    details = json.loads(sidecar.read_text(encoding="utf-8"))
    assert "empty" in details["reason"].lower()
    assert "Traceback" not in details["reason"]
    assert "Error" not in details["reason"]  # plain words, not an exception name
    assert details["original_name"] == "blank.txt"


def test_process_a_missing_file_exits_1_and_says_so(migrated: Cli) -> None:
    result = migrated("process", str(migrated.root / "nope.txt"))
    assert result.exit_code == 1
    assert "nope.txt" in result.stderr
    assert "does not exist" in result.stderr


def test_same_content_twice_is_a_duplicate_of_the_first_draft(migrated: Cli) -> None:
    first = _processed(migrated, "NOTE.txt")
    second = migrated.json("process", str(migrated.note("copy-of-note.txt")), "--json")
    assert second["status"] == "duplicate"
    assert second["draft_id"] == first["draft_id"]
    assert second["document"]["id"] != first["document"]["id"]
    assert second["document"]["sha256"] == first["document"]["sha256"]
    assert second["document"]["source"] == "copy-of-note.txt"
    with migrated.session() as session:
        assert session.scalar(select(func.count()).select_from(DraftEntry)) == 1


# --- review ----------------------------------------------------------------------


def test_drafts_lists_the_pending_draft(migrated: Cli) -> None:
    view = _processed(migrated)
    result = migrated("drafts")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "(text)" in line]
    assert len(rows) == 1
    assert str(view["draft_id"]) in rows[0]
    assert "progress_note" in rows[0]
    approved = migrated("drafts", "--state", "approved")
    assert approved.exit_code == 0
    assert "(text)" not in approved.stdout


def test_show_json_has_the_process_shape_and_records_a_view(migrated: Cli) -> None:
    processed = _processed(migrated)
    shown = migrated.json("show", str(processed["draft_id"]), "--json")
    assert set(shown) >= VIEW_KEYS
    for key in VIEW_KEYS:
        assert shown[key] == processed[key], key
    assert shown["review"]["patient_id"] is None
    with migrated.session() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "viewed" in actions


def test_show_text_prints_the_note_and_its_extraction(migrated: Cli) -> None:
    view = _processed(migrated)
    result = migrated("show", str(view["draft_id"]))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Denies chest pain." in out
    assert "mrn: 447219" in out
    assert "[negated]" in out
    assert "I10" in out


def test_show_of_a_missing_draft_exits_1(migrated: Cli) -> None:
    result = migrated("show", "999", "--json")
    assert result.exit_code == 1
    assert "no draft 999" in result.stderr
    assert result.stdout == ""


def test_approve_creates_the_patient_and_cannot_be_repeated(migrated: Cli) -> None:
    draft_id = str(_processed(migrated)["draft_id"])
    result = migrated("approve", draft_id)
    assert result.exit_code == 0, result.output
    assert f"Draft {draft_id} approved" in result.stdout

    shown = migrated.json("show", draft_id, "--json")
    assert shown["state"] == "approved"
    assert shown["review"]["patient_id"] is not None
    assert shown["review"]["reviewer"] == "tech1"
    assert shown["review"]["reviewed_at"]

    with migrated.session() as session:
        patient = session.get(Patient, shown["review"]["patient_id"])
        assert patient is not None
        assert patient.mrn == "447219"
        assert patient.date_of_birth == "1955-03-04"
        assert patient.last_name.lower() == "lopez"

    again = migrated("approve", draft_id)
    assert again.exit_code == 1
    assert "already approved" in again.stderr
    assert migrated("approve", "999").exit_code == 1


def test_reject_with_a_reason(migrated: Cli) -> None:
    kept = _processed(migrated, "a.txt")
    rejected = _processed(migrated, "b.txt", OTHER_NOTE)
    draft_id = str(rejected["draft_id"])

    result = migrated("reject", draft_id, "--reason", "Date of service is missing a year.")
    assert result.exit_code == 0, result.output
    assert f"Draft {draft_id} rejected" in result.stdout

    shown = migrated.json("show", draft_id, "--json")
    assert shown["state"] == "rejected"
    assert shown["review"]["reason"] == "Date of service is missing a year."
    assert shown["review"]["patient_id"] is None
    assert migrated.json("show", str(kept["draft_id"]), "--json")["state"] == "pending"
    with migrated.session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0

    # A reviewed draft cannot be reviewed again.
    assert migrated("approve", draft_id).exit_code == 1
    assert migrated("reject", draft_id, "--reason", "again").exit_code == 1


def test_reject_needs_a_reason(migrated: Cli) -> None:
    draft_id = str(_processed(migrated)["draft_id"])
    missing = migrated("reject", draft_id)
    assert missing.exit_code != 0
    assert "--reason" in missing.output
    blank = migrated("reject", draft_id, "--reason", "   ")
    assert blank.exit_code == 1
    assert "reason" in blank.stderr
    assert migrated.json("show", draft_id, "--json")["state"] == "pending"


# --- extract ---------------------------------------------------------------------


def test_extract_reads_standard_input(cli: Cli) -> None:
    result = cli("extract", "-", input=NOTE)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {"demographics", "problems", "deficiencies"} <= set(found)
    assert found["demographics"]["mrn"]["value"] == "447219"
    assert _problem(found, "chest pain")["assertion"] == "negated"


def test_extract_reads_a_file_without_a_database(cli: Cli) -> None:
    result = cli("extract", str(cli.note("NOTE.txt")))
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert _problem(found, "hypertension")["icd10cm"][0]["code"] == "I10"
    assert not (cli.data_dir / "chartdrop.db").exists()


# --- backfill --------------------------------------------------------------------


def test_backfill_stages_what_it_can_lists_failures_and_resumes(migrated: Cli) -> None:
    folder = migrated.root / "legacy"
    (folder / "2019").mkdir(parents=True)
    (folder / "one.txt").write_text(NOTE, encoding="utf-8")
    (folder / "2019" / "two.txt").write_text(OTHER_NOTE, encoding="utf-8")
    (folder / "blank.txt").write_text("", encoding="utf-8")

    first = migrated("backfill", str(folder))
    assert first.exit_code == 1, first.output
    assert "2 staged, 1 failed, 0 already done" in first.stdout
    # Rich wraps (and folds long paths) at 80 columns: compare without whitespace.
    compact = "".join(first.stdout.split())
    assert compact.count("failed:") == 1
    assert "legacy/blank.txt:thefileisempty" in compact
    # Backfill copies: the legacy folder is left as it was.
    assert sorted(p.name for p in folder.rglob("*.txt")) == ["blank.txt", "one.txt", "two.txt"]

    with migrated.session() as session:
        assert session.scalar(select(func.count()).select_from(DraftEntry)) == 2

    second = migrated("backfill", str(folder))
    assert second.exit_code == 0, second.output
    assert "0 staged, 0 failed, 3 already done" in second.stdout
    with migrated.session() as session:
        assert session.scalar(select(func.count()).select_from(DraftEntry)) == 2


def test_backfill_lists_each_failure_on_one_line(migrated: Cli) -> None:
    folder = migrated.root / "legacy" / "clinic-north" / "transcriptions-2019-to-2021"
    folder.mkdir(parents=True)
    blank = folder / "progress-note-dictated-by-dr-grant.txt"
    blank.write_text("", encoding="utf-8")
    result = migrated("backfill", str(blank.parent))
    assert result.exit_code == 1
    assert f"  failed: {blank}: the file is empty" in result.stdout.splitlines()


def test_backfill_over_two_processes_shares_the_folder_and_resumes(migrated: Cli) -> None:
    folder = migrated.root / "legacy"
    (folder / "2019").mkdir(parents=True)
    notes = [NOTE, OTHER_NOTE, NOTE.replace("447219", "447231"), OTHER_NOTE + " Follow up."]
    for n, text in enumerate(notes):
        (folder / ("2019" if n % 2 else "") / f"note{n}.txt").write_text(text, encoding="utf-8")
    (folder / "blank.txt").write_text("", encoding="utf-8")

    first = migrated("backfill", str(folder), "--processes", "2")
    assert first.exit_code == 1, first.output
    assert "4 staged, 1 failed, 0 already done" in first.stdout
    assert "legacy/blank.txt:thefileisempty" in "".join(first.stdout.split())
    with migrated.session() as session:
        assert session.scalar(select(func.count()).select_from(DraftEntry)) == 4
    second = migrated("backfill", str(folder), "-p", "2")
    assert "0 staged, 0 failed, 5 already done" in second.stdout


def test_backfill_parts_cover_every_file_once_and_stay_put(tmp_path: Path) -> None:
    from chartdrop.ingest.batch import part_of

    paths = [tmp_path / f"d{n % 7}" / f"note{n}.txt" for n in range(200)]
    parts = [part_of(path, tmp_path, 3) for path in paths]
    assert set(parts) == {0, 1, 2}  # each file in exactly one part, all parts used
    assert parts == [part_of(path, tmp_path, 3) for path in paths]  # the same on a re-run


def test_backfill_of_a_missing_folder_is_a_usage_error(migrated: Cli) -> None:
    result = migrated("backfill", str(migrated.root / "absent"))
    assert result.exit_code == 2


# --- the review flow on SQLite and PostgreSQL -----------------------------------------


def test_process_approve_flow_on_each_database(cli: Cli, database_url: str) -> None:
    env = {"CHARTDROP_DATABASE_URL": database_url}
    note = cli.note("NOTE.txt")
    other = cli.note("other.txt", OTHER_NOTE)

    result = cli("process", str(note), str(other), "--json", **env)
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert first["status"] == second["status"] == "staged"
    assert _problem(first, "hypertension")["icd10cm"][0]["code"] == "I10"

    dup = cli("process", str(cli.note("again.txt")), "--json", **env)
    assert dup.exit_code == 0, dup.output
    assert json.loads(dup.stdout)["draft_id"] == first["draft_id"]

    assert cli("approve", str(first["draft_id"]), **env).exit_code == 0
    assert cli("approve", str(first["draft_id"]), **env).exit_code == 1
    rejected = cli("reject", str(second["draft_id"]), "--reason", "Wrong patient.", **env)
    assert rejected.exit_code == 0, rejected.output

    result = cli("show", str(first["draft_id"]), "--json", **env)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["state"] == "approved"
    assert shown["review"]["patient_id"] is not None

    with cli.session(database_url) as session:
        states = {
            draft_id: state
            for draft_id, state in session.execute(select(DraftEntry.id, DraftEntry.state))
        }
        assert states == {
            first["draft_id"]: DraftState.APPROVED,
            second["draft_id"]: DraftState.REJECTED,
        }
        patients = session.scalars(select(Patient)).all()
        assert [p.mrn for p in patients] == ["447219"]
        assert verify_audit_chain(session) == []
    # Nothing was written to the default SQLite file when a URL is configured.
    if not database_url.startswith("sqlite"):
        assert not (cli.data_dir / "chartdrop.db").exists()
