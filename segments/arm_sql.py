"""The experiment arm computed inside the database, bit for bit as `experiment_arms` does.

In Python a user's number is u = (first 8 bytes of sha256(salt 0x1f user_id),
big-endian) / 2**64 as a float64, and the arm is control if u < c, baseline if
u < c + b, else treatment. Every warehouse has sha256 and hex; none has an
unsigned 64-bit integer. So the database compares strings instead:

- `arm_thresholds(c, b)` finds, in Python, the exact 64-bit integers T_c and
  T_cb with `u < c  <=>  h < T_c` for every 64-bit prefix h (the float
  conversion is monotone, so the users below a fraction are a prefix of the
  integers; a binary search with numpy's own uint64 -> float64 conversion
  gives the boundary, rounding included);
- the database computes the first 16 hex digits of the digest (lowercase) and
  compares them, as text in the C collation, with T written as 16 hex digits.
  Fixed-width lowercase hex orders exactly as the integers do.

The digest per dialect (`:salt` bound, `uid` the user id column; `||` concatenates):

- PostgreSQL: substr(encode(sha256(convert_to(:salt || chr(31) || CAST(uid AS TEXT),
  'UTF8')), 'hex'), 1, 16)
- DuckDB: substr(sha256(:salt || chr(31) || CAST(uid AS VARCHAR)), 1, 16)
- BigQuery: SUBSTR(TO_HEX(SHA256(CONCAT(@salt, CODE_POINTS_TO_STRING([31]),
  CAST(uid AS STRING)))), 1, 16)
- Snowflake: SUBSTR(SHA2(:salt || CHR(31) || TO_VARCHAR(uid), 256), 1, 16)
- Spark SQL / Databricks: substr(sha2(concat(:salt, char(31), CAST(uid AS STRING)), 256), 1, 16)

PostgreSQL and DuckDB are executed by the tests (a hypothesis property against
`experiment_arms.arm_hash` on unicode ids); BigQuery, Snowflake and Spark SQL
are rendered by the same construct when their SQLAlchemy dialect is installed
and are checked as text only (no such server is reachable here). The user id
is hashed as stored (cast to text): integer ids hash as their decimal digits,
like `str(int)` in Python.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from segments.errors import SegmentsError
from segments.experiment_arms import check_arm_settings

DIGITS = 16  # hex digits of the digest compared: 64 bits, as in Python


def _as_float(h: int) -> float:
    return float(np.array([h], dtype=np.uint64).astype(np.float64)[0])


def threshold(fraction: float) -> int:
    """The least 64-bit prefix h with float64(h) / 2**64 >= fraction (2**64 if none)."""
    if fraction <= 0:
        return 0
    target = fraction * 2.0**64
    lo, hi = 0, 2**64  # invariant: float(lo) < target (or lo == 0), answer in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if _as_float(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def arm_thresholds(control: float, baseline: float) -> tuple[int, int]:
    """(T_c, T_cb): control below T_c, baseline below T_cb, as `assign_arms` compares."""
    return threshold(control), threshold(control + baseline)


class arm_digest(FunctionElement):
    """First 16 lowercase hex digits of sha256(salt, 0x1f, user id), per dialect."""

    type = sa.String()
    inherit_cache = True


@compiles(arm_digest)
def _unsupported(element: arm_digest, compiler, **kw) -> str:
    raise SegmentsError(
        f"Experiment arms cannot be computed inside {compiler.dialect.name}",
        "Use PostgreSQL or DuckDB (or BigQuery, Snowflake, Spark SQL) for --sql pushdown, "
        "or read the cohort without pushdown.",
    )


# the first 16 lowercase hex digits of sha256(salt, 0x1f, user id), per dialect
DIGEST_SQL = {
    "postgresql": "substr(encode(sha256(convert_to({salt} || chr(31) || CAST({uid} AS TEXT), "
    "'UTF8')), 'hex'), 1, 16)",
    "duckdb": "substr(sha256({salt} || chr(31) || CAST({uid} AS VARCHAR)), 1, 16)",
    "bigquery": "SUBSTR(TO_HEX(SHA256(CONCAT({salt}, CODE_POINTS_TO_STRING([31]), "
    "CAST({uid} AS STRING)))), 1, 16)",
    "snowflake": "SUBSTR(SHA2({salt} || CHR(31) || TO_VARCHAR({uid}), 256), 1, 16)",
    "databricks": "substr(sha2(concat({salt}, char(31), CAST({uid} AS STRING)), 256), 1, 16)",
}
DIGEST_SQL["hive"] = DIGEST_SQL["spark"] = DIGEST_SQL["databricks"]


def _render(element: arm_digest, compiler, **kw) -> str:
    salt, uid = (compiler.process(c, **kw) for c in element.clauses)
    return DIGEST_SQL[compiler.dialect.name].format(salt=salt, uid=uid)


for _dialect in DIGEST_SQL:
    compiles(arm_digest, _dialect)(_render)


def _below(digest: sa.ColumnElement, limit: int, dialect: str) -> sa.ColumnElement:
    if limit >= 2**64:
        return sa.true()
    if limit <= 0:
        return sa.false()
    bound = sa.literal(f"{limit:0{DIGITS}x}", sa.String())
    if dialect == "postgresql":
        return digest.collate("C") < bound
    return digest < bound


def arm_expression(
    user_id: sa.ColumnElement, *, salt: str, control: float, baseline: float, dialect: str
) -> sa.ColumnElement:
    """A SQL CASE giving 'control', 'baseline' or 'treatment' for each row, as `assign_arms`."""
    check_arm_settings(salt, control, baseline)
    digest = user_digest(user_id, salt=salt)
    return arm_of_digest(digest, control=control, baseline=baseline, dialect=dialect)


def user_digest(user_id: sa.ColumnElement, *, salt: str) -> sa.ColumnElement:
    """The first 16 hex digits of sha256(salt, 0x1f, user id): compute it once per row (a
    subquery) and compare it with `arm_of_digest`, or the CASE hashes twice."""
    return arm_digest(sa.literal(salt, sa.String()), user_id)


def arm_of_digest(
    digest: sa.ColumnElement, *, control: float, baseline: float, dialect: str
) -> sa.ColumnElement:
    """The arm of a user whose `user_digest` is `digest` (settings checked by the caller)."""
    t_control, t_baseline = arm_thresholds(control, baseline)
    return sa.case(
        (_below(digest, t_control, dialect), sa.literal("control")),
        (_below(digest, t_baseline, dialect), sa.literal("baseline")),
        else_=sa.literal("treatment"),
    )
