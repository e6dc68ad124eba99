"""Which existing patients a draft may be about, ranked with a score and the reasons.

Exact MRN first; otherwise name + date of birth + sex, with fuzzy name comparison
(rapidfuzz Jaro-Winkler for typos, a nickname table, transposed first/last names,
hyphenated or double surnames) and near-miss dates of birth (day and month swapped,
one digit off). Nothing here links a patient: `Candidate.auto_link` is true only for
an exact MRN whose date of birth agrees; every other candidate is for the technician
to confirm.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from rapidfuzz.distance import JaroWinkler, Levenshtein
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chartdrop.models.entities import Patient

MIN_SCORE = 0.6
"""Candidates scoring below this are not offered."""
STRONG_SCORE = 0.9
"""At or above: a strong match (still the technician's decision unless `auto_link`)."""
MAX_POOL = 500
WEIGHTS = {"name": 0.55, "dob": 0.35, "sex": 0.10}
MISSING = {"dob": 0.3, "sex": 0.8}  # a missing value is weak evidence either way
TYPO_SIMILARITY = 0.85


@dataclass
class Candidate:
    patient_id: int
    score: float
    reasons: list[str]
    auto_link: bool = False
    patient: Patient | None = field(default=None, compare=False, repr=False)

    @property
    def strong(self) -> bool:
        return self.score >= STRONG_SCORE


def _value(demographics: dict[str, Any], name: str) -> str | None:
    raw = demographics.get(name)
    if isinstance(raw, dict):
        raw = raw.get("value")
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def normalise(name: str | None) -> str:
    """Lower case, accents folded, only letters, hyphens and single spaces."""
    if not name:
        return ""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    folded = re.sub(r"[^a-z\- ]+", "", folded)
    return re.sub(r"\s+", " ", folded).strip(" -")


@cache
def nickname_groups() -> dict[str, frozenset[str]]:
    """name -> every name it may stand for (formal names and nicknames)."""
    groups: dict[str, set[str]] = {}
    text = resources.files("chartdrop.chart").joinpath("resources/nicknames.csv").read_text()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names = {n.strip() for n in line.split(",") if n.strip()}
        for name in names:
            groups.setdefault(name, set()).update(names)
    return {name: frozenset(group) for name, group in groups.items()}


def _similar(a: str, b: str) -> float:
    return float(JaroWinkler.normalized_similarity(a, b))


def first_name_score(a: str | None, b: str | None) -> tuple[float, str]:
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 1.0, "same first name"
    if b in nickname_groups().get(a, frozenset()):
        return 0.95, "first name is a nickname of the other"
    if len(a) == 1 or len(b) == 1:
        return (0.75, "first initial agrees") if a[0] == b[0] else (0.0, "")
    score = _similar(a, b)
    if score >= TYPO_SIMILARITY:
        return score * 0.95, "first name nearly the same (typo?)"
    return score * 0.5, ""


def _surname_parts(name: str) -> set[str]:
    return {part for part in re.split(r"[\- ]+", name) if len(part) > 1}


def last_name_score(a: str | None, b: str | None) -> tuple[float, str]:
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return 0.0, ""
    if a == b or a.replace("-", " ") == b.replace("-", " "):
        return 1.0, "same last name"
    if a.replace("-", "").replace(" ", "") == b.replace("-", "").replace(" ", ""):
        return 0.97, "same last name (spacing differs)"
    parts_a, parts_b = _surname_parts(a), _surname_parts(b)
    if (len(parts_a) > 1 or len(parts_b) > 1) and parts_a & parts_b:
        return 0.9, "shares part of a double surname"
    score = _similar(a, b)
    if score >= TYPO_SIMILARITY:
        return score * 0.95, "last name nearly the same (typo?)"
    return score * 0.5, ""


def name_score(
    first: str | None, last: str | None, p_first: str | None, p_last: str | None
) -> tuple[float, list[str]]:
    """Names in order, or first and last transposed (whichever agrees better)."""
    f, f_why = first_name_score(first, p_first)
    la, l_why = last_name_score(last, p_last)
    straight = 0.45 * f + 0.55 * la
    tf, _ = first_name_score(last, p_first)
    tl, _ = last_name_score(first, p_last)
    # Swapped fields: compare the draft's last name with the patient's first name too.
    tf = max(tf, last_name_score(last, p_first)[0])
    tl = max(tl, last_name_score(first, p_last)[0])
    transposed = (0.45 * tf + 0.55 * tl) * 0.95
    if transposed > straight + 0.05 and transposed >= 0.6:
        return transposed, ["first and last names transposed"]
    return straight, [why for why in (f_why, l_why) if why]


def dob_score(a: str | None, b: str | None) -> tuple[float | None, str]:
    """Dates as YYYY-MM-DD. None when either is missing."""
    if not a or not b:
        return None, ""
    if a == b:
        return 1.0, "same date of birth"
    pa, pb = a.split("-"), b.split("-")
    if len(pa) == len(pb) == 3 and pa[0] == pb[0] and pa[1] == pb[2] and pa[2] == pb[1]:
        return 0.8, "date of birth with day and month swapped"
    digits_a, digits_b = a.replace("-", ""), b.replace("-", "")
    if len(digits_a) == len(digits_b) and Levenshtein.distance(digits_a, digits_b) == 1:
        return 0.7, "date of birth differs by one digit"
    if Levenshtein.distance(digits_a, digits_b) == 2 and sorted(digits_a) == sorted(digits_b):
        return 0.65, "date of birth with two digits transposed"
    return 0.0, "different date of birth"


def _sex(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    return {"m": "male", "f": "female", "man": "male", "woman": "female"}.get(v, v)


def sex_score(a: str | None, b: str | None) -> tuple[float | None, str]:
    a, b = _sex(a), _sex(b)
    if not a or not b:
        return None, ""
    return (1.0, "same sex") if a == b else (0.0, "different sex")


def score_patient(demographics: dict[str, Any], patient: Patient) -> Candidate:
    mrn = _value(demographics, "mrn")
    dob = _value(demographics, "date_of_birth")
    name, reasons = name_score(
        _value(demographics, "first_name"),
        _value(demographics, "last_name"),
        patient.first_name,
        patient.last_name,
    )
    d, d_why = dob_score(dob, patient.date_of_birth)
    s, s_why = sex_score(_value(demographics, "sex"), patient.sex)
    reasons += [why for why in (d_why, s_why) if why]
    total = WEIGHTS["name"] * name
    total += WEIGHTS["dob"] * (MISSING["dob"] if d is None else d)
    total += WEIGHTS["sex"] * (MISSING["sex"] if s is None else s)
    auto = False
    if mrn and patient.mrn and mrn == patient.mrn:
        reasons.insert(0, "same MRN")
        if d == 1.0:
            total, auto = 1.0, True
        elif d is None:
            total = max(total, 0.9)
        else:
            reasons.append("but the date of birth disagrees: check before linking")
            total = max(total, 0.7)
    elif mrn and patient.mrn:
        total *= 0.6
        reasons.append("different MRN")
    return Candidate(patient.id, round(min(total, 1.0), 3), reasons, auto, patient)


def _pool(session: Session, demographics: dict[str, Any]) -> list[Patient]:
    mrn = _value(demographics, "mrn")
    dob = _value(demographics, "date_of_birth")
    names = [normalise(_value(demographics, key)) for key in ("first_name", "last_name")]
    clauses = []
    if mrn:
        clauses.append(Patient.mrn == mrn)
    if dob:
        clauses.append(Patient.date_of_birth == dob)
        parts = dob.split("-")
        if len(parts) == 3:
            clauses.append(Patient.date_of_birth == f"{parts[0]}-{parts[2]}-{parts[1]}")
    for name in names:
        if len(name) >= 2:
            # First two letters of a surname (or a transposed given name) narrow the
            # pool; rapidfuzz does the comparing in Python.
            clauses.append(func.lower(Patient.last_name).startswith(name[:2]))
            clauses.append(func.lower(Patient.first_name).startswith(name[:2]))
    if not clauses:
        return []
    return list(session.scalars(select(Patient).where(or_(*clauses)).limit(MAX_POOL)))


def match_candidates(
    session: Session, demographics: dict[str, Any], min_score: float = MIN_SCORE
) -> list[Candidate]:
    """Existing patients this draft's demographics may describe, best first.
    `demographics` is a draft's (fields as {"value": ...}) or plain values."""
    candidates = [score_patient(demographics, p) for p in _pool(session, demographics)]
    kept = [c for c in candidates if c.score >= min_score]
    return sorted(kept, key=lambda c: (-c.auto_link, -c.score, c.patient_id))


def auto_link_candidate(candidates: list[Candidate]) -> Candidate | None:
    """The one candidate that may be linked without the technician: exact MRN and
    agreeing date of birth."""
    auto = [c for c in candidates if c.auto_link]
    return auto[0] if len(auto) == 1 else None
