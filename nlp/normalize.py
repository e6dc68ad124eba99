"""One token normal form shared by every lexicon, so "Type II diabetes", "type two diabetes"
and "Type 2 Diabetes" meet, and plurals match singular entries.

Applied to both lexicon terms and note text; it need not produce real words, only agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "ii": "2", "iii": "3", "iv": "4",
}  # fmt: skip
# "I" and "V" are numerals only after a level word ("type I diabetes", "stage V"), elsewhere a
# pronoun or a letter.
NUMERALS_AFTER_LEVEL = {"i": "1", "v": "5"}
LEVEL_WORDS = frozenset({"type", "stage", "grade", "class", "phase"})
_KEEP_S = ("ss", "us", "is", "os", "ys")
# Latin and Greek plurals of clinical nouns, which the English rules below miss ("renal
# calculi" met no "calculus" entry, and the ranker took Q63.8, a congenital malformation).
_CLASSICAL_PLURALS = {
    "calculi": "calculus", "emboli": "embolus", "thrombi": "thrombus", "bronchi": "bronchus",
    "fungi": "fungus", "bacilli": "bacillus", "nuclei": "nucleus", "stenoses": "stenosis",
    "thromboses": "thrombosis", "anastomoses": "anastomosis", "psychoses": "psychosis",
    "neuroses": "neurosis", "ecchymoses": "ecchymosis", "vertebrae": "vertebra",
    "bullae": "bulla", "diverticula": "diverticulum", "foramina": "foramen", "varices": "varix",
}  # fmt: skip
_TERM_WORD = re.compile(r"[a-z0-9]+(?:'s)?|&")
# Tokens skipped inside a multi-word match: hyphens, slashes and possessives don't change meaning.
SKIPPABLE = frozenset({"-", "/", "'s", "'", "\u2019s"})


def is_letter_with_stop(word: str) -> bool:
    """A letter and its full stop as one token ("C."): spaCy keeps them together (initials),
    so a sentence ending in "hepatitis C." or "vitamin D." ends in that token, whose letter
    is the word."""
    return len(word) == 2 and word[1] == "." and word[0].isalpha()


def is_level_with_stop(word: str) -> bool:
    """A spinal level or a stage, and a full stop as one token ("C6." of "C5-C6.,", "4." of
    "C3-4.", "III." of "stage III.,"), as the tokenizer leaves one that ends a sentence."""
    return (
        _LEVEL_WITH_STOP.fullmatch(word) is not None or _STAGE_WITH_STOP.fullmatch(word) is not None
    )


# A spinal level ("C5", "L4"), and the end of a range after one ("C6" of "C5-C6", "6" of "C5-6").
SPINAL_LEVEL = r"[CTLS]\d{1,2}"
LEVEL_RANGE_END = r"[CTLS]?\d{1,2}"
_LEVEL_WITH_STOP = re.compile(rf"{LEVEL_RANGE_END}\.", re.IGNORECASE)
_STAGE_WITH_STOP = re.compile(r"(?:\d{1,2}[abc]?|[ivx]{1,4}[abc]?)\.", re.IGNORECASE)


@lru_cache(maxsize=100_000)  # words repeat: the ranker normalises ~20 per code text
def norm_token(word: str) -> str:
    w = word.lower()
    if is_letter_with_stop(w):
        return w[0]
    if w.endswith(("'s", "\u2019s")) and len(w) > 2:
        w = w[:-2]
    if w in _NUMBER_WORDS:
        return _NUMBER_WORDS[w]
    if w in _CLASSICAL_PLURALS:
        return _CLASSICAL_PLURALS[w]
    if len(w) > 4 and w.isalpha():
        if w.endswith("ies"):
            return w[:-3] + "y"
        if w.endswith("s") and not w.endswith(_KEEP_S):
            return w[:-1]
    return w


@lru_cache(maxsize=100_000)  # mention texts repeat across notes
def term_key(term: str) -> str:
    """A lexicon term's lookup key: normalised words joined by single spaces."""
    words = [norm_token(w) for w in _TERM_WORD.findall(term.lower().replace("\u2019", "'"))]
    for i in range(1, len(words)):
        if words[i] in NUMERALS_AFTER_LEVEL and words[i - 1] in LEVEL_WORDS:
            words[i] = NUMERALS_AFTER_LEVEL[words[i]]
    return " ".join(w for w in words if w != "'s")
