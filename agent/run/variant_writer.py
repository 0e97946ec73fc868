"""Message variants: the model writes N templates per segment and channel.

One LLM call per segment and channel (plus bounded revisions), never per user.
Each variant is a template that may use only the campaign's allow-listed
placeholders; per-user values are filled in locally afterwards.

Every variant goes through two gates:
1. the template gate (`validate_template`): only allow-listed placeholders, no
   template statements, attribute access or filters. Failures are fed back
   through the structured-output retry loop;
2. the guardrails (`guard`), on the template rendered with placeholder-safe
   sample values. A blocked variant is revised with the findings as feedback,
   up to `max_revisions` times; one that still fails is kept, blocked, with its
   reasons, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel

from agent.errors import StructuredOutputError
from agent.llm.client import LLM
from agent.llm.output_checks import text_problems
from agent.llm.prompt_library import PromptTemplate
from agent.llm.schemas import VARIANT_SCHEMAS

# channel -> the fields of one variant, in display order
CHANNEL_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "preheader", "body", "call_to_action"),
    "sms": ("text",),
    "push": ("title", "body"),
}
MIN_WORDS = {"body": 5, "text": 5, "subject": 2, "title": 2}

# (channel, fields) -> (verdict, findings)
GuardFn = Callable[[str, dict[str, str]], tuple[str, list[dict[str, Any]]]]
# template text -> problems
TemplateCheckFn = Callable[[str], list[str]]


@dataclass
class Variant:
    """One template variant for a segment and channel, with its guardrail verdict."""

    cluster_id: int
    channel: str
    index: int
    fields: dict[str, str]
    prompt: str
    verdict: str  # pass | warn | block
    findings: list[dict[str, Any]] = field(default_factory=list)
    revisions: int = 0
    source: str = "llm"  # "llm" | "invalid" (the model never produced a valid template)

    @property
    def key(self) -> str:
        """A short id: `c<cluster>-<channel>-v<index>`."""
        return f"c{self.cluster_id}-{self.channel}-v{self.index}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the store."""
        return {**asdict(self), "key": self.key}


def variant_problems(
    channel: str, variant: BaseModel, check_template: TemplateCheckFn, segment_name: str = ""
) -> list[str]:
    """Sense and template problems of one variant.

    The segment's name is an internal label: copy that says it to the customer
    ("Trial-and-gone") is sent back for a rewrite.
    """
    problems: list[str] = []
    label = segment_name.strip().lower()
    for name in CHANNEL_FIELDS[channel]:
        value = getattr(variant, name)
        problems += text_problems(name, value, min_words=MIN_WORDS.get(name, 1), max_chars=1200)
        problems += [f"{name}: {p}" for p in check_template(value)]
        if label and label in value.lower():
            problems.append(
                f"{name} names the internal segment {segment_name!r}; write to the person"
            )
    return problems


def _feedback(blocked: list[Variant]) -> str:
    lines = []
    for v in blocked:
        shown = " / ".join(v.fields[f] for f in CHANNEL_FIELDS[v.channel])[:200]
        reasons = "; ".join(f["message"] for f in v.findings[:4])
        lines.append(f"- {shown!r}: {reasons}")
    return "\n".join(lines)


def write_variants(
    llm: LLM,
    prompt: PromptTemplate,
    segment: dict[str, Any],
    channel: str,
    *,
    n: int,
    placeholders: list[str],
    brand_voice: str,
    check_template: TemplateCheckFn,
    guard: GuardFn,
    max_revisions: int = 2,
) -> list[Variant]:
    """N variants for one segment and channel, each with a verdict (see module doc)."""
    schema = VARIANT_SCHEMAS[channel]
    cid = int(segment["cluster_id"])
    accepted: list[Variant] = []
    blocked: list[Variant] = []
    feedback = ""
    for revision in range(max_revisions + 1):
        wanted = n - len(accepted)
        messages = prompt.render(
            {
                "segment": segment,
                "placeholders": placeholders,
                "n": wanted,
                "brand_voice": brand_voice,
                "feedback": feedback,
            }
        )

        def check(out: BaseModel, wanted: int = wanted) -> list[str]:
            items = out.variants  # type: ignore[attr-defined]
            if not items:
                return ["variants is empty"]
            return [
                f"variant {i + 1}: {p}"
                for i, item in enumerate(items[:wanted])
                for p in variant_problems(channel, item, check_template, segment.get("name", ""))
            ]

        try:
            out = llm.structured(
                schema,
                messages,
                check=check,
                max_tokens=prompt.max_tokens or 1000,
                temperature=prompt.temperature,
            )
        except StructuredOutputError as exc:
            blocked = [_invalid_variant(cid, channel, prompt, exc, revision)]
            feedback = f"- your output was invalid: {exc.attempts[-1]['errors']}"[:600]
            continue
        blocked = []
        for item in out.variants[:wanted]:  # type: ignore[attr-defined]
            fields = {name: getattr(item, name).strip() for name in CHANNEL_FIELDS[channel]}
            verdict, findings = guard(channel, fields)
            variant = Variant(cid, channel, 0, fields, prompt.ref, verdict, findings, revision)
            (blocked if verdict == "block" else accepted).append(variant)
        if len(accepted) >= n:
            break
        feedback = _feedback(blocked)
    result = accepted[:n] + blocked[: n - len(accepted[:n])]
    for index, variant in enumerate(result, start=1):
        variant.index = index
    return result


def _invalid_variant(
    cid: int, channel: str, prompt: PromptTemplate, exc: StructuredOutputError, revision: int
) -> Variant:
    fields = dict.fromkeys(CHANNEL_FIELDS[channel], "")
    fields["text" if channel == "sms" else "body"] = (exc.last_raw or "")[:500]
    finding = {
        "code": "invalid_llm_output",
        "category": "quality",
        "severity": "block",
        "start": 0,
        "end": 0,
        "message": f"The model did not produce a valid template: {exc.attempts[-1]['errors']}"[
            :400
        ],
    }
    return Variant(cid, channel, 0, fields, prompt.ref, "block", [finding], revision, "invalid")
