"""Warehouses for the pushdown tests: DuckDB in memory and a private PostgreSQL schema.

`warehouse` is parametrized over both engines; each test gets an empty place
to create tables in (for PostgreSQL a schema `w_<random>` selected through
`search_path`, dropped afterwards), and the URL that reaches it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

SERVER = os.environ.get("WINBACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Warehouse:
    """An engine on an empty schema, and the URL a user would pass to --sql."""

    url: str
    engine: sa.Engine

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name (postgresql or duckdb)."""
        return self.engine.dialect.name


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty DuckDB file or PostgreSQL schema for one test."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
        engine = sa.create_engine(url)
        yield Warehouse(url, engine)
        engine.dispose()
        return
    schema = f"w_{secrets.token_hex(6)}"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:  # pragma: no cover - only without a server
        admin.dispose()
        pytest.skip(f"PostgreSQL at {SERVER} is not available: {exc}")
    url = f"{SERVER}?options=-csearch_path%3D{schema}"
    engine = sa.create_engine(url)
    try:
        yield Warehouse(url, engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
