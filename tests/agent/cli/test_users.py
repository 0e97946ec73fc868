"""`winback users`: add (password from a pipe), list, disable, enable, passwd; bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from agent.store import open_store
from agent.store.accounts import verify_login

runner = CliRunner()
PW = "a long enough passphrase"


def users(db: str, *args: str, stdin: str | None = None):
    return runner.invoke(app, ["users", *args, "--db", db], input=stdin)


def test_add_list_disable_enable_passwd(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    added = users(db, "add", "ana", "--role", "reviewer", "--json", stdin=PW + "\n")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["role"] == "reviewer"
    assert "password_hash" not in added.stdout
    listed = json.loads(users(db, "list", "--json").stdout)
    assert [(a["name"], a["role"], a["disabled"]) for a in listed] == [("ana", "reviewer", False)]
    assert "ana" in users(db, "list").stdout
    assert users(db, "disable", "ana").exit_code == 0
    engine = open_store(db)
    assert verify_login(engine, "ana", PW) is None
    assert users(db, "enable", "ana").exit_code == 0
    assert verify_login(engine, "ana", PW) is not None
    assert users(db, "passwd", "ana", stdin="another long passphrase\n").exit_code == 0
    assert verify_login(engine, "ana", PW) is None
    assert verify_login(engine, "ana", "another long passphrase") is not None
    engine.dispose()


def test_bad_input_is_refused_with_exit_2_and_nothing_written(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    cases = [
        (("add", "ana", "--role", "boss"), PW, "Unknown role 'boss'"),
        (("add", "bad name!", "--role", "reviewer"), PW, "is not allowed"),
        (("add", "ana", "--role", "reviewer"), "short\n", "too short"),
        (("add", "ana", "--role", "reviewer"), "", "No password on standard input"),
        (("disable", "nobody"), None, "No account named 'nobody'"),
        (("passwd", "nobody"), PW + "\n", "No account named 'nobody'"),
    ]
    for args, stdin, message in cases:
        result = users(db, *args, stdin=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert json.loads(users(db, "list", "--json").stdout) == []
    assert users(db, "add", "ana", "--role", "admin", stdin=PW + "\n").exit_code == 0
    again = users(db, "add", "ana", "--role", "admin", stdin=PW + "\n")
    assert again.exit_code == 2 and "already exists" in again.output


def test_help_names_the_commands() -> None:
    result = runner.invoke(app, ["users", "--help"])
    assert result.exit_code == 0
    for command in ("add", "list", "disable", "enable", "passwd"):
        assert command in result.stdout
