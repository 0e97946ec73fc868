"""What the web app's batch and variant pages show, aggregated in SQL and paginated.

Every query here is a GROUP BY or a LIMITed read on the `(batch_id, status)`,
`(batch_id, segment)` and `(batch_id, variant)` indexes: a 130,000-draft batch
never travels to Python, so the pages render in well under a second on both
databases (measured by `scripts/bench_web.py`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from agent.store.rows import row_dict
from agent.store.schema import audit_log, drafts, variant_decisions

PAGE = 50
SAMPLES = 5


def batch_summary(engine: Engine, batch_id: str) -> dict[str, Any]:
    """Counts by arm, status, verdict and segment x arm for one batch."""
    with engine.connect() as conn:

        def grouped(*columns: Any) -> list[tuple]:
            query = select(*columns, func.count()).where(drafts.c.batch_id == batch_id)
            return [tuple(r) for r in conn.execute(query.group_by(*columns)).all()]

        arms = dict(grouped(drafts.c.arm))
        statuses = dict(grouped(drafts.c.status))
        verdicts = {v or "-": n for v, n in grouped(drafts.c.verdict)}
        segments: dict[str, dict[str, int]] = {}
        for segment, arm, n in grouped(drafts.c.segment, drafts.c.arm):
            segments.setdefault(segment or "-", {})[arm] = n
    reviewable = sum(n for s, n in statuses.items() if s != "control")
    decided = statuses.get("approved", 0) + statuses.get("rejected", 0)
    return {
        "arms": arms,
        "statuses": statuses,
        "verdicts": verdicts,
        "segments": dict(sorted(segments.items())),
        "reviewable": reviewable,
        "decided": decided,
        "progress": round(100 * decided / reviewable) if reviewable else 100,
    }


def variant_rows(
    engine: Engine, batch_id: str, *, page: int = 1, per_page: int = PAGE
) -> tuple[list[dict[str, Any]], int]:
    """One row per variant of a batch (counts by status and verdict), and the variant total."""
    count = func.count()

    def n_where(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            drafts.c.variant,
            func.min(drafts.c.segment).label("segment"),
            func.min(drafts.c.channel).label("channel"),
            func.min(drafts.c.arm).label("arm"),
            count.label("drafts"),
            n_where(drafts.c.status == "pending").label("pending"),
            n_where(drafts.c.status == "approved").label("approved"),
            n_where(drafts.c.status == "rejected").label("rejected"),
            n_where(drafts.c.verdict == "warn").label("warn"),
            n_where(drafts.c.verdict == "block").label("block"),
            variant_decisions.c.decision,
            variant_decisions.c.actor,
        )
        .select_from(
            drafts.outerjoin(
                variant_decisions,
                and_(
                    variant_decisions.c.batch_id == drafts.c.batch_id,
                    variant_decisions.c.variant == drafts.c.variant,
                ),
            )
        )
        .where(drafts.c.batch_id == batch_id, drafts.c.variant.is_not(None))
        .group_by(drafts.c.variant, variant_decisions.c.decision, variant_decisions.c.actor)
        .order_by(drafts.c.variant)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        total = conn.execute(
            select(func.count(func.distinct(drafts.c.variant))).where(
                drafts.c.batch_id == batch_id, drafts.c.variant.is_not(None)
            )
        ).scalar_one()
    return rows, total


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


def variant_detail(
    engine: Engine, batch_id: str, variant: str, *, page: int = 1, per_page: int = PAGE
) -> dict[str, Any] | None:
    """Counts, samples, outliers, baseline copy, users (paginated) of one variant; None if none."""
    of_variant = and_(drafts.c.batch_id == batch_id, drafts.c.variant == variant)
    with engine.connect() as conn:
        by = conn.execute(
            select(drafts.c.verdict, drafts.c.status, func.count())
            .where(of_variant)
            .group_by(drafts.c.verdict, drafts.c.status)
        ).all()
        if not by:
            return None
        verdicts: Counter = Counter()
        statuses: Counter = Counter()
        for verdict, status, n in by:
            verdicts[verdict] += n
            statuses[status] += n
        total = sum(verdicts.values())
        typical = verdicts.most_common(1)[0][0]
        # samples spread over the variant's users (by id), not the first five
        samples = []
        for k in range(min(SAMPLES, total)):
            row = conn.execute(
                select(*_draft_columns())
                .where(of_variant)
                .order_by(drafts.c.id)
                .offset(k * total // min(SAMPLES, total))
                .limit(1)
            ).first()
            samples.append(row_dict(row))
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
        users = [
            row_dict(r)
            for r in conn.execute(
                select(
                    drafts.c.id,
                    drafts.c.user_id,
                    drafts.c.verdict,
                    drafts.c.status,
                    drafts.c.reviewer,
                    drafts.c.edited,
                )
                .where(of_variant)
                .order_by(drafts.c.id)
                .limit(per_page)
                .offset((max(page, 1) - 1) * per_page)
            )
        ]
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
