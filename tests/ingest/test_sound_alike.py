"""Mis-heard words replaced by a sound-alike that fits its neighbours (sound_alike.py),
and the bigram model of clinical dictation behind it (bigrams.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from chartdrop.ingest import bigrams
from chartdrop.ingest.bigrams import BOUNDARY, load_counts
from chartdrop.ingest.sound_alike import GATE, REAL_WORD_GATE, SOURCE, sound_alike_corrections
from chartdrop.ingest.vocabulary import correct_words, load_lexicon
from tests.ingest.test_vocabulary import words


def fixes(spec: str) -> list[tuple[str, str]]:
    return [(c.original, c.replacement) for c in sound_alike_corrections(words(spec))]


def test_bigram_model_is_a_distribution_and_knows_dictation() -> None:
    counts = load_counts()
    vocabulary = [*counts.unigrams, "zzyzx"]
    for before in ("history", "the", BOUNDARY, "never-seen-word"):
        total = sum(math.exp(counts.logp(w, before)) for w in vocabulary)
        # Pairs seen once are not shipped, so a little mass is missing, never added.
        assert 0.9 < total <= 1.0001, before
    assert counts.logp("fraction", "ejection") > counts.logp("traction", "ejection") + 5
    assert counts.logp("unheardofword", "the") < counts.logp("patient", "the")


def test_misheard_word_is_replaced_by_the_sound_alike_that_fits() -> None:
    assert fixes("estimated/0.9 ejection/0.9 traction/0.3 of/0.9 60%./0.9") == [
        ("traction", "fraction")
    ]
    assert fixes("reveals/0.9 systemic/0.9 menus/0.3 return/0.9") == [("menus", "venous")]
    # Two pieces of one word, merged: "a trail" fibrillation.
    assert ("a trail", "atrial") in fixes("for/0.9 a/0.5 trail/0.5 fibrillation./0.95")


def test_correction_is_marked_for_the_technician() -> None:
    fixed, corrections = correct_words(
        words("systemic/0.9 menus/0.3 return/0.9 is/0.99 normal./0.99"), load_lexicon("")
    )
    assert [w.text for w in fixed][:3] == ["systemic", "venous", "return"]
    [c] = corrections
    assert (c.source, c.original, c.first_word, c.confidence) == (SOURCE, "menus", 1, 0.3)
    assert 0 < c.score <= 1


def test_words_that_fit_or_were_heard_surely_stay() -> None:
    assert fixes("reveals/0.9 systemic/0.9 venous/0.3 return/0.9") == []
    assert fixes(f"reveals/0.9 systemic/0.9 menus/{REAL_WORD_GATE} return/0.9") == []
    assert fixes(f"ejection/0.9 tractoin/{GATE} of/0.9") == []
    # A non-word is doubted up to GATE, a real word only below REAL_WORD_GATE.
    assert fixes(f"ejection/0.9 fractoin/{(GATE + REAL_WORD_GATE) / 2} of/0.9") == [
        ("fractoin", "fraction")
    ]


def test_names_commands_and_contractions_are_left_alone() -> None:
    # "Doctor Menus" is a name: capitalised inside a sentence.
    assert fixes("seen/0.9 by/0.9 Doctor/0.9 Menus/0.2 today./0.9") == []
    # Lower-case words right after "patient", "doctor", ... may be a name too: unguarded,
    # "maria lopes" would have become "prolapse".
    assert fixes("on/0.9 patient/0.9 maria/0.4 lopes/0.4 date/0.9 of/0.9 birth/0.9") == []
    assert fixes("120/0.9 slash/0.3 80/0.9") == []
    assert fixes("she/0.9 can't/0.2 walk./0.9") == []
    # Sentence-initial capitals are not names: "Menus return" starts a sentence.
    assert fixes("normal./0.9 Menus/0.3 return/0.9 is/0.9 normal./0.9") == [("Menus", "Venous")]


def test_no_counts_file_means_no_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bigrams, "RESOURCE", tmp_path / "missing.tsv.gz")
    load_counts.cache_clear()
    try:
        assert not load_counts()
        assert fixes("reveals/0.9 systemic/0.9 menus/0.3 return/0.9") == []
    finally:
        load_counts.cache_clear()
