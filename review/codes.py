"""ICD-10-CM code search for the review desk: billable codes and their descriptions,
from the NLP stage's code book (itself built from `simple_icd_10_cm`)."""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_descriptions: dict[str, str] | None = None
CODE_RE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z]?\.?[0-9A-Za-z]{0,4}$")


def descriptions() -> dict[str, str]:
    """Billable code -> description, loaded once per process."""
    global _descriptions
    with _lock:
        if _descriptions is None:
            try:
                from chartdrop.nlp.coding import load_codebook

                _descriptions = dict(load_codebook().descriptions)
            except (ImportError, AttributeError):  # the NLP room changed its API
                import simple_icd_10_cm as cm

                _descriptions = {
                    c: cm.get_description(c)
                    for c in cm.get_all_codes(with_dots=True)
                    if cm.is_leaf(c)
                }
        return _descriptions


def describe(code: str) -> str | None:
    """The description of a billable code (dotted or not), or None."""
    table = descriptions()
    code = code.strip().upper()
    if code in table:
        return table[code]
    if len(code) > 3 and "." not in code:
        dotted = f"{code[:3]}.{code[3:]}"
        return table.get(dotted)
    return None


def normalize(code: str) -> str | None:
    """The dotted billable form of `code`, or None when it is not a billable code."""
    code = code.strip().upper()
    if describe(code) is None:
        return None
    return code if code in descriptions() else f"{code[:3]}.{code[3:]}"


def search(query: str, limit: int = 20) -> list[dict[str, str]]:
    """Codes whose code starts with `query` (when it looks like a code), else whose
    description holds every word of it; shortest descriptions first."""
    query = query.strip()
    if not query:
        return []
    table = descriptions()
    if CODE_RE.match(query):
        prefix = query.upper()
        undotted = prefix.replace(".", "")
        hits = [c for c in table if c.replace(".", "").startswith(undotted)]
        hits.sort(key=lambda c: (len(c), c))
    else:
        words = [w for w in re.split(r"\W+", query.lower()) if w]
        hits = [c for c, d in table.items() if all(w in d.lower() for w in words)]
        hits.sort(key=lambda c: (len(table[c]), c))
    return [{"code": c, "description": table[c]} for c in hits[:limit]]
