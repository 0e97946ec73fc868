"""Micro-segments: the model names and explains each behavioural cluster.

One LLM call for all clusters (the `segment_synthesis` prompt), from PII-free
cluster profiles only: sizes, feature quantiles, top categories, channel mix.
The reply is validated for type (tool-call grammar, pydantic) and for sense
(`check_plans`: every cluster covered once, unique names, words not numbers),
and fed back to the model on failure. When retries run out, every plan from
the last attempt that is sensible on its own is kept, and each remaining
cluster gets a deterministic description computed from its profile, marked
`source="fallback"` with the reasons, so a reviewer knows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from agent.errors import StructuredOutputError
from agent.llm.client import LLM
from agent.llm.output_checks import list_problems, text_problems
from agent.llm.prompt_library import PromptTemplate
from agent.llm.schemas import SegmentPlan, SegmentPlans, sized


@dataclass
class Segment:
    """A named micro-segment, from the model or from the fallback rules."""

    cluster_id: int
    size: int
    name: str
    description: str
    defining_traits: list[str]
    pain_points: list[str]
    tone: str
    message_angle: str
    incentive_tier: str
    rationale: str
    source: str  # "llm" | "fallback"
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the store."""
        return asdict(self)


def plan_problems(plan: SegmentPlan) -> list[str]:
    """Sense problems of one plan, prefixed with its cluster id."""
    found = (
        text_problems("name", plan.name, max_chars=60)
        + text_problems("description", plan.description, min_words=3)
        + list_problems("defining_traits", plan.defining_traits)
        + list_problems("pain_points", plan.pain_points)
        + text_problems("tone", plan.tone, max_chars=80)
        + text_problems("message_angle", plan.message_angle, min_words=2)
        + text_problems("rationale", plan.rationale, min_words=3)
    )
    return [f"cluster {plan.cluster_id}: {p}" for p in found]


def check_plans(plans: SegmentPlans, cluster_ids: list[int]) -> list[str]:
    """Every cluster covered exactly once, unique names, each plan sensible."""
    problems: list[str] = []
    seen = [p.cluster_id for p in plans.segments]
    missing = sorted(set(cluster_ids) - set(seen))
    unknown = sorted(set(seen) - set(cluster_ids))
    dupes = sorted({c for c in seen if seen.count(c) > 1})
    if missing:
        problems.append(f"no plan for cluster_id {', '.join(map(str, missing))}")
    if unknown:
        problems.append(f"unknown cluster_id {', '.join(map(str, unknown))}")
    if dupes:
        problems.append(f"more than one plan for cluster_id {', '.join(map(str, dupes))}")
    names = [p.name.strip().lower() for p in plans.segments]
    if len(set(names)) < len(names):
        problems.append("segment names must all be different")
    for plan in plans.segments:
        problems += plan_problems(plan)
    return problems


def _salvage(raw: str | None, cluster_ids: list[int]) -> dict[int, SegmentPlan]:
    """Plans from a failed attempt that are sensible on their own."""
    try:
        items = json.loads(raw or "").get("segments", [])
    except (ValueError, AttributeError):
        return {}
    kept: dict[int, SegmentPlan] = {}
    names: set[str] = set()
    for item in items if isinstance(items, list) else []:
        try:
            plan = SegmentPlan.model_validate(item)
        except ValidationError:
            continue
        name = plan.name.strip().lower()
        fresh = plan.cluster_id in cluster_ids and plan.cluster_id not in kept
        if fresh and name not in names and not plan_problems(plan):
            kept[plan.cluster_id] = plan
            names.add(name)
    return kept


def synthesize_segments(
    llm: LLM,
    prompt: PromptTemplate,
    profiles: list[dict[str, Any]],
    *,
    brand_voice: str,
    fallback: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[Segment]:
    """Segments for these cluster profiles (each has `cluster_id` and `size`)."""
    if not profiles:
        return []
    cluster_ids = [int(p["cluster_id"]) for p in profiles]
    messages = prompt.render({"profiles": profiles, "brand_voice": brand_voice})
    problems: list[str] = []
    try:
        result = llm.structured(
            # an empty list is allowed: a model that cannot plan says so in one short
            # reply (the 135M model's forced plans were 3 x ~500 tokens of nonsense)
            sized(SegmentPlans, len(cluster_ids), least=0),
            messages,
            check=lambda plans: check_plans(plans, cluster_ids),
            max_tokens=prompt.max_tokens or 1200,
            temperature=prompt.temperature,
        )
        by_id = {p.cluster_id: p for p in result.segments}
    except StructuredOutputError as exc:
        by_id = _salvage(exc.last_raw, cluster_ids)
        problems = [f"the model's plans failed validation {len(exc.attempts)} times: "]
        problems[0] += str(exc.attempts[-1]["errors"])[:300]

    segments: list[Segment] = []
    for profile in profiles:
        cid, size = int(profile["cluster_id"]), int(profile["size"])
        plan = by_id.get(cid)
        if plan is not None:
            data = plan.model_dump(exclude={"cluster_id"})
            segments.append(Segment(cluster_id=cid, size=size, source="llm", **data))
        else:
            data = fallback(profile)
            segments.append(
                Segment(
                    cluster_id=cid,
                    size=size,
                    source="fallback",
                    problems=problems,
                    **{k: data[k] for k in SegmentPlan.model_fields if k != "cluster_id"},
                )
            )
    _dedupe_names(segments)
    return segments


def _dedupe_names(segments: list[Segment]) -> None:
    seen: dict[str, int] = {}
    for seg in segments:
        key = seg.name.strip().lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            seg.name = f"{seg.name} ({seen[key]})"
