"""The ASGI app: every route, static CSS, error pages and security headers.

`create_app(engine, secret)` builds a Starlette app on an open store. Routes
come from `agent.web.routes.*.ROUTES`; all of them except the login page are
wrapped by `auth.endpoint` (the security tests enumerate `app.routes` and
check that each one refuses a request without a session). Errors become a
page with the message, the fix and the right status: `PageError` carries its
own, a store `UserError` that reaches here is a 400, an unknown URL a 404.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from agent.web.errors import PageError
from agent.web.pages import make_environment, render
from agent.web.routes import audit, batches, drafts, exports, lift, login, variants
from agent.web.security import SecurityHeaders
from prompts.errors import UserError

STATIC = Path(__file__).parent / "static"
ROUTE_MODULES = (login, batches, variants, drafts, audit, exports, lift)
PUBLIC = login.PUBLIC


def _error_page(request: Request, status: int, message: str, fix: str) -> Response:
    if not hasattr(request.state, "user"):
        request.state.user = None
    return render(request, "error.html", status=status, code=status, message=message, fix=fix)


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return _error_page(request, exc.status, exc.message, exc.fix)


async def _user_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UserError)
    return _error_page(request, 400, exc.message, exc.fix or "")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "There is no such page", 405: "This page does not accept that method"}
    message = messages.get(exc.status_code, str(exc.detail))
    return _error_page(request, exc.status_code, message, "Go back to the list of batches.")


def create_app(engine: Engine, secret: str, *, secure_cookies: bool = False) -> Starlette:
    """The web app on an open, migrated store."""
    routes: list = [route for module in ROUTE_MODULES for route in module.ROUTES]
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            PageError: _page_error,
            UserError: _user_error,
            HTTPException: _http_error,
        },
    )
    app.state.engine = engine
    app.state.secret = secret
    app.state.secure_cookies = secure_cookies
    app.state.templates = make_environment()
    return app
