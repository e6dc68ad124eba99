"""Dictation formatter passes for dates, spoken digit strings and numbers."""

from __future__ import annotations

import re

from .dictation_rules import (
    AGE_UNITS,
    COUNT_CONTEXT,
    DIGITS,
    HUNDREDS_FILLERS,
    HUNDREDS_LABELS,
    Item,
    lowered,
)
from .numbers_spoken import (
    DIGIT_WORDS,
    MONTHS,
    ORDINALS,
    TENS,
    is_number_word,
    parse_cardinal,
    parse_year,
)


def dates(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        month = MONTHS.get(lowered(items[i]).rstrip("."))
        if month is None:
            out.append(items[i])
            i += 1
            continue
        day, j = _day(items, i + 1)
        if day is None:
            out.append(items[i])
            i += 1
            continue
        k = j + 1 if j < len(items) and items[j].text == "," else j
        year, end = _year(items, k)
        if year is None:
            out.append(
                Item(f"{items[i].text.capitalize()} {day}", items[i].first, items[j - 1].last)
            )
            i = j
        else:
            out.append(Item(f"{month:02d}/{day:02d}/{year}", items[i].first, items[end - 1].last))
            i = end
    return out


def _day(items: list[Item], i: int) -> tuple[int | None, int]:
    if i >= len(items) or items[i].kind != "word":
        return None, i
    text = items[i].text.lower()
    m = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", text)
    if m:
        day = int(m.group(1))
        return (day, i + 1) if 1 <= day <= 31 else (None, i)
    if text in ORDINALS:
        return ORDINALS[text], i + 1
    if text in ("twenty", "thirty") and i + 1 < len(items):
        nxt = items[i + 1].text.lower().lstrip("-")
        if nxt in ORDINALS and ORDINALS[nxt] < 10:
            day = (20 if text == "twenty" else 30) + ORDINALS[nxt]
            return (day, i + 2) if day <= 31 else (None, i)
    return None, i


def _year(items: list[Item], i: int) -> tuple[int | None, int]:
    if i < len(items) and re.fullmatch(r"(18|19|20)\d\d", items[i].text):
        return int(items[i].text), i + 1
    # Whisper writes "twenty twenty six" as "20, 26" as it does digit strings ("4, 4, 7").
    if (
        i + 2 < len(items)
        and re.fullmatch(r"18|19|20", items[i].text)
        and items[i + 1].text == ","
        and re.fullmatch(r"\d\d", items[i + 2].text)
    ):
        return int(items[i].text + items[i + 2].text), i + 3
    words: list[str] = []
    j = i
    while j < len(items) and items[j].kind == "word" and len(words) < 5:
        low = items[j].text.lower().lstrip("-")
        if not (is_number_word(low) or low == "and" or DIGITS.match(low)):
            break
        words.append(low)
        j += 1
    while words:
        year = parse_year(words)
        if year is not None:
            return year, i + len(words)
        words.pop()
    return None, i


_LEADING_ZERO = re.compile(r"0\d+")
MIN_DOTTED_DIGITS = 5  # digits read one by one with periods between: a number, not a list


def slashed_digit_pairs(items: list[Item]) -> list[Item]:
    """A spoken digit pair beside a slash, as dictated in a date: "zero three slash twenty
    six slash zero eight" -> 03/26/08 (digit_strings takes runs of three or more; a lone
    pair elsewhere is prose: "one two three" counts, "page one two" is not a date)."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        year, end = _slashed_year(items, i)
        if year:
            out.append(Item(year, items[i].first, items[end - 1].last))
            i = end
            continue
        end = _pair_end(items, i)
        if end and (_is_slash(items, i - 1) or _is_slash(items, end)):
            digits = "".join(_digit_piece(it) or "" for it in items[i:end])
            # "0-3", as Whisper writes a spoken pair: the numbers pass leaves it, and the
            # slash join then writes it "03" (dictation._slashed_digits).
            text = f"0-{digits[1]}" if digits[0] == "0" else digits
            out.append(Item(text, items[i].first, items[end - 1].last))
            i = end
            continue
        lone = _slashed_number(items, i, -1) or _slashed_number(items, i, 1)
        if lone and _single_digit(items[i]):
            out.append(Item(_digit_piece(items[i]) or "", items[i].first, items[i].last))
            i += 1
            continue
        out.append(items[i])
        i += 1
    return out


def _slashed_number(items: list[Item], i: int, step: int) -> bool:
    """Whether a slash and then a number follow item `i` in direction `step` ("three slash
    twenty one", "five slash five"): a lone digit there is a number, not prose."""
    other = lowered(items[i + 2 * step]) if 0 <= i + 2 * step < len(items) else ""
    other = other.lstrip("-")
    return _is_slash(items, i + step) and bool(DIGITS.match(other) or is_number_word(other))


def _slashed_year(items: list[Item], i: int) -> tuple[str, int]:
    """A spoken year right after a slash ("... slash nineteen fifty five"), or ("", i)."""
    if not _is_slash(items, i - 1):
        return "", i
    for n in (4, 3, 2):
        words = [lowered(it).lstrip("-") for it in items[i : i + n]]
        if len(words) == n and all(words) and (year := parse_year(words)):
            return str(year), i + n
    return "", i


def _pair_end(items: list[Item], i: int) -> int:
    """One past a pair of single digits at `i` ("zero three", Whisper's "zero -three"),
    not inside a longer run of digits; 0 when there is none."""
    if not _single_digit(items[i]) or (i > 0 and _single_digit(items[i - 1])):
        return 0
    j = i + 1
    if j < len(items) and items[j].kind == "join" and items[j].text == "-":
        j += 1
    if j >= len(items) or not _single_digit(items[j]):
        return 0
    if j + 1 < len(items) and _single_digit(items[j + 1]):
        return 0
    return j + 1


def _is_slash(items: list[Item], k: int) -> bool:
    return 0 <= k < len(items) and items[k].kind == "join" and items[k].text == "/"


def digit_strings(items: list[Item]) -> list[Item]:
    """Runs of single digits ("four four seven", "4, 4, 7", "447 two one") -> "447..."."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        digits, _j, last = _digit_run(items, i)
        if len(digits) >= 3:
            out.append(Item(digits, items[i].first, items[last - 1].last))
            i = last
            continue
        out.append(items[i])
        i += 1
    return out


def _digit_run(items: list[Item], i: int) -> tuple[str, int, int]:
    dotted = False
    digits = ""
    j = i
    last = i  # one past the last digit item
    count = 0
    while j < len(items):
        item = items[j]
        low = lowered(item)
        piece = _digit_piece(item)
        if piece is not None:
            digits += piece
            count += len(piece)
        elif item.kind == "word" and count == 0 and DIGITS.match(low) and len(low) <= 4:
            digits += low  # "447 two one nine"
            count += 1
        elif item.text in (",", ".") and count and j + 1 < len(items):
            if _digit_piece(items[j + 1]) is None:
                break
            dotted = dotted or item.text == "."
            j += 1
            continue
        else:
            break
        j += 1
        last = j
    pieces = sum(1 for it in items[i:last] if it.kind == "word")
    if count < 3 or (pieces < 2 and "-" not in items[i].text):
        return "", j, i
    # Whisper writes digits said slowly one by one as "0. 0. 4. 5."; a list's "1. 2. 3." is
    # shorter than a record or phone number.
    if dotted and count < MIN_DOTTED_DIGITS:
        return "", j, i
    if all(lowered(it) == "oh" for it in items[i:last] if it.kind == "word"):
        return "", j, i
    return digits, j, last


def _digit_piece(item: Item) -> str | None:
    """ "four", "4" or Whisper's "2-1-8" as digits; None for anything else."""
    low = lowered(item)
    if low in DIGIT_WORDS:
        return str(DIGIT_WORDS[low])
    if re.fullmatch(r"\d|\d(?:-\d){2,}", low):
        return low.replace("-", "")
    return None


def _single_digit(item: Item) -> bool:
    piece = _digit_piece(item)
    return piece is not None and len(piece) == 1


def numbers(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        if _LEADING_ZERO.fullmatch(lowered(items[i])):
            out.append(items[i])  # a digit string ("zero zero four...": MRN 004567) as said
            i += 1
            continue
        at = _number_words(items, i)
        value, j = parse_cardinal([lowered(items[k]).lstrip("-") for k in at])
        if value is None:
            out.append(items[i])
            i += 1
            continue
        end = at[j - 1] + 1
        text = str(value)
        # Decimals: "one point two", "1 point 5".
        if end + 1 < len(items) and lowered(items[end]) == "point":
            frac, k = _fraction(items, end + 1)
            if frac:
                text, end = f"{text}.{frac}", k
        spoken = any(not DIGITS.match(lowered(it)) for it in items[i:end])
        nxt = lowered(items[end]) if end < len(items) else ""
        if spoken and value >= 10_000 and "." not in text:
            text = f"{value:,}"  # "fifty thousand units" -> 50,000, as style guides write it
        if not spoken or value >= 10 or "." in text or nxt in COUNT_CONTEXT:
            out.append(Item(text, items[i].first, items[end - 1].last))
        else:
            out.extend(items[i:end])  # "one of the", "no one": prose stays prose
        i = end
    return out


def _number_words(items: list[Item], i: int, most: int = 8) -> list[int]:
    """Indices of up to `most` items from `i` that may spell one number, passing over the
    hyphen Whisper glues between tens and units ("thirty -eight")."""
    at: list[int] = []
    k = i
    while k < len(items) and len(at) < most:
        joined = items[k].kind == "join" and items[k].text == "-" and at and k + 1 < len(items)
        if joined and lowered(items[at[-1]]) in TENS and lowered(items[k + 1]) in DIGIT_WORDS:
            k += 1
            continue
        at.append(k)
        k += 1
    return at


def ranges_and_grades(items: list[Item]) -> list[Item]:
    """A small number said before a written one is written too ("two to 3 weeks" -> 2 to 3,
    "one or 2 tablets" -> 1 or 2), and a clinical grade is N+ ("two plus pitting edema" ->
    2+, "reflexes one plus"); "one to one" and "two plus two" stay as said. Runs after
    `numbers`, which writes a number before a count word ("3 weeks") and leaves 1-9 else."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        digit = DIGIT_WORDS.get(lowered(items[i]))
        nxt = lowered(items[i + 1]) if i + 1 < len(items) else ""
        after = lowered(items[i + 2]) if i + 2 < len(items) else ""
        if digit is not None and nxt in ("to", "or") and DIGITS.match(after):
            out.append(Item(str(digit), items[i].first, items[i].last))
        elif (
            digit is not None
            and 1 <= digit <= 4
            and nxt == "plus"
            and not (DIGITS.match(after) or is_number_word(after))
        ):
            out.append(Item(f"{digit}+", items[i].first, items[i + 1].last))
            i += 2
            continue
        else:
            out.append(items[i])
        i += 1
    return out


def age_adjectives(items: list[Item]) -> list[Item]:
    """An age before a noun, hyphenated: "a 62 year old male" -> a 62-year-old male
    ("62 years old" stays as said)."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        said = [lowered(it) for it in items[i : i + 3]]
        if len(said) == 3 and DIGITS.match(said[0]) and said[1] in AGE_UNITS and said[2] == "old":
            text = f"{items[i].text}-{items[i + 1].text}-{items[i + 2].text}"
            out.append(Item(text, items[i].first, items[i + 2].last))
            i += 3
            continue
        out.append(items[i])
        i += 1
    return out


def labelled_hundreds(items: list[Item]) -> list[Item]:
    """A lab value or vital sign said with its hundred left unsaid: "sodium one thirty
    eight" -> sodium 138, "heart rate is one ten" -> 110. Only after a HUNDREDS_LABELS word
    (a filler such as "is" between), so that "take one ten milligram tablet" stays a dose.
    Runs after `numbers`, which has made "thirty eight" 38 and left "one" a word."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        hundreds = DIGIT_WORDS.get(lowered(items[i]))
        j = i + 2 if i + 1 < len(items) and items[i + 1].kind == "join" else i + 1
        tens = lowered(items[j]) if j < len(items) else ""
        if hundreds and re.fullmatch(r"[1-9]\d", tens) and _after_label(out):
            out.append(Item(str(100 * hundreds + int(tens)), items[i].first, items[j].last))
            i = j + 1
            continue
        out.append(items[i])
        i += 1
    return out


def _after_label(out: list[Item]) -> bool:
    """Whether the items just written end with a HUNDREDS_LABELS word (and a filler)."""
    k = len(out) - 1
    if k >= 0 and (lowered(out[k]) in HUNDREDS_FILLERS or out[k].text in HUNDREDS_FILLERS):
        k -= 1
    return k >= 0 and lowered(out[k]) in HUNDREDS_LABELS


def ratios(items: list[Item]) -> list[Item]:
    """A number over a number as transcriptionists write it: blood pressure "one forty over
    ninety" -> 140/90 (the systolic's hundred left unsaid), strength "five over five" -> 5/5,
    a murmur "two over six" -> 2/6. Runs after `numbers`, so "forty" is 40 and "five" a word
    still; "over the counter" and "over 90" stay as they are."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        top = _whole(out[-1]) if out else None
        bottom = _whole(items[i + 1]) if i + 1 < len(items) else None
        if lowered(items[i]) != "over" or top is None or bottom is None:
            out.append(items[i])
            i += 1
            continue
        first = out.pop()
        # "one 40 over 90" or "one-40 over 90": a pressure of 140
        hyphen = len(out) >= 2 and out[-1].kind == "join"
        said = out[-2] if hyphen else out[-1] if out else None
        hundreds = _whole(said) if said is not None and said.kind == "word" else None
        if hundreds in (1, 2) and 10 <= top <= 99 and 30 <= bottom <= 150:
            out.pop()
            first = out.pop() if hyphen else said
            top += 100 * hundreds
        out.append(Item(f"{top}/{bottom}", first.first, items[i + 1].last))
        i += 2
    return out


def _whole(item: Item) -> int | None:
    """A whole number under 1,000 in digits, one digit word or Whisper's "one-forty" (140),
    else None."""
    low = lowered(item)
    if low in DIGIT_WORDS:
        return DIGIT_WORDS[low]
    if re.fullmatch(r"\d{1,3}", low):
        return int(low)
    head, _, tail = low.partition("-")
    hundreds = DIGIT_WORDS.get(head)
    if hundreds not in (1, 2) or not tail:
        return None
    parts = tail.split("-")
    tens, used = parse_cardinal(parts)
    if tens is None or used != len(parts) or not 10 <= tens <= 99:
        return None
    return 100 * hundreds + tens


def _fraction(items: list[Item], i: int) -> tuple[str, int]:
    frac = ""
    while (i < len(items) and _single_digit(items[i])) or (
        i < len(items) and not frac and DIGITS.match(lowered(items[i]))
    ):
        low = lowered(items[i])
        frac += str(DIGIT_WORDS.get(low, low))
        i += 1
    return frac, i
