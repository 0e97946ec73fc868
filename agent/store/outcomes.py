"""Imported outcomes: who converted after a batch, kept per (batch, user).

Outcomes arrive more than once: a first file a week after the send, a later
one with the conversions that came after it. `import_outcomes` writes a whole
file in one transaction and compares each row with what is stored: new users
are inserted, changed rows updated (the latest file is the truth), identical
rows left alone. Importing the same file again therefore changes nothing and
says so (`unchanged`). Validation happens before this (`agent.lift.outcomes_file`),
so a file with one bad row writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, bindparam, select

from agent.store.rows import as_utc, utcnow
from agent.store.schema import outcomes

CHUNK = 5000


@dataclass(frozen=True)
class Outcome:
    """One user's outcome: converted or not, revenue, and when (if known)."""

    user_id: str
    converted: bool
    revenue: float = 0.0
    converted_at: datetime | None = None

    def key(self) -> tuple[bool, float, datetime | None]:
        """What an import compares to decide whether a stored row changed."""
        return (self.converted, self.revenue, as_utc(self.converted_at))


def load_outcomes(engine: Engine, batch_id: str) -> dict[str, Outcome]:
    """user_id -> stored outcome, for one batch."""
    query = select(
        outcomes.c.user_id, outcomes.c.converted, outcomes.c.revenue, outcomes.c.converted_at
    ).where(outcomes.c.batch_id == batch_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {u: Outcome(u, bool(c), float(r), as_utc(at)) for u, c, r, at in rows}


def import_outcomes(
    engine: Engine, batch_id: str, rows: Sequence[Outcome], source: str
) -> dict[str, int]:
    """Insert new, update changed, skip identical rows, in one transaction (see module doc)."""
    stored = load_outcomes(engine, batch_id)
    now = utcnow()
    new = [r for r in rows if r.user_id not in stored]
    changed = [r for r in rows if r.user_id in stored and stored[r.user_id].key() != r.key()]

    def values(r: Outcome) -> dict:
        return {
            "converted": r.converted,
            "revenue": r.revenue,
            "converted_at": r.converted_at,
            "updated_at": now,
            "source": source[-500:],
        }

    inserts = [
        {"batch_id": batch_id, "user_id": r.user_id, "imported_at": now, **values(r)} for r in new
    ]
    updates = [{"b_batch_id": batch_id, "b_user_id": r.user_id, **values(r)} for r in changed]
    # the column-named keys become the SET clause (SQLAlchemy's executemany update pattern)
    update = outcomes.update().where(
        and_(
            outcomes.c.batch_id == bindparam("b_batch_id"),
            outcomes.c.user_id == bindparam("b_user_id"),
        )
    )
    with engine.begin() as conn:
        for start in range(0, len(new), CHUNK):
            conn.execute(outcomes.insert(), inserts[start : start + CHUNK])
        for start in range(0, len(changed), CHUNK):
            conn.execute(update, updates[start : start + CHUNK])
    return {
        "rows": len(rows),
        "inserted": len(new),
        "updated": len(changed),
        "unchanged": len(rows) - len(new) - len(changed),
    }
