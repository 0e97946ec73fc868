"""Message variants: best-of-N candidates per segment and channel, judged twice, revised.

One LLM call per segment and channel (plus bounded revisions), never per user.
Each variant is a template that may use only the campaign's allow-listed
placeholders; per-user values are filled in locally afterwards. The prompt
carries the brand's own copy as few-shot examples (`examples`), and asks for
more candidates than the campaign needs (`candidates`), within the same call.

Every candidate goes through three gates:
1. the template gate (`validate_template`): only allow-listed placeholders, no
   template statements, attribute access or filters. A reply with no valid
   candidate at all is fed back through the structured-output retry loop;
   invalid candidates of a reply that has valid ones are dropped and counted;
2. the guardrails (`guard`), on the template rendered with placeholder-safe
   sample values: may it be sent?
3. the copy-quality gate (`quality`, `guardrails.quality`): does it speak to
   the reader, make sense, stay in the brand's world, differ from its siblings?
   It also gives the 0-100 score that picks the best N.

Candidates that pass both are kept, best score first. When fewer than N pass,
the findings of the best rejected candidates go back to the model as
feedback, up to `max_revisions` times. A slot still unfilled gets the best
rejected candidate, kept `block` with its reasons (category `quality` or the
guardrail's), never silently dropped and never shown as `pass`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel

from agent.errors import StructuredOutputError
from agent.llm.client import LLM
from agent.llm.output_checks import text_problems
from agent.llm.prompt_library import PromptTemplate
from agent.llm.schemas import VARIANT_SCHEMAS, sized
from guardrails.findings import verdict_of
from guardrails.quality import QualityResult, rank_candidates

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
# (channel, candidates, already kept) -> [(candidate index, result)], best first
QualityFn = Callable[
    [str, Sequence[Mapping[str, str]], Sequence[Mapping[str, str]]],
    list[tuple[int, QualityResult]],
]


@dataclass
class Variant:
    """One template variant for a segment and channel, with its verdicts and provenance."""

    cluster_id: int
    channel: str
    index: int
    fields: dict[str, str]
    prompt: str
    verdict: str  # pass | warn | block (guardrails and quality together)
    findings: list[dict[str, Any]] = field(default_factory=list)
    revisions: int = 0  # the revision round that wrote it (0: the first ask)
    source: str = "llm"  # "llm" | "invalid" (the model never produced a valid template)
    quality_score: int | None = None  # 0-100 from the copy-quality gate
    candidates: int = 0  # candidates the model wrote for this segment and channel, all rounds
    model: str | None = None

    @property
    def key(self) -> str:
        """A short id: `c<cluster>-<channel>-v<index>`."""
        return f"c{self.cluster_id}-{self.channel}-v{self.index}"

    @property
    def quality_blocked(self) -> bool:
        """Whether the copy-quality gate (not only the guardrails) blocked it."""
        return any(f["category"] == "quality" and f["severity"] == "block" for f in self.findings)

    def provenance(self) -> dict[str, Any]:
        """What wrote this variant, as stored on each of its drafts."""
        return {
            "prompt": self.prompt,
            "model": self.model,
            "candidates": self.candidates,
            "revision": self.revisions,
            "quality_score": self.quality_score,
        }

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


# what never goes back to the model, even when the model wrote it: numbers and addresses
# that look like contact details (non-negotiable 1: no PII in a prompt)
CONTACT_LIKE = re.compile(r"\S+@\S+|\+?\d[\d ()./-]{4,}\d")


def _reason(finding: Mapping[str, Any]) -> str:
    """A finding as the model reads it: PII findings say what, never quote it."""
    if finding.get("category") == "pii":
        return "it contained personal data; never write names, numbers or contact details"
    message = str(finding["message"])
    return message[:1].lower() + message[1:]


def feedback_for(rejected: Sequence[Variant], limit: int = 3) -> str:
    """The best rejected candidates and why, as the next prompt's feedback (no PII)."""
    lines = []
    for v in sorted(rejected, key=lambda v: -(v.quality_score or 0))[:limit]:
        shown = " / ".join(v.fields[f] for f in CHANNEL_FIELDS[v.channel])[:200]
        reasons = "; ".join(dict.fromkeys(_reason(f) for f in v.findings))[:400]
        lines.append(CONTACT_LIKE.sub("[removed]", f"- {shown!r}: {reasons}"))
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
    candidates: int | None = None,
    examples: Sequence[Mapping[str, str]] = (),
    quality: QualityFn | None = None,
) -> list[Variant]:
    """The N best variants for one segment and channel, each with a verdict (see module doc)."""
    quality = quality or (lambda ch, cands, kept: rank_candidates(ch, cands, kept=kept))
    extra = max((candidates or n) - n, 0)
    cid = int(segment["cluster_id"])
    accepted: list[Variant] = []
    rejected: list[Variant] = []
    written = 0
    feedback = ""
    for revision in range(max_revisions + 1):
        wanted = n - len(accepted) + extra
        variables = {
            "segment": segment,
            "placeholders": placeholders,
            "n": wanted,
            "brand_voice": brand_voice,
            "feedback": feedback,
            "examples": [dict(e) for e in examples],
        }
        try:
            items = _ask(llm, prompt, variables, channel, check_template, segment, wanted)
        except StructuredOutputError as exc:
            rejected.append(_invalid_variant(cid, channel, prompt, exc, revision, llm.model))
            errors = CONTACT_LIKE.sub("[removed]", str(exc.attempts[-1]["errors"]))
            feedback = f"- your output was invalid: {errors}"[:600]
            continue
        written += len(items)
        fresh = _judge(items, cid, channel, prompt, revision, llm.model, guard, quality, accepted)
        for variant in fresh:
            ok = variant.verdict != "block" and len(accepted) < n
            (accepted if ok else rejected).append(variant)
        if len(accepted) >= n:
            break
        feedback = feedback_for([v for v in rejected if v.source == "llm"] or rejected)
    rejected.sort(key=lambda v: (v.source != "llm", -(v.quality_score or 0)))
    result = accepted[:n] + rejected[: n - len(accepted[:n])]
    for index, variant in enumerate(result, start=1):
        variant.index = index
        variant.candidates = written
    return result


def _ask(
    llm: LLM,
    prompt: PromptTemplate,
    variables: dict[str, Any],
    channel: str,
    check_template: TemplateCheckFn,
    segment: Mapping[str, Any],
    wanted: int,
) -> list[dict[str, str]]:
    """One structured call; the fields of its template-valid candidates (at least one)."""
    name = str(segment.get("name", ""))

    def check(out: BaseModel) -> list[str]:
        found = [
            [f"variant {i + 1}: {p}" for p in variant_problems(channel, item, check_template, name)]
            for i, item in enumerate(out.variants[:wanted])  # type: ignore[attr-defined]
        ]
        if not found:
            return ["variants is empty"]
        # a reply with some valid candidates is used; only an all-invalid one is re-asked
        return [] if any(not f for f in found) else [p for f in found for p in f]

    out = llm.structured(
        sized(VARIANT_SCHEMAS[channel], wanted),
        prompt.render(variables),
        check=check,
        max_tokens=prompt.max_tokens or 1000,
        temperature=prompt.temperature,
    )
    return [
        {f: getattr(item, f).strip() for f in CHANNEL_FIELDS[channel]}
        for item in out.variants[:wanted]  # type: ignore[attr-defined]
        if not variant_problems(channel, item, check_template, name)
    ]


def _judge(
    items: list[dict[str, str]],
    cid: int,
    channel: str,
    prompt: PromptTemplate,
    revision: int,
    model: str,
    guard: GuardFn,
    quality: QualityFn,
    accepted: Sequence[Variant],
) -> list[Variant]:
    """Candidates as variants with guardrail and quality findings, best first."""
    ranked = quality(channel, items, [v.fields for v in accepted])
    out = []
    for i, result in ranked:
        _, guard_findings = guard(channel, items[i])
        findings = list(guard_findings) + [f.to_dict() for f in result.findings]
        out.append(
            Variant(
                cid,
                channel,
                0,
                items[i],
                prompt.ref,
                verdict_of(findings),
                findings,
                revision,
                quality_score=result.score,
                model=model,
            )
        )
    out.sort(key=lambda v: (v.verdict == "block", -(v.quality_score or 0)))
    return out


def _invalid_variant(
    cid: int,
    channel: str,
    prompt: PromptTemplate,
    exc: StructuredOutputError,
    revision: int,
    model: str | None = None,
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
    return Variant(
        cid,
        channel,
        0,
        fields,
        prompt.ref,
        "block",
        [finding],
        revision,
        "invalid",
        quality_score=0,
        model=model,
    )
