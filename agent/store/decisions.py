"""Review decisions on the queue, safe with several reviewers at once.

Every decision is a conditional UPDATE (`... WHERE id = :id AND status =
'pending'`) whose row count is checked, written in the same transaction as its
audit entry: two reviewers (or a reviewer and a bulk approval) can race on a
draft and exactly one of them wins; the other gets a clear "already decided"
error and nothing changes.

Interactive reviewers do not hold a transaction open while they read: they
*claim* the next draft with a lease (`claimed_by`, `claimed_until`). On
PostgreSQL the claim query uses `SELECT ... FOR UPDATE SKIP LOCKED`, so
concurrent claimers never wait on or pick the same row; on SQLite (one writer
at a time) the claim's own conditional UPDATE does the same job. An expired
lease (a reviewer who walked away) makes the draft claimable again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from agent.errors import WinbackError
from agent.store.audit import append_audit
from agent.store.batches import get_batch
from agent.store.drafts import get_draft, unknown_draft
from agent.store.rows import row_dict, to_db_time, utcnow
from agent.store.schema import drafts

LEASE_SECONDS = 15 * 60


def require_reviewer(reviewer: str | None) -> str:
    """The reviewer's name, or a WinbackError saying how to give it."""
    if not reviewer or not reviewer.strip():
        raise WinbackError(
            "A reviewer identity is required for decisions",
            "Pass --reviewer NAME or set WINBACK_REVIEWER.",
        )
    return reviewer.strip()


def require_reason(reason: str | None) -> str:
    """The reason to reject a draft, or a WinbackError saying how to give it."""
    if not reason or not reason.strip():
        raise WinbackError(
            "A reason is required to reject a draft", "Pass --reason 'what is wrong with it'."
        )
    return reason.strip()


def _already_decided(draft: dict[str, Any]) -> WinbackError:
    if draft["status"] == "control":
        return WinbackError(
            f"Draft {draft['id']} records a control-arm user (the holdout); "
            "it is never reviewed, approved or exported",
            "Review the baseline and treatment drafts instead (`winback queue list`).",
        )
    when = draft["decided_at"].isoformat(timespec="seconds") if draft["decided_at"] else "?"
    return WinbackError(
        f"Draft {draft['id']} is already {draft['status']} (by {draft['reviewer']} at {when})",
        f"Nothing was changed. See `winback queue audit --draft {draft['id']}` for its history.",
    )


def _locked_pending(conn: Connection, draft_id: int) -> dict[str, Any]:
    """The draft, locked for this transaction; an "already decided" error unless pending."""
    row = conn.execute(select(drafts).where(drafts.c.id == draft_id).with_for_update()).first()
    if row is None:
        raise unknown_draft(draft_id)
    draft = row_dict(row)
    if draft["status"] != "pending":
        raise _already_decided(draft)
    return draft


def _decide(
    engine: Engine,
    draft_id: int,
    reviewer: str,
    *,
    status: str,
    reason: str | None,
    vet: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Decide one pending draft (`status`, with its audit entry) and return it.

    `vet(draft)` may refuse the decision (raise) or add to the audit entry's `after`.
    """
    reviewer = require_reviewer(reviewer)
    with engine.begin() as conn:
        draft = _locked_pending(conn, draft_id)
        after = {"status": status, **(vet(draft) if vet else {})}
        result = conn.execute(
            update(drafts)
            .where(drafts.c.id == draft_id, drafts.c.status == "pending")
            .values(
                status=status,
                reviewer=reviewer,
                decided_at=utcnow(),
                decision_reason=reason,
                claimed_until=None,
            )
        )
        if result.rowcount != 1:
            raise _already_decided(get_draft(conn, draft_id))
        append_audit(
            conn,
            actor=reviewer,
            action=_ACTIONS[status],
            batch_id=draft["batch_id"],
            draft_ids=[draft_id],
            before={"status": "pending", "verdict": draft["verdict"]},
            after=after,
            reason=reason,
        )
    return get_draft(engine, draft_id)


_ACTIONS = {"approved": "approve", "rejected": "reject"}


def approve(
    engine: Engine, draft_id: int, reviewer: str, *, override_reason: str | None = None
) -> dict[str, Any]:
    """Approve one pending draft; a blocked one only with an override reason. Returns it."""
    override = bool(override_reason and override_reason.strip())

    def vet(draft: dict[str, Any]) -> dict[str, Any]:
        if draft["verdict"] == "block" and not override:
            codes = ", ".join(sorted({f.get("code", "?") for f in draft["findings"]})) or "-"
            raise WinbackError(
                f"Draft {draft_id} is blocked by the guardrails ({codes}) and was not approved",
                "Edit it, reject it, or approve with --override-reason 'why it is safe' "
                "(recorded in the audit log).",
            )
        return {"override": draft["verdict"] == "block"}

    reason = override_reason.strip() if override_reason and override else None
    return _decide(engine, draft_id, reviewer, status="approved", reason=reason, vet=vet)


def reject(engine: Engine, draft_id: int, reviewer: str, reason: str) -> dict[str, Any]:
    """Reject one pending draft with a reason. Returns it."""
    reviewer = require_reviewer(reviewer)
    reason = require_reason(reason)
    return _decide(engine, draft_id, reviewer, status="rejected", reason=reason)


def edit(
    engine: Engine,
    draft_id: int,
    reviewer: str,
    *,
    body: str,
    subject: str | None,
    verdict: str,
    findings: list[dict[str, Any]],
) -> dict[str, Any]:
    """Replace a pending draft's text with a reviewer's edit and its re-checked verdict.

    The draft stays pending (the reviewer approves it next); the first original
    text is kept in `original_body`, every edit is in the audit log.
    """
    reviewer = require_reviewer(reviewer)
    with engine.begin() as conn:
        draft = _locked_pending(conn, draft_id)
        conn.execute(
            update(drafts)
            .where(drafts.c.id == draft_id, drafts.c.status == "pending")
            .values(
                body=body,
                subject=subject,
                verdict=verdict,
                findings=findings,
                edited=True,
                original_body=draft["original_body"] or draft["body"],
            )
        )
        append_audit(
            conn,
            actor=reviewer,
            action="edit",
            batch_id=draft["batch_id"],
            draft_ids=[draft_id],
            before={
                "subject": draft["subject"],
                "body": draft["body"],
                "verdict": draft["verdict"],
            },
            after={"subject": subject, "body": body, "verdict": verdict},
        )
    return get_draft(engine, draft_id)


def approve_all_passing(
    engine: Engine,
    batch_id: str,
    reviewer: str,
    *,
    segment: str | None = None,
    variant: str | None = None,
    reason: str | None = None,
) -> list[int]:
    """Approve, in one decision, every pending draft of a batch with verdict `pass`.

    Optionally only one segment or variant (after sampling it). Warned and
    blocked drafts are never included. One audit entry lists every draft id.
    """
    reviewer = require_reviewer(reviewer)
    get_batch(engine, batch_id)
    conditions = [
        drafts.c.batch_id == batch_id,
        drafts.c.status == "pending",
        drafts.c.verdict == "pass",
    ]
    if segment is not None:
        conditions.append(drafts.c.segment == segment)
    if variant is not None:
        conditions.append(drafts.c.variant == variant)
    with engine.begin() as conn:
        ids = sorted(
            conn.execute(
                update(drafts)
                .where(*conditions)
                .values(
                    status="approved",
                    reviewer=reviewer,
                    decided_at=utcnow(),
                    decision_reason=reason or "approve all passing",
                    claimed_until=None,
                )
                .returning(drafts.c.id)
            ).scalars()
        )
        if ids:
            append_audit(
                conn,
                actor=reviewer,
                action="approve_all_passing",
                batch_id=batch_id,
                draft_ids=ids,
                before={"status": "pending", "verdict": "pass"},
                after={"status": "approved", "segment": segment, "variant": variant},
                reason=reason,
            )
    return ids


def claim_next(
    engine: Engine,
    reviewer: str,
    *,
    batch_id: str | None = None,
    exclude: set[int] | frozenset[int] = frozenset(),
    lease_seconds: int = LEASE_SECONDS,
) -> dict[str, Any] | None:
    """Claim the next pending draft nobody else holds; None when there is none left."""
    reviewer = require_reviewer(reviewer)
    dialect = engine.dialect.name
    while True:
        now = utcnow()
        db_now = to_db_time(now, dialect)
        free = or_(
            drafts.c.claimed_until.is_(None),
            drafts.c.claimed_until < db_now,
            drafts.c.claimed_by == reviewer,
        )
        query = select(drafts.c.id).where(drafts.c.status == "pending", free)
        if batch_id:
            query = query.where(drafts.c.batch_id == batch_id)
        if exclude:
            query = query.where(drafts.c.id.not_in(sorted(exclude)))
        query = query.order_by(drafts.c.id).limit(1).with_for_update(skip_locked=True)
        with engine.begin() as conn:
            draft_id = conn.execute(query).scalar()
            if draft_id is None:
                return None
            taken = conn.execute(
                update(drafts)
                .where(and_(drafts.c.id == draft_id, drafts.c.status == "pending", free))
                .values(claimed_by=reviewer, claimed_until=now + timedelta(seconds=lease_seconds))
            )
        if taken.rowcount == 1:
            return get_draft(engine, draft_id)


def release_claim(engine: Engine, draft_id: int, reviewer: str) -> None:
    """Give a claimed draft back (skip, quit) so another reviewer can take it."""
    with engine.begin() as conn:
        conn.execute(
            update(drafts)
            .where(drafts.c.id == draft_id, drafts.c.claimed_by == reviewer)
            .values(claimed_until=None)
        )
