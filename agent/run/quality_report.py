"""What the copy-quality gate did in a run: per channel, first try vs revised vs blocked, and why.

The run's JSON (`quality`) and the demo read this: how many variants passed
the gate on the first ask, how many only after a revision, how many the model
could not make good (and the rules that stopped them), the candidates it
wrote, the best variant of each segment and channel with its score, and the
bound on LLM calls that best-of-N keeps (candidates are asked within a call,
so they cost tokens, not calls).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from agent.campaign import Campaign
from agent.run.plan_stage import BatchPlan
from agent.run.variant_writer import Variant


def call_bound(segments: int, jobs: int, campaign: Campaign, retries: int) -> int:
    """At most this many LLM calls: synthesis, then each (segment, channel) job's rounds."""
    asks = 1 + retries
    return (
        (asks if segments else 0)
        + jobs * (1 + campaign.max_revisions) * asks
        + (campaign.personalize_top)
    )


def best_variant(variants: list[Variant]) -> Variant | None:
    """The variant a demo shows for a segment and channel: passing first, then by score."""
    if not variants:
        return None
    return min(variants, key=lambda v: (v.verdict == "block", -(v.quality_score or 0), v.index))


def quality_summary(plan: BatchPlan, campaign: Campaign, retries: int) -> dict[str, Any]:
    """Per-channel gate outcomes, blocked reasons, best variants and the LLM call bound."""
    names = plan.segment_names()
    channels: dict[str, dict[str, Any]] = {}
    best = []
    for (cid, channel), variants in plan.variants.items():
        c = channels.setdefault(
            channel,
            {
                "variants": 0,
                "candidates": 0,
                "pass_first_try": 0,
                "pass_after_revision": 0,
                "quality_blocked": 0,
                "guard_blocked": 0,
                "reasons": Counter(),
            },
        )
        c["variants"] += len(variants)
        c["candidates"] += max((v.candidates for v in variants), default=0)
        for v in variants:
            if v.verdict != "block":
                c["pass_first_try" if v.revisions == 0 else "pass_after_revision"] += 1
            elif v.quality_blocked:
                c["quality_blocked"] += 1
                c["reasons"].update({f["code"] for f in v.findings if f["category"] == "quality"})
            else:
                c["guard_blocked"] += 1
                c["reasons"].update({f["code"] for f in v.findings if f["severity"] == "block"})
        top = best_variant(variants)
        if top is not None:
            best.append(
                {
                    "segment": names.get(cid),
                    "channel": channel,
                    "variant": top.key,
                    "verdict": top.verdict,
                    "quality_score": top.quality_score,
                    "revision": top.revisions,
                    "fields": top.fields,
                    "findings": top.findings,
                }
            )
    for c in channels.values():
        c["reasons"] = dict(c["reasons"].most_common())
    return {
        "by_channel": channels,
        "best": best,
        "candidates_per_segment": campaign.candidates_per_segment
        or 2 * campaign.variants_per_segment,
        "llm_call_bound": call_bound(len(plan.segments), len(plan.variants), campaign, retries),
    }
