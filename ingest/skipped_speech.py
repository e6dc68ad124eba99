"""Speech the recogniser went past: stretches where no word was recognised but voice activity
detection hears speech, found from the word timestamps so that they can be decoded again.

Whisper sometimes closes a 30 s window with a timestamp far beyond its last word: on a held-out
dictation it heard "History on Premon", then nothing until "did not do a voiding diary" 18 s
later, bare faster-whisper alike. The words between were lost without a sign. On the 32
held-out dictations of bench/asr.py this happened in 3 files (26 s of 1,235 s); decoded on its
own, the skipped stretch gave its words back.

Word times are rough and not always in order (a window's last word may be placed at the
window's end and the next window start earlier), so a stretch counts only when the union of
all word intervals leaves it uncovered, and a re-decoding that mostly repeats the words around
it is taken for such a misplacement and dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .audio_chunks import SAMPLE_RATE
from .guard import normalized, with_words
from .types import Segment, Word

Span = tuple[float, float]  # seconds from the recording's start

GAP_SECONDS = 2.5  # uncovered time between words looked at (espeak and people pause less)
MIN_SPEECH_SECONDS = 1.5  # ... and decoded again when voice activity detection hears this much
MARGIN_SECONDS = 0.3  # audio taken either side of the stretch, for the words at its edges
NEIGHBOUR_SECONDS = 10.0  # words this close to the stretch are its neighbours
MAX_REPEATED_SHARE = 0.5  # a re-decoding whose words are more than this share neighbours' is
# the neighbours' own words misplaced, not skipped speech


def unworded_spans(segments: Sequence[Segment], start: float, end: float) -> list[Span]:
    """Stretches of at least GAP_SECONDS between `start` and `end` that no word covers."""
    intervals = sorted(
        (w.start, w.end)
        for s in segments
        for w in s.words
        if w.start is not None and w.end is not None
    )
    spans: list[Span] = []
    covered = start
    for word_start, word_end in intervals:
        if word_start - covered >= GAP_SECONDS:
            spans.append((covered, word_start))
        covered = max(covered, word_end)
    if end - covered >= GAP_SECONDS:
        spans.append((covered, end))
    return spans


def heard_speech_seconds(samples: np.ndarray) -> float:
    """Seconds of speech that faster-whisper's voice activity detector finds in `samples`."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions())
    return sum(chunk["end"] - chunk["start"] for chunk in chunks) / SAMPLE_RATE


def within(segments: Sequence[Segment], span: Span) -> list[Segment]:
    """`segments` cut to their words whose middle lies in `span` (the margins' words are the
    neighbours' and already recognised); segments left with no word are dropped."""
    out: list[Segment] = []
    for segment in segments:
        words = tuple(w for w in segment.words if span[0] <= _middle(w) <= span[1])
        if not words:
            continue
        out.append(segment if words == segment.words else with_words(segment, words))
    return out


def repeats_neighbours(new: Sequence[Segment], segments: Sequence[Segment], span: Span) -> bool:
    """Whether the words of `new` are mostly words recognised within NEIGHBOUR_SECONDS of
    `span` already."""
    lo, hi = span[0] - NEIGHBOUR_SECONDS, span[1] + NEIGHBOUR_SECONDS
    near = {normalized(w.text) for s in segments for w in s.words if w.end >= lo and w.start <= hi}
    words = [normalized(w.text) for s in new for w in s.words]
    repeated = sum(1 for key in words if key in near)
    return bool(words) and repeated > MAX_REPEATED_SHARE * len(words)


def insert(segments: Sequence[Segment], new: Sequence[Segment], span_end: float) -> list[Segment]:
    """`new` placed before the first segment that starts at the stretch's end or later."""
    at = next(
        (k for k, s in enumerate(segments) if s.start is not None and s.start >= span_end - 0.5),
        len(segments),
    )
    return [*segments[:at], *new, *segments[at:]]


def clock(spans: Sequence[Span]) -> str:
    """The stretches as m:ss-m:ss, as the review desk's player shows times."""
    return ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in spans)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _middle(word: Word) -> float:
    return ((word.start or 0.0) + (word.end or 0.0)) / 2
