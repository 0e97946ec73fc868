"""The draft record: one user's message on one channel, from render to the queue.

A `Draft` is made once per (user, channel) by the render stage
(`agent.run.render_stage`) and may be given a personal opening
(`agent.drafts.personal_touch`). `agent.drafts.check.check_drafts` turns each
into a `CheckedDraft`: the draft, its verdict and its findings. Only a
checked draft has a `to_row`, the one mapping from the record to the `drafts`
table, so an unchecked draft cannot reach the queue. Both are frozen: a stage
that changes a draft returns a new one, so what the render produced and what
the check decided cannot be confused or half-applied. (The check wraps the
draft instead of copying it with a verdict: 100,000 drafts are checked per
run, and a three-field wrapper costs a fraction of a twenty-field copy.)

Control users never get a `Draft`: the holdout is recorded by the store stage
as bare (user, arm, channel) rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from guardrails.findings import VerdictName

DraftArm = Literal["baseline", "treatment"]


@dataclass(frozen=True, slots=True)
class Draft:
    """One rendered message for one user and channel, before the guardrails.

    `template_id` names the exact template the guardrails' batch path groups by
    (a personal opening makes it unique to the user); `variant` is the name
    stored and reviewed (`c0-email-v1`, `baseline-email`, `...+personal`).
    `values` are the per-user placeholder values that were substituted (the
    guardrails allow them in this message); `unrendered` names the placeholder
    no template could fill, in which case the draft has no template and its
    body says why. `variant_findings` are the findings of the variant's own
    check (`agent.drafts.check.check_variant`); the draft's check keeps those
    that only the variant level can know (the model's output was invalid).
    """

    user_id: str
    arm: DraftArm
    channel: str
    segment: str | None
    address: str | None
    incentive: dict[str, Any] | None  # {code, text, value, unit, cost}
    values: dict[str, Any]
    first_name: str | None
    body: str
    subject: str | None = None
    template_id: str | None = None
    variant: str | None = None
    prompt: str | None = None
    subject_template: str | None = None
    body_template: str | None = None
    variant_findings: tuple[dict[str, Any], ...] = ()
    unrendered: str | None = None
    # what wrote the copy (`Variant.provenance()`); None for the baseline copy
    provenance: dict[str, Any] | None = None

    @property
    def rendered(self) -> bool:
        """Whether a template rendered for this user (else the body names the missing value)."""
        return self.template_id is not None

    @property
    def prompts(self) -> list[str]:
        """The prompts (name@version) that wrote this draft's copy."""
        return self.prompt.split("+") if self.prompt else []

    def personalization(self) -> dict[str, Any]:
        """What the guardrails allowed in this message, so a reviewer's edit is judged the same."""
        return {
            "first_name": self.first_name,
            "values": {k: str(v) for k, v in self.values.items()},
        }


@dataclass(frozen=True, slots=True)
class CheckedDraft:
    """A draft and what the guardrails said about it: ready for the queue."""

    draft: Draft
    verdict: VerdictName
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        """The row `agent.store.drafts.insert_drafts` writes (the one record-to-table mapping)."""
        d = self.draft
        return {
            "user_id": d.user_id,
            "arm": d.arm,
            "channel": d.channel,
            "segment": d.segment,
            "variant": d.variant,
            "address": d.address,
            "subject": d.subject,
            "body": d.body,
            "incentive": d.incentive,
            "verdict": self.verdict,
            "findings": self.findings,
            "prompt": d.prompt,
            "personalization": d.personalization(),
            "provenance": d.provenance,
        }


def unrendered_body(placeholder: str) -> str:
    """The body of a draft no template could render: it names the missing value."""
    return f"(not rendered: no value for {{{{ {placeholder} }}}})"
