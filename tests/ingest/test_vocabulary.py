from __future__ import annotations

import os
from pathlib import Path

from chartdrop.ingest.sound_alike import GATE
from chartdrop.ingest.transcript import finish
from chartdrop.ingest.types import Segment, Word
from chartdrop.ingest.vocabulary import CONFIDENT, correct_words, load_lexicon
from chartdrop.ingest.wordlists import HUNSPELL_MEDICAL, medical_wordlist_paths, read_wordlist


def words(spec: str) -> list[Word]:
    """ "takes/0.9 listen/0.2 up/0.3" -> Words with those probabilities, 1 s apart."""
    out = []
    for i, item in enumerate(spec.split()):
        text, prob = item.rsplit("/", 1)
        out.append(Word(text, float(prob), start=float(i), end=i + 0.8))
    return out


LEX = load_lexicon("")


def test_low_confidence_misrecognition_is_corrected_and_recorded() -> None:
    spoken = words("continue/0.9 listen/0.3 a/0.3 pril/0.3 daily/0.9")
    fixed, corrections = correct_words(spoken, LEX)
    assert [c.replacement for c in corrections] == ["lisinopril"]
    c = corrections[0]
    assert (c.original, c.first_word, c.last_word, c.source) == (
        "listen a pril",
        1,
        3,
        "medication",
    )
    assert 0 < c.score <= 1 and c.confidence == 0.3
    assert (c.start, c.end) == (1.0, 3.8)
    # Word indices stay valid: the phrase's first word carries the term, the rest are empty.
    assert [w.text for w in fixed] == ["continue", "lisinopril", "", "", "daily"]


def test_confident_word_is_never_changed() -> None:
    spoken = "listen/0.3 a/0.95 pril/0.3 daily/0.9"
    fixed, corrections = correct_words(words(spoken), LEX)
    assert all(c.last_word < 1 or c.first_word > 1 for c in corrections)
    assert fixed[1].text == "a"
    # Even a near-perfect sound-alike stays when the recogniser was sure.
    fixed, corrections = correct_words(words(f"lisinoprill/{max(CONFIDENT, GATE)}"), LEX)
    assert corrections == [] and fixed[0].text == "lisinoprill"


def test_correct_low_confidence_words_and_known_terms_stay() -> None:
    spoken = "patient/0.3 denies/0.35 chest/0.4 pain/0.3 and/0.3 metformin/0.2"
    fixed, corrections = correct_words(words(spoken), LEX)
    assert corrections == []
    assert [w.text for w in fixed] == [w.text for w in words(spoken)]


def test_site_terms_are_used(tmp_path: Path) -> None:
    site = tmp_path / "terms.txt"
    site.write_text("# local formulary\nquorvexil\n", encoding="utf-8")
    spoken = words("on/0.9 core/0.3 vexil/0.3 daily/0.9")
    assert all(c.source == "sound-alike" for c in correct_words(spoken, LEX)[1])
    _, corrections = correct_words(spoken, load_lexicon(str(site)))
    assert [(c.replacement, c.source) for c in corrections] == [("quorvexil", "site")]


def test_finish_keeps_raw_words_and_maps_segments() -> None:
    seg_words = words("takes/0.9 listen/0.2 a/0.3 pril/0.3 ten/0.9 milligrams/0.9 period/0.9")
    segments = [
        Segment(
            text="Takes listen a pril ten milligrams period",
            start=0.0,
            end=7.0,
            words=tuple(seg_words[:4]),
        ),
        Segment(text="ten milligrams period", start=4.0, end=7.0, words=tuple(seg_words[4:])),
    ]
    done = finish(segments, LEX)
    assert done.text == "Takes lisinopril 10 mg."
    assert done.raw_text == "Takes listen a pril ten milligrams period ten milligrams period"
    assert [c.replacement for c in done.corrections] == ["lisinopril"]
    first, second = done.segments
    assert first.text == "Takes lisinopril" and second.text == "10 mg."
    assert first.raw_text == "Takes listen a pril ten milligrams period"
    assert first.words == tuple(seg_words[:4])  # the review desk seeks the raw words
    assert [c.replacement for c in first.corrections] == ["lisinopril"]
    assert [t.text for t in second.tokens] == ["10", "mg", "."]
    assert done.low_confidence_words == 3
    # Without a lexicon: formatting only.
    assert finish(segments, None).text == "Takes listen a pril 10 mg."


def medical_dic(tmp_path: Path, *entries: str) -> str:
    """A Hunspell-style medical dictionary file: a count line, then word/flags lines."""
    path = tmp_path / "medical.dic"
    path.write_text(f"{len(entries)}\n" + "\n".join(entries) + "\n", encoding="utf-8")
    return str(path)


def test_words_split_by_the_recogniser_are_joined_even_when_confident(tmp_path: Path) -> None:
    lexicon = load_lexicon("", medical_dic(tmp_path, "hyperdynamic", "echotexture"))
    spoken = words("left/0.9 ventricle/0.9 is/0.9 hyper/0.97 dynamic/0.95 with/0.9 normal/0.9")
    fixed, corrections = correct_words(spoken, lexicon)
    assert [(c.original, c.replacement, c.source) for c in corrections] == [
        ("hyper dynamic", "hyperdynamic", "compound")
    ]
    assert [w.text for w in fixed][3:6] == ["hyperdynamic", "", "with"]
    # Recorded like any correction, so the technician sees it; glued pieces count too.
    done = finish([Segment("", 0.0, 2.0, words=tuple(words("echo/0.8 -texture/0.9")))], lexicon)
    assert done.text.lower().startswith("echotexture") and len(done.corrections) == 1


def test_words_that_run_so_in_a_curated_term_are_not_glued(tmp_path: Path) -> None:
    """A spelling list's glued form ("peripheralvascular") does not join words that a
    curated term spells apart ("peripheral vascular disease", "end stage renal disease")."""
    lexicon = load_lexicon("", medical_dic(tmp_path, "peripheralvascular", "endstage"))
    for spoken in (
        "history/0.9 of/0.9 peripheral/0.99 vascular/0.17 disease/0.99",
        "end/0.9 -stage/0.9 renal/0.9",
    ):
        fixed, corrections = correct_words(words(spoken), lexicon)
        assert corrections == [] and fixed == words(spoken)


def test_among_as_alike_terms_the_one_clinicians_use_wins() -> None:
    """ "osteoma" is a little closer to "osteomy" than "ostomy" is, but never dictated in
    the clinical word counts; "cytopenia" likewise loses to "osteopenia"."""
    for heard, term in (("osteomy", "ostomy"), ("acidopenia", "osteopenia")):
        _, corrections = correct_words(words(f"{heard}/0.3"), LEX)
        assert [c.replacement for c in corrections] == [term]


def test_non_word_is_replaced_from_the_medical_dictionary(tmp_path: Path) -> None:
    lexicon = load_lexicon("", medical_dic(tmp_path, "ureteroscopy/S", "lithotripsy/SD"))
    # Not a word at all: fixed even at middling confidence (below CONFIDENT).
    spoken = words("stone/0.9 removed/0.9 by/0.9 yoritoroscopy/0.6 today/0.9")
    fixed, corrections = correct_words(spoken, lexicon)
    assert [(c.replacement, c.source) for c in corrections] == [("ureteroscopy", "dictionary")]
    assert fixed[3].text == "ureteroscopy"
    # Without the dictionary the non-word stays (and is flagged by its confidence).
    assert correct_words(spoken, load_lexicon("", ""))[1] == []


def test_real_word_never_gives_way_to_a_dictionary_oddity(tmp_path: Path) -> None:
    # "thiokinase" sounds like "thickness"; a real word is only replaced by curated terms.
    lexicon = load_lexicon("", medical_dic(tmp_path, "thiokinase", "rapeseed"))
    spoken = words("wall/0.9 thickness/0.2 is/0.9 normal/0.9")
    assert correct_words(spoken, lexicon)[1] == []


def test_medical_wordlist_setting_and_hunspell_files(tmp_path: Path) -> None:
    dic = Path(medical_dic(tmp_path, "ureteroscopy/S", "lithotripsy/SD", "biopsy/S", "Klemm's"))
    assert read_wordlist(dic) == (
        "ureteroscopy",
        "ureteroscopies",
        "lithotripsy",
        "lithotripsies",
        "biopsy",
        "biopsies",
        "Klemm's",
    )
    plain = tmp_path / "site.txt"
    plain.write_text("# ward words\ncarboplatin\n12345\n", encoding="utf-8")
    assert read_wordlist(plain) == ("carboplatin",)
    assert medical_wordlist_paths("") == ()
    assert medical_wordlist_paths(f"{dic}{os.pathsep}{plain}") == (dic, plain)
    auto = medical_wordlist_paths("auto")
    assert auto == ((HUNSPELL_MEDICAL,) if HUNSPELL_MEDICAL.is_file() else ())


def test_clinical_phrase_gets_its_little_word_back() -> None:
    spoken = words("complains/0.9 of/0.9 shortness/0.96 and/0.58 breath./0.9")
    fixed, corrections = correct_words(spoken, LEX)
    assert [(c.original, c.replacement, c.source) for c in corrections] == [("and", "of", "phrase")]
    assert [w.text for w in fixed] == ["complains", "of", "shortness", "of", "breath."]
    # A confident word stays, and so does a phrase that differs by more than one word.
    assert correct_words(words("shortness/0.9 and/0.9 breath/0.9"), LEX)[1] == []
    found = correct_words(words("review/0.9 in/0.3 the/0.3 systems/0.9"), LEX)[1]
    assert [c for c in found if c.source == "phrase"] == []
    # Headers are phrases too: "Review on systems:" -> "Review of systems:".
    fixed, _ = correct_words(words("Review/0.9 on/0.4 systems:/0.9"), LEX)
    assert [w.text for w in fixed] == ["Review", "of", "systems:"]


def test_spelling_chooses_among_equal_sound_alikes(tmp_path: Path) -> None:
    # "uberine" sounds as like dozens of dictionary words as "uterine"; spelling decides.
    fillers = [f"{v}rr{e}" for v in ("ba", "be", "bi", "bo") for e in ("ane", "one", "une")]
    lexicon = load_lexicon("", medical_dic(tmp_path, *fillers, "uterine"))
    fixed, corrections = correct_words(words("papillary/0.9 uberine/0.4 carcinoma/0.9"), lexicon)
    assert [c.replacement for c in corrections] == ["uterine"]
    assert fixed[1].text == "uterine"
