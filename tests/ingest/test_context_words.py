"""Confusable words (function-word pairs, -s forms) corrected from clinical word-pair
counts (context_words.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartdrop.ingest import bigrams
from chartdrop.ingest.bigrams import load_counts
from chartdrop.ingest.context_words import KEEP_ABOVE, context_corrections
from chartdrop.ingest.vocabulary import correct_words, load_lexicon
from tests.ingest.test_vocabulary import words


def fixes(spec: str) -> list[tuple[str, str, str]]:
    return [(c.original, c.replacement, c.source) for c in context_corrections(words(spec))]


def test_shipped_counts_load() -> None:
    counts = load_counts()
    assert counts.total > 100_000 and counts.unigrams["hypertension"] > 10
    assert counts.pairs[("history", "of")] > 100 * counts.pairs.get(("history", "on"), 1)


def test_swapped_function_word_is_put_back_and_marked() -> None:
    assert fixes("History/0.9 on/0.6 hypertension./0.9") == [("on", "of", "context")]
    assert fixes("There/0.9 in/0.7 a/0.9 normal/0.9 rhythm./0.9") == [("in", "is", "context")]
    assert fixes("No/0.9 effusion/0.9 was/0.9 scene./0.9") == [("scene.", "seen", "context")]
    assert fixes("He/0.9 was/0.9 found/0.9 at/0.9 the/0.9 scene./0.9") == []
    fixed, corrections = correct_words(
        words("She/0.9 has/0.9 a/0.9 history/0.9 on/0.6 diabetes./0.9"), load_lexicon("")
    )
    assert [w.text for w in fixed][3:5] == ["history", "of"]
    assert [c.source for c in corrections] == ["context"]


def test_words_that_fit_or_were_heard_surely_stay() -> None:
    assert fixes("On/0.6 examination,/0.9 the/0.7 lungs/0.9 are/0.9 clear./0.9") == []
    assert fixes("kidney/0.9 of/0.9 normal/0.9 size/0.9 and/0.8 echotexture./0.9") == []
    sure = f"History/0.9 on/{KEEP_ABOVE} hypertension./0.9"
    assert fixes(sure) == []
    # Punctuation is a boundary: no neighbour across it.
    assert fixes("pain/0.9 in/0.5 ,/0.9 and/0.9") == []


def test_no_counts_file_means_no_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bigrams, "RESOURCE", tmp_path / "missing.tsv.gz")
    load_counts.cache_clear()
    try:
        assert fixes("History/0.9 on/0.6 hypertension./0.9") == []
    finally:
        load_counts.cache_clear()


def test_a_lost_or_added_final_s_is_put_back_from_its_neighbours() -> None:
    assert fixes("She/0.9 present/0.8 with/0.9 chest/0.9 pain./0.9") == [
        ("present", "presents", "context")
    ]
    assert fixes("review/0.9 of/0.9 system/0.6 is/0.9 negative./0.9") == [
        ("system", "systems", "context")
    ]
    assert fixes("fever/0.9 and/0.9 chill./0.5") == [("chill.", "chills", "context")]
    # Either form that fits stays, and so does one heard surely.
    assert fixes("She/0.9 presents/0.8 with/0.9 chest/0.9 pain./0.9") == []
    assert fixes("the/0.9 lungs/0.6 are/0.9 clear./0.9") == []
    assert fixes(f"She/0.9 present/{KEEP_ABOVE} with/0.9 chest/0.9 pain./0.9") == []
