"""Ranked ICD-10-CM suggestions for one problem mention, from the whole tabular list.

Three steps, cheapest first:
1. the curated synonyms (resources/problem_synonyms.tsv): the code a coder picks for a phrase;
2. an exact normalised description or inclusion term (the code book's term index);
3. candidate generation for everything else: the nearest texts of the candidate index
   (code_index.py: TF-IDF over character 3-grams and words of ~95k texts).
Candidates from steps 2 and 3 are then RERANKED by word coverage (every mention word should be
found in the code's text; specifics the text does not state are penalised, so "hypertension"
is I10, not portal hypertension), laterality, and a preference for "unspecified" defaults.
Non-billable categories are replaced by their "unspecified" leaf, so every code is billable.
Results are cached per normalised mention text. Nothing here logs mention text.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from . import resources
from .code_index import KIND_PARENT, CodeIndex, load_index
from .code_words import (
    CHAPTER_WORDS,
    CONGENITAL,
    DIABETES,
    DISPLACED,
    FRACTURE,
    HISTOLOGY,
    LATERALITY,
    MUST_STATE,
    NEOPLASM,
    SEVERITY_WORDS,
    SOFT_EXTRAS,
    STATED_TYPE,
    UNCONTROLLED,
    asserted_code,
    canon_words,
    content_words,
    expand,
    is_vague_term,
    metastasis_key,
    site_first,
    spinal_region,
    without_history_prefix,
)
from .coding import CodeBook, load_codebook
from .laterality import SIDES, side_index
from .normalize import term_key
from .types import CodeSuggestion

WITHOUT = "without"
MULTIPLE = "multiple"
SCORE_CURATED = 0.95
SCORE_EXACT = 0.9
MAX_CANDIDATE_SCORE = 0.89
VAGUE_SCORE = 0.5  # a best candidate below this is not a code the text supports
N_CANDIDATES = 60


@dataclass(frozen=True, slots=True)
class CodingResult:
    """Ranked suggestions for one mention and whether the text supports a specific code."""

    suggestions: tuple[CodeSuggestion, ...]
    specific: bool


MUST_KEYS = frozenset(MUST_STATE)


class Suggester:
    def __init__(self, book: CodeBook, index: CodeIndex) -> None:
        self.book = book
        self.index = index
        self.curated: dict[str, str] = {}
        for term, code in resources.read_tsv("problem_synonyms.tsv"):
            self.curated.setdefault(term_key(term), code)
        # Codes that say "congenital" (coding_words.json, "congenital"): ~1,000 Q codes and a few
        # others ("congenital syphilis"). Normalising all 74,719 descriptions took 0.4 s of
        # start-up; only those containing one of the words are normalised.
        says = re.compile("|".join(sorted(CONGENITAL)))
        self.congenital = frozenset(
            code
            for code, text in book.descriptions.items()
            if says.search(text.lower()) and not CONGENITAL.isdisjoint(term_key(text).split())
        )

    def _rerank(
        self,
        mention: set[str],
        context: frozenset[str],
        candidates: tuple[tuple[int, float], ...],
        strict: bool = False,
    ) -> dict[str, float]:
        """Per code, the best reranked score of its candidate texts. One loop with everything
        that does not depend on the candidate computed once (this runs ~60 times a mention)."""
        parsed_texts, codes, kinds = self.index.parsed, self.index.codes, self.index.kinds
        stated = mention & LATERALITY
        either = mention | context
        states_absence = WITHOUT in mention
        states_multiple = MULTIPLE in mention  # "multiple sites" is then no "other" default
        if mention >= NEOPLASM:
            # A neoplasm's cell type is neither required of a code nor evidence for one: the
            # site codes it (C34.90 for "squamous cell carcinoma of the lung", not C17.9
            # small intestine for "small cell carcinoma"); the similarity still prefers a
            # code that names it (C44.92 squamous cell carcinoma of skin).
            context = context | (mention & HISTOLOGY)  # stated, so never an extra
            mention = mention - HISTOLOGY
        fracture = FRACTURE in mention
        if fracture:
            # A fracture not stated as displaced or not is coded as displaced (ICD-10-CM), so
            # a stated "displaced" asks nothing of a code without the axis (S72.90XA).
            context = context | (mention & DISPLACED)
            mention = mention - DISPLACED
        if mention >= NEOPLASM or fracture:
            # Nor is a site the code hides behind "unspecified" (C66.9 unspecified ureter,
            # S92.819A unspecified foot): a neoplasm's or a fracture's code is its site's,
            # so an unstated one is an extra.
            strict = True
        n_mention = len(mention)
        # A side adds no evidence: "left epididymis" is one word, as bare as "epididymis"
        # (C63.02, a malignant neoplasm of it, when the side counted).
        n_sited = len(mention - LATERALITY)
        shared: frozenset[str] = frozenset()
        if fracture:
            # A word that every code text naming all the stated words names too is implied by
            # them ("pilon fracture": tibia; "nasal fracture": bones), not an unstated site.
            # One such text implies one word at most: "fracture dislocation" is covered only
            # by "fracture of upper end of ulna with dislocation of radial head" (S52.27-).
            covering = [
                parsed_texts[i].core | parsed_texts[i].implied
                for i, _ in candidates
                if mention <= parsed_texts[i].core | parsed_texts[i].neutral
            ]
            if covering:
                shared = frozenset.intersection(*covering)
                if len(covering) == 1 and len(shared - mention) > 1:
                    shared = frozenset()
        scored: dict[str, float] = {}
        # A congenital code the text does not state as such, and the best code without it
        # that covers every mention word: the index's main term, which the congenital one
        # is a subterm of ("aortic valve stenosis": I35.0 before Q23.0).
        congenital: set[str] = set()
        best_acquired = -1.0
        check_congenital = CONGENITAL.isdisjoint(either)
        for i, sim in candidates:
            parsed = parsed_texts[i]
            core = parsed.core
            # core and neutral are disjoint, so this is len(mention & (core | neutral)).
            known = len(mention & core) + len(mention & parsed.neutral)
            if parsed.excluded and not states_absence and not mention.isdisjoint(parsed.absent):
                # "psychotic symptoms" is not found in "... without psychotic symptoms" (F30.10)
                known -= len(mention & parsed.excluded)
            covered = known / n_mention if mention else 0.0
            extras = core - mention - context - shared
            if strict:  # a bare span states no site: the code's unspecified one is an extra
                extras = extras | (parsed.implied - mention - context - shared)
            for pair in parsed.paired:  # "lung" of "unspecified bronchus or lung"
                a, b = pair.split(" ")
                if a in mention or b in mention:
                    extras = extras - {a, b}
            hard = len(extras - SOFT_EXTRAS)
            soft = len(extras & SOFT_EXTRAS)
            score = 0.25 + 0.4 * covered + 0.25 * sim
            score -= min(0.35, 0.07 * hard + 0.03 * soft)
            if stated and not (stated & core):
                score -= 0.1
            if not stated and core & LATERALITY:
                score -= 0.05
            if parsed.other and not states_multiple:  # outweighs its shorter title's similarity
                score -= 0.05
            if parsed.unspecified and not hard:
                score += 0.03
            if kinds[i] == KIND_PARENT:
                score -= 0.02
            code = codes[i]
            needs = CHAPTER_WORDS.get(code[0])
            if needs and not (needs & either):
                score -= 0.15
            typed = STATED_TYPE.get(code[:3])
            if typed and not (typed & either):
                score -= 0.02  # a type the text does not state: E11 is the default
            must = core & MUST_KEYS  # usually empty: one set operation, not a loop a candidate
            unstated = bool(must) and any(not (MUST_STATE[w] & either) for w in must)
            # A stated side the code has no axis for is penalised above, not missing here.
            if (
                unstated
                or (hard and (n_sited == 1 or fracture))
                or (strict and known + len(stated - core) < n_mention)
            ):
                # One bare word ("stenosis", "fracture") is not evidence for a code that
                # adds a site or type the text does not state (H04.579, lacrimal sac), nor
                # is any fracture ("comminuted fracture": S82.043A, patella).
                # `strict` (the model's own spans): nor is a code that leaves a stated word
                # out ("renal cell carcinoma": C22.0 liver cell carcinoma; "hardware
                # failure": N19 kidney failure; "heart tones": I51.9 heart disease).
                score = min(score, VAGUE_SCORE - 0.01)
            score = max(0.0, score)  # capped at MAX_CANDIDATE_SCORE for display, in _suggest
            if check_congenital:
                if code in self.congenital:
                    congenital.add(code)
                elif known == n_mention:
                    best_acquired = max(best_acquired, score)
            if score > scored.get(code, -1.0):
                scored[code] = score
        if best_acquired >= VAGUE_SCORE:
            for code in congenital:
                scored[code] = min(scored[code], best_acquired - 0.01)
        return scored

    def _curated_step(self, key: str) -> tuple[dict[str, float], str, str]:
        """Step 1: (curated codes, the key less a history prefix, the expanded key)."""
        out: dict[str, float] = {}
        key = without_history_prefix(key) or key
        expanded = spinal_region(metastasis_key(expand(key)))
        # The curated code of the text as written, or of its code-book wording ("liver
        # metastases": secondary malignant neoplasm of liver, C78.7).
        curated = self.curated.get(key) or self.curated.get(expanded)
        if not curated and (inverted := site_first(key)):
            curated = self.curated.get(inverted) or self.curated.get(expand(inverted))
        if not curated and (ungraded := self._ungraded(key)):
            curated = self.curated.get(ungraded) or self.curated.get(expand(ungraded))
        if curated and self.book.is_billable(curated):
            out[curated] = SCORE_CURATED
        words = expanded.split()
        if DIABETES in words and UNCONTROLLED & set(words):
            # "Uncontrolled" diabetes is coded by hyperglycemia (ICD-10-CM index).
            kept = [w for w in words if w not in UNCONTROLLED and w != "controlled"]
            expanded = " ".join([*kept, "with", "hyperglycemia"])
        return out, key, expanded

    def _ungraded(self, key: str) -> str | None:
        """The key less its grade words ("moderate aortic stenosis": "aortic stenosis"), or
        None where it states none or some code text names a stated grade with the condition's
        words ("mild dementia": F03.A0), so that the grade is coded."""
        words = key.split()
        grades = SEVERITY_WORDS.intersection(words)
        if not grades:
            return None
        rest = [w for w in words if w not in SEVERITY_WORDS]
        condition = content_words(canon_words(expand(" ".join(rest))))
        if not condition or any(
            condition <= text for grade in grades for text in self._graded_texts(grade)
        ):
            return None
        return " ".join(rest)

    @lru_cache(maxsize=64)  # noqa: B019 - one Suggester per process
    def _graded_texts(self, grade: str) -> tuple[frozenset[str], ...]:
        """The words of each code text that names `grade` (~1% of codes for "mild")."""
        texts = []
        for text in self.book.descriptions.values():
            lowered = text.lower()
            if grade in lowered and grade in (key := term_key(lowered)).split():
                texts.append(frozenset(canon_words(key)))
        return tuple(texts)

    @staticmethod
    def _is_specific(suggestions: tuple[CodeSuggestion, ...], expanded: str) -> bool:
        best = suggestions[0].score if suggestions else 0.0
        return bool(suggestions) and best >= VAGUE_SCORE and not is_vague_term(expanded)

    @lru_cache(maxsize=50_000)  # noqa: B019 - one Suggester per process
    def specific(self, key: str, context_key: str) -> bool:
        """`_suggest(key, context_key, k).specific` for any k, without ranking candidates when
        a curated code leads (its score, not the candidates', is then the best)."""
        out, _, expanded = self._curated_step(key)
        if out:
            return self._is_specific((CodeSuggestion("", "", SCORE_CURATED),), expanded)
        return self._suggest(key, context_key, 3).specific

    @lru_cache(maxsize=256)  # noqa: B019 - one Suggester per process
    def _candidates(self, expanded: str) -> tuple[tuple[int, float], ...]:
        """The nearest texts, shared by the strict and the plain ranking of one mention: the
        mention model's spans are ranked strictly for their codes and plainly for
        `specific`, and the search was half of all ranking time (~0.8 ms a query)."""
        return tuple(self.index.nearest(expanded, N_CANDIDATES))

    @lru_cache(maxsize=50_000)  # noqa: B019 - one Suggester per process
    def _suggest(self, key: str, context_key: str, k: int, strict: bool = False) -> CodingResult:
        written = key
        sides = {SIDES[w] for w in key.split() if w in SIDES}
        side = sides.pop() if len(sides) == 1 else None
        if side is not None and (sided := self._sided_term(key, side, context_key, k, strict)):
            return sided
        out, key, expanded = self._curated_step(key)
        mention = content_words(canon_words(expanded))
        context = frozenset(content_words(canon_words(expand(context_key)))) - mention
        exact = {c for c, _ in self.book.terms.get(key, [])}
        exact |= {c for c, _ in self.book.terms.get(expanded, [])}
        candidates = self._candidates(expanded)
        words = canon_words(expanded)
        if set(words) >= NEOPLASM:
            words = [w for w in words if w not in HISTOLOGY]
        if FRACTURE in words:  # "displaced" is the default, and most fracture codes say it
            words = [w for w in words if w not in DISPLACED]
        canonical = " ".join(words)
        if canonical != expanded:
            # The code book's wording ("carcinoma of the prostate": malignant neoplasm of
            # prostate, C61) may share too few letters with the mention's to be among the
            # nearest texts of its own spelling.
            candidates += self._candidates(canonical)
        raw = self._rerank(mention, context, candidates, strict)
        # (shown score, raw score): candidates show at most MAX_CANDIDATE_SCORE, under an exact
        # term's SCORE_EXACT, but those at the cap still rank by their raw score ("gastritis
        # with bleeding": K29.71 before K29.61 "Other gastritis", not by code order).
        scored = {code: (min(score, MAX_CANDIDATE_SCORE), score) for code, score in raw.items()}
        for code in exact:
            scored[code] = (SCORE_EXACT, 1.0 + raw.get(code, 0.0))
        ranked = sorted(scored.items(), key=lambda cs: (-cs[1][0], -cs[1][1], len(cs[0]), cs[0]))
        for code, (score, _) in ranked:
            if len(out) >= k:
                break
            if code not in out and self.book.is_billable(code):
                out[code] = score
        suggestions = tuple(
            CodeSuggestion(code, self.book.describe(code) or "", round(score, 3))
            for code, score in out.items()
        )
        if side is not None:  # "right tibia fracture": S82.201A, not S82.209A (laterality.py)
            suggestions = side_index().with_side(suggestions, side, self.book.descriptions, written)
        specific = self._is_specific(suggestions, expanded)
        if key != written:  # "history of X", as extract codes it (pipeline.py)
            suggestions = self.as_asserted(suggestions, "historical")[:k]
        return CodingResult(suggestions, specific)

    def _sided_term(
        self, key: str, side: str, context_key: str, k: int, strict: bool
    ) -> CodingResult | None:
        """The codes of a curated or code-book term stated with a side ("left cubital tunnel
        syndrome"), moved to that side's code; None when the words without the side are no
        such term, or its codes have no sided sibling. Ranked whole, the sided phrase met
        another term's sided code first (G56.02, left carpal tunnel)."""
        bare = " ".join(w for w in key.split() if w not in SIDES)
        curated, _, expanded = self._curated_step(bare)
        if not bare or not (curated or bare in self.book.terms or expanded in self.book.terms):
            return None
        found = self._suggest(bare, context_key, k, strict)
        if not found.suggestions:
            return None
        moved = side_index().with_side(found.suggestions, side, self.book.descriptions, key)
        if moved[0].code == found.suggestions[0].code:
            return None
        return CodingResult(moved, found.specific)

    def as_asserted(
        self, codes: tuple[CodeSuggestion, ...], assertion: str
    ) -> tuple[CodeSuggestion, ...]:
        """`codes` of a problem the note gives as the patient's history or a relative's, led by
        that history's own code when the condition has one (coding_words.json)."""
        found = asserted_code(codes[0].code, assertion) if codes else None
        if found is None or not self.book.is_billable(found):
            return codes
        first = CodeSuggestion(found, self.book.describe(found) or "", codes[0].score)
        return (first, *(c for c in codes if c.code != found))

    def suggest(
        self, mention_text: str, context: str | None = None, k: int = 5, strict: bool = False
    ) -> CodingResult:
        """`strict`: every stated word must be in a code's text (or default wording) for it
        to score as a match; for spans the mention model found on its own, which are noisier
        than lexicon terms ("plantar aspect", "buccal aspect")."""
        return self._suggest(term_key(mention_text), term_key(context or ""), k, strict)


_lock = threading.Lock()
_suggester: Suggester | None = None


def get_suggester() -> Suggester:
    """The process-wide suggester, loaded (from the caches) on first use."""
    global _suggester
    if _suggester is None:
        with _lock:
            if _suggester is None:
                _suggester = Suggester(load_codebook(), load_index())
    return _suggester
