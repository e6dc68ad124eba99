"""Assertion of each mention (present, negated, possible, hypothetical, historical, family)
from medspaCy's ConText modifiers plus the section it sits in.

ConText runs with medspaCy's default rules and ours (resources/context_rules.json); the
section rules (resources/sections.json) make everything in PAST MEDICAL HISTORY historical and
everything in FAMILY HISTORY familial unless a modifier says otherwise.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Span

from . import resources
from .sections import Section, section_at

# When several modifiers apply, the first in this order decides: "no family history of X" is
# negated, "family history of X" is family rather than historical.
_PRIORITY = (
    ("NEGATED_EXISTENCE", "negated"),
    ("FAMILY", "family"),
    ("HYPOTHETICAL", "hypothetical"),
    ("POSSIBLE_EXISTENCE", "possible"),
    ("HISTORICAL", "historical"),
)


# medspaCy default rules we drop: ": no" looks backwards, so in "CARDIAC: No chest pain." it
# negated the header and, being the longer match, hid the forward "no" from the finding.
# "decline" negated whatever followed "hemoglobin declined to ..." or "a decline of renal
# function"; context_rules.json has "<patient> declined/refused" instead.
_DROPPED_DEFAULT_RULES = frozenset({": no", "decline"})


def add_context(nlp: Language) -> None:
    """Append medspaCy's ConText with its default rules (less a few) and ours."""
    _silence_pyrush()
    from medspacy.context import ConTextRule

    context = nlp.add_pipe("medspacy_context", config={"rules": None})
    defaults = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
    context.add([rule for rule in defaults if rule.literal not in _DROPPED_DEFAULT_RULES])
    context.add(ConTextRule.from_json(str(resources.path("context_rules.json"))))


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
