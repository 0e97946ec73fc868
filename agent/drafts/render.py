"""Per-user rendering: one subject and body per user and channel, no LLM involved.

Treatment users get their segment's variant (assigned deterministically,
balanced within the segment); baseline users get the human-written copy from
`prompts/baseline_copy.yaml`. Templates are compiled once (validated against
the allow-list) and rendered for many users with plain string operations.

A user whose variant needs a value they lack (say `favorite_category` is
empty) gets the next variant of the segment that renders for them; a user no
variant can render for gets a blocked draft that says which value is missing,
so nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from agent.drafts.compose import compose
from agent.drafts.template import CompiledTemplate, TemplateRejected, compile_template
from agent.errors import WinbackError
from prompts import PROMPTS_DIR
from prompts.channels import CHANNELS
from prompts.yaml_file import read_yaml_mapping

BASELINE_COPY = PROMPTS_DIR / "baseline_copy.yaml"


@dataclass(frozen=True)
class Template:
    """A composed, compiled template: what every user of one variant receives."""

    id: str  # e.g. "c0-email-v1" or "baseline-email"
    channel: str
    subject: CompiledTemplate | None
    body: CompiledTemplate
    verdict: str
    findings: tuple[dict[str, Any], ...]
    prompt: str | None
    segment: str | None
    provenance: dict[str, Any] | None = None  # what wrote it (prompt, model, candidates, ...)


def compile_variant(
    id: str,
    channel: str,
    fields: dict[str, str],
    placeholders: list[str],
    *,
    verdict: str = "pass",
    findings: list[dict[str, Any]] | None = None,
    prompt: str | None = None,
    segment: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> Template:
    """Compose and compile one variant's fields."""
    subject, body = compose(channel, fields)
    return Template(
        id=id,
        channel=channel,
        subject=compile_template(subject, placeholders) if subject else None,
        body=compile_template(body, placeholders),
        verdict=verdict,
        findings=tuple(findings or ()),
        prompt=prompt,
        segment=segment,
        provenance=provenance,
    )


def load_baseline_copy(path: Path | None, placeholders: list[str]) -> dict[str, Template]:
    """The baseline templates by key (`email`, `email_with_incentive`, ...), validated."""
    path = Path(path) if path else BASELINE_COPY
    data = read_yaml_mapping(
        path, "Baseline copy file", fix="Write one mapping of fields per channel key."
    )
    templates = {}
    for key, fields in data.items():
        channel = str(key).split("_with_")[0]
        if channel not in CHANNELS or not isinstance(fields, dict):
            raise WinbackError(
                f"Baseline copy {path}: unknown entry {key!r}",
                "Use email, sms, push and their *_with_incentive forms, each a mapping of fields.",
            )
        try:
            templates[key] = compile_variant(
                f"baseline-{key}", channel, {k: str(v) for k, v in fields.items()}, placeholders
            )
        except TemplateRejected as exc:
            raise WinbackError(
                f"Baseline copy {path}, entry {key!r}: {exc}", "Fix the template."
            ) from exc
    return templates


def render_group(
    templates: list[Template], values: pd.DataFrame
) -> tuple[list[Template | None], list[str | None], list[str | None], list[str | None]]:
    """Render users (rows of `values`) with the first template of the list that works for each.

    Returns, per user: the template used (None if none rendered), subject, body,
    and the missing placeholder when nothing rendered.
    """
    n = len(values)
    used: list[Template | None] = [None] * n
    subjects: list[str | None] = [None] * n
    bodies: list[str | None] = [None] * n
    missing: list[str | None] = [None] * n
    todo = list(range(n))
    for template in templates:
        if not todo:
            break
        part = values.iloc[todo]
        body, miss = template.body.render_many(part)
        subj: list[str | None] = [None] * len(todo)
        subj_miss: list[str | None] = [None] * len(todo)
        if template.subject is not None:
            subj, subj_miss = template.subject.render_many(part)
        still = []
        for j, i in enumerate(todo):
            if body[j] is not None and (template.subject is None or subj[j] is not None):
                used[i], subjects[i], bodies[i] = template, subj[j], body[j]
            else:
                missing[i] = missing[i] or miss[j] or subj_miss[j]
                still.append(i)
        todo = still
    return used, subjects, bodies, missing
