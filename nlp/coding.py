"""ICD-10-CM code book: billable codes, their descriptions, and a term index built from the
tabular list (descriptions and inclusion terms) of `simple_icd_10_cm`.

Importing `simple_icd_10_cm` parses its XML (~1.5 s) and building the index takes ~0.6 s more,
so the result is written once to a JSON cache keyed by the package version and a hash of the code
that builds it (`source_digest`);
later starts read it in a fraction of a second. A cache that cannot be written is not an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from chartdrop.cache import cache_dir, write_cache

from .normalize import term_key
from .types import CodeSuggestion

log = logging.getLogger(__name__)

MAX_TERM_WORDS = 8
# Chapters left out of automatic matching: injuries and poisonings need 7th characters and
# context (S, T), external causes (V-Y), status/encounter codes (Z) and special-purpose U codes
# describe circumstances, not problems. The curated lexicon may still name codes from them.
_SKIP_CHAPTER_LETTERS = frozenset("STUVWXYZ")
# Except traumatic fractures, which notes name by site ("femur fracture") and which the ranker
# otherwise coded as stress or pathological fractures (M84.353A): their initial-encounter,
# closed-fracture codes (7th character A, ~1,800) are matched, since a coder codes the fracture
# a note documents as closed and, while it is treated, as the initial encounter. An open
# fracture, a follow-up visit, nonunion or sequela stated beside a mention moves it to that
# 7th character (encounter.py).
CLOSED_FRACTURE = ", initial encounter for closed fracture"
_QUALIFIERS = re.compile(
    r",?\s*\b(?:unspecified|nos|not elsewhere classified|uncomplicated|without complications)\b",
    re.IGNORECASE,
)
SCORE_DESCRIPTION = 0.9
SCORE_INCLUSION = 0.85
SCORE_VIA_PARENT = 0.7


@dataclass(frozen=True, slots=True)
class CodeBook:
    descriptions: dict[str, str]  # billable code -> description
    terms: dict[str, list[tuple[str, float]]]  # normalised term -> ranked (code, score)

    def describe(self, code: str) -> str | None:
        return self.descriptions.get(code)

    def is_billable(self, code: str) -> bool:
        return code in self.descriptions


def source_digest(*names: str) -> str:
    """A short hash of the files (beside this one, under nlp/) that build a cached index. The
    cache name carries it, so an index built by other code (an older release, or an
    experiment on the same machine) is never read back: hand-bumped version numbers once let
    an experiment's index stand in for the real one."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in names:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


def _cache_path() -> Path:
    version = metadata.version("simple-icd-10-cm")
    built_by = source_digest("coding.py", "normalize.py")
    return cache_dir() / f"icd10cm-index-{version}-{built_by}.json"


def _variants(text: str) -> set[str]:
    """Natural-language keys for a tabular description: qualifiers and parentheses removed."""
    base = _QUALIFIERS.sub("", text).strip(" ,")
    base = re.sub(r"^unspecified\s+", "", base, flags=re.IGNORECASE)
    keys = set()
    # "Essential (primary) hypertension" -> "essential hypertension" and "essential primary ..."
    for variant in (re.sub(r"\s*\([^)]*\)", "", base), re.sub(r"[()]", "", base)):
        variant = variant.strip(" ,")
        if not variant or "," in variant or "[" in variant:
            continue  # inverted or bracketed forms are never said that way
        key = term_key(variant)
        if key and len(key.split()) <= MAX_TERM_WORDS:
            keys.add(key)
    return keys


def _is_closed_fracture(cm: Any, code: str) -> bool:
    return cm.get_description(code).endswith(CLOSED_FRACTURE)


def matched_texts(cm: Any, code: str) -> list[tuple[str, bool]]:
    """(text, is the description) of a code for automatic matching: its description and
    inclusion terms, none for the chapters left out (_SKIP_CHAPTER_LETTERS). Of injuries, only
    fracture wording: a closed-fracture code's description without the encounter, and the
    fracture inclusion terms of its categories ("Fracture of ankle NOS" under S82.89), not
    "Heel bone" (S92.0), which notes use for the bone."""
    description = cm.get_description(code)
    inclusions = cm.get_inclusion_term(code)
    if code[0] not in _SKIP_CHAPTER_LETTERS:
        return [(description, True)] + [(t, False) for t in inclusions]
    if code[0] != "S" or "fracture" not in description.lower():
        return []
    fractures = [(t, False) for t in inclusions if "fracture" in t.lower()]
    if cm.is_leaf(code):
        if not _is_closed_fracture(cm, code):
            return []
        return [(description.removesuffix(CLOSED_FRACTURE), True), *fractures]
    return fractures


def _is_heading(cm: Any, code: str) -> bool:
    """A chapter or block, which no coder assigns. simple_icd_10_cm lists a few codes both as a
    block and as the category of the same name (B20 HIV disease, Z66 do not resuscitate, C50,
    ...): those are codes."""
    return cm.is_chapter_or_block(code) and not cm.is_category(code)


def _default_leaf(cm: Any, code: str) -> str | None:
    """The billable code a coder would pick for a category term: its 'unspecified' leaf."""
    leaves = [c for c in cm.get_descendants(code) if cm.is_leaf(c)]
    if code.startswith("S"):  # the closed fracture, initial encounter (see CLOSED_FRACTURE)
        leaves = [c for c in leaves if _is_closed_fracture(cm, c)]
    if len(leaves) == 1:
        return leaves[0]
    unspecified = [c for c in leaves if "unspecified" in cm.get_description(c).lower()]
    if not unspecified:
        return None
    if code.startswith(("C", "S")):
        # Neoplasms and fractures: the code that leaves every axis open ("unspecified site of
        # unspecified female breast", C50.919; "unspecified fracture of the lower end of
        # unspecified radius"), not a shorter one of a stated type (C50.A0 inflammatory,
        # C34.00 main bronchus, S52.539A Colles').
        most = max(_open_axes(cm, c) for c in unspecified)
        unspecified = [c for c in unspecified if _open_axes(cm, c) == most]
    # ICD-10-CM puts "unspecified" last: prefer the shortest code ending in 9 ...
    chosen = min(unspecified, key=lambda c: (len(c), not c.endswith("9"), c))
    # ... unless a sibling differing only in the last axis leaves more open: its final
    # character, or the one before a 7th character. 9 is then another value: M65.90
    # "unspecified site", not M65.99 "multiple sites"; T22.019A, not T22.011A "right"; a
    # pregnancy's O41.00X0 "not applicable or unspecified" (a single gestation), not X9
    # "other fetus".
    last_axis = {len(chosen) - 1} | ({len(chosen) - 2} if len(chosen) == 8 else set())
    siblings = [
        c
        for c in leaves
        if len(c) == len(chosen)
        and len(differ := [i for i, (a, b) in enumerate(zip(c, chosen, strict=True)) if a != b])
        == 1
        and differ[0] in last_axis
    ]
    return max([chosen, *siblings], key=lambda c: (_open_axes(cm, c), c == chosen))


def _open_axes(cm: Any, code: str) -> int:
    return cm.get_description(code).lower().count("unspecified")


def build_codebook() -> CodeBook:
    import simple_icd_10_cm as cm

    descriptions: dict[str, str] = {}
    found: dict[str, dict[str, float]] = {}
    for code in cm.get_all_codes(with_dots=True):
        if _is_heading(cm, code):
            continue
        leaf = cm.is_leaf(code)
        if leaf:
            descriptions[code] = cm.get_description(code)
        for text, is_description in matched_texts(cm, code):
            score = SCORE_DESCRIPTION if is_description else SCORE_INCLUSION
            for key in _variants(text):
                target = code if leaf else None
                if target is None:
                    target, score = _default_leaf(cm, code), SCORE_VIA_PARENT
                if target is None:
                    continue
                codes = found.setdefault(key, {})
                codes[target] = max(score, codes.get(target, 0.0))
    terms = {
        key: sorted(codes.items(), key=lambda cs: (-cs[1], len(cs[0]), cs[0]))
        for key, codes in found.items()
    }
    return CodeBook(descriptions=descriptions, terms=terms)


def load_codebook(use_cache: bool = True) -> CodeBook:
    """The code book from the cache, building (and caching) it when absent or stale."""
    path = _cache_path()
    if use_cache and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            terms = {k: [(c, s) for c, s in v] for k, v in data["terms"].items()}
            return CodeBook(descriptions=data["descriptions"], terms=terms)
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ICD-10-CM index cache unreadable; rebuilding")
    book = build_codebook()
    if use_cache:
        _write_cache(path, book)
    return book


def _write_cache(path: Path, book: CodeBook) -> None:
    content = {"descriptions": book.descriptions, "terms": book.terms}
    write_cache(path, lambda handle: json.dump(content, handle), "ICD-10-CM index cache")


def suggest_codes(
    mention_text: str, context: str | None = None, k: int = 5, strict: bool = False
) -> tuple[CodeSuggestion, ...]:
    """Ranked billable ICD-10-CM codes for a problem mention, best first, scores in 0..1.

    Curated synonym, then exact description/inclusion term, then reranked TF-IDF candidates
    over the whole tabular list (see ranking.py). `context` (e.g. the sentence) only breaks
    ties between candidates. `strict` (for the mention model's own spans): a code must
    account for every stated word to score as a match. Cached per normalised text; the first
    call loads the indexes.
    """
    from .ranking import get_suggester

    return get_suggester().suggest(mention_text, context, k, strict).suggestions


def is_specific(mention_text: str, context: str | None = None) -> bool:
    """False when the text is too vague for a specific code ("infection", "heart problem",
    "pain") or no candidate is supported by its words: ask the physician."""
    from .ranking import get_suggester

    # `specific` looks at the best suggestion only: a curated code, when there is one (no
    # ranking needed), else the ranking that suggest_codes(k=3) has usually cached already.
    return get_suggester().specific(term_key(mention_text), term_key(context or ""))


def code_descriptions() -> dict[str, str]:
    """Billable code -> description, from the process-wide code book."""
    from .ranking import get_suggester

    return get_suggester().book.descriptions


def as_asserted(codes: tuple[CodeSuggestion, ...], assertion: str) -> tuple[CodeSuggestion, ...]:
    """The suggestions of a problem asserted historical or family: led by the code of that
    history where ICD-10-CM has one ("History of MI": I25.2, not I21.9, acute; "history of
    prostate cancer": Z85.46; "mother had breast cancer": Z80.3), the condition's codes after."""
    from .ranking import get_suggester

    return get_suggester().as_asserted(codes, assertion)
