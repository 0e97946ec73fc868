"""Rules compiled to SQL select exactly the users the in-memory evaluator selects.

A hypothesis property generates cohorts (nulls, NaN, unicode text, values equal
to the rule's thresholds) and rules (comparisons, in-lists, is-null, and/or/not),
writes the cohort to PostgreSQL and DuckDB and compares the two selections.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments.activation_rules import evaluate_rule
from segments.rule_sql import compile_rule
from segments.rule_tokens import RuleError

NUMBERS = [0, 0.5, 0.7, 1, 2.5, 10]
COUNTS = [0, 1, 3, 10]
WORDS = ["yoga", "Ünïcode ✓", "", "pilates", "o'neil"]
STAMPS = [datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 1, 9, 30, tzinfo=UTC)]

ROW = st.fixed_dictionaries(
    {
        "clv": st.sampled_from([*NUMBERS, None, float("nan")]),
        "lifetime_orders": st.sampled_from([*COUNTS, None]),
        "favorite_category": st.sampled_from([*WORDS, None]),
        "email_opt_in": st.sampled_from([True, False, None]),
        "last_contacted_at": st.sampled_from([*STAMPS, None]),
    }
)


def _quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
ATOMS = st.one_of(
    st.builds(lambda op, n: f"clv {op} {n}", OPS, st.sampled_from(NUMBERS)),
    st.builds(lambda op, n: f"{n} {op} lifetime_orders", OPS, st.sampled_from(COUNTS)),
    st.builds(
        lambda op, w: f"favorite_category {op} {_quote(w)}",
        st.sampled_from(["=", "!="]),
        st.sampled_from(WORDS),
    ),
    st.builds(
        lambda neg, ws: f"favorite_category {'not in' if neg else 'in'} [{', '.join(ws)}]",
        st.booleans(),
        st.lists(st.sampled_from([_quote(w) for w in WORDS]), min_size=1, max_size=3),
    ),
    st.builds(
        lambda neg, ns: f"clv {'not in' if neg else 'in'} [{', '.join(map(str, ns))}]",
        st.booleans(),
        st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3),
    ),
    st.sampled_from(["email_opt_in", "email_opt_in = false", "email_opt_in != true", "true"]),
    st.builds(
        lambda c, neg: f"{c} is {'not ' if neg else ''}null",
        st.sampled_from(["clv", "favorite_category", "email_opt_in", "last_contacted_at"]),
        st.booleans(),
    ),
    st.builds(
        lambda op, d: f"last_contacted_at {op} '{d}'",
        OPS,
        st.sampled_from(["2024-05-01", "2024-05-01T09:30:00Z", "2024-05-01 11:30+02:00"]),
    ),
)
RULES = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=5,
)


def _frame(rows: list[dict]) -> pd.DataFrame:
    """The cohort typed as validation types it (see cohort_validation)."""
    f = pd.DataFrame(rows)
    return pd.DataFrame(
        {
            "user_id": pd.Series([f"u{i}" for i in range(len(f))], dtype="str"),
            "clv": f["clv"].astype("float64"),
            "lifetime_orders": f["lifetime_orders"].astype("float64"),
            "favorite_category": f["favorite_category"]
            .astype("str")
            .where(f["favorite_category"].notna()),
            "email_opt_in": f["email_opt_in"].astype("boolean"),
            "last_contacted_at": pd.to_datetime(f["last_contacted_at"], utc=True),
        }
    )


def _table(meta: sa.MetaData) -> sa.Table:
    return sa.Table(
        "cohort",
        meta,
        sa.Column("user_id", sa.Text),
        sa.Column("clv", sa.Double),
        sa.Column("lifetime_orders", sa.Integer),
        sa.Column("favorite_category", sa.Text),
        sa.Column("email_opt_in", sa.Boolean),
        sa.Column("last_contacted_at", sa.DateTime(timezone=True)),
    )


def _selected_in(warehouse, rows: list[dict], rules: list[str]) -> list[set[str]]:
    meta = sa.MetaData()
    table = _table(meta)
    records = [{"user_id": f"u{i}", **r} for i, r in enumerate(rows)]
    with warehouse.engine.begin() as conn:
        meta.drop_all(conn)
        meta.create_all(conn)
        conn.execute(table.insert(), records)
        columns = {c.name: c for c in table.columns}
        return [
            {u for (u,) in conn.execute(sa.select(table.c.user_id).where(compile_rule(r, columns)))}
            for r in rules
        ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROW, min_size=1, max_size=25), rules=st.lists(RULES, min_size=1, max_size=4))
def test_database_and_memory_select_the_same_users(warehouse, rows, rules) -> None:
    frame = _frame(rows)
    in_db = _selected_in(warehouse, rows, rules)
    for rule, got in zip(rules, in_db, strict=True):
        mask = evaluate_rule(frame, rule).mask
        assert got == set(frame.user_id[mask]), rule


def test_the_thresholds_tie_the_same_way(warehouse) -> None:
    rows = [{"clv": v, "lifetime_orders": 3, "favorite_category": "yoga", "email_opt_in": True,
             "last_contacted_at": STAMPS[0]} for v in NUMBERS]  # fmt: skip
    rules = ["clv >= 0.7", "clv > 0.7", "clv <= 0.7", "not (clv < 0.7)"]
    in_db = _selected_in(warehouse, rows, rules)
    frame = _frame(rows)
    assert [sorted(s) for s in in_db] == [
        sorted(frame.user_id[evaluate_rule(frame, r).mask]) for r in rules
    ]
    assert in_db[0] == {"u2", "u3", "u4", "u5"}


COLUMNS = {c.name: c for c in _table(sa.MetaData()).columns}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("churn_scor > 0.7", "Unknown column 'churn_scor'"),
        ("favorite_category > 'a'", "orders numbers or dates"),
        ("clv = 'high'", "is a number but"),
        ("last_contacted_at > 'yesterday'", "'yesterday' is not a date"),
        ("clv >", "Syntax error"),
        ("lifetime_orders", "is a number, not a test"),
    ],
)
def test_bad_rules_fail_before_any_query(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message) as exc:
        compile_rule(rule, COLUMNS)
    assert exc.value.exit_code == 2


def test_nan_is_missing_in_both(warehouse) -> None:
    rows = [{"clv": float("nan"), "lifetime_orders": None, "favorite_category": None,
             "email_opt_in": None, "last_contacted_at": None}]  # fmt: skip
    assert _selected_in(warehouse, rows, ["clv > 0", "clv is null", "not (clv > 0)"]) == [
        set(),
        {"u0"},
        set(),
    ]
    assert np.isnan(rows[0]["clv"])
