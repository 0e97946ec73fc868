"""`cohort check` of a Parquet file with Apache Arrow: the types come with the file, no pandas.

The pandas path reads a Parquet cohort with `pandas.read_parquet`, renames its
columns (`column_mapping`) and checks the typed frame (`cohort_validation`).
For a clean file the report needs none of the rows, so this reads the file
with `pyarrow.parquet` and checks it with the CSV engine's checks
(`arrow_cohort_check.check_table`), after typing each column the way those
checks expect it:

- ids: text (any other type: pandas would turn it into text first);
- numbers and counts: integers or floats, as float64;
- booleans: a boolean column without nulls, or text checked by its tokens;
- dates: timestamps, or ISO 8601 text;
- time zones and locales: text, checked by their distinct values;
- other columns: integers and floats are numbers, booleans without nulls
  booleans, text is text (Parquet text is never re-read as numbers).

Like the CSV engine it is *conservative*: any type or value where pandas
might see something else (a float NaN, which pandas counts as missing; a
boolean with nulls, which pandas makes an object column; dictionary columns,
which pandas makes categoricals; a column of nulls only, an object column in
pandas; an index pandas would restore; an empty id;
nested or binary data) makes `check_parquet_in_arrow` return None, and the
caller runs the pandas path, which names every problem by record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from segments.arrow_cohort_check import Decline, check_table, has_nan
from segments.arrow_kernels import call, cast
from segments.cohort_schema import COLUMNS, REQUIRED
from segments.column_mapping import scan_names
from segments.csv_scan_plan import ScanCheck

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ParquetScan:
    """A Parquet cohort as the scan reads it: our name for each column, and the renames."""

    path: Path
    names: list[str]
    renamed: dict[str, str]


def check_parquet_in_arrow(
    path: Path, mapping: dict[str, str], rule: str | None
) -> tuple[ParquetScan, ScanCheck] | None:
    """Read and check a Parquet cohort with Arrow; None unless it is clean and typed as the
    pandas path types it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:  # ParquetFile, not read_table: the dataset reader imports pandas (0.3-0.5 s)
        with pq.ParquetFile(path) as file:
            table = file.read()
    except (OSError, pa.ArrowException):
        return None  # not readable as Parquet: the pandas path says why
    if _restores_an_index(table):
        return None
    named = scan_names(table.column_names, mapping, str(path))
    if named is None:
        return None
    names, renamed = named
    if any(c not in names for c in REQUIRED) or table.num_rows == 0:
        return None
    try:
        typed = pa.table(
            [_typed(name, values) for name, values in zip(names, table.columns, strict=True)],
            names=[f"c{i}" for i in range(len(names))],
        )
        return ParquetScan(Path(path), names, renamed), check_table(
            typed, names, rule, _feature_type
        )
    except Decline:
        return None


def _restores_an_index(table: pa.Table) -> bool:
    """True when pandas would make some of the file's columns the frame's index."""
    meta = (table.schema.metadata or {}).get(b"pandas")
    if not meta:
        return False
    try:
        index = json.loads(meta).get("index_columns", [])
    except (ValueError, AttributeError):
        return True
    return any(isinstance(c, str) for c in index)


def _typed(name: str, values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column typed as the CSV engine's checks expect it, or Decline."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_dictionary(kind) or pa.types.is_null(kind):
        raise Decline("a categorical, or a column of nulls only (object in pandas)")
    if pa.types.is_floating(kind) and has_nan(values):
        raise Decline("a NaN, which pandas reads as missing")
    if pa.types.is_boolean(kind) and values.null_count:
        raise Decline("a boolean column with nulls (object in pandas)")
    spec = COLUMNS.get(name)
    if spec is None:
        return values
    text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if spec.kind == "id":
        if not text or _has_empty(values):
            raise Decline("an id that is not text, or an empty one")
        return values
    if spec.kind in ("number", "count"):
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise Decline("a number column that is not numeric")
        return _cast(values, pa.float64())
    if spec.kind == "boolean":
        if pa.types.is_boolean(kind):
            return values
        if not text:
            raise Decline("a boolean column that is neither boolean nor text")
        return call("dictionary_encode", values)
    if spec.kind == "datetime":
        if not (text or pa.types.is_timestamp(kind)):
            raise Decline("a date column that is neither a timestamp nor text")
        return values
    if not text:
        raise Decline(f"a {name} column that is not text")
    return call("dictionary_encode", values) if name in ("timezone", "locale") else values


def _feature_type(values: pa.ChunkedArray) -> str:
    """The type pandas gives a Parquet column we do not know (see module doc), or Decline."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return "number"
    if pa.types.is_boolean(kind):
        return "boolean"  # with nulls it was declined by _typed
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    raise Decline(f"a {kind} column")


def _has_empty(values: pa.ChunkedArray) -> bool:
    return call("min", call("binary_length", values)).as_py() == 0


def _cast(values: pa.ChunkedArray, to: pa.DataType) -> pa.ChunkedArray:
    """A lossless cast (an integer beyond 2**53 would change: Decline)."""
    import pyarrow as pa

    try:
        return cast(values, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise Decline(str(exc)) from exc
