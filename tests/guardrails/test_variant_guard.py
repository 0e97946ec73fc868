"""The variant writer's guard function: per-field findings and offsets."""

from __future__ import annotations

from guardrails.variant_guard import guard_fields


def test_fields_are_checked_separately(analyzer):
    fields = {
        "subject": "We miss you",
        "preheader": "Since your divorce, you deserve a treat",
        "body": "Come back to yoga. Unsubscribe anytime.",
        "call_to_action": "Book now",
    }
    verdict, findings = guard_fields("email", fields)
    assert verdict == "block"
    (finding,) = findings
    assert finding["field"] == "preheader"
    assert fields["preheader"][finding["start"] : finding["end"]] == "divorce"


def test_clean_push_passes(analyzer):
    assert guard_fields("push", {"title": "Back to spin?", "body": "20% off your next month."}) == (
        "pass",
        [],
    )
