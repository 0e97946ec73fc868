"""Evaluation suites for the prompt library (`winback prompts eval`).

A suite is a YAML file in `prompts/evals/` (promptfoo-like):

    prompt: email_variants          # prompt(s) under test; --prompt overrides
    description: ...
    threshold: 0.8                  # required pass rate of the cases
    case_threshold: 1.0             # weighted score a case needs (required ones must pass)
    vars: {brand_voice: "..."}      # defaults merged under every case's vars
    default:                        # assertions run on every case
      - type: schema-valid
        required: true
    cases:
      - name: loyal yoga fans
        vars: {segment: {...}, placeholders: [...], n: 2, feedback: ""}
        assert:
          - {type: not-contains, value: weight}

It is validated on load (unknown keys, unknown assertion types, variables a
prompt needs, python references): any problem is a `WinbackError` naming the
file and the key. The runner renders each case for each prompt version, calls
the model once with structured output, and scores the assertions
(`agent.evals.assertions`). A case whose output never validates fails
every assertion, with the model's last error as the reason; it does not stop
the run. Results come out in suite order: prompts as given, cases as written.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.errors import StructuredOutputError, WinbackError
from agent.evals.assertions import (
    Assertion,
    AssertionResult,
    EvalContext,
    resolve_python,
    run_assertion,
)
from agent.llm.client import LLM
from agent.llm.prompt_library import PromptLibrary, PromptTemplate
from agent.llm.schemas import SCHEMAS
from guardrails.policy import Policy
from guardrails.quality.rules import RULES
from prompts import PROMPTS_DIR
from prompts.errors import UserError
from prompts.yaml_file import read_yaml_mapping

EVALS_DIR = PROMPTS_DIR / "evals"


class SuiteError(WinbackError):
    """An evaluation suite file is invalid."""


class EvalCase(BaseModel):
    """One set of variables and the assertions on the output they produce."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1)
    description: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    assertions: list[Assertion] = Field(default_factory=list, alias="assert")
    threshold: float | None = Field(None, ge=0, le=1)


class EvalSuite(BaseModel):
    """A suite file, validated."""

    model_config = ConfigDict(extra="forbid")

    prompt: list[str] = Field(min_length=1)
    description: str = ""
    threshold: float = Field(1.0, ge=0, le=1)
    case_threshold: float = Field(1.0, ge=0, le=1)
    vars: dict[str, Any] = Field(default_factory=dict)
    default: list[Assertion] = Field(default_factory=list)
    cases: list[EvalCase] = Field(min_length=1)

    @field_validator("prompt", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


@dataclass
class LoadedSuite:
    """A validated suite with the prompt versions it will run."""

    path: Path
    suite: EvalSuite
    prompts: list[PromptTemplate]

    @property
    def name(self) -> str:
        """The file's stem, e.g. `push_variants`."""
        return self.path.stem


def _key(loc: tuple[Any, ...], data: Any = None) -> str:
    parts = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
            if i == 1 and loc[0] == "cases" and isinstance(data, dict):
                with contextlib.suppress(KeyError, IndexError, TypeError):
                    parts[-1] += f" ({data['cases'][part]['name']!r})"
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


def _check_assertion(path: Path, where: str, a: Assertion, prompt: PromptTemplate) -> None:
    needs_value = {"contains", "not-contains", "regex", "max-chars", "python"}
    if a.type in needs_value and a.value in (None, "", []):
        raise SuiteError(f"{path}: {where}: assertion {a.type} needs a value", "Add `value: ...`.")
    if a.type == "regex":
        try:
            re.compile(str(a.value))
        except re.error as exc:
            raise SuiteError(
                f"{path}: {where}.value: invalid regex {a.value!r} ({exc})", "Fix the pattern."
            ) from exc
    if a.type == "max-chars" and (not isinstance(a.value, int) or isinstance(a.value, bool)):
        raise SuiteError(
            f"{path}: {where}.value: max-chars needs a whole number", "e.g. `value: 600`."
        )
    if a.type == "segment-count" and prompt.output_schema != "SegmentPlans":
        raise SuiteError(
            f"{path}: {where}: segment-count only applies to segment plans, "
            f"not {prompt.ref} ({prompt.output_schema})",
            "Remove it or test a segment_synthesis prompt.",
        )
    if a.type == "quality" and a.value not in (None, "gate", *RULES):
        raise SuiteError(
            f"{path}: {where}.value: unknown quality rule {a.value!r}",
            f"Use `gate` or one of: {', '.join(RULES)}.",
        )
    if a.type == "quality" and prompt.output_schema not in (
        "EmailVariants",
        "SmsVariants",
        "PushVariants",
    ):
        raise SuiteError(
            f"{path}: {where}: quality only applies to variant prompts, not {prompt.ref}",
            "Remove it or test an email/sms/push_variants prompt.",
        )
    if a.type == "python":
        try:
            resolve_python(str(a.value))
        except ValueError as exc:
            raise SuiteError(
                f"{path}: {where}.value: bad python reference: {exc}",
                "Use 'module.path:function' importable from the repository, "
                "e.g. prompts.evals.checks:mentions_offer_placeholder.",
            ) from None


def load_suite(
    path: Path | str, prompts: list[str] | None = None, library: PromptLibrary | None = None
) -> LoadedSuite:
    """Read and validate a suite; `prompts` (refs) replace the suite's `prompt`."""
    path = Path(path)
    library = library or PromptLibrary()
    data = read_yaml_mapping(
        path,
        "Suite file",
        fix="Fix its syntax; see prompts/evals/*.yaml for the format.",
        missing_fix=f"Check the path; shipped suites are in {EVALS_DIR}.",
        kind="a mapping (prompt, defaultTest, cases)",
        empty_ok=False,
        error=SuiteError,
    )
    if prompts:
        data = {**data, "prompt": list(prompts)}
    try:
        suite = EvalSuite.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key(tuple(err["loc"]), data=data)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "literal_error" and key.endswith(".type"):
            msg = f"unknown assertion type {err.get('input')!r}"
        raise SuiteError(
            f"{path}: {key}: {msg}",
            "Allowed assertion types: schema-valid, guard-pass, contains, not-contains, regex, "
            "max-chars, segment-count, python, quality (see README 'The prompt library').",
        ) from None
    loaded = []
    for ref in suite.prompt:
        try:
            prompt = library.get(ref)
        except UserError as exc:
            raise SuiteError(f"{path}: prompt: {exc.message}", exc.fix) from None
        if prompt.output_schema not in SCHEMAS:
            raise SuiteError(
                f"{path}: prompt {prompt.ref} has no structured output schema",
                "Only prompts with an output_schema can be evaluated.",
            )
        loaded.append(prompt)
        for i, case in enumerate(suite.cases):
            where = f"cases[{i}] ({case.name!r})"
            variables = {**suite.vars, **case.vars}
            missing = sorted(set(prompt.inputs) - set(variables))
            if missing:
                raise SuiteError(
                    f"{path}: {where}.vars: missing {', '.join(missing)} for {prompt.ref}",
                    f"Give every input of the prompt: {', '.join(prompt.inputs)}.",
                )
            try:
                prompt.render(variables)
            except UserError as exc:
                raise SuiteError(f"{path}: {where}.vars: {exc.message}", exc.fix) from None
            for j, a in enumerate([*suite.default, *case.assertions]):
                label = (
                    f"default[{j}]"
                    if j < len(suite.default)
                    else f"{where}.assert[{j - len(suite.default)}]"
                )
                _check_assertion(path, label, a, prompt)
    names = [c.name for c in suite.cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SuiteError(f"{path}: cases: duplicate case name(s) {dupes}", "Name each case once.")
    return LoadedSuite(path, suite, loaded)


# -- the runner ----------------------------------------------------------------
@dataclass
class CaseResult:
    """One case on one prompt version."""

    name: str
    passed: bool
    score: float
    assertions: list[AssertionResult]
    output: dict[str, Any] | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {
            "name": self.name,
            "passed": self.passed,
            "score": round(self.score, 4),
            "error": self.error,
            "assertions": [a.to_dict() for a in self.assertions],
            "output": self.output,
        }


@dataclass
class PromptResult:
    """Every case of a suite on one prompt version."""

    prompt: str
    threshold: float
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        """Share of cases that passed."""
        return sum(c.passed for c in self.cases) / len(self.cases) if self.cases else 0.0

    @property
    def passed(self) -> bool:
        """Whether the pass rate reaches the suite's threshold."""
        return self.pass_rate >= self.threshold - 1e-9

    def by_assertion(self) -> dict[str, dict[str, Any]]:
        """Pass counts and rate per assertion type, in first-seen order."""
        out: dict[str, dict[str, Any]] = {}
        for case in self.cases:
            for a in case.assertions:
                row = out.setdefault(a.type, {"passed": 0, "total": 0})
                row["passed"] += a.passed
                row["total"] += 1
        for row in out.values():
            row["pass_rate"] = round(row["passed"] / row["total"], 4)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {
            "prompt": self.prompt,
            "pass_rate": round(self.pass_rate, 4),
            "threshold": self.threshold,
            "passed": self.passed,
            "cases": [c.to_dict() for c in self.cases],
            "by_assertion": self.by_assertion(),
        }


def score_case(
    name: str,
    results: list[AssertionResult],
    threshold: float,
    output: dict[str, Any] | None,
    error: str | None = None,
) -> CaseResult:
    """A case passes when every required assertion passes and its weighted score reaches
    `threshold` (1.0: every assertion must pass)."""
    total = sum(r.weight for r in results)
    score = sum(r.weight * r.score for r in results) / total if total else 0.0
    if threshold >= 1.0:
        passed = all(r.passed for r in results)
    else:
        passed = all(r.passed for r in results if r.required) and score >= threshold - 1e-9
    if output is None:
        passed = False
    return CaseResult(name, passed, score, results, output, error)


def run_case(
    llm: LLM, prompt: PromptTemplate, case: EvalCase, suite: EvalSuite, policy: Policy
) -> CaseResult:
    """Render, call the model once, score the assertions."""
    variables = {**suite.vars, **case.vars}
    messages = prompt.render(variables)
    schema = SCHEMAS[prompt.output_schema or ""]
    output: dict[str, Any] | None = None
    error: str | None = None
    try:
        value = llm.structured(
            schema,
            messages,
            retries=0,
            max_tokens=prompt.max_tokens or 1000,
            temperature=prompt.temperature,
        )
        output = value.model_dump()
    except StructuredOutputError as exc:
        error = str(exc.attempts[-1]["errors"]) if exc.attempts else str(exc)
    ctx = EvalContext(
        prompt, variables, policy, case={"name": case.name, "vars": variables, "prompt": prompt.ref}
    )
    results = [
        run_assertion(a, output, ctx, error or "") for a in [*suite.default, *case.assertions]
    ]
    threshold = suite.case_threshold if case.threshold is None else case.threshold
    return score_case(case.name, results, threshold, output, error)


def run_suite(
    loaded: LoadedSuite, llm: LLM, policy: Policy, on_case: Any = None
) -> list[PromptResult]:
    """Every case on every prompt version, in order; `on_case(ref, case_name)` before each."""
    results = []
    for prompt in loaded.prompts:
        result = PromptResult(prompt.ref, loaded.suite.threshold)
        for case in loaded.suite.cases:
            if on_case is not None:
                on_case(prompt.ref, case.name)
            result.cases.append(run_case(llm, prompt, case, loaded.suite, policy))
        results.append(result)
    return results


def report(loaded: LoadedSuite, results: list[PromptResult], llm: LLM) -> dict[str, Any]:
    """The `--json` document."""
    return {
        "suite": str(loaded.path),
        "description": loaded.suite.description,
        "threshold": loaded.suite.threshold,
        "results": [r.to_dict() for r in results],
        "llm": {"provider": llm.provider, "model": llm.model, **llm.usage.summary()},
    }
