"""The append-only audit log: who decided or changed what, when, and why.

There is deliberately no update or delete function here, and triggers created
by migration m002 make the database itself refuse UPDATE and DELETE on
`audit_log`. Entries are written in the same transaction as the change they
describe, so a decision without its audit entry cannot exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, select

from agent.store.rows import row_dict, utcnow
from agent.store.schema import audit_log

ACTIONS = (
    "approve",
    "reject",
    "edit",
    "approve_all_passing",
    "export",
    # the web app's variant-level decisions (agent.store.variant_decisions)
    "approve_variant",
    "reject_variant",
    "request_changes",
)


def append_audit(
    conn: Connection,
    *,
    actor: str,
    action: str,
    draft_ids: Sequence[int] = (),
    batch_id: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> None:
    """Append one entry, inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(
        audit_log.insert().values(
            at=utcnow(),
            actor=actor,
            action=action,
            batch_id=batch_id,
            draft_ids=list(draft_ids),
            before=before,
            after=after,
            reason=reason,
        )
    )


def list_audit(
    engine: Engine, *, batch_id: str | None = None, draft_id: int | None = None
) -> list[dict[str, Any]]:
    """Entries, oldest first, for a batch and/or one draft (all entries if neither)."""
    query = select(audit_log).order_by(audit_log.c.id)
    if batch_id:
        query = query.where(audit_log.c.batch_id == batch_id)
    with engine.connect() as conn:
        rows = [row_dict(r) for r in conn.execute(query)]
    if draft_id is not None:
        rows = [r for r in rows if draft_id in (r["draft_ids"] or [])]
    return rows
