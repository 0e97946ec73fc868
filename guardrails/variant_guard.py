"""The guard function the variant writer calls: (channel, fields) -> (verdict, findings).

Variants have named fields (`subject`, `preheader`, `body`, `call_to_action`
for e-mail; `title`, `body` for push; `text` for SMS). Each field is checked
on its own (PII, creepy rules, template syntax), with `field` set to its name
and offsets into it; the channel rules see the subject/title and the other
fields joined as the body. Render templates with sample values first: a
leftover `{{ placeholder }}` blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.check_message import channel_findings, text_findings
from guardrails.findings import Verdict
from guardrails.message import Message
from guardrails.pii_engine import analyze_texts
from guardrails.pii_findings import pii_findings
from guardrails.policy import Policy, default_policy

HEAD = {"email": "subject", "push": "title"}


def guard_fields(
    channel: str,
    fields: Mapping[str, str],
    policy: Policy | None = None,
    values: Mapping[str, str] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The verdict and finding dicts for one variant's fields (see module doc)."""
    policy = policy or default_policy()
    head = HEAD.get(channel)
    body = "\n\n".join(v for k, v in fields.items() if k != head and v)
    message = Message(
        "variant", channel, body, fields.get(head) if head else None, {}, dict(values or {})
    )
    findings = channel_findings(message, policy)
    texts = [(k, v) for k, v in fields.items() if v]
    for (name, text), res in zip(texts, analyze_texts([v for _, v in texts]), strict=True):
        findings += pii_findings(
            text, res, policy, allowed_values=message.allowed_values, field=name
        )
        findings += text_findings(text, policy, name)
    verdict = Verdict.of("variant", findings)
    return verdict.verdict, [f.to_dict() for f in verdict.findings]
