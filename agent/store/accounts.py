"""Accounts of the reviewers' web app: names, roles, argon2 password hashes.

Roles: `marketer` (sees batches, exports approved drafts and the control list,
uploads outcomes for lift), `reviewer` (decides variants and drafts, edits),
`admin` (both, plus overriding a blocked variant with a written reason).

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low
memory profile); a hash made with older parameters is upgraded on the next
successful login. `verify_login` spends the same argon2 work on an unknown or
disabled name as on a real one, so response time does not tell which names
exist. A disabled account keeps its name (the audit log refers to it) and
cannot log in; disabling also ends its sessions.
"""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from agent.errors import WinbackError
from agent.store.rows import row_dict, utcnow
from agent.store.schema import ROLES, accounts, web_sessions

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,79}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# verified against when the name is unknown, so both paths cost one argon2 verification
_DUMMY_HASH = _hasher.hash("winback-no-such-account")


def check_name(name: str) -> str:
    """The account name, or a WinbackError naming the allowed characters."""
    if not NAME.match(name or ""):
        raise WinbackError(
            f"Account name {name!r} is not allowed",
            "Use 1-80 letters, digits, '.', '_', '-' or '@', starting with a letter or digit.",
        )
    return name


def check_role(role: str) -> str:
    """The role, or a WinbackError listing the roles."""
    if role not in ROLES:
        raise WinbackError(f"Unknown role {role!r}", f"Use one of: {', '.join(ROLES)}.")
    return role


def check_password(password: str) -> str:
    """The password, or a WinbackError saying how long it must be."""
    if len(password or "") < MIN_PASSWORD:
        raise WinbackError(
            f"The password is too short ({len(password or '')} characters)",
            f"Use at least {MIN_PASSWORD} characters (a passphrase is easiest).",
        )
    return password


def _public(row: Any) -> dict[str, Any]:
    data = row_dict(row)
    data.pop("password_hash", None)
    return data


def unknown_account(name: str) -> WinbackError:
    """The error for a name that has no account."""
    return WinbackError(f"No account named {name!r}", "List accounts with `winback users list`.")


def add_account(engine: Engine, name: str, role: str, password: str) -> dict[str, Any]:
    """Create an account; WinbackError if the name is taken or an input is invalid."""
    check_name(name)
    check_role(role)
    check_password(password)
    now = utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(
                accounts.insert().values(
                    name=name,
                    role=role,
                    password_hash=_hasher.hash(password),
                    disabled=False,
                    created_at=now,
                    password_changed_at=now,
                )
            )
    except IntegrityError as exc:
        raise WinbackError(
            f"An account named {name!r} already exists",
            f"Pick another name, or change its password with `winback users passwd {name}`.",
        ) from exc
    return get_account(engine, name)


def get_account(engine: Engine, name: str) -> dict[str, Any]:
    """One account (without its hash); WinbackError if unknown."""
    with engine.connect() as conn:
        row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
    if row is None:
        raise unknown_account(name)
    return _public(row)


def list_accounts(engine: Engine) -> list[dict[str, Any]]:
    """Every account, by name (without hashes)."""
    with engine.connect() as conn:
        return [_public(r) for r in conn.execute(select(accounts).order_by(accounts.c.name))]


def set_disabled(engine: Engine, name: str, disabled: bool = True) -> dict[str, Any]:
    """Disable (or re-enable) an account; disabling ends its sessions."""
    with engine.begin() as conn:
        done = conn.execute(
            update(accounts).where(accounts.c.name == name).values(disabled=disabled)
        )
        if done.rowcount != 1:
            raise unknown_account(name)
        if disabled:
            conn.execute(delete(web_sessions).where(web_sessions.c.account == name))
    return get_account(engine, name)


def set_password(engine: Engine, name: str, password: str) -> dict[str, Any]:
    """Change a password; every session of the account ends."""
    check_password(password)
    with engine.begin() as conn:
        done = conn.execute(
            update(accounts)
            .where(accounts.c.name == name)
            .values(password_hash=_hasher.hash(password), password_changed_at=utcnow())
        )
        if done.rowcount != 1:
            raise unknown_account(name)
        conn.execute(delete(web_sessions).where(web_sessions.c.account == name))
    return get_account(engine, name)


def verify_login(engine: Engine, name: str, password: str) -> dict[str, Any] | None:
    """The account if the name and password match an enabled account, else None."""
    with engine.connect() as conn:
        row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        with engine.begin() as conn:
            conn.execute(
                update(accounts)
                .where(accounts.c.name == name)
                .values(password_hash=_hasher.hash(password))
            )
    return _public(row)


def set_batch_runner(engine: Engine, batch_id: str, account: str) -> None:
    """Record which account ran a batch (four-eyes then refuses it approval)."""
    from agent.store.schema import batches

    with engine.begin() as conn:
        conn.execute(update(batches).where(batches.c.id == batch_id).values(run_by=account))
