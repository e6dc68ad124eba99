"""Drug names beyond the curated medications.tsv: the single-word names (generic and brand,
~28,600) of the drug-named-entity-recognition package (MIT; MedlinePlus, DrugBank and
Wikipedia names), each with its generic name.

The package's own finder is not imported: it reads and writes a cache in the home folder and
imports its web-service helpers, and chartdrop needs only the dictionary it ships. Its
multi-word names are left out: in 1,500 MTSamples notes most of those found were laboratory
tests and anatomy ("alkaline phosphatase", "thyroid gland", "at 10"); the common multi-word
medications are curated in medications.tsv instead. Names that are something else in notes
("luminal", "Coban" bandage, "Biomet" implants, "ferritin" the test) are listed in
resources/medication_stoplist.txt.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from . import drug_names_export as export
from . import resources
from .coding import cache_dir, source_digest
from .normalize import norm_token

log = logging.getLogger(__name__)


def single_word_drugs() -> dict[str, str]:
    """Normalised single-word drug name -> generic name; empty (logged) without the package.

    The package's file takes ~2.5 s and ~400 MB to unpickle (it holds every drug's chemistry
    too), so a child process exports the names once per package version to a 0.7 MB cache
    beside the ICD-10-CM indexes; later loads read that (~30 ms)."""
    try:
        version = metadata.version(export.PACKAGE.replace("_", "-"))
    except metadata.PackageNotFoundError:
        log.warning("drug name dictionary unavailable (%s not installed)", export.PACKAGE)
        return {}
    digest = source_digest("drug_names_export.py")
    path = cache_dir() / f"drug-names-{version}-{digest}.tsv"
    names = _read_cache(path)
    if names is None:
        _export_in_child(path)
        names = _read_cache(path)
    if names is None:  # no writable cache folder, or the child failed: read it here
        names = export.single_word_names()
    stop = {norm_token(w) for w in resources.read_lines("medication_stoplist.txt")}
    out: dict[str, str] = {}
    for name, generic in names.items():
        key = norm_token(name)
        if key not in stop:
            out.setdefault(key, generic)
    return out


def _export_in_child(path: Path) -> None:
    command = [sys.executable, export.__file__, str(path)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("drug name cache not written (%s)", type(exc).__name__)


def _read_cache(path: Path) -> dict[str, str] | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return dict(line.split("\t", 1) for line in lines if "\t" in line)
