"""Shared fixtures for the reader tests: the Whisper model loads once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartdrop.ingest.speech import Transcriber
from chartdrop.settings import Settings
from tests.factories import make_dictation

NOTE = "The patient has hypertension and diabetes. Blood pressure is one forty over ninety."


@pytest.fixture(scope="session")
def reader_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def transcriber(reader_settings: Settings) -> Transcriber:
    return Transcriber(reader_settings).load()


@pytest.fixture(scope="session")
def dictation_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dictation(NOTE, tmp_path_factory.mktemp("audio") / "note.wav")
