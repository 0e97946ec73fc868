"""Drafts in, drafts out: idempotent chunked inserts and the queries reviewers use.

`insert_drafts` writes rows in chunks with `INSERT ... ON CONFLICT DO NOTHING`
on the natural key (campaign, user_id, channel), using each dialect's own
insert construct, so re-running a batch after an interruption inserts only
what is missing. Control-arm rows are reduced to what the holdout needs (user,
arm, segment, channel): any subject, body, address or incentive given for them
is dropped here, and CHECK constraints in the schema refuse them anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from agent.errors import WinbackError
from agent.store.rows import row_dict, utcnow
from agent.store.schema import ARMS, VERDICTS, drafts
from prompts.channels import CHANNELS

DRAFT_FIELDS = (
    "user_id",
    "arm",
    "channel",
    "segment",
    "variant",
    "address",
    "subject",
    "body",
    "incentive",
    "verdict",
    "findings",
    "prompt",
    "personalization",
    "provenance",
)
# what a control row never carries: the holdout is a user, an arm, a segment and a channel
MESSAGE_FIELDS = (
    "subject",
    "body",
    "address",
    "incentive",
    "verdict",
    "variant",
    "prompt",
    "personalization",
    "provenance",
)
CHUNK = 5000


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def draft_row(batch_id: str, campaign: str, row: Mapping[str, Any], now: Any) -> dict[str, Any]:
    """A complete `drafts` row from a mapping such as `Draft.to_row()` (see `insert_drafts`)."""
    unknown = set(row) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"unknown draft field(s): {sorted(unknown)}; allowed: {DRAFT_FIELDS}")
    arm, channel, verdict = row.get("arm"), row.get("channel"), row.get("verdict")
    if arm not in ARMS:
        raise ValueError(f"draft arm must be one of {ARMS}, got {arm!r}")
    if channel not in CHANNELS:
        raise ValueError(f"draft channel must be one of {CHANNELS}, got {channel!r}")
    if not row.get("user_id"):
        raise ValueError("draft user_id is required")
    out: dict[str, Any] = {f: row.get(f) for f in DRAFT_FIELDS}
    out.update(
        batch_id=batch_id,
        campaign=campaign,
        user_id=str(row["user_id"]),
        findings=list(row.get("findings") or []),
        edited=False,
        created_at=now,
    )
    if arm == "control":
        out.update(dict.fromkeys(MESSAGE_FIELDS), status="control", findings=[])
    else:
        if verdict not in VERDICTS:
            raise ValueError(f"draft verdict must be one of {VERDICTS}, got {verdict!r}")
        if not row.get("body"):
            raise ValueError(f"draft for user {out['user_id']} ({arm}) has no body")
        out["status"] = "pending"
    return out


def _insert_ignoring_duplicates(conn: Connection):
    dialect = conn.dialect.name
    construct = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return construct(drafts).on_conflict_do_nothing(
        index_elements=["campaign", "user_id", "channel"]
    )


def insert_drafts(
    engine: Engine,
    batch_id: str,
    campaign: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    chunk_size: int = CHUNK,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Insert drafts idempotently, one transaction per chunk; return how many were new.

    Each row is a mapping with `user_id`, `arm` (control|baseline|treatment),
    `channel` (email|sms|push) and, for non-control arms, `body`, `verdict`
    (pass|warn|block), and optionally `subject`, `address` (e-mail or phone used
    by the export), `segment`, `variant`, `incentive` ({code, text, value}),
    `findings` (list of {code, category, severity, start, end, message}) and
    `prompt` (name@version). Rows whose (campaign, user_id, channel) exists are
    skipped. A bad row raises ValueError before its chunk is written.
    `on_chunk(n)` is called after each chunk of `n` rows is committed (progress).
    """
    inserted = 0
    for chunk in _chunks(rows, chunk_size):
        now = utcnow()
        values = [draft_row(batch_id, campaign, r, now) for r in chunk]
        with engine.begin() as conn:
            result = conn.execute(_insert_ignoring_duplicates(conn), values)
            if result.rowcount >= 0:
                inserted += result.rowcount
            else:
                # psycopg's batched insert reports no row count, and RETURNING makes it
                # 4x slower: count this chunk's rows by their shared created_at instead
                inserted += conn.execute(
                    select(func.count()).where(
                        drafts.c.batch_id == batch_id, drafts.c.created_at == now
                    )
                ).scalar_one()
        if on_chunk is not None:
            on_chunk(len(chunk))
    return inserted


def existing_keys(engine: Engine, campaign: str) -> set[tuple[str, str]]:
    """(user_id, channel) pairs already in the queue for a campaign (for resume)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(drafts.c.user_id, drafts.c.channel).where(drafts.c.campaign == campaign)
        )
        return {(u, c) for u, c in rows}


def unknown_draft(draft_id: int | str) -> WinbackError:
    """The error for a draft id that is not in the queue."""
    return WinbackError(
        f"Draft {draft_id} is not in the queue",
        "List drafts with `winback queue list --batch BATCH`.",
    )


def get_draft(engine: Engine | Connection, draft_id: int) -> dict[str, Any]:
    """One draft as a dict; WinbackError if the id is unknown."""
    query = select(drafts).where(drafts.c.id == draft_id)
    if isinstance(engine, Connection):
        row = engine.execute(query).first()
    else:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    if row is None:
        raise unknown_draft(draft_id)
    return row_dict(row)


def list_drafts(
    engine: Engine,
    *,
    batch_id: str | None = None,
    status: str | None = None,
    segment: str | None = None,
    variant: str | None = None,
    arm: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Drafts matching the filters, in id order."""
    query = select(drafts).order_by(drafts.c.id)
    for column, value in (
        (drafts.c.batch_id, batch_id),
        (drafts.c.status, status),
        (drafts.c.segment, segment),
        (drafts.c.variant, variant),
        (drafts.c.arm, arm),
    ):
        if value is not None:
            query = query.where(column == value)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(query)]
