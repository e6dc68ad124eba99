"""chartdrop's NLP stage: note text in, `Extraction` (demographics, problems with ICD-10-CM
suggestions and assertions, procedures, medications, document type, deficiencies) out."""

from .pipeline import extract, warm_up
from .types import Extraction

__all__ = ["Extraction", "extract", "warm_up"]
