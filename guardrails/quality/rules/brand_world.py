"""The copy stays in the brand's world: at least one of the campaign's category or product words.

"Your work is being offered to you, so be sure to act now!" could be about
anything. The brand's words are the campaign's `brand_words`, or, when it
lists none, the content words of its own copy (baseline copy and examples);
a placeholder that carries the brand's world (`{{ favorite_category }}`)
counts too. With no brand words at all the rule has nothing to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext, stem
from guardrails.quality.rules import Hit


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """A hit when no word of the copy belongs to the brand's world."""
    if not ctx.brand_words:
        return []
    if any(name in params.get("placeholders", ()) for _, name, _, _ in copy.placeholders()):
        return []
    if any(stem(w.text) in ctx.brand_words for w in copy.words()):
        return []
    field, text = copy.main
    shown = ", ".join(sorted(ctx.brand_words)[:6])
    return [
        Hit(
            field,
            0,
            len(text),
            "The copy never mentions what the brand offers; use the "
            f"campaign's own words (e.g. {shown}) so the reader knows what it is about.",
        )
    ]
