"""chartdrop's settings: defaults, `CHARTDROP_*` variables, the TOML file, errors."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import pytest

from chartdrop.settings import Settings, SettingsError, load_settings, settings_table


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stray ./chartdrop.toml in the developer's folder must not be read.
    monkeypatch.chdir(tmp_path)


def test_defaults_without_environment_or_file() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.data_dir == Path("var")
    assert settings.inbox == Path("inbox")
    assert settings.database_url == ""
    assert settings.workers == 2
    assert settings.whisper_model == "bundled:tiny.en"
    assert settings.max_attempts == 3
    assert settings.settle_seconds == 1.0


def test_environment_overrides_are_coerced_to_the_field_types(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "CHARTDROP_WORKERS": "3",
            "CHARTDROP_DATA_DIR": str(tmp_path / "data"),
            "CHARTDROP_INBOX": "drop",
            "CHARTDROP_SETTLE_SECONDS": "0.25",
            "CHARTDROP_WHISPER_MODEL": "small.en",
            "UNRELATED": "ignored",
        }
    )
    assert settings.workers == 3
    assert isinstance(settings.workers, int)
    assert settings.data_dir == tmp_path / "data"
    assert isinstance(settings.data_dir, Path)
    assert settings.inbox == Path("drop")
    assert isinstance(settings.inbox, Path)
    assert settings.settle_seconds == 0.25
    assert isinstance(settings.settle_seconds, float)
    assert settings.whisper_model == "small.en"


def test_empty_environment_value_means_unset() -> None:
    assert load_settings(environ={"CHARTDROP_WORKERS": ""}).workers == 2


def test_home_in_paths_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = load_settings(environ={"CHARTDROP_INBOX": "~/drop"})
    assert settings.inbox == tmp_path / "drop"


def test_toml_file_named_by_chartdrop_config_with_environment_winning(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(
        'workers = 4\nwhisper_model = "base.en"\ndata_dir = "/srv/chartdrop"\nmax_pages = 50\n',
        encoding="utf-8",
    )
    settings = load_settings(environ={"CHARTDROP_CONFIG": str(config), "CHARTDROP_WORKERS": "2"})
    assert settings.workers == 2  # environment beats the file
    assert settings.whisper_model == "base.en"  # from the file
    assert settings.data_dir == Path("/srv/chartdrop")
    assert isinstance(settings.data_dir, Path)
    assert settings.max_pages == 50
    assert settings.language == "en"  # default where neither says


def test_chartdrop_toml_in_the_working_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "chartdrop.toml").write_text("workers = 5\n", encoding="utf-8")
    assert load_settings(environ={}).workers == 5


def test_unknown_key_in_toml_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('workers = 2\nwhisper_modle = "small.en"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="whisper_modle"):
        load_settings(environ={"CHARTDROP_CONFIG": str(config)})


def test_bad_int_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="CHARTDROP_WORKERS") as caught:
        load_settings(environ={"CHARTDROP_WORKERS": "three"})
    assert "three" in str(caught.value)


def test_bad_float_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="CHARTDROP_LEASE_SECONDS"):
        load_settings(environ={"CHARTDROP_LEASE_SECONDS": "ten minutes"})


def test_bad_int_in_toml_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('max_pages = "many"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="MAX_PAGES"):
        load_settings(environ={"CHARTDROP_CONFIG": str(config)})


def test_chartdrop_config_naming_a_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(SettingsError, match=r"nowhere\.toml"):
        load_settings(environ={"CHARTDROP_CONFIG": str(missing)})


def test_chartdrop_config_naming_a_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not a file"):
        load_settings(environ={"CHARTDROP_CONFIG": str(tmp_path)})


def test_word_lists_that_do_not_exist_are_an_error_at_load(tmp_path: Path) -> None:
    missing = str(tmp_path / "site_terms.txt")
    with pytest.raises(SettingsError, match="CHARTDROP_SITE_TERMS_FILE"):
        load_settings(environ={"CHARTDROP_SITE_TERMS_FILE": missing})
    listed = tmp_path / "extra.dic"
    listed.write_text("1\nnephrolithiasis\n", encoding="utf-8")
    both = f"{listed}{os.pathsep}{tmp_path / 'gone.dic'}"
    with pytest.raises(SettingsError, match=r"gone\.dic is not a file"):
        load_settings(environ={"CHARTDROP_MEDICAL_WORDLIST": both})
    (tmp_path / "site_terms.txt").write_text("Xarelto\n", encoding="utf-8")
    ok = load_settings(
        environ={"CHARTDROP_SITE_TERMS_FILE": missing, "CHARTDROP_MEDICAL_WORDLIST": str(listed)}
    )
    assert ok.site_terms_file == missing
    for special in ("auto", ""):  # the system's list when installed; none
        assert load_settings(environ={"CHARTDROP_MEDICAL_WORDLIST": special})


def test_sqlalchemy_url_defaults_to_sqlite_file_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(environ={"CHARTDROP_DATA_DIR": str(tmp_path / "data")})
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'data' / 'chartdrop.db')}"
    assert settings.archive_dir == tmp_path / "data" / "archive"
    assert settings.quarantine_dir == tmp_path / "data" / "quarantine"


def test_relative_data_dir_gives_an_absolute_sqlite_path(tmp_path: Path) -> None:
    url = load_settings(environ={}).sqlalchemy_url
    assert url == f"sqlite:///{tmp_path.resolve() / 'var' / 'chartdrop.db'}"


def test_database_url_when_set_is_used_as_is() -> None:
    url = "postgresql+psycopg://chartdrop@db.example/chartdrop"
    settings = load_settings(environ={"CHARTDROP_DATABASE_URL": url})
    assert settings.sqlalchemy_url == url


def test_with_changes_and_coerces() -> None:
    changed = Settings().with_(workers="6", inbox="elsewhere")
    assert changed.workers == 6
    assert changed.inbox == Path("elsewhere")
    with pytest.raises(SettingsError, match="CHARTDROP_WORKERS"):
        Settings().with_(workers="six")


def test_settings_table_documents_every_field() -> None:
    rows = settings_table()
    names = [f.name for f in fields(Settings)]
    assert [variable for variable, _default, _meaning in rows] == [
        f"CHARTDROP_{name.upper()}" for name in names
    ]
    for variable, default, meaning in rows:
        assert meaning.strip(), f"{variable} has no documentation"
        assert default, f"{variable} has no default shown"
    by_name = {variable: (default, meaning) for variable, default, meaning in rows}
    assert by_name["CHARTDROP_WORKERS"][0] == "2"
    assert by_name["CHARTDROP_DATABASE_URL"][0] == "(empty)"
