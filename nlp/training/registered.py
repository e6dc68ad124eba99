"""`spacy train --code` hook: registers chartdrop's functions that config.cfg names."""

import chartdrop.nlp.mentions  # noqa: F401 (registers chartdrop.tagged_mentions_scorer.v1)
