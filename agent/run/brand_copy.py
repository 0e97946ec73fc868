"""The brand's own copy in the variant stage: few-shot examples, the brand's words, the gate.

The campaign's baseline copy (what the baseline arm receives) and its optional
`examples:` list are the brand's voice in writing. They go into the variant
prompts as few-shot examples (a 135M model copies their format, a capable one
their style), and their content words, with the campaign's `brand_words`,
define the "brand's world" the copy-quality gate holds candidates to.

`check_examples` is the campaign's bad-input gate for `examples:`: every
entry must use only allow-listed placeholders and pass the guardrails itself
(an example the guardrails block would teach the model to write blocked copy).
It runs before any LLM call; an error names the entry and exits 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agent.campaign import EXAMPLE_FIELDS, Campaign
from agent.drafts.check import check_variant
from agent.drafts.render import BASELINE_COPY
from agent.drafts.template import template_problems
from agent.errors import WinbackError
from guardrails.policy import Policy
from guardrails.quality import (
    QualityContext,
    QualityPolicy,
    QualityResult,
    brand_stems,
    load_quality_policy,
    rank_candidates,
)
from prompts.yaml_file import read_yaml_mapping

OPT_OUT_SENTENCE = re.compile(
    r"\s*[^.!?]*\b(?:reply stop|unsubscribe|opt[- ]?out)\b[^.!?]*[.!?]?", re.I
)
MAX_EXAMPLES = 3  # per prompt: enough to set the format, short enough to stay fast


def baseline_fields(campaign: Campaign) -> dict[str, dict[str, str]]:
    """The baseline copy's raw fields by key (`email`, `push_with_incentive`, ...)."""
    path = Path(campaign.baseline_copy) if campaign.baseline_copy else BASELINE_COPY
    data = read_yaml_mapping(
        path, "Baseline copy file", fix="Write one mapping of fields per channel key."
    )
    return {
        str(k): {f: str(x) for f, x in v.items()} for k, v in data.items() if isinstance(v, dict)
    }


def examples_for(
    campaign: Campaign, channel: str, incentive_tier: str, baseline: Mapping[str, Mapping[str, str]]
) -> list[dict[str, str]]:
    """Few-shot examples for one segment and channel: campaign examples first, then the baseline."""
    wanted = EXAMPLE_FIELDS[channel]
    out = [e.fields() for e in campaign.examples if e.channel == channel]
    keys = [f"{channel}_with_incentive", channel] if incentive_tier != "none" else [channel]
    for key in keys:
        fields = baseline.get(key)
        if fields and all(fields.get(f, "").strip() for f in wanted):
            out.append({f: _without_opt_out(fields[f]) for f in wanted})
            break
    return out[:MAX_EXAMPLES]


def _without_opt_out(text: str) -> str:
    """The copy without its compliance sentence: the run appends it (`agent.drafts.compose`)."""
    return OPT_OUT_SENTENCE.sub("", text).strip()


def brand_world(campaign: Campaign, baseline: Mapping[str, Mapping[str, str]]) -> frozenset[str]:
    """Stems of the brand's words: `brand_words` plus the content words of its own copy."""
    texts = [v for fields in baseline.values() for v in fields.values()]
    texts += [v for e in campaign.examples for v in e.fields().values()]
    return brand_stems(campaign.brand_words, texts)


def quality_gate(
    campaign: Campaign,
    baseline: Mapping[str, Mapping[str, str]],
    policy: QualityPolicy | None = None,
):
    """The variant writer's quality function for this campaign (its words, its policy)."""
    policy = policy or load_quality_policy(campaign.quality_policy)
    context = QualityContext(
        placeholders=tuple(campaign.placeholders), brand_words=brand_world(campaign, baseline)
    )

    def judge(
        channel: str, candidates: Sequence[Mapping[str, str]], kept: Sequence[Mapping[str, str]]
    ) -> list[tuple[int, QualityResult]]:
        return rank_candidates(channel, candidates, context, policy, kept=kept)

    return judge


def check_examples(campaign: Campaign, policy: Policy) -> None:
    """Every `examples:` entry uses allowed placeholders and passes the guardrails (else exit 2)."""
    for i, example in enumerate(campaign.examples):
        where = f"Campaign examples[{i}] ({example.channel})"
        fields = example.fields()
        for name, text in fields.items():
            problems = template_problems(text, campaign.placeholders)
            if problems:
                raise WinbackError(
                    f"{where}, field {name}: {'; '.join(problems)}",
                    f"Use only the allowed placeholders: {', '.join(campaign.placeholders)}.",
                )
        verdict, findings = check_variant(
            example.channel, fields, placeholders=campaign.placeholders, policy=policy
        )
        if verdict == "block":
            reasons = "; ".join(f["message"] for f in findings if f["severity"] == "block")
            raise WinbackError(
                f"{where} is blocked by the guardrails: {reasons[:300]}",
                "Rewrite or remove the example: the model would learn to write blocked copy.",
            )


def example_summary(campaign: Campaign) -> dict[str, Any]:
    """How many examples each channel's prompt gets from the campaign (for the run's JSON)."""
    return {ch: sum(e.channel == ch for e in campaign.examples) for ch in EXAMPLE_FIELDS}
