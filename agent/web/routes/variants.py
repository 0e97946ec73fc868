"""The variant page and deciding a variant for all its users at once.

The page shows the copy once (as a template), five sample renders spread over
its users with the guardrail findings highlighted in place, the segment's
human baseline copy beside it, the outliers (users whose own verdict differs
from the variant's usual one) and the users it covers, paginated.

One form decides it: approve (a blocked variant only by an admin with a
written override reason), reject with a reason from the list plus free text,
or request changes with a message. The acting reviewer is the logged-in
account. Losing a race to another reviewer gives 409 with who and when.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agent.store.review_views import PAGE, variant_detail
from agent.store.variant_decisions import (
    REJECT_REASONS,
    FourEyesRefused,
    VariantAlreadyDecided,
    decide_variant,
    four_eyes_on,
    request_changes,
)
from agent.web.auth import endpoint
from agent.web.errors import PageError
from agent.web.pages import render
from agent.web.routes.common import form_text, load_batch, page_number
from prompts.errors import UserError

ACTIONS = ("approve", "reject", "request_changes")


def variant_url(batch_id: str, variant: str) -> str:
    """The variant page's path."""
    return f"/batches/{quote(batch_id, safe='')}/variants/{quote(variant, safe='')}"


@endpoint()
async def variant_page(request: Request) -> Response:
    """GET /batches/{batch_id}/variants/{variant}."""
    batch = load_batch(request, request.path_params["batch_id"])
    variant = request.path_params["variant"]
    page = page_number(request)
    detail = variant_detail(request.app.state.engine, batch["id"], variant, page=page)
    if detail is None:
        raise PageError(
            404,
            f"Batch {batch['id']} has no variant {variant!r}",
            "Pick a variant from the batch page.",
        )
    return render(
        request,
        "variant.html",
        batch=batch,
        v=detail,
        page=page,
        pages=max(1, math.ceil(detail["total"] / PAGE)),
        reasons=REJECT_REASONS,
        four_eyes=four_eyes_on(batch),
        done=request.query_params.get("done", ""),
    )


def reject_reason(request: Request) -> str:
    """'reason from the list: free text', or a 400 naming what is missing."""
    code, text = form_text(request, "reason_code", 100), form_text(request, "reason_text")
    if code not in REJECT_REASONS:
        raise PageError(400, "Pick a reason for rejecting from the list", "Choose one, then send.")
    if code == "other" and not text:
        raise PageError(400, "Say why when the reason is 'other'", "Write it in the text box.")
    return f"{code}: {text}" if text else code


@endpoint("reviewer", "admin")
async def decide(request: Request) -> Response:
    """POST /batches/{batch_id}/variants/{variant}/decide."""
    batch = load_batch(request, request.path_params["batch_id"])
    variant = request.path_params["variant"]
    user = request.state.user
    action = form_text(request, "action", 40)
    if action not in ACTIONS:
        raise PageError(400, f"Unknown action {action!r}", f"Use one of: {', '.join(ACTIONS)}.")
    engine = request.app.state.engine
    try:
        if action == "request_changes":
            request_changes(
                engine, batch["id"], variant, user["account"], form_text(request, "message")
            )
            done = "changes_requested"
        else:
            result = decide_variant(
                engine,
                batch["id"],
                variant,
                user["account"],
                "approved" if action == "approve" else "rejected",
                reason=reject_reason(request) if action == "reject" else None,
                override_reason=form_text(request, "override_reason") or None,
                is_admin=user["role"] == "admin",
            )
            done = f"{result.decision}-{len(result.draft_ids)}"
    except VariantAlreadyDecided as exc:
        raise PageError(409, exc.message, exc.fix) from exc
    except FourEyesRefused as exc:
        raise PageError(403, exc.message, exc.fix) from exc
    except UserError as exc:
        raise PageError(400, exc.message, exc.fix) from exc
    return RedirectResponse(f"{variant_url(batch['id'], variant)}?done={done}", status_code=303)


ROUTES = [
    Route("/batches/{batch_id}/variants/{variant}", variant_page, methods=["GET"], name="variant"),
    Route(
        "/batches/{batch_id}/variants/{variant}/decide",
        decide,
        methods=["POST"],
        name="decide_variant",
    ),
]
