"""The trained problem-mention model (resources/mention_model/, see nlp/training/README.md).

Its tok2vec and ner are sourced into the one runtime pipeline; the ner's entities are moved to
doc.spans["problem_model"] (doc.ents is rebuilt later from every kind of mention), where
problems.py merges them with the lexicon's. The model is optional: without it (say, a checkout
before training) the pipeline runs lexicon-only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import resources

log = logging.getLogger(__name__)

MODEL_KEY = "problem_model"
TOK2VEC = "mention_tok2vec"
NER = "mention_ner"


def model_dir() -> Path:
    """The shipped model, or $CHARTDROP_MENTION_MODEL (to evaluate a candidate in place)."""
    override = os.environ.get("CHARTDROP_MENTION_MODEL")
    return Path(override) if override else resources.path("mention_model")


def add_mention_model(nlp: Language, after: str) -> bool:
    """Source the model's tok2vec and ner into `nlp` after component `after`; False if absent."""
    path = model_dir()
    if not (path / "meta.json").is_file():
        log.warning("problem-mention model not found; problems come from the lexicons only")
        return False
    source = spacy.load(path)
    if source.vocab.vectors.shape[0] and not nlp.vocab.vectors.shape[0]:
        # The tok2vec's static-vectors layer reads `doc.vocab.vectors` at run time, so the
        # model's (pruned) word vectors must live in the runtime vocab. Nothing else in the
        # pipeline reads vectors.
        nlp.vocab.vectors = source.vocab.vectors
    # The ner listens to the tok2vec; give it its own copy so names and order cannot break it.
    source.replace_listeners("tok2vec", "ner", ["model.tok2vec"])
    nlp.add_pipe("ner", name=NER, source=source, after=after)
    nlp.add_pipe("chartdrop_model_mentions", after=NER)
    return True


@Language.component("chartdrop_model_mentions")
def move_model_mentions(doc: Doc) -> Doc:
    doc.spans[MODEL_KEY] = [span for span in doc.ents if span.label_ == "PROBLEM"]
    doc.ents = ()
    return doc
