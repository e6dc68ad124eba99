from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from faster_whisper import decode_audio

from chartdrop.ingest import speech
from chartdrop.ingest.acoustic_check import Check
from chartdrop.ingest.guard import GuardCounts
from chartdrop.ingest.skipped_speech import (
    GAP_SECONDS,
    insert,
    repeats_neighbours,
    unworded_spans,
    within,
)
from chartdrop.ingest.speech import SAMPLE_RATE, Transcriber
from chartdrop.ingest.types import Segment, Word
from tests.factories import make_dictation


def word(text: str, start: float, end: float) -> Word:
    return Word(text=text, confidence=0.9, start=start, end=end)


def segment(*words: Word) -> Segment:
    return Segment(
        text=" ".join(w.text for w in words), start=words[0].start, end=words[-1].end, words=words
    )


def test_unworded_spans_are_what_no_word_covers() -> None:
    found = [segment(word("History", 18.4, 18.9), word("of", 18.9, 19.5))]
    assert unworded_spans(found, 0.0, 21.0) == [(0.0, 18.4)]  # the start; 1.5 s at the end
    assert unworded_spans(found, 0.0, 24.0) == [(0.0, 18.4), (19.5, 24.0)]


def test_a_word_placed_out_of_order_does_not_make_a_stretch() -> None:
    # A window's last word put at the window's end, the next window starting earlier: the
    # words in between cover the time, so nothing was skipped.
    found = [
        segment(word("was", 21.5, 21.9), word("136.", 21.9, 22.7), word("She", 29.4, 30.0)),
        segment(word("is", 24.0, 24.3), word("frustrated", 24.3, 29.8)),
    ]
    assert unworded_spans(found, 21.5, 30.0) == []


def test_words_of_a_redecoding_are_cut_to_the_stretch() -> None:
    new = [segment(word("before", 0.1, 0.4), word("chest", 1.0, 1.4), word("pain", 1.4, 2.0))]
    (kept,) = within(new, (0.5, 2.5))
    assert kept.text == "chest pain" and (kept.start, kept.end) == (1.0, 2.0)
    assert within(new, (5.0, 9.0)) == []


def test_a_redecoding_of_the_neighbours_own_words_is_recognised() -> None:
    around = [segment(word("She", 20.0, 20.3), word("is", 20.3, 20.5), word("frustrated.", 30, 31))]
    again = [segment(word("she", 24.0, 24.3), word("is", 24.3, 24.5), word("frustrated", 25, 26))]
    fresh = [segment(word("voiding", 24.0, 24.5), word("diary", 24.5, 25.0))]
    assert repeats_neighbours(again, around, (22.0, 29.0))
    assert not repeats_neighbours(fresh, around, (22.0, 29.0))


def test_recovered_speech_goes_before_the_words_after_it() -> None:
    later = segment(word("did", 18.4, 18.6), word("not", 18.6, 18.8))
    new = [segment(word("History", 0.2, 0.6))]
    assert insert([later], new, 18.4) == [new[0], later]
    assert insert([later], new, 30.0) == [later, new[0]]


def test_skipped_speech_is_decoded_again_and_silence_is_not(
    transcriber: Transcriber, tmp_path: Path
) -> None:
    """A chunk whose first sentence the recogniser went past (here: its words removed from
    the segments, as Whisper's early timestamp leaves them) gets them back from a decoding of
    that stretch alone, in order; a stretch of silence is never sent to the model."""
    first = "The patient has hypertension and diabetes."
    path = make_dictation(f"{first} She walks two miles every day.", tmp_path / "d.wav")
    samples = decode_audio(str(path))
    silence = np.zeros(4 * SAMPLE_RATE, dtype=np.float32)
    samples = np.concatenate([samples, silence])
    end = len(samples) / SAMPLE_RATE
    whole = transcriber.transcribe(path)
    words = [w for s in whole.segments for w in s.words]
    cut = next(i for i, w in enumerate(words) if w.text.lower().startswith("she"))
    assert words[cut].start >= GAP_SECONDS  # the first sentence's time
    found = [segment(*words[cut:])]
    calls: list[float] = []

    def decode(part: np.ndarray) -> speech._Decoded:
        calls.append(len(part) / SAMPLE_RATE)
        return speech._decode(transcriber.model, part, "en", transcriber.settings)

    skipped = speech._Skipped()
    counts = GuardCounts()
    out = speech._decode_skipped(decode, samples, 0.0, found, counts, skipped, {})
    assert len(calls) == 1 and calls[0] < words[cut].start + 1  # the stretch, not the silence
    assert skipped.recovered == [(0.0, words[cut].start)] and skipped.unheard == []
    text = " ".join(s.text for s in out).lower()
    assert "hypertension" in text and text.index("hypertension") < text.index("miles")
    assert end - found[0].end >= GAP_SECONDS  # the silence was a stretch


def test_speech_that_gives_no_words_again_is_reported(
    transcriber: Transcriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_dictation("The patient has hypertension and diabetes.", tmp_path / "d.wav")
    original = speech._decode_skipped

    def losing_every_word(
        decode: object,
        samples: np.ndarray,
        offset: float,
        found: list[Segment],
        counts: GuardCounts,
        skipped: speech._Skipped,
        checks: dict[Word, tuple[Check, ...]],
    ) -> list[Segment]:
        # The recogniser's words all lost, and a decoding again giving none either.
        nothing = speech._Decoded([], {})
        return original(lambda part: nothing, samples, offset, [], counts, skipped, checks)

    monkeypatch.setattr(speech, "_decode_skipped", losing_every_word)
    result = transcriber.transcribe(path)
    assert result.text == ""
    assert any("speech gave no words at 0:00-" in w and "listen" in w for w in result.warnings)
