"""The assertions of a prompt evaluation suite, and how each one is scored.

An assertion reads one model output (a plain dict, as the output schema dumps
it) in the context of its case (the prompt, its variables, the guardrail
policy) and returns a pass/fail with a score in [0, 1] and a reason:

- `schema-valid`: the output validates against the prompt's output schema and
  passes the pipeline's own sense checks (`check_plans` for segment plans;
  `variant_problems` with `template_problems` for variants);
- `guard-pass`: no variant is blocked by the guardrails (composed with
  `compose`, checked by `check_variant`); for segment plans, no name,
  description or angle trips a blocking creepy-factor rule;
- `contains`, `not-contains` (case-insensitive, over all the output's text),
  `regex` (Python `re.search`; add `(?i)` for case-insensitive);
- `max-chars`: every variant (or segment plan) is at most `value` characters,
  counted over `field` when given, else over all its text fields;
- `segment-count`: the number of plans equals `value`, or the number of
  profiles when `value` is not given;
- `python`: `value: "module.path:function"`, called with `(output, case)`,
  returning a bool, a float score (passes at `threshold`, default 0.5) or
  `{"pass": bool, "score": float, "reason": str}`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.llm.client import format_validation_errors
from agent.llm.prompt_library import PromptTemplate
from agent.llm.schemas import SCHEMAS, VARIANT_SCHEMAS, PersonalTouch, SegmentPlans
from guardrails.policy import Policy

AssertionType = Literal[
    "schema-valid",
    "guard-pass",
    "contains",
    "not-contains",
    "regex",
    "max-chars",
    "segment-count",
    "python",
    "quality",
]
ASSERTION_TYPES: tuple[str, ...] = AssertionType.__args__  # type: ignore[attr-defined]
CHANNEL_OF_SCHEMA = {schema.__name__: channel for channel, schema in VARIANT_SCHEMAS.items()}
# free-text fields checked by guard-pass for non-variant outputs (segment plans, openings)
SEGMENT_TEXT_FIELDS = ("name", "description", "message_angle", "tone", "opening")


class Assertion(BaseModel):
    """One check of a case's output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: AssertionType
    value: Any = None
    field: str | None = None
    weight: float = Field(1.0, ge=0)
    required: bool = False
    threshold: float | None = Field(None, ge=0, le=1)
    description: str | None = None


@dataclass
class EvalContext:
    """What an assertion may look at besides the output."""

    prompt: PromptTemplate
    variables: dict[str, Any]
    policy: Policy
    case: dict[str, Any] = field(default_factory=dict)

    @property
    def channel(self) -> str | None:
        """`email` | `sms` | `push` for variant prompts, else None."""
        return CHANNEL_OF_SCHEMA.get(self.prompt.output_schema or "")

    @property
    def placeholders(self) -> list[str]:
        """The case's allow-listed placeholders (variant prompts)."""
        return list(self.variables.get("placeholders") or [])


@dataclass
class AssertionResult:
    """The outcome of one assertion on one output."""

    type: str
    passed: bool
    score: float
    reason: str
    weight: float = 1.0
    required: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {
            "type": self.type,
            "passed": self.passed,
            "score": round(self.score, 4),
            "reason": self.reason,
            "weight": self.weight,
            "required": self.required,
        }


# -- helpers -------------------------------------------------------------------
def output_items(output: dict[str, Any]) -> list[dict[str, Any]]:
    """The variants or segment plans of an output (the output itself otherwise)."""
    for key in ("variants", "segments"):
        if isinstance(output.get(key), list):
            return [item for item in output[key] if isinstance(item, dict)]
    return [output]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def output_text(output: dict[str, Any]) -> str:
    """Every string in the output, one per line, in order."""
    return "\n".join(_strings(output))


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _fraction(good: int, total: int) -> float:
    return good / total if total else 0.0


def resolve_python(ref: str) -> Callable[..., Any]:
    """The function named by `module.path:function`; raises ValueError saying why not."""
    module_name, sep, attr = str(ref).partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{ref!r} is not 'module.path:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import module {module_name!r} ({exc})") from exc
    func = getattr(module, attr, None)
    if not callable(func):
        raise ValueError(f"module {module_name!r} has no function {attr!r}")
    return func


# -- the assertion types --------------------------------------------------------
def _schema_valid(
    a: Assertion, output: dict[str, Any], ctx: EvalContext
) -> tuple[bool, float, str]:
    from agent.drafts.template import template_problems
    from agent.run.segment_plans import check_plans
    from agent.run.variant_writer import variant_problems

    schema = SCHEMAS[ctx.prompt.output_schema or ""]
    try:
        parsed = schema.model_validate(output)
    except ValidationError as exc:
        return False, 0.0, f"not a valid {schema.__name__}: {format_validation_errors(exc)}"
    if isinstance(parsed, SegmentPlans):
        ids = [int(p["cluster_id"]) for p in ctx.variables.get("profiles", [])]
        problems = check_plans(parsed, ids)
        total = max(len(parsed.segments), 1)
    elif isinstance(parsed, PersonalTouch):
        from agent.llm.output_checks import text_problems

        problems = text_problems("opening", parsed.opening, min_words=4, max_chars=200)
        problems += template_problems(parsed.opening, ctx.placeholders)
        total = 1
    else:
        channel = ctx.channel or ""
        items = parsed.variants[: int(ctx.variables.get("n") or len(parsed.variants))]  # type: ignore[attr-defined]
        if not items:
            return False, 0.0, "variants is empty"
        name = str((ctx.variables.get("segment") or {}).get("name", ""))
        problems = [
            f"variant {i + 1}: {p}"
            for i, item in enumerate(items)
            for p in variant_problems(
                channel, item, lambda t: template_problems(t, ctx.placeholders), name
            )
        ]
        total = len(items)
    if problems:
        bad = len({p.split(":")[0] for p in problems})
        return False, max(0.0, 1 - _fraction(bad, total)), "; ".join(problems)[:500]
    return True, 1.0, f"valid {schema.__name__}, sense checks pass"


def _guard_pass(a: Assertion, output: dict[str, Any], ctx: EvalContext) -> tuple[bool, float, str]:
    from agent.drafts.check import check_variant
    from guardrails.check_message import text_findings

    items = output_items(output)
    if not items:
        return False, 0.0, "no variants or plans to check"
    blocked: list[str] = []
    if ctx.channel is None:
        for i, plan in enumerate(items, start=1):
            hits = [
                f.message
                for name in SEGMENT_TEXT_FIELDS
                for f in text_findings(str(plan.get(name, "")), ctx.policy, name)
                if f.severity == "block"
            ]
            if hits:
                blocked.append(f"plan {i}: {'; '.join(hits[:3])}")
    else:
        n = int(ctx.variables.get("n") or len(items))
        items = items[:n]
        for i, item in enumerate(items, start=1):
            fields = {k: str(v) for k, v in item.items() if isinstance(v, str)}
            try:
                verdict, findings = check_variant(
                    ctx.channel, fields, placeholders=ctx.placeholders, policy=ctx.policy
                )
            except Exception as exc:  # a template the sandbox rejects cannot be sent either
                blocked.append(f"variant {i}: template rejected ({exc})")
                continue
            if verdict == "block":
                reasons = "; ".join(f["message"] for f in findings if f["severity"] == "block")
                blocked.append(f"variant {i}: {reasons[:200]}")
    score = 1 - _fraction(len(blocked), len(items))
    if blocked:
        return False, score, " | ".join(blocked)[:500]
    return True, 1.0, f"{len(items)} checked, none blocked"


def _contains(a: Assertion, output: dict[str, Any], ctx: EvalContext) -> tuple[bool, float, str]:
    text = output_text(output).lower()
    missing = [v for v in _values(a.value) if v.lower() not in text]
    wanted = len(_values(a.value))
    if missing:
        return False, 1 - _fraction(len(missing), wanted), f"missing {missing}"
    return True, 1.0, f"contains {_values(a.value)}"


def _not_contains(
    a: Assertion, output: dict[str, Any], ctx: EvalContext
) -> tuple[bool, float, str]:
    text = output_text(output).lower()
    found = [v for v in _values(a.value) if v.lower() in text]
    wanted = len(_values(a.value))
    if found:
        return False, 1 - _fraction(len(found), wanted), f"contains {found}"
    return True, 1.0, f"none of {_values(a.value)}"


def _regex(a: Assertion, output: dict[str, Any], ctx: EvalContext) -> tuple[bool, float, str]:
    match = re.search(str(a.value), output_text(output))
    if match:
        return True, 1.0, f"matched {match.group(0)[:60]!r}"
    return False, 0.0, f"no match for {a.value!r}"


def _max_chars(a: Assertion, output: dict[str, Any], ctx: EvalContext) -> tuple[bool, float, str]:
    limit = int(a.value)
    items = output_items(output)
    lengths = []
    for item in items:
        if a.field is not None:
            lengths.append(len(str(item.get(a.field, ""))))
        else:
            lengths.append(len(" ".join(_strings(item))))
    over = [n for n in lengths if n > limit]
    what = a.field or "text"
    if over or not lengths:
        score = 1 - _fraction(len(over), len(lengths))
        return False, score, f"{len(over)} of {len(lengths)} over {limit} chars of {what}: {over}"
    return True, 1.0, f"longest {what} {max(lengths)} <= {limit}"


def _segment_count(
    a: Assertion, output: dict[str, Any], ctx: EvalContext
) -> tuple[bool, float, str]:
    wanted = int(a.value) if a.value is not None else len(ctx.variables.get("profiles", []))
    got = len(output.get("segments") or [])
    if got == wanted:
        return True, 1.0, f"{got} plans"
    return False, 0.0, f"{got} plans, wanted {wanted}"


def _python(a: Assertion, output: dict[str, Any], ctx: EvalContext) -> tuple[bool, float, str]:
    func = resolve_python(str(a.value))
    threshold = 0.5 if a.threshold is None else a.threshold
    try:
        result = func(output, ctx.case)
    except Exception as exc:
        return False, 0.0, f"{a.value} raised {exc.__class__.__name__}: {exc}"
    if isinstance(result, bool):
        return result, float(result), f"{a.value} returned {result}"
    if isinstance(result, int | float):
        score = max(0.0, min(1.0, float(result)))
        return score >= threshold, score, f"{a.value} scored {score:.2f}"
    if isinstance(result, dict) and ("pass" in result or "score" in result):
        score = float(result.get("score", 1.0 if result.get("pass") else 0.0))
        passed = bool(result["pass"]) if "pass" in result else score >= threshold
        return passed, max(0.0, min(1.0, score)), str(result.get("reason", ""))
    return False, 0.0, f"{a.value} returned {type(result).__name__}, not bool/float/dict"


def _quality(a: Assertion, output: dict[str, Any], ctx: EvalContext) -> tuple[bool, float, str]:
    """Share of variants the copy-quality gate does not fault: `value` is one rule's code,
    or `gate` for the whole gate (no blocking finding). The brand's world is the case's
    `examples` and `brand_words` vars, as in a run."""
    from guardrails.quality import QualityContext, brand_stems, rank_candidates

    items = output_items(output)[: int(ctx.variables.get("n") or 10**6)]
    if ctx.channel is None or not items:
        return False, 0.0, "no variants to judge"
    texts = [str(v) for e in ctx.variables.get("examples") or [] for v in dict(e).values()]
    context = QualityContext(
        placeholders=tuple(ctx.placeholders),
        brand_words=brand_stems(ctx.variables.get("brand_words") or [], texts),
    )
    rule = str(a.value or "gate")
    faulted = []
    fields = [{k: str(v) for k, v in item.items() if isinstance(v, str)} for item in items]
    # ranked together, as the variant writer does: a near-copy of a better variant is faulted
    for i, result in sorted(rank_candidates(ctx.channel, fields, context)):
        hits = [
            f.message
            for f in result.findings
            if (f.code == rule if rule != "gate" else f.severity == "block")
        ]
        if hits:
            faulted.append(f"variant {i + 1}: {hits[0]}")
    score = 1 - _fraction(len(faulted), len(items))
    threshold = a.threshold if a.threshold is not None else 1.0
    if faulted:
        return score >= threshold, score, " | ".join(faulted)[:500]
    return True, 1.0, f"{len(items)} judged, none faulted by {rule}"


CHECKS: dict[str, Callable[[Assertion, dict[str, Any], EvalContext], tuple[bool, float, str]]] = {
    "schema-valid": _schema_valid,
    "guard-pass": _guard_pass,
    "contains": _contains,
    "not-contains": _not_contains,
    "regex": _regex,
    "max-chars": _max_chars,
    "segment-count": _segment_count,
    "python": _python,
    "quality": _quality,
}


def run_assertion(
    assertion: Assertion, output: dict[str, Any] | None, ctx: EvalContext, error: str = ""
) -> AssertionResult:
    """Score one assertion; with no valid output (`output` None) it fails with `error`."""
    if output is None:
        passed, score, reason = False, 0.0, f"no valid output: {error}"[:500]
    else:
        passed, score, reason = CHECKS[assertion.type](assertion, output, ctx)
    return AssertionResult(
        assertion.type, passed, score, reason, assertion.weight, assertion.required
    )
