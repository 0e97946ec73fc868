"""Selected rows out of PostgreSQL as Arrow: binary COPY read in C++ by the ADBC driver.

`pg_copy` streams `COPY ... TO STDOUT (FORMAT csv)` through psycopg, which
hands Python one message per row: on 685,575 selected rows of a
10-million-row table that loop alone was about 1.6 s, plus about 1 s for
pandas to parse the text. The ADBC PostgreSQL driver (`adbc-driver-postgresql`,
libpq inside the wheel) runs the same query as `COPY ... (FORMAT binary)` and
decodes it into Arrow record batches in C++; the batches become frames of
`chunk_size` rows (`scripts/bench_pushdown.py`).

The frames hold what `pg_copy` gives for the same query: text as text (NULL
apart from ""), booleans as True/False/None, floats with NaN and ±Infinity,
integers as int64 (float64 when a NULL is among them), timestamps and dates
as datetime64. A query whose columns are of another type (JSON, arrays,
UUID...) is left to `pg_copy`, which reads anything as text.

The query's parameters are bound into its text by psycopg (as its COPY does)
and the driver opens its own connection with the same URL and session
settings (JIT off).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from urllib.parse import quote

import numpy as np
import pandas as pd
import sqlalchemy as sa

from segments.cohort_sql import has_jit
from segments.pg_copy import column_kind


def arrow_copy_supported(conn: sa.Connection, query: sa.Select) -> bool:
    """True when the ADBC driver is installed, the connection is PostgreSQL through psycopg
    and every column of `query` is of a type this module maps (module doc)."""
    return (
        conn.dialect.name == "postgresql"
        and conn.dialect.driver == "psycopg"
        and importlib.util.find_spec("adbc_driver_postgresql") is not None
        and all(column_kind(c.type) for c in query.selected_columns)
    )


def libpq_uri(url: sa.URL) -> str:
    """The libpq connection URI of a SQLAlchemy PostgreSQL URL (query options kept).

    Every part is percent-encoded, as libpq wants: SQLAlchemy's own rendering leaves a
    space in the user name or password as it is (libpq refuses it) and writes one in the
    query as "+", which libpq keeps, so `options=-csearch_path=s -cstatement_timeout=5s`
    reached the server as the single setting `search_path = 's+-cstatement_timeout=5s'`."""

    def part(text: object) -> str:
        return quote(str(text), safe="")

    uri = "postgresql://"
    if url.username is not None:
        uri += part(url.username)
        if url.password is not None:
            uri += ":" + part(url.password)
        uri += "@"
    if url.host is not None:
        uri += f"[{url.host}]" if ":" in url.host else url.host
    if url.port is not None:
        uri += f":{url.port}"
    if url.database is not None:
        uri += "/" + part(url.database)
    pairs = [
        f"{part(key)}={part(value)}"
        for key in sorted(url.query)
        for value in ([url.query[key]] if isinstance(url.query[key], str) else url.query[key])
    ]
    return uri + ("?" + "&".join(pairs) if pairs else "")


def _frame(table, kinds: dict[str, str | None]) -> pd.DataFrame:
    frame = table.to_pandas(date_as_object=False)
    for name, kind in kinds.items():
        col = frame[name]
        if kind == "boolean":
            frame[name] = col.astype(object).where(col.notna(), None)
        elif kind == "integer" and not pd.api.types.is_float_dtype(col.dtype):
            frame[name] = col.astype(np.int64)
        elif kind == "float" and not pd.api.types.is_float_dtype(col.dtype):
            # NUMERIC arrives as its decimal text ("1.50", "NaN", "Infinity"), which float() reads
            frame[name] = np.array(
                [float(v) if isinstance(v, str) else np.nan for v in col], dtype=np.float64
            )
    return frame


def arrow_copy_chunks(
    conn: sa.Connection, query: sa.Select, chunk_size: int
) -> Iterator[pd.DataFrame]:
    """The rows of `query`, `chunk_size` at a time, read by the ADBC driver (module doc)."""
    import adbc_driver_postgresql.dbapi as adbc
    import psycopg
    import pyarrow as pa

    compiled = query.compile(conn.engine)
    sql = psycopg.ClientCursor(conn.connection.driver_connection).mogrify(
        str(compiled), compiled.params
    )
    kinds = {c.name: column_kind(c.type) for c in query.selected_columns}
    try:
        with adbc.connect(libpq_uri(conn.engine.url)) as db, db.cursor() as cur:
            if has_jit(conn.dialect):
                cur.execute("SET jit = off")  # as cohort_sql.without_jit
            cur.execute(sql)
            reader = cur.fetch_record_batch()
            pending: list = []
            held = 0
            sent = False
            for batch in reader:
                pending.append(batch)
                held += batch.num_rows
                while held >= chunk_size:
                    table = pa.Table.from_batches(pending, schema=reader.schema)
                    yield _frame(table.slice(0, chunk_size), kinds)
                    rest = table.slice(chunk_size)
                    pending, held, sent = rest.to_batches(), rest.num_rows, True
            if held or not sent:
                yield _frame(pa.Table.from_batches(pending, schema=reader.schema), kinds)
    except (adbc.Error, pa.ArrowException, OSError) as exc:  # mid-stream: Arrow's OSError
        # the caller's database_errors quotes SQLAlchemy's errors
        raise sa.exc.DBAPIError(sql, None, exc) from exc
