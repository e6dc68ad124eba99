"""The note's text kept on its Doc, and a tokenizer wrapper that lets spaCy's cache work.

`Doc.text` is rebuilt on every access by joining every token's text (a Python Token object per
token, ~0.3 ms for a typical note), and five components used to ask for it. The tokenizer
wrapper stores the input string, which is what `Doc.text` would rebuild, in `doc.user_data`.

spaCy's tokenizer caches how each whitespace-separated chunk splits, but stops caching for the
rest of a document once any chunk hits a special case ("Dr.", "'s", "a.m."): spaCy issue
#1250's guard is per document, not per chunk. Clinical notes hit one early, so most chunks were
re-split with the prefix/suffix/infix regexes every time. Tokenizing each chunk not seen before
on its own first fills the cache exactly as spaCy would (same tokens; chunks with a special case
are still never cached), and the note itself then mostly hits it.
"""

from __future__ import annotations

from typing import Any

from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

TEXT_KEY = "chartdrop_text"
# Bound on the chunks remembered as already tokenized (spaCy's own cache is unbounded anyway).
MAX_SEEN_CHUNKS = 200_000


def doc_text(doc: Doc) -> str:
    """`doc.text`, from the copy the tokenizer kept when there is one."""
    text = doc.user_data.get(TEXT_KEY)
    return text if text is not None else doc.text


class CachingTokenizer:
    """Callable like spaCy's Tokenizer (same Docs); other attributes are the wrapped one's."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.seen: set[str] = set()

    def __call__(self, text: str) -> Doc:
        tokenize = self.tokenizer
        new = set(text.split()) - self.seen
        if new:
            if len(self.seen) > MAX_SEEN_CHUNKS:
                self.seen.clear()
            for chunk in new:
                tokenize(chunk)
            self.seen |= new
        doc = tokenize(text)
        doc.user_data[TEXT_KEY] = text
        return doc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tokenizer, name)
