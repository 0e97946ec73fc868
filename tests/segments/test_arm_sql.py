"""Arms inside the database: PostgreSQL and DuckDB agree with `assign_arms` on every user."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine.default import DefaultDialect

from segments.arm_sql import arm_digest, arm_expression, threshold
from segments.errors import SegmentsError
from segments.experiment_arms import arm_hash, assign_arms

# any unicode text PostgreSQL can store (no NUL) and UTF-8 can encode (no lone surrogate)
IDS = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1)
FRACTIONS = st.sampled_from([0.0, 0.05, 0.1, 0.2, 1 / 3, 0.45]) | st.floats(0, 0.49)


@given(h=st.integers(0, 2**64 - 1), fraction=st.floats(0, 1))
def test_threshold_is_the_float_comparison_made_exact(h: int, fraction: float) -> None:
    t = threshold(fraction)
    for x in {h, max(t - 1, 0), min(t, 2**64 - 1)}:
        u = float(np.array([x], dtype=np.uint64).astype(np.float64)[0]) / 2.0**64
        assert (u < fraction) == (x < t)


def _arms_in(warehouse, ids: list[str], salt: str, control: float, baseline: float) -> dict:
    meta = sa.MetaData()
    users = sa.Table("users", meta, sa.Column("user_id", sa.Text))
    with warehouse.engine.begin() as conn:
        meta.drop_all(conn)
        meta.create_all(conn)
        conn.execute(users.insert(), [{"user_id": u} for u in ids])
        arm = arm_expression(
            users.c.user_id,
            salt=salt,
            control=control,
            baseline=baseline,
            dialect=warehouse.dialect,
        )
        return dict(conn.execute(sa.select(users.c.user_id, arm)).all())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(IDS, min_size=1, max_size=40, unique=True),
    salt=IDS,
    control=FRACTIONS,
    baseline=FRACTIONS,
)
def test_database_and_python_agree_on_every_arm(warehouse, ids, salt, control, baseline) -> None:
    in_db = _arms_in(warehouse, ids, salt, control, baseline)
    in_python = assign_arms(pd.Series(ids), salt=salt, control=control, baseline=baseline)
    assert [in_db[u] for u in ids] == list(in_python.arms.astype(str))


def test_users_exactly_at_a_threshold(warehouse) -> None:
    """Fractions set to users' own hash values: the tie goes the same way in both."""
    ids = [f"user-{i}" for i in range(200)]
    u = arm_hash(ids, "spring")
    for control, baseline in [(float(u[0]), 0.1), (0.05, float(u[1]) - 0.05 if u[1] > 0.05 else 0)]:
        in_db = _arms_in(warehouse, ids, "spring", control, baseline)
        split = assign_arms(pd.Series(ids), salt="spring", control=control, baseline=baseline)
        assert [in_db[i] for i in ids] == list(split.arms.astype(str))
    assert in_db  # the comparison ran


def test_integer_ids_hash_as_their_digits(warehouse) -> None:
    meta = sa.MetaData()
    users = sa.Table("int_users", meta, sa.Column("user_id", sa.BigInteger))
    with warehouse.engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(users.insert(), [{"user_id": i} for i in range(1, 301)])
        arm = arm_expression(
            users.c.user_id, salt="s", control=0.3, baseline=0.3, dialect=warehouse.dialect
        )
        got = dict(conn.execute(sa.select(users.c.user_id, arm)).all())
    split = assign_arms(pd.Series(range(1, 301)), salt="s", control=0.3, baseline=0.3)
    assert [got[i] for i in range(1, 301)] == list(split.arms.astype(str))


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("bigquery", "SUBSTR(TO_HEX(SHA256(CONCAT("),
        ("snowflake", "SUBSTR(SHA2("),
        ("databricks", "substr(sha2(concat("),
    ],
)
def test_warehouse_dialects_render_their_sha256(dialect: str, expected: str) -> None:
    """Rendered only: no such server here (see segments/arm_sql.py)."""
    named = type(f"{dialect}_dialect", (DefaultDialect,), {"name": dialect})()
    sql = str(arm_digest(sa.literal("s"), sa.column("user_id")).compile(dialect=named))
    assert sql.startswith(expected)
    assert "user_id" in sql
    assert "256" in sql


def test_unsupported_dialect_is_a_clear_error() -> None:
    with pytest.raises(SegmentsError, match="cannot be computed inside sqlite"):
        str(
            arm_digest(sa.literal("s"), sa.column("u")).compile(
                dialect=sa.create_engine("sqlite://").dialect
            )
        )


@pytest.mark.parametrize(("salt", "control", "baseline"), [("", 0.1, 0.1), ("s", 0.6, 0.5)])
def test_bad_arm_settings_are_refused(salt: str, control: float, baseline: float) -> None:
    with pytest.raises(SegmentsError):
        arm_expression(
            sa.column("u"), salt=salt, control=control, baseline=baseline, dialect="duckdb"
        )
