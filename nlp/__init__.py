"""chartdrop's NLP stage: note text in, `Extraction` (demographics, problems with ICD-10-CM
suggestions and assertions, procedures, medications, document type, deficiencies) out."""

from .pipeline import extract, extract_many, warm_up
from .types import Extraction

__all__ = ["Extraction", "extract", "extract_many", "warm_up"]
