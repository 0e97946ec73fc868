"""The batch list and the batch page: arms, segments, verdicts, progress, variants."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent.store.batches import list_batches
from agent.store.review_views import PAGE, batch_summary, grouped_counts, variant_rows
from agent.web.auth import endpoint
from agent.web.pages import render
from agent.web.routes.common import load_batch, page_number


@endpoint()
async def batch_list(request: Request) -> Response:
    """GET /: every batch, newest first, with its review progress."""
    batches = list_batches(request.app.state.engine)
    return render(request, "batches.html", batches=batches)


@endpoint()
async def batch_page(request: Request) -> Response:
    """GET /batches/{batch_id}: the batch's counts and its variants, paginated."""
    batch = load_batch(request, request.path_params["batch_id"])
    page = page_number(request)
    engine = request.app.state.engine
    groups = grouped_counts(engine, batch["id"])  # one scan of the batch for the whole page
    rows, total = variant_rows(engine, batch["id"], page=page, groups=groups)
    return render(
        request,
        "batch.html",
        batch=batch,
        summary=batch_summary(engine, batch["id"], groups),
        variants=rows,
        page=page,
        pages=max(1, math.ceil(total / PAGE)),
        total_variants=total,
    )


ROUTES = [
    Route("/", batch_list, methods=["GET"], name="batches"),
    Route("/batches/{batch_id}", batch_page, methods=["GET"], name="batch"),
]
