"""What the guardrails report: findings and verdicts.

A `Finding` is one problem in one field of one message, written for a
reviewer: a stable `code` (what rule fired), a `category` (pii, health,
surveillance, channel, ...), a `severity` (`warn` or `block`), the span
`[start, end)` in the checked field, and a sentence a non-engineer can act on.

E-mail and push messages have two fields (subject/title and body). Every
field is checked on its own and a finding's offsets point into that field;
`field` names it (`"text"` for the body, `"subject"` or `"title"` otherwise).
The JSON keys required by the CLI contract (`code, category, severity, start,
end, message`) are always present; `field` is added beside them.

A `Verdict` combines a message's findings: `block` if any finding blocks,
`warn` if any warns, else `pass`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Severity = Literal["warn", "block"]
VerdictName = Literal["pass", "warn", "block"]
SEVERITIES: tuple[str, ...] = ("off", "warn", "block")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at `[start, end)` of one field of a message."""

    code: str
    category: str
    severity: Severity
    start: int
    end: int
    message: str
    field: str = "text"

    def shifted(self, delta: int, field: str | None = None) -> Finding:
        """The same finding moved by `delta` characters (and into another field)."""
        return replace(
            self, start=self.start + delta, end=self.end + delta, field=field or self.field
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the CLI contract's key order."""
        return {
            "code": self.code,
            "category": self.category,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "field": self.field,
        }


def verdict_of(findings: Iterable[Finding | Mapping[str, Any]]) -> VerdictName:
    """`block` if any finding blocks, `warn` if any warns, else `pass`.

    The one verdict function: findings may be `Finding`s or their `to_dict()`
    form (as a draft stores them), so callers that combine findings from
    several checks need no verdict logic of their own.
    """
    severities = {f["severity"] if isinstance(f, Mapping) else f.severity for f in findings}
    if "block" in severities:
        return "block"
    if "warn" in severities:
        return "warn"
    return "pass"


@dataclass
class Verdict:
    """The guardrail result of one message."""

    id: str
    verdict: VerdictName
    findings: list[Finding] = field(default_factory=list)
    scan: Literal["full", "batch"] = "full"

    @classmethod
    def of(cls, id: str, findings: list[Finding], scan: Literal["full", "batch"] = "full"):
        """A verdict computed from findings, sorted by field and position."""
        ordered = sorted(set(findings), key=lambda f: (f.field, f.start, f.end, f.code))
        return cls(id, verdict_of(ordered), ordered, scan)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line of the `winback guard check --json` contract."""
        return {
            "id": self.id,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
        }


def quote(text: str, start: int, end: int, limit: int = 60) -> str:
    """The flagged span as a short quoted snippet for reviewer messages."""
    snippet = " ".join(text[start:end].split())
    if len(snippet) > limit:
        snippet = snippet[: limit - 1] + "…"
    return f"'{snippet}'"
