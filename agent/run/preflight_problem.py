"""What the preflight check reports: one `Problem` per thing to fix, all raised together.

`PreflightFailed` (exit code 2) carries every problem the checks in
`agent.run.preflight` and `agent.run.preflight_copy` found, so a marketer
fixes the campaign in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import WinbackError

INCENTIVE = "incentive"
WARN_EMPTY_SHARE = 0.05  # a baseline placeholder empty for more users than this is reported


@dataclass(frozen=True)
class Problem:
    """One thing to fix before the run: what is wrong, where, and how to fix it."""

    where: str
    message: str
    fix: str

    @property
    def text(self) -> str:
        """The problem as a sentence: `where` followed by `message`."""
        return f"{self.where} {self.message}".strip()

    def to_dict(self) -> dict[str, str]:
        """Plain data for `--json`."""
        return {"problem": self.text, "fix": self.fix}


class PreflightFailed(WinbackError):
    """Every problem the checks found, as one error (exit code 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        if len(problems) == 1:
            p = problems[0]
            super().__init__(p.text, p.fix)
            return
        what = "; ".join(f"({i}) {p.text}" for i, p in enumerate(problems, 1))
        fix = " ".join(f"({i}) {p.fix}" for i, p in enumerate(problems, 1))
        super().__init__(
            f"The campaign has {len(problems)} problems, found before any LLM call: {what}",
            f"Fix each, then re-run: {fix}",
        )
