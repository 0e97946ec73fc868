"""Selected rows out of PostgreSQL through CSV COPY and psycopg.

The pushdown reads its rows through `pg_arrow_copy` (binary COPY into Arrow,
ADBC driver) when every column is of a type mapped there; this module is the
path for the others (JSON, arrays, UUID...), which it reads as text.

Fetching rows through a cursor turns every value into a Python object and then
into a frame; on 685,575 selected rows of a 10-million-row table that was
about 6 s, most of it in Python. `COPY (query) TO STDOUT (FORMAT csv)` streams
the same rows as CSV text, one message per row; the rows of each chunk are
joined and parsed by pandas' C reader at once: about 1.7 s for the same rows
(`scripts/bench_pushdown.py`).

Types follow the query's SQLAlchemy column types, so the frames hold what the
cursor path would give the validation: text columns stay text ("00123"
keeps its zeros), booleans come back from PostgreSQL's `t`/`f`, floats
include `NaN` and `±Infinity`, timestamps are parsed as ISO 8601. NULL is
written as `\\N` so that NULL and the empty string stay apart; the one value
that cannot be told from NULL is a text value that is literally `\\N`.

Only for the psycopg (3) driver, whose `cursor.copy` binds the query's
parameters; other drivers use the cursor path.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
import sqlalchemy as sa

NULL = r"\N"
FLOAT_WORDS = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}


def copy_supported(engine: sa.Engine) -> bool:
    """True for PostgreSQL through psycopg 3, whose COPY this module drives."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def column_kind(t: sa.types.TypeEngine) -> str | None:
    """How a selected column of SQLAlchemy type `t` is read back: boolean, datetime_tz,
    datetime, integer, float or text; None for any other type (JSON, arrays, UUID...)."""
    if isinstance(t, sa.Boolean):
        return "boolean"
    if isinstance(t, sa.DateTime | sa.Date):
        return "datetime_tz" if getattr(t, "timezone", False) else "datetime"
    if isinstance(t, sa.Integer):
        return "integer"
    if isinstance(t, sa.Float | sa.Numeric):
        return "float"
    if isinstance(t, sa.String | sa.Enum):
        return "text"
    return None


def _kinds(query: sa.Select) -> dict[str, str]:
    """Each selected column's kind: text, boolean, float, datetime(_tz) or other (pandas
    infers it from the CSV: integers, and types `column_kind` does not know)."""
    out = {}
    for col in query.selected_columns:
        kind = column_kind(col.type)
        if kind is None and isinstance(col.type, sa.types.NullType):
            kind = "text"  # an untyped expression: its text as the database wrote it
        out[col.name] = kind if kind not in (None, "integer") else "other"
    return out


def _typed(chunk: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    for name, kind in kinds.items():
        col = chunk[name]
        if kind == "boolean":
            chunk[name] = col.map({"t": True, "f": False}).astype(object).where(col.notna(), None)
        elif kind == "float" and not pd.api.types.is_float_dtype(col.dtype):
            chunk[name] = pd.to_numeric(col.replace(FLOAT_WORDS), errors="raise").astype("float64")
        elif kind.startswith("datetime"):
            chunk[name] = pd.to_datetime(col, format="ISO8601", utc=kind == "datetime_tz")
    return chunk


def _parse(
    header: bytes, rows: list[bytes], text: list[str], kinds: dict[str, str]
) -> pd.DataFrame:
    """One chunk: the CSV rows joined under the header, parsed by pandas' C reader at once
    (fed row by row through a stream, the hand-over cost about 1 µs a row)."""
    frame = pd.read_csv(
        io.BytesIO(header + b"".join(rows)),
        dtype={n: str for n in text},
        keep_default_na=False,
        na_values=[NULL],
    )
    return _typed(frame, kinds)


def copy_chunks(conn: sa.Connection, query: sa.Select, chunk_size: int) -> Iterator[pd.DataFrame]:
    """The rows of `query`, `chunk_size` at a time, through COPY ... TO STDOUT (FORMAT csv)."""
    compiled = query.compile(conn.engine)
    sql = f"COPY ({compiled}) TO STDOUT (FORMAT csv, HEADER, NULL '{NULL}')"
    kinds = _kinds(query)
    text = [n for n, k in kinds.items() if k not in ("float", "other")]
    import psycopg

    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur, cur.copy(sql, compiled.params) as copy:
            rows = iter(copy)  # COPY sends one message per row, the header first
            header = bytes(next(rows, b""))
            batch: list[bytes] = []
            sent = False
            for row in rows:
                batch.append(bytes(row))
                if len(batch) == chunk_size:
                    yield _parse(header, batch, text, kinds)
                    batch, sent = [], True
            if batch or not sent:
                yield _parse(header, batch, text, kinds)
    except psycopg.Error as exc:  # the caller's database_errors quotes SQLAlchemy's errors
        raise sa.exc.DBAPIError(sql, None, exc) from exc
