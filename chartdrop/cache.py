"""Where chartdrop keeps what it computes once and reads back (indexes, word lists)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """`$CHARTDROP_DATA_DIR/cache` (default `var/cache`)."""
    return Path(os.environ.get("CHARTDROP_DATA_DIR") or "var").expanduser() / "cache"


def write_cache(path: Path, write: Callable[[TextIO], object], what: str) -> None:
    """Write a text cache file through `write`, then rename it into place, so a concurrent
    reader never sees half a file. A cache that cannot be written is logged, not raised: the
    caller has what it computed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write %s: %s", what, exc.__class__.__name__)
