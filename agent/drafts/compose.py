"""From a variant's fields to the subject and body templates a user receives.

The model writes the creative fields; compliance text is not left to it:
- e-mail: preheader, body and call to action become one body, followed by a
  fixed unsubscribe line (your ESP turns it into its footer link);
- SMS: "Reply STOP to opt out." is appended when the text has no opt-out;
- push: title and body as written.

`render_sample` and `render_preview` fill a composed template with stand-in
values (`agent.drafts.placeholders`), for the checks and previews that run
before any real user is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agent.drafts.placeholders import SAMPLE_VALUES, sample_value
from agent.drafts.template import compile_template

EMAIL_FOOTER = "You can unsubscribe from these e-mails at any time."
SMS_OPT_OUT = "Reply STOP to opt out."
OPT_OUT = re.compile(r"\b(stop|opt[- ]?out|unsubscribe)\b", re.IGNORECASE)


def compose(channel: str, fields: Mapping[str, str]) -> tuple[str | None, str]:
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
    return compiled.render({name: sample_value(name) for name in compiled.names})


def render_preview(
    channel: str, fields: Mapping[str, str], placeholders: list[str], row: Mapping[str, Any]
) -> tuple[str | None, str]:
    """(subject, body) of a variant for one cohort row; a value the row lacks is a sample.

    Raises `TemplateRejected` for a template outside the allow-list.
    """
    subject, body = compose(channel, fields)
    values = {k: row.get(k) or SAMPLE_VALUES.get(k, k) for k in placeholders}
    render = lambda t: compile_template(t, placeholders).render(values)  # noqa: E731
    return (render(subject) if subject else None), render(body)
