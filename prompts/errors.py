"""The one contract every winback package shares: an error the user can fix.

`UserError` lives here, at the bottom of the import graph, so that `segments`
and `guardrails` can raise their own errors (`SegmentsError`,
`GuardrailsError`) without importing `agent`. Each carries one line that says
what is wrong and a `fix`; the CLI boundary (`agent.cli`) prints any
`UserError` as "Error: what. How to fix it." with its `exit_code`.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; `fix` says how. Exit code 2 unless a subclass says otherwise."""

    exit_code = 2

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message.rstrip('.')}. {self.fix}"
        return self.message
