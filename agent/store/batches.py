"""Batches: one run of a campaign over one cohort, created or resumed by fingerprint.

A batch is identified for resume by (campaign, cohort fingerprint): running the
same campaign over the same cohort again returns the existing batch (status set
back to `running`), and the draft key (campaign, user, channel) makes the
re-inserted drafts no-ops, so an interrupted run continues without duplicates.
Ids are short and readable (`b-1a2b3c4d`) because reviewers type them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, func, select, text, update

from agent.errors import WinbackError
from agent.store.rows import row_dict, utcnow
from agent.store.schema import batches, drafts


@dataclass(frozen=True)
class BatchStart:
    """What `start_batch` did: the batch id and whether it resumed an existing one."""

    batch_id: str
    resumed: bool
    previous_status: str | None = None


def new_batch_id() -> str:
    """A fresh short id, `b-` and 8 hex digits."""
    return f"b-{secrets.token_hex(4)}"


def start_batch(
    engine: Engine,
    campaign: str,
    cohort_fingerprint: str,
    *,
    config: dict[str, Any],
    prompts: dict[str, Any],
    model: str | None = None,
    provider: str | None = None,
) -> BatchStart:
    """Create a batch for campaign + cohort, or resume the latest one with that fingerprint."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two workers starting the same batch at once
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"winback-batch:{campaign}:{cohort_fingerprint}"},
            )
        latest = _latest(campaign, cohort_fingerprint, batches.c.id, batches.c.status)
        existing = conn.execute(latest.with_for_update()).first()
        if existing is not None:
            conn.execute(
                update(batches)
                .where(batches.c.id == existing.id)
                .values(status="running", finished_at=None, model=model, provider=provider)
            )
            return BatchStart(existing.id, resumed=True, previous_status=existing.status)
        batch_id = new_batch_id()
        conn.execute(
            batches.insert().values(
                id=batch_id,
                campaign=campaign,
                created_at=utcnow(),
                status="running",
                config=config,
                cohort_fingerprint=cohort_fingerprint,
                prompts=prompts,
                model=model,
                provider=provider,
            )
        )
    return BatchStart(batch_id, resumed=False)


def find_batch(engine: Engine, campaign: str, cohort_fingerprint: str) -> dict[str, Any] | None:
    """The batch `start_batch` would resume for campaign + cohort (read only), or None."""
    with engine.connect() as conn:
        row = conn.execute(_latest(campaign, cohort_fingerprint)).first()
    return None if row is None else row_dict(row)


def _latest(campaign: str, cohort_fingerprint: str, *columns: Any) -> Select[Any]:
    """The query for the latest batch of campaign + cohort (all columns, or these)."""
    return (
        select(*columns or (batches,))
        .where(batches.c.campaign == campaign, batches.c.cohort_fingerprint == cohort_fingerprint)
        .order_by(batches.c.created_at.desc())
        .limit(1)
    )


def draft_counts(engine: Engine, batch_id: str) -> dict[str, Any]:
    """Drafts of a batch by status, arm and verdict, plus the total."""
    out: dict[str, Any] = {"total": 0, "by_status": {}, "by_arm": {}, "by_verdict": {}}
    with engine.connect() as conn:
        rows = conn.execute(
            select(drafts.c.status, drafts.c.arm, drafts.c.verdict, func.count())
            .where(drafts.c.batch_id == batch_id)
            .group_by(drafts.c.status, drafts.c.arm, drafts.c.verdict)
        ).all()
    for status, arm, verdict, n in rows:
        out["total"] += n
        out["by_status"][status] = out["by_status"].get(status, 0) + n
        out["by_arm"][arm] = out["by_arm"].get(arm, 0) + n
        key = verdict or "none"
        out["by_verdict"][key] = out["by_verdict"].get(key, 0) + n
    return out


def finish_batch(
    engine: Engine,
    batch_id: str,
    *,
    status: str = "complete",
    counts: dict[str, Any] | None = None,
    usage: dict[str, Any] | None = None,
    seconds: float | None = None,
) -> None:
    """Mark a batch complete (or failed) with its counts, LLM usage and duration.

    `counts` is merged over the draft counts the store computes itself.
    """
    if status not in ("complete", "failed"):
        raise ValueError(f"finish_batch status must be complete or failed, not {status!r}")
    merged = {**draft_counts(engine, batch_id), **(counts or {})}
    with engine.begin() as conn:
        done = conn.execute(
            update(batches)
            .where(batches.c.id == batch_id)
            .values(
                status=status,
                finished_at=utcnow(),
                counts=merged,
                usage=usage,
                seconds=seconds,
            )
        )
    if done.rowcount != 1:
        raise unknown_batch(batch_id)


def unknown_batch(batch_id: str) -> WinbackError:
    """The error for a batch id that is not in the queue."""
    return WinbackError(
        f"Batch {batch_id!r} is not in the queue", "List batches with `winback queue batches`."
    )


def get_batch(engine: Engine, batch_id: str) -> dict[str, Any]:
    """One batch as a dict; WinbackError if the id is unknown."""
    with engine.connect() as conn:
        row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
    if row is None:
        raise unknown_batch(batch_id)
    return row_dict(row)


def list_batches(engine: Engine, campaign: str | None = None) -> list[dict[str, Any]]:
    """Batches, newest first, each with its live counts by status."""
    query = select(batches).order_by(batches.c.created_at.desc())
    if campaign:
        query = query.where(batches.c.campaign == campaign)
    with engine.connect() as conn:
        rows = [row_dict(r) for r in conn.execute(query)]
        status_counts = conn.execute(
            select(drafts.c.batch_id, drafts.c.status, func.count()).group_by(
                drafts.c.batch_id, drafts.c.status
            )
        ).all()
    by_batch: dict[str, dict[str, int]] = {}
    for batch_id, status, n in status_counts:
        by_batch.setdefault(batch_id, {})[status] = n
    for row in rows:
        row["drafts_by_status"] = by_batch.get(row["id"], {})
    return rows


def batch_arms(engine: Engine, batch_id: str) -> dict[str, str]:
    """user_id -> arm for every user of a batch (one arm per user)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(drafts.c.user_id, drafts.c.arm).where(drafts.c.batch_id == batch_id).distinct()
        ).all()
    return dict(rows)
