"""The one draft-check entry point on a variant: composed, rendered with sample values, guarded."""

from __future__ import annotations

from agent.drafts.check import compose, guard_template, render_sample
from guardrails.policy import default_policy

PLACEHOLDERS = ["first_name", "favorite_category", "days_since_last_activity", "incentive"]


def test_a_creepy_field_blocks_the_variant_and_the_finding_points_at_it(analyzer):
    fields = {
        "subject": "We miss you",
        "preheader": "Since your divorce, you deserve a treat",
        "body": "Come back to yoga. Unsubscribe anytime.",
        "call_to_action": "Book now",
    }
    verdict, findings = guard_template(
        "email", fields, placeholders=PLACEHOLDERS, policy=default_policy()
    )
    assert verdict == "block"
    (finding,) = findings
    text = render_sample(compose("email", fields)[1], PLACEHOLDERS)
    assert text[finding["start"] : finding["end"]] == "divorce"


def test_clean_push_passes(analyzer):
    fields = {"title": "Back to spin?", "body": "20% off your next month."}
    assert guard_template("push", fields, placeholders=PLACEHOLDERS, policy=default_policy()) == (
        "pass",
        [],
    )
