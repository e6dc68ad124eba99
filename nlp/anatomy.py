"""Whether a mention names only anatomy: "upper inner lip", "lower lobe of the left lung".

The mention model learned MACCROBAT's spans, where a site is an entity of its own, and
sometimes gives a site alone; the strict ranker then met the site's malignant neoplasm
(C00.3 "inner aspect of upper lip", C34.32, C18.2 "ascending colon"), which a technician
would have to catch. The site words are the code book's own: those after "neoplasm of" in
the C00-C7x descriptions, with the additions and exclusions of coding_words.json "anatomy".
"""

from __future__ import annotations

import re
from functools import lru_cache

from .code_words import ANATOMY_WORDS, FUNCTION_WORDS, NOT_ANATOMY
from .coding import load_codebook
from .normalize import term_key

_SITE_OF = re.compile(r"neoplasm of (.+)")
_NEOPLASM_CODE = re.compile(r"C[0-7]")


@lru_cache(maxsize=1)
def anatomy_words() -> frozenset[str]:
    words: set[str] = set(ANATOMY_WORDS)
    for code, description in load_codebook().descriptions.items():
        if _NEOPLASM_CODE.match(code) and (site := _SITE_OF.search(description.lower())):
            words.update(term_key(site.group(1)).split())
    return frozenset(words - NOT_ANATOMY)


def names_only_anatomy(key: str) -> bool:
    """`key` (a term_key) has content words, all of them anatomy or position words."""
    words = [w for w in key.split() if w not in FUNCTION_WORDS]
    return bool(words) and all(w in anatomy_words() for w in words)
