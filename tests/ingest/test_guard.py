from __future__ import annotations

from types import SimpleNamespace

from chartdrop.ingest.guard import GuardCounts, guarded


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
