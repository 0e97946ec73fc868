"""Re-checking a reviewer's edit through the one draft-check entry point.

`agent.drafts.check.check_edit` runs the guardrails' full single-message check
on the edited draft with the batch's policy snapshot (`batch_policy`) and the
personalization the run allowed; the terminal review (`winback review`) calls
the same function, so an edit gets the same verdict in both.
"""

from __future__ import annotations

from typing import Any

from agent.drafts.check import batch_policy, check_edit


def recheck(batch: dict[str, Any], draft: dict[str, Any], new_text: str) -> tuple[str, list]:
    """(verdict, findings) of the draft with `new_text` as its body."""
    verdict, findings = check_edit(draft, new_text, batch_policy(batch))
    return verdict, [dict(f) for f in findings]
