"""`winback users ...`: accounts of the reviewers' web app (`winback serve`).

The password is prompted twice (hidden) on a terminal, and read from the
first line of standard input when it is piped, so scripts can create
accounts (`printf '%s\n' "$PW" | winback users add ana --role reviewer`).
It is never a command-line argument (it would land in the shell history and
`ps`). Logic lives in `agent.store.accounts`.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from agent.cli.display import echo_json
from agent.cli.options import DbOpt, JsonOpt, open_queue
from agent.errors import WinbackError

users_app = typer.Typer(
    help="Accounts of the reviewers' web app: add, list, disable, enable, passwd.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="Account name (the login).", show_default=False)]


def read_password() -> str:
    """A new password: twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise WinbackError("The two passwords differ", "Run the command again.")
        return first
    line = sys.stdin.readline()
    if not line.strip():
        raise WinbackError(
            "No password on standard input",
            "Pipe it in (printf '%s\\n' \"$PASSWORD\" | winback users ...) or run on a terminal.",
        )
    return line.rstrip("\r\n")


def _show(account: dict, as_json: bool, verb: str) -> None:
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in account.items()}
    if as_json:
        echo_json(data)
    else:
        state = "disabled" if account["disabled"] else "active"
        typer.echo(f"{verb} {account['name']} ({account['role']}, {state})")


@users_app.command("add")
def add(
    name: NameArg,
    role: Annotated[
        str, typer.Option("--role", help="marketer | reviewer | admin.", show_default=False)
    ],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an account; the password is prompted (or read from standard input)."""
    from agent.store import accounts

    accounts.check_name(name)
    accounts.check_role(role)
    password = accounts.check_password(read_password())
    with open_queue(db) as engine:
        _show(accounts.add_account(engine, name, role, password), as_json, "Added")


@users_app.command("list")
def list_(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the accounts: name, role, state, created."""
    from agent.store import accounts

    with open_queue(db) as engine:
        rows = accounts.list_accounts(engine)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No accounts yet. Add one with `winback users add NAME --role reviewer`.")
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        typer.echo(f"{r['name']:<24} {r['role']:<9} {state:<8} created {r['created_at']:%Y-%m-%d}")


@users_app.command("disable")
def disable(name: NameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Disable an account (it cannot log in; its sessions end; its audit entries stay)."""
    from agent.store import accounts

    with open_queue(db) as engine:
        _show(accounts.set_disabled(engine, name, True), as_json, "Disabled")


@users_app.command("enable")
def enable(name: NameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Re-enable a disabled account."""
    from agent.store import accounts

    with open_queue(db) as engine:
        _show(accounts.set_disabled(engine, name, False), as_json, "Enabled")


@users_app.command("passwd")
def passwd(name: NameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Set a new password (prompted or from standard input); the account's sessions end."""
    from agent.store import accounts

    password = accounts.check_password(read_password())
    with open_queue(db) as engine:
        _show(accounts.set_password(engine, name, password), as_json, "Changed the password of")
