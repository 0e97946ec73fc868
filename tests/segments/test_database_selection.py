"""Pushdown: the database selects the same users, channels and arms as the in-memory run.

The demo cohort (with blanks, opt-outs, recent contacts and a suppression
table added) is written to DuckDB and to a private PostgreSQL schema; the
pushed-down selection is compared with pulling every row and running
`evaluate_rule`, `suppress` and `assign_arms` in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import numpy as np
import pandas as pd
import pytest

from agent.demo.cohort import make_fitness_cohort
from segments.activation_rules import evaluate_rule
from segments.cohort_source import CohortSource
from segments.cohort_validation import read_cohort
from segments.database_selection import select_in_database
from segments.errors import SegmentsError
from segments.experiment_arms import assign_arms
from segments.rule_tokens import RuleError
from segments.suppression import suppress

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
RULE = "churn_score > 0.5 and (days_since_last_activity >= 14 or favorite_category in ['yoga'])"
CHANNELS = ["email", "sms"]


def _cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    f = make_fitness_cohort(400)
    rng = np.random.default_rng(7)
    f["churn_score"] = np.round(f["churn_score"], 1)  # many users exactly at 0.5
    f.loc[rng.random(len(f)) < 0.1, "email"] = None
    f.loc[rng.random(len(f)) < 0.05, "phone"] = ""
    f["email_opt_in"] = f["email_opt_in"].astype("boolean")
    f.loc[rng.random(len(f)) < 0.05, "email_opt_in"] = pd.NA
    f["last_contacted_at"] = pd.Series(
        [NOW - timedelta(days=int(d)) for d in rng.integers(0, 30, len(f))]
    ).where(rng.random(len(f)) < 0.4)
    f.loc[3, "user_id"] = "ü-ñ-✓"  # a unicode id
    contacts = pd.DataFrame(
        {
            "user_id": f["user_id"].sample(40, random_state=1).to_numpy(),
            "channel": ["email", "sms", None, "email"] * 10,
            "contacted_at": [NOW - timedelta(days=2), None, NOW - timedelta(days=20), NOW] * 10,
        }
    )
    return f, contacts


@pytest.fixture
def loaded(warehouse):
    cohort, contacts = _cohort()
    cohort.to_sql("users", warehouse.engine, index=False)
    contacts.to_sql("recent_contacts", warehouse.engine, index=False)
    return warehouse, contacts


@pytest.mark.parametrize("cap_scope", ["user", "channel"])
def test_pushdown_selects_what_the_python_run_selects(loaded, cap_scope: str) -> None:
    warehouse, contacts = loaded
    source = CohortSource(sql_url=warehouse.url, table="users")
    select = partial(
        select_in_database, source, rule=RULE, channels=CHANNELS, salt="spring",
        suppression_table="recent_contacts", now=NOW, cap_scope=cap_scope, chunk_size=37,
    )  # fmt: skip
    counted = select().as_dict()  # the aggregate query, no row fetched
    got = select()
    rows = pd.concat(list(got.chunks()), ignore_index=True)  # counted on the way
    assert got.as_dict() == counted

    frame = read_cohort(source).frame  # pull everything, then the in-memory path
    active = frame[evaluate_rule(frame, RULE).mask]
    triples = [
        (u, c if isinstance(c, str) else None, None if pd.isna(t) else t.to_pydatetime())
        for u, c, t in contacts.itertuples(index=False)
    ]
    sup = suppress(active, CHANNELS, contacts=triples, now=NOW, cap_scope=cap_scope)
    kept = active[sup.keep]
    split = assign_arms(kept["user_id"], salt="spring", control=0.1, baseline=0.1)

    assert got.total == len(frame) and got.matched == len(active)
    assert got.kept == len(kept) == len(rows)
    assert got.reasons == sup.reasons
    assert got.arms == split.counts
    by_id = rows.set_index("user_id")
    assert dict(by_id["arm"]) == dict(zip(kept["user_id"], split.arms.astype(str), strict=True))
    for ch in CHANNELS:
        expected = dict(zip(kept["user_id"], sup.eligible.loc[kept.index, ch], strict=True))
        assert dict(by_id[f"eligible_{ch}"].astype(bool)) == expected
    assert "ü-ñ-✓" in set(frame["user_id"])
    assert 0 < got.kept < got.matched < got.total  # each step removed someone
    assert rows["days_since_last_activity"].dtype == "int64"  # not made float by suppressed rows


def test_the_query_returns_only_selected_rows(loaded) -> None:
    warehouse, _ = loaded
    got = select_in_database(
        CohortSource(sql_url=warehouse.url, table="users"),
        rule="churn_score >= 0.9", channels=["email"], salt="s", now=NOW,
    )  # fmt: skip
    sql = str(got._rows.compile(dialect=warehouse.engine.dialect))
    assert "churn_score" in sql.split("WHERE", 1)[1]  # the rule is in the query
    with warehouse.engine.connect() as conn:
        back = pd.DataFrame(conn.execute(got._rows).mappings().all())
    suppressed = back[back["kept"] == 0]
    assert len(suppressed) and suppressed[got.columns].isna().all().all()  # flags only
    assert back.loc[back["kept"] == 1, "user_id"].notna().all()
    assert all(len(c) <= got.chunk_size for c in got.chunks())
    assert sum(len(c) for c in got.chunks()) == got.kept < 400


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table": "nope"}, "There is no table nope"),
        ({"rule": "churn_scor > 1"}, "Unknown column 'churn_scor'"),
        ({"rule": "favorite_category > 3"}, "Type error"),
        ({"channels": ["fax"]}, "Unknown channel 'fax'"),
        ({"suppression_table": "missing_list"}, "There is no table missing_list"),
        ({"chunk_size": 0}, "not positive"),
        ({"control": 0.7, "baseline": 0.4}, "not possible"),
    ],
)
def test_bad_input_is_a_clear_error(loaded, kwargs: dict, message: str) -> None:
    warehouse, _ = loaded
    args = {"rule": RULE, "channels": ["email"], "salt": "s", "table": "users", **kwargs}
    source = CohortSource(sql_url=warehouse.url, table=args.pop("table"))
    with pytest.raises(SegmentsError, match=message) as exc:
        select_in_database(source, **args)
    assert exc.value.exit_code == 2
    assert isinstance(exc.value, RuleError) == ("rule" in kwargs)


def test_a_table_without_the_required_columns(warehouse) -> None:
    pd.DataFrame({"id": ["a"], "score": [0.5]}).to_sql("t", warehouse.engine, index=False)
    with pytest.raises(SegmentsError, match="has no column user_id, churn_score"):
        select_in_database(
            CohortSource(sql_url=warehouse.url, table="t"), rule=None, channels=["email"], salt="s"
        )
    mapped = CohortSource(sql_url=warehouse.url, table="t",
                          mapping={"id": "user_id", "score": "churn_score"})  # fmt: skip
    got = select_in_database(mapped, rule="churn_score = 0.5", channels=["push"], salt="s")
    assert got.kept == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "could not be read"),
        ("notadb://x", "not a usable SQLAlchemy URL"),
    ],
)
def test_unreachable_or_malformed_urls(url: str, message: str) -> None:
    with pytest.raises(SegmentsError, match=message):
        select_in_database(
            CohortSource(sql_url=url, table="users"), rule=None, channels=["email"], salt="s"
        )


@pytest.mark.postgres
def test_a_query_that_times_out_quotes_the_database(loaded) -> None:
    """The counts' and the rows' own statements time out, and the error quotes the database.

    `users` is a view that takes 50 ms a row to read, so both statements outlast the 500 ms
    timeout many times over while every statement before them (the connection's set-up
    and type look-ups, the reflection, the ADBC driver's catalog read) ends well inside it.
    A 1 ms timeout hit those set-up statements instead, and PostgreSQL reports a timeout
    that fires just before it re-arms the timer for the next step of the same request as
    "canceling statement due to user request" (same SQLSTATE 57014): 2 runs in 50 failed
    so under load."""
    warehouse, _ = loaded
    if warehouse.dialect != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    with warehouse.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE users RENAME TO users_data")
        conn.exec_driver_sql(
            "CREATE VIEW users AS SELECT * FROM users_data WHERE pg_sleep(0.05) IS NOT NULL"
        )
    # two settings in options, which the ADBC driver's connection must both get
    url = warehouse.url.replace("?options=", "?options=-cstatement_timeout%3D500%20")
    selection = select_in_database(
        CohortSource(sql_url=url, table="users"), rule="churn_score >= 0", channels=["email"],
        salt="s",
    )  # fmt: skip
    with pytest.raises(SegmentsError, match="statement timeout"):  # the counts alone
        selection.as_dict()
    with pytest.raises(SegmentsError, match=r"\[libpq\].*statement timeout"):  # rows, ADBC
        next(selection.chunks())
