"""Phoneme codes of spoken text (ingest/phonetics.py), through espeak-ng."""

# ruff: noqa: RUF001  (the IPA letters are meant, not look-alikes of Latin ones)

from __future__ import annotations

import jellyfish
import pytest
from rapidfuzz.distance import Levenshtein

from chartdrop.ingest import phonetics
from chartdrop.ingest.phonetics import code, phonemes, sound_similarity


def test_each_phoneme_is_one_character_and_marks_are_dropped() -> None:
    assert code("ˈɔːɹbɪt") == "oɹbɪt"
    assert code("naɪsɚɹ ˈɛɹiə") == "nIsəɹɹɛɹiə"  # a diphthong, an r-coloured vowel, a break
    assert code("tʃɪlz") == "Cɪlz"


def test_misheard_clinical_words_sound_closer_than_they_spell() -> None:
    """What tiny.en wrote for a clinical word is near it in sound, far in Metaphone keys."""
    for heard, said in (("orbit", "aortic"), ("nicer area", "dysuria"), ("hummus", "numbness")):
        heard_sound, said_sound = phonemes([heard, said]) or []
        keys = [jellyfish.metaphone(t.replace(" ", "")) for t in (heard, said)]
        assert sound_similarity(heard_sound, said_sound) >= 0.5, heard
        assert sound_similarity(heard_sound, said_sound) > Levenshtein.normalized_similarity(
            *keys
        ), heard


def test_the_nearest_in_sound_is_the_term_said() -> None:
    terms = ["dysuria", "diarrhea", "Benadryl", "menstrual", "ureteral", "orbital"]
    codes = phonemes(terms) or []
    for heard, said in (("nicer area", "dysuria"), ("literal", "ureteral")):
        (sound,) = phonemes([heard]) or [""]
        nearest = max(range(len(terms)), key=lambda k: sound_similarity(sound, codes[k]))
        assert terms[nearest] == said


def test_without_espeak_there_are_no_phonemes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phonetics, "_program", lambda: None)
    assert phonemes(["orbit"]) is None
    assert not phonetics.available()
