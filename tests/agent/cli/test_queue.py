"""`winback queue ...` end to end through the CLI, on SQLite and PostgreSQL.

Every bad-input case checks the message, exit code 2, and that nothing changed.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.cli import app
from agent.store import list_drafts
from agent.store.audit import list_audit
from tests.agent.conftest import draft

runner = CliRunner()


def winback(*args: str, db: str, env: dict | None = None):
    return runner.invoke(app, [*args, "--db", db], env=env)


def state(engine: Engine) -> tuple:
    """Everything a decision could change."""
    return (
        [
            (d["id"], d["status"], d["reviewer"], d["body"], d["verdict"])
            for d in list_drafts(engine)
        ],
        len(list_audit(engine)),
    )


def ids_by(engine: Engine, batch_id: str, **where) -> list[int]:
    return [
        d["id"]
        for d in list_drafts(engine, batch_id=batch_id)
        if all(d[k] == v for k, v in where.items())
    ]


def test_list_show_batches(engine: Engine, db_url: str, seed) -> None:
    batch_id = seed()
    out = winback("queue", "batches", "--json", db=db_url)
    assert out.exit_code == 0, out.output
    (batch,) = json.loads(out.stdout)
    assert batch["id"] == batch_id and batch["drafts_by_status"] == {"control": 2, "pending": 8}

    out = winback("queue", "list", "--batch", batch_id, "--status", "pending", "--json", db=db_url)
    rows = json.loads(out.stdout)
    assert len(rows) == 8 and {r["arm"] for r in rows} == {"baseline", "treatment"}

    blocked = ids_by(engine, batch_id, verdict="block")[0]
    out = winback("queue", "show", str(blocked), db=db_url)
    assert out.exit_code == 0, out.output
    assert "email_variants@1" in out.stdout and "knee injury" in out.stdout
    assert "health-condition" in out.stdout and "seg-1" in out.stdout
    shown = json.loads(winback("queue", "show", str(blocked), "--json", db=db_url).stdout)
    assert shown["prompt"] == "email_variants@1" and shown["findings"][0]["start"] == 19

    out = winback("queue", "list", db=db_url, env={"COLUMNS": "200"})
    assert out.exit_code == 0 and batch_id in out.stdout


def test_decisions_and_audit(engine: Engine, db_url: str, seed) -> None:
    batch_id = seed()
    alice = {"WINBACK_REVIEWER": "alice"}
    passing = ids_by(engine, batch_id, verdict="pass")
    blocked = ids_by(engine, batch_id, verdict="block")[0]
    warned = ids_by(engine, batch_id, verdict="warn")[0]

    out = winback("queue", "approve", str(passing[0]), "--json", db=db_url, env=alice)
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == {"approved": [passing[0]], "count": 1, "reviewer": "alice"}

    out = winback(
        "queue", "reject", str(warned), "--reason", "too pushy", "--reviewer", "bob", db=db_url
    )
    assert out.exit_code == 0, out.output

    out = winback(
        "queue", "approve", "--batch", batch_id, "--all-passing", "--json", db=db_url, env=alice
    )
    assert out.exit_code == 0, out.output
    bulk = json.loads(out.stdout)
    assert bulk["approved"] == passing[1:]  # not the one approved before, not warn/block

    out = winback(
        "queue",
        "approve",
        str(blocked),
        "--override-reason",
        "legal cleared it",
        db=db_url,
        env=alice,
    )
    assert out.exit_code == 0, out.output
    remaining = json.loads(
        winback(
            "queue", "list", "--batch", batch_id, "--status", "pending", "--json", db=db_url
        ).stdout
    )
    assert remaining == []

    audit = json.loads(winback("queue", "audit", "--batch", batch_id, "--json", db=db_url).stdout)
    assert [a["action"] for a in audit] == ["approve", "reject", "approve_all_passing", "approve"]
    assert audit[1]["actor"] == "bob" and audit[1]["reason"] == "too pushy"
    assert audit[2]["draft_ids"] == passing[1:]
    assert audit[3]["reason"] == "legal cleared it" and audit[3]["after"]["override"] is True
    one = json.loads(winback("queue", "audit", "--draft", str(blocked), "--json", db=db_url).stdout)
    assert len(one) == 1 and one[0]["before"]["verdict"] == "block"
    text = winback("queue", "audit", "--batch", batch_id, db=db_url, env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "approve_all_passing" in text.stdout


def test_bulk_approval_of_one_segment(engine: Engine, db_url: str, seed) -> None:
    batch_id = seed()
    out = winback(
        "queue",
        "approve",
        "--batch",
        batch_id,
        "--all-passing",
        "--segment",
        "seg-0",
        "--reviewer",
        "carol",
        "--json",
        db=db_url,
    )
    assert out.exit_code == 0, out.output
    approved = json.loads(out.stdout)["approved"]
    assert approved == ids_by(engine, batch_id, segment="seg-0", status="approved")
    assert len(approved) == 3  # u00002 (baseline), u00004, u00006; u00008 only warns
    assert {d["segment"] for d in list_drafts(engine, status="approved")} == {"seg-0"}


@pytest.mark.parametrize(
    ("args", "needs", "message"),
    [
        (["queue", "approve", "{pass}"], None, "reviewer identity is required"),
        (["queue", "approve", "{approved}"], "alice", "already approved (by alice"),
        (["queue", "approve", "{block}"], "alice", "blocked by the guardrails (health-condition)"),
        (["queue", "approve", "{control}"], "alice", "control-arm user"),
        (["queue", "reject", "{control}", "--reason", "x"], "alice", "control-arm user"),
        (["queue", "reject", "{pass}"], "alice", "reason is required"),
        (["queue", "approve", "99999"], "alice", "Draft 99999 is not in the queue"),
        (["queue", "show", "99999"], None, "Draft 99999 is not in the queue"),
        (["queue", "list", "--batch", "b-nope"], None, "Batch 'b-nope' is not in the queue"),
        (["queue", "approve", "--batch", "b-nope", "--all-passing"], "alice", "'b-nope' is not in"),
        (["queue", "approve", "--all-passing"], "alice", "--all-passing needs --batch"),
        (["queue", "approve"], "alice", "Give either draft id(s)"),
        (["review", "--batch", "b-nope"], "alice", "Batch 'b-nope' is not in the queue"),
        (["review"], None, "reviewer identity is required"),
    ],
)
def test_bad_decisions_change_nothing(
    engine: Engine, db_url: str, seed, args: list[str], needs: str | None, message: str
) -> None:
    batch_id = seed()
    ids = {
        "pass": ids_by(engine, batch_id, verdict="pass")[1],
        "approved": ids_by(engine, batch_id, verdict="pass")[0],
        "block": ids_by(engine, batch_id, verdict="block")[0],
        "control": ids_by(engine, batch_id, arm="control")[0],
    }
    assert (
        winback(
            "queue", "approve", str(ids["approved"]), "--reviewer", "alice", db=db_url
        ).exit_code
        == 0
    )
    before = state(engine)
    args = [a.format(**ids) for a in args]
    out = winback(*args, db=db_url, env={"WINBACK_REVIEWER": needs} if needs else None)
    assert out.exit_code == 2, out.output
    assert message in out.stderr
    assert out.stderr.startswith("Error: ") and len(out.stderr.strip().splitlines()) == 1
    assert state(engine) == before


def test_unreachable_database_url() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    out = runner.invoke(app, ["queue", "batches", "--db", url])
    assert out.exit_code == 2
    assert (
        "Cannot reach the queue database at postgresql+psycopg://postgres@127.0.0.1:1/test"
        in out.stderr
    )
    assert "WINBACK_DATABASE_URL" in out.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a valid URL"),
        ("mysql://u@h/db", "backend 'mysql' is not supported"),
        ("sqlite:////no/such/folder/q.db", "folder /no/such/folder does not exist"),
        ("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test", "postgres:***@127.0.0.1:1"),
    ],
)
def test_bad_database_urls(url: str, message: str) -> None:
    out = runner.invoke(app, ["queue", "batches", "--db", url])
    assert out.exit_code == 2, out.output
    assert message in out.stderr and "s3cret" not in out.stderr


BRACKETED = {
    "segment": "[vip] lapsed",
    "variant": "c0-email-[/bold]",
    "subject": "[b]Back[/b] for you",
    "body": "Hi [FIRST NAME], come back: [link] [/bold] Unsubscribe anytime.",
    "incentive": {"code": "BACK4", "text": "[red]20%[/red] off", "value": 20},
    "verdict": "block",
    "findings": [
        {
            "code": "unresolved_placeholder",
            "category": "template",
            "severity": "block",
            "start": 3,
            "end": 15,
            "message": "Unresolved placeholder or template syntax: '[FIRST NAME]'",
            "field": "text",
        }
    ],
}


def test_square_brackets_in_drafts_are_shown_literally(engine: Engine, db_url: str, seed) -> None:
    """Draft text, names and reasons are data: `[link]` and `[/bold]` are not rich markup."""
    batch_id = seed([draft(0, "control"), draft(4, **BRACKETED)], campaign="spring[/b]")
    (draft_id,) = ids_by(engine, batch_id, arm="treatment")
    wide = {"COLUMNS": "250"}

    out = winback("queue", "show", str(draft_id), db=db_url, env=wide)
    assert out.exit_code == 0, out.output
    for shown in (
        "[b]Back[/b] for you",
        "Hi [FIRST NAME], come back: [link] [/bold] Unsubscribe anytime.",
        "[vip] lapsed",
        "c0-email-[/bold]",
        "[red]20%[/red] off",
        "Unresolved placeholder or template syntax: '[FIRST NAME]'",
    ):
        assert shown in out.stdout, shown

    out = winback("queue", "list", "--batch", batch_id, db=db_url, env=wide)
    assert out.exit_code == 0, out.output
    assert "[vip] lapsed" in out.stdout and "c0-email-[/bold]" in out.stdout

    out = winback("queue", "batches", db=db_url, env=wide)
    assert out.exit_code == 0, out.output
    assert "spring[/b]" in out.stdout

    reason = "says [link] and [/bold]"
    out = winback(
        "queue", "reject", str(draft_id), "--reason", reason, "--reviewer", "bot[bot]", db=db_url
    )
    assert out.exit_code == 0, out.output
    out = winback("queue", "audit", "--batch", batch_id, db=db_url, env=wide)
    assert out.exit_code == 0, out.output
    assert reason in out.stdout and "bot[bot]" in out.stdout

    out = winback("queue", "show", str(draft_id), db=db_url, env=wide)
    assert out.exit_code == 0, out.output
    assert f"rejected by bot[bot]: {reason}" in out.stdout
