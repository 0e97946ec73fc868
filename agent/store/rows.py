"""How rows come back from the store: plain dicts with timezone-aware UTC datetimes.

SQLite has no timezone type: datetimes are written as UTC and read back naive,
so every value passes through `as_utc`. `jsonable` turns a row into what the
CLI prints with `--json` (ISO-8601 strings for datetimes).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """A datetime read from either database, as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_db_time(value: datetime, dialect: str) -> datetime:
    """A datetime to compare against stored ones (naive UTC on SQLite)."""
    value = as_utc(value) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.replace(tzinfo=None) if dialect == "sqlite" else value


def row_dict(row: Any) -> dict[str, Any]:
    """A SQLAlchemy row as a dict, datetimes made aware UTC."""
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in data.items()}


def jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    """A row dict ready for json.dumps."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
