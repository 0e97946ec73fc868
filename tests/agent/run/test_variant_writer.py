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


def slow_ok(settings):
    """Recording on busy shared cores can take minutes per call; replay is instant."""
    return settings.model_copy(update={"timeout": 1800.0})


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
    with LLM(slow_ok(llm_settings)) as llm:
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


# -- best-of-N with the quality gate (prompt v2, the brand's examples) ----------------

FITNESS_EXAMPLES = [
    {
        "title": "Ready for a restart?",
        "body": "{{ first_name }}, a {{ favorite_category }} class is a great way back in.",
    },
]


def fitness_quality():
    from guardrails.quality import QualityContext, brand_stems, rank_candidates

    context = QualityContext(
        placeholders=tuple(PLACEHOLDERS),
        brand_words=brand_stems(
            ["workout", "class", "session", "fitness"],
            [v for e in FITNESS_EXAMPLES for v in e.values()],
        ),
    )
    return lambda ch, cands, kept: rank_candidates(ch, cands, context, kept=kept)


@pytest.mark.vcr
def test_push_best_of_n_with_quality_gate_on_recorded_model(llm_settings):
    policy = default_policy()
    with LLM(slow_ok(llm_settings)) as llm:
        variants = write_variants(
            llm,
            PromptLibrary().get("push_variants@2"),
            SEGMENT,
            "push",
            n=2,
            placeholders=PLACEHOLDERS,
            brand_voice="Upbeat and kind, like a friendly coach.",
            check_template=check,
            guard=lambda ch, f: check_variant(ch, f, placeholders=PLACEHOLDERS, policy=policy),
            max_revisions=1,
            candidates=4,
            examples=FITNESS_EXAMPLES,
            quality=fitness_quality(),
        )
        calls = llm.usage.summary()["calls"]
    assert len(variants) == 2 and [v.index for v in variants] == [1, 2]
    # best first: a passing variant is never ranked after a blocked one
    assert [v.verdict == "block" for v in variants] == sorted(
        v.verdict == "block" for v in variants
    )
    for v in variants:
        assert v.prompt == "push_variants@2" and v.model == llm_settings.model
        assert v.candidates >= 2  # more candidates than the campaign keeps
        assert set(v.provenance()) == {"prompt", "model", "candidates", "revision", "quality_score"}
        quality_blocks = [
            f for f in v.findings if f["category"] == "quality" and f["severity"] == "block"
        ]
        if quality_blocks:  # the gate's block is never shown as pass
            assert v.verdict == "block" and v.quality_blocked
            assert all(f["message"] and f["code"] for f in quality_blocks)
        if v.verdict != "block" and v.source == "llm":
            assert v.quality_score is not None and v.quality_score > 0
    assert 1 <= calls <= 2 * (1 + llm_settings.llm_retries)


def _variant(verdict="pass", score=100, revision=0, findings=(), source="llm"):
    from agent.run.variant_writer import Variant

    return Variant(
        0,
        "push",
        1,
        {"title": "T", "body": "B"},
        "push_variants@2",
        verdict,
        list(findings),
        revision,
        source,
        quality_score=score,
        candidates=4,
    )


QUALITY_BLOCK = {
    "code": "third_party",
    "category": "quality",
    "severity": "block",
    "start": 0,
    "end": 3,
    "message": "'she' is someone other than the reader",
    "field": "variant.body",
}
GUARD_BLOCK = {
    "code": "health",
    "category": "health",
    "severity": "block",
    "start": 0,
    "end": 3,
    "message": "health talk",
    "field": "text",
}


def test_feedback_quotes_the_best_rejected_candidates_with_their_reasons():
    from agent.run.variant_writer import feedback_for

    text = feedback_for(
        [
            _variant("block", 40, findings=[QUALITY_BLOCK]),
            _variant("block", 75, findings=[GUARD_BLOCK, QUALITY_BLOCK]),
        ]
    )
    lines = text.splitlines()
    assert len(lines) == 2 and "health talk" in lines[0] and "'she'" in lines[1]


def test_quality_summary_counts_first_try_revised_and_blocked_with_reasons():
    from agent.campaign import Campaign
    from agent.run.plan_stage import BatchPlan
    from agent.run.quality_report import quality_summary
    from agent.run.segment_plans import Segment

    plan = BatchPlan()
    plan.segments = [Segment(0, 10, "Loyal", "d", [], [], "warm", "angle", "low", "r", "llm")]
    plan.variants[(0, "push")] = [
        _variant("pass", 90, 0),
        _variant("pass", 80, 1),
        _variant("block", 50, 1, [QUALITY_BLOCK]),
        _variant("block", 70, 1, [GUARD_BLOCK]),
    ]
    campaign = Campaign(name="t", channels=["push"], variants_per_segment=4, max_revisions=1)
    out = quality_summary(plan, campaign, retries=2)
    push = out["by_channel"]["push"]
    assert (push["pass_first_try"], push["pass_after_revision"]) == (1, 1)
    assert (push["quality_blocked"], push["guard_blocked"]) == (1, 1)
    assert push["reasons"] == {"third_party": 1, "health": 1}
    assert out["best"][0]["quality_score"] == 90 and out["best"][0]["verdict"] == "pass"
    # synthesis (1 + 2 re-asks) + 1 job x 2 rounds x 3 asks
    assert out["llm_call_bound"] == 3 + 1 * 2 * 3


def test_feedback_never_sends_contact_like_text_back_to_the_model():
    from agent.run.variant_writer import feedback_for

    pii = {
        "code": "phone",
        "category": "pii",
        "severity": "block",
        "start": 5,
        "end": 15,
        "message": "Contains a phone number: '3248957601'",
        "field": "text",
    }
    v = _variant("block", 10, findings=[pii])
    v.fields = {"title": "Call 3248957601", "body": "or mail sam@example.com"}
    text = feedback_for([v])
    assert "3248957601" not in text and "sam@example.com" not in text
    assert "personal data" in text and "[removed]" in text
