"""The batch run: from eligible, arm-assigned users to drafts in the queue.

Stages (each timed and shown on stderr):
1. features and clusters over every eligible user (all arms, so that each
   segment has its own control and baseline);
2. segment synthesis: one LLM call for all clusters, from PII-free profiles;
3. variants: one LLM call per segment and channel that has treatment users,
   each variant gated by the template allow-list and the guardrails, revised
   with findings as feedback (bounded);
4. incentives per user from the catalog (by segment tier and value tier);
5. per-user render: treatment users get their segment's variant (balanced
   assignment), baseline users the human-written copy;
6. guardrails on every rendered message through the batch path (distinct
   templates and values scanned once, a sample scanned in full);
7. the queue: drafts inserted idempotently by (campaign, user, channel);
   control users recorded as such, never drafted.

LLM calls depend on segments and channels, not on users: at most
1 + segments x channels x (1 + revisions), each with bounded re-asks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from agent.campaign import Campaign
from agent.drafts.assignment import assign_variants
from agent.drafts.check import guard_template
from agent.drafts.render import Template, compile_variant, load_baseline_copy, render_group
from agent.drafts.template import TemplateRejected, placeholder_values, template_problems
from agent.llm.client import LLM
from agent.llm.prompt_library import PromptLibrary
from agent.run.progress import StageProgress
from agent.run.segment_plans import Segment, synthesize_segments
from agent.run.variant_writer import Variant, write_variants
from agent.store.drafts import insert_drafts
from guardrails.batch_check import BatchStats, RenderedMessage, check_batch
from guardrails.policy import Policy
from prompts.channels import ADDRESS_COLUMN
from segments.cluster_profiles import build_profiles, profile_to_prompt_dict
from segments.clustering import cluster_users
from segments.fallback_plans import describe_profiles
from segments.features import compute_features
from segments.incentives import IncentiveCatalog, value_basis


@dataclass
class BatchPlan:
    """What the LLM stages produced; kept for the summary and the demo's display."""

    segments: list[Segment] = field(default_factory=list)
    variants: dict[tuple[int, str], list[Variant]] = field(default_factory=dict)
    clustering: dict[str, Any] = field(default_factory=dict)
    value: pd.Series | None = None  # per-user value basis for incentive tiers
    features: pd.DataFrame | None = None  # PII-free per-user features (for --personalize-top)


def cohort_fingerprint(frame: pd.DataFrame) -> str:
    """A stable fingerprint of the cohort's content, independent of row order."""
    hashed = pd.util.hash_pandas_object(frame.sort_values("user_id"), index=False)
    digest = hashlib.sha256(hashed.to_numpy().tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


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
) -> None:
    """Variants per segment and channel (only where treatment users will get them)."""
    jobs = [
        (seg, ch)
        for ch in campaign.channels
        for seg in plan.segments
        if seg.cluster_id in channels_with_treatment.get(ch, set())
    ]
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
                guard=lambda ch, fields: guard_template(
                    ch, fields, placeholders=campaign.placeholders, policy=policy
                ),
                max_revisions=campaign.max_revisions,
            )
            task.advance()
        task.describe("variants (LLM)")


def _variant_templates(
    plan: BatchPlan, campaign: Campaign
) -> dict[tuple[int, str], list[Template]]:
    out: dict[tuple[int, str], list[Template]] = {}
    names = {s.cluster_id: s.name for s in plan.segments}
    for (cid, channel), variants in plan.variants.items():
        compiled = []
        usable = [v for v in variants if v.verdict != "block"] or variants
        for v in usable:
            try:
                compiled.append(
                    compile_variant(
                        v.key,
                        channel,
                        v.fields,
                        campaign.placeholders,
                        verdict=v.verdict,
                        findings=v.findings,
                        prompt=v.prompt,
                        segment=names.get(cid),
                    )
                )
            except TemplateRejected:
                continue  # an invalid variant is kept in the plan (blocked), not rendered
        out[(cid, channel)] = compiled
    return out


def render_messages(
    frame: pd.DataFrame,
    arms: pd.Series,
    channel_ok: dict[str, pd.Series],
    labels: pd.Series,
    plan: BatchPlan,
    campaign: Campaign,
    incentives: pd.DataFrame,
    progress: StageProgress,
) -> list[dict[str, Any]]:
    """One message dict per (user, channel) for treatment and baseline users."""
    variant_templates = _variant_templates(plan, campaign)
    baseline = load_baseline_copy(
        Path(campaign.baseline_copy) if campaign.baseline_copy else None, campaign.placeholders
    )
    names = {s.cluster_id: s.name for s in plan.segments}
    values = placeholder_values(
        frame, campaign.placeholders, extra={"incentive": incentives["incentive"]}
    )
    messages: list[dict[str, Any]] = []
    with progress.stage("render", total=len(campaign.channels)) as task:
        for channel in campaign.channels:
            ok = channel_ok[channel]
            treat = frame.index[(arms == "treatment") & ok]
            counts = {cid: len(v) for (cid, ch), v in variant_templates.items() if ch == channel}
            assigned = assign_variants(
                frame.loc[treat, "user_id"],
                labels.loc[treat],
                counts,
                salt=f"{campaign.name}:{channel}",
            )
            for cid in sorted(labels.loc[treat].unique()):
                templates = variant_templates.get((int(cid), channel), [])
                for number in range(0, len(templates) + 1):
                    idx = assigned.index[(labels.loc[assigned.index] == cid) & (assigned == number)]
                    if len(idx) == 0:
                        continue
                    order = templates[number - 1 :] + templates[: number - 1] if number else []
                    messages += _rows(
                        frame, idx, values, incentives, order, channel, "treatment",
                        names.get(int(cid)),
                    )  # fmt: skip
            base = frame.index[(arms == "baseline") & ok]
            has_incentive = incentives.loc[base, "incentive"].notna()
            for with_incentive in (True, False):
                idx = base[has_incentive.to_numpy() == with_incentive]
                if len(idx) == 0:
                    continue
                key = f"{channel}_with_incentive" if with_incentive else channel
                order = [baseline[key]] if key in baseline else [baseline[channel]]
                seg_names = labels.loc[idx].map(names)
                for seg_name in seg_names.unique():
                    sub = idx[(seg_names == seg_name).to_numpy()]
                    messages += _rows(
                        frame, sub, values, incentives, order, channel, "baseline", seg_name
                    )
            task.advance()
    return messages


def _rows(
    frame: pd.DataFrame,
    idx: pd.Index,
    values: pd.DataFrame,
    incentives: pd.DataFrame,
    templates: list[Template],
    channel: str,
    arm: str,
    segment: str | None,
) -> list[dict[str, Any]]:
    part = values.loc[idx]
    used, subjects, bodies, missing = render_group(templates, part)
    address_col = ADDRESS_COLUMN[channel]
    addresses = (
        frame.loc[idx, address_col].astype(object).where(frame.loc[idx, address_col].notna(), None)
        if address_col in frame
        else pd.Series(None, index=idx, dtype=object)
    ).tolist()
    user_ids = frame.loc[idx, "user_id"].astype(str).tolist()
    names = (
        frame.loc[idx, "first_name"]
        .astype(object)
        .where(frame.loc[idx, "first_name"].notna(), None)
        if "first_name" in frame
        else pd.Series(None, index=idx, dtype=object)
    ).tolist()
    value_records = [
        {k: v for k, v in rec.items() if v is not None and v is not pd.NA}
        for rec in part.astype(object).where(part.notna(), None).to_dict("records")
    ]
    offers = incentives.loc[idx].astype(object)
    offer_records = offers.where(offers.notna(), None).to_dict("records")
    rows = []
    for j in range(len(idx)):
        template = used[j]
        offer = offer_records[j]
        row = {
            "user_id": user_ids[j],
            "arm": arm,
            "channel": channel,
            "segment": segment,
            "address": None if addresses[j] is None else str(addresses[j]),
            "incentive": None
            if offer["incentive"] is None
            else {
                "code": offer["offer_id"],
                "text": offer["incentive"],
                "value": float(offer["value"]),
                "unit": offer["unit"],
                "cost": float(offer["cost"]),
            },
            "values": value_records[j],
            "first_name": names[j],
        }
        if template is None:
            row.update(
                template_id=None,
                variant=None,
                prompt=None,
                subject=None,
                body=f"(not rendered: no value for {{{{ {missing[j]} }}}})",
                unrendered=missing[j],
            )
        else:
            row.update(
                template_id=template.id,
                variant=template.id,
                prompt=template.prompt,
                subject=subjects[j],
                body=bodies[j],
                subject_template=template.subject.source if template.subject else None,
                body_template=template.body.source,
                # what only the variant-level check knows (e.g. the model's output was invalid)
                variant_findings=[
                    f for f in template.findings if f["code"] == "invalid_llm_output"
                ],
            )
        rows.append(row)
    return rows


def guard_incentive(incentive: dict[str, Any] | None, catalog: IncentiveCatalog) -> dict | None:
    """The offer as the guardrails' offer check reads it (value, cap, unit)."""
    if not incentive or incentive["unit"] not in ("percent", "currency"):
        return None
    offer = catalog.offers[incentive["code"]]
    cap = min(offer.cap, catalog.unit_caps.get(offer.unit, offer.cap))
    unit = "percent" if offer.unit == "percent" else catalog.currency.lower()
    return {"value": incentive["value"], "cap": cap, "unit": unit}


def guard_messages(
    messages: list[dict[str, Any]],
    catalog: IncentiveCatalog,
    policy: Policy,
    progress: StageProgress,
    *,
    full_scan: bool,
) -> BatchStats:
    """Attach verdicts and findings to every rendered message (batch path)."""
    renderable = [m for m in messages if m.get("template_id")]
    stats = BatchStats()
    with progress.stage("guardrails", total=len(messages)) as task:
        items = [
            RenderedMessage(
                id=str(k),
                template_id=m["template_id"],
                template_text=m["body_template"],
                values=m["values"],
                channel=m["channel"],
                subject_template=m.get("subject_template"),
                recipient={"first_name": m.get("first_name")} if m.get("first_name") else None,
                incentive=guard_incentive(m["incentive"], catalog),
            )
            for k, m in enumerate(renderable)
        ]
        verdicts = check_batch(items, policy, full_scan=full_scan, stats=stats)
        for m, v in zip(renderable, verdicts, strict=True):
            findings = [f.to_dict() for f in v.findings] + m.pop("variant_findings", [])
            m["findings"] = findings
            m["verdict"] = (
                "block"
                if findings and any(f["severity"] == "block" for f in findings)
                else ("warn" if findings else "pass")
            )
        for m in messages:
            if not m.get("template_id"):
                m["verdict"] = "block"
                m["findings"] = [
                    {
                        "code": "missing_placeholder_value",
                        "category": "render",
                        "severity": "block",
                        "start": 0,
                        "end": 0,
                        "message": f"No value for {{{{ {m['unrendered']} }}}} and no variant "
                        "without it: write this message by hand or reject it.",
                    }
                ]
        task.advance(len(messages))
    return stats


def store_messages(
    engine: Engine,
    batch_id: str,
    campaign: Campaign,
    frame: pd.DataFrame,
    arms: pd.Series,
    channel_ok: dict[str, pd.Series],
    messages: list[dict[str, Any]],
    progress: StageProgress,
) -> int:
    """Insert drafts and control records idempotently; return how many were new."""
    keys = (
        "user_id", "arm", "channel", "segment", "variant", "address",
        "subject", "body", "incentive", "verdict", "findings", "prompt",
    )  # fmt: skip
    # what the guardrails allowed in each message, so a reviewer's edit is judged the same way
    rows = [
        {
            **{k: m.get(k) for k in keys},
            "personalization": {
                "first_name": m.get("first_name"),
                "values": {k: str(v) for k, v in m["values"].items()},
            },
        }
        for m in messages
    ]
    for channel in campaign.channels:
        control = frame.loc[(arms == "control") & channel_ok[channel], "user_id"]
        rows += [{"user_id": str(u), "arm": "control", "channel": channel} for u in control]
    with progress.stage("queue", total=len(rows)) as task:
        new = 0
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            new += insert_drafts(engine, batch_id, campaign.name, chunk)
            task.advance(len(chunk))
    return new


def verdict_counts(messages: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of pass / warn / block."""
    counts = {"pass": 0, "warn": 0, "block": 0}
    for m in messages:
        counts[m["verdict"]] += 1
    return counts
