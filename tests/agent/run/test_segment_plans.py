"""Segment synthesis: sense checks, salvage and fallback, against recorded replies."""

from __future__ import annotations

import json

import pytest

from agent.llm.client import LLM
from agent.llm.prompt_library import PromptLibrary
from agent.llm.schemas import SegmentPlan, SegmentPlans
from agent.run.segment_plans import check_plans, plan_problems, synthesize_segments

PROFILES = [
    {
        "cluster_id": 0,
        "size": 120,
        "share": 0.3,
        "tenure_days": {"p25": 520, "median": 800, "p75": 1100},
        "workouts_per_month_before": {"median": 14.2},
        "workouts_per_month_recent": {"median": 0.4},
        "total_spend": {"median": 540.0},
        "top_categories": {"yoga": 0.4, "pilates": 0.3},
        "channel_opt_in": {"email": 0.95, "sms": 0.5, "push": 0.7},
        "churn_score": {"median": 0.74},
    },
    {
        "cluster_id": 1,
        "size": 90,
        "share": 0.22,
        "tenure_days": {"p25": 20, "median": 35, "p75": 50},
        "workouts_per_month_before": {"median": 3.5},
        "workouts_per_month_recent": {"median": 0.2},
        "total_spend": {"median": 18.0},
        "top_categories": {"HIIT": 0.35, "running": 0.25},
        "channel_opt_in": {"email": 0.9, "sms": 0.6, "push": 0.6},
        "churn_score": {"median": 0.66},
    },
]


def fallback(profile: dict) -> dict:
    cid = profile["cluster_id"]
    return {
        "name": f"Rule-based group {cid}",
        "description": "Described from the cluster's numbers.",
        "defining_traits": ["computed from the profile"],
        "pain_points": ["unknown"],
        "tone": "warm",
        "message_angle": "welcome them back",
        "incentive_tier": "low",
        "rationale": "The model's plan did not validate.",
    }


def plan(cid: int, **changes) -> SegmentPlan:
    data = {
        "cluster_id": cid,
        "name": f"Loyal group {cid}",
        "description": "Long-time members who went quiet",
        "defining_traits": ["long tenure", "high spend"],
        "pain_points": ["lost routine"],
        "tone": "warm",
        "message_angle": "celebrate their history",
        "incentive_tier": "none",
        "rationale": "They stayed for years without discounts",
    }
    return SegmentPlan(**{**data, **changes})


@pytest.mark.parametrize(
    ("plans", "expected"),
    [
        ([plan(0), plan(1)], []),
        ([plan(0)], ["no plan for cluster_id 1"]),
        ([plan(0), plan(1), plan(7, name="Other")], ["unknown cluster_id 7"]),
        ([plan(0), plan(0, name="Other")], ["no plan for cluster_id 1", "more than one plan"]),
        ([plan(0), plan(1, name="Loyal group 0")], ["segment names must all be different"]),
        ([plan(0), plan(1, pain_points=["1.5"])], ["cluster 1: pain_points[0] must be words"]),
        ([plan(0), plan(1, tone="  ")], ["cluster 1: tone is empty"]),
        ([plan(0), plan(1, description="ok")], ["description needs at least 3 word(s)"]),
        ([plan(0), plan(1, name="name")], ["name repeats the field name"]),
    ],
)
def test_check_plans(plans, expected):
    problems = check_plans(SegmentPlans(segments=plans), [0, 1])
    for e in expected:
        assert any(e in p for p in problems), (e, problems)
    if not expected:
        assert problems == []


def test_plan_problems_catch_numbers_for_words():
    assert plan_problems(plan(3, message_angle="42")) == [
        "cluster 3: message_angle must be words, not a number ('42')"
    ]


@pytest.mark.vcr
def test_synthesis_on_recorded_model_is_validated_or_falls_back(llm_settings):
    prompt = PromptLibrary().get("segment_synthesis@1")
    with LLM(llm_settings) as llm:
        segments = synthesize_segments(
            llm, prompt, PROFILES, brand_voice="Upbeat and kind.", fallback=fallback
        )
        usage = llm.usage.summary()
    assert [s.cluster_id for s in segments] == [0, 1]
    assert [s.size for s in segments] == [120, 90]
    assert len({s.name.lower() for s in segments}) == 2
    for s in segments:
        if s.source == "llm":
            assert plan_problems(plan(s.cluster_id, **{k: getattr(s, k) for k in (
                "name", "description", "defining_traits", "pain_points", "tone",
                "message_angle", "rationale")})) == []  # fmt: skip
        else:
            assert s.source == "fallback" and s.problems and s.name.startswith("Rule-based")
    assert 1 <= usage["calls"] <= 3  # 1 + llm_retries


@pytest.mark.vcr
def test_prompt_carries_no_identity(llm_settings, vcr):
    prompt = PromptLibrary().get("segment_synthesis@1")
    with LLM(llm_settings) as llm:
        synthesize_segments(llm, prompt, PROFILES[:1], brand_voice="Kind.", fallback=fallback)
    body = json.loads(vcr.requests[0].body)
    text = json.dumps(body["messages"])
    assert "cluster_id" in text and "user_id" not in text and "@" not in text
