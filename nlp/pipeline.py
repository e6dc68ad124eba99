"""The chartdrop NLP pipeline: one spaCy pipeline, loaded once, and `extract()`.

spaCy pipelines are not documented as thread-safe (components mutate shared vocab and
extension state), so calls are serialised with a lock; loading is guarded by the same idea.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc, Span

# Imported for their side effect: registering the components by name with spaCy.
from . import demographics as _demographics  # noqa: F401
from . import doctype as _doctype  # noqa: F401
from . import problems as _problems  # noqa: F401
from . import sections as _sections  # noqa: F401
from . import sentences as _sentences  # noqa: F401
from .assertion import add_context, assertion_of, section_of
from .code_words import RECODED_ASSERTIONS
from .coding import as_asserted, code_descriptions, is_specific
from .combinations import combined
from .deficiencies import find_deficiencies
from .doctext import CachingTokenizer, doc_text
from .laterality import side_index
from .lexicon import MENTION_GROUPS
from .mentions import add_mention_model
from .normalize import is_letter_with_stop, is_level_with_stop, term_key
from .sections import CODED_SECTION, NOT_CODED_FROM, SECTION_ASSERTIONS, Section
from .tokenizer import blank_english
from .types import Extraction, Mention

_lock = threading.Lock()
_load_lock = threading.Lock()
_nlp: Language | None = None


def build_pipeline() -> Language:
    nlp = blank_english()
    nlp.tokenizer = CachingTokenizer(nlp.tokenizer)  # same tokens, see doctext.py
    nlp.add_pipe("chartdrop_norms")
    add_mention_model(nlp, after="chartdrop_norms")
    nlp.add_pipe("chartdrop_sections")
    nlp.add_pipe("chartdrop_sentences")
    nlp.add_pipe("chartdrop_demographics")
    nlp.add_pipe("chartdrop_problems")
    nlp.add_pipe(
        "chartdrop_lexicon",
        name="procedures",
        config={
            "label": "PROCEDURE",
            "file": "procedures.tsv",
            "endings_file": "procedure_endings.txt",
        },
    )
    nlp.add_pipe(
        "chartdrop_lexicon",
        name="medications",
        config={"label": "MEDICATION", "file": "medications.tsv", "drug_names": True},
    )
    nlp.add_pipe("chartdrop_mentions")
    add_context(nlp)
    nlp.add_pipe("chartdrop_doctype")
    return nlp


def get_pipeline() -> Language:
    """The shared pipeline, built on first use."""
    global _nlp
    if _nlp is None:
        with _load_lock:
            if _nlp is None:
                _nlp = build_pipeline()
    return _nlp


def warm_up() -> None:
    """Load everything now (the watcher calls this at start, so the first document is not slow)."""
    extract("Warm up: the patient denies chest pain.")


def _mention(span: Span, sections: list[Section], text: str) -> Mention:
    section = section_of(sections, span)
    start, end = span.start_char, span.end_char
    if len(span) and (is_letter_with_stop(span[-1].text) or is_level_with_stop(span[-1].text)):
        end -= 1  # "hepatitis C.", "HNP, C5-C6." (one token "C6."): the full stop is no name
    # A slice of the note is span.text without a Token object per token.
    mention_text = text[start:end]
    problem = span.label_ == "PROBLEM"
    ext = span._  # each `span._` builds a new accessor object
    codes = tuple(ext.icd10cm) if problem else ()
    if problem and ext.confidence is not None:
        confidence = ext.confidence
    else:
        confidence = codes[0].score if codes else 0.9
    assertion = assertion_of(span, section, SECTION_ASSERTIONS)
    if assertion in RECODED_ASSERTIONS and codes:
        codes = as_asserted(codes, assertion)
    return Mention(
        text=mention_text,
        start=start,
        end=end,
        assertion=assertion,
        icd10cm=codes,
        section=section.category if section else None,
        confidence=confidence,
        specific=is_specific(mention_text) if problem else True,
        normalized=None if problem else ext.canonical,
        charted=not (problem and section is not None and section.category in NOT_CODED_FROM),
    )


def _to_extraction(doc: Doc) -> Extraction:
    sections = doc._.sections or []
    text = doc_text(doc)
    found: dict[str, list[Mention]] = {group: [] for group in MENTION_GROUPS.values()}
    for span in doc.ents:
        found[MENTION_GROUPS[span.label_]].append(_mention(span, sections, text))
    demo = doc._.demographics
    return Extraction(
        demographics=demo,
        # Combined first, so that two problems given one combination code are charted once.
        problems=_charted_once(combined(found["problems"], code_descriptions())),
        procedures=tuple(found["procedures"]),
        medications=tuple(found["medications"]),
        document_type=doc._.document_type,
        deficiencies=find_deficiencies(text, demo, problems=found["problems"]),
    )


def _charted_once(problems: list[Mention]) -> tuple[Mention, ...]:
    """`problems`, with a charted problem that repeats another (same first code, or same words
    when uncoded, or the side-unspecified code of another's, and same assertion) proposed off
    the chart: "PREOPERATIVE DIAGNOSIS: Left inguinal hernia. POSTOPERATIVE DIAGNOSIS: Same."
    is one Condition, not two. The one kept is the first in the assessment and diagnoses, else
    the first."""
    kept: set[tuple[str, str]] = set()
    repeats: set[int] = set()
    order = sorted(range(len(problems)), key=lambda i: problems[i].section != CODED_SECTION)
    for i in order:
        problem = problems[i]
        if not problem.charted:
            continue
        code = problem.icd10cm[0].code if problem.icd10cm else term_key(problem.text)
        key = (code, problem.assertion)
        if key in kept:
            repeats.add(i)
        kept.add(key)
    # A side stated once: "Rotator cuff tear, left" (M75.102), then "the rotator cuff tear"
    # (M75.100) is the same Condition.
    sides = side_index()
    sided = set()
    for i, problem in enumerate(problems):
        if problem.charted and i not in repeats and problem.icd10cm:
            top = problem.icd10cm[0]
            if (unsided := sides.unsided(top.code, top.description)) != top.code:
                sided.add((unsided, problem.assertion))
    for i, problem in enumerate(problems):
        if (
            problem.charted
            and problem.icd10cm
            and (problem.icd10cm[0].code, problem.assertion) in sided
        ):
            repeats.add(i)
    return tuple(replace(p, charted=False) if i in repeats else p for i, p in enumerate(problems))


def extract(text: str) -> Extraction:
    """Structured, evidence-bearing extraction of one note's text. Thread-safe."""
    nlp = get_pipeline()
    with _lock:
        doc = nlp(text)
        return _to_extraction(doc)


def extract_many(texts: Iterable[str], batch_size: int = 32) -> Iterator[Extraction]:
    """`extract()` over many texts (backfills): the same results, in order, with the mention
    model run on batches of docs (`nlp.pipe`), which is faster per note. Holds the pipeline
    lock while each batch is processed, so other threads' `extract()` calls interleave."""
    nlp = get_pipeline()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= batch_size:
            yield from _extract_batch(nlp, batch, batch_size)
            batch = []
    if batch:
        yield from _extract_batch(nlp, batch, batch_size)


def _extract_batch(nlp: Language, texts: list[str], batch_size: int) -> list[Extraction]:
    with _lock:
        return [_to_extraction(doc) for doc in nlp.pipe(texts, batch_size=batch_size)]
