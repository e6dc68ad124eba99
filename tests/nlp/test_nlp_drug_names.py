"""The drug dictionary's single-word names (nlp/drug_names.py): content, cache, absence."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from chartdrop.nlp import drug_names


def test_brand_and_generic_names_with_their_generic() -> None:
    names = drug_names.single_word_drugs()
    assert names["marcaine"] == "bupivacaine"
    assert names["neurontin"] == "gabapentin"
    assert names["lidocaine"] == "lidocaine"
    assert "coban" not in names  # medication_stoplist.txt: a bandage in notes
    assert min(len(name) for name in names) >= drug_names.MIN_LETTERS


def test_initialisms_of_a_generic_are_left_out() -> None:
    # DrugBank's short forms of molecules: in notes, genes, proteins and diseases.
    names = drug_names.single_word_drugs()
    assert "aapc" not in names  # attenuated adenomatous polyposis coli, in notes
    assert "bdnf" not in names
    assert names["apap"] == "acetaminophen"  # a short form, but no initialism of its generic
    assert names["ddavp"] == "desmopressin"
    assert drug_names._is_initialism("pcna", "proliferating cell nuclear antigen")
    assert not drug_names._is_initialism("ancef", "cefazolin")


def test_names_are_cached_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTDROP_DATA_DIR", str(tmp_path))
    first = drug_names.single_word_drugs()
    cached = list((tmp_path / "cache").glob("drug-names-*.tsv"))
    assert len(cached) == 1

    def unexpected(*_args: object) -> None:
        raise AssertionError("the cache should have been read")

    monkeypatch.setattr(drug_names, "_from_package", unexpected)
    assert drug_names.single_word_drugs() == first


def test_without_the_package_only_the_curated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(_name: str) -> str:
        raise metadata.PackageNotFoundError(_name)

    monkeypatch.setattr(drug_names.metadata, "version", missing)
    assert drug_names.single_word_drugs() == {}
