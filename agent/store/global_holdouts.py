"""The users a batch left out because they were in the period's global control group.

The run decides membership with `segments.global_control` (a hash, nothing
stored is needed for that); it records here who, of the users eligible for
this batch, was held out, so `winback lift` can compare the batch's arms with
exactly those users. Recording is idempotent (a resumed run adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select

from agent.store.schema import global_holdouts


def record_global_holdouts(
    engine: Engine, batch_id: str, user_ids: Iterable[object], *, period: str, share: float
) -> int:
    """Record held-out users of a batch; return how many were new."""
    users = sorted({str(u) for u in user_ids})
    with engine.begin() as conn:
        known = set(
            conn.execute(
                select(global_holdouts.c.user_id).where(global_holdouts.c.batch_id == batch_id)
            ).scalars()
        )
        rows = [
            {"batch_id": batch_id, "user_id": u, "period": period, "share": share}
            for u in users
            if u not in known
        ]
        if rows:
            conn.execute(global_holdouts.insert(), rows)
    return len(rows)


def global_holdout_users(engine: Engine, batch_id: str) -> dict[str, str]:
    """user_id -> period label, for the users a batch held out."""
    query = select(global_holdouts.c.user_id, global_holdouts.c.period).where(
        global_holdouts.c.batch_id == batch_id
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all())
