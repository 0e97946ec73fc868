"""Deciding a whole variant at once: every pending draft of it, in one statement.

The LLM writes tens of templates per batch, not one per user, so the web app's
unit of review is the variant. `decide_variant` approves or rejects every
pending draft of a (batch, variant) in one transaction:

1. a row in `variant_decisions`, whose unique key (batch_id, variant) makes
   the first decision win: a second reviewer deciding the same variant at the
   same moment blocks on the first one's insert (PostgreSQL) or on the write
   lock (SQLite), then fails on the key, and is told who decided and when.
   Nothing is decided twice;
2. one `UPDATE drafts ... WHERE batch_id = :b AND variant = :v AND status =
   'pending'` (not one statement per draft: 30,000 users in a few seconds);
3. one audit entry listing every draft id.

Rules checked inside the transaction, before anything is written:
- four-eyes (`four_eyes=True`, the default): the account that ran the batch,
  or that edited any of the variant's drafts, cannot approve it;
- a variant with blocked drafts is approved only with an override reason,
  and only by an admin (the caller passes `is_admin`);
- a variant with no pending draft left is refused (nothing to decide).

`request_changes` decides nothing: it appends an audit entry with the message,
which the variant page shows; the drafts stay pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from agent.errors import WinbackError
from agent.store.audit import append_audit
from agent.store.batches import get_batch
from agent.store.rows import row_dict, utcnow
from agent.store.schema import audit_log, drafts, variant_decisions

REJECT_REASONS = (
    "off brand",
    "factually wrong",
    "too personal / creepy",
    "legal or compliance risk",
    "offer is wrong",
    "poor quality",
    "other",
)


class VariantAlreadyDecided(WinbackError):
    """Someone else decided this variant first; carries who and when."""

    def __init__(self, batch_id: str, variant: str, decided: dict[str, Any]) -> None:
        when = decided["at"].isoformat(timespec="seconds") if decided.get("at") else "?"
        super().__init__(
            f"Variant {variant} of batch {batch_id} was already {decided['decision']} "
            f"by {decided['actor']} at {when}",
            "Nothing was changed. Reload the page to see its current state.",
        )
        self.decided = decided


class FourEyesRefused(WinbackError):
    """The approver ran the batch or edited a draft it covers."""


@dataclass(frozen=True)
class VariantDecision:
    """What `decide_variant` did."""

    batch_id: str
    variant: str
    decision: str
    actor: str
    draft_ids: list[int]
    override: bool


def variant_decision(engine: Engine | Connection, batch_id: str, variant: str) -> dict | None:
    """The decision recorded for a variant, or None."""
    query = select(variant_decisions).where(
        variant_decisions.c.batch_id == batch_id, variant_decisions.c.variant == variant
    )
    if isinstance(engine, Connection):
        row = engine.execute(query).first()
    else:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    return row_dict(row) if row is not None else None


def edited_by(conn: Connection, batch_id: str, actor: str) -> set[int]:
    """Ids of the batch's drafts this account edited (from the audit log)."""
    ids: set[int] = set()
    for draft_ids in conn.execute(
        select(audit_log.c.draft_ids).where(
            audit_log.c.batch_id == batch_id,
            audit_log.c.action == "edit",
            audit_log.c.actor == actor,
        )
    ).scalars():
        ids.update(draft_ids or [])
    return ids


def four_eyes_problem(
    conn: Connection, batch: dict[str, Any], actor: str, draft_ids: set[int] | None
) -> str | None:
    """Why `actor` may not approve these drafts of the batch (None: they may).

    `draft_ids=None` means the variant's drafts (the caller restricts further in SQL).
    """
    if batch.get("run_by") and batch["run_by"] == actor:
        return f"you ran batch {batch['id']}"
    mine = edited_by(conn, batch["id"], actor)
    if draft_ids is not None:
        mine &= draft_ids
    if mine:
        shown = ", ".join(str(i) for i in sorted(mine)[:5])
        return f"you edited draft(s) {shown}"
    return None


def four_eyes_on(batch: dict[str, Any]) -> bool:
    """Whether the batch's campaign requires a second person to approve (default yes)."""
    return bool((batch.get("config") or {}).get("four_eyes", True))


def decide_variant(
    engine: Engine,
    batch_id: str,
    variant: str,
    actor: str,
    decision: str,
    *,
    reason: str | None = None,
    override_reason: str | None = None,
    is_admin: bool = False,
) -> VariantDecision:
    """Approve or reject every pending draft of a variant (see the module doc)."""
    if decision not in ("approved", "rejected"):
        raise ValueError(f"decision must be approved or rejected, not {decision!r}")
    reason = (reason or "").strip() or None
    override_reason = (override_reason or "").strip() or None
    if decision == "rejected" and not reason:
        raise WinbackError("A reason is required to reject a variant", "Pick or write a reason.")
    batch = get_batch(engine, batch_id)
    now = utcnow()
    try:
        with engine.begin() as conn:
            earlier = variant_decision(conn, batch_id, variant)
            if earlier is not None:
                raise VariantAlreadyDecided(batch_id, variant, earlier)
            # the key row first: a concurrent decider waits here, then fails on the key
            conn.execute(
                variant_decisions.insert().values(
                    batch_id=batch_id,
                    variant=variant,
                    decision=decision,
                    actor=actor,
                    at=now,
                    reason=override_reason if decision == "approved" else reason,
                    drafts=0,
                )
            )
            of_variant = (drafts.c.batch_id == batch_id, drafts.c.variant == variant)
            counts = dict(
                conn.execute(
                    select(drafts.c.verdict, func.count())
                    .where(*of_variant, drafts.c.status == "pending")
                    .group_by(drafts.c.verdict)
                ).all()
            )
            if not counts:
                raise WinbackError(
                    f"Variant {variant} of batch {batch_id} has no pending drafts",
                    "Nothing was changed; its drafts were decided one by one already.",
                )
            override = False
            if decision == "approved":
                if four_eyes_on(batch):
                    problem = four_eyes_problem(conn, batch, actor, None)
                    if problem and "edited" in problem:
                        edited = edited_by(conn, batch_id, actor)
                        in_variant = conn.execute(
                            select(func.count()).where(*of_variant, drafts.c.id.in_(edited))
                        ).scalar_one()
                        problem = problem if in_variant else None
                    if problem:
                        raise FourEyesRefused(
                            f"Four-eyes: you cannot approve variant {variant} ({problem})",
                            "Ask another reviewer to approve it.",
                        )
                if counts.get("block"):
                    if not is_admin or not override_reason:
                        raise WinbackError(
                            f"Variant {variant} has {counts['block']} draft(s) blocked by the "
                            "guardrails and was not approved",
                            "Edit or reject it; only an admin can override a block, with a "
                            "written reason.",
                        )
                    override = True
            values: dict[str, Any] = {
                "status": decision,
                "reviewer": actor,
                "decided_at": now,
                "decision_reason": (override_reason if override else reason)
                or f"variant {decision}",
                "claimed_until": None,
            }
            ids = sorted(
                conn.execute(
                    update(drafts)
                    .where(*of_variant, drafts.c.status == "pending")
                    .values(**values)
                    .returning(drafts.c.id)
                ).scalars()
            )
            conn.execute(
                update(variant_decisions)
                .where(
                    variant_decisions.c.batch_id == batch_id,
                    variant_decisions.c.variant == variant,
                )
                .values(drafts=len(ids))
            )
            relaxed = decision == "approved" and not four_eyes_on(batch)
            append_audit(
                conn,
                actor=actor,
                action="approve_variant" if decision == "approved" else "reject_variant",
                batch_id=batch_id,
                draft_ids=ids,
                before={"status": "pending", "verdicts": counts},
                after={
                    "status": decision,
                    "variant": variant,
                    "override": override,
                    **({"four_eyes": "relaxed by the campaign setting"} if relaxed else {}),
                },
                reason=override_reason if override else reason,
            )
    except IntegrityError as exc:  # lost the race on the variant's key
        decided = variant_decision(engine, batch_id, variant)
        if decided is None:
            raise
        raise VariantAlreadyDecided(batch_id, variant, decided) from exc
    return VariantDecision(batch_id, variant, decision, actor, ids, override)


def request_changes(engine: Engine, batch_id: str, variant: str, actor: str, message: str) -> None:
    """Ask for changes to a variant: an audit entry with the message; nothing is decided."""
    message = (message or "").strip()
    if not message:
        raise WinbackError("Say what should change", "Write the requested change in the box.")
    get_batch(engine, batch_id)
    with engine.begin() as conn:
        if variant_decision(conn, batch_id, variant) is not None:
            raise VariantAlreadyDecided(
                batch_id, variant, variant_decision(conn, batch_id, variant) or {}
            )
        append_audit(
            conn,
            actor=actor,
            action="request_changes",
            batch_id=batch_id,
            draft_ids=[],
            after={"variant": variant},
            reason=message,
        )
