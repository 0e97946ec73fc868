"""`winback segments preview` as a function: a run up to the variants, nothing queued.

The same stages as `winback run` up to the variants (rule, suppression,
clusters, segment plans, variants; `agent.run.plan_stage`), then one sample
per segment and channel: the segment's first usable variant rendered for its
first member (a value the member lacks is a sample value), checked in full
(`agent.drafts.check.check_preview`). Every channel gets variants for every
segment, since no arms are drawn. Nothing is written to the queue; LLM
replies are cached, so a `winback run` afterwards reuses them. The campaign
is checked against the cohort first (`agent.run.preflight`), as for a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.campaign import Campaign
from agent.drafts.check import check_preview
from agent.llm.client import LLM
from agent.run.plan_stage import BatchPlan, plan_segments, plan_variants
from agent.run.preflight import preflight
from agent.run.progress import StageProgress
from agent.settings import Settings
from guardrails.policy import Policy
from segments.activation_rules import evaluate_rule
from segments.cohort_validation import Cohort
from segments.suppression import suppress

if TYPE_CHECKING:
    import pandas as pd


def preview_segments(
    cohort: Cohort, campaign: Campaign, settings: Settings, *, progress: StageProgress
) -> dict[str, Any]:
    """Users, LLM usage, segments and checked samples (the `segments preview --json` document)."""
    frame = cohort.frame
    # the same checks as `winback run`, before the first LLM call
    checks = preflight(frame, campaign, cohort.report.source, note=progress.note)
    library, policy = checks.library, checks.policy
    active = frame[evaluate_rule(frame, campaign.rule).mask] if campaign.rule else frame
    sup = suppress(active, campaign.channels, cap_days=campaign.frequency_cap_days)
    eligible = active[sup.keep]
    result: dict[str, Any] = {"users": {"cohort": len(frame), "eligible": len(eligible)}}
    plan = BatchPlan()
    with LLM(settings) as llm:
        if len(eligible):
            labels, plan = plan_segments(eligible, campaign, llm, library, progress)
            every = {ch: set(labels.unique()) for ch in campaign.channels}
            plan_variants(plan, every, campaign, llm, library, policy, progress)
            first_member = {
                s.cluster_id: _first_row(eligible[labels == s.cluster_id]) for s in plan.segments
            }
        result["llm"] = llm.usage.summary()
    result["segments"] = [s.to_dict() for s in plan.segments]
    result["samples"] = [
        sample
        for seg in plan.segments
        for sample in _samples(plan, seg.cluster_id, seg.name, first_member, campaign, policy)
    ]
    return result


def _first_row(members: pd.DataFrame) -> dict[str, Any]:
    """A segment's first member, whose values fill the sample."""
    return members.iloc[0].to_dict() if len(members) else {}


def _samples(
    plan: BatchPlan,
    cluster_id: int,
    segment: str,
    first_member: dict[int, dict[str, Any]],
    campaign: Campaign,
    policy: Policy,
) -> list[dict[str, Any]]:
    """One checked sample per channel of one segment (none where it has no variant)."""
    out = []
    for channel in campaign.channels:
        usable = plan.usable_variants(cluster_id, channel)
        if not usable:
            continue
        v = usable[0]
        checked = check_preview(
            v.key,
            channel,
            v.fields,
            placeholders=campaign.placeholders,
            row=first_member[cluster_id],
            policy=policy,
            variant_findings=v.findings,
        )
        out.append({"segment": segment, "channel": channel, "variant": v.key, **checked})
    return out
