"""Subject and preheader do not repeat each other.

The inbox shows them side by side; a preheader that says the subject again
wastes the second line. Overlap is the share of the shorter line's content
words (stems) found in the other; the limit comes from the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext, stem
from guardrails.quality.rules import Hit


def _stems(copy: CopyText, field: str, stop: set[str]) -> set[str]:
    return {stem(w.text) for w in copy.words(only=field) if w.lower not in stop}


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """A hit on the preheader when it repeats the subject."""
    if copy.channel != "email":
        return []
    stop = set(params.get("stopwords", ()))
    subject, pre = _stems(copy, "subject", stop), _stems(copy, "preheader", stop)
    text = copy.fields.get("preheader") or ""
    if not subject or not pre:
        return []
    overlap = len(subject & pre) / min(len(subject), len(pre))
    if overlap >= float(params.get("max_overlap", 0.6)):
        return [
            Hit(
                "preheader",
                0,
                len(text),
                f"The preheader repeats the subject "
                f"({overlap:.0%} of its words); use it to add something new.",
            )
        ]
    return []
