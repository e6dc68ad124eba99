"""Moving originals safely: inbox → spool → archive or quarantine. Nothing is ever
deleted or overwritten; every move is a rename or a copy made durable before the
source goes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

# Partial uploads and editor/OS litter that must never be taken as documents.
IGNORED_PATTERNS = ("*.part", "*.tmp", "*.crdownload", "*.partial", "~$*", "*.swp", "*~")
SPOOL_SEPARATOR = "__"


def is_ignored(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or any(fnmatch(name, pattern) for pattern in IGNORED_PATTERNS)


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> tuple[str, int]:
    """The file's sha256 and size, read in chunks (files may be hours of audio)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .")
    return cleaned[:200] or "document"


def spool_destination(spool_dir: Path, original_name: str) -> Path:
    return spool_dir / f"{uuid.uuid4().hex}{SPOOL_SEPARATOR}{_safe_name(original_name)}"


def original_name_from_spool(path: Path) -> str:
    _, _, name = path.name.partition(SPOOL_SEPARATOR)
    return name or path.name


def archive_destination(
    archive_dir: Path, received: datetime, document_id: int, sha256: str, name: str
) -> Path:
    day = archive_dir / f"{received:%Y}" / f"{received:%m}" / f"{received:%d}"
    return day / f"{document_id}-{sha256[:12]}-{_safe_name(name)}"


def quarantine_destination(quarantine_dir: Path, document_id: int, name: str) -> Path:
    return quarantine_dir / f"{document_id}-{_safe_name(name)}"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_path(path: Path) -> Path:
    """`path`, or a numbered sibling if something already lies there (never overwrite)."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    return candidate


def move_file(source: Path, destination: Path) -> Path:
    """Move without ever losing the file: rename on one filesystem, otherwise copy,
    fsync, rename into place, then remove the source. Returns where it landed.
    Raises FileNotFoundError if the source is gone (another process took it)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination = _free_path(destination)
    try:
        os.rename(source, destination)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) or exc.errno != 18:  # 18: EXDEV, other disk
            raise
        copy_file(source, destination)
        source.unlink()
    _fsync_dir(destination.parent)
    return destination


def copy_file(source: Path, destination: Path) -> Path:
    """Copy durably (temp file, fsync, rename), leaving the source where it is."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination = _free_path(destination)
    partial = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
    with source.open("rb") as src, partial.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.rename(partial, destination)
    _fsync_dir(destination.parent)
    return destination


def write_error_sidecar(quarantined: Path, details: dict[str, Any]) -> Path:
    """`<file>.error.json` beside a quarantined original, saying why in plain words."""
    sidecar = quarantined.with_name(quarantined.name + ".error.json")
    partial = sidecar.with_name(f".{sidecar.name}.part")
    partial.write_text(json.dumps(details, indent=2, default=str) + "\n", encoding="utf-8")
    os.rename(partial, sidecar)
    return sidecar


def walk_files(root: Path) -> list[Path]:
    """Every candidate file under `root`, oldest first, skipping ignored names and
    anything inside hidden folders."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            path = Path(directory) / filename
            if not is_ignored(path) and path.is_file() and not path.is_symlink():
                found.append(path)
    found.sort(key=lambda p: (p.stat().st_mtime, str(p)))
    return found
