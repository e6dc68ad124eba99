"""Case-insensitive patterns run faster, with the same matches.

Python's `re` is slow with IGNORECASE: an alternation of words ("one|two|...|ninety") cannot
skip a branch on its first letter, so a pattern such as the age's costs ~0.7 ms on a typical
note. On the lower-cased text the same pattern compiled case-sensitively finds the same matches
at the same offsets (when the text is ASCII, so lower() keeps every offset and no Unicode case
folding, such as the Kelvin sign or the long s, is involved) about four times faster. And most
label patterns need a literal word ("dictated", "service") that a note usually lacks, which a
substring test rules out before any scan.

`Caseless` does both. Its matches are on the LOWER-CASED text: callers use their offsets and
lower-case groups only. Texts that are not ASCII fall back to the IGNORECASE pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

MIN_LITERAL = 2  # a required literal shorter than this is in every note: not worth testing
MAX_SETS = 3  # substring tests per pattern, at most

Literals = frozenset[str]
Requirement = tuple[Literals, ...]

_last: tuple[str, str | None] = ("", "")


def lowered_ascii(text: str) -> str | None:
    """text.lower() if text is ASCII, else None; remembers the last text (callers run many
    patterns over one note)."""
    global _last
    last = _last
    if last[0] is text:
        return last[1]
    low = text.lower() if text.isascii() else None
    _last = (text, low)
    return low


def _usable(literals: Literals) -> bool:
    """Worth a substring test: no literal is a single letter, digit or space (a symbol such as
    "&" is rare enough)."""
    return bool(literals) and all(
        len(lit) >= MIN_LITERAL or not (lit.isalnum() or lit.isspace()) for lit in literals
    )


def _best(sets: list[Literals]) -> Literals | None:
    """The most selective set: the one whose shortest literal is longest."""
    return max(sets, key=lambda o: (min(map(len, o)), -len(o))) if sets else None


def _mandatory(items: Any) -> list[Literals]:
    """Sets of literals such that every match of the parsed sequence `items` contains one
    literal of EACH set. Only mandatory parts count: a run of literal characters, a group,
    every branch of an alternation, a repeat of at least one, a lookahead."""
    sets: list[Literals] = []
    run: list[str] = []
    for op, av in items:
        if op is sre_c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            sets.append(frozenset({"".join(run)}))
            run = []
        if op is sre_c.SUBPATTERN:
            sets += _mandatory(av[-1])
        elif op is sre_c.BRANCH:
            alternatives = [_best(_mandatory(branch)) for branch in av[1]]
            if all(alternatives):
                sets.append(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) and av[0] >= 1:
            sets += _mandatory(av[2])
        elif op is sre_c.ASSERT and av[0] == 1:
            sets += _mandatory(av[1])
    if run:
        sets.append(frozenset({"".join(run)}))
    return [s for s in sets if _usable(s)]


def required_literals(source: str, flags: int = 0) -> Requirement:
    """For a case-sensitive pattern: sets of literals, most selective first, such that every
    match contains a literal of each set (empty: nothing known)."""
    sets = _mandatory(sre_parse.parse(source, flags))
    return tuple(sorted(set(sets), key=lambda o: (-min(map(len, o)), len(o)))[:MAX_SETS])


def could_match(requirement: Requirement, text: str) -> bool:
    """False when `text` lacks every literal of some set, so the pattern cannot match it."""
    return all(any(lit in text for lit in literals) for literals in requirement)


def _cased(char: int) -> bool:
    c = chr(char)
    return c.isupper() or (c.isalpha() and not c.isascii())


def _class_ok(items: Any) -> bool:
    """A character class (negated or not) gives the same answer for a lower-cased ASCII
    letter without IGNORECASE as for the letter in either case with it, when every upper-case
    letter in it comes with its lower-case one."""
    letters: set[str] = set()
    for op, av in items:
        if op is sre_c.LITERAL:
            if chr(av).isalpha() and not chr(av).isascii():
                return False
            letters.add(chr(av))
        elif op is sre_c.RANGE:
            if av[1] > 127:
                return False
            letters.update(chr(c) for c in range(av[0], av[1] + 1))
    return all(c.lower() in letters for c in letters if c.isupper())


def case_free(items: Any) -> bool:
    """True when the parsed pattern, compiled without IGNORECASE and run on lower-cased ASCII
    text, matches exactly where it matches the text with IGNORECASE: no upper-case or
    non-ASCII letters, no inline flags, no class with an upper-case letter alone."""
    for op, av in items:
        if op in (sre_c.LITERAL, sre_c.NOT_LITERAL) and _cased(av):
            return False
        if op is sre_c.IN and not _class_ok(av):
            return False
        if op is sre_c.SUBPATTERN and (av[1] or av[2] or not case_free(av[-1])):
            return False
        if op is sre_c.BRANCH and not all(case_free(branch) for branch in av[1]):
            return False
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) and not case_free(av[2]):
            return False
        if op in (sre_c.ASSERT, sre_c.ASSERT_NOT) and not case_free(av[1]):
            return False
    return True


class Caseless:
    """A case-insensitive pattern (`source` without inline flags; `flags` without IGNORECASE)
    whose search/finditer/findall run on the lower-cased text when they can."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self.ignorecase = re.compile(source, flags | re.IGNORECASE)
        parsed = sre_parse.parse(source, flags)
        if parsed.state.flags & re.IGNORECASE or not case_free(parsed):
            raise ValueError(f"pattern not usable on lower-cased text: {source!r}")
        self.lower = re.compile(source, flags)
        self.requirement = required_literals(source, flags)

    @property
    def pattern(self) -> str:
        return self.lower.pattern

    def _target(self, text: str) -> tuple[re.Pattern[str], str] | None:
        """(pattern, string to run it on), or None when a required literal is absent."""
        low = lowered_ascii(text)
        if low is None:
            return self.ignorecase, text
        if not could_match(self.requirement, low):
            return None
        return self.lower, low

    def search(self, text: str) -> re.Match[str] | None:
        target = self._target(text)
        return target[0].search(target[1]) if target else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        target = self._target(text)
        return target[0].finditer(target[1]) if target else iter(())

    def findall(self, text: str) -> list[Any]:
        target = self._target(text)
        return target[0].findall(target[1]) if target else []
