"""A mis-heard word put right by a sound-alike word that fits its neighbours.

tiny.en turns clinical words into English that sounds alike but reads wrong among its
neighbours: "systemic menus return" (venous), "ejection traction" (fraction), "any
femurs, chills" (fevers), "a trail fibrillation" (atrial). For each run of 1-3 doubtful
words (each heard with probability below GATE), the dictation vocabulary (bigrams.py's
words seen at least MIN_COUNT times) is searched by sound, Metaphone keys of the letters
run together, and the best sound-alike replaces the run when, noisy-channel style,

    log P(sound-alike | neighbours) - log P(heard | neighbours)
      - SOUND_COST * (1 - similarity) - CONFIDENCE_COST * mean probability heard
      - WORD_COST * (words merged)                                          >= MARGIN

with P from the bigram model of clinical dictation on both sides. The lexicon lookup
(vocabulary.py) proposes clinical terms by sound alone; this proposes any dictated word,
by sound and context. Each change is a Correction (source "sound-alike") that the
technician sees. Spoken commands ("slash", "period") and contractions are left alone.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Sequence

import jellyfish
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .bigrams import WORD_EDGES, BigramCounts, load_counts, neighbour
from .dictation_rules import COMMANDS
from .phrases import window_correction
from .types import Correction, Word
from .wordlists import everyday_english

GATE = 0.9  # a word heard at least this surely is never changed here
REAL_WORD_GATE = 0.75  # ... and a run of real English words, only below this
MARGIN = 3.0  # nats the sound-alike must win by, all costs paid (~20x likelier)
SOUND_COST = 15.0  # nats per unit of dissimilarity (similarity 0.8 costs 3)
CONFIDENCE_COST = 3.0  # nats per unit of the recogniser's own probability
WORD_COST = 5.0  # nats per word merged away ("a trail" -> atrial): fewer words read likelier
MAX_WINDOW = 3
MIN_COUNT = 3  # a sound-alike must be this common in the counts
MIN_LETTERS = 4  # shorter runs sound like everything
LENGTH_RATIO = 0.75  # the sound-alike's length against the heard letters', at least
SOUND_CUTOFF = 0.6  # Metaphone similarity for a word to be considered at all
NEAREST_KEYS = 100  # sound keys scored per run (ties are many: "menus" has ~70 at 0.67)
SOURCE = "sound-alike"
_COMMAND_WORDS = frozenset(w for key in COMMANDS for w in key)
_SHORT_WORDS = frozenset({"a", "an"})  # the only words under 3 letters a run may hold
# Words that a person's name follows ("patient maria lopez", "doctor alan grant"): the
# next NAME_REACH words may be a name even when not capitalised, and are left alone.
_NAME_LABEL_WORDS = "patient patients name named doctor dr mr mrs ms miss mister by"
NAME_LABELS = frozenset(_NAME_LABEL_WORDS.split())
NAME_REACH = 2
_Parts = re.Match[str] | None  # a word's WORD_EDGES match


def similarity(letters: str, other: str, sound: float) -> float:
    """Sound (Metaphone keys' similarity, given), spelling and length agreement, 0..1."""
    spelling = Levenshtein.normalized_similarity(letters, other)
    length = min(len(letters), len(other)) / max(len(letters), len(other))
    return 0.6 * sound + 0.25 * spelling + 0.15 * length


@functools.lru_cache(maxsize=1)
def dictation_words() -> tuple[str, ...]:
    """The words a sound-alike may be: seen at least MIN_COUNT times in the counts."""
    counts = load_counts()
    return tuple(
        word
        for word, count in counts.unigrams.items()
        if count >= MIN_COUNT and len(word) >= 3 and word.isalpha()
    )


@functools.lru_cache(maxsize=1)
def _vocabulary() -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The sound keys of the dictation vocabulary, and the words under each key."""
    by_key: dict[str, list[str]] = {}
    for word in dictation_words():
        by_key.setdefault(jellyfish.metaphone(word), []).append(word)
    return tuple(by_key), {k: tuple(v) for k, v in by_key.items()}


@functools.lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    return frozenset(w.lower() for w in everyday_english())


@functools.lru_cache(maxsize=4096)
def _sound_alikes(key: str) -> tuple[tuple[str, float], ...]:
    """(word, sound similarity) for the vocabulary words whose keys are nearest `key`."""
    keys, by_key = _vocabulary()
    near = process.extract(
        key, keys, scorer=Levenshtein.normalized_similarity, score_cutoff=SOUND_CUTOFF,
        limit=NEAREST_KEYS,
    )  # fmt: skip
    return tuple((word, float(sound)) for found, sound, _ in near for word in by_key[found])


def load() -> None:
    """Build the sound index and word sets now (service start), not on the first dictation."""
    _vocabulary()
    _english()


def sound_alike_corrections(words: Sequence[Word]) -> list[Correction]:
    """Candidate Corrections (possibly overlapping; correct_words keeps the best)."""
    counts = load_counts()
    if not counts:
        return []
    parts, heard, doubtful = doubtful_words(words, GATE)
    english = _english()
    found: list[Correction] = []
    for i, end in doubtful_runs(parts, doubtful, MAX_WINDOW):
        if max(w.confidence for w in words[i:end]) >= REAL_WORD_GATE and all(
            h in english for h in heard[i:end]
        ):
            continue  # a real word heard fairly surely
        best = _best(counts, words, parts, heard, i, end)
        if best is not None:
            found.append(best)
    return found


def doubtful_words(
    words: Sequence[Word], gate: float
) -> tuple[list[_Parts], list[str], list[bool]]:
    """Each word's WORD_EDGES parts, its lower-case letters, and whether it may be changed
    for a sound-alike: heard below `gate`, not a spoken command or contraction, and not
    (likely) part of a person's name."""
    parts = [WORD_EDGES.match(w.text.strip()) for w in words]
    heard = [p.group(2).lower() if p else "" for p in parts]
    after_label = _after_name_label(heard)
    doubtful = [
        p is not None
        and w.confidence < gate
        and _may_change(h)
        and not after_label[k]
        and not _name(parts, k)
        for k, (w, p, h) in enumerate(zip(words, parts, heard, strict=True))
    ]
    return parts, heard, doubtful


def doubtful_runs(
    parts: Sequence[_Parts], doubtful: Sequence[bool], longest: int
) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of 1-`longest` doubtful words inside one phrase: Whisper's
    punctuation between two words ends a run; a leading hyphen ("non -carbon") is only how
    it joins word pieces."""
    for i in range(len(parts)):
        for end in range(i + 1, min(i + longest, len(parts)) + 1):
            if not doubtful[end - 1]:
                break
            if end - 1 > i:
                left, right = parts[end - 2], parts[end - 1]
                assert left is not None and right is not None  # both doubtful, so words
                if left.group(3).strip() or right.group(1).strip("-"):
                    break
            yield i, end


def run_neighbours(parts: Sequence[_Parts], i: int, end: int) -> tuple[str, str]:
    """The bigram neighbours (bigrams.neighbour) before and after words `i`..`end`-1."""
    first, last = parts[i], parts[end - 1]
    assert first is not None and last is not None
    before = neighbour(parts, i - 1, first.group(1).strip("-"), side="before")
    after = neighbour(parts, end, last.group(3), side="after")
    return before, after


def _may_change(word: str) -> bool:
    return (
        (len(word) >= 3 or word in _SHORT_WORDS)
        and "'" not in word  # contractions ("can't", "he'd")
        and word not in _COMMAND_WORDS
    )


def _after_name_label(heard: Sequence[str]) -> list[bool]:
    """Whether each word is within NAME_REACH words after a NAME_LABELS word."""
    out = [False] * len(heard)
    for k, word in enumerate(heard):
        if word in NAME_LABELS:
            for j in range(k + 1, min(k + 1 + NAME_REACH, len(heard))):
                out[j] = True
    return out


def _name(parts: Sequence[_Parts], k: int) -> bool:
    """A capitalised word inside a sentence: a name ("patient Maria Lopez"), kept."""
    word = parts[k]
    if word is None or not word.group(2)[:1].isupper() or k == 0:
        return False
    before = parts[k - 1]
    return before is not None and not re.search(r"[.?!:]$", before.group(3) or "")


def _best(
    counts: BigramCounts,
    words: Sequence[Word],
    parts: Sequence[_Parts],
    heard: Sequence[str],
    i: int,
    end: int,
) -> Correction | None:
    said = heard[i:end]
    letters = "".join(said)
    if len(letters) < MIN_LETTERS:
        return None
    before, after = run_neighbours(parts, i, end)
    base = counts.chain([before, *said, after])
    mean = sum(w.confidence for w in words[i:end]) / (end - i)
    cost = CONFIDENCE_COST * mean + WORD_COST * (end - i - 1)
    gain, choice = -math.inf, ""
    for word, sound in _sound_alikes(jellyfish.metaphone(letters)):
        if word == letters:
            continue
        if min(len(word), len(letters)) / max(len(word), len(letters)) < LENGTH_RATIO:
            continue
        fit = counts.chain([before, word, after]) - base
        g = fit - SOUND_COST * (1 - similarity(letters, word, sound)) - cost
        if g > gain:
            gain, choice = g, word
    if gain < MARGIN:
        return None
    first = parts[i]
    assert first is not None
    if first.group(2)[:1].isupper():
        choice = choice.capitalize()
    score = round(min(1.0, 0.5 + gain / (4 * MARGIN)), 3)
    return window_correction(words[i:end], i, choice, SOURCE, score)
