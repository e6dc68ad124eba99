from chartdrop.nlp.tokenizer import blank_english


def words(text: str) -> list[str]:
    return [t.text for t in blank_english()(text) if not t.is_space]


def test_mtsamples_comma_breaks_are_their_own_tokens() -> None:
    assert words("Soft.,GU: Normal.,PLAN:,1. Continue.") == [
        "Soft", ".", ",", "GU", ":", "Normal", ".", ",", "PLAN", ":", ",", "1", ".", "Continue",
        ".",
    ]  # fmt: skip
    assert words("DIAGNOSES:,1.  Acute appendicitis.,2,The patient") == [
        "DIAGNOSES", ":", ",", "1", ".", "Acute", "appendicitis", ".", ",", "2", ",", "The",
        "patient",
    ]  # fmt: skip


def test_digit_groups_and_ratios_stay_whole() -> None:
    assert words("epinephrine 1:100,000 and 1,000 mg") == [
        "epinephrine", "1:100,000", "and", "1,000", "mg",
    ]  # fmt: skip


def test_slashed_abbreviation_at_a_sentence_end() -> None:
    assert words("Denies N/V.") == ["Denies", "N", "/", "V", "."]
    assert words("No n/v/d.") == ["No", "n", "/", "v", "/", "d", "."]
