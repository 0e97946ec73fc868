"""The copy-quality gate: findings, a 0-100 score and a verdict for one variant or a set.

Each enabled rule of the policy reads the variant (`CopyText`) in its context
(`QualityContext`: allowed placeholders, the brand's words, the siblings it
must differ from). Its hits become `guardrails.findings.Finding`s with the
rule's code, category `quality`, the policy's severity, and the field named
`variant.<field>` (the span points into the variant's template field, not into
a rendered message, so it can never be mistaken for a span of one user's
draft). The score is 100 minus the weight of each rule that fired, once per
rule; the verdict is the guardrails' one verdict function over the findings.

`rank_candidates` is best-of-N: candidates are judged in order of their score
so that, of two near-duplicates, the better one is kept and the other flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from guardrails.findings import Finding, VerdictName, verdict_of
from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.quality_policy import QualityPolicy, load_quality_policy
from guardrails.quality.rules import RULES

CATEGORY = "quality"


@dataclass(frozen=True)
class QualityResult:
    """What the gate says about one variant."""

    score: int
    verdict: VerdictName
    findings: list[Finding] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The codes of the rules that fired, in policy order, once each."""
        return list(dict.fromkeys(f.code for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "score": self.score,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
        }


def check_copy(
    channel: str,
    fields: Mapping[str, str],
    context: QualityContext | None = None,
    policy: QualityPolicy | None = None,
) -> QualityResult:
    """The quality findings, score and verdict of one variant (its template fields)."""
    policy = policy or load_quality_policy()
    context = context or QualityContext()
    copy = CopyText(channel, fields)
    findings: list[Finding] = []
    score = 100
    for rule in policy.rules:
        hits = RULES[rule.code](copy, context, rule.params)
        if not hits:
            continue
        score -= rule.weight
        findings += [
            Finding(
                code=rule.code,
                category=CATEGORY,
                severity=rule.severity,  # type: ignore[arg-type]
                start=h.start,
                end=h.end,
                message=h.message,
                field=f"variant.{h.field}",
            )
            for h in hits
        ]
    return QualityResult(max(score, 0), verdict_of(findings), findings)


def rank_candidates(
    channel: str,
    candidates: Sequence[Mapping[str, str]],
    context: QualityContext | None = None,
    policy: QualityPolicy | None = None,
    *,
    kept: Sequence[Mapping[str, str]] = (),
) -> list[tuple[int, QualityResult]]:
    """(index, result) for every candidate, best first; near-duplicates of a better one flagged.

    `kept` are variants already chosen for the segment (an earlier round):
    every candidate must differ from them too.
    """
    policy = policy or load_quality_policy()
    context = context or QualityContext()
    alone = [check_copy(channel, c, replace(context, siblings=()), policy) for c in candidates]
    order = sorted(range(len(candidates)), key=lambda i: -alone[i].score)
    chosen = [CopyText(channel, k) for k in kept]
    out: list[tuple[int, QualityResult]] = []
    for i in order:
        ctx = replace(context, siblings=tuple(chosen))
        result = check_copy(channel, candidates[i], ctx, policy)
        out.append((i, result))
        if result.verdict != "block":
            chosen.append(CopyText(channel, candidates[i]))
    out.sort(key=lambda item: -item[1].score)
    return out
