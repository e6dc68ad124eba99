"""The speed paths give the same results as the plain ones: Caseless patterns and literal
prefilters (fastregex.py), the caching tokenizer and kept text (doctext.py), array-written
norms (lexicon.py), and the ranker's curated shortcut for `specific`."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import spacy

from chartdrop.nlp import demographics, doctype, names, sections
from chartdrop.nlp.doctext import CachingTokenizer, doc_text
from chartdrop.nlp.fastregex import Caseless, could_match, required_literals
from chartdrop.nlp.lexicon import set_norms
from chartdrop.nlp.normalize import norm_token, term_key
from chartdrop.nlp.types import Extraction
from tests.nlp.nlp_samples import DICTATED, TYPED

TEXTS = [
    DICTATED,
    TYPED,
    TYPED.upper(),
    "AGE: 45. He is a Forty-Five Year Old MALE seen on 3/4/2020. Sincerely, Dr. Grant, M.D.",
    "DOB 03/04/1955 MRN # 447219 Gender: F. She reports. Her daughter, 45-year-old, is here.",
    "Patient name: JOSÉ ÁLVAREZ, \u212aelvin \u017fign 71 y/o man. HISTORY OF PRESENT ILLNESS:",
    "consult note -- H & P: X-ray of the chest without contrast. Estimated blood loss: minimal.",
    "",
]


def _caseless_patterns() -> list[Caseless]:
    found = [p for p, _ in demographics._DOS_LABELS + demographics._AGE_PATTERNS]
    found += [p for p, _ in names._PATIENT_LABELS + names._PROVIDER_LABELS]
    found += [demographics._DOB_LABEL, demographics._MRN_LABEL, demographics._SEX_LABEL]
    found += [demographics._SEX_AFTER_AGE, *demographics._PRONOUNS.values()]
    found.append(sections.SectionRules().pattern)
    return [p for p in found if isinstance(p, Caseless)]


@pytest.mark.parametrize("text", TEXTS)
def test_caseless_matches_like_ignorecase(text: str) -> None:
    for pattern in _caseless_patterns():
        plain = [m.span() for m in pattern.ignorecase.finditer(text)]
        assert [m.span() for m in pattern.finditer(text)] == plain, pattern.pattern
        first = pattern.ignorecase.search(text)
        found = pattern.search(text)
        assert (found.span() if found else None) == (first.span() if first else None)


def test_caseless_refuses_patterns_that_need_ignorecase() -> None:
    for source in (r"[A-Z]x", r"M\.D", r"(?i:ab)", r"[^A]b", r"caf\u00e9"):
        with pytest.raises(ValueError):
            Caseless(source)
    random.seed(7)
    for source in (r"[^a]b", r"[^Aa]b", r"[A-Za-z]+x", r"\bhe\b", r"(?:old|year)s?", r"o[^.\n]?n"):
        pattern = Caseless(source)
        for _ in range(500):
            text = "".join(random.choice("aAbBxXhHeE oO.\nnN") for _ in range(12))
            want = [m.span() for m in pattern.ignorecase.finditer(text)]
            assert [m.span() for m in pattern.finditer(text)] == want, (source, text)


def test_required_literals_are_in_every_match() -> None:
    rules = doctype.DocTypeRules()
    patterns = [p for kind in rules.rules.values() for p, _ in kind]
    patterns += [re.compile(p.pattern, re.MULTILINE) for p in _caseless_patterns()]
    for pattern in patterns:
        requirement = required_literals(pattern.pattern, re.MULTILINE)
        for text in TEXTS:
            lowered = text.lower()
            for m in re.compile(pattern.pattern, re.MULTILINE).finditer(lowered):
                assert could_match(requirement, lowered), pattern.pattern
                assert all(any(lit in lowered for lit in s) for s in requirement), m
    assert required_literals(r"\bviews?\b of the") == (frozenset({" of the"}), frozenset({"view"}))
    assert required_literals(r"\bd\.?o\.?s\b") == ()


def test_doctype_with_and_without_prefilter() -> None:
    rules = doctype.DocTypeRules()
    plain = doctype.DocTypeRules()
    plain.literals = {kind: [()] * len(r) for kind, r in plain.literals.items()}
    for text in TEXTS:
        assert rules.classify(text) == plain.classify(text)


def test_caching_tokenizer_same_tokens_and_text() -> None:
    plain = spacy.blank("en").tokenizer
    cached = CachingTokenizer(spacy.blank("en").tokenizer)
    for text in [*TEXTS, *TEXTS]:  # the second round hits the cache
        doc, want = cached(text), plain(text)
        assert [(t.text, t.whitespace_) for t in doc] == [(t.text, t.whitespace_) for t in want]
        assert doc_text(doc) == want.text == text
    assert doc_text(plain("no kept text")) == "no kept text"


def test_set_norms_matches_norm_token() -> None:
    nlp = spacy.blank("en")
    cache: dict[int, int] = {}
    for text in [*TEXTS, *TEXTS]:
        doc = set_norms(nlp.make_doc(text), cache)
        assert [t.norm_ for t in doc] == [norm_token(t.text) for t in doc]


def test_specific_shortcut_matches_ranking(
    nlp_data_dir: Path, extract: Callable[[str], Extraction]
) -> None:
    from chartdrop.nlp.ranking import get_suggester

    suggester = get_suggester()
    for text in ("hypertension", "CHF", "history of MI", "heart problem", "pain", "infection",
                 "uncontrolled diabetes", "left knee pain", "s/p stroke", "pneumonia"):  # fmt: skip
        key = term_key(text)
        assert suggester.specific(key, "") == suggester._suggest(key, "", 5).specific, text


def test_resolve_graph_matches_medspacy(
    monkeypatch: pytest.MonkeyPatch, extract: Callable[[str], Extraction]
) -> None:
    """The ConText shortcuts give medspaCy's edges: context_fast.resolve_graph against
    update_scopes() + apply_modifiers(), the matcher's second-word check and fixed-length walk
    and one-word rules against the full pattern walk, and dropping clause boundaries no scope
    reaches."""
    from chartdrop.nlp import assertion
    from chartdrop.nlp.pipeline import get_pipeline

    nlp = get_pipeline()
    tricky = (
        "No fever, chills or cough, but there is pneumonia. Mother had diabetes; rule out "
        "sepsis. He is not having chest pain and was negative for stroke. No mass was found, "
        "and a cyst was seen. CT without contrast showed a mass."
    )
    texts = [*TEXTS, tricky]

    def edges() -> list[list[tuple[object, ...]]]:
        return [
            [(t.start, t.end, m.modifier_span, m.category) for t, m in doc._.context_graph.edges]
            for doc in nlp.pipe(texts)
        ]

    fast = edges()
    assert sum(map(len, fast)) >= 8

    def medspacy_resolve(graph: object) -> None:
        graph.update_scopes()  # type: ignore[attr-defined]
        graph.apply_modifiers()  # type: ignore[attr-defined]

    monkeypatch.setattr(assertion, "resolve_graph", medspacy_resolve)
    monkeypatch.setattr(assertion, "_without_idle_boundaries", lambda modifiers: modifiers)
    for _, pattern in nlp.get_pipe("medspacy_context").matcher.patterns:
        monkeypatch.setattr(pattern, "second", None)
        monkeypatch.setattr(pattern, "fixed", False)
        monkeypatch.setattr(pattern, "single_word", False)
    assert edges() == fast


def test_sentence_bounds_match_token_sents(extract: Callable[[str], Extraction]) -> None:
    from chartdrop.nlp.context_fast import sentence_bounds
    from chartdrop.nlp.pipeline import get_pipeline

    for doc in get_pipeline().pipe([*TEXTS, "One. Two. Three"]):
        starts, ends = sentence_bounds(doc)
        assert starts == [t.sent.start for t in doc]
        assert ends == [t.sent.end for t in doc]
