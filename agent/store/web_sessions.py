"""Server-side sessions and the login lockout of the reviewers' web app.

A session is a random 32-byte token. The browser holds it in a signed,
HttpOnly, SameSite=Strict cookie (see `agent.web.auth`); the database holds
only its SHA-256, the account, the session's CSRF token and its expiry. So a
leaked database does not log anyone in, logout really ends a session (the row
is deleted), and disabling an account or changing its password ends all its
sessions at once.

Lockout: after `MAX_FAILURES` wrong passwords for one name within
`LOCK_SECONDS`, with no successful login since, that name cannot log in until
the window has passed, whatever password is given. Attempts are recorded for
unknown names too, so probing names is rate-limited the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select

from agent.store.rows import as_utc, to_db_time, utcnow
from agent.store.schema import accounts, login_attempts, web_sessions

SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 10
LOCK_SECONDS = 15 * 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(engine: Engine, account: str) -> tuple[str, str]:
    """A new session for an account: (token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            web_sessions.insert().values(
                token_hash=_hash(token),
                account=account,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_SECONDS),
            )
        )
    return token, csrf


def session_for(engine: Engine, token: str) -> dict[str, Any] | None:
    """{account, role, csrf, expires_at} of a live session of an enabled account, else None.

    An expired session is deleted when it is seen.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(
                web_sessions.c.account,
                web_sessions.c.csrf,
                web_sessions.c.expires_at,
                accounts.c.role,
                accounts.c.disabled,
            )
            .join(accounts, accounts.c.name == web_sessions.c.account)
            .where(web_sessions.c.token_hash == _hash(token))
        ).first()
    if row is None or row.disabled:
        return None
    expires = as_utc(row.expires_at)
    if expires is None or expires <= utcnow():
        end_session(engine, token)
        return None
    return {"account": row.account, "role": row.role, "csrf": row.csrf, "expires_at": expires}


def end_session(engine: Engine, token: str) -> None:
    """Delete a session (logout, expiry)."""
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _hash(token)))


def record_attempt(engine: Engine, name: str, ok: bool, client: str | None = None) -> None:
    """Record one login attempt for a name."""
    with engine.begin() as conn:
        conn.execute(
            login_attempts.insert().values(
                name=name[:80], at=utcnow(), ok=ok, client=(client or "")[:64] or None
            )
        )


def locked_until(engine: Engine, name: str, now: datetime | None = None) -> datetime | None:
    """When a name's lockout ends, or None if it may try to log in now."""
    now = now or utcnow()
    dialect = engine.dialect.name
    since = to_db_time(now - timedelta(seconds=LOCK_SECONDS), dialect)
    with engine.connect() as conn:
        last_ok = conn.execute(
            select(func.max(login_attempts.c.at)).where(
                login_attempts.c.name == name, login_attempts.c.ok.is_(True)
            )
        ).scalar()
        query = select(login_attempts.c.at).where(
            login_attempts.c.name == name,
            login_attempts.c.ok.is_(False),
            login_attempts.c.at >= since,
        )
        if last_ok is not None:
            query = query.where(login_attempts.c.at > last_ok)
        failures = [
            as_utc(a) for a in conn.execute(query.order_by(login_attempts.c.at.desc())).scalars()
        ]
    if len(failures) < MAX_FAILURES:
        return None
    # locked from the MAX_FAILURES-th most recent failure on, for LOCK_SECONDS
    until = failures[MAX_FAILURES - 1] + timedelta(seconds=LOCK_SECONDS)
    return until if until > now else None
