"""ICD-10-CM combination codes across a note's problems.

A note that states "Hypertension" and "Chronic kidney disease stage 3" is coded I12.9 and
N18.30, not I10 and N18.30: the classification presumes the two linked, and a coder assigns the
code that names both unless the physician says they are unrelated (Official Guidelines I.A.15
"with", I.C.9.a, I.C.4.a). Each problem is coded alone by the ranker, wherever in the note it is
stated, so the link is made here, over the whole note, from the rules in
resources/combination_codes.tsv. The problem's own codes stay after the combination, so the
technician sees both and can undo the link where the physician said the conditions are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from . import resources
from .code_words import STATED_TYPE
from .normalize import term_key
from .types import CodeSuggestion, Mention

# Problems a coder links: those stated as the patient's own, now or in their history (a past
# medical history lists chronic conditions); not negated, possible, hypothetical or family.
LINKABLE = frozenset({"present", "historical"})
# What a condition's code says is absent, so that a charted code of its category contradicts it
# (E11.9 beside E11.42; I25.10 beside I25.110).
WITHOUTS = ("without complications", "without angina pectoris")


@dataclass(frozen=True, slots=True)
class Combination:
    # The condition's code as the ranker codes it alone (I10, E11.9); for an "in" row, a code
    # prefix (E11: a type 2 diabetes however coded).
    condition: str
    linked: tuple[tuple[str, ...], ...]  # groups that must all be stated; code prefixes
    code: str  # the combination code
    taken_by_linked: bool  # "in": the linked problem takes it; "also": the condition does
    words: frozenset[str] = frozenset()  # one of them in the linked problem's text, if any
    present_only: bool = False  # the linked problem asserted present, not historical


@lru_cache(maxsize=1)
def combinations() -> tuple[Combination, ...]:
    rules = []
    for condition, linked, code, taker, *options in resources.read_tsv("combination_codes.tsv"):
        if taker not in ("also", "in"):
            raise ValueError(f"combination_codes.tsv: unknown taker {taker!r}")
        groups = tuple(tuple(group.split()) for group in linked.split(" + "))
        said: frozenset[str] = frozenset()
        present = False
        for option in options[0].split() if options else ():
            if option.startswith("said="):
                said = frozenset(option.removeprefix("said=").split("|"))
            elif option == "present":
                present = True
            else:
                raise ValueError(f"combination_codes.tsv: unknown option {option!r}")
        rules.append(Combination(condition, groups, code, taker == "in", said, present))
    return tuple(rules)


@lru_cache(maxsize=1)
def coded_also() -> tuple[str, ...]:
    """Code prefixes a combination leaves coded beside it ("use additional code": N18.-):
    a problem so coded must stay a problem of its own, not be taken into another's text."""
    prefixes = {
        prefix
        for rule in combinations()
        if not rule.taken_by_linked
        for group in rule.linked
        for prefix in group
    }
    return tuple(sorted(prefixes))


def combined(problems: Sequence[Mention], descriptions: Mapping[str, str]) -> tuple[Mention, ...]:
    """`problems`, with combination codes put first where the note states linked conditions.

    "also" rules recode the condition; of several that apply, the first leads and a diabetes'
    others are charted with it, in `also` ("diabetes" with CKD and a foot ulcer: E11.22, and
    E11.621), as are the codes its code asks to add (additional_codes.tsv).
    "in" rules recode the linked problem ("peripheral neuropathy" in a diabetic: E11.42). A
    condition then coded "without" what another charted problem of its category codes goes
    off the chart: its E11.9 "without complications" would contradict E11.42."""
    problems = _typed(problems, descriptions)
    out = list(problems)
    # The problems that can be linked to: charted, the patient's own, coded.
    stated = [p if _charted_own(p) else None for p in problems]
    stated_codes = tuple(p.icd10cm[0].code for p in stated if p is not None)
    for i, problem in enumerate(problems):
        if problem.assertion not in LINKABLE or not problem.icd10cm:
            continue
        own = problem.icd10cm[0]
        for rule in _taken_by_linked():
            # an "in" row's condition is a category: any diabetes of that type ("E11")
            if _links(rule, rule.linked[0], problem) and any(
                code.startswith(rule.condition) for code in stated_codes
            ):
                out[i] = _recoded(problem, [_suggestion(rule, [own], descriptions)])
                break
    for i, problem in enumerate(problems):
        if problem.assertion not in LINKABLE or not problem.icd10cm:
            continue
        own = problem.icd10cm[0]
        # The rules of the condition's own code (E11.9, I10); a diabetes already coded with a
        # complication (E11.65) takes those of its type's E11.9 beside that code (I.C.4.a: as
        # many codes as the complications need).
        rules = _taken_by_condition().get(own.code)
        beside = False
        if rules is None and own.code.startswith(DIABETES_TYPES) and _names_diabetes(problem):
            rules = _taken_by_condition().get(own.code[:3] + ".9")
            beside = True
        combos: list[CodeSuggestion] = []
        used: set[int] = set()
        for rule in rules or ():
            found = [_first_stated(stated, rule, group) for group in rule.linked]
            if None in found:
                continue
            partners = dict(f for f in found if f is not None)
            if used.isdisjoint(partners) and rule.code != own.code:
                combos.append(_suggestion(rule, [own, *partners.values()], descriptions))
                used |= partners.keys()
        if combos and beside:
            out[i] = replace(problem, also=tuple(combos))
        elif combos:
            # The first combination leads. A diabetes' others are charted with it ("diabetes"
            # with CKD and a foot ulcer: E11.22, and E11.621); a hypertension's are not, its
            # combinations being alternatives (I11.0 or I11.9; with both, a row codes I13.-).
            followers = tuple(combos[1:]) if own.code.startswith(DIABETES_TYPES) else ()
            out[i] = replace(_recoded(problem, combos), also=followers)
    out = _with_additional(_distinct_also(out), descriptions)
    return _without_contradiction(out, descriptions)


def _charted_own(problem: Mention) -> bool:
    """Proposed for the chart, the patient's own (now or in their history), and coded."""
    return problem.charted and problem.assertion in LINKABLE and bool(problem.icd10cm)


def _distinct_also(problems: list[Mention]) -> list[Mention]:
    """Each charted code once: an `also` code that a charted problem leads with, or that an
    earlier charted problem carries, is left off ("Diabetes" E11.22 beside "Diabetes,
    uncontrolled" E11.65: its E11.22 is charted already)."""
    leads = {p.icd10cm[0].code for p in problems if p.charted and p.icd10cm}
    # code -> the (lead code, assertion) of the problem carrying it: a repeat of that problem
    # keeps it too, as pipeline._charted_once then charts one of them.
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for problem in problems:
        if problem.also and problem.charted:
            owner = (problem.icd10cm[0].code, problem.assertion)
            kept = tuple(
                c for c in problem.also if c.code not in leads and seen.get(c.code, owner) == owner
            )
            seen.update((c.code, owner) for c in kept)
            problem = replace(problem, also=kept)
        out.append(problem)
    return out


# The diabetes categories, whose complications are coded each (E08-E13; not E11.9 alone).
DIABETES_TYPES = ("E08", "E09", "E10", "E11", "E13")


@dataclass(frozen=True, slots=True)
class Additional:
    """A code the code book says to add to another ("use additional code"), for one problem."""

    lead: str  # the problem's charted code, or its prefix
    code: str  # the code to add, or a category prefix to rank the problem's words within
    ranked: bool  # `code` is a prefix: the problem's words, ranked, give the code
    words: frozenset[str] = frozenset()  # one of them in the problem's text, if any


@lru_cache(maxsize=1)
def additional_codes() -> tuple[Additional, ...]:
    rows = []
    for lead, code, *options in resources.read_tsv("additional_codes.tsv"):
        said: frozenset[str] = frozenset()
        for option in options[0].split() if options else ():
            if not option.startswith("said="):
                raise ValueError(f"additional_codes.tsv: unknown option {option!r}")
            said = frozenset(option.removeprefix("said=").split("|"))
        ranked = code.startswith("rank:")
        rows.append(Additional(lead, code.removeprefix("rank:"), ranked, said))
    return tuple(rows)


def _with_additional(problems: list[Mention], descriptions: Mapping[str, str]) -> list[Mention]:
    """Each charted problem with the codes its lead code asks to add, where the note does not
    chart them as problems of their own: "Diabetic gastroparesis" (E11.43) with K31.84."""
    charted = {code.code for p in problems if _charted_own(p) for code in (p.icd10cm[0], *p.also)}
    out = []
    for problem in problems:
        if _charted_own(problem):
            lead = problem.icd10cm[0]
            words = frozenset(term_key(problem.text).split())
            added = []
            for row in additional_codes():
                if not lead.code.startswith(row.lead) or (
                    row.words and row.words.isdisjoint(words)
                ):
                    continue
                code = _ranked_within(problem.text, row.code) if row.ranked else row.code
                if code and code not in charted and code in descriptions:
                    added.append(CodeSuggestion(code, descriptions[code], lead.score))
                    charted.add(code)
            if added:
                problem = replace(problem, also=(*problem.also, *added))
        out.append(problem)
    return out


def _ranked_within(text: str, prefix: str) -> str | None:
    """The ranker's first code for `text` less its diabetes words, if in category `prefix`:
    "diabetic chronic kidney disease stage 3" gives N18.30."""
    from .coding import suggest_codes

    kept = [w for w in text.split() if term_key(w) not in _DIABETES_WORDS]
    codes = suggest_codes(" ".join(kept), k=1) if kept else ()
    return codes[0].code if codes and codes[0].code.startswith(prefix) else None


_DIABETES_WORDS = frozenset(term_key("diabetic diabetes mellitus dm type 2 1").split())
# Words that name the patient's diabetes itself, not one of its complications ("diabetic
# gastroparesis" is E11.43 too, but it is not the problem a kidney disease links to).
_DIABETES_NAMES = frozenset(term_key("diabetes dm dm2 t2dm t1dm iddm niddm").split())


def _names_diabetes(problem: Mention) -> bool:
    return not _DIABETES_NAMES.isdisjoint(term_key(problem.text).split())


# Diabetes is type 2 (E11) where no type is documented (guideline I.C.4.a.2): a complication
# named without a type ("diabetic ketoacidosis", E11.10) takes the type the note states for
# the patient's diabetes ("Type 1 diabetes mellitus", E10.9): E10.10.
DEFAULT_DIABETES = "E11"
# The types a text must state (coding_words.json "stated_type": E08, E09, E10, E13).
STATED_DIABETES = tuple(sorted(STATED_TYPE))
_TYPE_WORDS = frozenset({"type", "2", "ii", "dm2", "t2dm", "niddm", "iddm", "1", "dm1", "t1dm"})


def _typed(problems: Sequence[Mention], descriptions: Mapping[str, str]) -> list[Mention]:
    stated = {
        p.icd10cm[0].code[:3]
        for p in problems
        if p.assertion in LINKABLE and p.icd10cm and p.icd10cm[0].code.startswith(STATED_DIABETES)
    }
    if len(stated) != 1:
        return list(problems)
    (category,) = stated
    out = []
    for problem in problems:
        code = problem.icd10cm[0].code if problem.icd10cm else ""
        if (
            code.startswith(DEFAULT_DIABETES)
            and problem.assertion in LINKABLE
            and _TYPE_WORDS.isdisjoint(term_key(problem.text).split())
            and (typed := category + code[3:]) in descriptions
        ):
            suggestion = CodeSuggestion(typed, descriptions[typed], problem.icd10cm[0].score)
            problem = _recoded(problem, [suggestion])
        out.append(problem)
    return out


def _without_contradiction(
    problems: list[Mention], descriptions: Mapping[str, str]
) -> tuple[Mention, ...]:
    """`problems`, with a condition coded "without" something (WITHOUTS) off the chart where
    another charted problem has a code of its category: "Diabetes mellitus type 2" (E11.9)
    beside "diabetic peripheral neuropathy" (E11.42) is E11.42 alone."""
    charted = {p.icd10cm[0].code for p in problems if _charted_own(p)}
    out = []
    for problem in problems:
        if _charted_own(problem):
            code = problem.icd10cm[0].code
            description = descriptions.get(code, "")
            if any(phrase in description for phrase in WITHOUTS) and any(
                other != code and other[:3] == code[:3] for other in charted
            ):
                problem = replace(problem, charted=False)
        out.append(problem)
    return tuple(out)


@lru_cache(maxsize=1)
def _taken_by_condition() -> dict[str, list[Combination]]:
    rules: dict[str, list[Combination]] = {}
    for rule in combinations():
        if not rule.taken_by_linked:
            rules.setdefault(rule.condition, []).append(rule)
    return rules


@lru_cache(maxsize=1)
def _taken_by_linked() -> tuple[Combination, ...]:
    return tuple(rule for rule in combinations() if rule.taken_by_linked)


def _links(rule: Combination, group: tuple[str, ...], problem: Mention) -> bool:
    if not problem.icd10cm[0].code.startswith(group):
        return False
    if rule.present_only and problem.assertion != "present":
        return False
    return not rule.words or not rule.words.isdisjoint(problem.text.lower().split())


def _first_stated(
    stated: list[Mention | None], rule: Combination, group: tuple[str, ...]
) -> tuple[int, CodeSuggestion] | None:
    for j, problem in enumerate(stated):
        if problem is not None and _links(rule, group, problem):
            return j, problem.icd10cm[0]
    return None


def _suggestion(
    rule: Combination, sources: list[CodeSuggestion], descriptions: Mapping[str, str]
) -> CodeSuggestion:
    # No surer than the least sure of the codes it joins.
    score = min(code.score for code in sources)
    return CodeSuggestion(rule.code, descriptions.get(rule.code, ""), score)


def _recoded(problem: Mention, first: list[CodeSuggestion]) -> Mention:
    lead = {c.code for c in first}
    codes = (*first, *(c for c in problem.icd10cm if c.code not in lead))
    return replace(problem, icd10cm=codes)
