from __future__ import annotations

from types import SimpleNamespace

import pytest

from chartdrop.ingest.guard import GuardCounts, guarded, unlooped
from chartdrop.ingest.types import Segment, Word


def _seg(text: str, no_speech: float = 0.1, logprob: float = -0.3) -> SimpleNamespace:
    return SimpleNamespace(text=text, no_speech_prob=no_speech, avg_logprob=logprob)


def test_guard_drops_non_speech_and_collapses_loops() -> None:
    counts = GuardCounts()
    segments = [
        _seg("Thank you.", no_speech=0.9, logprob=-1.4),  # classic silence hallucination
        _seg("Patient seen."),
        _seg("No."),
        _seg("No."),  # a genuine double stays
        _seg("Plan is rest."),
        *[_seg("Plan is rest!") for _ in range(5)],  # a decoding loop
        _seg(")))))))"),
        _seg("Follow up."),
    ]
    kept = [s.text for s in guarded(iter(segments), counts)]
    assert kept == ["Patient seen.", "No.", "No.", "Plan is rest.", "Follow up."]
    assert counts.non_speech == 2
    assert counts.repeats == 5


def _said(text: str, start: float = 0.0, step: float = 0.4) -> Segment:
    """A Segment of `text`'s words, one every `step` seconds from `start`."""
    words = tuple(
        Word(w, 0.8, start=start + k * step, end=start + k * step + 0.3)
        for k, w in enumerate(text.split())
    )
    return Segment(text=text, start=start, end=words[-1].end, words=words)


def test_a_loop_inside_segments_is_cut_after_its_first_turn() -> None:
    """Noisy speech sent tiny.en round one phrase with small changes for 19 s; the words
    after the loop's first turn go, and their time is left for skipped_speech."""
    loop = "severe menom tromage unresponsive to " * 3 + "severe menom tromage to " * 2
    segments = [
        _said("Discharge diagnoses: 1. Severe anemia."),
        _said(loop + "severe menom tromage unresponsive", start=3.0),
        _said("Plan: follow up in clinic.", start=20.0),
    ]
    counts = GuardCounts()
    kept = unlooped(segments, counts)
    assert [s.text for s in kept] == [
        "Discharge diagnoses: 1. Severe anemia.",
        "severe menom tromage unresponsive to",
        "Plan: follow up in clinic.",
    ]
    assert counts.loops == 1
    assert kept[1].end == pytest.approx(3.0 + 4 * 0.4 + 0.3)  # the time after it is free


def test_dictation_that_repeats_itself_is_not_a_loop() -> None:
    said = [
        _said("Review of systems: no fever, no chills, no nausea, no vomiting, no diarrhea."),
        _said("No cough, no dysuria. Left knee: no effusion. Right knee: no effusion.", 6),
        _said("1. Severe anemia. 2. Severe anemia, resolved. 3. Severe pain.", 12),
    ]
    counts = GuardCounts()
    assert unlooped(said, counts) == said
    assert counts.loops == 0
