"""One draft: see it, edit it in place (re-checked by the guardrails), approve or reject it.

An edit is re-checked before it is stored, and the draft stays pending with
the new verdict, so the edit must be approved next: by someone else when
four-eyes is on (the default), since the editor is refused approval of their
own edit. A blocked draft is approved only by an admin with a written reason.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agent.store import decisions
from agent.store.drafts import get_draft
from agent.store.variant_decisions import REJECT_REASONS, four_eyes_on, four_eyes_problem
from agent.web.auth import endpoint
from agent.web.errors import PageError
from agent.web.pages import render
from agent.web.recheck import recheck
from agent.web.routes.common import form_text, load_batch
from agent.web.routes.variants import reject_reason
from prompts.errors import UserError


def load_draft(request: Request) -> dict:
    """The draft named in the path, or a 404 page."""
    raw = request.path_params["draft_id"]
    try:
        return get_draft(request.app.state.engine, int(raw))
    except (UserError, ValueError) as exc:
        raise PageError(
            404, f"Draft {raw} does not exist", "Open drafts from a variant page."
        ) from exc


def _decision_error(exc: UserError) -> PageError:
    status = 409 if "already" in exc.message else 400
    return PageError(status, exc.message, exc.fix)


@endpoint()
async def draft_page(request: Request) -> Response:
    """GET /drafts/{draft_id}."""
    draft = load_draft(request)
    if draft["arm"] == "control":
        raise PageError(
            404, f"Draft {draft['id']} records a control user (no message)", "Nothing to review."
        )
    return render(
        request,
        "draft.html",
        d=draft,
        batch=load_batch(request, draft["batch_id"]),
        reasons=REJECT_REASONS,
        done=request.query_params.get("done", ""),
    )


def _back(draft: dict, done: str) -> Response:
    return RedirectResponse(f"/drafts/{draft['id']}?done={done}", status_code=303)


@endpoint("reviewer", "admin")
async def edit(request: Request) -> Response:
    """POST /drafts/{draft_id}/edit: store the new text with its re-checked verdict."""
    draft = load_draft(request)
    text = form_text(request, "body", 20_000)
    if not text:
        raise PageError(400, "The edited text is empty", "Write the message, or reject the draft.")
    if text == (draft["body"] or "").strip():
        return _back(draft, "unchanged")
    batch = load_batch(request, draft["batch_id"])
    verdict, findings = recheck(batch, draft, text)
    try:
        decisions.edit(
            request.app.state.engine,
            draft["id"],
            request.state.user["account"],
            body=text,
            subject=draft["subject"],
            verdict=verdict,
            findings=findings,
        )
    except UserError as exc:
        raise _decision_error(exc) from exc
    return _back(draft, f"edited-{verdict}")


@endpoint("reviewer", "admin")
async def approve(request: Request) -> Response:
    """POST /drafts/{draft_id}/approve (four-eyes; blocked: admin with a reason)."""
    draft = load_draft(request)
    batch = load_batch(request, draft["batch_id"])
    user = request.state.user
    engine = request.app.state.engine
    if four_eyes_on(batch):
        with engine.connect() as conn:
            problem = four_eyes_problem(conn, batch, user["account"], {draft["id"]})
        if problem:
            raise PageError(
                403,
                f"Four-eyes: you cannot approve draft {draft['id']} ({problem})",
                "Ask another reviewer to approve it.",
            )
    override = form_text(request, "override_reason") or None
    if draft["verdict"] == "block" and user["role"] != "admin":
        raise PageError(
            403,
            f"Draft {draft['id']} is blocked by the guardrails",
            "Edit it or reject it; only an admin can override a block, with a written reason.",
        )
    try:
        decisions.approve(engine, draft["id"], user["account"], override_reason=override)
    except UserError as exc:
        raise _decision_error(exc) from exc
    return _back(draft, "approved")


@endpoint("reviewer", "admin")
async def reject(request: Request) -> Response:
    """POST /drafts/{draft_id}/reject with a reason from the list and free text."""
    draft = load_draft(request)
    reason = reject_reason(request)
    try:
        decisions.reject(
            request.app.state.engine, draft["id"], request.state.user["account"], reason
        )
    except UserError as exc:
        raise _decision_error(exc) from exc
    return _back(draft, "rejected")


ROUTES = [
    Route("/drafts/{draft_id}", draft_page, methods=["GET"], name="draft"),
    Route("/drafts/{draft_id}/edit", edit, methods=["POST"], name="edit_draft"),
    Route("/drafts/{draft_id}/approve", approve, methods=["POST"], name="approve_draft"),
    Route("/drafts/{draft_id}/reject", reject, methods=["POST"], name="reject_draft"),
]
