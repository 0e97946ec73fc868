"""Downloads for the marketer: approved drafts (CSV) and the control list (CSV).

The approved-drafts export is a POST (it marks the drafts exported, records
the contacts and is audited, all in one transaction, by
`agent.store.export.export_batch`), answered with the file as an attachment.
The control list is read-only, so it is a GET.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent.store.export import CONTROL_COLUMNS, export_batch
from agent.store.schema import drafts
from agent.web.auth import endpoint
from agent.web.errors import PageError
from agent.web.routes.common import load_batch
from prompts.errors import UserError


def _attachment(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@endpoint("marketer", "admin")
async def export_approved(request: Request) -> Response:
    """POST /batches/{batch_id}/export: the approved drafts not exported yet, as CSV."""
    batch = load_batch(request, request.path_params["batch_id"])
    partial = request.state.form.get("partial") == "on"
    with tempfile.TemporaryDirectory(prefix="winback-export-") as folder:
        out = Path(folder) / "approved.csv"
        try:
            export_batch(
                request.app.state.engine,
                batch["id"],
                out,
                fmt="csv",
                partial=partial,
                actor=request.state.user["account"],
            )
        except UserError as exc:
            fix = "Tick 'only what is approved so far' to export a partial batch."
            raise PageError(409, exc.message, fix if "pending" in exc.message else exc.fix) from exc
        data = out.read_bytes()
    return _attachment(data, f"{batch['id']}-approved.csv")


@endpoint("marketer", "admin")
async def control_list(request: Request) -> Response:
    """GET /batches/{batch_id}/control.csv: the held-out users, one row each."""
    batch = load_batch(request, request.path_params["batch_id"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CONTROL_COLUMNS)
    writer.writeheader()
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(
            select(drafts.c.user_id, drafts.c.segment)
            .where(drafts.c.batch_id == batch["id"], drafts.c.arm == "control")
            .distinct()
            .order_by(drafts.c.user_id)
        )
        for user_id, segment in rows:
            writer.writerow(
                {"user_id": user_id, "arm": "control", "segment": segment, "batch_id": batch["id"]}
            )
    return _attachment(buffer.getvalue().encode(), f"{batch['id']}-control.csv")


ROUTES = [
    Route("/batches/{batch_id}/export", export_approved, methods=["POST"], name="export"),
    Route("/batches/{batch_id}/control.csv", control_list, methods=["GET"], name="control"),
]
