"""Drug names beyond the curated medications.tsv: the single-word names (generic and brand,
~28,600) of the drug-named-entity-recognition package (MIT; MedlinePlus, DrugBank and
Wikipedia names), each with its generic name.

Only the dictionary file the package ships is read; the package is not imported: its
__init__ imports its finder, which indexes every name at import (~400 MB), reads and writes
a cache in the home folder and brings web-service helpers. Its multi-word names are left
out: in 1,500 MTSamples notes most of those found were laboratory tests and anatomy
("alkaline phosphatase", "thyroid gland", "at 10"); the common multi-word medications are
curated in medications.tsv instead. Names that are something else in notes ("luminal",
"Coban" bandage, "Biomet" implants, "ferritin" the test) are listed in
resources/medication_stoplist.txt.
"""

from __future__ import annotations

import bz2
import importlib.util
import logging
import pickle
import re
from importlib import metadata
from pathlib import Path

from chartdrop.cache import cache_dir, write_cache

from . import resources
from .coding import source_digest
from .normalize import norm_token

log = logging.getLogger(__name__)

PACKAGE = "drug_named_entity_recognition"
DICTIONARY = "drug_ner_dictionary.pkl.bz2"  # its layout is pinned with the package version
MIN_LETTERS = 4  # shorter names ("asa", "dma") are more often something else
_NAME = re.compile(r"[a-z][a-z\-]*[a-z]")
_WORD = re.compile(r"[a-z0-9]+")


def single_word_drugs() -> dict[str, str]:
    """Normalised single-word drug name -> generic name; empty (logged) without the package.

    Unpickling the package's file takes ~1.4 s (it holds every drug's chemistry too), so the
    names are kept, once per package version, in a 0.7 MB cache beside the ICD-10-CM indexes;
    later loads read that (~30 ms)."""
    try:
        version = metadata.version(PACKAGE.replace("_", "-"))
    except metadata.PackageNotFoundError:
        log.warning("drug name dictionary unavailable (%s not installed)", PACKAGE)
        return {}
    path = cache_dir() / f"drug-names-{version}-{source_digest('drug_names.py')}.tsv"
    names = _read_cache(path)
    if names is None:
        names = _from_package()
        lines = [f"{name}\t{generic}\n" for name, generic in sorted(names.items())]
        write_cache(path, lambda handle: handle.writelines(lines), "the drug name cache")
    stop = {norm_token(w) for w in resources.read_lines("medication_stoplist.txt")}
    return {name: generic for name, generic in names.items() if name not in stop}


def _from_package() -> dict[str, str]:
    """Normalised single-word name -> its first generic name, from the package's file (the
    first spelling in the file wins where two normalise alike: "antibiotics", "antibiotic")."""
    # find_spec locates the package without importing it (see the module docstring).
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(PACKAGE)
    source = Path(next(iter(spec.submodule_search_locations))) / DICTIONARY
    with bz2.open(source) as handle:
        # The package's own data file, installed with it: as trusted as its code.
        variants: dict[str, list[str]] = pickle.load(handle)["drug_variant_to_canonical"]
    out: dict[str, str] = {}
    for variant, generics in variants.items():
        if (
            len(variant) >= MIN_LETTERS
            and generics
            and _NAME.fullmatch(variant)
            and not _is_initialism(variant, generics[0])
        ):
            out.setdefault(norm_token(variant), generics[0])
    return out


def _is_initialism(name: str, generic: str) -> bool:
    """ "aapc" for "... artificial antigen presenting cell vaccine", "bdnf", "pcna": letters
    taken from the generic's words are DrugBank's short forms of molecules, which notes use for
    genes, proteins and diseases (AAPC, attenuated adenomatous polyposis coli), not drugs."""
    initials = "".join(word[0] for word in _WORD.findall(generic.lower()))
    return name.lower() in initials


def _read_cache(path: Path) -> dict[str, str] | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return dict(line.split("\t", 1) for line in lines if "\t" in line)
