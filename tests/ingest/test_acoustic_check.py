"""The recogniser's check of proposed corrections (ingest/acoustic_check.py): the veto in
correct_words, and the scores the real tiny.en model gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chartdrop.ingest.acoustic_check import VETO_NATS, Check, WindowChecker
from chartdrop.ingest.phrases import window_correction
from chartdrop.ingest.speech import Transcriber
from chartdrop.ingest.types import Correction, Word
from chartdrop.ingest.vocabulary import correct_words, load_lexicon
from chartdrop.ingest.whisper_model import check_windows
from tests.factories import make_dictation
from tests.ingest.test_vocabulary import words

LEX = load_lexicon("")
HEARD = "continue/0.9 listen/0.3 a/0.3 pril/0.3 daily/0.9"


def test_a_correction_the_recogniser_finds_far_less_likely_is_not_made() -> None:
    spoken = words(HEARD)
    vetoed = {spoken[1]: (Check(3, "lisinopril", VETO_NATS - 0.5),)}
    fixed, corrections = correct_words(spoken, LEX, checks=vetoed)
    assert corrections == []
    assert [w.text for w in fixed] == ["continue", "listen", "a", "pril", "daily"]


def test_a_correction_the_recogniser_finds_likely_enough_is_made() -> None:
    spoken = words(HEARD)
    for checks in ({spoken[1]: (Check(3, "lisinopril", VETO_NATS + 0.5),)}, {}):
        _, corrections = correct_words(spoken, LEX, checks=checks)
        assert [c.replacement for c in corrections] == ["lisinopril"]


def test_a_check_of_another_window_or_term_does_not_veto() -> None:
    spoken = words(HEARD)
    for other in (Check(2, "lisinopril", -30.0), Check(3, "losartan", -30.0)):
        _, corrections = correct_words(spoken, LEX, checks={spoken[1]: (other,)})
        assert [c.replacement for c in corrections] == ["lisinopril"]


def test_a_compound_is_joined_whatever_its_score() -> None:
    spoken = words("cardio/0.9 version/0.9 was/0.9 done/0.9")
    checks = {spoken[0]: (Check(2, "cardioversion", -30.0),)}
    _, corrections = correct_words(spoken, LEX, checks=checks)
    assert [(c.replacement, c.source) for c in corrections] == [("cardioversion", "compound")]


def _proposing(term: str, also: str) -> WindowChecker:
    """A checker proposing `term` and `also` for the first word starting 'chill'."""

    def propose(heard: list[Word]) -> list[Correction]:
        i = next(k for k, w in enumerate(heard) if w.text.lower().startswith("chill"))
        return [window_correction(heard[i : i + 1], i, t, "problem", 0.9) for t in (term, also)]

    return WindowChecker(propose)


def test_the_recogniser_scores_the_word_it_heard_far_above_a_wrong_term(
    transcriber: Transcriber, tmp_path: Path
) -> None:
    wav = make_dictation("The patient reports fever and chills since Monday.", tmp_path / "d.wav")
    checker = _proposing("chills", "hemodialysis")
    check_windows(checker)
    try:
        segments, _ = transcriber.model.transcribe(str(wav), language="en", word_timestamps=True)
        heard = [w.word for s in segments for w in s.words]
    finally:
        check_windows(None)
    assert any(w.strip().lower().startswith("chill") for w in heard)
    ((word, probability), checks) = next(iter(checker.found.items()))
    assert word.strip().lower().startswith("chill") and 0 < probability <= 1
    scores = {c.replacement: c.nats for c in checks}
    assert abs(scores["chills"]) < 1.0  # the heard word itself (its comma aside)
    assert scores["hemodialysis"] < VETO_NATS


def test_a_failing_check_leaves_the_corrections_unchecked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The check only withholds corrections: when it cannot run, nothing is found, one
    warning says so (without the words) and the transcription is not interrupted."""
    checker = _proposing("chills", "hemodialysis")
    window = [
        [{"seek": 0, "words": [{"word": " chills", "probability": 0.3, "start": 0.5, "end": 1.0}]}]
    ]
    for _ in range(2):
        checker(object(), window, object(), np.zeros((1, 1500, 384), dtype=np.float32))
    assert checker.failed and checker.found == {}
    assert [r.getMessage() for r in caplog.records] == [
        "acoustic check failed (AttributeError); corrections made unchecked"
    ]


def test_checks_reach_the_words_they_were_made_for(
    transcriber: Transcriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """speech.transcribe keys each window's checks to our Words and hands them to
    correct_words; with the setting at 0 nothing is checked."""
    import chartdrop.ingest.speech as speech

    wav = make_dictation("The patient reports fever and chills since Monday.", tmp_path / "d.wav")
    seen: list[Mapping[Word, Sequence[Check]]] = []
    original = speech.finish

    def finish(segments: Any, lexicon: Any, checks: Any = None) -> Any:
        seen.append(dict(checks or {}))
        return original(segments, lexicon, checks)

    def corrections(heard: list[Word], lexicon: Any) -> tuple[list[Word], list[Correction]]:
        return heard, _proposing("chills", "chill").propose(heard)[:1]

    monkeypatch.setattr(speech, "finish", finish)
    monkeypatch.setattr(speech, "correct_words", corrections)
    transcriber.transcribe(wav)
    transcriber.transcribe(wav, transcriber.settings.with_(acoustic_checks=0))
    checked, unchecked = seen
    assert unchecked == {}
    ((word, checks),) = checked.items()
    assert word.text.lower().startswith("chill") and word.start is not None
    assert [c.replacement for c in checks] == ["chills"]
