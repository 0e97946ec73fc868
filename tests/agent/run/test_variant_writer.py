"""The variant writer on recorded e-mail replies: gates, revisions, nothing dropped."""

from __future__ import annotations

import pytest

from agent.drafts.check import check_variant
from agent.drafts.placeholders import DEFAULT_PLACEHOLDERS
from agent.drafts.template import template_problems
from agent.llm.client import LLM
from agent.llm.prompt_library import PromptLibrary
from agent.llm.schemas import EmailVariant
from agent.run.variant_writer import variant_problems, write_variants
from guardrails.policy import default_policy

PLACEHOLDERS = list(DEFAULT_PLACEHOLDERS)
SEGMENT = {
    "cluster_id": 0,
    "name": "Silent loyalists",
    "description": "Long-time members whose workouts stopped quietly.",
    "tone": "warm and appreciative",
    "message_angle": "celebrate their history and invite them back",
    "incentive_tier": "low",
    "pain_points": ["lost routine"],
}


def check(t: str) -> list[str]:
    return template_problems(t, PLACEHOLDERS)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, []),
        ({"body": "Hi {{ email }}, come back to class this week please."}, ["unknown placeholder"]),
        ({"body": "{% for x in y %}spam{% endfor %} and more words here"}, ["statements"]),
        ({"subject": "42"}, ["subject must be words"]),
        ({"body": "Silent loyalists like you deserve a fresh start now."}, ["internal segment"]),
    ],
)
def test_variant_problems(fields, expected):
    base = {
        "subject": "Your {{ favorite_category }} class misses you",
        "preheader": "Come back at your own pace",
        "body": "Hi {{ first_name }}, your favorite class is still on the schedule.",
        "call_to_action": "Book a class",
    }
    problems = variant_problems("email", EmailVariant(**{**base, **fields}), check, SEGMENT["name"])
    for e in expected:
        assert any(e in p for p in problems), (e, problems)
    if not expected:
        assert problems == []


@pytest.mark.vcr
def test_email_variants_on_recorded_model(llm_settings):
    policy = default_policy()
    with LLM(llm_settings) as llm:
        variants = write_variants(
            llm,
            PromptLibrary().get("email_variants@1"),
            SEGMENT,
            "email",
            n=2,
            placeholders=PLACEHOLDERS,
            brand_voice="Upbeat and kind.",
            check_template=check,
            guard=lambda ch, f: check_variant(ch, f, placeholders=PLACEHOLDERS, policy=policy),
            max_revisions=1,
        )
        calls = llm.usage.summary()["calls"]
    assert len(variants) == 2  # kept, passing or blocked, never dropped
    assert [v.index for v in variants] == [1, 2]
    for v in variants:
        assert v.channel == "email" and v.prompt == "email_variants@1"
        if v.verdict == "block":
            assert v.findings and all(f["message"] for f in v.findings)
        else:
            assert v.source == "llm"
            assert all(not check(text) for text in v.fields.values())
    # bounded: (1 + revisions) rounds, each with at most 1 + llm_retries re-asks
    assert 1 <= calls <= 2 * (1 + llm_settings.llm_retries)
