"""Document type by weighted keyword rules (resources/doctype_rules.json).

A transparent classifier a records technician can reason about; its confidence is the winning
score's share of all scores, damped when the evidence is thin.
"""

import re

from spacy.language import Language
from spacy.tokens import Doc

from . import resources
from .doctext import doc_text
from .fastregex import Requirement, could_match, required_literals
from .types import DocumentType

if not Doc.has_extension("document_type"):
    Doc.set_extension("document_type", default=None)


class DocTypeRules:
    def __init__(self) -> None:
        data = resources.read_json("doctype_rules.json")
        self.title_chars: int = data["title_chars"]
        self.title_factor: float = data["title_factor"]
        self.min_score: float = data["min_score"]
        flags = re.IGNORECASE | re.MULTILINE
        self.rules = {
            kind: [(re.compile(pattern, flags), float(weight)) for pattern, weight in rules]
            for kind, rules in data["types"].items()
        }
        # The same rules, case-sensitive, for lower-cased text: about twice as fast as
        # IGNORECASE. Only usable when every pattern is lower case (else `\S` would become `\s`).
        self.lower_rules = None
        # Per lower-case rule, the literals any match must contain (fastregex.py): most rules
        # need a phrase a note lacks, and a substring test is far cheaper than a search.
        self.literals: dict[str, list[Requirement]] = {}
        if all(p.pattern == p.pattern.lower() for rules in self.rules.values() for p, _ in rules):
            self.lower_rules = {
                kind: [(re.compile(p.pattern, re.MULTILINE), w) for p, w in rules]
                for kind, rules in self.rules.items()
            }
            self.literals = {
                kind: [required_literals(p.pattern, re.MULTILINE) for p, _ in rules]
                for kind, rules in self.lower_rules.items()
            }

    def classify(self, text: str) -> DocumentType:
        scores: dict[str, float] = {}
        rule_sets = self.rules
        lowered = text.lower()
        literal_sets = None
        # lower() keeps offsets (needed for title_chars) unless a character changes length.
        if self.lower_rules is not None and len(lowered) == len(text):
            rule_sets, text, literal_sets = self.lower_rules, lowered, self.literals
        for kind, rules in rule_sets.items():
            score = 0.0
            needs = literal_sets[kind] if literal_sets else [()] * len(rules)
            for (pattern, weight), requirement in zip(rules, needs, strict=True):
                if not could_match(requirement, text):
                    continue  # no match possible
                m = pattern.search(text)
                if m:
                    score += weight * (self.title_factor if m.start() < self.title_chars else 1.0)
            scores[kind] = score
        kind, best = max(scores.items(), key=lambda kv: kv[1])
        if best < self.min_score:
            return DocumentType("other", 0.5)
        share = best / sum(scores.values())
        strength = min(1.0, best / 8.0)  # a title alone (4 x 2) is full evidence
        return DocumentType(kind, round(0.3 + 0.65 * share * strength + 0.05 * share, 2))


class DocTypeComponent:
    def __init__(self) -> None:
        self.rules = DocTypeRules()

    def __call__(self, doc: Doc) -> Doc:
        doc._.document_type = self.rules.classify(doc_text(doc))
        return doc


@Language.factory("chartdrop_doctype")
def make_doctype(nlp: Language, name: str) -> DocTypeComponent:
    return DocTypeComponent()
