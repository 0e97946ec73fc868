"""The errors `guardrails` raises: a bad policy, message or missing NLP model.

They are `prompts.errors.UserError`s, so the CLI shows each as one line with
its fix and exit code 2, without `guardrails` importing `agent`.
"""

from __future__ import annotations

from prompts.errors import UserError


class GuardrailsError(UserError):
    """A guard policy, message or PII engine setting the user must fix."""
