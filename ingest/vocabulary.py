"""Lexicon-aware correction of low-confidence recognised words.

The bundled tiny.en model mangles clinical words ("listen up" for lisinopril,
"created in" for creatinine) and says so: their word probabilities are low. For
each 1-3-word window whose words are all below `CONFIDENT` (and on average below
`threshold`), the closest term of the problem/medication/procedure lexicons (plus an
optional site term list) is looked up by sound (Metaphone of the run-together
letters) and by spelling; a close enough match replaces the window. Lexicon terms never
replace a confident word; only a split compound ("cardio version") and, from context, a
confusable function word (context_words.py, below KEEP_ABOVE) or a sound-alike word
(sound_alike.py, below GATE) may. Every change is returned as a Correction for the
technician.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import jellyfish
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from chartdrop.nlp import resources

from .acoustic_check import UNCHECKED_SOURCES, VETO_NATS, Check, check_for
from .bigrams import load_counts
from .context_words import context_corrections
from .numbers_spoken import DIGIT_WORDS
from .phrases import cased_like, phrase_corrections, window_correction
from .sound_alike import SOURCE as SOUND_ALIKE
from .sound_alike import similarity, sound_alike_corrections
from .types import Correction, Word
from .wordlists import everyday_english, medical_wordlist_paths, read_wordlist

THRESHOLD = 0.55  # a window's mean word probability must be below this
CONFIDENT = 0.75  # a word at or above this is never touched
MIN_SCORE = 0.78  # similarity needed for a replacement (context bonus included)
COMMON_SCORE = 0.86  # ... when every word of the phrase is everyday English
CONTEXT_BONUS = 0.06
MAX_WINDOW = 3
USAGE_WEIGHT = 0.1  # a common clinical term's edge over an as-alike rare one (see _usage)
USAGE_FULL = 1000  # uses in the clinical word counts that earn the whole edge

_LEXICONS = (
    ("medications.tsv", "medication"),
    ("problem_synonyms.tsv", "problem"),
    ("procedures.tsv", "procedure"),
)
# Words that announce a drug name, before ("takes lisinopril") or after it ("10 mg").
_DRUG_BEFORE = {
    "takes",
    "taking",
    "on",
    "started",
    "start",
    "continue",
    "continued",
    "stop",
    "stopped",
    "discontinue",
    "discontinued",
    "prescribed",
    "increase",
    "decrease",
    "dose",
    "of",
    "with",
    "and",
}
_DRUG_AFTER = {
    "mg",
    "milligrams",
    "milligram",
    "mcg",
    "micrograms",
    "units",
    "daily",
    "twice",
    "tablet",
    "tablets",
    "po",
    "bid",
    "tid",
    "qid",
    "prn",
}
_NUMERAL_WORDS = {str(v): k for k, v in DIGIT_WORDS.items() if k != "oh"}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as it should be written
    source: str
    key: str  # Metaphone of the letters run together
    letters: str  # lower-case letters only


@dataclass(frozen=True, slots=True)
class Lexicon:
    terms: tuple[Term, ...]
    keys: tuple[str, ...]
    known: frozenset[str]  # every term's letters: a window already a term is left alone
    common: frozenset[str] = frozenset()  # everyday English words (need COMMON_SCORE)
    by_letters: Mapping[str, Term] = field(default_factory=dict)
    curated: int = 0  # terms[:curated] come from the lexicons and site list, the rest
    # from the medical word list (which only ever replaces non-words)
    runs: frozenset[str] = frozenset()  # 2-3 word runs inside curated terms ("end stage")


def _letters(text: str) -> str:
    words = _WORD.findall(text.lower())
    return "".join(_NUMERAL_WORDS.get(w, w) for w in words)


def _key(letters: str) -> str:
    return jellyfish.metaphone(letters) if letters else ""


def build_lexicon(
    site_terms: Sequence[str] = (), common: Iterable[str] = (), dictionary: Iterable[str] = ()
) -> Lexicon:
    """Terms of the bundled lexicons plus `site_terms`, then `dictionary` words (a medical
    spelling list), ready for lookup.

    The words of multi-word terms count as terms too ("mellitus", "effusion"), so a
    mangled word can be fixed when its confident neighbour was heard right. `common`
    is a set of everyday English words, which need a closer match to be replaced.
    """
    seen: dict[str, Term] = {}
    rows: list[tuple[str, str]] = []
    for name, source in _LEXICONS:
        for row in resources.read_tsv(name):
            rows.append((row[0], source))
    rows.extend((t, "site") for t in site_terms)
    everyday = frozenset(w.lower() for w in common)
    parts = [
        (w, src)
        for text, src in rows
        for w in text.split()
        if len(text.split()) > 1 and w.lower() not in everyday  # "tennis" (elbow) is not
    ]
    # Possessive eponyms ("Klemm's") are not what a mangled clinical word was.
    words = [(w, "dictionary") for w in dictionary if " " not in w and "'" not in w]
    for text, source in [*rows, *parts, *words]:
        letters = _letters(text)
        # Short terms (abbreviations: "mi", "asa") sound like everything; numbered ones
        # ("covid 19", "type 2 ...") are the number formatter's business.
        if len(letters) < 6 or len(text.split()) > MAX_WINDOW or letters in seen:
            continue
        if any(ch.isdigit() for ch in text):
            continue
        seen[letters] = Term(text=text, source=source, key=_key(letters), letters=letters)
    terms = tuple(seen.values())
    common_set = everyday - frozenset(seen)
    runs = {
        " ".join(_letters(w) for w in split[k : k + n])
        for text, _ in rows
        for split in (text.split(),)
        for n in (2, 3)
        for k in range(len(split) - n + 1)
    }
    return Lexicon(
        terms=terms,
        keys=tuple(t.key for t in terms),
        known=frozenset(seen),
        common=common_set,
        by_letters=seen,
        curated=sum(1 for t in terms if t.source != "dictionary"),
        runs=frozenset(runs),
    )


@functools.lru_cache(maxsize=8)
def load_lexicon(site_terms_file: str = "", medical_wordlist: str = "auto") -> Lexicon:
    """The lexicon with the site's term list (one term a line, `#` comments) and the
    medical word list(s) named by the `medical_wordlist` setting, cached."""
    site: list[str] = []
    if site_terms_file:
        lines = Path(site_terms_file).expanduser().read_text(encoding="utf-8").splitlines()
        site = [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]
    dictionary = [w for p in medical_wordlist_paths(medical_wordlist) for w in read_wordlist(p)]
    return build_lexicon(site, everyday_english(), dictionary)


def clinical_terms(lexicon: Lexicon) -> tuple[str, ...]:
    """The curated terms (lexicons, site list, and their words), not the spelling list's."""
    return tuple(t.text for t in lexicon.terms[: lexicon.curated])


def _proposals(
    words: Sequence[Word],
    lexicon: Lexicon,
    threshold: float = THRESHOLD,
    min_score: float = MIN_SCORE,
) -> list[Correction]:
    """Every correction proposed for `words`, overlapping ones included (correct_words
    ranks them, with the ones Whisper chose)."""
    candidates: list[Correction] = []
    for n in range(1, MAX_WINDOW + 1):
        for i in range(len(words) - n + 1):
            found = _candidate(words, i, n, lexicon, threshold, min_score)
            if found is not None:
                candidates.append(found)
    candidates.extend(phrase_corrections(words, CONFIDENT))
    candidates.extend(context_corrections(words))
    # A sound-alike that a lexicon also proposed keeps the lexicon as its source, and the
    # better of the two scores.
    proposed = {
        (c.first_word, c.last_word, c.replacement.lower()): n for n, c in enumerate(candidates)
    }
    for c in sound_alike_corrections(words):
        same = proposed.get((c.first_word, c.last_word, c.replacement.lower()))
        if same is None:
            candidates.append(c)
        elif c.score > candidates[same].score:
            candidates[same] = replace(candidates[same], score=c.score)
    return candidates


def _rank(c: Correction) -> tuple[float, int]:
    return (-c.score, c.first_word)


def correct_words(
    words: Sequence[Word],
    lexicon: Lexicon,
    threshold: float = THRESHOLD,
    min_score: float = MIN_SCORE,
    checks: Mapping[Word, Sequence[Check]] | None = None,
) -> tuple[list[Word], list[Correction]]:
    """`words` with low-confidence windows replaced by lexicon terms, and the changes.

    With `checks` (the recogniser's scores of proposals, acoustic_check.py), a proposal it
    finds far less likely than what it heard is not made, and its words stay as heard;
    and the sound-alikes it chose itself (sound_choice.py) are proposed too. A
    replaced window keeps its length: its first word carries the term (with the window's
    times), the rest become empty words, so word indices stay valid.
    """
    # Best first; a window overlapping a better one is dropped, and so is one overlapping
    # a vetoed proposal, unless the recogniser chose it itself among sound-alikes.
    taken: set[int] = set()
    withheld: set[int] = set()
    chosen: list[Correction] = []
    offered = _offered(words, checks)
    chosen_by_ear = {id(c) for c in offered}
    for c in sorted(_proposals(words, lexicon, threshold, min_score) + offered, key=_rank):
        span = set(range(c.first_word, c.last_word + 1))
        if span & taken or (span & withheld and id(c) not in chosen_by_ear):
            continue
        if checks is not None and _vetoed(c, check_for(checks, words, c)):
            withheld |= span
            continue
        taken |= span
        chosen.append(c)
    chosen.sort(key=lambda c: c.first_word)
    out = list(words)
    for c in chosen:
        for k in range(c.first_word, c.last_word + 1):
            out[k] = Word(
                text="", confidence=words[k].confidence, start=words[k].start, end=words[k].end
            )
        out[c.first_word] = Word(
            text=_with_punctuation(c.replacement, words[c.last_word].text),
            confidence=c.confidence,
            start=words[c.first_word].start,
            end=words[c.last_word].end,
            space_before=words[c.first_word].space_before,
        )
    return out, chosen


def _offered(
    words: Sequence[Word], checks: Mapping[Word, Sequence[Check]] | None
) -> list[Correction]:
    """The sound-alikes Whisper chose itself (acoustic_check, sound_choice.py), as
    corrections."""
    found: list[Correction] = []
    for i, word in enumerate(words):
        for check in (checks or {}).get(word, ()):
            if check.offered is None or i + check.words > len(words):
                continue
            replacement = cased_like(check.replacement, word.text.strip())
            window = words[i : i + check.words]
            found.append(window_correction(window, i, replacement, SOUND_ALIKE, check.offered))
    return found


def _vetoed(c: Correction, check: Check | None) -> bool:
    """Whether the recogniser's check of proposal `c` rules it out (None: not checked)."""
    return check is not None and check.nats < VETO_NATS and c.source not in UNCHECKED_SOURCES


def _candidate(
    words: Sequence[Word], i: int, n: int, lexicon: Lexicon, threshold: float, min_score: float
) -> Correction | None:
    window = words[i : i + n]
    if any(not w.text.strip() for w in window):
        return None
    # Whisper's own punctuation inside a window means a phrase boundary.
    if any(re.search(r"[.,;:?!]$", w.text) for w in window[:-1]):
        return None
    original = " ".join(w.text for w in window)
    letters = _letters(original)
    mean = sum(w.confidence for w in window) / n
    joined = lexicon.by_letters.get(letters)
    if joined is not None:
        # "cardio version" is "cardioversion": the words were heard right, only split. But
        # words that run so in a curated term are not a spelling list's glued form
        # ("peripheral vascular" disease, "end stage" renal disease).
        if n == 1 or " ".join(_letters(w.text) for w in window) in lexicon.runs:
            return None
        return _compound(joined, i, window)
    if any(w.confidence >= CONFIDENT for w in window):
        return None
    # A non-word ("tricusted") is certainly wrong: any medical word may replace it. A
    # real word only gives way to a curated lexicon term, and only when unsure.
    nonword = all(
        re.fullmatch(r"-?[A-Za-z]+[.,;:?!]*", w.text) and _letters(w.text) not in lexicon.common
        for w in window
    )
    if mean >= threshold and not nonword:
        return None
    if len(letters) < 4:
        return None
    if any(_letters(w.text) in lexicon.known for w in window):
        return None  # a term heard right stays as it is
    key = _key(letters)
    keys = lexicon.keys if nonword else lexicon.keys[: lexicon.curated]
    # Many terms share a sound-alike score ("uberine": 30+ keys at 0.75); take them all
    # (up to 64) so that spelling, in similarity(), can choose among them.
    near = process.extract(
        key, keys, scorer=Levenshtein.normalized_similarity, score_cutoff=0.6, limit=64
    )
    if not near:
        return None
    scored = [
        (similarity(letters, term.letters, float(sound)), term)
        for _, sound, index in near
        for term in (lexicon.terms[index],)
    ]
    # Among terms about as alike, the one clinicians use: the spelling list is full of
    # rarities ("osteoma" for "osteomy", where "ostomy" was said and is 0.02 less alike).
    score, term = max(scored, key=lambda pair: pair[0] + _usage(pair[1]))
    heard = {_letters(w.text) for w in window}
    if heard & set(term.text.lower().split()) and len(term.text.split()) != n:
        return None  # "elevated" is not "elevated a1c"
    if term.source == "medication" and _drug_context(words, i, n):
        score += CONTEXT_BONUS
    everyday = all(_letters(w.text) in lexicon.common for w in window)
    if score < (max(min_score, COMMON_SCORE) if everyday else min_score):
        return None
    return window_correction(window, i, term.text, term.source, round(min(score, 1.0), 3))


def _usage(term: Term) -> float:
    """USAGE_WEIGHT times how common the term's rarest word is in clinical dictation (the
    MTSamples word counts, bigrams.py): 0 for a word never seen, the full weight from
    USAGE_FULL uses on, on a log scale."""
    counts = load_counts().unigrams
    seen = min(counts.get(word, 0) for word in term.text.lower().split())
    return USAGE_WEIGHT * min(1.0, math.log10(1 + seen) / math.log10(1 + USAGE_FULL))


def _compound(term: Term, i: int, window: Sequence[Word]) -> Correction | None:
    if " " in term.text or len(term.letters) < 7:
        return None
    return window_correction(window, i, term.text, "compound", 1.0)


def _drug_context(words: Sequence[Word], i: int, n: int) -> bool:
    before = _norm(words[i - 1].text) if i > 0 else ""
    after = _norm(words[i + n].text) if i + n < len(words) else ""
    after_next = _norm(words[i + n + 1].text) if i + n + 1 < len(words) else ""
    return (
        before in _DRUG_BEFORE
        or after in _DRUG_AFTER
        or (after.replace(".", "").isdigit() and after_next in _DRUG_AFTER)
    )


def _norm(text: str) -> str:
    return text.lower().strip(".,;:?!()")


def _with_punctuation(term: str, last_original: str) -> str:
    trail = re.search(r"[.,;:?!]+$", last_original)
    return term + (trail.group(0) if trail else "")
