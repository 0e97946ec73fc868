"""Security of the web app, over HTTP: every route needs a session, CSRF, headers,
escaping, the login lockout, harmless SQL-looking input, roles."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from starlette.routing import Mount, Route

from agent.store import web_sessions
from agent.store.accounts import add_account
from agent.web.app import PUBLIC
from agent.web.security import CSP
from tests.agent.web.conftest import PASSWORD, XSS_BODY, csrf_of, login


def concrete_paths(app, batch_id: str) -> list[tuple[str, str]]:
    """(method, path) for every route of the app, path parameters filled in."""
    out = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        path = route.path.format(batch_id=batch_id, variant="v-calm", draft_id=5)
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, path, route.path))
    return out


def test_every_route_without_a_session_is_refused(app, client_for, batch_id) -> None:
    client = client_for(None)
    routes = concrete_paths(app, batch_id)
    assert len(routes) >= 14  # the enumeration found the app's routes, not an empty list
    checked = 0
    for method, path, template in routes:
        if (template, method) in PUBLIC:
            continue
        response = client.request(method, path, data={"csrf": "x"})
        if method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, (method, path)
        assert "u001" not in response.text and "Silent loyalists" not in response.text
        checked += 1
    assert checked == len(routes) - len(PUBLIC)


def test_a_forged_or_tampered_cookie_is_no_session(client_for, batch_id) -> None:
    client = client_for(None)
    client.cookies.set("winback_session", "forged.value")
    assert client.get(f"/batches/{batch_id}").status_code == 303


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_post_without_or_with_a_wrong_csrf_token_is_refused(client_for, batch_id, token) -> None:
    client = client_for("ana")
    data = {"action": "approve"} | ({"csrf": token} if token is not None else {})
    response = client.post(f"/batches/{batch_id}/variants/v-calm/decide", data=data)
    assert response.status_code == 403
    assert "CSRF" in response.text
    page = client.get(f"/batches/{batch_id}/variants/v-calm").text
    assert "Decided:" not in page  # nothing was decided


def test_login_form_needs_its_own_csrf_token(client_for) -> None:
    client = client_for(None)
    client.get("/login")
    response = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf": "nope"})
    assert response.status_code == 403
    assert "winback_session" not in response.cookies


def test_security_headers_and_cookie_flags(client_for) -> None:
    client = client_for(None)
    page = client.get("/login")
    assert page.headers["content-security-policy"] == CSP
    assert "script-src" not in CSP and "default-src 'none'" in CSP
    assert "frame-ancestors 'none'" in CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    response = client.post(
        "/login", data={"name": "ana", "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


class _Tags(HTMLParser):
    """Collects the tags and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_no_script_and_no_event_handler_in_any_page(client_for, batch_id) -> None:
    client = client_for("root")
    for path in (
        "/",
        f"/batches/{batch_id}",
        f"/batches/{batch_id}/variants/v-xss",
        f"/batches/{batch_id}/audit",
        f"/batches/{batch_id}/lift",
        "/drafts/5",
    ):
        parser = _Tags()
        parser.feed(client.get(path).text)
        assert parser.tags, path
        for tag, attrs in parser.tags:
            assert tag != "script", path
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)
            assert not (attrs.get("href") or "").lower().startswith("javascript:"), path


def test_xss_payloads_are_escaped_in_the_html(client_for, batch_id) -> None:
    html = client_for("ana").get(f"/batches/{batch_id}/variants/v-xss").text
    assert "<script>console.log" not in html
    assert "&lt;script&gt;console.log(&#39;xss-script&#39;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;" in html
    assert XSS_BODY not in html


def test_ten_wrong_passwords_lock_the_login(client_for, web_engine) -> None:
    add_account(web_engine, "locked-out", "reviewer", PASSWORD)
    client = client_for(None)
    for _ in range(web_sessions.MAX_FAILURES):
        assert login(client, "locked-out", "wrong password!").status_code == 401
    locked = login(client, "locked-out", PASSWORD)  # the right password no longer helps
    assert locked.status_code == 429
    assert "locked until" in locked.text
    assert "winback_session" not in locked.cookies
    assert web_sessions.locked_until(web_engine, "locked-out") is not None
    assert login(client_for(None), "bob").status_code == 303  # other names are not locked


def test_unknown_name_and_wrong_password_get_the_same_answer(client_for) -> None:
    a = login(client_for(None), "nobody", PASSWORD)
    b = login(client_for(None), "ana", "not the password")
    assert a.status_code == b.status_code == 401
    assert "Wrong name or password." in a.text and "Wrong name or password." in b.text


def test_sql_looking_input_is_harmless(client_for, batch_id, web_engine) -> None:
    client = client_for("ana")
    evil = "x' OR '1'='1"
    assert client.get(f"/batches/{evil}").status_code == 404
    assert client.get(f"/batches/{batch_id}/variants/{evil}").status_code == 404
    assert client.get(f"/batches/{batch_id}?page=1;DROP TABLE drafts").status_code == 400
    assert client.get("/drafts/1 OR 1=1").status_code == 404
    assert login(client_for(None), "' OR 1=1 --", "' OR 1=1 --").status_code == 401
    assert client.get(f"/batches/{batch_id}").status_code == 200  # tables still there


def test_logout_ends_the_session(client_for, batch_id) -> None:
    client = client_for("ana")
    page = client.get("/")
    assert page.status_code == 200
    old_cookie = client.cookies.get("winback_session")
    assert client.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    client.cookies.set("winback_session", old_cookie)  # replaying the old cookie
    assert client.get("/").status_code == 303


def test_an_expired_session_says_so(client_for, web_engine) -> None:
    from sqlalchemy import update

    from agent.store.rows import utcnow
    from agent.store.schema import web_sessions as table

    client = client_for("ana")
    with web_engine.begin() as conn:
        conn.execute(update(table).values(expires_at=utcnow()))
    response = client.get("/")
    assert response.status_code == 303 and "expired=1" in response.headers["location"]
    assert "session has expired" in client.get(response.headers["location"]).text


def test_roles_are_enforced(client_for, batch_id) -> None:
    marketer = client_for("mia")
    page = marketer.get(f"/batches/{batch_id}/variants/v-calm")
    assert "Approve variant" not in page.text
    refused = marketer.post(
        f"/batches/{batch_id}/variants/v-calm/decide",
        data={"csrf": csrf_of(page.text), "action": "approve"},
    )
    assert refused.status_code == 403 and "marketer" in refused.text
    reviewer = client_for("ana")
    batch_page = reviewer.get(f"/batches/{batch_id}").text
    assert "Download approved drafts" not in batch_page
    assert reviewer.get(f"/batches/{batch_id}/control.csv").status_code == 403


def test_disabled_account_cannot_log_in_and_loses_its_session(client_for, web_engine) -> None:
    from agent.store.accounts import set_disabled

    add_account(web_engine, "leaver", "reviewer", PASSWORD)
    client = client_for("leaver")
    set_disabled(web_engine, "leaver")
    assert client.get("/").status_code == 303
    assert login(client_for(None), "leaver").status_code == 401


def test_open_redirect_is_refused(client_for) -> None:
    client = client_for(None)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "name": "ana",
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"
