"""The shape of a creepy-factor rule: one concern, its words in the policy.

A rule is a small class that names its concern (`code`, `category`, and the
sentence a reviewer reads, `describe`). What it matches lives in the policy
(`rules.<name>` in `default_policy.yaml`):

- `terms`: regular expressions matched case-insensitively as whole words
  (`diabetes`, `blood pressure`, `(?:are|were) you depressed`);
- `allow`: expressions for ordinary phrases that contain a term; a match that
  overlaps an allowed phrase is dropped ("health journey", "weight room");
- `severity`: `block`, `warn` or `off`; `enabled: false` switches it off.

A term about a personal attribute is dropped when it describes a product,
venue, menu or show rather than the reader ("wheelchair-accessible studio",
"a documentary about refugees"; `guardrails.rules.about_things`); rules
about what the sender does (surveillance, shaming, urgency) never are.

A subclass overrides `spans()` when a concern needs more than a word list
(for example a check on the matched text). Rules are pure and cheap: the
batch path runs them once per distinct template and value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from guardrails.findings import Finding, quote
from guardrails.rules.about_things import about_a_thing

# categories whose terms describe the sender's conduct, never a thing
CONDUCT = ("surveillance", "shaming", "urgency")


def compile_terms(terms: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word alternation of `terms` (None when empty)."""
    if not terms:
        return None
    body = "|".join(f"(?:{t})" for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’])(?:{body})(?![\w])", re.IGNORECASE)


class Rule:
    """A creepy-factor rule configured by its policy section (see module doc)."""

    name: ClassVar[str]
    code: ClassVar[str]
    category: ClassVar[str]
    describe: ClassVar[str]

    def __init__(self, settings: dict[str, Any]) -> None:
        self.enabled = settings.get("enabled", True) and settings.get("severity") != "off"
        self.severity = settings.get("severity", "block")
        self.settings = settings
        self.terms = compile_terms(list(settings.get("terms", [])))
        self.allow = compile_terms(list(settings.get("allow", [])))

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """The `[start, end)` spans this rule flags in `text`."""
        if self.terms is None:
            return
        allowed = [m.span() for m in self.allow.finditer(text)] if self.allow else []
        things = self.category not in CONDUCT
        for m in self.terms.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in allowed):
                continue
            if things and about_a_thing(text, m.start(), m.end()):
                continue
            yield m.span()

    def check(self, text: str, field: str = "text") -> list[Finding]:
        """Findings for `text`, one per flagged span."""
        if not self.enabled:
            return []
        return [
            Finding(
                self.code,
                self.category,
                self.severity,
                start,
                end,
                f"{self.describe}: {quote(text, start, end)}",
                field,
            )
            for start, end in self.spans(text)
        ]
