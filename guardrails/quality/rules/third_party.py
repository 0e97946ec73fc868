"""No third parties: the copy is about the reader, not "she", "a new member" or "her family".

A small model likes to tell a story about somebody else ("We have a new
member who ... She loves going to the beach with her family"). Pronouns for a
third person and the words for other people are listed in the policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """A hit for each third-person pronoun or word for another person."""
    pronouns = set(params.get("pronouns", ()))
    hits = [
        Hit(
            w.field,
            w.start,
            w.end,
            f"'{w.text}' is someone other than the reader; write about the reader ('you') only.",
        )
        for w in copy.words()
        if w.lower in pronouns
    ]
    phrases = params.get("phrases", ())
    if phrases:
        pattern = re.compile(
            r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.IGNORECASE
        )
        for name, text in copy.items():
            for m in pattern.finditer(text):
                hits.append(
                    Hit(
                        name,
                        m.start(),
                        m.end(),
                        f"'{m.group(0)}' brings in another person; "
                        "the message is about the reader and the brand only.",
                    )
                )
    return hits
