"""Channel, offer and template rules as tables."""

from __future__ import annotations

import pytest

from guardrails.channel_sms import sms_size
from guardrails.check_message import check_messages
from guardrails.message import Message
from guardrails.policy import default_policy, policy_from_data

STOP = " Reply STOP"
# channel, offer and template rules are tested without the semantic layer (its own tests)
RULES_ONLY = policy_from_data(
    {**default_policy().raw, "semantic": {**default_policy().semantic, "enabled": False}}, "test"
)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),  # é is in the GSM alphabet
        ("ê" * 70, "UCS-2", 1),  # ê is not
        ("ê" * 71, "UCS-2", 2),
        ("ê" * 134, "UCS-2", 2),
        ("ê" * 135, "UCS-2", 3),
        ("👋" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("👋" * 36, "UCS-2", 2),
    ],
)
def test_sms_size(text, encoding, segments):
    size = sms_size(text)
    assert (size.encoding, size.segments) == (encoding, segments)


def codes(message: Message) -> list[tuple[str, str, str]]:
    (verdict,) = check_messages([message], RULES_ONLY, pii=False)
    return sorted((f.code, f.severity, f.field) for f in verdict.findings)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (Message("1", "sms", "Back this week." + STOP), []),
        (Message("2", "sms", "Back this week."), [("sms_missing_opt_out", "block", "text")]),
        (Message("3", "sms", "a " * 100 + STOP), [("sms_multi_segment", "warn", "text")]),
        (Message("4", "sms", "a " * 200 + STOP), [("sms_too_long", "block", "text")]),
        (Message("5", "sms", "👋 " * 60 + STOP), [("sms_too_long", "block", "text")]),
        (Message("6", "email", "Hi. Unsubscribe here.", "We miss you"), []),
        (
            Message("7", "email", "Hi there.", "We miss you"),
            [("email_missing_unsubscribe", "block", "text")],
        ),
        (
            Message("8", "email", "Unsubscribe", "x" * 60),
            [("email_subject_too_long", "warn", "subject")],
        ),
        (
            Message("9", "email", "Unsubscribe", "x" * 79),
            [("email_subject_too_long", "block", "subject")],
        ),
        (
            Message("10", "email", "Unsubscribe", None),
            [("email_missing_subject", "block", "subject")],
        ),
        (
            Message("11", "push", "Back soon.", "x" * 51),
            [("push_title_too_long", "block", "title")],
        ),
        (Message("12", "push", "x" * 179, "Hi"), [("push_body_too_long", "block", "text")]),
        (
            Message(
                "13", "push", "20% off your next month.", "Hi", incentive={"value": 20, "cap": 30}
            ),
            [],
        ),
        (
            Message(
                "14", "push", "40% off your next month.", "Hi", incentive={"value": 20, "cap": 30}
            ),
            [("offer_over_cap", "block", "text")],
        ),
        (
            Message("15", "push", "Big savings.", "Hi", incentive={"value": 35, "cap": 30}),
            [("offer_over_cap", "block", "text")],
        ),
        (
            Message(
                "16",
                "push",
                "$60 off, $9.99 a month.",
                "Hi",
                incentive={"value": 60, "cap": 50, "unit": "usd"},
            ),
            [("offer_over_cap", "block", "text"), ("offer_over_cap", "block", "text")],
        ),
        (
            Message("17", "push", "Hi {{ first_name }}", "Hi %FIRST_NAME%"),
            [
                ("unresolved_placeholder", "block", "text"),
                ("unresolved_placeholder", "block", "title"),
            ],
        ),
    ],
)
def test_channel_offer_template_table(message, expected):
    assert codes(message) == sorted(expected)


def test_subject_offsets_point_into_the_subject(analyzer):
    message = Message(
        "e", "email", "Write to a.b@example.com. Unsubscribe", "Are you depressed, Jo?"
    )
    (verdict,) = check_messages([message], RULES_ONLY)
    spans = {
        (f.field, message.subject if f.field == "subject" else message.text)[1][f.start : f.end]
        for f in verdict.findings
    }
    assert spans == {"depressed", "a.b@example.com"}
