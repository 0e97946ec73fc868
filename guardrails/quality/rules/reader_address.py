"""Copy speaks to the reader: second person, and no first-person narrator.

"We have a new member who..." tells a story about someone else; "I loved
my run" is a narrator. Win-back copy talks to *you* (or by the reader's
`{{ first_name }}`); the brand may say "we".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit


def find_no_second_person(
    copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]
) -> list[Hit]:
    """A hit when no word or placeholder of the copy addresses the reader."""
    words = {w.lower for w in copy.words()}
    if words & set(params.get("words", ())):
        return []
    if any(name in params.get("placeholders", ()) for _, name, _, _ in copy.placeholders()):
        return []
    field, text = copy.main
    return [
        Hit(
            field,
            0,
            len(text),
            "The copy never speaks to the reader: write to them as 'you' (or by "
            "{{ first_name }}), not about someone else.",
        )
    ]


def find_first_person(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """A hit for each first-person-singular word ('I', 'my'): a narrator, not the brand."""
    banned = set(params.get("words", ()))
    return [
        Hit(
            w.field,
            w.start,
            w.end,
            f"'{w.text}' makes the copy a first-person story; speak as the brand ('we') "
            "to the reader ('you').",
        )
        for w in copy.words()
        if w.lower in banned
    ]
