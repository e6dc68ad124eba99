"""Shared fixtures: one pipeline per test session, with its ICD-10-CM cache in a temp dir."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chartdrop.nlp.types import Extraction


@pytest.fixture(scope="session")
def nlp_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """CHARTDROP_DATA_DIR for the session, set before the pipeline first loads."""
    path = tmp_path_factory.mktemp("nlp-data")
    old = os.environ.get("CHARTDROP_DATA_DIR")
    os.environ["CHARTDROP_DATA_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("CHARTDROP_DATA_DIR", None)
    else:
        os.environ["CHARTDROP_DATA_DIR"] = old


@pytest.fixture(scope="session")
def extract(nlp_data_dir: Path) -> Callable[[str], Extraction]:
    from chartdrop.nlp import extract as run
    from chartdrop.nlp import warm_up

    warm_up()
    return run
