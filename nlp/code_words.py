"""The word lists the ICD-10-CM ranker compares mentions and code texts with (data in
resources/coding_words.json, each list with what it is for), keyed like mentions (term_key:
"diabetes" -> "diabete"), and the two word helpers both sides use."""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import resources
from .laterality import SIDES
from .normalize import term_key

_WORDS = resources.read_json("coding_words.json")


def _keyed(words: Iterable[str]) -> frozenset[str]:
    return frozenset(term_key(" ".join(words)).split())


def _list(name: str) -> frozenset[str]:
    return _keyed(_WORDS[name]["words"])


FUNCTION_WORDS = _list("function_words")
NEUTRAL_WORDS = _list("neutral_words")
SOFT_EXTRAS = _list("soft_extras")
VAGUE_ALONE = _list("vague_alone")
VAGUE_WITH_ORGAN = _list("vague_with_organ")
DEGREE_WORDS = _list("degree_words")
SEVERITY_WORDS = _list("severity_words")
ANATOMY_WORDS = _keyed(_WORDS["anatomy"]["words"] + _WORDS["anatomy"]["positions"])
NOT_ANATOMY = _keyed(_WORDS["anatomy"]["not_anatomy"])
# Sided siblings the code book words irregularly (laterality.py): code -> side -> code.
SIDED_SIBLINGS: dict[str, dict[str, str]] = _WORDS["sided_siblings"]["map"]
ORGANS = _list("organs")
HISTOLOGY = _list("histology")
CONGENITAL = _list("congenital")
UNCONTROLLED = frozenset(_WORDS["uncontrolled"]["words"])
LATERALITY = frozenset(_WORDS["laterality"]["words"])
DIMENSIONS = frozenset(_WORDS["unspecified_dimensions"]["words"])
CHAPTER_WORDS = {k: _keyed(v) for k, v in _WORDS["chapter_words"]["map"].items()}
CANONICAL = {term_key(k): term_key(v) for k, v in _WORDS["canonical"]["map"].items()}
CANONICAL_PHRASES = {
    tuple(term_key(k).split()): term_key(v).split()
    for k, v in _WORDS["canonical_phrases"]["map"].items()
}
_PHRASE_STARTS = frozenset(phrase[0] for phrase in CANONICAL_PHRASES)
ABBREVIATIONS = {term_key(k): term_key(v) for k, v in _WORDS["abbreviations"]["map"].items()}
MUST_STATE = {term_key(k): _keyed(v) for k, v in _WORDS["must_state"]["map"].items()}
STATED_TYPE = {k: _keyed(v) for k, v in _WORDS["stated_type"]["map"].items()}
HISTORY_PREFIXES = tuple(_WORDS["history_prefixes"]["prefixes"])
HISTORY_CODES: dict[str, str] = _WORDS["history_prefixes"]["codes"]
HISTORY_CODE_PREFIXES: dict[str, str] = _WORDS["history_prefixes"]["code_prefixes"]

DIABETES = term_key("diabetes")
FRACTURE = term_key("fracture")
DISPLACED = frozenset({term_key("displaced")})
NEOPLASM = _keyed(["malignant", "neoplasm"])
NEOPLASM_WORDS = _keyed(
    ["adenocarcinoma", "cancer", "carcinoma", "malignancy", "malignant", "neoplasm", "tumor"]
)


def canon_words(key: str) -> list[str]:
    words = key.split()
    if not _PHRASE_STARTS.isdisjoint(words):
        words = _replace_phrases(words)
    out: list[str] = []
    for word in words:
        out.extend(CANONICAL.get(word, word).split())
    return out


def _replace_phrases(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase, replacement in CANONICAL_PHRASES.items():
            if tuple(words[i : i + len(phrase)]) == phrase:
                out.extend(replacement)
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def content_words(words: list[str]) -> set[str]:
    return {w for w in words if w not in FUNCTION_WORDS}


_METASTASIS = _WORDS["metastasis"]
METASTASIS_WORDS = _list("metastasis")
_METASTATIC = term_key("metastatic")
_METASTATIC_NOUNS = _keyed(_METASTASIS["nouns"])
_PRIMARIES = _keyed(_METASTASIS["primaries"])
_TO_SITE = _keyed(_METASTASIS["to_site"])
_FROM_SITE = _keyed(_METASTASIS["from_site"])
_NOT_SITES = _keyed(_METASTASIS["not_sites"])
_SPREAD = _METASTATIC_NOUNS | HISTOLOGY | _PRIMARIES  # what spreads "to" a site
_SITE_WORDS = {term_key(k): term_key(v).split() for k, v in _METASTASIS["site_words"].items()}
# Words before a site that are not part of it ("of the lung", "to both lungs"); each its own key.
DETERMINERS = frozenset({"the", "his", "her", "their", "a", "an", "both"})
_MALIGNANT = term_key("malignant neoplasm").split()


_LEVEL = re.compile(r"([ctls])(\d{1,2})")
_LEVEL_LINKS = frozenset({"at", "of", "in", "from"})
DISC_WORDS = frozenset(term_key("disc disk pulposus herniation herniated").split())
# The letters of the levels a mention names -> the region ICD-10-CM codes spine conditions by.
_REGIONS = {
    frozenset("c"): "cervical",
    frozenset("ct"): "cervicothoracic",
    frozenset("t"): "thoracic",
    frozenset("tl"): "thoracolumbar",
    frozenset("l"): "lumbar",
    frozenset("ls"): "lumbosacral",
    frozenset("s"): "sacral",
}
_REGION_WORDS = frozenset(_REGIONS.values())


def spinal_region(key: str) -> str:
    """`key` with its spinal levels read as their region, as the codes name it: "l4 l5 disc
    herniation" -> "lumbar disc herniation", "l5 s1 ..." -> "lumbosacral ...". Cervical levels
    stay too ("c5 6 disc" -> "cervical c5 c6 disc": M50 codes name the level), and a fracture's
    (S22, S32 name the vertebra); any key without a level as it is."""
    words = key.split()
    letters: set[str] = set()
    out: list[str] = []
    last_letter = ""
    for word in words:
        level = _LEVEL.fullmatch(word)
        if level:
            last_letter = level.group(1)
            letters.add(last_letter)
            out.append(word)
        elif word.isdigit() and last_letter and out and _LEVEL.fullmatch(out[-1]):
            out.append(last_letter + word)  # "l4 5" -> "l4 l5"
        else:
            last_letter = ""
            out.append(word)
    region = _REGIONS.get(frozenset(letters))
    if region is None:
        return key
    # M50 codes name a cervical disc's level, S22/S32 a fractured vertebra; the rest of the
    # spine's codes (stenosis, spondylosis) only the region.
    keep = ("c" in letters and not DISC_WORDS.isdisjoint(words)) or FRACTURE in words
    # "disease at l4 l5", "pulposus of c5 c6": the word linking a level goes with it
    kept = [
        w
        for i, w in enumerate(out)
        if (keep or not _LEVEL.fullmatch(w))
        and not (w in _LEVEL_LINKS and i + 1 < len(out) and _LEVEL.fullmatch(out[i + 1]))
    ]
    # The levels' region wins over one written ("lumbar spondylosis l5 s1": lumbosacral).
    return " ".join([region, *(w for w in kept if w not in _REGION_WORDS)])


def metastasis_key(key: str) -> str:
    """`key` in the code book's wording when it names a metastasis (see coding_words.json,
    "metastasis"): "liver metastase" -> "secondary malignant neoplasm of liver", "metastatic
    breast cancer" -> "malignant neoplasm of breast"; any other key as it is."""
    words = key.split()
    at = next((i for i, w in enumerate(words) if w in METASTASIS_WORDS), None)
    if at is None:
        return key
    before = _site(words[:at])
    after = words[at + 1 :]
    for i, word in enumerate(after):
        if word in _TO_SITE or word in _FROM_SITE:
            site = _site(after[i + 1 :])
            if site and all(w in _SPREAD for w in after[:i]):
                secondary = [] if word in _FROM_SITE else ["secondary"]
                return " ".join([*secondary, *_MALIGNANT, "of", *site])
            break
    secondary = ["secondary", *_MALIGNANT, *(["of", *before] if before else [])]
    if before and words[at] != _METASTATIC:  # "liver metastases", "lymph node mets"
        return " ".join(secondary)
    named = [w for w in after if w not in _METASTATIC_NOUNS and w not in HISTOLOGY]
    if not named:  # "metastatic disease", "osseous metastatic disease", "metastasis"
        return " ".join(secondary)
    if words[at] == _METASTATIC and not (NEOPLASM_WORDS | _PRIMARIES).isdisjoint(after):
        return " ".join(after)  # "metastatic breast cancer": the primary, coded first
    return key  # "metastatic workup"


def _site(words: list[str]) -> list[str]:
    """The site that `words` name, adjectives read as nouns, or [] when they name none."""
    out: list[str] = []
    for word in words:
        if word in DETERMINERS or word in _NOT_SITES or word in FUNCTION_WORDS:
            continue
        for part in _SITE_WORDS.get(word, [word]):
            if not out or out[-1] != part:
                out.append(part)
    return out


FAMILY_CODE_PREFIXES: dict[str, str] = _WORDS["family_history"]["code_prefixes"]
# assertion -> (codes, code prefixes) of the condition's history of that kind
_ASSERTED: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "historical": (HISTORY_CODES, HISTORY_CODE_PREFIXES),
    "family": ({}, FAMILY_CODE_PREFIXES),
}
RECODED_ASSERTIONS = frozenset(_ASSERTED)  # whose problems asserted_code may re-code


def asserted_code(code: str, assertion: str) -> str | None:
    """The code of a personal ("historical") or family history of the condition `code` codes
    (I21.9 -> I25.2, C50.919 -> Z80.3), or None."""
    codes, prefixes = _ASSERTED.get(assertion, ({}, {}))
    if code in codes:
        return codes[code]
    prefix = next((code[:end] for end in range(len(code), 2, -1) if code[:end] in prefixes), None)
    return prefixes[prefix] if prefix else None


def without_history_prefix(key: str) -> str | None:
    """The condition of "history of X" ("s/p X", "prior X", ...), or None for another key."""
    for prefix in HISTORY_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return None


# "stenosis of the left renal artery", "pain in the knee": the curated wording puts the site
# first ("renal artery stenosis", "knee pain"). A head of one or two words, a site of up to four.
_OF_SITE = re.compile(
    r"(?P<head>[a-z-]+(?: [a-z-]+)?) (?:of|in|involving) (?:the |his |her )?"
    r"(?P<site>(?:[a-z0-9-]+ ?){1,4})"
)


def site_first(key: str) -> str | None:
    """ "X of (the) Y" as "Y X", or None for another key; sides are left out (laterality.py puts
    the side back on the code)."""
    found = _OF_SITE.fullmatch(key)
    if found is None:
        return None
    site = " ".join(w for w in found["site"].split() if w not in SIDES)
    return f"{site} {found['head']}" if site else None


def expand(key: str) -> str:
    return " ".join(ABBREVIATIONS.get(w, w) for w in key.split())


def is_vague_term(key: str) -> bool:
    """A mention made only of generic words ("infection", "disease of the heart", "pain")."""
    words = content_words(key.split()) - DEGREE_WORDS
    if words & NEOPLASM_WORDS:
        words -= HISTOLOGY  # "transitional cell carcinoma" states no site either
    if not words:
        return True
    if words <= VAGUE_ALONE:
        return True
    return words <= (VAGUE_WITH_ORGAN | ORGANS) and bool(words & VAGUE_WITH_ORGAN)
