"""ingest/phrases.py: clinical phrases in a dictation's words."""

from __future__ import annotations

from chartdrop.ingest.dictation import format_dictation
from chartdrop.ingest.phrases import unsplit_terms
from chartdrop.ingest.types import Word


def words(text: str) -> list[Word]:
    return [Word(w, 0.9) for w in text.split()]


def test_a_comma_the_recogniser_put_inside_a_term_goes() -> None:
    heard = words("mild, left, ventricular hypertrophy, but normal function.")
    assert format_dictation(unsplit_terms(heard)).text == (
        "Mild, left ventricular hypertrophy, but normal function."
    )


def test_other_commas_stay() -> None:
    heard = words("hypertension, diabetes, left, right.")
    assert [w.text for w in unsplit_terms(heard)] == [w.text for w in heard]
    # a full stop inside is a sentence's end, not a pause
    heard = words("left. ventricular hypertrophy")
    assert [w.text for w in unsplit_terms(heard)] == ["left.", "ventricular", "hypertrophy"]


def test_the_words_keep_their_timing() -> None:
    heard = [
        Word("left,", 0.8, 1.0, 1.2),
        Word("ventricular", 0.9, 1.3, 1.8),
        Word("hypertrophy", 0.9),
    ]
    out = unsplit_terms(heard)
    assert out[0] == Word("left", 0.8, 1.0, 1.2) and out[1:] == heard[1:]
