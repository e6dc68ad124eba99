"""Typed results of the NLP stage; `Extraction.to_dict()` is the JSON contract."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "age",
    "mrn",
    "date_of_service",
    "provider",
)

ASSERTIONS = ("present", "negated", "possible", "hypothetical", "historical", "family")


@dataclass(frozen=True, slots=True)
class Field:
    """A demographic value with its evidence span in the text."""

    value: str
    start: int
    end: int
    confidence: float


@dataclass(frozen=True, slots=True)
class CodeSuggestion:
    code: str
    description: str
    score: float


@dataclass(frozen=True, slots=True)
class Mention:
    """A problem, procedure or medication mentioned in the text."""

    text: str
    start: int
    end: int
    assertion: str = "present"
    icd10cm: tuple[CodeSuggestion, ...] = ()
    section: str | None = None
    confidence: float = 1.0
    # False when the text is too vague for a specific ICD-10-CM code (coding.is_specific).
    specific: bool = True
    # A medication's generic name or a procedure's canonical name, from the lexicon that found
    # it ("Marcaine" -> "bupivacaine"); None for problems, which carry icd10cm instead.
    normalized: str | None = None
    # Proposed for the chart: False for a problem in a section a coder does not code from (an
    # operative narrative's "no further bleeding was identified", a medication list's "for
    # infection", discharge instructions) and for a repeat of another problem (pipeline.py:
    # _charted_once), which the review desk lists apart and approval leaves out unless the
    # technician charts it. Always True for procedures and medications.
    charted: bool = True
    # Codes charted together with the first of `icd10cm`, as a coder assigns several for one
    # problem (combinations.py): a diabetes with hyperglycemia and chronic kidney disease is
    # E11.65 and E11.22; "diabetic gastroparesis" is E11.43 and K31.84 ("use additional code").
    also: tuple[CodeSuggestion, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentType:
    value: str  # history_and_physical, consultation, progress_note, ...
    confidence: float


@dataclass(frozen=True, slots=True)
class Deficiency:
    code: str  # missing_mrn, missing_provider, conflicting_sex, ...
    message: str


@dataclass(frozen=True, slots=True)
class Extraction:
    demographics: dict[str, Field | None]
    problems: tuple[Mention, ...] = ()
    procedures: tuple[Mention, ...] = ()
    medications: tuple[Mention, ...] = ()
    document_type: DocumentType | None = None
    deficiencies: tuple[Deficiency, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "demographics": {
                name: (asdict(value) if value is not None else None)
                for name, value in ((n, self.demographics.get(n)) for n in DEMOGRAPHIC_FIELDS)
            },
            "problems": [asdict(m) for m in self.problems],
            "procedures": [asdict(m) for m in self.procedures],
            "medications": [asdict(m) for m in self.medications],
            "document_type": asdict(self.document_type) if self.document_type else None,
            "deficiencies": [asdict(d) for d in self.deficiencies],
        }
