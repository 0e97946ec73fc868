"""The LLM judge of the guardrails, backed by the configured model.

`guardrails.judge` defines the judge as an interface (a callable from a
template's text to `JudgeFinding`s) because `guardrails` may not import the
model client. This module is the agent side: `llm_judge(llm)` returns such
a callable that asks `llm` for a structured verdict (`JudgeVerdict`: a list
of category, quoted span, reason) through `LLM.structured`, which validates
the reply against the schema and feeds errors back before giving up.

`batch_judge(llm)` is what a run uses: `template_judge` with the
`guard_judge` setting and a cache file in the data folder.
`template_judge(llm, settings_mode, cache_path)` wraps it in
`guardrails.judge.TemplateJudge` (one call per distinct template, answers
cached on disk), or returns None when the judge should not run: mode `off`,
or `auto` on the embedded SmolLM2-135M, which cannot judge. Pass the result
as `judge=` to `guardrails.batch_check.check_batch`; `BatchStats.layers`
then lists "judge" and `BatchStats.judge_calls` how many templates were sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agent.llm.local_server import runs_bundled_model
from guardrails.judge import CATEGORIES, JudgeFinding, TemplateJudge, judge_enabled

if TYPE_CHECKING:
    from agent.llm.client import LLM

SYSTEM = (
    "You review marketing messages before they are sent. Flag copy that asserts or implies "
    "a personal attribute of the reader (health, body, pregnancy, disability, religion, "
    "sexuality or gender, ethnicity, politics, financial hardship, criminal record, age, "
    "family events), that reveals tracking of the reader (exact times, places, counts), "
    "that shames them, or that invents urgency. Do not flag the brand's own products, "
    "venues or events, or ordinary product copy. Placeholders appear as X. "
    f"Categories: {', '.join(CATEGORIES)}. Quote the exact words."
)


class JudgeItem(BaseModel):
    """One problem in the template."""

    category: str = Field(description=f"one of: {', '.join(CATEGORIES)}")
    quote: str = Field(description="the exact words of the template that are the problem")
    reason: str = Field(description="one short sentence a marketer can act on")


class JudgeVerdict(BaseModel):
    """The judge's answer: the problems found (an empty list when the copy is fine)."""

    findings: list[JudgeItem]


def _sense(verdict: JudgeVerdict, text: str) -> list[str]:
    problems = []
    for i, item in enumerate(verdict.findings):
        if item.category not in CATEGORIES:
            problems.append(f"findings[{i}].category {item.category!r} is not a category")
        if item.quote.strip().lower() not in text.lower():
            problems.append(f"findings[{i}].quote is not in the message; quote it exactly")
    return problems


def llm_judge(llm: LLM):
    """A `guardrails.judge.Judge` that asks `llm` (see module doc)."""

    def judge(text: str) -> list[JudgeFinding]:
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Message template:\n{text}"},
        ]
        verdict = llm.structured(
            JudgeVerdict, messages, check=lambda v: _sense(v, text), temperature=0.0
        )
        return [JudgeFinding(f.category, f.quote, f.reason) for f in verdict.findings]

    return judge


def template_judge(
    llm: LLM, mode: str = "auto", cache_path: Path | None = None
) -> TemplateJudge | None:
    """The per-template, cached judge for a batch, or None when it must not run."""
    # `auto` leaves the judge off for the bundled 135M model however it is reached (embedded
    # server, or the same model served elsewhere): it cannot judge, only add noise or fail
    embedded = runs_bundled_model(llm.provider, llm.model)
    if not judge_enabled(mode, embedded=embedded):
        return None
    return TemplateJudge(llm_judge(llm), f"{llm.provider}:{llm.model}", cache_path)


def batch_judge(llm: LLM) -> TemplateJudge | None:
    """The batch's judge as the settings ask (`guard_judge`), cached in the data folder."""
    settings = llm.settings
    return template_judge(llm, settings.guard_judge, settings.home_path / "judge-cache.json")
