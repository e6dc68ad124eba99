"""Problem mentions from the trained model merged with the lexicons (hand-written sentences)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy
import pytest

from chartdrop.nlp.mentions import MODEL, MODEL_KEY, decode, model_input
from chartdrop.nlp.pipeline import get_pipeline
from chartdrop.nlp.problems import CONFIDENCE_LEXICON, CONFIDENCE_MODEL_MAX
from chartdrop.nlp.types import Extraction, Mention


def texts(mentions: tuple[Mention, ...]) -> set[str]:
    return {m.text.lower() for m in mentions}


def test_model_is_in_the_one_pipeline(extract: Callable[[str], Extraction]) -> None:
    names = get_pipeline().pipe_names
    assert MODEL in names
    assert names.index("chartdrop_norms") < names.index(MODEL) < names.index("chartdrop_problems")


def test_model_vectors_are_in_the_runtime_vocab(extract: Callable[[str], Extraction]) -> None:
    """A model trained with static vectors reads them from the runtime doc's vocab."""
    import spacy

    from chartdrop.nlp.mentions import model_dir

    source = spacy.load(model_dir()).vocab.vectors
    runtime = get_pipeline().vocab.vectors
    assert runtime.shape == source.shape
    if source.shape[0]:
        # Looked up as the model was trained: by ORTH, since spaCy reads the saved table back
        # so (nlp/training/README.md, "Known limit").
        assert runtime.attr == source.attr
        word = get_pipeline().vocab.strings.add("pneumonia")
        assert runtime.find(key=word) >= 0 or runtime.mode != "default"


def test_model_finds_problems_itself(extract: Callable[[str], Extraction]) -> None:
    doc = get_pipeline()("The patient developed acute pancreatitis and progressive dyspnea.")
    found = {span.text.lower() for span in doc.spans[MODEL_KEY]}
    assert any("pancreatitis" in t for t in found)
    assert any("dyspnea" in t for t in found)


def test_model_and_lexicon_mentions(extract: Callable[[str], Extraction]) -> None:
    text = "The patient developed acute pancreatitis and progressive dyspnea."
    result = extract(text)
    found = texts(result.problems)
    assert found & {"acute pancreatitis", "pancreatitis"}
    assert found & {"dyspnea", "progressive dyspnea"}
    for mention in result.problems:
        assert text[mention.start : mention.end] == mention.text
        assert 0.0 < mention.confidence <= 1.0
    pancreatitis = next(m for m in result.problems if "pancreatitis" in m.text.lower())
    assert pancreatitis.icd10cm and pancreatitis.icd10cm[0].code.startswith("K85")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She reports worsening headaches and blurred vision for two weeks.", "headache"),
        ("Biopsy confirmed hepatocellular carcinoma in the right lobe.", "carcinoma"),
        ("He was admitted with fever, rigors and a productive cough.", "fever"),
        ("Her son was diagnosed with cystic fibrosis at age two.", "cystic fibrosis"),
    ],
)
def test_problem_found(extract: Callable[[str], Extraction], text: str, expected: str) -> None:
    assert any(expected in t for t in texts(extract(text).problems))


def test_no_problems_in_neutral_text(extract: Callable[[str], Extraction]) -> None:
    text = "The patient was seen in the clinic today with her daughter and will return in June."
    assert extract(text).problems == ()


def test_model_mentions_keep_assertions(extract: Callable[[str], Extraction]) -> None:
    result = extract("The patient denies hemoptysis. Father had colon cancer.")
    assertions = {m.text.lower(): m.assertion for m in result.problems}
    assert assertions.get("hemoptysis") == "negated"
    cancer = [a for t, a in assertions.items() if "cancer" in t]
    assert cancer == ["family"]


def test_model_only_mentions_are_kept(extract: Callable[[str], Extraction]) -> None:
    # Problems the lexicons do not name: only the model can find them.
    text = (
        "He complains of morning stiffness in both hands. She has had progressive exertional "
        "breathlessness. The boy has developmental delay."
    )
    model_only = [m for m in extract(text).problems if m.confidence < CONFIDENCE_LEXICON]
    assert model_only
    for mention in model_only:
        assert text[mention.start : mention.end] == mention.text
        assert mention.assertion == "present"
        assert 0.0 < mention.confidence <= CONFIDENCE_MODEL_MAX
    words = " ".join(m.text for m in model_only)
    assert any(w in words for w in ("stiffness", "breathlessness", "delay"))


def test_model_only_mention_is_kept_uncoded_or_coded(
    extract: Callable[[str], Extraction],
) -> None:
    # A coinage no lexicon knows; a mention, if the model finds one, keeps its exact span.
    text = "Imaging showed a large frobnicular lesion of the liver."
    for mention in extract(text).problems:
        assert text[mention.start : mention.end] == mention.text
        assert all(s.code and s.description for s in mention.icd10cm)


KINDS = ["B", "I", "L", "O", "U"]


def logits(*rows: dict[str, float]) -> numpy.ndarray:
    """Per token, log-probabilities of the tags named (the rest share what is left)."""
    out = numpy.full((len(rows), len(KINDS)), 0.0)
    for i, row in enumerate(rows):
        rest = (1.0 - sum(row.values())) / (len(KINDS) - len(row))
        out[i] = [math.log(row.get(kind, rest)) for kind in KINDS]
    return out


def test_decode_reads_a_well_formed_sequence() -> None:
    # Best tags alone: O, L ("stable condition" as an L without its B). The best well-formed
    # sequence is B, L: 0.45 * 0.8 beats O, O's 0.5 * 0.1.
    scores = logits({"O": 0.5, "B": 0.45}, {"L": 0.8, "O": 0.1})
    ((start, end, score),) = decode(scores, KINDS, [False, False])
    assert (start, end) == (0, 2)
    assert score == pytest.approx(math.sqrt(0.45 * 0.8))
    # When O, O is likelier than any mention, there is none.
    assert decode(logits({"O": 0.9, "B": 0.05}, {"L": 0.5, "O": 0.4}), KINDS, [False] * 2) == []


def test_decode_single_and_forced_outside_tokens() -> None:
    scores = logits({"O": 0.999}, {"U": 0.7}, {"O": 0.999}, {"U": 0.9})
    assert [(s, e) for s, e, _ in decode(scores, KINDS, [False, False, False, False])] == [
        (1, 2),
        (3, 4),
    ]
    # Whitespace is never a mention, however the tagger scores it.
    assert decode(scores, KINDS, [False, False, False, True])[-1][:2] == (1, 2)


def test_model_spans_carry_scores(extract: Callable[[str], Extraction]) -> None:
    doc = get_pipeline()("The patient developed acute pancreatitis and progressive dyspnea.")
    group = doc.spans[MODEL_KEY]
    assert len(group.attrs["scores"]) == len(group) > 0
    assert all(0.0 < score <= 1.0 for score in group.attrs["scores"])
    assert [token.tag_ for token in doc] == [""] * len(doc)  # no BILUO tags left on tokens


def test_a_model_folder_without_a_biluo_tagger_is_refused_plainly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import spacy

    from chartdrop.nlp.mentions import make_mention_tagger

    old = spacy.blank("en")
    old.add_pipe("ner").add_label("PROBLEM")
    old.initialize()
    old.to_disk(tmp_path / "ner_model")
    with pytest.raises(ValueError, match="not a problem-mention model"):
        make_mention_tagger(spacy.blank("en"), "mention_model", str(tmp_path / "ner_model"))


def test_the_model_reads_entry_initial_capitals_in_lower_case() -> None:
    doc = get_pipeline().make_doc(
        "DIAGNOSES:\n1. Urinary hesitancy.\nSeen by Dr. Parkinson, Fracture"
    )
    shadow = model_input(doc)
    assert [t.text for t in shadow] == [
        t.text.lower() if t.text in {"Urinary", "Seen", "Fracture"} else t.text for t in doc
    ]
    assert [t.whitespace_ for t in shadow] == [t.whitespace_ for t in doc]
    plain = get_pipeline().make_doc("the patient has pneumonia")
    assert model_input(plain) is plain  # nothing to change, no copy


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("DIAGNOSES:\n1. Urinary hesitancy.\n2. Dehydration.", "Urinary hesitancy"),
        ("IMPRESSION: Pneumonia, right lower lobe.", "Pneumonia"),
    ],
)
def test_the_model_finds_capitalised_problem_list_entries(
    extract: Callable[[str], Extraction], text: str, mention: str
) -> None:
    # Its word vectors are keyed by exact spelling: "Urinary" had none, and was missed.
    doc = get_pipeline()(text)
    assert mention in {span.text for span in doc.spans[MODEL_KEY]}


@pytest.mark.parametrize(
    ("problem_confidence", "label"),
    [(0.46, "MEDICATION"), (CONFIDENCE_LEXICON, "PROBLEM")],
)
def test_a_drug_the_model_read_as_a_problem_is_a_drug(
    problem_confidence: float, label: str
) -> None:
    # "Phenergan resolved his nausea": the model's span equals the drug list's; a lexicon
    # problem of the same extent keeps winning (the drug list also names a few problems' words).
    from spacy.tokens import Span

    from chartdrop.nlp.lexicon import merge_mentions

    doc = get_pipeline().make_doc("Phenergan resolved his nausea.")
    problem = Span(doc, 0, 1, "PROBLEM")
    problem._.confidence = problem_confidence
    doc.spans["problems"] = [problem, Span(doc, 3, 4, "PROBLEM")]
    doc.spans["medications"] = [Span(doc, 0, 1, "MEDICATION")]
    merged = merge_mentions(doc)
    found = [(e.text, e.label_) for e in merged.ents]
    assert found == [("Phenergan", label), ("nausea", "PROBLEM")]
