"""The LLM stages of a run: segment plans, then message variants.

1. features and clusters over every eligible user (all arms, so that each
   segment has its own control and baseline);
2. segment synthesis: one LLM call for all clusters, from PII-free profiles;
3. variants: one LLM call per segment and channel that has treatment users,
   asking for best-of-N candidates with the brand's own copy as few-shot
   examples (`agent.run.brand_copy`); each candidate gated by the template
   allow-list, the guardrails (`agent.drafts.check.check_variant`) and the
   copy-quality gate (`guardrails.quality`), the best kept, revised with the
   findings as feedback (bounded).

LLM calls depend on segments and channels, not on users: at most
1 + segments x channels x (1 + revisions), each with bounded re-asks.
`winback run` and `winback segments preview` both plan through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from agent.campaign import Campaign
from agent.drafts.check import check_variant
from agent.drafts.template import template_problems
from agent.llm.client import LLM
from agent.llm.prompt_library import PromptLibrary
from agent.run.brand_copy import MAX_EXAMPLES, baseline_fields, examples_for, quality_gate
from agent.run.progress import StageProgress
from agent.run.segment_plans import Segment, synthesize_segments
from agent.run.variant_writer import Variant, write_variants
from guardrails.policy import Policy
from segments.cluster_profiles import build_profiles, profile_to_prompt_dict
from segments.clustering import cluster_users
from segments.fallback_plans import describe_profiles
from segments.features import compute_features
from segments.incentives import value_basis


@dataclass
class BatchPlan:
    """What the LLM stages produced; kept for the summary and the demo's display."""

    segments: list[Segment] = field(default_factory=list)
    variants: dict[tuple[int, str], list[Variant]] = field(default_factory=dict)
    clustering: dict[str, Any] = field(default_factory=dict)
    value: pd.Series | None = None  # per-user value basis for incentive tiers
    features: pd.DataFrame | None = None  # PII-free per-user features (for --personalize-top)

    def segment_names(self) -> dict[int, str]:
        """Segment name by cluster id."""
        return {s.cluster_id: s.name for s in self.segments}

    def usable_variants(self, cluster_id: int, channel: str) -> list[Variant]:
        """The variants to send: those not blocked, or all of them if every one is blocked."""
        variants = self.variants.get((cluster_id, channel), [])
        return [v for v in variants if v.verdict != "block"] or variants


def plan_segments(
    frame: pd.DataFrame,
    campaign: Campaign,
    llm: LLM,
    library: PromptLibrary,
    progress: StageProgress,
) -> tuple[pd.Series, BatchPlan]:
    """Clusters over eligible users and the model's segment plans."""
    plan = BatchPlan()
    with progress.stage("features and clusters"):
        features = compute_features(frame)
        clustering = cluster_users(features.matrix, n_segments=campaign.segments)
        labels = pd.Series(clustering.labels, index=frame.index, dtype="int64")
        plan.clustering = clustering.to_dict()
        plan.value = value_basis(features.raw)
        plan.features = features.raw
    with progress.stage("segments (LLM)"):
        profiles = build_profiles(features.raw, labels)
        prompt_profiles = [profile_to_prompt_dict(p) for p in profiles]
        fallback_plans = describe_profiles(prompt_profiles)
        plan.segments = synthesize_segments(
            llm,
            library.get(campaign.prompt_ref("segment_synthesis")),
            prompt_profiles,
            brand_voice=campaign.brand_voice,
            fallback=lambda d: fallback_plans[int(d["cluster_id"])],
        )
    return labels, plan


def plan_variants(
    plan: BatchPlan,
    channels_with_treatment: dict[str, set[int]],
    campaign: Campaign,
    llm: LLM,
    library: PromptLibrary,
    policy: Policy,
    progress: StageProgress,
    winners: Mapping[tuple[str, str], list[dict[str, str]]] | None = None,
) -> None:
    """Variants per segment and channel (only where treatment users will get them).

    `winners` ((segment name lower-cased, channel) -> fields) are earlier
    batches' winning variants (`agent.run.allocation_stage.winner_examples`):
    they lead that segment's few-shot examples, before the brand's own copy.
    """
    jobs = [
        (seg, ch)
        for ch in campaign.channels
        for seg in plan.segments
        if seg.cluster_id in channels_with_treatment.get(ch, set())
    ]
    baseline = baseline_fields(campaign)
    quality = quality_gate(campaign, baseline)
    candidates = campaign.candidates_per_segment or 2 * campaign.variants_per_segment
    with progress.stage("variants (LLM)", total=len(jobs)) as task:
        for seg, channel in jobs:
            task.describe(f"variants (LLM): {seg.name} / {channel}")
            plan.variants[(seg.cluster_id, channel)] = write_variants(
                llm,
                library.get(campaign.prompt_ref(f"{channel}_variants")),
                seg.to_dict(),
                channel,
                n=campaign.variants_per_segment,
                placeholders=campaign.placeholders,
                brand_voice=campaign.brand_voice,
                check_template=lambda t: template_problems(t, campaign.placeholders),
                guard=lambda ch, fields, tier=seg.incentive_tier: check_variant(
                    ch, fields, placeholders=campaign.placeholders, policy=policy, offer_tier=tier
                ),
                max_revisions=campaign.max_revisions,
                candidates=candidates,
                examples=[
                    *(winners or {}).get((seg.name.strip().lower(), channel), []),
                    *examples_for(campaign, channel, seg.incentive_tier, baseline),
                ][:MAX_EXAMPLES],
                quality=quality,
            )
            task.advance()
        task.describe("variants (LLM)")
