"""Fixtures for the queue tests: the same tests on SQLite and on PostgreSQL.

`db_url` is parametrized: a SQLite file in the test's temp folder, and (marked
`postgres`) a private schema `t_<random>` on the local server, selected with
`search_path` in the URL and dropped afterwards, so parallel runs never meet.
`seed` inserts a small realistic batch through the store API.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from agent.store import insert_drafts, open_store, start_batch

PG_URL = os.environ.get("WINBACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_schema_url(schema: str) -> str:
    """The test PostgreSQL URL with `search_path` set to one schema."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private, empty PostgreSQL schema for one test."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # pragma: no cover - only without a server
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_URL} is not available: {exc}")
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh queue database URL: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str):
    """A migrated engine on `db_url`."""
    eng = open_store(db_url)
    yield eng
    eng.dispose()


CONFIG = {"name": "spring", "arms": {"control": 0.1, "baseline": 0.1}, "channels": ["email"]}


def draft(i: int, arm: str = "treatment", verdict: str = "pass", **extra: Any) -> dict[str, Any]:
    """One orchestration-style draft row for user `u<i>`."""
    row: dict[str, Any] = {
        "user_id": f"u{i:05d}",
        "arm": arm,
        "channel": "email",
        "segment": f"seg-{i % 2}",
        "variant": f"c{i % 2}-email-v{i % 3}",
        "address": f"user{i}@example.com",
        "subject": "We saved your spot",
        "body": f"Hi Sam, your favorite yoga class misses you. Use code BACK{i}.",
        "incentive": {"code": f"BACK{i}", "text": "20% off your next month", "value": 20},
        "verdict": verdict,
        "findings": [],
        "prompt": "email_variants@1",
    }
    if verdict == "block":
        row["body"] = "Hi Sam, since your knee injury you have not been back."
        row["findings"] = [
            {
                "code": "health-condition",
                "category": "health",
                "severity": "block",
                "start": 19,
                "end": 30,
                "message": "Mentions a health condition: 'knee injury'",
                "field": "text",
            }
        ]
    row.update(extra)
    return row


def standard_rows() -> list[dict[str, Any]]:
    """10 users: 2 control, 2 baseline, 6 treatment (4 pass, 1 warn, 1 block)."""
    return [
        draft(0, "control"),
        draft(1, "control"),
        draft(2, "baseline"),
        draft(3, "baseline"),
        draft(4),
        draft(5),
        draft(6),
        draft(7),
        draft(8, verdict="warn"),
        draft(9, verdict="block"),
    ]


@pytest.fixture
def seed(engine) -> Callable[..., str]:
    """Insert a batch (default: `standard_rows`) and return its id."""

    def make(rows: list[dict[str, Any]] | None = None, campaign: str = "spring") -> str:
        start = start_batch(
            engine,
            campaign,
            f"fp-{secrets.token_hex(4)}",
            config={**CONFIG, "name": campaign},
            prompts={"email_variants": 1},
            model="smollm2-135m-instruct",
            provider="local",
        )
        insert_drafts(engine, start.batch_id, campaign, rows or standard_rows())
        return start.batch_id

    return make
