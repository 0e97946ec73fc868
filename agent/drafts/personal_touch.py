"""`--personalize-top N`: one extra LLM call per member, for the N highest-value ones.

Segment variants are written once per segment; for the most valuable
treatment users a campaign can afford more. Each of them gets one personal
opening sentence, written from their behaviour features only (tenure, activity
before and recently, favourite category, open rates: never identity, never
free text), as a template with the same allow-listed placeholders. The opening
is prepended to the user's segment variant on every channel, then the whole
message goes through the guardrails like any other. An opening that fails
validation after the bounded re-asks is dropped, and the user keeps the
segment variant; the count of such failures is reported.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from agent.drafts.record import Draft
from agent.drafts.template import (
    MissingPlaceholderValue,
    compile_template,
    template_problems,
)
from agent.errors import StructuredOutputError
from agent.llm.client import LLM
from agent.llm.output_checks import text_problems
from agent.llm.prompt_library import PromptTemplate
from agent.llm.schemas import PersonalTouch

# features that describe behaviour; everything else in the feature frame is left out
MEMBER_FEATURES = (
    "tenure_days",
    "recency_days",
    "frequency",
    "activity_trend",
    "workouts_per_month_before",
    "workouts_per_month_recent",
    "engagement_score",
    "email_open_rate",
    "push_open_rate",
    "favorite_category",
)


def member_profile(raw: pd.Series) -> dict[str, Any]:
    """The PII-free behaviour features of one member, rounded."""
    out: dict[str, Any] = {}
    for name in MEMBER_FEATURES:
        value = raw.get(name)
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        out[name] = round(float(value), 1) if isinstance(value, int | float) else str(value)
    return out


def personalize(
    llm: LLM,
    prompt: PromptTemplate,
    drafts: list[Draft],
    features: pd.DataFrame,
    value: pd.Series | None,
    user_index: dict[str, Any],
    segments: dict[str, dict[str, Any]],
    *,
    top: int,
    placeholders: list[str],
    brand_voice: str,
) -> tuple[list[Draft], dict[str, int]]:
    """The drafts, with a personal opening for the `top` highest-value treatment users.

    Returns the drafts in the same order (a personalized draft replaced by its
    new version) and the counts of users personalized and failed.
    """
    treated = {d.user_id for d in drafts if d.arm == "treatment" and d.rendered}
    if top <= 0 or not treated or value is None:
        return drafts, {"users": 0, "failed": 0}
    ranked = value.reindex([user_index[u] for u in sorted(treated)])
    ranked = ranked.fillna(float("-inf")).sort_values(ascending=False, kind="stable")
    by_index = {v: k for k, v in user_index.items()}
    positions: dict[str, list[int]] = {}
    for pos, d in enumerate(drafts):
        if d.rendered:
            positions.setdefault(d.user_id, []).append(pos)
    result = list(drafts)
    done = failed = 0
    for i in ranked.index[:top]:
        user = by_index[i]
        mine = [result[pos] for pos in positions[user]]
        segment = segments.get(mine[0].segment or "", {})

        def check(out: PersonalTouch, seg: dict[str, Any] = segment) -> list[str]:
            problems = text_problems("opening", out.opening, min_words=4, max_chars=200)
            problems += template_problems(out.opening, placeholders)
            if seg.get("name") and seg["name"].lower() in out.opening.lower():
                problems.append("opening names the internal segment; write to the person")
            return problems

        try:
            touch = llm.structured(
                PersonalTouch,
                prompt.render(
                    {
                        "member": member_profile(features.loc[i]),
                        "segment": segment,
                        "placeholders": placeholders,
                        "brand_voice": brand_voice,
                    }
                ),
                check=check,
                max_tokens=prompt.max_tokens or 200,
                temperature=prompt.temperature,
            )
        except StructuredOutputError:
            failed += 1
            continue
        opening = touch.opening.strip()
        try:  # the opening may use a placeholder this member has no value for
            bodies = [
                compile_template(_join(opening, d), placeholders).render(d.values) for d in mine
            ]
        except MissingPlaceholderValue:
            failed += 1
            continue
        for pos, d, body in zip(positions[user], mine, bodies, strict=True):
            result[pos] = replace(
                d,
                body_template=_join(opening, d),
                body=body,
                template_id=f"{d.template_id}+personal-{user}",
                variant=f"{d.variant}+personal",
                prompt=f"{d.prompt}+{prompt.ref}",
            )
        done += 1
    return result, {"users": done, "failed": failed}


def _join(opening: str, draft: Draft) -> str:
    sep = "\n\n" if draft.channel == "email" else " "
    return f"{opening}{sep}{draft.body_template}"
