"""Assertion of each mention (present, negated, possible, hypothetical, historical, family)
from medspaCy's ConText modifiers plus the section it sits in.

ConText runs with medspaCy's default rules and ours (resources/context_rules.json); the
section rules (resources/sections.json) make everything in PAST MEDICAL HISTORY historical and
everything in FAMILY HISTORY familial unless a modifier says otherwise.
"""

from itertools import accumulate
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from . import resources
from .context_fast import RuleMatcher, prune_overlapping, resolve_graph, scope_of, sentence_bounds
from .sections import Section, section_at

# When several modifiers apply, the first in this order decides: "no family history of X" is
# negated, "family history of X" is family rather than historical.
_PRIORITY = (
    ("NEGATED_EXISTENCE", "negated"),
    ("FAMILY", "family"),
    ("HYPOTHETICAL", "hypothetical"),
    ("POSSIBLE_EXISTENCE", "possible"),
    ("HISTORICAL", "historical"),
    ("PAST_HISTORY", "historical"),
)


# medspaCy default rules we drop: ": no" looks backwards, so in "CARDIAC: No chest pain." it
# negated the header and, being the longer match, hid the forward "no" from the finding.
# "decline" negated whatever followed "hemoglobin declined to ..." or "a decline of renal
# function"; context_rules.json has "<patient> declined/refused" instead.
# "free" (backward) negated "free air", "free fluid", "free T4", which are findings;
# context_rules.json keeps "free of"/"<be> free from" and adds "symptom-free".
# "any other" (forward) negated whatever followed "any other"; "denies any other" and
# "without any other" are negated by their own triggers.
# "family" (forward, any relative word) is replaced by context_rules.json's "a relative", the
# same words less "child"/"children": in notes about children those words name the patient
# ("The child developed ...", "Child with abdominal pain", "Children's Hospital").
_DROPPED_DEFAULT_RULES = frozenset({": no", "decline", "free", "any other", "family"})
# medspaCy default rules kept for problems only. "prophylaxis" (backward) says "DVT
# prophylaxis" is no DVT, but "heparin prophylaxis" and "antibiotic prophylaxis" were given.
# A result said after a test ("urine cultures were negative", "X has been ruled out") means
# the test was done; what it rules out is a problem.
_PROBLEMS_ONLY = frozenset(
    {
        "prophylaxis",
        "was negative",
        "has been negative",
        "negative on",
        "are ruled out",
        "has been ruled out",
        "now resolved",
    }
)


def add_context(nlp: Language) -> None:
    """Append ConText with medspaCy's default rules (less a few) and ours.

    The component is named "medspacy_context" and is medspaCy's ConText with its rule matching
    replaced by context_fast.RuleMatcher (same matches, a fraction of the time)."""
    nlp.add_pipe("chartdrop_context", name="medspacy_context")


# context_rules.json's CLAUSE_BOUNDARY rules match a finite verb that starts a new clause ("is",
# "was", "were", "has been", ...). They modify nothing themselves (allowed_types names no target
# label); they only end the scope of forward negations, which medspaCy's terminated_by allows
# per rule: "no X was found, and Y was seen" negates X, not Y; "CT without contrast was ..." does
# not negate what follows. Backward negations keep their reach ("X is negative", "X was excluded").
# A longer trigger that contains the verb ("was not", "were not observed") wins the overlap.
CLAUSE_BOUNDARY = "CLAUSE_BOUNDARY"
# ", past medical history" inside a sentence (a dictated section name, transcribed after a
# comma) marks what follows historical and, like a clause boundary, ends forward negations:
# "denies chest pain, past medical history of heart failure" does not negate the heart failure.
PAST_HISTORY = "PAST_HISTORY"


def context_rules(context: Any) -> list[Any]:
    from medspacy.context import ConTextRule

    defaults = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
    rules = [rule for rule in defaults if rule.literal not in _DROPPED_DEFAULT_RULES]
    for rule in rules:
        if rule.literal in _PROBLEMS_ONLY:
            rule.allowed_types = {"PROBLEM"}
    rules += ConTextRule.from_json(str(resources.path("context_rules.json")))
    for rule in rules:
        if rule.category == "NEGATED_EXISTENCE" and rule.direction.upper() == "FORWARD":
            rule.terminated_by.add(CLAUSE_BOUNDARY)
            rule.terminated_by.add(PAST_HISTORY)
    return rules


class FastContext:
    """medspaCy's ConText (`self.context`, which holds the rules and registers the extensions),
    run with context_fast's matcher and precomputed sentence bounds instead of its own."""

    def __init__(self, nlp: Language, name: str) -> None:
        _silence_pyrush()
        from medspacy.context import ConText

        self.context = ConText(nlp, name=name, rules=None)
        self.context.add(context_rules(self.context))
        # The rules as ConText keeps them (its add() applies global settings to each).
        self.matcher = RuleMatcher(self.context.rules, nlp.tokenizer)

    def __call__(self, doc: Doc) -> Doc:
        from medspacy.context import ConTextGraph, ConTextModifier

        context = self.context
        graph = ConTextGraph(prune_on_modifier_overlap=context.prune_on_target_overlap)
        graph.targets = doc.ents
        graph.modifiers = []
        matches = self.matcher(doc)
        if context.prune_on_modifier_overlap:
            matches = prune_overlapping(matches)
        if matches:
            sent_starts, sent_ends = sentence_bounds(doc)
            for rule, start, end in matches:
                lo, hi = scope_of(rule, start, end, sent_starts[start], sent_ends[start])
                if rule.direction.upper() == "TERMINATE" or rule.category == CLAUSE_BOUNDARY:
                    # A terminator's scope only feeds limit_scope's overlap test, which checks
                    # whether the other modifier's scope holds an end of this one; with the
                    # whole sentence as scope, a rule with max_scope ("negative", "never", ...)
                    # ignored terminators inside its reach ("X despite negative imaging").
                    lo, hi = start, end
                modifier = ConTextModifier(rule, start, end, doc, scope_start=lo, scope_end=hi)
                graph.modifiers.append(modifier)
        graph.modifiers = _without_idle_boundaries(graph.modifiers)
        resolve_graph(graph)  # = graph.update_scopes(); graph.apply_modifiers()
        for target, modifier in graph.edges:
            target._.modifiers += (modifier,)
        if context.context_attributes_mapping:
            context.set_context_attributes(graph.edges)
        doc._.context_graph = graph
        return doc


def _without_idle_boundaries(modifiers: list[Any]) -> list[Any]:
    """The modifiers less the clause boundaries that no scope they may end reaches. A boundary
    changes only the scopes of rules terminated by it (its own scope, its span, never moves),
    and scopes only shrink; every "is" and "was" of a note is one, and each modifier kept
    costs a test against every other."""
    if not modifiers:
        return modifiers
    # Per token, whether some such scope reaches it (scopes as [start, end], both inclusive,
    # as the test below reads them), from a difference array: one pass, not a test per pair.
    size = max(m._end for m in modifiers) + 2
    delta = [0] * (size + 1)
    for m in modifiers:
        if CLAUSE_BOUNDARY in m.rule.terminated_by:
            lo, hi = max(m._scope_start, 0), min(m._scope_end, size - 1)
            if lo <= hi:
                delta[lo] += 1
                delta[hi + 1] -= 1
    reached = list(accumulate(delta))
    return [
        m
        for m in modifiers
        if m.category != CLAUSE_BOUNDARY
        or any(reached[i] for i in range(max(m._start, 0), m._end + 1))
    ]


@Language.factory("chartdrop_context")
def make_context(nlp: Language, name: str) -> FastContext:
    return FastContext(nlp, name)


def _silence_pyrush() -> None:
    # Importing medspaCy pulls in PyRuSH, which logs DEBUG through loguru unless disabled.
    try:
        from loguru import logger

        logger.disable("PyRuSH")
        logger.disable("medspacy")
    except ImportError:  # loguru is medspaCy's dependency; nothing to silence without it
        pass


def assertion_of(span: Span, section: Section | None, section_assertions: dict[str, str]) -> str:
    categories = {modifier.category for modifier in span._.modifiers}
    from_section = section_assertions.get(section.category) if section else None
    for category, value in _PRIORITY:
        if category in categories or value == from_section:
            if value == from_section and "NEGATED_EXISTENCE" in categories:
                return "negated"
            return value
    return "present"


def section_of(sections: list[Section], span: Span) -> Section | None:
    return section_at(sections, span.start_char)
