"""Confusable function words put right by how dictated English strings words together.

tiny.en swaps short function words it hears alike ("history on hypertension", "there in a
normal ..."), and homophones ("was scene"), often with high confidence, and the swap still
reads as English. A word from
a confusable pair (CONFUSABLE_PAIRS) is replaced by its partner when counts of dictated
clinical text make the partner, between the same two neighbours, at least e**MARGIN times
more likely. The counts (resources/function_word_bigrams.tsv.gz) are built from MTSamples
by ingest/training/context_counts.py. Each change is a Correction (source "context") that
the technician sees; a word heard with probability >= KEEP_ABOVE is left alone.
"""

from __future__ import annotations

import functools
import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path

from .phrases import word_correction
from .types import Correction, Word

RESOURCE = Path(__file__).resolve().parent / "resources" / "function_word_bigrams.tsv.gz"
CONFUSABLE_PAIRS = (
    ("of", "on"),
    ("is", "in"),
    ("in", "and"),
    ("as", "and"),
    ("a", "the"),
    ("seen", "scene"),  # a homophone: only context tells them apart
)
CONFUSABLE = frozenset(w for pair in CONFUSABLE_PAIRS for w in pair)
_PARTNERS = {  # each word's partners, in CONFUSABLE_PAIRS order
    w: [b if a == w else a for a, b in CONFUSABLE_PAIRS if w in (a, b)] for w in CONFUSABLE
}
MARGIN = 3.0  # nats: the partner must be ~20x more likely in this context
KEEP_ABOVE = 0.95  # a function word heard this surely is not changed
BOUNDARY = "<s>"  # sentence/clause punctuation, and the edges of the dictation
_SMOOTHING = 1.0
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,;:?!]")
_EDGE = re.compile(r"^([^A-Za-z]*)([A-Za-z']+)([^A-Za-z]*)$")


def tokens(text: str) -> list[str]:
    """Lower-case words, with clause punctuation as BOUNDARY (as the counts were made)."""
    return [BOUNDARY if t in ".,;:?!" else t for t in _TOKEN.findall(text.lower())]


@functools.lru_cache(maxsize=1)
def load_counts() -> tuple[dict[str, int], dict[tuple[str, str], int], int]:
    """(word counts, pair counts, total words); empty when the file is missing."""
    unigrams: dict[str, int] = {}
    bigrams: dict[tuple[str, str], int] = {}
    if not RESOURCE.is_file():
        return unigrams, bigrams, 0
    with gzip.open(RESOURCE, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            first, second, count = line.rstrip("\n").split("\t")
            if second:
                bigrams[(first, second)] = int(count)
            else:
                unigrams[first] = int(count)
    return unigrams, bigrams, sum(unigrams.values())


def context_corrections(words: Sequence[Word]) -> list[Correction]:
    """One Correction per confusable function word whose partner fits its neighbours
    MARGIN nats better (a bigram model on each side)."""
    unigrams, bigrams, total = load_counts()
    if not total:
        return []

    def logp(word: str, before: str) -> float:  # P(word | before), smoothed toward P(word)
        prior = (unigrams.get(word, 0) + 1) / total
        pair = bigrams.get((before, word), 0)
        return math.log((pair + _SMOOTHING * prior) / (unigrams.get(before, 0) + _SMOOTHING))

    parts = [_EDGE.match(w.text.strip()) for w in words]
    found: list[Correction] = []
    for i, (word, part) in enumerate(zip(words, parts, strict=True)):
        if part is None or word.confidence >= KEEP_ABOVE:
            continue
        heard = part.group(2).lower()
        if heard not in _PARTNERS:
            continue
        before = _neighbour(parts, i - 1, part.group(1), side="before")
        after = _neighbour(parts, i + 1, part.group(3), side="after")
        base = logp(heard, before) + logp(after, heard)
        gain, best = max((logp(p, before) + logp(after, p) - base, p) for p in _PARTNERS[heard])
        if gain < MARGIN:
            continue
        score = round(min(1.0, gain / (2 * MARGIN)), 3)
        found.append(word_correction(word, i, best, "context", score))
    return found


def _neighbour(parts: list[re.Match[str] | None], j: int, edge: str, side: str) -> str:
    """The word next to a function word, or BOUNDARY across punctuation or the ends."""
    if edge.strip() or not 0 <= j < len(parts) or parts[j] is None:
        return BOUNDARY
    match = parts[j]
    assert match is not None
    # Punctuation between them (on the neighbour's near side) is a boundary too.
    near = match.group(3) if side == "before" else match.group(1)
    return BOUNDARY if near.strip() else match.group(2).lower()
