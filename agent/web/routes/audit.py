"""The audit page of a batch: who, when, what, why, and the diff of every edit."""

from __future__ import annotations

import math

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent.store.rows import row_dict
from agent.store.schema import audit_log
from agent.web.auth import endpoint
from agent.web.pages import render
from agent.web.routes.common import load_batch, page_number

PER_PAGE = 100


@endpoint()
async def audit_page(request: Request) -> Response:
    """GET /batches/{batch_id}/audit: entries newest first, paginated."""
    batch = load_batch(request, request.path_params["batch_id"])
    page = page_number(request)
    with request.app.state.engine.connect() as conn:
        total = conn.execute(
            select(func.count()).where(audit_log.c.batch_id == batch["id"])
        ).scalar_one()
        entries = [
            row_dict(r)
            for r in conn.execute(
                select(audit_log)
                .where(audit_log.c.batch_id == batch["id"])
                .order_by(audit_log.c.id.desc())
                .limit(PER_PAGE)
                .offset((page - 1) * PER_PAGE)
            )
        ]
    return render(
        request,
        "audit.html",
        batch=batch,
        entries=entries,
        page=page,
        pages=max(1, math.ceil(total / PER_PAGE)),
    )


ROUTES = [Route("/batches/{batch_id}/audit", audit_page, methods=["GET"], name="audit")]
