"""Sound-alike offers for a doubtful run of words, for Whisper to choose among.

tiny.en hears clinical words as other words that sound like them: "orbit" stenosis
(aortic), "nicer area" (dysuria), "men and real" (Benadryl), "literal" stent (ureteral).
Spelling and Metaphone keys (vocabulary.py, sound_alike.py) miss most of these, and
neither can tell which of several sound-alikes was said. Here each run of 1-3 doubtful
words (all heard below GATE) is said again as phonemes (phonetics.py) and matched
against the phonemes of the curated clinical terms and of the dictation vocabulary.
Each sound-alike gets a prior in nats:

    CONTEXT_WEIGHT * (log P(sound-alike | neighbours) - log P(heard | neighbours))
      - SOUND_WEIGHT * (1 - phoneme similarity) - WORD_COST * (spoken words merged away)

from the bigram model of clinical dictation (bigrams.py). The best KEEP of each run,
if their prior reaches MIN_PRIOR, are offered; acoustic_check.WindowChecker then has
Whisper score them against what it heard, over the same encoded audio, and takes the
best when prior and Whisper's score together clear a margin. The context alone cannot
choose ("no murmur" fits as well as "no numbness"), nor can the recogniser alone
("orbital" scores as well as "aortic"); together they do. Names are never offered for:
sound_alike.doubtful_words leaves them out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process

from . import phonetics
from .bigrams import BOUNDARY, load_counts, tokens
from .phrases import cased_like
from .sound_alike import dictation_words, doubtful_runs, doubtful_words, run_neighbours
from .types import Word

GATE = 0.9  # only words heard below this are offered for (sound_alike.GATE)
MAX_WORDS = 3
MIN_LETTERS = 4
MIN_SOUND = 0.5  # phoneme similarity for a sound-alike to be considered at all
NEAREST = 6  # sound-alikes taken from each index (clinical terms, dictation words)
KEEP = 2  # sound-alikes per run that Whisper scores
CONTEXT_WEIGHT = 0.7
SOUND_WEIGHT = 10.0
WORD_COST = 5.0  # nats per heard word merged away: Whisper's score favours fewer tokens
MIN_PRIOR = 2.0  # nats; a run whose best offer is below this is not offered for
CONFIDENCE_COST = 3.0  # nats per unit of the recogniser's own probability for the run
MARGIN = 5.0  # nats that prior and Whisper's score together must reach
Run = tuple[int, int]  # a run of heard words: start, end (exclusive)


@dataclass(frozen=True, slots=True)
class Offer:
    """Sound-alikes for `words` recognised words from `first` (window indices)."""

    first: int
    words: int
    replacements: tuple[str, ...]
    priors: tuple[float, ...]  # nats, as above, one per replacement
    confidence: float  # the recogniser's mean word probability over the run


@dataclass(frozen=True)
class _Index:
    texts: tuple[str, ...]
    sounds: tuple[str, ...]


@dataclass(frozen=True)
class _Sounds:
    # The clinical terms' and the dictation words', searched apart so that the many everyday
    # words do not crowd out the terms.
    indexes: tuple[_Index, ...]
    words: Mapping[str, str]  # the code of each single word in them, by its lower case


@functools.lru_cache(maxsize=8)
def _sounds(terms: tuple[str, ...]) -> _Sounds | None:
    """Phoneme codes of the clinical `terms` and of the dictation words (None: no espeak-ng)."""
    indexes = []
    for name, texts in (("terms", terms), ("words", dictation_words())):
        sounds = phonetics.cached_phonemes(texts, name)
        if sounds is None:
            return None
        indexes.append(_Index(texts, tuple(sounds)))
    words = {
        text.lower(): sound
        for index in indexes
        for text, sound in zip(index.texts, index.sounds, strict=True)
        if text.isalpha()
    }
    return _Sounds(tuple(indexes), words)


def load(terms: Sequence[str]) -> None:
    """Build the phoneme indexes now (service start), not on the first dictation."""
    _sounds(tuple(terms))


def offers(words: Sequence[Word], terms: Sequence[str]) -> list[Offer]:
    """Every doubtful run's offer, best prior first (runs may overlap)."""
    sounds = _sounds(tuple(terms))
    counts = load_counts()
    if sounds is None or not counts:
        return []
    parts, heard, doubtful = doubtful_words(words, GATE)
    runs = _runs(parts, heard, doubtful)
    said = _run_sounds(runs, heard, sounds.words)
    if not runs or said is None:
        return []
    found: list[Offer] = []
    for (i, end), near in zip(runs, _nearest(said, sounds.indexes), strict=True):
        before, after = run_neighbours(parts, i, end)
        base = counts.chain([before, *heard[i:end], after])
        own = "".join(heard[i:end])  # a split compound is the compound rule's business
        # Pieces Whisper joined with a hyphen ("floxic hard -oat") were one word said.
        spoken = sum(1 for w in words[i:end] if not w.text.strip().startswith("-"))
        scored: dict[str, float] = {}
        for text, similarity in near:
            said_as = tokens(text)
            if not said_as or "".join(said_as) == own or BOUNDARY in said_as:
                continue
            if len(said_as) != end - i and set(said_as) & set(heard[i:end]):
                continue  # a heard word kept and its neighbour dropped: no deletions
            fit = counts.chain([before, *said_as, after]) - base
            merged = max(0, spoken - len(said_as))
            prior = CONTEXT_WEIGHT * fit - SOUND_WEIGHT * (1 - similarity) - WORD_COST * merged
            scored[text] = max(prior, scored.get(text, -math.inf))
        best = sorted(scored.items(), key=lambda kv: -kv[1])[:KEEP]
        if not best or best[0][1] < MIN_PRIOR:
            continue
        confidence = sum(w.confidence for w in words[i:end]) / (end - i)
        first = parts[i]
        assert first is not None
        replacements = tuple(cased_like(text, first.group(2)) for text, _ in best)
        priors = tuple(round(p, 2) for _, p in best)
        found.append(Offer(i, end - i, replacements, priors, confidence))
    found.sort(key=lambda o: -o.priors[0])
    return found


def _runs(parts: Sequence[Any], heard: Sequence[str], doubtful: Sequence[bool]) -> list[Run]:
    """(start, end) of each run of 1-MAX_WORDS doubtful words within one phrase."""
    return [
        (i, end)
        for i, end in doubtful_runs(parts, doubtful, MAX_WORDS)
        if len("".join(heard[i:end])) >= MIN_LETTERS
    ]


def _run_sounds(
    runs: Sequence[Run], heard: Sequence[str], known: Mapping[str, str]
) -> list[str] | None:
    """Each run's phoneme code: its words' codes run together (codes carry no word breaks),
    so espeak-ng is asked, once, only for the words in neither index (None: it failed)."""
    new = sorted({w for i, end in runs for w in heard[i:end] if w not in known})
    sounds = dict(zip(new, phonetics.phonemes(new) or (), strict=False))
    if len(sounds) < len(new):
        return None
    return ["".join(known.get(w) or sounds[w] for w in heard[i:end]) for i, end in runs]


def _nearest(said: Sequence[str], indexes: Sequence[_Index]) -> list[list[tuple[str, float]]]:
    """For each code in `said`, the NEAREST texts of each index by sound, with their
    similarity (at least MIN_SOUND). One distance matrix per index: rapidfuzz's cdist
    scores many short strings about four times faster than one search per code."""
    found: list[list[tuple[str, float]]] = [[] for _ in said]
    for index in indexes:
        alike = process.cdist(
            said, index.sounds, scorer=phonetics.sound_similarity,
            score_cutoff=MIN_SOUND, dtype=np.float32,
        )  # fmt: skip
        top = np.argsort(-alike, axis=1, kind="stable")[:, :NEAREST]
        for row, ks in enumerate(top):
            found[row].extend(
                (index.texts[k], float(alike[row, k])) for k in ks if alike[row, k] >= MIN_SOUND
            )
    return found


def choose(offer: Offer, nats: Sequence[float], veto: float) -> tuple[str, float, float] | None:
    """The replacement to make for `offer`, given Whisper's score of each (`nats`, against
    the heard words; never one below `veto`): (replacement, its nats, the correction's 0..1
    score), or None."""
    total, k = max(
        (prior + said - CONFIDENCE_COST * offer.confidence, k)
        for k, (prior, said) in enumerate(zip(offer.priors, nats, strict=True))
    )
    if total < MARGIN or nats[k] < veto:
        return None
    return offer.replacements[k], nats[k], round(min(1.0, 0.5 + total / (4 * MARGIN)), 3)
