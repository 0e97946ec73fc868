"""An LLM judge as an optional last layer: it can add findings, never remove them.

`guardrails` does not talk to models (it imports only `prompts`), so the
judge is an interface: a `Judge` is any callable that takes the text of one
template and returns `JudgeFinding`s (category, quoted span, reason). The
agent side plugs a model in (`agent/drafts/llm_judge.py`); tests and other
tools can plug in anything with that shape.

- Per distinct template, not per user: `TemplateJudge` asks the judge once per
  template text (the batch path sends each template's stand-in text, a few
  tens per batch) and caches the answer by the text's hash, in memory and,
  with `cache_path`, in a JSON file that survives the process.
- A quote is located in the template; a quote that is not in the text (a
  model paraphrasing) flags the whole template rather than being dropped.
- An unknown category becomes `judge_other`; every judge finding has
  severity `JUDGE_SEVERITY` (block): a capable model that names a concrete
  span is a reason to stop the message for review.
- `add_judge_findings` returns the verdict with the judge's findings added:
  the judge cannot turn a `block` into a `pass`.
- `judge_enabled(mode, embedded)`: `off`, `on`, or `auto` (the default),
  which is on unless the model is the embedded 135M one, which cannot judge.

`parse_judge_reply` reads the JSON a model is asked to produce,
`{"findings": [{"category", "quote", "reason"}]}`, and raises
`JudgeReplyError` for anything else, so a bad reply is visible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrails.errors import GuardrailsError
from guardrails.findings import Finding, Verdict, quote
from guardrails.rules import CATEGORIES

JUDGE_SEVERITY = "block"
JUDGE_MODES = ("auto", "on", "off")


class JudgeReplyError(GuardrailsError):
    """A judge reply that is not the expected JSON."""


@dataclass(frozen=True, slots=True)
class JudgeFinding:
    """One problem the judge names: its category, the quoted words, and why."""

    category: str
    quote: str
    reason: str


Judge = Callable[[str], list[JudgeFinding]]


def judge_enabled(mode: str, embedded: bool) -> bool:
    """Whether the judge runs: `on`, `off`, or `auto` = on unless the model is embedded."""
    if mode not in JUDGE_MODES:
        raise GuardrailsError(
            f"Judge mode {mode!r} is not one of {', '.join(JUDGE_MODES)}",
            "Use auto (the default), on or off.",
        )
    return mode == "on" or (mode == "auto" and not embedded)


def parse_judge_reply(text: str) -> list[JudgeFinding]:
    """The findings in a model's JSON reply (see module doc)."""
    raw = text.strip()
    if raw.startswith("```"):
        raw = raw.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise JudgeReplyError(f"The judge's reply is not JSON ({exc.msg})") from None
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise JudgeReplyError('The judge\'s reply has no "findings" list')
    found = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("category", "quote", "reason")
        ):
            raise JudgeReplyError(f"Judge finding {i} needs string category, quote and reason")
        found.append(JudgeFinding(item["category"].strip(), item["quote"], item["reason"]))
    return found


def to_findings(text: str, judged: Iterable[JudgeFinding], field: str = "text") -> list[Finding]:
    """Reviewer findings for the judge's answers about `text`."""
    out = []
    lowered = text.lower()
    for j in judged:
        at = lowered.find(j.quote.strip().lower()) if j.quote.strip() else -1
        start, end = (at, at + len(j.quote.strip())) if at >= 0 else (0, len(text))
        category = j.category if j.category in CATEGORIES else "other"
        out.append(
            Finding(
                f"judge_{category}",
                category,
                JUDGE_SEVERITY,
                start,
                end,
                f"LLM judge: {j.reason.strip() or category} {quote(text, start, end)}",
                field,
            )
        )
    return out


class TemplateJudge:
    """A `Judge` called once per distinct template text, answers cached (see module doc)."""

    def __init__(self, judge: Judge, name: str, cache_path: str | Path | None = None) -> None:
        self.judge, self.name = judge, name
        self.cache_path = Path(cache_path) if cache_path else None
        self.calls = 0
        self._cache: dict[str, list[dict[str, str]]] = {}
        if self.cache_path and self.cache_path.is_file():
            try:
                self._cache = json.loads(self.cache_path.read_text("utf-8"))
            except (OSError, json.JSONDecodeError):
                self._cache = {}  # a damaged cache is only a cache: ask again

    def key(self, text: str) -> str:
        """The cache key of a template text for this judge."""
        return hashlib.sha256(f"{self.name}\n{text}".encode()).hexdigest()

    def __call__(self, text: str) -> list[JudgeFinding]:
        """The judge's findings for `text`, from the cache when seen before."""
        key = self.key(text)
        if key not in self._cache:
            self.calls += 1
            self._cache[key] = [
                {"category": j.category, "quote": j.quote, "reason": j.reason}
                for j in self.judge(text)
            ]
            if self.cache_path:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                self.cache_path.write_text(json.dumps(self._cache), "utf-8")
        return [JudgeFinding(**item) for item in self._cache[key]]


def add_judge_findings(verdict: Verdict, extra: Iterable[Finding]) -> Verdict:
    """`verdict` with the judge's findings added; nothing is ever removed."""
    return Verdict.of(verdict.id, [*verdict.findings, *extra], verdict.scan)


def judge_payload(findings: list[JudgeFinding]) -> dict[str, Any]:
    """The JSON shape a model is asked to produce, for prompts and examples."""
    return {
        "findings": [
            {"category": f.category, "quote": f.quote, "reason": f.reason} for f in findings
        ]
    }
