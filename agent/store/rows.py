"""How rows come back from the store: plain dicts with timezone-aware UTC datetimes.

SQLite has no timezone type: datetimes are written as UTC and read back naive,
so every value passes through `as_utc`. `jsonable` turns a row into what the
CLI prints with `--json` (ISO-8601 strings for datetimes) and `strict_json_value`
turns any value into strict JSON data: NaN, infinities, pandas' NA and NaT
become null (a cohort's empty `first_name` is NaN in pandas, and `NaN` is not
JSON: strict parsers such as `jq` or JavaScript's `JSON.parse` reject it),
numpy scalars become Python numbers, datetimes ISO-8601 strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import PurePath
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
    """A row dict ready for a strict `json.dumps` (see `strict_json_value`)."""
    return {str(k): strict_json_value(v) for k, v in data.items()}


def strict_json_value(value: Any) -> Any:
    """`value` as strict JSON data: non-finite numbers and missing values as None, recursively."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA; NaT is also a datetime
        return None
    if isinstance(value, Mapping):
        return {str(k): strict_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [strict_json_value(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    item = getattr(value, "item", None)  # numpy scalars (np.float64, np.int64, np.bool_)
    if callable(item) and getattr(value, "shape", None) == ():
        return strict_json_value(item())
    tolist = getattr(value, "tolist", None)  # numpy arrays, pandas Series
    if callable(tolist):
        return strict_json_value(tolist())
    return str(value)


def strict_json_dumps(value: Any) -> str:
    """JSON text for a JSON column: strict (NaN/inf as null), as the store's serializer."""
    return json.dumps(strict_json_value(value), allow_nan=False, ensure_ascii=False)
