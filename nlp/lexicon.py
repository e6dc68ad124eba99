"""Lexicon matching shared by problems, procedures and medications: a token normaliser
component and a PhraseMatcher over the normalised form (Token.norm_), so "Type II diabetes",
"type two diabetes" and "DM 2" can all meet one lexicon entry.
"""

import numpy
from spacy.attrs import NORM, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import resources
from .normalize import LEVEL_WORDS, NUMERALS_AFTER_LEVEL, norm_token

MENTION_GROUPS = {"PROBLEM": "problems", "PROCEDURE": "procedures", "MEDICATION": "medications"}
# A dictionary match's confidence, with or without the model's agreement; the problem-mention
# model's own spans score lower (problems.py).
CONFIDENCE_LEXICON = 0.95

if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)

if not Span.has_extension("canonical"):
    Span.set_extension("canonical", default=None)


MAX_CACHED_NORMS = 500_000
MIN_ENDING_WORD = 8  # letters a word needs to be a term by its ending alone ("colostomy")


_LEVEL_WORD_IDS = frozenset(get_string_id(word) for word in LEVEL_WORDS)


def set_norms(doc: Doc, cache: dict[int, int] | None = None) -> Doc:
    """Token.norm_ = norm_token(token.text) for every token, as one array write: setting
    norm_ token by token makes a Python Token object each (~0.5 ms a note). `cache` maps
    ORTH to NORM hashes and must only ever see docs of one vocab (the norms' strings are
    added to that vocab's StringStore when first computed)."""
    if not len(doc):
        return doc
    strings = doc.vocab.strings
    if cache is None:
        cache = {}
    norms = []
    numerals = {get_string_id(k): strings.add(v) for k, v in NUMERALS_AFTER_LEVEL.items()}
    previous = 0
    for orth in doc.to_array(ORTH).tolist():
        norm = cache.get(orth)
        if norm is None:
            norm = cache[orth] = strings.add(norm_token(strings[orth]))
        if norm in numerals and previous in _LEVEL_WORD_IDS:
            norm = numerals[norm]  # "type I" as term_key reads it: "type 1"
        norms.append(previous := norm)
    doc.from_array([NORM], numpy.array(norms, dtype=numpy.uint64).reshape(-1, 1))
    return doc


class NormSetter:
    """The "chartdrop_norms" component: set_norms with a cache for its pipeline's vocab."""

    def __init__(self, nlp: Language) -> None:
        self.strings = nlp.vocab.strings
        self.cache: dict[int, int] = {}

    def __call__(self, doc: Doc) -> Doc:
        if doc.vocab.strings is not self.strings:
            return set_norms(doc)
        if len(self.cache) > MAX_CACHED_NORMS:
            self.cache.clear()
        return set_norms(doc, self.cache)


@Language.factory("chartdrop_norms")
def make_norms(nlp: Language, name: str) -> NormSetter:
    return NormSetter(nlp)


def phrase_matcher(nlp: Language, entries: dict[str, list[str]]) -> PhraseMatcher:
    """PhraseMatcher on NORM with one match label per value (a code or canonical name)."""
    matcher = PhraseMatcher(nlp.vocab, attr="NORM")
    for label, terms in entries.items():
        matcher.add(label, [set_norms(nlp.make_doc(term)) for term in terms])
    return matcher


def longest_matches(doc: Doc, matcher: PhraseMatcher) -> list[tuple[str, int, int]]:
    """(label, start token, end token), overlaps resolved to the longest, then earliest."""
    spans = [Span(doc, s, e, label=doc.vocab.strings[m]) for m, s, e in matcher(doc)]
    return [(span.label_, span.start, span.end) for span in filter_spans(spans)]


class LexiconMatcher:
    """Mentions from a TSV lexicon (term, canonical name) into doc.spans[group]."""

    def __init__(
        self,
        nlp: Language,
        label: str,
        file: str,
        single_words: dict[str, str] | None = None,
        endings_file: str = "",
    ) -> None:
        """`single_words`: more one-word terms (normalised term -> canonical name), matched by
        a lookup of each token's norm rather than by the PhraseMatcher (tens of thousands of
        drug names would take seconds to add to it). `endings_file`: word endings that make
        any long enough word a term, and the words excepted (see procedure_endings.txt)."""
        self.label = label
        self.group = MENTION_GROUPS[label]
        entries: dict[str, list[str]] = {}
        for row in resources.read_tsv(file):
            canonical = row[1] if len(row) > 1 and row[1] else row[0]
            entries.setdefault(canonical, []).append(row[0])
        self.matcher = phrase_matcher(nlp, entries)
        strings = nlp.vocab.strings
        self.single_words = {strings.add(k): v for k, v in (single_words or {}).items()}
        lines = resources.read_lines(endings_file) if endings_file else []
        self.endings = tuple(line[1:] for line in lines if line.startswith("-"))
        self.not_terms = frozenset(norm_token(line) for line in lines if not line.startswith("-"))
        self._ending_of: dict[int, str | None] = {}  # norm hash -> canonical, or None

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for canonical, start, end in longest_matches(doc, self.matcher):
            span = Span(doc, start, end, label=self.label)
            span._.canonical = canonical
            spans.append(span)
        if (self.single_words or self.endings) and len(doc):
            taken = {i for span in spans for i in range(span.start, span.end)}
            for i, norm in enumerate(doc.to_array(NORM).tolist()):
                canonical = self.single_words.get(norm) or self._by_ending(norm, doc)
                if canonical is not None and i not in taken:
                    span = Span(doc, i, i + 1, label=self.label)
                    span._.canonical = canonical
                    spans.append(span)
            spans.sort(key=lambda span: span.start)
        doc.spans[self.group] = spans
        return doc

    def _by_ending(self, norm: int, doc: Doc) -> str | None:
        """The word itself, when its norm has one of `endings` (cached per norm)."""
        if not self.endings:
            return None
        if norm not in self._ending_of:
            text = doc.vocab.strings[norm]
            named = (
                len(text) >= MIN_ENDING_WORD
                and text.isalpha()
                and text.endswith(self.endings)
                and text not in self.not_terms
            )
            if len(self._ending_of) > MAX_CACHED_NORMS:
                self._ending_of.clear()
            self._ending_of[norm] = text if named else None
        return self._ending_of[norm]


@Language.component("chartdrop_mentions")
def merge_mentions(doc: Doc) -> Doc:
    """All mentions become doc.ents (ConText's targets); where kinds overlap the longest wins,
    and of two equal spans a dictionary's over the mention model's: "Phenergan resolved his
    nausea" names a drug the drug list knows, which the model read as a problem."""
    spans = [span for group in MENTION_GROUPS.values() for span in doc.spans.get(group, [])]
    # A model problem whose last word is a drug or procedure the lists know is that drug or
    # procedure ("arthroscopic debridement", "Bronchial dilation"): longer, it would win.
    heads = {span.end for span in spans if span.label_ != "PROBLEM"}
    if heads:
        spans = [s for s in spans if not (s.end in heads and _model_problem(s))]
    spans.sort(key=_model_problem)  # stable; filter_spans keeps the first of equal spans
    doc.ents = filter_spans(spans)
    return doc


def _model_problem(span: Span) -> bool:
    # The label first: spaCy keeps a span's extension values by its offsets, so a drug span
    # equal to a model problem reads that problem's confidence.
    if span.label_ != "PROBLEM":
        return False
    confidence = span._.confidence
    return confidence is not None and confidence < CONFIDENCE_LEXICON


@Language.factory(
    "chartdrop_lexicon",
    default_config={
        "label": "MEDICATION",
        "file": "medications.tsv",
        "drug_names": False,
        "endings_file": "",
    },
)
def make_lexicon(
    nlp: Language, name: str, label: str, file: str, drug_names: bool, endings_file: str
) -> LexiconMatcher:
    """`drug_names`: also the single-word names of the drug dictionary (drug_names.py);
    `endings_file`: word endings that make a term (procedure_endings.txt)."""
    from .drug_names import single_word_drugs

    drugs = single_word_drugs() if drug_names else None
    return LexiconMatcher(nlp, label, file, drugs, endings_file)
