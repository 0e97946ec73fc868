"""`cohort check --sql URL --table T` counted inside the database: no row is pulled.

`check_table_in_database(source, rule)` reads the table's column list, then
sends aggregate queries (as `database_selection` does for a selection): the
row count, a count of rows with any problem, the distinct ids, the non-null
count of every column, the rule's matches (`rule_sql`), and the churn-score
distribution (count, min, max, mean, `percentile_cont` quantiles and bands).
Time zones and locales are checked on their distinct values in Python, with
the same zone list and regex as the pandas path.

Like the DuckDB scan of a file, it answers only for a clean table whose
column types settle what pandas would do (numbers in numeric columns,
booleans in BOOLEAN columns, dates in DATE/TIMESTAMP columns). Otherwise it
returns None and the caller pulls the table and reports every problem by row.
PostgreSQL and DuckDB are supported; other dialects are pulled as before.

The score figures are computed by the database: they equal the pandas path's
to the four decimals printed, except where the database's last-bit rounding
of a mean or an interpolated quantile falls exactly on a rounding tie.
"""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from segments.cohort_report import SCORE_BUCKETS, SCORE_EDGES, CohortReport
from segments.cohort_schema import COLUMNS, REQUIRED
from segments.cohort_source import CohortSource
from segments.cohort_sql import database_errors, open_engine, reflect_table, without_jit
from segments.cohort_values import WHITESPACE
from segments.column_mapping import load_mapping
from segments.rule_sql import compile_rule, sql_rule_type
from segments.rule_tokens import RuleError

DIALECTS = ("postgresql", "duckdb")
QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9]
MAX_DISTINCT = 10_000


def _numeric(col: sa.ColumnElement) -> bool:
    return isinstance(col.type, sa.Integer | sa.Float) or (
        isinstance(col.type, sa.Numeric) and not getattr(col.type, "asdecimal", True)
    )


def _problem(spec, col: sa.ColumnElement, dialect: str) -> sa.ColumnElement | None:
    """True for a row the pandas path would flag; None when the column's type is unsettled."""
    kind = spec.kind
    if kind == "id":
        if not isinstance(col.type, sa.String):
            return None
        ws = "[" + WHITESPACE + "]"
        edge = f"^{ws}|{ws}$"
        padded = col.op("~")(edge) if dialect == "postgresql" else sa.func.regexp_matches(col, edge)
        return sa.or_(col.is_(None), padded, col == "")
    if kind in ("number", "count"):
        if not _numeric(col):
            return None
        x = sa.cast(col, sa.Double())
        bad = [x == sa.cast("NaN", sa.Double()), x == sa.cast("Infinity", sa.Double()),
               x == sa.cast("-Infinity", sa.Double())]  # fmt: skip
        if spec.minimum is not None:
            bad.append(x < spec.minimum)
        if spec.maximum is not None:
            bad.append(x > spec.maximum)
        if kind == "count":
            bad.append(x != sa.func.floor(x))
        if spec.required:
            bad.append(col.is_(None))
        return sa.or_(*bad)
    if kind == "boolean":
        return sa.false() if isinstance(col.type, sa.Boolean) else None
    if kind == "datetime":
        return sa.false() if isinstance(col.type, sa.DateTime) else None
    return sa.false() if isinstance(col.type, sa.String) else None


def _feature_type(col: sa.ColumnElement) -> str | None:
    """The type pandas gives a pulled column we do not know; None when it is not settled."""
    if isinstance(col.type, sa.Boolean):
        return "boolean"  # with NULLs pandas holds objects: checked by the caller
    if _numeric(col):
        return "number"
    if isinstance(col.type, sa.DateTime):
        return "datetime"
    if isinstance(col.type, sa.String):
        return "string"
    return None  # NUMERIC (Decimals), DATE (date objects), JSON...: pandas holds objects


def check_table_in_database(source: CohortSource, rule: str | None):  # -> CohortReport | None
    """The report of a clean table computed by aggregate queries; None to pull it instead."""
    from segments.cohort_values import distinct_values_pass

    if not source.sql_url or not source.table:
        return None
    mapping = load_mapping(source.mapping)
    engine = open_engine(source.sql_url)
    dialect = engine.dialect.name
    if dialect not in DIALECTS:
        engine.dispose()
        return None
    try:
        with database_errors(source.label), engine.connect() as conn:
            without_jit(conn)
            table = reflect_table(conn, source.table, source.sql_url)
            known = {k.lower(): k for k in COLUMNS}
            columns: dict[str, sa.Column] = {}
            for col in table.columns:
                name = mapping.get(col.name) or known.get(col.name.lower(), col.name)
                if name in columns:
                    return None
                columns[name] = col
            if any(c not in columns for c in REQUIRED) or set(mapping) - {
                c.name for c in table.columns
            }:
                return None
            problems, types, nonempty_bools = [], {}, []
            for name, col in columns.items():
                spec = COLUMNS.get(name)
                if spec is not None:
                    problem = _problem(spec, col, dialect)
                    types[name] = spec.kind
                else:
                    kind = _feature_type(col)
                    problem, types[name] = (sa.false() if kind else None), kind
                    if kind == "boolean":
                        nonempty_bools.append(col)
                if problem is None:
                    return None
                problems.append(problem)
            rule_types = {n: sql_rule_type(c.type) for n, c in columns.items()}
            if any(rule_types[n] != _rule_kind(types[n]) for n in columns):
                return None
            try:
                matched = compile_rule(rule, columns) if rule else None
            except RuleError:
                return None  # the pandas path raises it, or reports the table's problems
            score = sa.cast(columns["churn_score"], sa.Double())
            uid = columns["user_id"]
            aggregates = [
                sa.func.count().label("rows"),
                sa.func.count().filter(sa.or_(*problems)).label("bad"),
                sa.func.count(sa.distinct(uid)).label("distinct_ids"),
                sa.func.count().filter(matched if matched is not None else sa.false()).label(
                    "selected"
                ),
                sa.func.min(score).label("min"),
                sa.func.max(score).label("max"),
                sa.func.avg(score).label("mean"),
                *[sa.func.percentile_cont(q).within_group(score).label(f"q{i}")
                  for i, q in enumerate(QUANTILES)],
                *[sa.func.count().filter(sa.and_(score >= lo, score < hi)).label(f"b{i}")
                  for i, (lo, hi) in enumerate(itertools.pairwise(SCORE_EDGES))],
                *[sa.func.count(c).label(f"n{i}") for i, c in enumerate(columns.values())],
                *[(sa.func.count() - sa.func.count(c)).label(f"null_bool{i}")
                  for i, c in enumerate(nonempty_bools)],
            ]  # fmt: skip
            row = conn.execute(sa.select(*aggregates).select_from(table)).one()._mapping
            if row["rows"] == 0 or row["bad"] or row["distinct_ids"] != row["rows"]:
                return None
            if any(row[f"null_bool{i}"] for i in range(len(nonempty_bools))):
                return None  # a BOOLEAN feature with NULLs: pandas holds objects (a "string")
            for name in ("timezone", "locale"):
                if name not in columns:
                    continue
                query = sa.select(sa.distinct(columns[name])).limit(MAX_DISTINCT + 1)
                values = [v for (v,) in conn.execute(query) if v is not None]
                ok = distinct_values_pass("string", name, [str(v) for v in values])
                if len(values) > MAX_DISTINCT or not ok:
                    return None
    finally:
        engine.dispose()
    rows = int(row["rows"])
    report_columns = [
        {
            "column": name,
            "known": name in COLUMNS,
            "type": types[name],
            "non_null": int(row[f"n{i}"]),
            "coverage": round(int(row[f"n{i}"]) / rows, 4),
        }
        for i, name in enumerate(columns)
    ]
    score_stats = {
        "count": rows,
        "min": round(float(row["min"]), 4),
        **{k: round(float(row[f"q{i}"]), 4) for i, k in enumerate(["p10", "p25", "median",
                                                                    "p75", "p90"])},
        "max": round(float(row["max"]), 4),
        "mean": round(float(row["mean"]), 4),
        "buckets": {label: int(row[f"b{i}"]) for i, label in enumerate(SCORE_BUCKETS)},
    }  # fmt: skip
    return CohortReport(
        source=source.label,
        rows=rows,
        valid_rows=rows,
        problems=[],
        error_count=0,
        columns=report_columns,
        score=score_stats,
        renamed={c.name: n for n, c in columns.items() if c.name != n},
        rule=None
        if not rule
        else {"rule": rule, "selected": int(row["selected"]), "of_valid_rows": rows},
    )


def _rule_kind(kind: str) -> str:
    return {"id": "string", "count": "number"}.get(kind, kind)
