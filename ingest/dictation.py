"""Dictation conventions turned into text, as a medical transcriptionist types them.

`format_dictation(words)` takes the recogniser's word stream and returns the
formatted text with every output token mapped back to the words it came from (so
the review desk can seek to any word). Pure: no I/O, no model.

Handled: spoken punctuation and layout ("period", "comma", "colon", "new paragraph",
"next line", "open/close parenthesis", "dash"/"hyphen"), "scratch that"/"strike
that", spelled letters ("S M I T H" -> Smith), spoken digit strings (MRNs, phone
numbers; also Whisper's "4, 4, 7, 2"), dates (-> MM/DD/YYYY), number words and
dose units ("five milligrams" -> 5 mg). Whisper already writes punctuation and
digits itself, so each rule also accepts its formatted forms (idempotent-ish).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .dictation_numbers import (
    age_adjectives,
    dates,
    digit_strings,
    labelled_hundreds,
    numbers,
    ranges_and_grades,
    ratios,
    slashed_digit_pairs,
)
from .dictation_rules import (
    ACRONYMS,
    COMMANDS,
    FIXED_FORMS,
    LEAD,
    LETTER_KINDS,
    LETTERS,
    MAX_COMMAND,
    NOUN_AFTER,
    NOUN_BEFORE,
    SCRATCH_BOUNDARY,
    SENTENCE_END,
    SPELLED_LOWER,
    TRAIL,
    UNITS,
    Item,
    lowered,
)
from .types import FormattedToken, Word


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Formatted dictation text and its tokens, each mapped to source words."""

    text: str
    tokens: tuple[FormattedToken, ...]


# ------------------------------------------------------------------------ API


def format_dictation(words: Sequence[Word | str]) -> FormattedText:
    """The dictated words as formatted text; empty words (merged away) are skipped."""
    items = _lex(words)
    items = _commands(items)
    items = _scratch(items)
    items = _letters(items)
    items = dates(items)
    items = slashed_digit_pairs(items)
    items = digit_strings(items)
    items = _fixed_forms(items)
    items = numbers(items)
    items = ranges_and_grades(items)
    items = age_adjectives(items)
    items = labelled_hundreds(items)
    items = ratios(items)
    items = _units(items)
    items = _joins(items)
    tokens, kinds = _render(items, words)
    return FormattedText(text=_text(tokens, kinds), tokens=tuple(tokens))


# --------------------------------------------------------------------- passes


def _lex(words: Sequence[Word | str]) -> list[Item]:
    items: list[Item] = []
    for i, raw, first in _glued(words):
        for part in re.split(r" +|(\n+)", raw):
            if not part:
                continue
            if part.startswith("\n"):
                items.append(Item("\n\n" if len(part) > 1 else "\n", first, i, "break"))
                continue
            if re.fullmatch(r"\.[A-Za-z]\.?", part):
                part = part[1:]  # Whisper's spelled letters: "M" ".I" ".T" ".H."
            lead = LEAD.match(part)
            head = lead.group(0) if lead else ""
            body = part[len(head) :]
            if LETTERS.match(body) and len(body) > 1 and "." in body:
                tail = ""  # "M.I.T.H." keeps its dots for the letter pass
            else:
                trail = TRAIL.search(body)
                tail = trail.group(0) if trail else ""
                body = body[: len(body) - len(tail)]
            for ch in head:
                kind = "open" if ch in "([" else "join" if ch == "-" else "q"
                items.append(Item(ch, first, i, kind))
            if body:
                items.append(Item(body, first, i))
            for ch in tail:
                kind = "close" if ch in ")]" else "punct" if ch in ".,;:?!" else "q"
                items.append(Item(ch, first, i, kind))
    return [it for it in items if it.kind != "q"]  # quotes: not dictation


def _glued(words: Sequence[Word | str]) -> list[tuple[int, str, int]]:
    """(last word index, text, first word index) with glued-on words joined ("5" ".7")."""
    units: list[tuple[int, str, int]] = []
    for i, w in enumerate(words):
        text = (w.text if isinstance(w, Word) else w).strip(" ")
        if not text:
            continue
        if isinstance(w, Word) and not w.space_before and units:
            _, before, first = units[-1]
            units[-1] = (i, before + text, first)
        else:
            units.append((i, text, i))
    return units


def _commands(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        matched = None
        for n in range(MAX_COMMAND, 0, -1):
            window = items[i : i + n]
            if len(window) == n and all(w.kind == "word" for w in window):
                key = tuple(w.text.lower() for w in window)
                if key in COMMANDS:
                    matched = (n, COMMANDS[key])
                    break
        if matched is None or _is_noun(items, i, out):
            out.append(items[i])
            i += 1
            continue
        n, symbol = matched
        first, last = items[i].first, items[i + n - 1].last
        kind = {"(": "open", ")": "close", "-": "join", "/": "join", "SCRATCH": "scratch"}.get(
            symbol, "punct"
        )
        if symbol.startswith("\n"):
            kind = "break"
        out.append(Item(symbol, first, last, kind))
        i += n
        # Whisper's own punctuation on the command word ("period." "Scratch that,"): the
        # spoken command decides ("plan colon." is "plan:", not "plan.").
        while i < len(items) and items[i].kind == "punct":
            out[-1].last = items[i].last
            i += 1
    return out


def _is_noun(items: list[Item], i: int, out: list[Item]) -> bool:
    word = items[i].text.lower()
    if word not in NOUN_BEFORE:
        return False
    before = lowered(out[-1]) if out else ""
    after = lowered(items[i + 1]) if i + 1 < len(items) else ""
    return before in NOUN_BEFORE[word] or after in NOUN_AFTER[word]


def _scratch(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    for item in items:
        if item.kind != "scratch":
            if out or item.kind not in ("punct", "close"):
                out.append(item)
            continue
        while out and out[-1].kind == "punct" and out[-1].text == ",":
            out.pop()
        cut = _phrase_start(out, len(out))
        if cut == len(out) and out:  # nothing since the last boundary: the one before
            cut = _phrase_start(out, len(out) - 1)
        del out[cut:]
    return out


def _phrase_start(out: list[Item], end: int) -> int:
    j = end
    while j > 0 and not (out[j - 1].text in SCRATCH_BOUNDARY and out[j - 1].kind != "word"):
        j -= 1
    return j


def _letters(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        j = i
        letters = ""
        while j < len(items) and items[j].kind == "word" and LETTERS.match(items[j].text):
            piece = items[j].text
            lone = len(piece) == 1 and piece.islower() and not letters
            if lone and _spelled_lower(items, i) not in SPELLED_LOWER:
                break  # "a", "i": words, unless inside a run of capitals or "b i d"
            letters += re.sub(r"[^A-Za-z]", "", piece)
            j += 1
        if len(letters) >= 2 and (j - i >= 2 or "." in items[i].text or "-" in items[i].text):
            word = letters.upper() if _acronym(letters) else letters.capitalize()
            out.append(Item(word, items[i].first, items[j - 1].last))
            i = j
            continue
        out.append(items[i])
        i += 1
    return out


def _fixed_forms(items: list[Item]) -> list[Item]:
    """FIXED_FORMS as written ("A one C" -> A1c), and the letter of LETTER_KINDS in capitals
    ("vitamin d" -> vitamin D)."""
    longest = max(len(k) for k in FIXED_FORMS)
    out: list[Item] = []
    i = 0
    while i < len(items):
        for n in range(longest, 0, -1):
            said = tuple(lowered(it) for it in items[i : i + n])
            if len(said) == n and said in FIXED_FORMS:
                out.append(Item(FIXED_FORMS[said], items[i].first, items[i + n - 1].last))
                i += n
                break
        else:
            item = items[i]
            if out and lowered(out[-1]) in LETTER_KINDS and re.fullmatch(r"[a-z]", item.text):
                item = Item(item.text.upper(), item.first, item.last)
            out.append(item)
            i += 1
    return out


def _spelled_lower(items: list[Item], i: int) -> str:
    """The letters of the run of one-letter lower-case words from `i` ("b i d" -> "bid")."""
    out = ""
    while i < len(items) and items[i].kind == "word" and re.fullmatch(r"[a-z]", items[i].text):
        out += items[i].text
        i += 1
    return out


def _acronym(letters: str) -> bool:
    low = letters.lower()
    return low in ACRONYMS or not re.search(r"[aeiouy]", low) or len(low) <= 2


def _units(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    for item in items:
        low = lowered(item)
        prev = out[-1] if out else None
        if low in UNITS and prev is not None and re.fullmatch(r"\d+(\.\d+)?", prev.text):
            unit = UNITS[low]
            out.append(Item(unit, item.first, item.last, "close" if unit == "%" else "word"))
        elif low == "per" and prev is not None and prev.text in UNITS.values():
            out.append(Item("/", item.first, item.last, "join"))
        elif low in UNITS and prev is not None and prev.kind == "join" and prev.text == "/":
            out.append(Item(UNITS[low], item.first, item.last))
        else:
            out.append(item)
    return out


def _joins(items: list[Item]) -> list[Item]:
    """ "well dash developed" -> "well-developed"; a dangling dash is dropped."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.kind == "join":
            nxt = items[i + 1] if i + 1 < len(items) else None
            if out and out[-1].kind == "word" and nxt is not None and nxt.kind == "word":
                first, last = out[-1].span(nxt)
                joined = f"{out[-1].text}{item.text}{nxt.text}"
                out[-1] = Item(_slashed_digits(joined), first, last)
                i += 2
                continue
            i += 1
            continue
        out.append(item)
        i += 1
    return out


def _slashed_digits(text: str) -> str:
    """A slashed number such as a dictated date: Whisper writes a spoken digit pair ("oh
    one") as "0-1"; between slashes it is "01" ("0-1/18/0-8" -> "01/18/08")."""
    parts = text.split("/")
    if len(parts) < 2 or not all(_DIGIT_GROUP.fullmatch(p) for p in parts):
        return text
    return "/".join(p.replace("-", "") for p in parts)


_DIGIT_GROUP = re.compile(r"\d+|0-\d")  # "1-2" is a range, kept as said


# ------------------------------------------------------------------ rendering


def _render(
    items: list[Item], words: Sequence[Word | str]
) -> tuple[list[FormattedToken], list[str]]:
    tokens: list[FormattedToken] = []
    kinds: list[str] = []
    capital = True
    for item in items:
        if item.kind == "punct":
            if not tokens or kinds[-1] in ("break", "open"):
                continue  # nothing to punctuate
            if kinds[-1] == "punct":
                if item.text == "," or tokens[-1].text in "?!":
                    _extend(tokens, item)  # "patient." + "comma": keep the stronger mark
                    continue
                tokens[-1] = _token(item.text, tokens[-1].first_word, item.last, words)
                capital = item.text in SENTENCE_END
                continue
        elif item.kind == "break":
            while kinds and kinds[-1] == "punct" and tokens[-1].text == ",":
                tokens.pop()
                kinds.pop()
            if kinds and kinds[-1] == "break":
                if len(item.text) > len(tokens[-1].text):
                    tokens[-1] = _token(item.text, tokens[-1].first_word, item.last, words)
                continue
            if not tokens:
                continue
        text = item.text
        if item.kind == "word" and capital:
            text = text[:1].upper() + text[1:]
            capital = False
        if item.kind in ("punct", "break"):
            capital = item.text in SENTENCE_END
        tokens.append(_token(text, item.first, item.last, words))
        kinds.append(item.kind)
    while kinds and kinds[-1] == "break":
        tokens.pop()
        kinds.pop()
    return tokens, kinds


def _extend(tokens: list[FormattedToken], item: Item) -> None:
    last = tokens[-1]
    tokens[-1] = FormattedToken(
        last.text, last.first_word, max(last.last_word, item.last), last.start, last.end
    )


def _token(text: str, first: int, last: int, words: Sequence[Word | str]) -> FormattedToken:
    start = end = None
    a, b = words[first], words[last]
    if isinstance(a, Word) and isinstance(b, Word):
        start, end = a.start, b.end
    return FormattedToken(text=text, first_word=first, last_word=last, start=start, end=end)


def _text(tokens: list[FormattedToken], kinds: list[str]) -> str:
    parts: list[str] = []
    prev = "break"
    for token, kind in zip(tokens, kinds, strict=True):
        if kind in ("punct", "close", "break") or prev in ("open", "break"):
            parts.append(token.text)
        else:
            parts.append(" " + token.text)
        prev = kind
    return "".join(parts)
