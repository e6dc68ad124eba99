"""Problem mentions (diseases, disorders, signs, symptoms) with ranked ICD-10-CM suggestions.

Two sources, longest match wins and the curated one wins ties:
- the curated synonyms lexicon (resources/problem_synonyms.tsv, PhraseMatcher on NORM):
  dictated phrases and abbreviations mapped to the code a coder would pick;
- the ICD-10-CM term index (coding.py): descriptions and inclusion terms of the whole
  tabular list, looked up as normalised n-grams (a dict lookup per token, so ~19k terms cost
  nothing to load from the cache, unlike ~19k PhraseMatcher patterns).
Terms that are too generic alone ("pain", "disease") are in resources/problem_stoplist.txt.
"""

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import resources
from .coding import MAX_TERM_WORDS, CodeBook, load_codebook
from .lexicon import longest_matches, phrase_matcher
from .normalize import SKIPPABLE, term_key
from .types import CodeSuggestion

SCORE_CURATED = 0.95
MAX_SUGGESTIONS = 3
# ICD-derived single words this short are mostly abbreviations with other meanings
# ("pin", "ist"); the common clinical ones are in the curated lexicon.
MIN_SINGLE_WORD_CHARS = 5

if not Span.has_extension("icd10cm"):
    Span.set_extension("icd10cm", default=())



class ProblemMatcher:
    def __init__(self, nlp: Language, codebook: CodeBook) -> None:
        self.codebook = codebook
        stop = {term_key(t) for t in resources.read_lines("problem_stoplist.txt")}
        self.curated: dict[str, list[str]] = {}  # code -> terms
        for term, code in resources.read_tsv("problem_synonyms.tsv"):
            self.curated.setdefault(code, []).append(term)
        self.matcher = phrase_matcher(nlp, self.curated)
        self.terms = {
            key: codes
            for key, codes in codebook.terms.items()
            if key not in stop and (" " in key or len(key) >= MIN_SINGLE_WORD_CHARS)
        }

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
        spans = []
        n = len(doc)
        for i, first in enumerate(doc):
            if first.is_punct or first.is_space or first.norm_ in SKIPPABLE:
                continue
            words: list[str] = []
            best: tuple[int, str] | None = None
            j = i
            while j < n and len(words) < MAX_TERM_WORDS:
                tok = doc[j]
                if tok.norm_ in SKIPPABLE or tok.text in SKIPPABLE:
                    j += 1
                    continue
                if tok.is_punct or tok.is_space:
                    break
                words.append(tok.norm_)
                key = " ".join(words)
                if key in self.terms:
                    best = (j + 1, key)
                j += 1
            if best:
                spans.append(Span(doc, i, best[0], label="PROBLEM"))
        return spans

    def __call__(self, doc: Doc) -> Doc:
        curated_codes = {(s, e): code for code, s, e in longest_matches(doc, self.matcher)}
        curated = [Span(doc, s, e, label="PROBLEM") for s, e in curated_codes]
        # filter_spans keeps the longest; on equal length the earlier in the list (curated) wins.
        spans = filter_spans(curated + self._index_matches(doc))
        for span in spans:
            key = " ".join(t.norm_ for t in span if t.norm_ not in SKIPPABLE and not t.is_punct)
            code = curated_codes.get((span.start, span.end))
            span._.icd10cm = self.suggestions(code, key)
        doc.spans["problems"] = [span for span in spans if span._.icd10cm]
        return doc

@Language.factory("chartdrop_problems")
def make_problems(nlp: Language, name: str) -> ProblemMatcher:
    return ProblemMatcher(nlp, load_codebook())
