"""Re-checking a reviewer's edit: the single draft-check entry point of `agent.drafts`.

The guardrails' full single-message check runs on the edited draft with the
batch's policy snapshot and the personalization the run allowed
(`agent.drafts.check.check_edit`), so the web app and the terminal review
share one check.
"""

from __future__ import annotations

from typing import Any


def recheck(batch: dict[str, Any], draft: dict[str, Any], new_text: str) -> tuple[str, list]:
    """(verdict, findings) of the draft with `new_text` as its body."""
    from agent.drafts.check import batch_policy, check_edit

    return check_edit(draft, new_text, batch_policy(batch))
