"""Reading a SQL cohort through a SQLAlchemy URL: a whole table, or a query's result."""

from __future__ import annotations

import pandas as pd

from segments.cohort_problems import ProblemLog
from segments.cohort_source import CohortSource, LoadedCohort, hide_password, records_cohort
from segments.errors import SegmentsError


def read_sql(url: str, *, table: str | None, query: str | None, log: ProblemLog) -> LoadedCohort:
    """A table or a query through a SQLAlchemy URL; rows are numbered from 1 in result order."""
    import sqlalchemy as sa

    if bool(table) == bool(query):
        raise SegmentsError(
            "A SQL cohort needs exactly one of --table and --query",
            "e.g. --sql postgresql+psycopg://user@host/db --table at_risk_users",
        )
    source = CohortSource(sql_url=url, table=table, query=query).label
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SegmentsError(
            f"{hide_password(url)} is not a usable SQLAlchemy URL ({exc})",
            "Use e.g. sqlite:///cohort.db or postgresql+psycopg://user@host:5432/db.",
        ) from exc
    try:
        with engine.connect() as conn:
            if table:
                schema, _, name = table.rpartition(".")
                tbl = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
                frame = pd.read_sql(sa.select(tbl), conn)
            else:
                frame = pd.read_sql(sa.text(query or ""), conn)
    except sa.exc.NoSuchTableError:
        raise SegmentsError(
            f"There is no table {table} at {hide_password(url)}",
            "Check the --table name (use schema.table for another schema).",
        ) from None
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) else exc
        detail = str(getattr(cause, "orig", None) or cause or exc).strip().splitlines()[0]
        raise SegmentsError(
            f"The cohort could not be read from {source}: {detail}",
            "Check the URL, that the server is reachable, and the table or query.",
        ) from exc
    finally:
        engine.dispose()
    return records_cohort(frame, source)
