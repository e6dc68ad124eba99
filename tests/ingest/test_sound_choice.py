"""Sound-alikes offered for doubtful words and chosen with Whisper's score
(ingest/sound_choice.py), and how the choice reaches correct_words."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartdrop.ingest import phonetics, sound_choice
from chartdrop.ingest.acoustic_check import VETO_NATS, Check, WindowChecker
from chartdrop.ingest.sound_alike import SOURCE
from chartdrop.ingest.sound_choice import MARGIN, Offer, choose, offers
from chartdrop.ingest.speech import Transcriber
from chartdrop.ingest.vocabulary import clinical_terms, correct_words, load_lexicon
from chartdrop.ingest.whisper_model import check_windows
from tests.factories import make_dictation
from tests.ingest.test_vocabulary import words

LEX = load_lexicon("")
TERMS = clinical_terms(LEX)


def offered(spec: str) -> list[tuple[str, tuple[str, ...]]]:
    heard = words(spec)
    return [
        (" ".join(w.text for w in heard[o.first : o.first + o.words]), o.replacements)
        for o in offers(heard, TERMS)
    ]


def test_a_misheard_term_is_offered_its_sound_alike_that_fits() -> None:
    found = dict(offered("Findings:/0.9 mild/0.9 orbit/0.2 stenosis/0.9 is/0.9 seen./0.9"))
    assert found["orbit"][0] == "aortic"
    found = dict(offered("no/0.99 nicer/0.13 area,/0.67 gross/0.96 hematuria./0.9"))
    assert "dysuria" in found["nicer area,"]


def test_confident_words_and_names_are_not_offered_for() -> None:
    assert offered("mild/0.9 orbit/0.95 stenosis/0.9") == []
    # A capitalised word inside a sentence may be a name; so may words after "patient".
    assert offered("seen/0.9 by/0.9 Orbit/0.2 today./0.9") == []
    assert offered("the/0.9 patient/0.9 orbit/0.2 stenosis/0.9") == []


def test_a_heard_word_is_never_dropped_for_its_neighbour() -> None:
    for heard, replacements in offered("uterine/0.6 papillary/0.6 pheres/0.3 carcinoma/0.9"):
        for replacement in replacements:
            kept = set(replacement.lower().split()) & set(heard.lower().split())
            assert not kept or len(replacement.split()) == len(heard.split()), replacement


def test_whisper_and_context_together_choose() -> None:
    offer = Offer(first=1, words=1, replacements=("aortic", "orbital"), priors=(9.0, 4.0),
                  confidence=0.2)  # fmt: skip
    # Whisper finds "orbital" likelier than "aortic", but not by enough for the context.
    assert choose(offer, [-1.8, 2.9], VETO_NATS)[:2] == ("aortic", -1.8)
    # Nothing clears the margin, or the best is one Whisper vetoes.
    assert choose(offer, [-9.0 + MARGIN - 1, -9.0], VETO_NATS) is None
    assert choose(Offer(1, 1, ("aortic",), (30.0,), 0.2), [VETO_NATS - 1], VETO_NATS) is None


def test_a_chosen_sound_alike_is_made_even_where_a_proposal_was_vetoed() -> None:
    heard = words("continue/0.9 listen/0.3 a/0.3 pril/0.3 daily/0.9")
    checks = {
        heard[1]: (
            Check(3, "lisinopril", VETO_NATS - 1),  # the lexicon's, vetoed
            Check(3, "losartan", -2.0, offered=0.9),  # chosen by ear (made up for the test)
        )
    }
    fixed, corrections = correct_words(heard, LEX, checks=checks)
    assert [(c.replacement, c.source, c.score) for c in corrections] == [("losartan", SOURCE, 0.9)]
    assert [w.text for w in fixed] == ["continue", "losartan", "", "", "daily"]


def test_without_espeak_nothing_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phonetics, "_program", lambda: None)
    sound_choice._sounds.cache_clear()
    try:
        assert offered("mild/0.9 orbit/0.2 stenosis/0.9") == []
    finally:
        sound_choice._sounds.cache_clear()


def test_whisper_scores_the_offers_over_the_window_audio(
    transcriber: Transcriber, tmp_path: Path
) -> None:
    """The checker scores each offer with the real model and keeps the one chosen: the
    word said, though the context (its prior) favoured the wrong one."""
    wav = make_dictation("The patient reports fever and chills since Monday.", tmp_path / "d.wav")

    def offer(heard: list) -> list[Offer]:
        i = next(k for k, w in enumerate(heard) if w.text.lower().startswith("chill"))
        return [Offer(i, 1, ("hemodialysis", "chills"), (12.0, 8.0), 0.3)]

    checker = WindowChecker(lambda heard: [], offer=offer)
    check_windows(checker)
    try:
        segments, _ = transcriber.model.transcribe(str(wav), language="en", word_timestamps=True)
        list(segments)
    finally:
        check_windows(None)
    ((_, checks),) = checker.found.items()
    (check,) = checks
    assert check.replacement == "chills" and check.offered is not None
