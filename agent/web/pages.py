"""Rendering pages: one autoescaping Jinja2 environment and the findings highlighter.

Autoescaping is on for every template and `Markup` is created in exactly one
place, `highlight`, which escapes each piece of the message itself before
wrapping the guardrail findings' spans in `<mark>`. No template uses `|safe`.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"


def highlight(
    text: str | None, findings: list[dict[str, Any]] | None, field: str = "text"
) -> Markup:
    """The text escaped, with each finding on `field` wrapped in a titled `<mark>`."""
    text = text or ""
    spans = []
    for f in findings or []:
        if f.get("field", "text") != field:
            continue
        start, end = f.get("start"), f.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            spans.append((start, end, f))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out, pos = [], 0
    for start, end, f in spans:
        if start < pos:
            continue  # overlapping spans: the first (longest) one is shown
        out.append(escape(text[pos:start]))
        severity = f.get("severity") if f.get("severity") in ("warn", "block") else "info"
        title = f"{f.get('code', '?')}: {f.get('message', '')}"
        out.append(
            Markup('<mark class="{}" title="{}">{}</mark>').format(
                f"sev-{severity}", title, text[start:end]
            )
        )
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def diff_lines(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """(kind, line) pairs of a line diff: kind is '+', '-' or ' '."""
    lines = difflib.ndiff((before or "").splitlines(), (after or "").splitlines())
    return [(line[0], line[2:]) for line in lines if line[:1] in "+- "]


def when(value: datetime | None) -> str:
    """A UTC timestamp for people: 2026-05-01 12:03:04 UTC."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def make_environment() -> Environment:
    """The app's Jinja2 environment (autoescape everything, strict undefined)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["highlight"] = highlight
    env.filters["when"] = when
    env.globals["diff_lines"] = diff_lines
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from a template, with the logged-in user and CSRF token in its context."""
    user = getattr(request.state, "user", None)
    env: Environment = request.app.state.templates
    html = env.get_template(name).render(
        request=request,
        user=user,
        csrf=user["csrf"] if user else "",
        **context,
    )
    return HTMLResponse(html, status_code=status)
