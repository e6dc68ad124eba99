"""The guard against text Whisper invents: segments over silence or noise, and loops."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# Whisper invents text on silence and noise ("Thank you.", "you"); a segment the
# model itself thinks is non-speech and is unsure about is dropped.
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
REPEAT_RUN = 3  # identical consecutive segments from this many on are a decoding loop


@dataclass
class GuardCounts:
    non_speech: int = 0
    repeats: int = 0


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
