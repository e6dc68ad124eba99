"""The trained problem-mention model (resources/mention_model/, see nlp/training/README.md).

The model is a tok2vec and a tagger of BILUO tags (B-PROBLEM, I-, L-, U-, O). Component MODEL
runs it and reads its scores as spans: the best tag sequence that spells well-formed mentions
(no I or L without its B), each mention with the geometric mean of its tags' probabilities as
its score. The spans go to doc.spans[MODEL_KEY] (scores in the group's attrs["scores"], as
spaCy's spancat does), where problems.py merges them with the lexicon's. The model is optional:
without it (say, a checkout before training) the pipeline runs lexicon-only.
"""

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy
import spacy
from spacy.attrs import IS_SPACE, IS_TITLE, LENGTH, LIKE_NUM, LOWER, ORTH, SPACY
from spacy.language import Language
from spacy.strings import hash_string
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example
from spacy.util import minibatch, registry

from . import resources

log = logging.getLogger(__name__)

MODEL_KEY = "problem_model"
MODEL = "mention_model"
LABEL = "PROBLEM"
# A token whose O tag is this sure is fixed as O: the exact search runs only between such
# tokens, which are most of a note.
CERTAIN_O = 0.995


def model_dir() -> Path:
    """The shipped model, or $CHARTDROP_MENTION_MODEL (to evaluate a candidate in place)."""
    override = os.environ.get("CHARTDROP_MENTION_MODEL")
    return Path(override) if override else resources.path("mention_model")


def add_mention_model(nlp: Language, after: str) -> bool:
    """Add component MODEL after component `after`; False if the model folder is absent."""
    path = model_dir()
    if not (path / "meta.json").is_file():
        log.warning("problem-mention model not found; problems come from the lexicons only")
        return False
    nlp.add_pipe("chartdrop_mention_tagger", name=MODEL, after=after, config={"path": str(path)})
    return True


class MentionTagger:
    """Runs the tagger network (not spaCy's Tagger component, which keeps only each token's
    best tag) and decodes its scores into doc.spans[MODEL_KEY]."""

    def __init__(self, model, labels: list[str]) -> None:  # model: thinc Model
        self.model = model
        self.kinds = [label[:1] for label in labels]  # "B", "I", "L", "O", "U"

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            # The network cannot take empty docs.
            texts = [model_input(doc) for doc in batch if len(doc)]
            scores = iter(self.model.predict(texts) if texts else [])
            for doc in batch:
                self._annotate(doc, next(scores) if len(doc) else None)
                yield doc

    def _annotate(self, doc: Doc, logits: numpy.ndarray | None) -> None:
        found = decode(logits, self.kinds, [t.is_space for t in doc]) if logits is not None else []
        group = SpanGroup(doc, name=MODEL_KEY, spans=[Span(doc, s, e, LABEL) for s, e, _ in found])
        group.attrs["scores"] = [score for _, _, score in found]
        doc.spans[MODEL_KEY] = group


@Language.factory("chartdrop_mention_tagger", default_config={"path": ""})
def make_mention_tagger(nlp: Language, name: str, path: str) -> MentionTagger:
    source = spacy.load(path)
    if "tagger" not in source.pipe_names or "O" not in source.get_pipe("tagger").labels:
        # An ner model folder from before 2026-12-07, say, in CHARTDROP_MENTION_MODEL.
        raise ValueError(
            f"{path} is not a problem-mention model (a tok2vec and a tagger of BILUO tags); "
            "see nlp/training/README.md"
        )
    if source.vocab.vectors.shape[0] and not nlp.vocab.vectors.shape[0]:
        # The tok2vec's static-vectors layer reads `doc.vocab.vectors` at run time, so the
        # model's (pruned) word vectors must live in the runtime vocab. Nothing else in the
        # pipeline reads vectors.
        nlp.vocab.vectors = source.vocab.vectors
    # The tagger listens to the tok2vec; give it its own copy, one network to run.
    source.replace_listeners("tok2vec", "tagger", ["model.tok2vec"])
    tagger = source.get_pipe("tagger")
    return MentionTagger(tagger.model, list(tagger.labels))


# Tokens after which a capitalised word starts a line, list entry or section's text.
ENTRY_BREAKS = frozenset({":", ",", ".", ")", "\n"})
# Their ORTH values: a string's hash is the same in every vocab.
_BREAK_KEYS = numpy.array([hash_string(text) for text in ENTRY_BREAKS], dtype=numpy.uint64)


def model_input(doc: Doc) -> Doc:
    """`doc` as the network should read it: a Title-case word that starts a line, an entry or
    a sentence ("ASSESSMENT: Fracture of the ...", "2. Urinary hesitancy") in lower case.

    The model's word vectors are keyed by the exact text (nlp/training/README.md, "Known
    limit"), and problem words in the training corpora are mostly lower case, so a
    capitalised problem-list entry got no vector and was often missed. The copy has the same
    tokens, so the spans found in it are the original's; capitals elsewhere (names, "Parkinson
    disease") are left, being evidence too. Read as arrays: a Token object per token cost
    more than the model's own lookups.
    """
    table = doc.to_array([ORTH, LOWER, IS_TITLE, LENGTH, IS_SPACE, LIKE_NUM, SPACY])
    strings = doc.vocab.strings
    after_break = numpy.isin(table[:, 0], _BREAK_KEYS) | (table[:, 4] == 1) | (table[:, 5] == 1)
    starts = numpy.concatenate(([True], after_break[:-1]))
    lowered = starts & (table[:, 2] == 1) & (table[:, 3] > 1)
    if not lowered.any():
        return doc
    keys = numpy.where(lowered, table[:, 1], table[:, 0]).tolist()
    words = [strings[key] for key in keys]
    return Doc(doc.vocab, words=words, spaces=(table[:, 6] == 1).tolist())


def decode(
    logits: numpy.ndarray, kinds: list[str], forced_outside: list[bool]
) -> list[tuple[int, int, float]]:
    """(start, end, score) of the most probable well-formed BILUO tag sequence. The tagger
    scores each token on its own; its best tags alone may read "stable condition" as O, L.
    Tokens in `forced_outside` (whitespace) and tokens surely O are O; between them an exact
    search (Viterbi over the five tags with BILUO's allowed transitions) picks the tags."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
    free = log_probs[:, kinds.index("O")] < numpy.log(CERTAIN_O)
    free &= ~numpy.asarray(forced_outside, dtype=bool)
    if not free.any():
        return []
    # Runs of free tokens: where the 0/1 mask, padded with 0 at both ends, changes.
    edges = numpy.flatnonzero(numpy.diff(numpy.concatenate(([0], free.astype(numpy.int8), [0]))))
    tags = _Tags(kinds)
    found: list[tuple[int, int, float]] = []
    for start, end in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True):
        found.extend(_viterbi(log_probs[start:end].tolist(), start, tags))
    return found


class _Tags:
    """Which of the tags close a mention, open one, or continue one (needs B or I before)."""

    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds
        self.closed = [t for t, k in enumerate(kinds) if k in ("L", "O", "U")]
        self.opened = [t for t, k in enumerate(kinds) if k in ("B", "I")]
        self.continues = [k in ("I", "L") for k in kinds]


def _viterbi(rows: list[list[float]], offset: int, tags: _Tags) -> list[tuple[int, int, float]]:
    """Mentions in a run of tokens (log-probability rows) that an O or the text's edge closes
    on both sides; `offset` is the run's first token."""
    closed, opened, continues = tags.closed, tags.opened, tags.continues
    best = [-numpy.inf if continues[t] else score for t, score in enumerate(rows[0])]
    back: list[list[int]] = []
    for row in rows[1:]:
        before_closed = max(closed, key=best.__getitem__)
        before_open = max(opened, key=best.__getitem__)
        pointers = [before_open if c else before_closed for c in continues]
        best = [best[p] + score for p, score in zip(pointers, row, strict=True)]
        back.append(pointers)
    path = [max(closed, key=best.__getitem__)]
    for pointers in reversed(back):
        path.append(pointers[path[-1]])
    path.reverse()
    found: list[tuple[int, int, float]] = []
    start, total = 0, 0.0
    for i, t in enumerate(path):
        kind = tags.kinds[t]
        if kind in ("B", "U"):
            start, total = i, 0.0
        if kind != "O":
            total += rows[i][t]
        if kind in ("L", "U"):
            score = float(numpy.exp(total / (i + 1 - start)))
            found.append((offset + start, offset + i + 1, score))
    return found


def score_tagged_mentions(examples: list[Example], **_: object) -> dict[str, float]:
    """Exact-span P/R/F1 of the mentions a BILUO tagger's tags spell. Training keeps the
    checkpoint best by this, not by tag accuracy (which the many O tags dominate). spaCy's
    Tagger keeps only each token's best tag, so this reads those (an I or L without its B
    opens a mention), not the runtime's best well-formed sequence: close enough to rank
    checkpoints."""
    tp = n_pred = n_gold = 0
    for example in examples:
        gold = {(span.start, span.end) for span in example.reference.ents}
        pred = set(_spans_of_tags([token.tag_[:1] for token in example.predicted]))
        if len(example.predicted) != len(example.reference):  # tokenised alike in training
            pred = set()
        tp += len(gold & pred)
        n_pred += len(pred)
        n_gold += len(gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"mentions_p": precision, "mentions_r": recall, "mentions_f": f1}


@registry.scorers("chartdrop.tagged_mentions_scorer.v1")
def make_tagged_mentions_scorer():
    return score_tagged_mentions


def _spans_of_tags(kinds: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, kind in enumerate(kinds):
        if kind in ("B", "U", "O", "") and start is not None:
            spans.append((start, i))
            start = None
        if kind in ("B", "I", "L", "U") and start is None:
            start = i
        if kind in ("L", "U") and start is not None:
            spans.append((start, i + 1))
            start = None
    if start is not None:
        spans.append((start, len(kinds)))
    return spans
