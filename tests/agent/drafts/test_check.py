"""The one draft-check entry point: a variant, a run's drafts, a preview sample, an edit.

Every path ends in the real guardrails (Presidio included) and in the one
verdict function; the tables give each path its clean, flagged and
malformed cases.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from agent.drafts.check import (
    batch_policy,
    check_drafts,
    check_edit,
    check_preview,
    check_variant,
    offer_for_check,
    verdict_counts,
)
from agent.drafts.compose import compose, render_sample
from agent.drafts.placeholders import DEFAULT_PLACEHOLDERS
from agent.drafts.record import Draft, unrendered_body
from agent.drafts.template import TemplateRejected
from guardrails.batch_check import BatchStats
from guardrails.findings import Finding, verdict_of
from guardrails.message import MessageError
from guardrails.policy import default_policy, policy_from_data
from segments.incentives import load_incentive_catalog


def rule_policy():
    """The shipped policy without the semantic layer: these tests pin the rule findings.

    The learned layer is tested on its own in tests/guardrails/test_semantic_layer.py.
    """
    raw = default_policy().raw
    return policy_from_data({**raw, "semantic": {**raw["semantic"], "enabled": False}}, "rules")


PLACEHOLDERS = list(DEFAULT_PLACEHOLDERS)
CREEPY_EMAIL = {
    "subject": "We miss you",
    "preheader": "Since your divorce, you deserve a treat",
    "body": "Come back to yoga. Unsubscribe anytime.",
    "call_to_action": "Book now",
}
INVALID = {
    "code": "invalid_llm_output",
    "category": "quality",
    "severity": "block",
    "start": 0,
    "end": 0,
    "message": "The model did not produce a valid template",
}
SAMPLE_WARN = {**INVALID, "code": "sms_multi_segment", "category": "channel", "severity": "warn"}


def codes(findings: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in findings]


@pytest.mark.parametrize(
    ("severities", "verdict"),
    [((), "pass"), (("warn",), "warn"), (("warn", "block"), "block"), (("block",), "block")],
)
def test_one_verdict_function_for_findings_and_their_dicts(severities, verdict) -> None:
    found = [Finding("c", "x", s, 0, 0, "m") for s in severities]
    assert verdict_of(found) == verdict_of([f.to_dict() for f in found]) == verdict


@pytest.mark.parametrize(
    ("channel", "fields", "verdict", "flagged"),
    [
        ("email", CREEPY_EMAIL, "block", ["divorce"]),
        ("push", {"title": "Back to spin?", "body": "20% off your next month."}, "pass", []),
        # compose adds the opt-out the model left out, so the variant passes
        ("sms", {"text": "Hi {{ first_name }}, your {{ favorite_category }} mat waits."},
         "pass", []),
        ("sms", {"text": "{{ first_name }}, is your blood pressure better?"},
         "block", ["blood pressure"]),
    ],
)  # fmt: skip
def test_check_variant(analyzer, channel, fields, verdict, flagged) -> None:
    got, findings = check_variant(channel, fields, placeholders=PLACEHOLDERS, policy=rule_policy())
    assert got == verdict
    text = render_sample(compose(channel, fields)[1], PLACEHOLDERS)
    assert [text[f["start"] : f["end"]] for f in findings if f["field"] == "text"] == flagged


def test_check_variant_rejects_a_template_outside_the_allow_list() -> None:
    with pytest.raises(TemplateRejected, match="unknown placeholder 'email'"):
        check_variant(
            "sms",
            {"text": "Write to {{ email }}"},
            placeholders=PLACEHOLDERS,
            policy=default_policy(),
        )


CLEAN = "Hi {{ first_name }}, your {{ favorite_category }} class misses you. Reply STOP to opt out."


def rendered(body_template: str, **extra: Any) -> Draft:
    """An unchecked SMS draft for Sam (the check reads the template and the values)."""
    fields: dict[str, Any] = {
        "user_id": "u1",
        "arm": "treatment",
        "channel": "sms",
        "segment": "Lapsed yogis",
        "address": "+15550100",
        "incentive": None,
        "values": {"first_name": "Sam", "favorite_category": "yoga"},
        "first_name": "Sam",
        "body": "(rendered text; not read by the check)",
        "template_id": body_template,
        "variant": "c0-sms-v1",
        "prompt": "sms_variants@1",
        "body_template": body_template,
    }
    return Draft(**{**fields, **extra})


def unrendered(placeholder: str, **extra: Any) -> Draft:
    """A draft no template could render: no template, and the body says why."""
    return replace(
        rendered(CLEAN, **extra),
        template_id=None,
        body_template=None,
        unrendered=placeholder,
        body=unrendered_body(placeholder),
    )


OVER_CAP = {"code": "pct_20_month", "text": "25% off", "value": 25.0, "unit": "percent", "cost": 4}
DAYS = {"code": "free_week", "text": "a free week", "value": 7.0, "unit": "days", "cost": 2.5}


@pytest.mark.parametrize(
    ("draft", "verdict", "found"),
    [
        (rendered(CLEAN), "pass", []),
        (rendered("Since your divorce, {{ first_name }}, treat yourself. Reply STOP to opt out."),
         "block", ["creepy_family"]),
        # only what the variant level alone knows is inherited: an invalid model output
        (rendered(CLEAN, variant_findings=(SAMPLE_WARN, INVALID)), "block", ["invalid_llm_output"]),
        (rendered("Hi {{ first_name }}, 25% off. Reply STOP to opt out.", incentive=OVER_CAP),
         "block", ["offer_over_cap", "offer_over_cap"]),
        (rendered(CLEAN, incentive=DAYS), "pass", []),  # no cap check for days
        (unrendered("favorite_category"), "block", ["missing_placeholder_value"]),
    ],
)  # fmt: skip
def test_check_drafts(analyzer, draft: Draft, verdict: str, found: list[str]) -> None:
    catalog = load_incentive_catalog(None)
    stats = BatchStats()
    (checked,) = check_drafts([draft], catalog, rule_policy(), stats=stats)
    assert (checked.verdict, codes(checked.findings)) == (verdict, found)
    assert checked.draft is draft  # the rendered record is kept as it was
    assert stats.messages == (1 if draft.rendered else 0)
    if not draft.rendered:
        assert "{{ favorite_category }}" in checked.findings[0]["message"]


def test_check_drafts_keeps_the_order_and_counts(analyzer) -> None:
    drafts = [
        rendered(CLEAN, user_id="a"),
        unrendered("incentive", user_id="b"),
        rendered("{{ first_name }}, how is your knee injury? Reply STOP.", user_id="c"),
        rendered(CLEAN, user_id="d", variant_findings=(SAMPLE_WARN,)),
    ]
    checked = check_drafts(drafts, load_incentive_catalog(None), rule_policy(), full_scan=True)
    assert [c.draft.user_id for c in checked] == ["a", "b", "c", "d"]
    assert verdict_counts(checked) == {"pass": 2, "warn": 0, "block": 2}


def test_offer_for_check_reads_the_catalog_cap() -> None:
    catalog = load_incentive_catalog(None)
    assert offer_for_check(OVER_CAP, catalog) == {"value": 25.0, "cap": 20, "unit": "percent"}
    assert offer_for_check(DAYS, catalog) is None and offer_for_check(None, catalog) is None


EMAIL = {"subject": "Hi {{ first_name }}", "body": "Your {{ favorite_category }} class misses you."}


@pytest.mark.parametrize(
    ("channel", "fields", "variant_findings", "subject", "body", "verdict", "found"),
    [
        ("email", EMAIL, (), "Hi Sam",
         "Your yoga class misses you.\n\nYou can unsubscribe from these e-mails at any time.",
         "pass", []),
        ("email", EMAIL, (INVALID,), "Hi Sam", None, "block", ["invalid_llm_output"]),
        # a template the sandbox refuses is shown with the reason, and that text is checked
        ("sms", {"text": "Hi {{ email }}"}, (), None, "(not renderable: Template rejected",
         "block", ["sms_multi_segment", "unresolved_placeholder", "sms_missing_opt_out"]),
    ],
)  # fmt: skip
def test_check_preview(
    analyzer, channel, fields, variant_findings, subject, body, verdict, found
) -> None:
    got = check_preview(
        "c0-v1",
        channel,
        fields,
        placeholders=PLACEHOLDERS,
        row={"first_name": "Sam", "favorite_category": None},  # a missing value: a sample
        policy=rule_policy(),
        variant_findings=variant_findings,
    )
    assert (got["subject"], got["verdict"], codes(got["findings"])) == (subject, verdict, found)
    assert body is None or got["body"].startswith(body)


DRAFT = {"id": 7, "channel": "email", "subject": "We saved your spot"}


@pytest.mark.parametrize(
    ("draft", "text", "verdict", "found"),
    [
        (DRAFT, "Hi Sam, the studio misses you. Unsubscribe anytime.", "pass", []),
        (DRAFT, "Write to bob.smith@gmail.com, Sam. Unsubscribe anytime.", "block",
         ["pii_email"]),
        ({**DRAFT, "incentive": {"code": "pct_20_month", "value": 20, "cap": 20}},
         "Hi Sam, 40% off now. Unsubscribe anytime.", "block", ["offer_over_cap"]),
    ],
)  # fmt: skip
def test_check_edit(analyzer, draft, text, verdict, found) -> None:
    got, findings = check_edit(draft, text, rule_policy())
    assert (got, codes(findings)) == (verdict, found)


@pytest.mark.parametrize(
    ("draft", "text", "problem"),
    [
        ({**DRAFT, "channel": "fax"}, "Hi Sam", "unknown channel 'fax'"),
        (DRAFT, "   ", "'text' is empty"),
        ({**DRAFT, "incentive": {"value": "lots"}}, "Hi Sam", "'incentive' must be an object"),
    ],
)
def test_check_edit_refuses_a_malformed_draft(draft, text, problem) -> None:
    with pytest.raises(MessageError, match=problem):
        check_edit(draft, text)


def test_batch_policy_is_the_snapshot_else_the_default() -> None:
    default = default_policy()
    snapshot = {"id": "b-1", "config": {"guard_policy_snapshot": default.raw}}
    assert batch_policy(snapshot).raw == default.raw
    assert batch_policy({"id": "b-0", "config": None}).raw == default.raw


OFFER_PLACEHOLDERS = ["first_name", "favorite_category", "incentive"]
POLICY_FOR_OFFERS = default_policy()


@pytest.mark.parametrize(
    ("tier", "body", "blocked"),
    [
        ("medium", "{{ first_name }}, book a yoga class this week.", True),
        ("medium", "{{ first_name }}, enjoy {{ incentive }} on a yoga class.", False),
        ("low", "{{ first_name }}, enjoy {{incentive}} on a yoga class.", False),
        ("none", "{{ first_name }}, enjoy {{ incentive }} on a yoga class.", True),
        ("none", "{{ first_name }}, book a yoga class this week.", False),
    ],
)
def test_a_variant_must_carry_its_segments_offer(tier: str, body: str, blocked: bool) -> None:
    fields = {"title": "Your mat misses you", "body": body}
    _, findings = check_variant(
        "push", fields, placeholders=OFFER_PLACEHOLDERS, policy=POLICY_FOR_OFFERS, offer_tier=tier
    )
    codes = [f["code"] for f in findings]
    assert ("offer_mismatch" in codes) is blocked
    if blocked:
        (finding,) = [f for f in findings if f["code"] == "offer_mismatch"]
        assert finding["severity"] == "block" and "{{ incentive }}" in finding["message"]


def test_no_offer_check_without_a_tier_or_an_incentive_placeholder() -> None:
    fields = {"title": "Your mat misses you", "body": "{{ first_name }}, book a class."}
    for kwargs in ({}, {"offer_tier": "high", "placeholders": ["first_name"]}):
        args = {"placeholders": OFFER_PLACEHOLDERS, **kwargs}
        _, findings = check_variant("push", fields, policy=POLICY_FOR_OFFERS, **args)
        assert "offer_mismatch" not in [f["code"] for f in findings]
