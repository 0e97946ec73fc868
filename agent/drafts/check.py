"""The one place the agent checks a draft: a variant, a batch, a preview, an edit.

Every check ends in the guardrails (`guardrails.check_message` for one
message in full, `guardrails.batch_check` for a templated batch) and every
verdict comes from the guardrails' one verdict function
(`guardrails.findings.verdict_of`: block if any finding blocks, warn if any
warns, else pass). What differs is only what is checked:

- `check_variant`: a variant written by the model, composed and rendered with
  placeholder-safe sample values, before any user is rendered. The variant
  writer revises a blocked variant with these findings as feedback.
- `check_drafts`: every rendered `Draft` of a run, through the batch path
  (distinct templates and values scanned once, a sample scanned in full),
  plus what only the variant-level check knows (an invalid model output, the
  copy-quality gate's findings); a
  draft no template could render is blocked with the missing value named.
- `check_preview`: one variant rendered for one cohort row, checked in full
  (`winback segments preview`).
- `check_edit`: a reviewer's edited body, in the whole message, with the
  batch's policy (`batch_policy`) and the first name and values the run
  allowed in this draft, so an edit is judged exactly as the run judged it.

The CLI and the run call these functions; none of them builds a guardrails
`Message` or computes a verdict itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agent.drafts.compose import compose, render_preview, render_sample
from agent.drafts.llm_judge import batch_judge
from agent.drafts.placeholders import SAMPLE_VALUES
from agent.drafts.record import CheckedDraft, Draft
from agent.drafts.template import MissingPlaceholderValue, TemplateRejected
from guardrails.batch_check import BatchStats, RenderedMessage, check_batch
from guardrails.check_message import check_message
from guardrails.findings import Finding, VerdictName, verdict_of
from guardrails.judge import Judge
from guardrails.message import Message, parse_message
from guardrails.policy import Policy, default_policy, policy_from_data

if TYPE_CHECKING:
    from agent.llm.client import LLM
    from segments.incentives import IncentiveCatalog

Findings = list[dict[str, Any]]


def check_variant(
    channel: str,
    fields: Mapping[str, str],
    *,
    placeholders: list[str],
    policy: Policy,
    incentive: dict[str, Any] | None = None,
    offer_tier: str | None = None,
) -> tuple[VerdictName, Findings]:
    """Verdict and findings of a variant, composed and rendered with sample values.

    With `offer_tier` (the segment's incentive tier) the variant must carry the
    offer where the segment has one, and must not where it has none.
    """
    subject, body = compose(channel, fields)
    message = Message(
        id="variant",
        channel=channel,
        text=render_sample(body, placeholders),
        subject=render_sample(subject, placeholders) if subject else None,
        recipient={"first_name": SAMPLE_VALUES["first_name"]},
        values={k: v for k, v in SAMPLE_VALUES.items() if k in placeholders},
        incentive=incentive,
    )
    offered = offer_tier is not None and "incentive" in placeholders
    return _checked(message, policy, offer_findings(fields, offer_tier) if offered else None)


OFFER_PLACEHOLDER = re.compile(r"\{\{\s*incentive\s*\}\}")


def offer_findings(fields: Mapping[str, str], tier: str) -> Findings:
    """A block where the segment's offer is missing from its copy, or copy offers what it has not.

    Drafts inherit their variant's verdict, so without this a variant that never
    says `{{ incentive }}` passes while its users are given an offer they are
    never told about, and one that says it where the tier is `none` renders
    nothing for every user.
    """
    said = any(OFFER_PLACEHOLDER.search(v or "") for v in fields.values())
    if tier != "none" and not said:
        message = (
            "This segment gets an offer, but the copy never mentions it: "
            "say {{ incentive }} once (e.g. 'enjoy {{ incentive }}')."
        )
    elif tier == "none" and said:
        message = "This segment gets no offer: remove {{ incentive }} from the copy."
    else:
        return []
    return [
        {
            "code": "offer_mismatch",
            "category": "quality",
            "severity": "block",
            "start": 0,
            "end": 0,
            "message": message,
        }
    ]


def check_preview(
    variant_id: str,
    channel: str,
    fields: Mapping[str, str],
    *,
    placeholders: list[str],
    row: Mapping[str, Any],
    policy: Policy,
    variant_findings: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One variant rendered for one cohort row and checked in full: subject, body, verdict.

    A template outside the allow-list cannot be rendered; the body then says
    why, and that text is what is checked.
    """
    try:
        subject, body = render_preview(channel, fields, placeholders, row)
    except (TemplateRejected, MissingPlaceholderValue) as exc:
        subject, body = None, f"(not renderable: {exc})"
    message = Message(
        id=variant_id,
        channel=channel,
        text=body,
        subject=subject,
        recipient={"first_name": row.get("first_name")},
    )
    verdict, findings = _checked(message, policy, extra=_model_findings(variant_findings))
    return {"subject": subject, "body": body, "verdict": verdict, "findings": findings}


def check_drafts(
    drafts: Sequence[Draft],
    catalog: IncentiveCatalog,
    policy: Policy,
    *,
    full_scan: bool = False,
    stats: BatchStats | None = None,
    judge: Judge | None = None,
    llm: LLM | None = None,
) -> list[CheckedDraft]:
    """The drafts, in order, each with its verdict and findings (batch path, see module doc).

    The LLM judge (`guardrails.judge`) runs once per distinct template when
    `judge` is given, or when `llm` is given and its settings' `guard_judge`
    turns it on (`agent.drafts.llm_judge.batch_judge`: `auto` is on unless the
    model is the embedded local one). It only adds findings; `stats.layers`
    says whether it ran and `stats.judge_calls` how many templates it read.
    """
    if judge is None and llm is not None:
        judge = batch_judge(llm)
    rendered = [d for d in drafts if d.rendered]
    items = [
        RenderedMessage(
            id=str(k),
            template_id=d.template_id,
            template_text=d.body_template,
            values=d.values,
            channel=d.channel,
            subject_template=d.subject_template,
            recipient={"first_name": d.first_name} if d.first_name else None,
            incentive=offer_for_check(d.incentive, catalog),
        )
        for k, d in enumerate(rendered)
    ]
    verdicts = iter(check_batch(items, policy, full_scan=full_scan, stats=stats, judge=judge))
    out = []
    for d in drafts:
        if d.rendered:
            found = [f.to_dict() for f in next(verdicts).findings]
            found += _model_findings(d.variant_findings)
        else:
            found = [missing_value_finding(str(d.unrendered))]
        out.append(CheckedDraft(d, verdict_of(found), found))
    return out


def check_edit(
    draft: Mapping[str, Any], new_text: str, policy: Policy | None = None
) -> tuple[VerdictName, Findings]:
    """Verdict and findings of a stored draft whose body a reviewer edited.

    The whole message (subject or title, the new body, the incentive) goes
    through the guardrails' full single-message check, the same one as
    `winback guard check`, with the batch's policy and the recipient's first
    name and personalization values that the run allowed in this message.
    """
    message: dict[str, Any] = {
        "id": str(draft["id"]),
        "channel": draft["channel"],
        "text": new_text,
    }
    if draft.get("subject"):
        message["subject"] = draft["subject"]
    if isinstance(draft.get("incentive"), dict):
        message["incentive"] = draft["incentive"]
    personal = draft.get("personalization") or {}
    if personal.get("first_name"):
        message["recipient"] = {"first_name": personal["first_name"]}
    if personal.get("values"):
        message["values"] = personal["values"]
    return _checked(parse_message(message, str(draft["id"])), policy)


def batch_policy(batch: Mapping[str, Any]) -> Policy:
    """The guard policy a batch ran with (its snapshot); the default for older batches."""
    data = (batch.get("config") or {}).get("guard_policy_snapshot")
    return policy_from_data(data, f"batch {batch['id']}") if data else default_policy()


def offer_for_check(
    incentive: Mapping[str, Any] | None, catalog: IncentiveCatalog
) -> dict[str, Any] | None:
    """A draft's incentive as the guardrails' offer check reads it (value, cap, unit)."""
    if not incentive or incentive["unit"] not in ("percent", "currency"):
        return None
    offer = catalog.offers[incentive["code"]]
    cap = min(offer.cap, catalog.unit_caps.get(offer.unit, offer.cap))
    unit = "percent" if offer.unit == "percent" else catalog.currency.lower()
    return {"value": incentive["value"], "cap": cap, "unit": unit}


def missing_value_finding(placeholder: str) -> dict[str, Any]:
    """The finding that blocks a draft no template could render for its user."""
    return Finding(
        code="missing_placeholder_value",
        category="render",
        severity="block",
        start=0,
        end=0,
        message=f"No value for {{{{ {placeholder} }}}} and no variant "
        "without it: write this message by hand or reject it.",
    ).to_dict()


def verdict_counts(checked: Iterable[CheckedDraft]) -> dict[str, int]:
    """How many checked drafts pass, warn and block."""
    counts = {"pass": 0, "warn": 0, "block": 0}
    for c in checked:
        counts[c.verdict] += 1
    return counts


def _model_findings(findings: Iterable[Mapping[str, Any]]) -> Findings:
    """The variant-level findings a rendered message inherits: the copy-quality gate's.

    Category `quality`: the model's output was invalid, or the copy-quality gate
    (`guardrails.quality`) judged the variant; no per-user check can know these,
    so a quality-blocked variant's drafts are blocked too, never `pass`.
    """
    return [dict(f) for f in findings if f.get("category") == "quality"]


def _checked(
    message: Message, policy: Policy | None, extra: Findings | None = None
) -> tuple[VerdictName, Findings]:
    """The full single-message check, plus findings from elsewhere, and their one verdict."""
    verdict = check_message(message, policy)
    found = [f.to_dict() for f in verdict.findings] + (extra or [])
    return verdict_of(found), found
