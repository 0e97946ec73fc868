"""Re-checking a reviewer's edit: the single draft-check entry point of `agent.drafts`.

The guardrails' full single-message check runs on the edited draft with the
batch's policy snapshot and the personalization the run allowed. The entry
point is moving from `agent.cli.review` to `agent.drafts.check`; this module
calls whichever exists, so the web app and the terminal review share one check.
"""

from __future__ import annotations

from typing import Any


def recheck(batch: dict[str, Any], draft: dict[str, Any], new_text: str) -> tuple[str, list]:
    """(verdict, findings) of the draft with `new_text` as its body."""
    try:
        from agent.drafts.check import batch_policy, recheck_edited  # type: ignore[attr-defined]
    except ImportError:  # before the move: the same functions, still in the CLI module
        from agent.cli.review import batch_policy, recheck_edited
    return recheck_edited(draft, new_text, batch_policy(batch))
