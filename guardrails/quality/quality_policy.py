"""The quality policy: which copy-quality rules run, with what severity, weight and parameters.

Read from YAML (`guardrails/quality/quality_policy.yaml` by default, or a file
the campaign names); unknown rules, severities and weights out of range are
errors naming the file and the rule, raised as `GuardrailsError` (exit 2)
before any model is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from guardrails.errors import GuardrailsError
from guardrails.quality.rules import RULES
from prompts.yaml_file import read_yaml_mapping

DEFAULT_QUALITY_POLICY = Path(__file__).with_name("quality_policy.yaml")
SEVERITIES = ("off", "warn", "block")


@dataclass(frozen=True)
class RuleSetting:
    """One rule's severity, score weight and parameters."""

    code: str
    severity: str
    weight: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QualityPolicy:
    """The enabled rules, in policy order, and where they came from."""

    rules: tuple[RuleSetting, ...]
    source: str

    def rule(self, code: str) -> RuleSetting | None:
        """The setting of one rule, None when it is off or absent."""
        return next((r for r in self.rules if r.code == code), None)


def quality_policy_from_data(data: dict[str, Any], source: str) -> QualityPolicy:
    """A validated policy from parsed YAML (`source` names it in errors)."""
    fix = f"Fix {source} (see guardrails/quality/quality_policy.yaml for the format)."
    rules = data.get("rules")
    if not isinstance(rules, dict) or not rules:
        raise GuardrailsError(f"Quality policy {source} has no `rules:` mapping", fix)
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise GuardrailsError(
            f"Quality policy {source}: unknown rule(s) {', '.join(unknown)}",
            f"Known rules: {', '.join(RULES)}.",
        )
    settings = []
    for code, raw in rules.items():
        raw = raw or {}
        if not isinstance(raw, dict):
            raise GuardrailsError(f"Quality policy {source}: rule {code} must be a mapping", fix)
        severity = raw.get("severity", "block")
        weight = raw.get("weight", 10)
        if severity not in SEVERITIES:
            raise GuardrailsError(
                f"Quality policy {source}: rule {code} has severity {severity!r}",
                f"Use one of {', '.join(SEVERITIES)}.",
            )
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
            raise GuardrailsError(
                f"Quality policy {source}: rule {code} has weight {weight!r}",
                "Use a whole number from 0 to 100 (points off the quality score).",
            )
        if severity == "off":
            continue
        params = {k: v for k, v in raw.items() if k not in ("severity", "weight")}
        settings.append(RuleSetting(code, severity, weight, params))
    return QualityPolicy(tuple(settings), source)


@lru_cache(maxsize=8)
def _load(path: str) -> QualityPolicy:
    data = read_yaml_mapping(
        Path(path),
        "Quality policy",
        fix="Write a mapping with a `rules:` key (see guardrails/quality/quality_policy.yaml).",
        error=GuardrailsError,
    )
    return quality_policy_from_data(data, path)


def load_quality_policy(path: Path | str | None = None) -> QualityPolicy:
    """The policy at `path`, or the shipped default (parsed once per process)."""
    return _load(str(Path(path) if path else DEFAULT_QUALITY_POLICY))
