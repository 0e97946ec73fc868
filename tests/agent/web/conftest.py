"""Fixtures for the web app: a seeded batch with several variants, four accounts, clients.

The batch is small but has what the pages must handle: several variants of
two segments, warn and block verdicts with findings at real spans, baseline
and control users, personalization values, and one variant whose copy, first
name and segment name are XSS payloads (LLM output and cohort values are
untrusted).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from agent.store import insert_drafts, open_store, start_batch
from agent.store.accounts import add_account
from agent.web.app import create_app

PASSWORD = "correct horse battery"
ACCOUNTS = {"ana": "reviewer", "bob": "reviewer", "mia": "marketer", "root": "admin"}
SECRET = "test-secret-" + "x" * 40
XSS_BODY = (
    "Hi <script>console.log('xss-script')</script> friend "
    "<img src=x onerror=\"console.log('xss-img')\"> "
    "<a href=\"javascript:console.log('xss-link')\">click</a> come back!"
)
XSS_SEGMENT = "<b onmouseover=alert(1)>Night owls</b>"


def finding(text: str, needle: str, code: str, severity: str) -> dict[str, Any]:
    """A guardrail finding on the first occurrence of `needle` in `text`."""
    start = text.index(needle)
    return {
        "code": code,
        "category": "health" if severity == "block" else "tone",
        "severity": severity,
        "start": start,
        "end": start + len(needle),
        "message": f"{code}: {needle!r}",
        "field": "text",
    }


NAMES = ["Sam", "Priya", "Léa", "Tomás", "Yuki", "Ade", "Chen", "Olga", "Noor", "Ravi"]


def batch_rows() -> list[dict[str, Any]]:
    """About 60 users over two segments, five variants (one blocked, one XSS), baseline, control."""
    rows: list[dict[str, Any]] = []
    for i in range(60):
        name = NAMES[i % len(NAMES)]
        segment = "Silent loyalists" if i < 30 else XSS_SEGMENT
        base = {
            "user_id": f"u{i:03d}",
            "channel": "email",
            "segment": segment,
            "address": f"user{i}@example.com",
            "incentive": {"code": f"BACK{i}", "text": "20% off your next month", "value": 20},
            "prompt": "email_variants@1",
            "personalization": {"first_name": name, "values": {"favorite_category": "yoga"}},
        }
        if i % 10 == 0:
            rows.append({**base, "arm": "control"})
            continue
        if i % 10 == 1:
            body = f"Hi {name}, we miss you at the studio. Come back this week."
            rows.append(
                {
                    **base,
                    "arm": "baseline",
                    "variant": None,
                    "subject": "We miss you",
                    "body": body,
                    "verdict": "pass",
                    "findings": [],
                }
            )
            continue
        variant = ("v-calm", "v-streak", "v-knee")[i % 3] if i < 30 else ("v-owl", "v-xss")[i % 2]
        subject = "Your yoga mat misses you"
        findings: list[dict[str, Any]] = []
        verdict = "pass"
        if variant == "v-knee":
            body = f"Hi {name}, since your knee injury you have not done yoga. Come back!"
            findings = [finding(body, "knee injury", "health-condition", "block")]
            verdict = "block"
        elif variant == "v-xss":
            body = XSS_BODY
        elif variant == "v-streak":
            body = f"Hi {name}, you logged 37 yoga sessions at 6:14am. Keep the streak going!"
            if i % 4 == 0:  # some users get a warning on the exact time: outliers
                findings = [finding(body, "6:14am", "exact-time", "warn")]
                verdict = "warn"
        else:
            body = f"Hi {name}, your favorite yoga class is waiting. 20% off your next month."
        rows.append(
            {
                **base,
                "arm": "treatment",
                "variant": variant,
                "subject": subject,
                "body": body,
                "verdict": verdict,
                "findings": findings,
            }
        )
    return rows


@pytest.fixture(scope="session")
def web_engine(tmp_path_factory) -> Iterator[Engine]:
    """A migrated SQLite store with the four accounts, shared by the web tests.

    argon2 hashing is deliberately slow, so the accounts are made once; each
    test gets its own batch (`batch_id`), and tests that lock or disable an
    account make their own.
    """
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}")
    for name, role in ACCOUNTS.items():
        add_account(engine, name, role, PASSWORD)
    yield engine
    engine.dispose()


def seed_batch(engine: Engine, config: dict[str, Any] | None = None) -> str:
    """Insert the test batch; return its id."""
    campaign = f"web-{secrets.token_hex(3)}"
    start = start_batch(
        engine,
        campaign,
        f"fp-{secrets.token_hex(4)}",
        config={"name": "web", "arms": {"control": 0.1, "baseline": 0.1}, **(config or {})},
        prompts={"email_variants": 1},
        model="smollm2-135m-instruct",
        provider="local",
    )
    insert_drafts(engine, start.batch_id, campaign, batch_rows())
    return start.batch_id


@pytest.fixture
def batch_id(web_engine: Engine) -> str:
    """The seeded batch."""
    return seed_batch(web_engine)


@pytest.fixture
def app(web_engine: Engine):
    """The web app on the test store."""
    return create_app(web_engine, SECRET)


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form."""
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    """Log a client in; returns the response to the login POST."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture
def client_for(app) -> Iterator[Callable[[str | None], TestClient]]:
    """A factory of TestClients, logged in as the named account (None: anonymous)."""
    clients: list[TestClient] = []

    def make(name: str | None = None) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        clients.append(client)
        if name:
            assert login(client, name).status_code == 303
        return client

    yield make
    for c in clients:
        c.close()
