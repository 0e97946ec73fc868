"""Who was contacted: written by the export, read by cohort suppression.

The frequency cap ("not contacted in the last N days") needs the export
history across campaigns; `recent_contacts(engine, since)` yields it as
(user_id, channel, contacted_at) tuples with aware UTC datetimes. A batch's
own exports never count against it: a resumed or re-run batch passes its id
as `exclude_batch`, so exporting part of a batch does not shrink it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select

from agent.store.rows import as_utc, to_db_time
from agent.store.schema import contacts


def recent_contacts(
    engine: Engine, since: datetime, *, exclude_batch: str | None = None
) -> Iterator[tuple[str, str, datetime]]:
    """(user_id, channel, contacted_at) of every export at or after `since` (naive = UTC).

    Exports of `exclude_batch` (the batch being resumed) are left out.
    """
    query = (
        select(contacts.c.user_id, contacts.c.channel, contacts.c.contacted_at)
        .where(contacts.c.contacted_at >= to_db_time(since, engine.dialect.name))
        .order_by(contacts.c.contacted_at)
    )
    if exclude_batch is not None:
        query = query.where(contacts.c.batch_id != exclude_batch)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    for user_id, channel, at in rows:
        yield user_id, channel, as_utc(at)  # type: ignore[misc]
