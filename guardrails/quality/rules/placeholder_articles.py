"""A placeholder whose value brings its own article must not follow one.

Offers read "a free week of Premium" or "20% off your next order": written
after "a little", "your" or "the", the reader sees "a little a free week of
Premium". The copy reads right only when the placeholder stands where a whole
noun phrase can ("enjoy {{ incentive }}", "here is {{ incentive }}").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit

DETERMINERS = "a|an|the|your|our|my|his|her|their|its|this|that|these|those|some|any|every|each|no"


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """Hits for a determiner (and at most one word) right before a noun-phrase placeholder."""
    names = [n for n in params.get("placeholders", ["incentive"]) if n in ctx.placeholders]
    if not names:
        return []
    pattern = re.compile(
        rf"\b(?:{DETERMINERS})\s+(?:[\w'-]+\s+)?\{{\{{\s*(?:{'|'.join(map(re.escape, names))})"
        r"\s*\}\}",
        re.IGNORECASE,
    )
    return [
        Hit(
            name,
            m.start(),
            m.end(),
            f"'{m.group(0)}': the placeholder brings its own words (e.g. 'a free week of "
            "Premium'), so the reader would see two articles; write 'enjoy {{ ... }}' or "
            "'here is {{ ... }}'.",
        )
        for name, text in copy.items()
        for m in pattern.finditer(text)
    ]
