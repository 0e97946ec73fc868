"""Reading a SQL cohort through a SQLAlchemy URL: a whole table, or a query's result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from segments.cohort_problems import ProblemLog
from segments.cohort_source import CohortSource, LoadedCohort, hide_password, records_cohort
from segments.errors import SegmentsError


def open_engine(url: str) -> sa.Engine:
    """An engine for `url`; a malformed URL or a missing driver is a `SegmentsError`."""
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SegmentsError(
            f"{hide_password(url)} is not a usable SQLAlchemy URL ({exc})",
            "Use e.g. duckdb:///cohort.duckdb or postgresql+psycopg://user@host:5432/db.",
        ) from exc


def reflect_table(conn: sa.Connection, table: str, url: str) -> sa.Table:
    """The table `table` (or `schema.table`) with its columns; a missing one is named."""
    schema, _, name = table.rpartition(".")
    if conn.dialect.name == "duckdb":
        return _duckdb_table(conn, name, schema or None, table, url)
    try:
        return sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
    except sa.exc.NoSuchTableError:
        raise SegmentsError(
            f"There is no table {table} at {hide_password(url)}",
            "Check the --table name (use schema.table for another schema).",
        ) from None


def _duckdb_type(name: str) -> sa.types.TypeEngine:
    name = name.upper()
    if name == "BOOLEAN":
        return sa.Boolean()
    if name.endswith("INT") or name in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"):
        return sa.BigInteger()
    if name in ("DOUBLE", "FLOAT", "REAL"):
        return sa.Double()
    if name.startswith("DECIMAL"):
        return sa.Numeric()
    if name.startswith("TIMESTAMP"):
        return sa.DateTime(timezone=name.endswith("WITH TIME ZONE") or name == "TIMESTAMPTZ")
    if name == "DATE":
        return sa.Date()
    return sa.Text()


def _duckdb_table(
    conn: sa.Connection, name: str, schema: str | None, table: str, url: str
) -> sa.Table:
    """A DuckDB table's columns from information_schema (duckdb-engine's reflection
    reads pg_catalog tables that DuckDB 2 no longer has)."""
    query = sa.text(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = :name AND (:schema IS NULL OR table_schema = :schema) "
        "ORDER BY ordinal_position"
    )
    rows = conn.execute(query, {"name": name, "schema": schema}).all()
    if not rows:
        raise SegmentsError(
            f"There is no table {table} at {hide_password(url)}",
            "Check the --table name (use schema.table for another schema).",
        )
    columns = [sa.Column(col, _duckdb_type(kind)) for col, kind in rows]
    return sa.Table(name, sa.MetaData(), *columns, schema=schema)


@contextmanager
def database_errors(source: str) -> Iterator[None]:
    """Turn a driver error (refused, timed out, bad SQL) into one line quoting the database."""
    try:
        yield
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) else exc
        detail = str(getattr(cause, "orig", None) or cause or exc).strip().splitlines()[0]
        raise SegmentsError(
            f"The cohort could not be read from {source}: {detail}",
            "Check the URL, that the server is reachable, and the table or query.",
        ) from exc


@contextmanager
def connected(url: str, source: str) -> Iterator[sa.Connection]:
    """A connection to `url`, its errors quoted as `database_errors(source)` says; the engine
    is disposed of afterwards."""
    engine = open_engine(url)
    try:
        with database_errors(source), engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def has_jit(dialect: sa.Dialect) -> bool:
    """PostgreSQL 11 and later, whose planner may JIT-compile a query's expressions."""
    return dialect.name == "postgresql" and (dialect.server_version_info or (0,)) >= (11,)


def without_jit(conn: sa.Connection) -> None:
    """PostgreSQL: no JIT for this session. A full scan of a big table looks expensive
    enough to the planner to compile the expressions, which cost 1.2 s of a 3.5 s count
    over 10 million rows and saves less than that."""
    if has_jit(conn.dialect):
        conn.exec_driver_sql("SET jit = off")


def read_sql(url: str, *, table: str | None, query: str | None, log: ProblemLog) -> LoadedCohort:
    """A table or a query through a SQLAlchemy URL; rows are numbered from 1 in result order."""
    if bool(table) == bool(query):
        raise SegmentsError(
            "A SQL cohort needs exactly one of --table and --query",
            "e.g. --sql postgresql+psycopg://user@host/db --table at_risk_users",
        )
    source = CohortSource(sql_url=url, table=table, query=query).label
    with connected(url, source) as conn:
        if table:
            frame = pd.read_sql(sa.select(reflect_table(conn, table, url)), conn)
        else:
            frame = pd.read_sql(sa.text(query or ""), conn)
    return records_cohort(frame, source)
