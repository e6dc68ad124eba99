"""The system's English word list (Debian `wamerican`), shared by the stages that read it:
dictation correction (ingest/wordlists.py) and patient names said without a label
(nlp/names.py). It lists proper names capitalised ("Lopez", "Grant") beside everyday words
in lower case ("grant", "education"), which is what tells a name from a Title Case word."""

from __future__ import annotations

import functools
from pathlib import Path

ENGLISH_WORDS = Path("/usr/share/dict/american-english")


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every entry as written (empty when the list is not installed)."""
    try:
        lines = ENGLISH_WORDS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in lines if line.strip())
