"""Word and word-pair counts of clinical dictation, and a bigram model over them.

The counts (resources/dictation_bigrams.tsv.gz) are built from MTSamples transcriptions
by ingest/training/context_counts.py: every word and word pair seen at least twice, and,
per word, how many different words follow and precede it in the full counts (what
Kneser-Ney smoothing needs, and what pruning the pairs seen once would otherwise lose).
context_words.py and sound_alike.py score the words around a doubtful word with it.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

RESOURCE = Path(__file__).resolve().parent / "resources" / "dictation_bigrams.tsv.gz"
BOUNDARY = "<s>"  # sentence/clause punctuation, and the edges of the dictation
DISCOUNT = 0.75  # Kneser-Ney's absolute discount (the usual value for bigrams)
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,;:?!]")
# A recognised word as (leading punctuation, letters, trailing punctuation).
WORD_EDGES = re.compile(r"^([^A-Za-z]*)([A-Za-z']+)([^A-Za-z]*)$")


def tokens(text: str) -> list[str]:
    """Lower-case words, with clause punctuation as BOUNDARY (as the counts were made)."""
    return [BOUNDARY if t in ".,;:?!" else t for t in _TOKEN.findall(text.lower())]


@dataclass(frozen=True)
class BigramCounts:
    unigrams: dict[str, int] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    followers: dict[str, int] = field(default_factory=dict)  # distinct words after a word
    predecessors: dict[str, int] = field(default_factory=dict)  # distinct words before it
    pair_types: int = 0  # distinct pairs in the full counts
    total: int = 0  # words counted (those seen at least twice)

    def __bool__(self) -> bool:
        return self.total > 0

    def logp(self, word: str, before: str) -> float:
        """log P(word | before), interpolated Kneser-Ney. A word never seen gets the
        smallest continuation probability rather than zero."""
        vocabulary = len(self.unigrams) + 1
        cont = (self.predecessors.get(word, 0) + 0.5) / (self.pair_types + 0.5 * vocabulary)
        seen = self.unigrams.get(before, 0)  # ~ how often `before` is followed by anything
        if not seen:
            return math.log(cont)
        pair = max(self.pairs.get((before, word), 0) - DISCOUNT, 0.0)
        spread = DISCOUNT * self.followers.get(before, 0) / seen
        return math.log(pair / seen + spread * cont)

    def chain(self, words: Sequence[str]) -> float:
        """log P of `words[1:]`, each given the word before it (the first is context)."""
        return sum(self.logp(word, before) for before, word in itertools.pairwise(words))


@functools.lru_cache(maxsize=1)
def load_counts() -> BigramCounts:
    """The shipped counts; empty (and false) when the file is missing."""
    if not RESOURCE.is_file():
        return BigramCounts()
    unigrams: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    followers: dict[str, int] = {}
    predecessors: dict[str, int] = {}
    pair_types = 0
    with gzip.open(RESOURCE, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                if line.startswith("#pairs\t"):
                    pair_types = int(line.split("\t")[1])
                continue
            first, second, count, *more = line.rstrip("\n").split("\t")
            if second:
                pairs[(first, second)] = int(count)
                continue
            unigrams[first] = int(count)
            followers[first], predecessors[first] = int(more[0]), int(more[1])
    return BigramCounts(
        unigrams, pairs, followers, predecessors, pair_types, sum(unigrams.values())
    )


def neighbour(parts: Sequence[re.Match[str] | None], j: int, edge: str, side: str) -> str:
    """The lower-case word at `j` (WORD_EDGES matches of a word list) as the neighbour on
    `side` ("before"/"after") of a word whose own punctuation on that side is `edge`;
    BOUNDARY across punctuation, a non-word or the ends."""
    if edge.strip() or not 0 <= j < len(parts) or parts[j] is None:
        return BOUNDARY
    match = parts[j]
    assert match is not None
    # Punctuation between them (on the neighbour's near side) is a boundary too.
    near = match.group(3) if side == "before" else match.group(1)
    return BOUNDARY if near.strip() else match.group(2).lower()
