"""What the web app's batch and variant pages show, aggregated in SQL and paginated.

Every query here is a GROUP BY or a LIMITed read on the `(batch_id, status)`,
`(batch_id, segment)` and `(batch_id, variant)` indexes: a 130,000-draft batch
never travels to Python, so the pages render in well under a second on both
databases (measured by `scripts/bench_web.py`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, and_, func, select

from agent.store.rows import row_dict
from agent.store.schema import audit_log, drafts, variant_decisions

PAGE = 50
SAMPLES = 5


def grouped_counts(engine: Engine, batch_id: str) -> list[dict[str, Any]]:
    """One scan of the batch: counts by (variant, segment, arm, channel, status, verdict)."""
    keys = (
        drafts.c.variant,
        drafts.c.segment,
        drafts.c.arm,
        drafts.c.channel,
        drafts.c.status,
        drafts.c.verdict,
    )
    query = select(*keys, func.count().label("n")).where(drafts.c.batch_id == batch_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.group_by(*keys))]


def batch_summary(engine: Engine, batch_id: str, groups: list[dict] | None = None) -> dict:
    """Counts by arm, status, verdict and segment x arm for one batch."""
    groups = grouped_counts(engine, batch_id) if groups is None else groups
    arms: Counter = Counter()
    statuses: Counter = Counter()
    verdicts: Counter = Counter()
    segments: dict[str, Counter] = {}
    for g in groups:
        arms[g["arm"]] += g["n"]
        statuses[g["status"]] += g["n"]
        verdicts[g["verdict"] or "-"] += g["n"]
        segments.setdefault(g["segment"] or "-", Counter())[g["arm"]] += g["n"]
    reviewable = sum(n for s, n in statuses.items() if s != "control")
    decided = statuses.get("approved", 0) + statuses.get("rejected", 0)
    return {
        "arms": dict(arms),
        "statuses": dict(statuses),
        "verdicts": dict(verdicts),
        "segments": {k: dict(v) for k, v in sorted(segments.items())},
        "reviewable": reviewable,
        "decided": decided,
        "progress": round(100 * decided / reviewable) if reviewable else 100,
    }


def variant_rows(
    engine: Engine,
    batch_id: str,
    *,
    page: int = 1,
    per_page: int = PAGE,
    groups: list[dict] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One row per variant of a batch (counts by status and verdict), and the variant total.

    Built from the batch's grouped counts (a batch has tens to hundreds of
    variants, so this is small) plus the decisions recorded for the page shown.
    """
    groups = grouped_counts(engine, batch_id) if groups is None else groups
    by_variant: dict[str, dict[str, Any]] = {}
    for g in groups:
        if g["variant"] is None:
            continue
        row = by_variant.setdefault(
            g["variant"],
            {
                "variant": g["variant"],
                "segment": g["segment"],
                "channel": g["channel"],
                "arm": g["arm"],
                **dict.fromkeys(("drafts", "pending", "approved", "rejected", "warn", "block"), 0),
            },
        )
        row["drafts"] += g["n"]
        if g["status"] in ("pending", "approved", "rejected"):
            row[g["status"]] += g["n"]
        if g["verdict"] in ("warn", "block"):
            row[g["verdict"]] += g["n"]
    ordered = [by_variant[k] for k in sorted(by_variant)]
    shown = ordered[(max(page, 1) - 1) * per_page : max(page, 1) * per_page]
    with engine.connect() as conn:
        decided = {
            r.variant: r
            for r in conn.execute(
                select(
                    variant_decisions.c.variant,
                    variant_decisions.c.decision,
                    variant_decisions.c.actor,
                ).where(
                    variant_decisions.c.batch_id == batch_id,
                    variant_decisions.c.variant.in_([r["variant"] for r in shown]),
                )
            )
        }
    for row in shown:
        hit = decided.get(row["variant"])
        row["decision"], row["actor"] = (hit.decision, hit.actor) if hit else (None, None)
    return shown, len(ordered)


def _draft_columns() -> list[Any]:
    return [
        drafts.c.id,
        drafts.c.user_id,
        drafts.c.arm,
        drafts.c.segment,
        drafts.c.channel,
        drafts.c.subject,
        drafts.c.body,
        drafts.c.verdict,
        drafts.c.findings,
        drafts.c.status,
        drafts.c.reviewer,
        drafts.c.edited,
        drafts.c.personalization,
    ]


def _rows_by_id(conn: Any, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    query = select(*_draft_columns()).where(drafts.c.id.in_(ids)).order_by(drafts.c.id)
    return [row_dict(r) for r in conn.execute(query)]


def variant_detail(
    engine: Engine, batch_id: str, variant: str, *, page: int = 1, per_page: int = PAGE
) -> dict[str, Any] | None:
    """Counts, samples, outliers, baseline copy, users (paginated) of one variant; None if none."""
    of_variant = and_(drafts.c.batch_id == batch_id, drafts.c.variant == variant)
    with engine.connect() as conn:
        # one read of the variant's (id, verdict, status): counts, samples and pages from it
        found = conn.execute(
            select(drafts.c.id, drafts.c.verdict, drafts.c.status).where(of_variant)
        ).all()
        if not found:
            return None
        verdicts: Counter = Counter(r.verdict for r in found)
        statuses: Counter = Counter(r.status for r in found)
        total = len(found)
        typical = verdicts.most_common(1)[0][0]
        ids = sorted(r.id for r in found)
        picks = sorted({ids[k * total // min(SAMPLES, total)] for k in range(min(SAMPLES, total))})
        samples = _rows_by_id(conn, picks)
        outliers = [
            row_dict(r)
            for r in conn.execute(
                select(*_draft_columns())
                .where(of_variant, drafts.c.verdict != typical)
                .order_by(drafts.c.id)
                .limit(per_page)
            )
        ]
        first = samples[0]
        baseline = conn.execute(
            select(*_draft_columns())
            .where(
                drafts.c.batch_id == batch_id,
                drafts.c.arm == "baseline",
                drafts.c.channel == first["channel"],
                drafts.c.segment == first["segment"]
                if first["segment"] is not None
                else drafts.c.segment.is_(None),
            )
            .order_by(drafts.c.id)
            .limit(1)
        ).first()
        start = (max(page, 1) - 1) * per_page
        users = _rows_by_id(conn, ids[start : start + per_page])
        changes = [
            row_dict(e)
            for e in conn.execute(
                select(audit_log)
                .where(audit_log.c.batch_id == batch_id, audit_log.c.action == "request_changes")
                .order_by(audit_log.c.id)
            )
            if (e.after or {}).get("variant") == variant
        ]
    decided = variant_decision_row(engine, batch_id, variant)
    return {
        "variant": variant,
        "segment": first["segment"],
        "channel": first["channel"],
        "arm": first["arm"],
        "total": total,
        "verdicts": dict(verdicts),
        "statuses": dict(statuses),
        "typical_verdict": typical,
        "template": template_of(first),
        "samples": samples,
        "outliers": outliers,
        "baseline": row_dict(baseline) if baseline is not None else None,
        "users": users,
        "decision": decided,
        "change_requests": changes,
    }


def variant_decision_row(engine: Engine, batch_id: str, variant: str) -> dict[str, Any] | None:
    """The variant's recorded decision, or None."""
    from agent.store.variant_decisions import variant_decision

    return variant_decision(engine, batch_id, variant)


def template_of(draft: dict[str, Any]) -> dict[str, str | None]:
    """The variant's copy with this user's values put back as `{{ placeholder }}`.

    The queue stores each user's rendering, not the template the model wrote; the
    values the run filled in are in the draft's `personalization`, so replacing
    them (longest first) recovers the template for display.
    """
    personal = draft.get("personalization") or {}
    values = dict(personal.get("values") or {})
    if personal.get("first_name"):
        values["first_name"] = personal["first_name"]
    pairs = sorted(
        ((str(v), k) for k, v in values.items() if v not in (None, "") and len(str(v)) > 1),
        key=lambda p: -len(p[0]),
    )

    def unrender(text: str | None) -> str | None:
        if not text:
            return text
        for value, name in pairs:
            text = text.replace(value, "{{ " + name + " }}")
        return text

    return {"subject": unrender(draft.get("subject")), "body": unrender(draft.get("body"))}
