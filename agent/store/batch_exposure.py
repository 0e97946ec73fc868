"""What each user of a batch was given, for lift by variant and segment.

One row per draft (a user has one per channel): arm, segment, variant,
channel, review status and export time. The lift groups these by variant and
segment, and its per-protocol view keeps only users whose draft was approved
and exported (control users have no draft to approve and all stay).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from agent.store.rows import row_dict
from agent.store.schema import drafts


def batch_exposure(engine: Engine, batch_id: str) -> list[dict[str, Any]]:
    """user_id, arm, segment, variant, channel, status, exported_at per draft of a batch."""
    query = (
        select(
            drafts.c.user_id,
            drafts.c.arm,
            drafts.c.segment,
            drafts.c.variant,
            drafts.c.channel,
            drafts.c.status,
            drafts.c.exported_at,
        )
        .where(drafts.c.batch_id == batch_id)
        .order_by(drafts.c.id)
    )
    with engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(query)]
