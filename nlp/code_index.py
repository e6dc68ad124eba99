"""The ICD-10-CM candidate index: every description and inclusion term of the matched code
set (coding.matched_texts, ~95k texts), split for reranking (CodeText) and vectorised as TF-IDF
over character 3-grams and words, searched by one sparse dot product per mention.

Built once (~10 s with the XML parse) and cached under `$CHARTDROP_DATA_DIR/cache`, named by a
hash of the code and word lists that build it; later loads take well under a second.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from scipy import sparse

from chartdrop.cache import cache_dir

from .code_words import DIMENSIONS, NEUTRAL_WORDS, canon_words, content_words
from .coding import _default_leaf, _is_heading, matched_texts, source_digest
from .normalize import term_key

log = logging.getLogger(__name__)

# Query features this common (in > ~8% of texts: " di", "ion") cost most of the sparse product
# and barely rank; they are skipped.
MIN_IDF = 0.0  # off: 3.5 was tried once, not adopted (decided after seeing held-out scores)

KIND_DESCRIPTION, KIND_INCLUSION, KIND_PARENT = 0, 1, 2

_PAREN = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
# "without X" is neutral up to the next "of" or "with": what follows is the code's own
# ("... without intracondylar extension of lower end of left femur", "... without cholecystitis
# with obstruction").
_WITHOUT = re.compile(r"\bwithout\b(?:(?!\b(?:of|with)\b)[^,;])*", re.IGNORECASE)
_PAIRED = re.compile(r"(\w+),? (?:and|or) (\w+)", re.IGNORECASE)
_LEADING_UNSPECIFIED = re.compile(r"^\s*(?:other (?:and|or) )?unspecified\b", re.IGNORECASE)
# "Unspecified synovitis and tenosynovitis, other site" (M65.98) is the site left when the
# category's sites are named, and "multiple sites" (M65.99) a stated spread: neither is the
# default for a mention that names no site (M65.90).
_OTHER_SITE = re.compile(r",\s*(?:other (?:specified )?sites?|multiple sites)\b", re.IGNORECASE)
_AFTER_UNSPECIFIED = re.compile(r"\bunspecified\b((?:(?!\bof\b)[^,;])*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CodeText:
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
    # never the default for a mention that names no type (S72.90XA, "Unspecified fracture");
    # nor ", other site" for one that names no site.
    other: bool = False
    # Words of its "without ..." clauses ("Manic episode without psychotic symptoms"): what the
    # code says is absent, so no evidence for a mention that names the absent thing
    # ("psychotic symptoms"), though neutral for one that does not. `absent` holds each
    # clause's last word, the thing itself: "hyperosmolar hyperglycemic state" names no
    # "coma" of E11.00's "without nonketotic hyperglycemic-hyperosmolar coma".
    excluded: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()


def parse_text(text: str) -> CodeText:
    neutral_parts = [a or b for a, b in _PAREN.findall(text)]
    body = _PAREN.sub(" ", text)
    without = _WITHOUT.findall(body)
    neutral_parts += without
    # Mid-text, "unspecified" leaves a site or dimension open ("of unspecified ovary",
    # "unspecified part of"); leading, it names the condition's type as unknown and what
    # follows is the condition itself ("Unspecified chronic gastritis with bleeding").
    after_unspecified = _AFTER_UNSPECIFIED.findall(_LEADING_UNSPECIFIED.sub("", body))
    neutral_parts += after_unspecified
    neutral = set(canon_words(term_key(" ".join(neutral_parts))))
    words = content_words(canon_words(term_key(body)))
    core = {w for w in words if w not in neutral and w not in NEUTRAL_WORDS}
    implied = content_words(canon_words(term_key(" ".join(after_unspecified)))) - DIMENSIONS
    return CodeText(
        core=frozenset(core),
        neutral=frozenset((neutral | (words & NEUTRAL_WORDS)) - core),
        unspecified="unspecified" in text.lower() or " nos" in text.lower(),
        implied=frozenset(implied - core - NEUTRAL_WORDS),
        paired=frozenset(
            " ".join(pair)
            for a, b in _PAIRED.findall(body)
            if len(pair := (*canon_words(term_key(a)), *canon_words(term_key(b)))) == 2
        ),
        other=text.lower().startswith("other ") or _OTHER_SITE.search(text) is not None,
        # ... less words the text also states outside them ("supracondylar fracture without
        # intercondylar fracture": fracture).
        excluded=frozenset(content_words(canon_words(term_key(" ".join(without)))))
        - content_words(canon_words(term_key(_WITHOUT.sub(" ", body)))),
        absent=frozenset(
            words[-1] for clause in without if (words := canon_words(term_key(clause)))
        ),
    )


def features(key: str) -> Counter[str]:
    feats: Counter[str] = Counter()
    for word in key.split():
        feats["w:" + word] += 1
        padded = f" {word} "
        for i in range(len(padded) - 2):
            feats["c:" + padded[i : i + 3]] += 1
    return feats


@dataclass(slots=True)
class CodeIndex:
    vocab: dict[str, int]
    idf: np.ndarray  # (n_features,)
    by_feature: sparse.csr_matrix  # (n_features, n_texts), rows l2-normalised per text
    texts: list[str]
    codes: list[str]  # billable target code of each text
    kinds: list[int]
    # parse_text of each text, computed when the index is built and kept in its cache: parsing
    # on first use cost ~0.5 ms a note over the first thousand notes of a process.
    parsed: list[CodeText]

    def vector(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        feats = features(key)
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


def index_path(suffix: str) -> Path:
    version = metadata.version("simple-icd-10-cm")
    built_by = source_digest(
        "code_index.py", "code_words.py", "coding.py", "normalize.py", "resources/coding_words.json"
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


def build_index() -> CodeIndex:
    texts, codes, kinds = _collect_texts()
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    df: Counter[int] = Counter()
    for i, text in enumerate(texts):
        for feat, count in features(term_key(text)).items():
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
    return CodeIndex(vocab, idf, m, texts, codes, kinds, [parse_text(t) for t in texts])


def load_index(use_cache: bool = True) -> CodeIndex:
    matrix_path, meta_path = index_path("npz"), index_path("json")
    if use_cache and matrix_path.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            matrix = sparse.load_npz(matrix_path).tocsr()
            return CodeIndex(
                vocab=meta["vocab"],
                idf=np.asarray(meta["idf"], dtype=np.float32),
                by_feature=matrix,
                texts=meta["texts"],
                codes=meta["codes"],
                kinds=meta["kinds"],
                parsed=[
                    CodeText(
                        frozenset(core.split()),
                        frozenset(neutral.split()),
                        bool(unspecified),
                        frozenset(implied.split()),
                        frozenset(paired.split(";")) - {""},
                        bool(other),
                        frozenset(excluded.split()),
                        frozenset(absent.split()),
                    )
                    for core, neutral, unspecified, implied, paired, other, excluded, absent in (
                        meta["parsed"]
                    )
                ],
            )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ICD-10-CM candidate index cache unreadable; rebuilding")
    index = build_index()
    if use_cache:
        _write_index(index, matrix_path, meta_path)
    return index


def _write_index(index: CodeIndex, matrix_path: Path, meta_path: Path) -> None:
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
                " ".join(sorted(p.excluded)),
                " ".join(sorted(p.absent)),
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
