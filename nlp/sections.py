"""Section detection ("PAST MEDICAL HISTORY:", "family history is positive for ..."), rules in
`resources/sections.json`. Kept in-house rather than medspaCy's sectionizer: that one matches
literal header spellings only and lacks several we need (e.g. "ASSESSMENT AND PLAN:" and any
dictated header without a colon).
"""

import bisect
import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from . import resources
from .doctext import doc_text
from .fastregex import Caseless

_DATA = resources.read_json("sections.json")
# What a problem mentioned in a section is, unless ConText says more ("historical" in PMH).
SECTION_ASSERTIONS: dict[str, str] = {
    entry["category"]: entry["assertion"] for entry in _DATA["sections"] if "assertion" in entry
}
# Sections a coder does not code problems from (`coded_from: false`): deficiencies.py.
NOT_CODED_FROM = frozenset(
    entry["category"] for entry in _DATA["sections"] if entry.get("coded_from") is False
)
# The section a coder codes from first: assessment, impression, plan, diagnoses.
CODED_SECTION = "assessment_and_plan"


@dataclass(frozen=True, slots=True)
class Section:
    category: str
    start: int  # character offset of the header
    body_start: int  # first character after the header
    end: int  # where the next section begins (or the end of the text)


class SectionRules:
    def __init__(self) -> None:
        data = _DATA
        self.category_of: dict[str, str] = {}
        for entry in data["sections"]:
            for header in entry["headers"]:
                self.category_of[_key(header)] = entry["category"]
        headers = sorted(self.category_of, key=len, reverse=True)
        alternation = "|".join(r"[ \t]+".join(map(re.escape, h.split(" "))) for h in headers)
        followers = "|".join(map(re.escape, data["spoken_followers"]))
        # Caseless (fastregex.py): matched on the lower-cased text; offsets and the lower-case
        # header are all that is used.
        self.pattern = Caseless(
            # MTSamples-style exports put a comma between sections: "...eye.,PROCEDURE: ..."
            # (or after a sentence's closing quote or bracket: '... how much "it hurts.",PMH:')
            rf"(?:^|(?<=[\n.!?])|(?<=[\n.!?:],)|(?<=[.!?][\"')],))[ \t]*(?P<h>{alternation})"
            rf"(?:[ \t]*(?P<colon>:)|[ \t]*,?[ \t]+(?={followers}\b)|(?P<comma>,)(?=[ \t]*\S))",
            re.MULTILINE,
        )

    def find(self, text: str) -> list[Section]:
        hits: list[tuple[int, int, str]] = []
        shouting = _mostly_upper(text)
        for m in self.pattern.finditer(text):
            # Dictated headers (no colon) only count at the start of a sentence.
            if m.group("colon") is None and not _sentence_start(text, m.start("h")):
                continue
            # MTSamples exports also drop the colon: "...trachea.,POSTOPERATIVE DIAGNOSES,1.
            # ...". A header then followed by a bare comma counts only in capitals, in a note
            # not written all in capitals ("MEDICATIONS, INCLUDING ASPIRIN, WERE HELD.").
            header = text[m.start("h") : m.end("h")]  # as written: the match is lower-case
            if m.group("comma") and (shouting or not header.isupper()):
                continue
            category = self.category_of[_key(m.group("h"))]
            hits.append((m.start("h"), m.end(), category))
        sections = []
        for n, (start, body, category) in enumerate(hits):
            end = hits[n + 1][0] if n + 1 < len(hits) else len(text)
            sections.append(Section(category, start, body, end))
        return sections


def _key(header: str) -> str:
    return " ".join(header.lower().split())


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text[:2000] if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.7 * len(letters)


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t")
    if before.endswith(","):  # the MTSamples section break ".,"
        before = before[:-1].rstrip("\"')")
    return not before or before[-1] in "\n.!?:"


def section_at(sections: list[Section], offset: int) -> Section | None:
    """The section containing a character offset."""
    starts = [s.body_start for s in sections]
    n = bisect.bisect_right(starts, offset) - 1
    return sections[n] if n >= 0 and offset < sections[n].end else None


class SectionDetector:
    def __init__(self) -> None:
        self.rules = SectionRules()
        if not Doc.has_extension("sections"):
            Doc.set_extension("sections", default=None)

    def __call__(self, doc: Doc) -> Doc:
        doc._.sections = self.rules.find(doc_text(doc))
        return doc


@Language.factory("chartdrop_sections")
def make_sections(nlp: Language, name: str) -> SectionDetector:
    return SectionDetector()
