"""Read the rule and lexicon data files kept in `nlp/resources/`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

_PACKAGE = __package__ or "chartdrop.nlp"


def path(name: str) -> Path:
    """A data file's path (the package is installed as plain files, never zipped)."""
    return Path(str(resources.files(_PACKAGE) / "resources" / name))


def read_json(name: str) -> Any:
    return json.loads(path(name).read_text(encoding="utf-8"))


def read_lines(name: str) -> list[str]:
    """Non-blank lines that are not `#` comments, stripped."""
    lines = path(name).read_text(encoding="utf-8").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def read_tsv(name: str) -> list[list[str]]:
    """Rows of a tab-separated file, comments and blank lines skipped."""
    return [[cell.strip() for cell in line.split("\t")] for line in read_lines(name)]
