"""From a variant's fields to the subject and body a user receives.

The model writes the creative fields; compliance text is not left to it:
- e-mail: preheader, body and call to action become one body, followed by a
  fixed unsubscribe line (your ESP turns it into its footer link);
- SMS: "Reply STOP to opt out." is appended when the text has no opt-out;
- push: title and body as written.

`guard_template` checks a composed variant with placeholder-safe sample values
(the guardrails' full check), which is how the variant writer decides whether
a variant needs a revision before any user is rendered.
"""

from __future__ import annotations

import re
from typing import Any

from agent.drafts.template import compile_template
from guardrails.check_message import check_message
from guardrails.message import Message
from guardrails.policy import Policy

EMAIL_FOOTER = "You can unsubscribe from these e-mails at any time."
SMS_OPT_OUT = "Reply STOP to opt out."
OPT_OUT = re.compile(r"\b(stop|opt[- ]?out|unsubscribe)\b", re.IGNORECASE)
SAMPLE_VALUES = {
    "first_name": "Alex",
    "favorite_category": "yoga",
    "days_since_last_activity": "12",
    "incentive": "20% off your next month",
}


def compose(channel: str, fields: dict[str, str]) -> tuple[str | None, str]:
    """(subject or title, body) templates for a variant's fields."""
    if channel == "email":
        parts = [fields.get("preheader", ""), fields.get("body", ""), fields.get("call_to_action")]
        body = "\n\n".join(p.strip() for p in parts if p and p.strip())
        if not OPT_OUT.search(body):
            body = f"{body}\n\n{EMAIL_FOOTER}"
        return fields.get("subject", "").strip(), body
    if channel == "sms":
        text = fields.get("text", "").strip()
        if not OPT_OUT.search(text):
            text = f"{text} {SMS_OPT_OUT}"
        return None, text
    if channel == "push":
        return fields.get("title", "").strip(), fields.get("body", "").strip()
    raise ValueError(f"unknown channel {channel!r}")


def render_sample(template: str, placeholders: list[str]) -> str:
    """A template rendered with placeholder-safe sample values."""
    compiled = compile_template(template, placeholders)
    values = {name: SAMPLE_VALUES.get(name, name.replace("_", " ")) for name in compiled.names}
    return compiled.render(values)


def guard_template(
    channel: str,
    fields: dict[str, str],
    *,
    placeholders: list[str],
    policy: Policy,
    incentive: dict[str, Any] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Verdict and findings of a variant, composed and rendered with sample values."""
    subject, body = compose(channel, fields)
    values = {k: v for k, v in SAMPLE_VALUES.items() if k in placeholders}
    message = Message(
        id="variant",
        channel=channel,
        text=render_sample(body, placeholders),
        subject=render_sample(subject, placeholders) if subject else None,
        recipient={"first_name": SAMPLE_VALUES["first_name"]},
        values=values,
        incentive=incentive,
    )
    verdict = check_message(message, policy)
    return verdict.verdict, [f.to_dict() for f in verdict.findings]
