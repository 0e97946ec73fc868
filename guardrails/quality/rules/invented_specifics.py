"""No invented dates, holidays, offers, places or people.

The model knows nothing about the reader's calendar, town or friends, and the
offer comes from the incentive catalog through `{{ incentive }}`: a date
("the 4th of July"), a holiday, an amount ("20% off"), a place ("the beach",
"Miami") or a name ("Coach Anna") in the copy is made up. Listed words come
from the policy; names and places are found as capitalised words that do not
start a sentence and are not the brand's own words (a Title Case subject line
is read as a headline, not as names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext, stem
from guardrails.quality.rules import Hit

DATE = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
AMOUNT = re.compile(r"[$€£]\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:%|percent\b|dollars?\b|euros?\b)")


def _listed(copy: CopyText, words: list[str], what: str) -> list[Hit]:
    if not words:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    return [
        Hit(
            name,
            m.start(),
            m.end(),
            f"'{m.group(0)}' is {what} the model made up; "
            "leave it out (it knows nothing about the reader's calendar or town).",
        )
        for name, text in copy.items()
        for m in pattern.finditer(text)
    ]


def _is_headline(words: list[str]) -> bool:
    capitals = sum(1 for w in words if w[:1].isupper())
    return len(words) >= 3 and capitals >= 0.6 * len(words)


def _proper_nouns(copy: CopyText, ctx: QualityContext, allow: set[str]) -> list[Hit]:
    hits = []
    by_field: dict[str, list] = {}
    for w in copy.words():
        by_field.setdefault(w.field, []).append(w)
    for name, words in by_field.items():
        if _is_headline([w.text for w in words]):
            continue
        for w in words:
            plain = w.lower.strip("'")
            if (
                w.sentence_start
                or not w.text[:1].isupper()
                or w.text.isupper()  # acronyms (HIIT, OK) are not names
                or plain in allow
                or stem(plain) in ctx.brand_words
            ):
                continue
            hits.append(
                Hit(
                    name,
                    w.start,
                    w.end,
                    f"'{w.text}' looks like a name or a place the model "
                    "made up; the copy may name only the brand's own things.",
                )
            )
    return hits


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """Hits for dates, holidays, amounts, place words and unknown names."""
    hits = []
    for name, text in copy.items():
        masked = re.sub(r"\{\{[^}]*\}\}", lambda m: " " * len(m.group(0)), text)
        for m in DATE.finditer(masked):
            hits.append(
                Hit(
                    name,
                    m.start(),
                    m.end(),
                    f"'{m.group(0)}' is a date the model made up; the copy must not invent dates.",
                )
            )
        for m in AMOUNT.finditer(masked):
            hits.append(
                Hit(
                    name,
                    m.start(),
                    m.end(),
                    f"'{m.group(0)}' is an offer the model "
                    "made up; the offer comes from {{ incentive }} only.",
                )
            )
    hits += _listed(copy, list(params.get("holidays", ())), "a holiday")
    hits += _listed(copy, list(params.get("calendar_words", ())), "a date")
    hits += _listed(copy, list(params.get("places", ())), "a place")
    hits += _proper_nouns(copy, ctx, {str(w).lower() for w in params.get("allow_names", ())})
    return _outermost(hits)


def _outermost(hits: list[Hit]) -> list[Hit]:
    """One hit per place: a hit inside another one's span ('4th' in '4th of July') is dropped.

    Of two hits on the same span the first found wins (a listed date before "looks like a
    name": 'Saturday'); duplicates are dropped in order, not through a set, whose order
    changes with the interpreter's string hashing and made the message differ run to run."""
    out: list[Hit] = []
    for h in sorted(dict.fromkeys(hits), key=lambda h: (h.field, h.start, -h.end)):
        if out and out[-1].field == h.field and h.end <= out[-1].end:
            continue
        out.append(h)
    return out
