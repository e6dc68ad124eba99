"""How words sound, as espeak-ng says them: compact phoneme codes for sound-alike search.

Metaphone (jellyfish) keys only a word's letters and drops its vowels, so "orbit" and
"aortic", "nicer area" and "dysuria", "hummus" and "numbness" look unrelated to it.
espeak-ng (a Debian package chartdrop already installs) turns any English text into
phonemes by its pronunciation rules and dictionary, drug and disease names included. It
is run as a separate program, as Tesseract is: it is GPL-3 software, and nothing of it is
linked into chartdrop. Each phoneme here becomes one character (diphthongs and
affricates too), and vowels that tiny.en's mishearings trade freely (reduced and
r-coloured ones, American and British variants) share one, so that Levenshtein distance
over the codes counts phoneme edits. Long lists (the dictation vocabulary) are said once
and cached under `$CHARTDROP_DATA_DIR/cache`.

When espeak-ng is missing, `phonemes` returns None and callers keep to Metaphone.
"""

# ruff: noqa: RUF001  (the IPA letters are meant, not look-alikes of Latin ones)
from __future__ import annotations

import functools
import hashlib
import logging
import re
import shutil
import subprocess
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from chartdrop.cache import cache_dir, write_cache

# Longest first: a two-character phoneme is replaced before its parts.
_MERGE = (
    ("tʃ", "C"),
    ("dʒ", "J"),
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("eɪ", "E"),
    ("oʊ", "O"),
    ("əʊ", "O"),
    ("ɔɪ", "Y"),
    ("ɚ", "əɹ"),
    ("ɝ", "əɹ"),
    ("ɐ", "ə"),
    ("ᵻ", "ɪ"),
    ("ɜ", "ə"),
    ("ʌ", "ə"),
    ("ɾ", "t"),  # the American flap ("water") is a t or d said lightly
    ("r", "ɹ"),
    ("x", "k"),
    ("ɑ", "a"),
    ("æ", "a"),
    ("ɒ", "a"),
    ("ɔ", "o"),
    ("ʊ", "u"),
)
_MARKS = re.compile(r"[ːˈˌ̩̃ʲʔ\s-]")  # stress, length, syllabic and nasal marks, spaces
_UNSAID = re.compile(r"[^A-Za-z0-9' -]+")  # punctuation would split a line in two
PROGRAMS = ("espeak-ng", "espeak")
VOICE = "en-us"
TIMEOUT_S = 120.0
log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _program() -> str | None:
    found = next((p for p in map(shutil.which, PROGRAMS) if p), None)
    if found is None:
        log.warning("espeak-ng not installed: sound-alike search by spelling keys only")
    return found


def available() -> bool:
    return _program() is not None


def code(ipa: str) -> str:
    """espeak-ng's IPA as one character per phoneme, marks and word breaks dropped."""
    out = _MARKS.sub("", ipa)
    for pair, one in _MERGE:
        out = out.replace(pair, one)
    return out


def phonemes(texts: Sequence[str]) -> list[str] | None:
    """Each text's phoneme code, or None when espeak-ng is unavailable or fails."""
    program = _program()
    if program is None:
        return None
    clean = [" ".join(_UNSAID.sub(" ", t).split()) for t in texts]
    said = [t for t in clean if t]
    try:
        lines = _say(program, said)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("espeak-ng failed (%s): no phonemes", type(exc).__name__)
        return None
    spoken = iter(lines)
    return [code(next(spoken)) if t else "" for t in clean]


def cached_phonemes(texts: Sequence[str], name: str) -> list[str] | None:
    """`phonemes(texts)`, kept in the cache for the next start (a long list takes seconds:
    espeak-ng says ~1,500 words a second)."""
    if not available():
        return None  # the cache alone would be no use: what is heard must be said too
    digest = hashlib.sha256("\n".join([_version(), *texts]).encode()).hexdigest()[:12]
    path = cache_dir() / f"phonemes-{name}-{digest}.txt"
    if path.is_file():
        lines = path.read_text(encoding="utf-8").split("\n")
        if len(lines) == len(texts):
            return lines
    codes = phonemes(texts)
    if codes is not None:
        write_cache(path, lambda handle: handle.write("\n".join(codes)), "the phoneme cache")
    return codes


# 0..1: how alike two phoneme codes are (1 - phoneme edits / the longer's length). Bound,
# not wrapped, so that rapidfuzz's cdist keeps its compiled path (sound_choice._nearest).
sound_similarity = Levenshtein.normalized_similarity


def _say(program: str, texts: list[str]) -> list[str]:
    """espeak-ng's IPA for each text, one line each. A text said as two clauses (an
    abbreviation's stop) would shift every later line, so a batch whose line count is off
    is said again in halves, down to single texts (whose lines are then joined)."""
    if not texts:
        return []
    done = subprocess.run(
        [program, "-q", "--ipa", "-v", VOICE],
        input="".join(t + "\n" for t in texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=TIMEOUT_S,
    )
    lines = done.stdout.splitlines()
    if len(lines) == len(texts):
        return lines
    if len(texts) == 1:
        return [" ".join(lines)]
    half = len(texts) // 2
    return _say(program, texts[:half]) + _say(program, texts[half:])


@functools.lru_cache(maxsize=1)
def _version() -> str:
    program = _program()
    if program is None:
        return ""
    try:
        done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()
