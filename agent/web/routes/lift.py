"""Lift: upload an outcomes CSV, see arm rates with intervals as a chart and the verdict.

The upload is checked by `agent.lift.report` (header, 0/1 values, users of
the batch, up to five problems named by row and column); a file that is not
UTF-8 text is refused before that. Nothing is stored: the report is computed
from the file and shown.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent.lift.report import lift_report
from agent.web.auth import endpoint
from agent.web.errors import PageError
from agent.web.lift_chart import chart, verdict
from agent.web.pages import render
from agent.web.routes.common import load_batch
from prompts.errors import UserError

FIX = "Upload a CSV with a header line: user_id,converted[,revenue] (converted is 0 or 1)."


@endpoint()
async def lift_form(request: Request) -> Response:
    """GET /batches/{batch_id}/lift: the upload form."""
    batch = load_batch(request, request.path_params["batch_id"])
    return render(request, "lift.html", batch=batch, report=None, chart=None, verdict="")


@endpoint("marketer", "admin")
async def lift_upload(request: Request) -> Response:
    """POST /batches/{batch_id}/lift: the report for the uploaded outcomes."""
    batch = load_batch(request, request.path_params["batch_id"])
    upload = request.state.form.get("outcomes")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise PageError(400, "No outcomes file was uploaded", FIX)
    data = await upload.read()
    name = Path(upload.filename).name
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PageError(400, f"{name} is not a CSV text file (not UTF-8)", FIX) from exc
    if b"\x00" in data:
        raise PageError(400, f"{name} is not a CSV text file (binary data)", FIX)
    with tempfile.TemporaryDirectory(prefix="winback-lift-") as folder:
        path = Path(folder) / "outcomes.csv"
        path.write_bytes(data)
        try:
            report = lift_report(request.app.state.engine, batch["id"], path)
        except UserError as exc:
            raise PageError(400, exc.message.replace(str(path), name), exc.fix) from exc
    report["outcomes_file"] = name
    return render(
        request,
        "lift.html",
        batch=batch,
        report=report,
        chart=chart(report["arms"]),
        verdict=verdict(report),
    )


ROUTES = [
    Route("/batches/{batch_id}/lift", lift_form, methods=["GET"], name="lift"),
    Route("/batches/{batch_id}/lift", lift_upload, methods=["POST"], name="lift_upload"),
]
