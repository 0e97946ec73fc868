"""The errors winback shows to its users.

Every problem a user can fix (a bad file, flag, setting or endpoint) is a
`WinbackError`: one line that says what is wrong and how to fix it, exit code 2.
A run that started well and then failed is a `RunFailed`, exit code 1. The CLI
boundary (`agent.cli`) turns both into a clean line on stderr; anything else is
a bug and keeps its traceback under `--debug` or pytest.
"""

from __future__ import annotations

from prompts.errors import UserError


class WinbackError(UserError):
    """A problem with winback's own input (settings, campaign, store, model endpoint)."""


class ConfigError(WinbackError):
    """A setting (flag, environment variable or config file) is invalid."""


class LLMError(WinbackError):
    """The model endpoint could not be reached or refused the request."""


class LocalServerError(LLMError):
    """The embedded model server could not be started."""


class RunFailed(WinbackError):
    """A run that started with valid input and then failed."""

    exit_code = 1


class StructuredOutputError(RunFailed):
    """The model kept returning output that does not validate.

    Carries every attempt so the caller (or a reviewer) can see what came back.
    """

    def __init__(self, schema_name: str, attempts: list[dict], fix: str | None = None) -> None:
        self.schema_name = schema_name
        self.attempts = attempts
        last = attempts[-1]["errors"] if attempts else "no attempt was made"
        super().__init__(
            f"The model returned invalid {schema_name} output {len(attempts)} times "
            f"(last problem: {last})",
            fix or "Try a larger model (see README: 'Use another model') or raise --llm-retries.",
        )

    @property
    def last_raw(self) -> str | None:
        """The last raw output the model produced."""
        return self.attempts[-1]["raw"] if self.attempts else None
