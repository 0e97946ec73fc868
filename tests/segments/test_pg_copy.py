"""COPY brings back exactly what a cursor would: awkward values, chunking and errors.

Both readers: CSV COPY through psycopg (`pg_copy`) and binary COPY into Arrow
through the ADBC driver (`pg_arrow_copy`).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from segments.pg_arrow_copy import arrow_copy_chunks, arrow_copy_supported
from segments.pg_copy import copy_chunks, copy_supported

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True),
]

ROWS = [
    # id with zeros, text with a comma, quote, newline; empty vs NULL; bool with NULL
    ("00123", 'a, "quoted"\nline', "", True, 1.5, math.nan, 3,
     datetime(2024, 6, 1, 12, 30, 1, 250000, tzinfo=UTC), datetime(2024, 6, 1, 8),
     date(2024, 1, 2)),
    ("ü-ñ-✓", None, None, None, math.inf, -math.inf, None, None, None, None),
    ("7", "NA", "null", False, 0.1 + 0.2, 2.0, 0, datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
     datetime(2030, 1, 1), date(2030, 1, 1)),
]  # fmt: skip
COLUMNS = ["uid", "note", "blank", "flag", "x", "y", "n", "at", "naive", "day"]


@pytest.fixture(params=["csv", "arrow"])
def chunks(request):
    """The reader under test: CSV COPY through psycopg, or binary COPY through ADBC."""
    return {"csv": copy_chunks, "arrow": arrow_copy_chunks}[request.param]


@pytest.fixture
def table(warehouse):
    meta = sa.MetaData()
    t = sa.Table(
        "things", meta,
        sa.Column("uid", sa.Text), sa.Column("note", sa.Text), sa.Column("blank", sa.Text),
        sa.Column("flag", sa.Boolean), sa.Column("x", sa.Float), sa.Column("y", sa.Float),
        sa.Column("n", sa.Integer), sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("naive", sa.DateTime), sa.Column("day", sa.Date),
    )  # fmt: skip
    meta.create_all(warehouse.engine)
    with warehouse.engine.begin() as conn:
        conn.execute(sa.insert(t), [dict(zip(COLUMNS, r, strict=True)) for r in ROWS])
    return warehouse.engine, t


def test_copy_gives_the_values_a_cursor_gives(table, chunks) -> None:
    engine, t = table
    assert copy_supported(engine)
    query = sa.select(t, (t.c.n > 1).label("big"), sa.literal("p").label("lit")).order_by(t.c.uid)
    with engine.connect() as conn:
        assert arrow_copy_supported(conn, query)
        copied = pd.concat(list(chunks(conn, query, chunk_size=2)), ignore_index=True)
        fetched = pd.DataFrame.from_records(conn.execute(query).fetchall(), columns=copied.columns)
    assert len(copied) == 3
    for col in copied.columns:
        for got, want in zip(copied[col], fetched[col], strict=True):
            if want is None or (not isinstance(want, str) and pd.isna(want)):
                assert got is None or pd.isna(got), (col, got)
            elif isinstance(want, datetime | date):
                assert pd.Timestamp(got) == pd.Timestamp(want), (col, got, want)
            else:
                assert got == want and type(got) in (type(want), str), (col, got, want)
    assert copied.loc[copied.uid == "00123", "blank"].item() == ""  # empty is not NULL
    assert copied.loc[copied.uid == "7", "note"].item() == "NA"  # no default NA words


def test_chunks_hold_chunk_size_rows_and_an_empty_result_its_columns(table, chunks) -> None:
    engine, t = table
    query = sa.select(t.c.uid, t.c.note).order_by(t.c.uid)
    with engine.connect() as conn:
        sizes = [len(c) for c in chunks(conn, query, chunk_size=2)]
        empty = list(chunks(conn, query.where(t.c.uid == "none"), chunk_size=2))
    assert sizes == [2, 1]
    assert len(empty) == 1 and len(empty[0]) == 0 and list(empty[0].columns) == ["uid", "note"]


def test_a_database_error_during_copy_names_the_database(table, chunks) -> None:
    engine, t = table
    query = sa.select((sa.cast(t.c.note, sa.Integer)).label("bad"))
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="invalid input syntax"):
        list(chunks(conn, query, chunk_size=10))


def test_only_psycopg3_postgresql_uses_copy(warehouse, tmp_path) -> None:
    assert not copy_supported(sa.create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}"))
    assert not copy_supported(sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}"))
    with sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}").connect() as conn:
        assert not arrow_copy_supported(conn, sa.select(sa.literal("a")))


def test_types_arrow_is_not_mapped_for_go_through_csv(table) -> None:
    engine, t = table
    query = sa.select(t.c.uid, sa.cast(sa.func.json_build_object("k", t.c.n), sa.JSON).label("j"))
    with engine.connect() as conn:
        assert not arrow_copy_supported(conn, query)
        assert arrow_copy_supported(conn, sa.select(t.c.uid, sa.cast(t.c.x, sa.Numeric)))


def test_numeric_and_bigint_come_back_as_numbers(warehouse, chunks) -> None:
    def cast(value, type_, name):
        return sa.cast(sa.literal(value) if value is not None else sa.null(), type_).label(name)

    query = sa.select(
        cast("1.50", sa.Numeric, "a"), cast("NaN", sa.Numeric, "b"), cast(None, sa.Numeric, "c"),
        cast("-Infinity", sa.Numeric, "d"), cast(7, sa.BigInteger, "n"),
    )  # fmt: skip
    with warehouse.engine.connect() as conn:
        (frame,) = list(chunks(conn, query, chunk_size=10))
    row = frame.iloc[0]
    assert row["a"] == 1.5 and math.isnan(row["b"]) and math.isnan(row["c"])
    assert row["d"] == -math.inf and row["n"] == 7
    assert all(frame[c].dtype == "float64" for c in "abcd")


def test_the_driver_connection_gets_every_option_of_the_url(table) -> None:
    """libpq wants every part of its URI percent-encoded: a space in the options or the
    password must not reach it as "+" or as a bare space (pg_arrow_copy.libpq_uri)."""
    engine, t = table
    options = engine.url.query["options"] + " -cwork_mem=1234kB"  # search_path, work_mem
    url = engine.url.set(password="p w+@:/x", query={"options": options})
    query = sa.select(t.c.uid, sa.func.current_setting("work_mem", type_=sa.Text).label("mem"))
    other = sa.create_engine(url)
    try:
        with other.connect() as conn:
            assert arrow_copy_supported(conn, query)
            (frame,) = list(arrow_copy_chunks(conn, query, chunk_size=10))
    finally:
        other.dispose()
    assert len(frame) == 3 and set(frame["mem"]) == {"1234kB"}
