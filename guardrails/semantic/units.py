"""What the semantic layer embeds: a field and its sentences, names replaced.

`units(text, first_name)` returns the spans to score: the whole field and,
when it has more than one, each sentence (split after `.`, `!`, `?`, `…`
and line breaks, keeping the punctuation). A whole message carries context
("Still on crutches? Our seated class is for you") and a sentence carries
focus (one line of surveillance inside a long friendly e-mail), so both are
scored and the category's best unit wins.

Before embedding, the recipient's first name becomes `STAND_IN` ("Alex"): in
a batch, "Hi Dana, ..." and "Hi Tom, ..." are then one unit, embedded once.
Opt-out and unsubscribe sentences ("You can unsubscribe from these e-mails
at any time.", "Reply STOP to opt out.") are compliance text the agent adds
itself, not copy about the reader: they are left out of every unit, so the
meaning check neither scores them nor lets them colour the whole message.
A field with more than `MAX_UNITS` sentences is scored on its first ones
only (the caller reports that), and each unit is cut to `MAX_UNIT_CHARS`
(e5 reads at most 512 tokens anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STAND_IN = "Alex"
MAX_UNITS = 48
MAX_UNIT_CHARS = 1_000
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")


@dataclass(frozen=True, slots=True)
class Unit:
    """A span `[start, end)` of the field and the normalized text to embed."""

    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """`[start, end)` of each non-blank sentence, stripped of surrounding spaces."""
    spans, pos = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for start, end in spans:
        chunk = text[start:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            out.append((start + lead, start + len(chunk.rstrip())))
    return out


def normalize(text: str, first_name: str | None) -> str:
    """Collapse whitespace, replace the first name by the stand-in, cut to the unit limit."""
    text = " ".join(text.split())
    name = (first_name or "").strip()
    if name and name.lower() != STAND_IN.lower():
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", STAND_IN, text)
    return text[:MAX_UNIT_CHARS]


def units(
    text: str, first_name: str | None = None, skip: re.Pattern[str] | None = None
) -> tuple[list[Unit], bool]:
    """The units of one field, and whether sentences beyond `MAX_UNITS` were left out.

    Sentences that `skip` finds (opt-out lines) are not units and not part of the whole.
    """
    spans = sentence_spans(text)
    if skip is not None:
        spans = [(s, e) for s, e in spans if not skip.search(text[s:e])]
    if not spans:
        return [], False
    kept = " ".join(text[s:e] for s, e in spans)
    whole = Unit(spans[0][0], spans[-1][1], normalize(kept, first_name))
    if len(spans) == 1:
        return [whole], False
    cut = len(spans) > MAX_UNITS
    sentences = [Unit(s, e, normalize(text[s:e], first_name)) for s, e in spans[:MAX_UNITS]]
    return [whole, *sentences], cut
