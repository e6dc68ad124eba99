"""Problem mentions (diseases, disorders, signs, symptoms) with ranked ICD-10-CM suggestions.

Two sources, longest match wins and the curated one wins ties:
- the curated synonyms lexicon (resources/problem_synonyms.tsv, PhraseMatcher on NORM):
  dictated phrases and abbreviations mapped to the code a coder would pick;
- the ICD-10-CM term index (coding.py): descriptions and inclusion terms of the whole
  tabular list, looked up as normalised n-grams (a dict lookup per token, so ~19k terms cost
  nothing to load from the cache, unlike ~19k PhraseMatcher patterns).
Terms that are too generic alone ("pain", "disease") are in resources/problem_stoplist.txt.

A third source, when installed, is the trained mention model (mentions.py, doc.spans
["problem_model"]): it finds problems the lexicons do not know. The union is kept; where a model
span and a lexicon span overlap the lexicon's wins (its boundaries are what ConText and the
coders expect: "pneumonia", not "right lower lobe pneumonia"; "stroke", not "history of
stroke"). Model-only mentions are coded by the same term index and kept, uncoded, when it has
nothing for them that scores at least VAGUE_SCORE; those that are a stoplist term, a section
header or label, a person's name, or overlap a demographic field (a name the model took for an
eponym) are dropped. Leading negation words the model took into a span
("no extra-intestinal manifestations") are trimmed off, so that ConText negates the rest.
"""

import re

from spacy.attrs import IS_PUNCT, IS_SPACE, NORM, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import resources
from .anatomy import names_only_anatomy
from .coding import MAX_TERM_WORDS, CodeBook, load_codebook, suggest_codes
from .doctext import doc_text
from .encounter import is_injury, stated_encounter, with_encounter
from .laterality import side_index, stated_side
from .lexicon import CONFIDENCE_LEXICON, longest_matches, phrase_matcher
from .mentions import MODEL_KEY
from .normalize import LEVEL_RANGE_END, SKIPPABLE, SPINAL_LEVEL, term_key
from .ranking import VAGUE_SCORE
from .sites import widen_to_site
from .specifiers import specified
from .types import CodeSuggestion

SCORE_CURATED = 0.95
# The model alone: its own score for the mention (the mean probability of its tags), which on
# the dev corpora ran from ~0.6 precision under 0.7 to 0.8-0.96 above 0.9; never above a
# lexicon match. The review desk marks a mention under 0.7 "low confidence".
CONFIDENCE_MODEL_MAX = 0.9
MAX_SUGGESTIONS = 3
# ICD-derived single words this short are mostly abbreviations with other meanings
# ("pin", "ist"); the common clinical ones are in the curated lexicon.
MIN_SINGLE_WORD_CHARS = 5

MAX_LABEL_CHARS = 5  # "HEENT:", "SHX:"

_WORD_CACHE_SIZE = 200_000  # (NORM, ORTH) hashes -> (skippable, norm); bounded for long backfills

# Words that negate what follows and are never the first word of a problem's name.
_LEADING_NEGATIONS = frozenset({"no", "not", "without", "never", "neither", "nor", "denies"})
# A spinal level alone ("C6-C7", "L5-S1"): where a finding is, not the finding (was M50.923).
_LEVEL_PATTERN = rf"{SPINAL_LEVEL}(?:\s*-\s*{LEVEL_RANGE_END})?"
# A spinal level, or a list of them ("C5-C6 and C6-C7"): where a problem is, not one.
_SPINAL_LEVEL = re.compile(
    rf"{_LEVEL_PATTERN}(?:\s*(?:,|and|through|to)\s*{_LEVEL_PATTERN})*", re.IGNORECASE
)
# Words a problem's name never ends in ("thickening of the" -> "thickening").
_TRAILING_WORDS = frozenset({"of", "the", "and", "or", "with", "to", "in", "on", "for", "by"})

if not Span.has_extension("icd10cm"):
    Span.set_extension("icd10cm", default=())


# A test's result stated after it, within RESULT_REACH words of the sentence: "HIV test was
# positive" is a finding of HIV; "was negative" or none stated names only the test.
RESULT_REACH = 6
POSITIVE_RESULTS = frozenset({"positive", "reactive", "detected"})
NEGATIVE_RESULTS = frozenset({"negative", "nonreactive", "non-reactive", "unremarkable", "normal"})


class ProblemMatcher:
    def __init__(self, nlp: Language, codebook: CodeBook) -> None:
        self.codebook = codebook
        self.sides = side_index()
        stop = {term_key(t) for t in resources.read_lines("problem_stoplist.txt")}
        self.curated: dict[str, list[str]] = {}  # code -> terms
        for term, code in resources.read_tsv("problem_synonyms.tsv"):
            self.curated.setdefault(code, []).append(term)
        self.matcher = phrase_matcher(nlp, self.curated)
        self.stop = stop
        self.test_words = frozenset(resources.read_lines("test_words.txt"))
        self.terms = {
            key: codes
            for key, codes in codebook.terms.items()
            if key not in stop and (" " in key or len(key) >= MIN_SINGLE_WORD_CHARS)
        }
        self._word_of: dict[tuple[int, int], tuple[bool, str]] = {}
        # Every proper word prefix of a term ("heart" for "heart failure"), for _index_matches.
        self.prefixes: set[str] = set()
        for key in self.terms:
            words = key.split(" ")
            for m in range(1, len(words)):
                self.prefixes.add(" ".join(words[:m]))

    def suggestions(self, code: str | None, key: str) -> tuple[CodeSuggestion, ...]:
        """Ranked codes: the curated one first, then the index's candidates for the same words."""
        ranked: list[tuple[str, float]] = [(code, SCORE_CURATED)] if code else []
        ranked += [(c, s) for c, s in self.terms.get(key, []) if c != code]
        out = []
        for c, score in ranked[:MAX_SUGGESTIONS]:
            description = self.codebook.describe(c)
            if description is not None:
                out.append(CodeSuggestion(c, description, score))
        return tuple(out)

    def _index_matches(self, doc: Doc) -> list[Span]:
        """Longest term-index match starting at each token (skippable tokens are passed over,
        punctuation and whitespace end a term). `self.prefixes` stops a scan as soon as the
        words so far begin no term, so each token costs one or two dict lookups."""
        terms, prefixes = self.terms, self.prefixes
        # Per token: its norm, or None where a term cannot start or continue (punct/space), or
        # "" where it is skipped inside a term. Read as arrays: a Token object per token costs
        # more than the lookups themselves.
        if not len(doc):
            return []
        word_of = self._word_of
        strings = doc.vocab.strings
        words_at: list[str | None] = []
        starts_ok: list[bool] = []
        # Column by column: tolist() of the 2-D array cost 0.37 ms a note, 9x as much.
        table = doc.to_array([NORM, ORTH, IS_PUNCT, IS_SPACE])
        breaks = (table[:, 2] | table[:, 3]).tolist()
        for norm, orth, punct_or_space in zip(
            table[:, 0].tolist(), table[:, 1].tolist(), breaks, strict=True
        ):
            found = word_of.get((norm, orth))
            if found is None:
                text = strings[norm]
                found = (text in SKIPPABLE or strings[orth] in SKIPPABLE, text)
                if len(word_of) < _WORD_CACHE_SIZE:
                    word_of[(norm, orth)] = found
            skipped, word = found
            words_at.append("" if skipped else None if punct_or_space else word)
            starts_ok.append(not (skipped or punct_or_space))
        spans = []
        n = len(words_at)
        for i in range(n):
            if not starts_ok[i]:
                continue
            count = 0
            key = ""
            best = 0
            j = i
            while j < n and count < MAX_TERM_WORDS:
                word = words_at[j]
                if word == "":
                    j += 1
                    continue
                if word is None:
                    break
                key = f"{key} {word}" if count else word
                count += 1
                j += 1
                if key in terms:
                    best = j
                if key not in prefixes:
                    break
            if best:
                spans.append(Span(doc, i, best, label="PROBLEM"))
        return spans

    def _key(self, span: Span) -> str:
        return " ".join(t.norm_ for t in span if t.norm_ not in SKIPPABLE and not t.is_punct)

    def lexicon_spans(self, doc: Doc) -> list[Span]:
        curated_codes = {(s, e): code for code, s, e in longest_matches(doc, self.matcher)}
        curated = [Span(doc, s, e, label="PROBLEM") for s, e in curated_codes]
        # filter_spans keeps the longest; on equal length the earlier in the list (curated) wins.
        spans = filter_spans(curated + self._index_matches(doc))
        for span in spans:
            code = curated_codes.get((span.start, span.end))
            # Curated hits keep their coder's code first; the rest go through the ranker.
            span._.icd10cm = (
                self.suggestions(code, self._key(span))
                if code
                else suggest_codes(span.text, k=MAX_SUGGESTIONS)
                or self.suggestions(None, self._key(span))
            )
            span._.confidence = CONFIDENCE_LEXICON
        return [span for span in spans if span._.icd10cm]

    def _names_a_test(self, doc: Doc, span: Span) -> bool:
        """ "hepatitis [panel]", "HIV [testing]", "DVT [prophylaxis]" (resources/test_words.txt),
        unless the sentence goes on to a positive result: "RSV screen is positive" finds RSV."""
        if span.end >= len(doc) or doc[span.end].lower_ not in self.test_words:
            return False
        sentence_end = doc[span.end].sent.end if doc.has_annotation("SENT_START") else len(doc)
        for token in doc[span.end + 1 : min(sentence_end, span.end + 1 + RESULT_REACH)]:
            if token.lower_ in NEGATIVE_RESULTS:
                return True
            if token.lower_ in POSITIVE_RESULTS:
                return token.i > 0 and doc[token.i - 1].lower_ in ("not", "non")
        return True

    def __call__(self, doc: Doc) -> Doc:
        lexicon = self.lexicon_spans(doc)
        found = doc.spans.get(MODEL_KEY)
        scores = found.attrs.get("scores", []) if found is not None else []
        model = [
            (span, score)
            for s, score in zip(found or [], scores, strict=True)
            if (span := _trimmed(doc, s))
        ]
        lexicon = [span for span in lexicon if not self._names_a_test(doc, span)]
        demographic = _demographic_tokens(doc)
        if not model:
            doc.spans["problems"] = self._sided(
                doc, _widened(doc, lexicon, demographic), demographic
            )
            return doc
        taken = _tokens_of_all(lexicon)
        taken |= demographic
        headers = [(s.start, s.body_start) for s in getattr(doc._, "sections", None) or ()]
        kept = list(lexicon)
        for span, score in model:
            key = self._key(span)
            if not key or any(i in taken for i in range(span.start, span.end)):
                continue
            # ("n.p.o" is one token with stops inside: its words are the stoplist's key)
            stopped = key in self.stop or term_key(span.text) in self.stop
            if stopped and not _defined_here(doc, span):
                continue
            if (
                _SPINAL_LEVEL.fullmatch(span.text)
                or names_only_anatomy(key)
                or _is_label(doc, span)
                or _is_person_name(doc, span)
                or self._names_a_test(doc, span)
                or any(span.start_char < end and start < span.end_char for start, end in headers)
            ):
                continue  # a header, label ("PLAN:"), site, person's name or test is no problem
            # strict: the model's spans are noisier than lexicon terms ("plantar aspect" is
            # not B07.0 plantar wart), so a code must account for every word of the span.
            codes = suggest_codes(span.text, k=MAX_SUGGESTIONS, strict=True)
            codes = codes or self.suggestions(None, key)
            # Candidates under VAGUE_SCORE only resemble the words ("cramping": Q89.4
            # conjoined twins, 0.22); the mention is kept uncoded rather than shown them.
            span._.icd10cm = tuple(c for c in codes if c.score >= VAGUE_SCORE)
            span._.confidence = round(min(score, CONFIDENCE_MODEL_MAX), 2)
            kept.append(span)
        kept.sort(key=lambda span: span.start)
        doc.spans["problems"] = self._sided(
            doc, _specified(doc, _widened(doc, kept, demographic), demographic), demographic
        )
        return doc

    def _sided(self, doc: Doc, spans: list[Span], demographic: set[int]) -> list[Span]:
        """`spans`, each coded to the side it states (laterality.py), taking in the side word
        beside it where that moved its code, never from another mention or demographic field;
        and an injury to the encounter and fracture stated (encounter.py: open, nonunion...)."""
        taken = _tokens_of_all(spans) | demographic
        out = []
        for span in spans:
            codes = span._.icd10cm
            found = stated_side(doc, span) if codes else None
            if found is not None and set(range(found[1], found[2])) - _tokens_of(span) & taken:
                found = stated_side(doc, span, after=False)  # what follows is another mention
            if found is not None:
                side, start, end = found
                sided = self.sides.with_side(
                    codes, side, self.codebook.descriptions, doc[start:end].text
                )
                added = set(range(start, end)) - _tokens_of(span)
                if sided[0].code != codes[0].code and not added & taken:
                    if added:
                        wider = Span(doc, start, end, label=span.label)
                        wider._.confidence = span._.confidence
                        span = wider
                    span._.icd10cm = sided
                    taken |= added
                elif sided[0].code == codes[0].code:
                    span._.icd10cm = sided  # an alternative of the other side corrected
            codes = span._.icd10cm
            if codes and is_injury(codes[0].code) and (stated := stated_encounter(doc, span)):
                descriptions = self.codebook.descriptions
                span._.icd10cm = with_encounter(codes, stated, descriptions)
            out.append(span)
        return out


def _specified(doc: Doc, spans: list[Span], demographic: set[int]) -> list[Span]:
    """`spans`, each extended over the specifiers after it where they code it more specifically
    (specifiers.py), without the mentions it took in."""
    by_start = {span.start: span for span in spans}
    absorbed: set[int] = set()
    out = []
    for span in spans:
        if span.start in absorbed:
            continue
        found = specified(doc, span, span._.icd10cm, by_start, demographic)
        if found is not None:
            longer, codes, taken = found
            longer._.icd10cm = codes
            longer._.confidence = span._.confidence
            absorbed |= {mention.start for mention in taken}
            span = longer
        out.append(span)
    return out


def _defined_here(doc: Doc, span: Span) -> bool:
    """A short capitalised abbreviation the note itself defines: "Norrie disease (ND)" makes
    ND a disease there, where a neurological exam's "Coord: ND" (not done) is none."""
    text = span.text
    return len(text) <= 5 and text.isupper() and f"({text})" in doc_text(doc)


def _tokens_of(span: Span) -> set[int]:
    return set(range(span.start, span.end))


def _tokens_of_all(spans: list[Span]) -> set[int]:
    return {i for span in spans for i in range(span.start, span.end)}


def _widened(doc: Doc, spans: list[Span], demographic: set[int]) -> list[Span]:
    """`spans`, each too vague to code widened to the site beside it where that codes it
    (sites.py), never into another mention or a demographic field."""
    taken = _tokens_of_all(spans) | demographic
    out = []
    for span in spans:
        found = widen_to_site(doc, span, taken - _tokens_of(span))
        if found is not None:
            wider, codes = found
            wider._.icd10cm = codes
            wider._.confidence = span._.confidence
            taken |= set(range(wider.start, wider.end))
            span = wider
        out.append(span)
    return out


def _is_person_name(doc: Doc, span: Span) -> bool:
    """One capitalised word inside a sentence, followed by another the model left out:
    a person's name ("Patient A Maria Lopez" where the name finder failed, "Maria" coded as
    malaria), not a problem. Eponyms come whole ("Guillain-Barre syndrome")."""
    if span.end - span.start != 1 or span.end >= len(doc):
        return False
    word, after = doc[span.start], doc[span.end]
    return word.is_title and after.is_title and not word.is_sent_start and not after.is_sent_start


def _is_label(doc: Doc, span: Span) -> bool:
    """A short word followed by a colon is a label ("SHX:", "EBL:"), not a mention. (A longer
    one may be a problem-list entry: "1. Pancreatitis: improving".)"""
    return (
        span.end - span.start == 1
        and len(span.text) <= MAX_LABEL_CHARS
        and span.end < len(doc)
        and doc[span.end].text == ":"
    )


def _trimmed(doc: Doc, span: Span) -> Span | None:
    """The model's span without leading negation words, trailing function words ("thickening
    of the") or punctuation at either end: the model sometimes takes "no" into the mention
    ("no extra-intestinal manifestations"), and ConText cannot negate a mention from inside
    it; and MTSamples' comma section breaks (",GU", ",FHX") into it."""
    start, end = span.start, span.end
    while start < end and (doc[start].lower_ in _LEADING_NEGATIONS or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].lower_ in _TRAILING_WORDS):
        end -= 1
    return Span(doc, start, end, label="PROBLEM") if start < end else None


def _demographic_tokens(doc: Doc) -> set[int]:
    tokens: set[int] = set()
    for found in (getattr(doc._, "demographics", None) or {}).values():
        if found is not None:
            span = doc.char_span(found.start, found.end, alignment_mode="expand")
            if span is not None:
                tokens.update(range(span.start, span.end))
    return tokens


@Language.factory("chartdrop_problems")
def make_problems(nlp: Language, name: str) -> ProblemMatcher:
    return ProblemMatcher(nlp, load_codebook())
