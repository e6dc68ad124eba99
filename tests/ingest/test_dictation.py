from __future__ import annotations

import re

import pytest

from chartdrop.ingest.dictation import format_dictation
from chartdrop.ingest.numbers_spoken import parse_cardinal, parse_year
from chartdrop.ingest.types import Word


def fmt(text: str) -> str:
    spaced = re.sub(r"\n+", lambda m: f" {m.group(0)} ", text)
    return format_dictation([w for w in spaced.split(" ") if w]).text


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("the patient is stable period", "The patient is stable."),
        ("no acute distress full stop", "No acute distress."),
        ("alert comma oriented period", "Alert, oriented."),
        ("assessment colon stable", "Assessment: stable"),
        # Whisper's own period on a spoken command: the command decides
        ("assessment and plan colon. Stable period.", "Assessment and plan: Stable."),
        ("metformin comma. lisinopril period.", "Metformin, lisinopril."),
        ("any questions question mark", "Any questions?"),
        ("stable period new paragraph plan colon rest", "Stable.\n\nPlan: rest"),
        ("stable period next line plan colon rest", "Stable.\nPlan: rest"),
        ("aspirin open parenthesis baby close parenthesis daily", "Aspirin (baby) daily"),
        ("well dash developed and well hyphen nourished", "Well-developed and well-nourished"),
        ("he is s slash p appendectomy and slash or", "He is s/p appendectomy and/or"),
        ("blood pressure 120 slash 80 period", "Blood pressure 120/80."),
        ("last cycle on 0-1 slash 18 slash 0-8 period", "Last cycle on 01/18/08."),
        ("range 1-2 forward slash 5", "Range 1-2/5"),
        # A date dictated digit by digit, as tiny.en writes it ("zero -three"), or in words
        ("on zero -three slash 26 slash zero -eight, the", "On 03/26/08, the"),
        ("DOB oh two slash zero five slash nineteen fifty five", "DOB 02/05/1955"),
        ("seen three slash twenty one slash two thousand three", "Seen 3/21/2003"),
        ("strength five slash five", "Strength 5/5"),
        ("page one two of the chart and slash or", "Page one two of the chart and/or"),
        ("a sigmoid colon resection", "A sigmoid colon resection"),
        ("for a period of two weeks", "For a period of 2 weeks"),
    ],
)
def test_spoken_punctuation_and_layout(spoken: str, written: str) -> None:
    assert fmt(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("patient name S M I T H period", "Patient name Smith."),
        ("patient M.I.T.H. seen", "Patient Mith seen"),  # Whisper's dotted letters
        ("history of C O P D", "History of COPD"),
        ("a patient", "A patient"),  # an article is not a spelled letter
        # Dosing abbreviations, as Whisper writes them in lower case
        ("metoprolol 25 mg b i d", "Metoprolol 25 mg BID"),
        ("two puffs p r n", "2 puffs PRN"),
        ("n p o after midnight", "NPO after midnight"),
    ],
)
def test_spelled_letters(spoken: str, written: str) -> None:
    assert fmt(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("MRN four four seven two one nine period", "MRN 447219."),
        # Leading zeros are part of the record number, not a number's padding.
        ("MRN zero zero four five six seven period", "MRN 004567."),
        ("MRN oh four five six", "MRN 0456"),
        # Digits said slowly, one by one, as Whisper writes them; a list's numbers stay
        ("MRN 0. 0. 4. 5. 6. 7. History of", "MRN 004567. History of"),
        ("1. Hypertension. 2. Diabetes. 3. Gout.", "1. Hypertension. 2. Diabetes. 3. Gout."),
        ("page 1. 2. 3.", "Page 1. 2. 3."),
        ("MRN 4, 4, 7, 2, 1, 9.", "MRN 447219."),  # Whisper's own comma-separated digits
        ("MRN 447 two one nine", "MRN 447219"),
        ("MRN 447, 2-1-9, period", "MRN 447219."),
        ("BP 120, 80", "BP 120, 80"),
        ("call five five five oh one nine two", "Call 5550192"),
        ("one of the tablets", "One of the tablets"),  # prose "one" stays
    ],
)
def test_digit_strings(spoken: str, written: str) -> None:
    assert fmt(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("born March fourth nineteen fifty five", "Born 03/04/1955"),
        ("born March 4, 1955.", "Born 03/04/1955."),  # as Whisper writes it
        ("seen November 20, 20, 26.", "Seen 11/20/2026."),  # "twenty twenty six", Whisper's way
        ("seen on December twenty first two thousand and three", "Seen on 12/21/2003"),
        ("seen on May 5", "Seen on May 5"),
        ("born June 9th 1948", "Born 06/09/1948"),
    ],
)
def test_dates(spoken: str, written: str) -> None:
    assert fmt(spoken) == written


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("metformin five hundred milligrams twice daily", "Metformin 500 mg twice daily"),
        ("lisinopril 10 milligrams daily", "Lisinopril 10 mg daily"),
        ("levothyroxine fifty micrograms", "Levothyroxine 50 mcg"),
        ("insulin ten units", "Insulin 10 units"),
        ("saline five hundred milliliters", "Saline 500 mL"),
        ("five milligrams per kilogram", "5 mg/kg"),
        ("creatinine one point two", "Creatinine 1.2"),
        ("two tablets daily", "2 tablets daily"),
        ("ejection fraction of 70 percent", "Ejection fraction of 70%"),
        ("a sixty two year old male", "A 62-year-old male"),
        ("he is sixty two years old", "He is 62 years old"),
        ("a three month old infant", "A 3-month-old infant"),
        ("vitamin D fifty thousand units weekly", "Vitamin D 50,000 units weekly"),
        ("MRN one two three four five six", "MRN 123456"),
        # a number over a number; a systolic pressure's hundred is not said
        ("blood pressure one forty over ninety", "Blood pressure 140/90"),
        ("blood pressure one twenty five over seventy eight", "Blood pressure 125/78"),
        ("strength five over five", "Strength 5/5"),
        ("a two over six murmur", "A 2/6 murmur"),
        ("available over the counter", "Available over the counter"),
        ("he is over 90", "He is over 90"),
        # Tens and units as Whisper glues them ("thirty -eight")
        ("age thirty -eight", "Age 38"),
        ("a forty -five -year -old male", "A 45-year-old male"),
        # A lab value or vital sign with its hundred unsaid, after its name only
        ("sodium one thirty eight comma potassium three point eight", "Sodium 138, potassium 3.8"),
        ("heart rate is one ten", "Heart rate is 110"),
        ("platelets two fifty", "Platelets 250"),
        ("take one ten milligram tablet", "Take one 10 mg tablet"),
        # Ranges, grades and fixed forms as transcriptionists write them
        ("follow up in two to three weeks", "Follow up in 2 to 3 weeks"),
        ("one to one supervision", "One to one supervision"),
        ("two plus pitting edema and reflexes one plus", "2+ pitting edema and reflexes 1+"),
        ("two plus two", "Two plus two"),
        ("hemoglobin A one C seven point two percent", "Hemoglobin A1c 7.2%"),
        ("vitamin d and hepatitis c", "Vitamin D and hepatitis C"),
    ],
)
def test_numbers_and_units(spoken: str, written: str) -> None:
    assert fmt(spoken) == written


def test_scratch_that_removes_the_previous_sentence() -> None:
    spoken = (
        "born March fourth nineteen fifty five period scratch that born March fifth "
        "nineteen fifty five period"
    )
    assert fmt(spoken) == "Born 03/05/1955."
    assert fmt("takes aspirin daily strike that takes nothing period") == "Takes nothing."
    assert fmt("stable period plan rest scratch that") == "Stable."


def test_idempotent_on_formatted_text() -> None:
    text = "Plan: metformin 500 mg twice daily. MRN 447219.\n\nBorn 03/04/1955."
    assert fmt(text) == text
    assert fmt(fmt(text)) == text
    # Whisper's own period plus a spoken one, and a trailing comma before a period.
    assert fmt("stable. period") == "Stable."
    assert fmt("stable, period") == "Stable."


def test_tokens_map_back_to_words_and_times() -> None:
    words = [
        Word(w, 0.9, start=float(i), end=i + 0.5)
        for i, w in enumerate(
            ["MRN", "four", "four", "seven", "period", "new", "paragraph", *"SMITH"]
        )
    ]
    result = format_dictation(words)
    assert result.text == "MRN 447.\n\nSmith"
    texts = [(t.text, t.first_word, t.last_word) for t in result.tokens]
    assert texts == [("MRN", 0, 0), ("447", 1, 3), (".", 4, 4), ("\n\n", 5, 6), ("Smith", 7, 11)]
    smith = result.tokens[-1]
    assert (smith.start, smith.end) == (7.0, 11.5)


def test_empty_words_are_skipped() -> None:
    words = [Word("takes", 0.9), Word("lisinopril", 0.3), Word("", 0.3), Word("daily", 0.9)]
    result = format_dictation(words)
    assert result.text == "Takes lisinopril daily"
    assert result.tokens[1].first_word == 1
    assert format_dictation([]).text == ""


def test_number_parsers() -> None:
    assert parse_cardinal(["five", "hundred", "milligrams"]) == (500, 2)
    assert parse_cardinal(["twenty", "five"]) == (25, 2)
    assert parse_cardinal(["nineteen", "fifty"]) == (19, 1)
    assert parse_cardinal(["two", "thousand", "and", "three"]) == (2003, 4)
    assert parse_cardinal(["tablets"]) == (None, 0)
    assert parse_year(["nineteen", "fifty", "five"]) == 1955
    assert parse_year(["nineteen", "oh", "five"]) == 1905
    assert parse_year(["twenty", "twenty"]) == 2020
    assert parse_year(["two", "thousand", "and", "three"]) == 2003
    assert parse_year(["five"]) is None
