"""Small helpers the route modules share: loading a batch or 404, reading inputs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from agent.store.batches import get_batch
from agent.web.errors import PageError
from prompts.errors import UserError


def load_batch(request: Request, batch_id: str) -> dict[str, Any]:
    """The batch, or a 404 page naming the id."""
    try:
        return get_batch(request.app.state.engine, batch_id)
    except UserError as exc:
        raise PageError(
            404, f"Batch {batch_id!r} does not exist", "Pick one from the list."
        ) from exc


def page_number(request: Request) -> int:
    """The `page` query parameter (1 if missing), or a 400 page."""
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise PageError(400, f"Page {raw!r} is not a page number", "Use ?page=1, 2, ...")
    return int(raw)


def form_text(request: Request, name: str, limit: int = 5000) -> str:
    """A text field of the posted form, stripped ('' if missing), or a 400 if too long."""
    value = request.state.form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise PageError(400, f"The {name} field is too long", f"Keep it under {limit} characters.")
    return text
