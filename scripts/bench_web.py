"""Benchmark of the reviewers' web app at scale: pages and a 30,000-user variant approval.

Builds a batch of 100,000 users (about 130,000 drafts: every user on e-mail,
30% also on SMS; 5% control, 5% baseline, 90% treatment, whose e-mail copy is
three variants of 30,000 users each), then, through the real app over HTTP
(Starlette's test client, in process: no network, all of routing, sessions,
SQL and templates):

- renders the batch page and the page of a 30,000-user variant `--repeat`
  times each and reports the median and the maximum;
- approves each of the three 30,000-user variants (one click each) and
  reports the median.

Targets from the issue: pages under 1 s, approving a 30,000-user variant under
5 s on PostgreSQL. Usage:

    .venv/bin/python scripts/bench_web.py                      # PostgreSQL at 127.0.0.1, own schema
    .venv/bin/python scripts/bench_web.py --db sqlite:///tmp/bench.db
    .venv/bin/python scripts/bench_web.py --users 10000 --json

On PostgreSQL the batch goes into a fresh schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from agent.store import insert_drafts, open_store, start_batch
from agent.store.accounts import add_account
from agent.web.app import create_app

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "benchmark passphrase"
NAMES = ["Sam", "Priya", "Léa", "Tomás", "Yuki", "Ade", "Chen", "Olga", "Noor", "Ravi"]


def drafts_for(users: int):
    """The batch's draft rows, generated lazily."""
    big = users * 3 // 10  # each of the three e-mail variants covers 30% of users
    treated = 0
    for i in range(users):
        name = NAMES[i % len(NAMES)]
        segment = f"segment-{i % 6}"
        personal = {"first_name": name, "values": {"favorite_category": "yoga"}}
        common = {"user_id": f"u{i:07d}", "segment": segment, "personalization": personal}
        if i % 20 == 0:
            arm, email_variant = "control", None
        elif i % 20 == 1:
            arm, email_variant = "baseline", "baseline-email"
        else:
            arm, email_variant = "treatment", f"email-v{min(treated // max(big, 1), 2)}"
            treated += 1
        channels = ["email"] + (["sms"] if i % 10 < 3 else [])
        for channel in channels:
            if arm == "control":
                yield {**common, "arm": "control", "channel": channel}
                continue
            variant = email_variant if channel == "email" else f"sms-v{i % 10}"
            warn = i % 97 == 0
            body = f"Hi {name}, your yoga class misses you. 20% off at 6:14am."
            yield {
                **common,
                "arm": arm,
                "channel": channel,
                "variant": variant,
                "address": f"user{i}@example.com",
                "subject": "Your yoga mat misses you" if channel == "email" else None,
                "body": body,
                "verdict": "warn" if warn else "pass",
                "findings": [
                    {
                        "code": "exact-time",
                        "category": "surveillance",
                        "severity": "warn",
                        "start": body.index("6:14am"),
                        "end": body.index("6:14am") + 6,
                        "message": "exact time",
                        "field": "text",
                    }
                ]
                if warn
                else [],
                "incentive": {"code": "BACK20", "text": "20% off", "value": 20},
            }


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=None, help="store URL (default: PostgreSQL, own schema)")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    schema = None
    url = args.db
    admin = None
    if url is None:
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{PG}?options=-csearch_path%3D{schema}"
    engine = open_store(url)
    try:
        t0 = time.perf_counter()
        batch = start_batch(engine, "bench", f"fp-{secrets.token_hex(4)}", config={}, prompts={})
        n_drafts = insert_drafts(engine, batch.batch_id, "bench", drafts_for(args.users))
        seed_seconds = time.perf_counter() - t0
        for name in ("ana", "bob"):
            add_account(engine, name, "reviewer", PASSWORD)
        client = TestClient(create_app(engine, secrets.token_urlsafe(40)), follow_redirects=False)
        login = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
        assert (
            client.post(
                "/login", data={"name": "ana", "password": PASSWORD, "csrf": token}
            ).status_code
            == 303
        )

        def get(path: str) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        bid = batch.batch_id
        batch_times = [timed(lambda: get(f"/batches/{bid}")) for _ in range(args.repeat)]
        variant_times = [
            timed(lambda: get(f"/batches/{bid}/variants/email-v1")) for _ in range(args.repeat)
        ]
        approve_times, approved = [], []
        for v in ("email-v0", "email-v1", "email-v2"):
            page = client.get(f"/batches/{bid}/variants/{v}").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            start = time.perf_counter()
            response = client.post(
                f"/batches/{bid}/variants/{v}/decide", data={"csrf": csrf, "action": "approve"}
            )
            approve_times.append(time.perf_counter() - start)
            assert response.status_code == 303, response.text[:500]
            approved.append(int(response.headers["location"].rsplit("-", 1)[1]))
        result = {
            "database": engine.dialect.name,
            "users": args.users,
            "drafts": n_drafts,
            "seed_seconds": round(seed_seconds, 1),
            "batch_page_median_s": round(statistics.median(batch_times), 3),
            "batch_page_max_s": round(max(batch_times), 3),
            "variant_page_median_s": round(statistics.median(variant_times), 3),
            "variant_page_max_s": round(max(variant_times), 3),
            "approve_variant_users": approved,
            "approve_variant_median_s": round(statistics.median(approve_times), 3),
            "approve_variant_max_s": round(max(approve_times), 3),
        }
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
