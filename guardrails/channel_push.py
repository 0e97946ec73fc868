"""Push rules: title and body length.

Lock screens truncate titles beyond about 50 characters and bodies beyond
about 178 (iOS; Android shows less when collapsed). Limits and severity:
`channels.push.max_title_chars`, `max_body_chars`, `length_severity`.
The title is checked as its own field (`field: "title"`).
"""

from __future__ import annotations

from guardrails.findings import Finding
from guardrails.policy import Policy


def check_push(title: str | None, body: str, policy: Policy) -> list[Finding]:
    """Title and body length findings."""
    cfg = policy.channel("push")
    severity = cfg.get("length_severity", "block")
    if severity == "off":
        return []
    findings = []
    for field, text, limit in (
        ("title", title or "", cfg.get("max_title_chars", 50)),
        ("text", body, cfg.get("max_body_chars", 178)),
    ):
        if len(text) > limit:
            findings.append(
                Finding(
                    f"push_{'title' if field == 'title' else 'body'}_too_long",
                    "channel",
                    severity,
                    limit,
                    len(text),
                    f"Push {field if field == 'title' else 'body'} is {len(text)} characters; "
                    f"the lock screen shows about {limit}",
                    field,
                )
            )
    return findings
