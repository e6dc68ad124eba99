"""Confusable function words put right by how dictated English strings words together.

tiny.en swaps short function words it hears alike ("history on hypertension", "there in a
normal ..."), and homophones ("was scene"), often with high confidence, and the swap still
reads as English; and it drops or adds a final s ("the kidney measure", "she present
with"). A word from a confusable pair (CONFUSABLE_PAIRS), or a word of 4+ letters whose
other -s form is a known word, is replaced by its partner when counts of dictated
clinical text make the partner, between the same two neighbours, at least e**MARGIN times
more likely. The counts are bigrams.py's. Each change is a Correction (source "context") that
the technician sees; a word heard with probability >= KEEP_ABOVE is left alone.
sound_alike.py does the same for any word, with a sound-alike from the counts' vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .bigrams import WORD_EDGES, load_counts, neighbour
from .phrases import word_correction
from .types import Correction, Word

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
MIN_FORM_COUNT = 3  # a word's other -s form must be this common in the counts
_SMOOTHING = 1.0


def context_corrections(words: Sequence[Word]) -> list[Correction]:
    """One Correction per confusable word whose partner (or other -s form) fits its
    neighbours MARGIN nats better (a bigram model on each side)."""
    counts = load_counts()
    if not counts:
        return []
    unigrams, bigrams, total = counts.unigrams, counts.pairs, counts.total

    def logp(word: str, before: str) -> float:  # P(word | before), smoothed toward P(word)
        prior = (unigrams.get(word, 0) + 1) / total
        pair = bigrams.get((before, word), 0)
        return math.log((pair + _SMOOTHING * prior) / (unigrams.get(before, 0) + _SMOOTHING))

    parts = [WORD_EDGES.match(w.text.strip()) for w in words]
    found: list[Correction] = []
    for i, (word, part) in enumerate(zip(words, parts, strict=True)):
        if part is None or word.confidence >= KEEP_ABOVE:
            continue
        heard = part.group(2).lower()
        partners = _PARTNERS.get(heard) or _number_forms(heard, unigrams)
        if not partners:
            continue
        before = neighbour(parts, i - 1, part.group(1), side="before")
        after = neighbour(parts, i + 1, part.group(3), side="after")
        base = logp(heard, before) + logp(after, heard)
        gain, best = max((logp(p, before) + logp(after, p) - base, p) for p in partners)
        if gain < MARGIN:
            continue
        score = round(min(1.0, gain / (2 * MARGIN)), 3)
        found.append(word_correction(word, i, best, "context", score))
    return found


def _number_forms(heard: str, unigrams: dict[str, int]) -> list[str]:
    """The word's other -s form ("measure"/"measures", "presents"/"present"): a final s
    is the sound most easily lost or added, and neighbours tell which was said ("the
    kidney measures", "she presents with"). Short words are the pairs' business."""
    if len(heard) < 4:
        return []
    other = heard[:-1] if heard.endswith("s") and not heard.endswith("ss") else heard + "s"
    return [other] if unigrams.get(other, 0) >= MIN_FORM_COUNT else []
