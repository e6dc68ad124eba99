"""The data files are part of the code: check they load and say what they mean."""

from __future__ import annotations

import simple_icd_10_cm as cm

from chartdrop.nlp import resources
from chartdrop.nlp.coding import load_codebook
from chartdrop.nlp.normalize import term_key


def test_curated_problem_codes_exist_and_are_billable() -> None:
    rows = resources.read_tsv("problem_synonyms.tsv")
    assert len(rows) >= 300
    bad = [(term, code) for term, code in rows if not (cm.is_valid_item(code) and cm.is_leaf(code))]
    assert bad == []
    # ... and the code book offers them: a code it leaves out is silently never suggested
    # ("hiv" -> B20 was, while B20 was taken for a block heading).
    book = load_codebook()
    assert [(term, code) for term, code in rows if not book.is_billable(code)] == []


def test_curated_terms_are_unique() -> None:
    keys = [term_key(term) for term, _ in resources.read_tsv("problem_synonyms.tsv")]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert duplicates == set()


def test_lexicons_parse() -> None:
    for name in ("medications.tsv", "procedures.tsv"):
        rows = resources.read_tsv(name)
        assert len(rows) >= 50
        assert all(1 <= len(row) <= 2 and row[0] for row in rows)


def test_context_rules_load() -> None:
    from medspacy.context import ConTextRule

    rules = ConTextRule.from_json(str(resources.path("context_rules.json")))
    categories = {rule.category for rule in rules}
    assert {"NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "HISTORICAL", "FAMILY"} <= (
        categories
    )


def test_json_rules_load() -> None:
    assert resources.read_json("sections.json")["sections"]
    assert resources.read_json("doctype_rules.json")["types"]
    assert resources.read_json("demographics.json")["name_stopwords"]


def test_coding_words_are_lower_case_and_history_codes_exist() -> None:
    words = resources.read_json("coding_words.json")
    for name, entry in words.items():
        if name.startswith("_"):
            continue
        lists = [entry["words"]] if "words" in entry else []
        if name == "chapter_words":
            lists += list(entry["map"].values())
        for listed in lists:
            assert listed and all(w == w.lower().strip() for w in listed), name
    history = words["history_prefixes"]
    assert all(p.endswith(" ") for p in history["prefixes"])
    for code in [*history["codes"], *history["codes"].values()]:
        assert cm.is_valid_item(code), code
    assert set(words["chapter_words"]["map"]) == {"O", "P"}


def test_combination_codes_exist_and_are_billable() -> None:
    from chartdrop.nlp.combinations import combinations

    rules = combinations()
    assert len(rules) >= 30
    book = load_codebook()
    codes = {rule.code for rule in rules}
    codes |= {rule.condition for rule in rules if not rule.taken_by_linked}
    assert sorted(code for code in codes if not book.is_billable(code)) == []
    # An "in" row's condition is a prefix ("E11"): of billable codes.
    conditions = {rule.condition for rule in rules if rule.taken_by_linked}
    assert [c for c in conditions if not any(b.startswith(c) for b in book.descriptions)] == []
    # A linked prefix must name codes that exist ("N18.3" covers N18.30-N18.32).
    prefixes = {prefix for rule in rules for group in rule.linked for prefix in group}
    unused = [p for p in prefixes if not any(c.startswith(p) for c in book.descriptions)]
    assert unused == []


def test_additional_codes_exist() -> None:
    from chartdrop.nlp.combinations import additional_codes

    rows = additional_codes()
    book = load_codebook()
    assert rows
    for row in rows:
        assert any(code.startswith(row.lead) for code in book.descriptions), row.lead
        if row.ranked:
            assert any(code.startswith(row.code) for code in book.descriptions), row.code
        else:
            assert book.is_billable(row.code), row.code
