"""Variants of a segment are distinct from each other.

Two near-identical variants split a segment for nothing: the lift report can
tell them apart only by noise. Similarity is the Jaccard index of the content
stems of the whole variant; a candidate at or above the policy's limit with a
variant already kept for the segment is a near-duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit


def similarity(a: CopyText, b: CopyText) -> float:
    """Jaccard index of two variants' content stems (0 = nothing shared, 1 = the same words)."""
    sa, sb = a.stems(), b.stems()
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """A hit when this variant is a near-copy of one of its siblings."""
    limit = float(params.get("max_similarity", 0.7))
    best = max((similarity(copy, other) for other in ctx.siblings), default=0.0)
    if best >= limit:
        field, text = copy.main
        return [
            Hit(
                field,
                0,
                len(text),
                f"Nearly the same as another variant of this segment "
                f"({best:.0%} the same words); make each variant try a different angle.",
            )
        ]
    return []
