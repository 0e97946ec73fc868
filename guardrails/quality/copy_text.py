"""The copy a quality rule reads: one variant's fields, tokenized once.

A variant is a template (`{{ first_name }}` and friends stay in it), so the
rules read words around placeholders: a placeholder is one token of its own
kind, never a word, never a proper noun. `CopyText` holds the variant's
fields in display order and the helpers every rule needs (words with their
offsets, sentences, stems), so that each rule file stays a few lines of
judgement. `QualityContext` is what the campaign says about its world: the
allowed placeholders, the brand's words and the sibling variants a candidate
must differ from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

# the field a reader meets first comes first; the body carries the message
COPY_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "preheader", "body", "call_to_action"),
    "sms": ("text",),
    "push": ("title", "body"),
}
MAIN_FIELD = {"email": "body", "sms": "text", "push": "body"}


@dataclass(frozen=True)
class Word:
    """One word of one field, with its offsets in that field."""

    field: str
    text: str
    start: int
    end: int
    sentence_start: bool  # first word of its sentence (a capital letter there says nothing)

    @property
    def lower(self) -> str:
        """The word in lower case, with a typographic apostrophe made plain."""
        return self.text.lower().replace("’", "'")


def stem(word: str) -> str:
    """A crude English stem: `classes` and `class` match, so do `workouts` and `workout`."""
    w = word.lower().replace("’", "'").removesuffix("'s")
    if len(w) <= 3 or w.endswith("ss"):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return w[:-2]
    for suffix in ("ing", "ed", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


@dataclass(frozen=True)
class CopyText:
    """One variant's fields (templates), as the quality rules read them."""

    channel: str
    fields: Mapping[str, str]

    def items(self) -> Iterator[tuple[str, str]]:
        """(field, text) in display order, empty fields skipped."""
        for name in COPY_FIELDS[self.channel]:
            text = self.fields.get(name) or ""
            if text.strip():
                yield name, text

    @property
    def main(self) -> tuple[str, str]:
        """The field that carries the message (body or text) and its text."""
        name = MAIN_FIELD[self.channel]
        return name, self.fields.get(name) or ""

    def words(self, only: str | None = None) -> list[Word]:
        """Every word outside placeholders, with its field and offsets."""
        out: list[Word] = []
        for name, text in self.items():
            if only and name != only:
                continue
            masked = PLACEHOLDER.sub(lambda m: "\0" * len(m.group(0)), text)
            prev_end = 0
            for m in WORD.finditer(masked):
                gap = masked[prev_end : m.start()]
                first = prev_end == 0 or bool(re.search(r"[.!?:\n]", gap))
                if prev_end == 0 and not gap.strip(" \"'"):
                    first = True
                out.append(Word(name, m.group(0), m.start(), m.end(), first))
                prev_end = m.end()
        return out

    def placeholders(self) -> list[tuple[str, str, int, int]]:
        """(field, name, start, end) of every placeholder."""
        return [
            (name, m.group(1), m.start(), m.end())
            for name, text in self.items()
            for m in PLACEHOLDER.finditer(text)
        ]

    def sentences(self, only: str | None = None) -> list[tuple[str, str, int]]:
        """(field, sentence, start) for each sentence of each field."""
        out = []
        for name, text in self.items():
            if only and name != only:
                continue
            pos = 0
            for part in SENTENCE_END.split(text):
                start = text.find(part, pos)
                if part.strip():
                    out.append((name, part, max(start, 0)))
                pos = max(start, 0) + len(part)
        return out

    def stems(self) -> set[str]:
        """Stems of the content words (for distinctness and overlap)."""
        return {stem(w.text) for w in self.words() if len(w.text) > 2}


@dataclass(frozen=True)
class QualityContext:
    """What the campaign says about its world, for one segment and channel."""

    placeholders: tuple[str, ...] = ()
    brand_words: frozenset[str] = frozenset()  # stems
    siblings: tuple[CopyText, ...] = ()  # variants this one must differ from
    extra: Mapping[str, object] = field(default_factory=dict)
