"""Who is asking: the session cookie, login-required endpoints, roles and CSRF.

The cookie `winback_session` holds the session token signed with the app's
secret (itsdangerous): a tampered cookie is refused before the database is
asked. It is HttpOnly, SameSite=Strict, Path=/, and Secure when the app is
served behind TLS. The session itself lives in the database
(`agent.store.web_sessions`), so logout and expiry are real.

Every endpoint is wrapped by `endpoint(...)`, which is the only way routes are
declared: without a live session a GET is redirected to the login page and
anything else gets 401; with one, a state-changing request must carry the
session's CSRF token in its form (`csrf`), compared in constant time, or it
gets 403; a role outside the endpoint's roles gets 403. The login form, which
has no session yet, uses a double-submit token (a signed cookie and a hidden
field that must match). In the web app the acting reviewer is always the
logged-in account, never a typed name.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from agent.store import web_sessions
from agent.web.errors import PageError

COOKIE = "winback_session"
LOGIN_CSRF_COOKIE = "winback_login_csrf"
ALL_ROLES = ("marketer", "reviewer", "admin")
MAX_FORM_BYTES = 10 * 1024 * 1024

Handler = Callable[[Request], Awaitable[Response]]


def signer(request: Request) -> URLSafeSerializer:
    """The app's cookie signer."""
    return URLSafeSerializer(request.app.state.secret, salt="winback-web")


def cookie_options(request: Request) -> dict[str, Any]:
    """Attributes every cookie of the app gets."""
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": bool(request.app.state.secure_cookies),
        "path": "/",
    }


def session_token(request: Request) -> str | None:
    """The session token from a validly signed cookie, else None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        token = signer(request).loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def current_session(request: Request) -> dict[str, Any] | None:
    """The live session of this request ({account, role, csrf, expires_at}) or None."""
    token = session_token(request)
    if token is None:
        return None
    return web_sessions.session_for(request.app.state.engine, token)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Put a new session's signed token in the response."""
    response.set_cookie(
        COOKIE,
        signer(request).dumps(token),
        max_age=web_sessions.SESSION_SECONDS,
        **cookie_options(request),
    )


def csrf_matches(expected: str | None, given: Any) -> bool:
    """Constant-time comparison of a CSRF token."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def new_login_csrf() -> str:
    """A fresh double-submit token for the login form."""
    return secrets.token_urlsafe(24)


async def read_form(request: Request) -> FormData:
    """The request's form (urlencoded or multipart), refusing oversized bodies."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise PageError(413, "The upload is too large (over 10 MB)", "Send a smaller file.")
    return await request.form(max_files=1, max_fields=50)


def _login_redirect(request: Request, expired: bool) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    flag = "&expired=1" if expired else ""
    return RedirectResponse(f"/login?next={quote(target, safe='')}{flag}", status_code=303)


def endpoint(*roles: str) -> Callable[[Handler], Handler]:
    """Require a session (and one of `roles`, default any) and, on POST, the CSRF token.

    The handler finds the account in `request.state.user` and the parsed form
    in `request.state.form`.
    """
    allowed = roles or ALL_ROLES

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            session = current_session(request)
            if session is None:
                had_cookie = COOKIE in request.cookies
                if request.method in ("GET", "HEAD"):
                    return _login_redirect(request, expired=had_cookie)
                raise PageError(
                    401,
                    "Your session has expired or you are not logged in; nothing was changed",
                    "Log in again, then repeat the action.",
                )
            request.state.user = session
            if request.method not in ("GET", "HEAD"):
                form = await read_form(request)
                if not csrf_matches(session["csrf"], form.get("csrf")):
                    raise PageError(
                        403,
                        "This form is stale or did not come from this app (CSRF token "
                        "missing or wrong); nothing was changed",
                        "Reload the page and submit the form again.",
                    )
                request.state.form = form
            if session["role"] not in allowed:
                raise PageError(
                    403,
                    f"Your role ({session['role']}) cannot do this",
                    f"Ask an admin: this needs one of {', '.join(allowed)}.",
                )
            return await handler(request)

        guarded.winback_roles = allowed  # type: ignore[attr-defined]
        return guarded

    return wrap
