"""The message a guardrail check reads, and how a JSON object becomes one.

JSONL contract (one object per line, `winback guard check`):

    {"id": "u1-sms", "channel": "email" | "sms" | "push",
     "subject": "...",            # e-mail subject; for push the title ("title" works too)
     "text": "...",               # the body
     "recipient": {"first_name": "Paris", ...},        # optional
     "values": {"favorite_class": "Spin with Jo Lee"}, # optional allow-listed personalization
     "incentive": {"value": 20, "cap": 30, "unit": "percent"}}  # optional, see offer_incentive

The recipient's first name and the `values` may appear in the text without a
PII finding (format PII such as e-mails and phones never may). Anything
wrong with one object is a `MessageError`, reported on that line only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guardrails.errors import GuardrailsError
from prompts.channels import CHANNELS

MAX_TEXT_CHARS = 100_000


class MessageError(GuardrailsError):
    """One message cannot be checked; the other messages still are."""


@dataclass(frozen=True)
class Message:
    """One message to check (see module doc)."""

    id: str
    channel: str
    text: str
    subject: str | None = None
    recipient: dict[str, Any] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    incentive: dict[str, Any] | None = None

    @property
    def first_name(self) -> str | None:
        """The recipient's first name, allowed in the copy."""
        name = self.recipient.get("first_name")
        return str(name) if name else None

    @property
    def allowed_values(self) -> list[str]:
        """Values that may appear: the allow-listed personalization values."""
        return [str(v) for v in self.values.values() if v is not None]

    def fields(self) -> list[tuple[str, str]]:
        """(field name, text) pairs to check: subject or title first, then the body."""
        head = {"email": "subject", "push": "title"}.get(self.channel)
        pairs = [(head, self.subject)] if head and self.subject else []
        return [*pairs, ("text", self.text)]


def _text(obj: dict[str, Any], key: str, required: bool) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise MessageError(f"missing '{key}'", 'Every line needs "text".')
        return None
    if not isinstance(value, str):
        raise MessageError(f"'{key}' must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_CHARS:
        raise MessageError(
            f"'{key}' is {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}",
            "A marketing message is never this long: check the input.",
        )
    return value


def parse_message(obj: Any, line_id: str) -> Message:
    """A `Message` from one decoded JSON value, or a `MessageError` saying what is wrong."""
    if not isinstance(obj, dict):
        raise MessageError(f"expected a JSON object, got {type(obj).__name__}")
    mid = str(obj.get("id", line_id))
    channel = obj.get("channel")
    if channel not in CHANNELS:
        raise MessageError(f"unknown channel {channel!r}", f"Use one of {', '.join(CHANNELS)}.")
    text = _text(obj, "text", required=True) or ""
    if not text.strip():
        raise MessageError("'text' is empty", "There is nothing to check.")
    subject = _text(obj, "subject", False) or _text(obj, "title", False)
    recipient, values, incentive = obj.get("recipient") or {}, obj.get("values") or {}, None
    if not isinstance(recipient, dict) or not isinstance(values, dict):
        raise MessageError("'recipient' and 'values' must be JSON objects")
    if obj.get("incentive") is not None:
        incentive = obj["incentive"]
        ok = isinstance(incentive, dict) and all(
            isinstance(incentive.get(k), int | float) or incentive.get(k) is None
            for k in ("value", "cap")
        )
        if not ok:
            raise MessageError(
                "'incentive' must be an object with numeric 'value' and 'cap'",
                'For example {"value": 20, "cap": 30, "unit": "percent"}.',
            )
    return Message(
        mid, channel, text, subject, recipient, {k: str(v) for k, v in values.items()}, incentive
    )
