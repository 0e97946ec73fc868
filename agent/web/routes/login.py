"""Logging in and out.

The login page is the only page served without a session. A login is refused
(401, the same message whether the name or the password was wrong) and
recorded; ten wrong passwords for a name lock it for 15 minutes (429), see
`agent.store.web_sessions`. `next` only ever redirects within the app.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agent.store import accounts, web_sessions
from agent.web.auth import (
    LOGIN_CSRF_COOKIE,
    cookie_options,
    csrf_matches,
    current_session,
    endpoint,
    new_login_csrf,
    read_form,
    session_token,
    set_session_cookie,
)
from agent.web.pages import render


def _safe_next(value: object) -> str:
    text = value if isinstance(value, str) else ""
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return "/"
    return text


def _login_page(request: Request, status: int, message: str = "", next_url: str = "/") -> Response:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        message=message,
        next_url=next_url,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **cookie_options(request))
    return response


async def login_form(request: Request) -> Response:
    """GET /login: the form (or straight to the app if already logged in)."""
    if current_session(request) is not None:
        return RedirectResponse("/", status_code=303)
    message = ""
    if request.query_params.get("expired"):
        message = "Your session has expired. Log in again."
    return _login_page(request, 200, message, _safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    """POST /login: check the double-submit token, the lockout, then the password."""
    form = await read_form(request)
    next_url = _safe_next(form.get("next"))
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")):
        return _login_page(request, 403, "The login form had expired. Please try again.", next_url)
    name = str(form.get("name") or "").strip()[:80]
    password = str(form.get("password") or "")
    engine = request.app.state.engine
    client = request.client.host if request.client else None
    until = web_sessions.locked_until(engine, name)
    if until is not None:
        return _login_page(
            request,
            429,
            "Too many wrong passwords: this login is locked until "
            f"{until.strftime('%H:%M:%S UTC')}. Try again later or ask an admin.",
            next_url,
        )
    account = accounts.verify_login(engine, name, password) if name and password else None
    web_sessions.record_attempt(engine, name, account is not None, client)
    if account is None:
        return _login_page(request, 401, "Wrong name or password.", next_url)
    token, _csrf = web_sessions.create_session(engine, account["name"])
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@endpoint()
async def logout(request: Request) -> Response:
    """POST /logout: end the session."""
    token = session_token(request)
    if token:
        web_sessions.end_session(request.app.state.engine, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie("winback_session", path="/")
    return response


ROUTES = [
    Route("/login", login_form, methods=["GET"], name="login_form"),
    Route("/login", login, methods=["POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
PUBLIC = {("/login", "GET"), ("/login", "POST")}
