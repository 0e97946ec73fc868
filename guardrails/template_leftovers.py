"""Unresolved placeholders and template syntax in rendered output.

A message that reaches a customer as "Hi {{ first_name }}" or "Hi [FIRST
NAME]" is broken and shows the machinery. Any of `template_syntax.patterns`
(Jinja `{{ }}`, `{% %}`, `{# #}`, `{name}`, `${name}`, `[FIRST NAME]`,
`%FIRST_NAME%`, Mailchimp `*|FNAME|*`, `<<name>>`) is flagged with
`template_syntax.severity`.
"""

from __future__ import annotations

import re
from functools import cache

from guardrails.findings import Finding, quote
from guardrails.policy import Policy

DEFAULT_PATTERNS = (
    r"\{\{.*?\}\}",
    r"\{%.*?%\}",
    r"\{#.*?#\}",
    r"\$?\{\s*[A-Za-z_][\w.]*\s*\}",
    r"\[\s*[A-Z][A-Z_ ]{2,}\s*\]",
    r"%[A-Z][A-Z_]{2,}%",
    r"\*\|[A-Z_]+\|\*",
    r"<<\s*\w+\s*>>",
    r"\[\s*(?i:link|url|name|first[ _]?name|date|offer|discount|code|cta|button)\s*\]",
)


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.DOTALL)


def check_template_leftovers(text: str, policy: Policy, field: str = "text") -> list[Finding]:
    """Findings for template syntax left in `text`."""
    cfg = policy.template_syntax
    severity = cfg.get("severity", "block")
    if severity == "off":
        return []
    regex = _compiled(tuple(cfg.get("patterns", DEFAULT_PATTERNS)))
    return [
        Finding(
            "unresolved_placeholder",
            "template",
            severity,
            m.start(),
            m.end(),
            f"Unresolved placeholder or template syntax: {quote(text, m.start(), m.end())}",
            field,
        )
        for m in regex.finditer(text)
    ]
