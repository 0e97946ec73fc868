"""Re-runs that do not move: a finished batch, run again unchanged, is reported, not redone.

A batch is found again by (campaign, cohort fingerprint) (`agent.store.batches`).
Before this module, re-running a finished batch recomputed everything: after an
export, the frequency cap removed the batch's own exported users, the segments
came out different, and the model was asked new questions for an unchanged
queue. Now:

- `earlier_batch` finds the batch this run would resume, read only, before the
  suppression, so its own exports are left out of the frequency cap
  (`agent.store.contacts.recent_contacts(exclude_batch=...)`);
- `unchanged_summary` returns, for a batch that is `complete` and whose stored
  campaign settings and guardrail policy equal today's, the summary it stored
  when it finished, marked `unchanged`: no LLM call, no write, the same
  segment sizes. A batch that failed or was interrupted resumes as before; a
  changed campaign file resumes it with the new settings (and says so).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Engine

from agent.store.batches import find_batch

# what the run adds to a batch's config snapshot after it starts (not campaign settings)
RUN_KEYS = ("variant_allocation",)


def _normal(value: Any) -> Any:
    """JSON-normalised, as the store keeps it (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value, default=str))


def earlier_batch(engine: Engine, campaign: str, fingerprint: str) -> dict[str, Any] | None:
    """The batch of this campaign and cohort, if one exists (nothing is written)."""
    return find_batch(engine, campaign, fingerprint)


def same_settings(stored_config: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether a batch's stored config snapshot equals the config this run would store."""
    stored = {k: v for k, v in (stored_config or {}).items() if k not in RUN_KEYS}
    return _normal(stored) == _normal(config)


def unchanged_summary(
    batch: dict[str, Any] | None, config: dict[str, Any], seconds: float
) -> dict[str, Any] | None:
    """The stored summary of a complete, unchanged batch, marked `unchanged`; else None."""
    if batch is None or batch["status"] != "complete":
        return None
    stored = (batch.get("counts") or {}).get("summary")
    if not stored or not same_settings(batch.get("config") or {}, config):
        return None
    llm = dict(stored.get("llm") or {})
    for key in ("calls", "cached_calls", "input_tokens", "output_tokens"):
        llm[key] = 0
    llm["cost_usd"] = 0.0 if llm.get("cost_usd") is not None else None
    return {
        **stored,
        "resumed": True,
        "unchanged": True,
        "note": f"batch {batch['id']} is complete and neither the cohort nor the campaign "
        "changed: nothing was redone (no LLM call, no new draft)",
        "drafts": {**(stored.get("drafts") or {}), "new": 0},
        "llm": llm,
        "seconds": round(seconds, 2),
        "sample": [],
    }
