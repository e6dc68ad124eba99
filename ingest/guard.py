"""The guard against text Whisper invents: segments over silence or noise, and loops."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .types import Segment, Word

# Whisper invents text on silence and noise ("Thank you.", "you"); a segment the
# model itself thinks is non-speech and is unsure about is dropped.
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
REPEAT_RUN = 3  # identical consecutive segments from this many on are a decoding loop
# A loop inside segments, the same few words over and over with small changes ("severe
# menom tromage unresponsive to severe menom tromage to severe ..." over 19 s of noisy
# speech): LOOP_WINDOW running words made of at most LOOP_WORDS different ones. Dictation
# is far more varied: none of the 54 bench dictations but that one has such a stretch.
LOOP_WINDOW = 12
LOOP_WORDS = 5


@dataclass
class GuardCounts:
    non_speech: int = 0
    repeats: int = 0
    loops: int = 0


def guarded(segments: Iterable[Any], counts: GuardCounts) -> Iterator[Any]:
    """Drop probable non-speech segments and collapse runs of identical segments.

    Streams: holds at most REPEAT_RUN - 1 segments while a run of repeats is open.
    """
    run: list[Any] = []
    run_key = None
    run_len = 0
    for seg in segments:
        if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOW_AVG_LOGPROB:
            counts.non_speech += 1
            continue
        key = normalized(seg.text)
        if not key:  # punctuation-only output (")))...") is a decoding failure
            counts.non_speech += 1
            continue
        if key == run_key:
            run_len += 1
            if run_len < REPEAT_RUN:
                run.append(seg)
            elif run_len == REPEAT_RUN:
                counts.repeats += len(run)  # the held second copy, and this third one
                run = run[:1]
            else:
                counts.repeats += 1
            continue
        yield from run
        run, run_key, run_len = [seg], key, 1
    yield from run


def normalized(text: str) -> str:
    """Lower-case letters and digits, words single-spaced: what a repeat is compared on."""
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def unlooped(segments: Sequence[Segment], counts: GuardCounts) -> list[Segment]:
    """`segments` (one decoded chunk's, in order) with each looping stretch cut after its
    first turn: from the first word pair heard again. The words cut leave their time
    uncovered, so skipped_speech decodes that audio again on its own."""
    keys = [normalized(w.text) for s in segments for w in s.words]
    looping = [False] * len(keys)
    for i in range(len(keys) - LOOP_WINDOW + 1):
        if len(set(keys[i : i + LOOP_WINDOW])) <= LOOP_WORDS:
            looping[i : i + LOOP_WINDOW] = [True] * LOOP_WINDOW
    cut: set[int] = set()
    i = 0
    while i < len(keys):
        if not looping[i]:
            i += 1
            continue
        end = i
        while end < len(keys) and looping[end]:
            end += 1
        pairs: set[tuple[str, str]] = set()
        first_turn = i
        while first_turn + 1 < end and (keys[first_turn], keys[first_turn + 1]) not in pairs:
            pairs.add((keys[first_turn], keys[first_turn + 1]))
            first_turn += 1
        cut.update(range(first_turn, end))
        counts.loops += 1
        i = end
    if not cut:
        return list(segments)
    out: list[Segment] = []
    at = 0
    for segment in segments:
        kept = tuple(w for k, w in enumerate(segment.words, start=at) if k not in cut)
        at += len(segment.words)
        if kept == segment.words:
            out.append(segment)
        elif kept:
            out.append(with_words(segment, kept))
    return out


def with_words(segment: Segment, words: tuple[Word, ...]) -> Segment:
    """`segment` cut down to `words` (some of its own, in order): text and times follow."""
    text = "".join((" " if w.space_before else "") + w.text for w in words).strip()
    return replace(segment, text=text, start=words[0].start, end=words[-1].end, words=words)
