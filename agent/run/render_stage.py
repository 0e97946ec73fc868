"""The render stage: one `Draft` per (user, channel) for treatment and baseline users.

Treatment users get their segment's variants, assigned deterministically and
balanced within the segment (`agent.drafts.assignment`); a user whose
assigned variant needs a value they lack gets the segment's next variant
that renders for them; one without an offer (withdrawn by the budget or an
eligibility rule) for whom no variant renders, because each says
`{{ incentive }}`, gets the brand's no-offer copy, recorded as that variant.
Baseline users get the human-written copy (with or without an incentive). No
LLM is involved: templates are compiled once and rendered for many users at a
time (`agent.drafts.render.render_group`).
Control users get nothing here, ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from agent.campaign import Campaign
from agent.drafts.assignment import assign_variants
from agent.drafts.record import Draft, DraftArm, unrendered_body
from agent.drafts.render import Template, compile_variant, load_baseline_copy, render_group
from agent.drafts.template import TemplateRejected, placeholder_values
from agent.run.plan_stage import BatchPlan
from agent.run.progress import StageProgress
from prompts.channels import ADDRESS_COLUMN


def variant_templates(plan: BatchPlan, campaign: Campaign) -> dict[tuple[int, str], list[Template]]:
    """The compiled templates of each segment and channel's usable variants."""
    out: dict[tuple[int, str], list[Template]] = {}
    names = plan.segment_names()
    for cid, channel in plan.variants:
        compiled = []
        for v in plan.usable_variants(cid, channel):
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
                        provenance=v.provenance(),
                    )
                )
            except TemplateRejected:
                continue  # an invalid variant is kept in the plan (blocked), not rendered
        out[(cid, channel)] = compiled
    return out


def render_drafts(
    frame: pd.DataFrame,
    arms: pd.Series,
    channel_ok: dict[str, pd.Series],
    labels: pd.Series,
    plan: BatchPlan,
    campaign: Campaign,
    incentives: pd.DataFrame,
    progress: StageProgress,
    shares: Mapping[tuple[int, str], Mapping[str, float]] | None = None,
) -> list[Draft]:
    """One unchecked draft per (user, channel) for treatment and baseline users.

    `shares` ((segment, channel) -> variant key -> share, from
    `agent.run.allocation_stage`) weights how treatment users are dealt across
    a segment's variants; without it, equally.
    """
    templates_by_segment = variant_templates(plan, campaign)
    baseline = load_baseline_copy(
        Path(campaign.baseline_copy) if campaign.baseline_copy else None, campaign.placeholders
    )
    names = plan.segment_names()
    values = placeholder_values(
        frame, campaign.placeholders, extra={"incentive": incentives["incentive"]}
    )
    rows = _UserRows(frame, values, incentives)
    drafts: list[Draft] = []
    has_offer = incentives["incentive"].notna()
    with progress.stage("render", total=len(campaign.channels)) as task:
        for channel in campaign.channels:
            ok = channel_ok[channel]
            treat = frame.index[(arms == "treatment") & ok]
            counts = {cid: len(v) for (cid, ch), v in templates_by_segment.items() if ch == channel}
            weights = {
                cid: [(shares or {}).get((cid, ch), {}).get(t.id, 0.0) for t in v]
                for (cid, ch), v in templates_by_segment.items()
                if ch == channel
            }
            assigned = assign_variants(
                frame.loc[treat, "user_id"],
                labels.loc[treat],
                counts,
                salt=f"{campaign.name}:{channel}",
                weights=weights,
            )
            # a treatment user without an offer (budget, eligibility) whose segment's
            # variants all say {{ incentive }} gets the brand's no-offer copy, marked
            no_offer = [baseline[channel]] if channel in baseline else []
            for cid in sorted(labels.loc[treat].unique()):
                templates = templates_by_segment.get((int(cid), channel), [])
                for number in range(0, len(templates) + 1):
                    idx = assigned.index[(labels.loc[assigned.index] == cid) & (assigned == number)]
                    if len(idx) == 0:
                        continue
                    order = templates[number - 1 :] + templates[: number - 1] if number else []
                    offered = has_offer.loc[idx].to_numpy()
                    for part, fallback in ((idx[offered], []), (idx[~offered], no_offer)):
                        if len(part):
                            drafts += rows.drafts(
                                part, order + fallback, channel, "treatment", names.get(int(cid))
                            )
            base = frame.index[(arms == "baseline") & ok]
            offered_base = has_offer.loc[base].to_numpy()
            for with_incentive in (True, False):
                idx = base[offered_base == with_incentive]
                if len(idx) == 0:
                    continue
                key = f"{channel}_with_incentive" if with_incentive else channel
                order = [baseline[key]] if key in baseline else [baseline[channel]]
                seg_names = labels.loc[idx].map(names)
                for seg_name in seg_names.unique():
                    sub = idx[(seg_names == seg_name).to_numpy()]
                    drafts += rows.drafts(sub, order, channel, "baseline", seg_name)
            task.advance()
    return drafts


class _UserRows:
    """The per-user columns a draft carries, read from the frames for a group of users."""

    def __init__(self, frame: pd.DataFrame, values: pd.DataFrame, incentives: pd.DataFrame):
        self.frame, self.values, self.incentives = frame, values, incentives

    def column(self, idx: pd.Index, name: str) -> list[Any]:
        """A cohort column for these users, None where it is missing or absent."""
        if name not in self.frame:
            return [None] * len(idx)
        col = self.frame.loc[idx, name].astype(object)
        return col.where(col.notna(), None).tolist()

    def drafts(
        self,
        idx: pd.Index,
        templates: list[Template],
        channel: str,
        arm: DraftArm,
        segment: str | None,
    ) -> list[Draft]:
        """Drafts for users `idx`, each from the first template of the list that renders."""
        part = self.values.loc[idx]
        used, subjects, bodies, missing = render_group(templates, part)
        addresses = self.column(idx, ADDRESS_COLUMN[channel])
        user_ids = self.frame.loc[idx, "user_id"].astype(str).tolist()
        first_names = self.column(idx, "first_name")
        value_records = [
            {k: v for k, v in rec.items() if v is not None and v is not pd.NA}
            for rec in part.astype(object).where(part.notna(), None).to_dict("records")
        ]
        offers = self.incentives.loc[idx].astype(object)
        offer_records = offers.where(offers.notna(), None).to_dict("records")
        out = []
        for j, template in enumerate(used):
            common: dict[str, Any] = {
                "user_id": user_ids[j],
                "arm": arm,
                "channel": channel,
                "segment": segment,
                "address": None if addresses[j] is None else str(addresses[j]),
                "incentive": _incentive(offer_records[j]),
                "values": value_records[j],
                "first_name": first_names[j],
            }
            if template is None:
                # str(): a segment left with no renderable variant names no placeholder ("None")
                body = unrendered_body(str(missing[j]))
                out.append(Draft(**common, body=body, unrendered=missing[j]))
                continue
            out.append(
                Draft(
                    **common,
                    body=bodies[j] or "",
                    subject=subjects[j],
                    template_id=template.id,
                    variant=template.id,
                    prompt=template.prompt,
                    subject_template=template.subject.source if template.subject else None,
                    body_template=template.body.source,
                    variant_findings=template.findings,
                    provenance=template.provenance,
                )
            )
        return out


def _incentive(offer: dict[str, Any]) -> dict[str, Any] | None:
    """The offer a draft carries: code, text, value, unit and cost."""
    if offer["incentive"] is None:
        return None
    return {
        "code": offer["offer_id"],
        "text": offer["incentive"],
        "value": float(offer["value"]),
        "unit": offer["unit"],
        "cost": float(offer["cost"]),
    }
