"""A batch whose run stopped on an error ends as `failed`, never `running` for ever.

`run_batch` wraps its work: on any exception (a model that keeps timing out,
a database that went away, Ctrl-C) the batch this run started or resumed, the
latest one of the campaign with this cohort's fingerprint, is marked
`failed` with the error in its counts, and the exception goes on to the CLI
boundary. Only a batch still `running` is touched: a run stopped by the
preflight checks, before it started a batch, leaves a finished batch as it
was. A re-run finds the batch by the same key (`agent.store.batches.start_batch`
sets it back to `running`) and resumes it: cached LLM replies, no duplicate
drafts.
"""

from __future__ import annotations

from agent.settings import Settings
from agent.store.batches import find_batch, finish_batch
from agent.store.engine import open_store_for


def mark_failed(
    settings: Settings, campaign: str, fingerprint: str, error: BaseException
) -> str | None:
    """Mark the running batch of (campaign, fingerprint) failed; return its id (None if none)."""
    try:
        engine = open_store_for(settings)
        batch = find_batch(engine, campaign, fingerprint)
        if batch is None or batch["status"] != "running":
            return None
        reason = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        finish_batch(engine, batch["id"], status="failed", counts={"error": str(reason)[:500]})
        return batch["id"]
    except Exception:  # the original error is the one to report
        return None
