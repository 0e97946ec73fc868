"""No links and no bracket placeholders the ESP will not fill.

Links come from the campaign's `link` at export (with UTM parameters), so a
URL the model wrote is invented. "[Name]", "{name}", "<link>", "XXX" or
"___" are placeholders nothing will ever fill: the reader would see them as
written. Only the allow-listed `{{ ... }}` placeholders are filled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit

LINK = re.compile(
    r"https?://\S+|\bwww\.\S+|\b[\w-]+\.(?:com|net|org|io|app|co|ly)\b(?:/\S*)?", re.IGNORECASE
)
BRACKETS = re.compile(
    r"\[[^\[\]]{1,40}\]|(?<!\{)\{(?!\{)[^{}]{1,40}\}(?!\})|<[^<>]{1,40}>|\bX{3,}\b|_{3,}|%s\b"
    r"|\$[A-Za-z_]+\b"
)


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """Hits for links and for placeholders outside the `{{ name }}` allow-list syntax."""
    hits = []
    for name, text in copy.items():
        for m in LINK.finditer(text):
            link = m.group(0).rstrip(".,;:!?)")
            hits.append(
                Hit(
                    name,
                    m.start(),
                    m.start() + len(link),
                    f"'{link}' is a link the model "
                    "made up; the landing page comes from the campaign's link at export.",
                )
            )
        for m in BRACKETS.finditer(text):
            hits.append(
                Hit(
                    name,
                    m.start(),
                    m.end(),
                    f"'{m.group(0)}' is a placeholder the "
                    "e-mail tool will not fill; the reader would see it as written.",
                )
            )
    return hits
