"""Ranked ICD-10-CM suggestions for one problem mention, from the whole tabular list.

Three steps, cheapest first:
1. the curated synonyms (resources/problem_synonyms.tsv): the code a coder picks for a phrase;
2. an exact normalised description or inclusion term (the code book's term index);
3. candidate generation for everything else: TF-IDF over character 3-grams and words of every
   description and inclusion term (~93k texts), a sparse dot product per mention.
Candidates from steps 2 and 3 are then RERANKED by word coverage (every mention word should be
found in the code's text; specifics the text does not state are penalised, so "hypertension"
is I10, not portal hypertension), laterality, and a preference for "unspecified" defaults.
Non-billable categories are replaced by their "unspecified" leaf, so every code is billable.

The vectoriser vocabulary and matrix are built once (~10 s with the XML parse) and cached
under `$CHARTDROP_DATA_DIR/cache` like the code book; later loads take well under a second.
Results are cached per normalised mention text. Nothing here logs mention text.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from scipy import sparse

from . import resources
from .coding import (
    CodeBook,
    _default_leaf,
    _is_heading,
    cache_dir,
    load_codebook,
    matched_texts,
    source_digest,
)
from .normalize import term_key
from .types import CodeSuggestion

log = logging.getLogger(__name__)

SCORE_CURATED = 0.95
SCORE_EXACT = 0.9
MAX_CANDIDATE_SCORE = 0.89
VAGUE_SCORE = 0.5  # a best candidate below this is not a code the text supports
N_CANDIDATES = 60
# Query features this common (in > ~8% of texts: " di", "ion") cost most of the sparse product
# and barely rank; they are skipped.
MIN_IDF = 0.0  # off: 3.5 was tried once, not adopted (decided after seeing held-out scores)

KIND_DESCRIPTION, KIND_INCLUSION, KIND_PARENT = 0, 1, 2

# The word lists are data (resources/coding_words.json, each with what it is for).
_WORDS = resources.read_json("coding_words.json")
_FUNCTION_WORDS = frozenset(_WORDS["function_words"]["words"])
_NEUTRAL_WORDS = frozenset(_WORDS["neutral_words"]["words"])
_CANONICAL: dict[str, str] = _WORDS["canonical"]["map"]
_HISTOLOGY = frozenset(_WORDS["histology"]["words"])
_MUST_STATE = {
    term_key(word): frozenset(term_key(" ".join(synonyms)).split())
    for word, synonyms in _WORDS["must_state"]["map"].items()
}
_ABBREVIATIONS: dict[str, str] = _WORDS["abbreviations"]["map"]
_LATERALITY = frozenset(_WORDS["laterality"]["words"])
_CHAPTER_WORDS = {k: frozenset(v) for k, v in _WORDS["chapter_words"]["map"].items()}
_HISTORY_PREFIXES = tuple(_WORDS["history_prefixes"]["prefixes"])
_HISTORY_CODES: dict[str, str] = _WORDS["history_prefixes"]["codes"]
_UNCONTROLLED = frozenset(_WORDS["uncontrolled"]["words"])
_SOFT_EXTRAS = frozenset(_WORDS["soft_extras"]["words"])
_DIMENSIONS = frozenset(_WORDS["unspecified_dimensions"]["words"])
_VAGUE_ALONE = frozenset(_WORDS["vague_alone"]["words"])
_VAGUE_WITH_ORGAN = frozenset(_WORDS["vague_with_organ"]["words"])
_ORGANS = frozenset(_WORDS["organs"]["words"])
_PAREN = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_WITHOUT = re.compile(r"\bwithout\b[^,;]*", re.IGNORECASE)
_PAIRED = re.compile(r"(\w+),? (?:and|or) (\w+)", re.IGNORECASE)
_LEADING_UNSPECIFIED = re.compile(r"^\s*(?:other (?:and|or) )?unspecified\b", re.IGNORECASE)
_AFTER_UNSPECIFIED = re.compile(r"\bunspecified\b((?:(?!\bof\b)[^,;])*)", re.IGNORECASE)


# Every word list above is compared with term_key output ("diabetes" -> "diabete").
def _keyed(words: frozenset[str]) -> frozenset[str]:
    return frozenset(term_key(" ".join(words)).split())


_FUNCTION_WORDS = _keyed(_FUNCTION_WORDS)
_NEUTRAL_WORDS = _keyed(_NEUTRAL_WORDS)
_SOFT_EXTRAS = _keyed(_SOFT_EXTRAS)
_VAGUE_ALONE = _keyed(_VAGUE_ALONE)
_VAGUE_WITH_ORGAN = _keyed(_VAGUE_WITH_ORGAN)
_ORGANS = _keyed(_ORGANS)
_HISTOLOGY = _keyed(_HISTOLOGY)
_CHAPTER_WORDS = {letter: _keyed(words) for letter, words in _CHAPTER_WORDS.items()}
_CANONICAL = {term_key(k): term_key(v) for k, v in _CANONICAL.items()}
_ABBREVIATIONS = {term_key(k): term_key(v) for k, v in _ABBREVIATIONS.items()}
_DIABETES = term_key("diabetes")
_NEOPLASM = frozenset(term_key("malignant neoplasm").split())
_FRACTURE = term_key("fracture")
_NEOPLASM_WORDS = frozenset(
    term_key("adenocarcinoma cancer carcinoma malignancy malignant neoplasm tumor").split()
)


def _canon_words(key: str) -> list[str]:
    out: list[str] = []
    for word in key.split():
        out.extend(_CANONICAL.get(word, word).split())
    return out


def _content(words: list[str]) -> set[str]:
    return {w for w in words if w not in _FUNCTION_WORDS}


@dataclass(frozen=True, slots=True)
class _Text:
    """A code text split for reranking: words that must be stated vs. default wording."""

    core: frozenset[str]
    neutral: frozenset[str]
    unspecified: bool
    # Words after "unspecified" ("Stenosis of unspecified lacrimal sac": lacrimal, sac), neutral
    # for a phrase but a site or type the code adds to a bare span (strict ranking).
    implied: frozenset[str] = frozenset()
    # The words either side of "and"/"or" ("Synovitis and tenosynovitis", "Occlusion and
    # stenosis of basilar artery"), each pair as "a b": a title naming either; a mention that
    # states one needs not state the other.
    paired: frozenset[str] = frozenset()
    # "Other fracture of unspecified femur": another type than those the category names,
    # never the default for a mention that names no type (S72.90XA, "Unspecified fracture").
    other: bool = False


def _parse_text(text: str) -> _Text:
    neutral_parts = [a or b for a, b in _PAREN.findall(text)]
    body = _PAREN.sub(" ", text)
    neutral_parts += _WITHOUT.findall(body)
    # Mid-text, "unspecified" leaves a site or dimension open ("of unspecified ovary",
    # "unspecified part of"); leading, it names the condition's type as unknown and what
    # follows is the condition itself ("Unspecified chronic gastritis with bleeding").
    after_unspecified = _AFTER_UNSPECIFIED.findall(_LEADING_UNSPECIFIED.sub("", body))
    neutral_parts += after_unspecified
    neutral = set(_canon_words(term_key(" ".join(neutral_parts))))
    words = _content(_canon_words(term_key(body)))
    core = {w for w in words if w not in neutral and w not in _NEUTRAL_WORDS}
    implied = _content(_canon_words(term_key(" ".join(after_unspecified)))) - _DIMENSIONS
    return _Text(
        core=frozenset(core),
        neutral=frozenset((neutral | (words & _NEUTRAL_WORDS)) - core),
        unspecified="unspecified" in text.lower() or " nos" in text.lower(),
        implied=frozenset(implied - core - _NEUTRAL_WORDS),
        paired=frozenset(
            " ".join(pair)
            for a, b in _PAIRED.findall(body)
            if len(pair := (*_canon_words(term_key(a)), *_canon_words(term_key(b)))) == 2
        ),
        other=text.lower().startswith("other "),
    )


# ------------------------------------------------------------------------------ features
def _features(key: str) -> Counter[str]:
    feats: Counter[str] = Counter()
    for word in key.split():
        feats["w:" + word] += 1
        padded = f" {word} "
        for i in range(len(padded) - 2):
            feats["c:" + padded[i : i + 3]] += 1
    return feats


@dataclass(slots=True)
class _Index:
    vocab: dict[str, int]
    idf: np.ndarray  # (n_features,)
    by_feature: sparse.csr_matrix  # (n_features, n_texts), rows l2-normalised per text
    texts: list[str]
    codes: list[str]  # billable target code of each text
    kinds: list[int]
    # _parse_text of each text, computed when the index is built and kept in its cache: parsing
    # on first use cost ~0.5 ms a note over the first thousand notes of a process.
    parsed: list[_Text]

    def vector(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        feats = _features(key)
        idx, val = [], []
        for feat, count in feats.items():
            j = self.vocab.get(feat)
            if j is not None and self.idf[j] >= MIN_IDF:
                idx.append(j)
                val.append((1.0 + math.log(count)) * self.idf[j])
        values = np.asarray(val, dtype=np.float32)
        norm = float(np.linalg.norm(values)) if len(values) else 0.0
        return np.asarray(idx, dtype=np.int64), (values / norm if norm else values)

    def nearest(self, key: str, n: int) -> list[tuple[int, float]]:
        idx, val = self.vector(key)
        if not len(idx):
            return []
        # The query's rows straight from the CSR arrays, summed per text with bincount:
        # slicing the sparse matrix and an argpartition over every text cost ~0.6 ms a query.
        matrix = self.by_feature
        starts = matrix.indptr[idx]
        lengths = matrix.indptr[idx + 1] - starts
        total = int(lengths.sum())
        if not total:
            return []
        offsets = np.cumsum(lengths) - lengths
        positions = np.arange(total) + np.repeat(starts - offsets, lengths)
        weights = matrix.data[positions] * np.repeat(val, lengths)
        dense = np.bincount(matrix.indices[positions], weights=weights, minlength=matrix.shape[1])
        texts = np.flatnonzero(dense > 0)
        scores = dense[texts]
        if len(scores) > n:
            top = np.argpartition(-scores, n - 1)[:n]
            texts, scores = texts[top], scores[top]
        return list(zip(texts.tolist(), scores.tolist(), strict=True))


def _index_path(suffix: str) -> Path:
    version = metadata.version("simple-icd-10-cm")
    built_by = source_digest(
        "ranking.py", "coding.py", "normalize.py", "resources/coding_words.json"
    )
    return cache_dir() / f"icd10cm-tfidf-{version}-{built_by}.{suffix}"


def _collect_texts() -> tuple[list[str], list[str], list[int]]:
    import simple_icd_10_cm as cm

    texts: list[str] = []
    codes: list[str] = []
    kinds: list[int] = []
    seen: set[tuple[str, str]] = set()
    for code in cm.get_all_codes(with_dots=True):
        entries = [] if _is_heading(cm, code) else matched_texts(cm, code)
        if not entries:
            continue
        leaf = cm.is_leaf(code)
        target = code if leaf else _default_leaf(cm, code)
        if target is None:
            continue
        for text, is_description in entries:
            kind = KIND_DESCRIPTION if is_description else KIND_INCLUSION
            kind = kind if leaf else KIND_PARENT
            if (text, target) in seen or not term_key(text):
                continue
            seen.add((text, target))
            texts.append(text)
            codes.append(target)
            kinds.append(kind)
    return texts, codes, kinds


def build_index() -> _Index:
    texts, codes, kinds = _collect_texts()
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    df: Counter[int] = Counter()
    for i, text in enumerate(texts):
        for feat, count in _features(term_key(text)).items():
            j = vocab.setdefault(feat, len(vocab))
            rows.append(j)
            cols.append(i)
            vals.append(1.0 + math.log(count))
            df[j] += 1
    n = len(texts)
    idf = np.ones(len(vocab), dtype=np.float32)
    for j, d in df.items():
        idf[j] = math.log((1 + n) / (1 + d)) + 1.0
    m = sparse.csc_matrix(
        (np.asarray(vals, dtype=np.float32) * idf[rows], (rows, cols)), shape=(len(vocab), n)
    )
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    m = sparse.csr_matrix(m @ sparse.diags(1.0 / norms).astype(np.float32), dtype=np.float32)
    return _Index(vocab, idf, m, texts, codes, kinds, [_parse_text(t) for t in texts])


def load_index(use_cache: bool = True) -> _Index:
    matrix_path, meta_path = _index_path("npz"), _index_path("json")
    if use_cache and matrix_path.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            matrix = sparse.load_npz(matrix_path).tocsr()
            return _Index(
                vocab=meta["vocab"],
                idf=np.asarray(meta["idf"], dtype=np.float32),
                by_feature=matrix,
                texts=meta["texts"],
                codes=meta["codes"],
                kinds=meta["kinds"],
                parsed=[
                    _Text(
                        frozenset(core.split()),
                        frozenset(neutral.split()),
                        bool(unspecified),
                        frozenset(implied.split()),
                        frozenset(paired.split(";")) - {""},
                        bool(other),
                    )
                    for core, neutral, unspecified, implied, paired, other in meta["parsed"]
                ],
            )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ICD-10-CM candidate index cache unreadable; rebuilding")
    index = build_index()
    if use_cache:
        _write_index(index, matrix_path, meta_path)
    return index


def _write_index(index: _Index, matrix_path: Path, meta_path: Path) -> None:
    meta = {
        "vocab": index.vocab,
        "idf": index.idf.tolist(),
        "texts": index.texts,
        "codes": index.codes,
        "kinds": index.kinds,
        "parsed": [
            [
                " ".join(sorted(p.core)),
                " ".join(sorted(p.neutral)),
                int(p.unspecified),
                " ".join(sorted(p.implied)),
                ";".join(sorted(p.paired)),
                int(p.other),
            ]
            for p in index.parsed
        ],
    }
    try:
        matrix_path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=matrix_path.parent, prefix=matrix_path.name, suffix=".npz")
        os.close(fd)
        sparse.save_npz(tmp, index.by_feature)
        fd2, tmp2 = tempfile.mkstemp(dir=meta_path.parent, prefix=meta_path.name, suffix=".tmp")
        with os.fdopen(fd2, "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        os.replace(tmp2, meta_path)
        os.replace(tmp, matrix_path)
    except OSError as exc:
        log.warning("could not write ICD-10-CM candidate index cache: %s", exc.__class__.__name__)


# ------------------------------------------------------------------------------ suggester
@dataclass(frozen=True, slots=True)
class CodingResult:
    """Ranked suggestions for one mention and whether the text supports a specific code."""

    suggestions: tuple[CodeSuggestion, ...]
    specific: bool


def expand(key: str) -> str:
    return " ".join(_ABBREVIATIONS.get(w, w) for w in key.split())


def is_vague_term(key: str) -> bool:
    """A mention made only of generic words ("infection", "disease of the heart", "pain")."""
    words = _content(key.split())
    if words & _NEOPLASM_WORDS:
        words -= _HISTOLOGY  # "transitional cell carcinoma" states no site either
    if not words:
        return True
    if words <= _VAGUE_ALONE:
        return True
    return words <= (_VAGUE_WITH_ORGAN | _ORGANS) and bool(words & _VAGUE_WITH_ORGAN)


class Suggester:
    def __init__(self, book: CodeBook, index: _Index) -> None:
        self.book = book
        self.index = index
        self.curated: dict[str, str] = {}
        for term, code in resources.read_tsv("problem_synonyms.tsv"):
            self.curated.setdefault(term_key(term), code)

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
        stated = mention & _LATERALITY
        either = mention | context
        if mention >= _NEOPLASM:
            # A neoplasm's cell type is neither required of a code nor evidence for one: the
            # site codes it (C34.90 for "squamous cell carcinoma of the lung", not C17.9
            # small intestine for "small cell carcinoma"); the similarity still prefers a
            # code that names it (C44.92 squamous cell carcinoma of skin).
            context = context | (mention & _HISTOLOGY)  # stated, so never an extra
            mention = mention - _HISTOLOGY
        if mention >= _NEOPLASM or _FRACTURE in mention:
            # Nor is a site the code hides behind "unspecified" (C66.9 unspecified ureter,
            # S92.819A unspecified foot): a neoplasm's or a fracture's code is its site's,
            # so an unstated one is an extra.
            strict = True
        n_mention = len(mention)
        scored: dict[str, float] = {}
        for i, sim in candidates:
            parsed = parsed_texts[i]
            core = parsed.core
            # core and neutral are disjoint, so this is len(mention & (core | neutral)).
            known = len(mention & core) + len(mention & parsed.neutral)
            covered = known / n_mention if mention else 0.0
            extras = core - mention - context
            if strict:  # a bare span states no site: the code's unspecified one is an extra
                extras = extras | (parsed.implied - mention - context)
            for pair in parsed.paired:  # "lung" of "unspecified bronchus or lung"
                a, b = pair.split(" ")
                if a in mention or b in mention:
                    extras = extras - {a, b}
            hard = len(extras - _SOFT_EXTRAS)
            soft = len(extras & _SOFT_EXTRAS)
            score = 0.25 + 0.4 * covered + 0.25 * sim
            score -= min(0.35, 0.07 * hard + 0.03 * soft)
            if stated and not (stated & core):
                score -= 0.1
            if not stated and core & _LATERALITY:
                score -= 0.05
            if parsed.other:  # outweighs the closer similarity of its shorter title
                score -= 0.05
            if parsed.unspecified and not hard:
                score += 0.03
            if kinds[i] == KIND_PARENT:
                score -= 0.02
            code = codes[i]
            needs = _CHAPTER_WORDS.get(code[0])
            if needs and not (needs & either):
                score -= 0.15
            unstated = any(w in core and not (s & either) for w, s in _MUST_STATE.items())
            # A stated side the code has no axis for is penalised above, not missing here.
            if (
                unstated
                or (hard and n_mention == 1)
                or (strict and known + len(stated - core) < n_mention)
            ):
                # One bare word ("stenosis", "fracture") is not evidence for a code that
                # adds a site or type the text does not state (H04.579, lacrimal sac).
                # `strict` (the model's own spans): nor is a code that leaves a stated word
                # out ("renal cell carcinoma": C22.0 liver cell carcinoma; "hardware
                # failure": N19 kidney failure; "heart tones": I51.9 heart disease).
                score = min(score, VAGUE_SCORE - 0.01)
            score = max(0.0, score)  # capped at MAX_CANDIDATE_SCORE for display, in _suggest
            if score > scored.get(code, -1.0):
                scored[code] = score
        return scored

    def _curated_step(self, key: str) -> tuple[dict[str, float], str, str]:
        """Step 1: (curated codes, the key less a history prefix, the expanded key)."""
        out: dict[str, float] = {}
        for prefix in _HISTORY_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                rest = key[len(prefix) :]
                code = _HISTORY_CODES.get(self.curated.get(rest, ""))
                if code and self.book.is_billable(code):
                    out[code] = SCORE_CURATED
                key = rest
                break
        curated = self.curated.get(key)
        if curated and self.book.is_billable(curated):
            out[curated] = SCORE_CURATED
        expanded = expand(key)
        words = expanded.split()
        if _DIABETES in words and _UNCONTROLLED & set(words):
            # "Uncontrolled" diabetes is coded by hyperglycemia (ICD-10-CM index).
            kept = [w for w in words if w not in _UNCONTROLLED and w != "controlled"]
            expanded = " ".join([*kept, "with", "hyperglycemia"])
        return out, key, expanded

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
        out, key, expanded = self._curated_step(key)
        mention = _content(_canon_words(expanded))
        context = frozenset(_content(_canon_words(expand(context_key)))) - mention
        exact = {c for c, _ in self.book.terms.get(key, [])}
        exact |= {c for c, _ in self.book.terms.get(expanded, [])}
        candidates = self._candidates(expanded)
        words = _canon_words(expanded)
        if set(words) >= _NEOPLASM:
            words = [w for w in words if w not in _HISTOLOGY]
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
        return CodingResult(suggestions, self._is_specific(suggestions, expanded))

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
