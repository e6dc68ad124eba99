"""Export the single-word names of the drug-named-entity-recognition dictionary to a TSV
(name, generic name). Standard library only: drug_names.py runs this file as a script in a
child process, which then starts in well under a second instead of importing spaCy, and the
~400 MB the package's pickle takes to load never counts against the service.

    python nlp/drug_names_export.py OUT.tsv
"""

from __future__ import annotations

import bz2
import importlib.util
import os
import pickle
import re
import sys
import tempfile
from pathlib import Path

PACKAGE = "drug_named_entity_recognition"
DICTIONARY = "drug_ner_dictionary.pkl.bz2"  # its layout is pinned with the package version
MIN_LETTERS = 4  # shorter names ("asa", "dma") are more often something else
_NAME = re.compile(r"[a-z][a-z\-]*[a-z]")


def single_word_names() -> dict[str, str]:
    """Lower-case single-word name -> its first generic name, from the package's file."""
    # find_spec locates the package without importing it: its __init__ imports the finder,
    # which unpickles this same file and reads a pickle cache from the home folder.
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(PACKAGE)
    source = Path(next(iter(spec.submodule_search_locations))) / DICTIONARY
    with bz2.open(source) as handle:
        # The package's own data file, installed with it: as trusted as its code.
        variants: dict[str, list[str]] = pickle.load(handle)["drug_variant_to_canonical"]
    return {
        variant: generics[0]
        for variant, generics in variants.items()
        if len(variant) >= MIN_LETTERS and generics and _NAME.fullmatch(variant)
    }


def write_tsv(path: Path, names: dict[str, str]) -> None:
    """Write then rename, so a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f"{name}\t{generic}\n" for name, generic in sorted(names.items()))
    os.replace(tmp, path)


if __name__ == "__main__":
    write_tsv(Path(sys.argv[1]), single_word_names())
