"""`cohort check` of a CSV file with Apache Arrow's reader: one parallel read, no pandas.

The pandas path (`cohort_validation`) reads the file into a frame, then types
and checks each column. For a clean file the report needs none of the rows:
counts, each column's coverage, the churn-score distribution and how many
rows a rule selects. `pyarrow.csv` reads the file on every core into typed
columns, and Arrow's compute kernels check them (`arrow_kernels`):

- ids: read as text; none blank, none with whitespace Python would strip,
  all distinct (a sorted column is proved distinct in one pass);
- numbers and counts: read as float64 by Arrow's strict parser, so a value
  it cannot read (`abc`, ` 0.5`, `1_000`) fails the read; then finite, in
  range and whole;
- booleans: read as booleans when written True/False (any of pandas' three
  cases); otherwise, and time zones and locales always, read dictionary-encoded,
  their distinct values checked with the pandas path's tokens, zone list and
  pattern;
- dates: the ISO 8601 shape, and Arrow's parser must read each value;
- other columns ("features"): typed as pandas infers them (see `_feature_type`).

Like the DuckDB engine it is *conservative*: it answers only when the pandas
path would find no problem and type every value the same way. A problem in
any row, a value the two parsers might read differently, a ragged row, a
blank line or a field spanning lines (Arrow refuses those, so every record is
one line), bytes that are not UTF-8: `check_csv_in_arrow` returns None, and
the caller runs the pandas path, which names every problem by row and column.
A rule is counted by `arrow_rule` (the same type errors and three-valued
logic); one that reads a date is left to the pandas path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segments.arrow_kernels import call, cast, is_in, matches, trim, truth
from segments.cohort_schema import COLUMNS, REQUIRED, ColumnSpec
from segments.cohort_source import NA_TOKENS
from segments.cohort_values import ISO_DATE, WHITESPACE, distinct_values_pass
from segments.csv_scan_plan import CsvScan, ScanCheck, plan_csv_scan

if TYPE_CHECKING:
    import pyarrow as pa

# what pandas' C reader makes a boolean column of (any case: tRuE too; see _feature_type)
PANDAS_TRUE = ["True", "TRUE", "true"]
PANDAS_FALSE = ["False", "FALSE", "false"]
SAMPLE = 2048
RULE_KIND = {"id": "string", "count": "number"}
# the ASCII characters str.strip() removes, as a byte lookup table
ASCII_SPACE = np.zeros(256, dtype=bool)
ASCII_SPACE[[ord(c) for c in WHITESPACE if c.isascii()]] = True


class Decline(Exception):
    """The file is not provably clean, or pandas might read it differently."""


def check_csv_in_arrow(
    path: Path, mapping: dict[str, str], rule: str | None
) -> tuple[CsvScan, ScanCheck] | None:
    """Read and check a CSV cohort with Arrow; None unless it is clean and typed like pandas."""
    scan = plan_csv_scan(path, mapping)
    if scan is None or any(c not in scan.names for c in REQUIRED):
        return None
    try:
        table = _read(scan)
        if table.num_rows == 0:
            return None  # a header and no rows: the pandas path says so
        return scan, check_table(table, scan.names, rule, _feature_type)
    except Decline:
        return None


def check_table(
    table: pa.Table,
    names: list[str],
    rule: str | None,
    feature_type: Callable[[pa.ChunkedArray], str],
) -> ScanCheck:
    """Check a table whose columns are `names` in order (schema columns typed as `_read`
    types them, features as read) and count the rule; raises `Decline`."""
    columns, kinds, by_name = [], {}, dict(zip(names, table.columns, strict=True))
    for name, values in by_name.items():
        spec = COLUMNS.get(name)
        if spec is not None:
            _check_known(spec, values)
            kinds[name] = RULE_KIND.get(spec.kind, spec.kind)
        else:
            kinds[name] = feature_type(values)
        present = len(values) - values.null_count
        columns.append({"column": name, "known": spec is not None,
                        "type": spec.kind if spec else kinds[name], "non_null": present,
                        "coverage": round(present / table.num_rows, 4)})  # fmt: skip
    selected = _count(rule, by_name, kinds, table.num_rows) if rule else None
    return ScanCheck(table.num_rows, columns, _floats(by_name["churn_score"]), selected)


def _read(scan: CsvScan) -> pa.Table:
    """The whole file, known columns typed as their checks need them; features inferred.
    Known booleans are read as booleans (True/TRUE/true, False/...), the way exports write
    them; a file that spells them otherwise ("yes", "1", " true") is read again with those
    columns as text, checked by their tokens. Parsing straight to booleans saves the
    dictionary Arrow builds per block (about a sixth of the read)."""
    import pyarrow as pa

    try:
        return _read_as(scan, pa.bool_())
    except Decline as exc:
        if "to bool" not in str(exc):
            raise
    return _read_as(scan, pa.dictionary(pa.int32(), pa.string()))


def _read_as(scan: CsvScan, booleans: pa.DataType) -> pa.Table:
    """The whole file with the known boolean columns read as `booleans`."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    types = {}
    for name, c in zip(scan.names, scan.columns, strict=True):
        spec = COLUMNS.get(name)
        if spec is None:
            continue
        if spec.kind in ("number", "count"):
            types[c] = pa.float64()
        elif spec.kind == "boolean":
            types[c] = booleans
        elif name in ("timezone", "locale"):
            types[c] = pa.dictionary(pa.int32(), pa.string())
        else:
            types[c] = pa.string()
    try:
        return pcsv.read_csv(
            scan.path,
            read_options=pcsv.ReadOptions(
                skip_rows=1, column_names=scan.columns, block_size=_block_size(scan.path)
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=scan.sep, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=types,
                null_values=NA_TOKENS,
                strings_can_be_null=True,
                true_values=PANDAS_TRUE,
                false_values=PANDAS_FALSE,
                decimal_point=scan.decimal,
                timestamp_parsers=[],
            ),
            memory_pool=_memory_pool(),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        # a value its column's type cannot hold, a ragged row, a blank line, a field
        # spanning lines, bytes that are not UTF-8: the pandas path names the row
        raise Decline(str(exc)) from exc


def _block_size(path: Path) -> int:
    """Bytes per parse block: Arrow's 1 MB default makes a 100 MB file 100 chunks, and each
    chunk costs (a kernel call per chunk); a dozen blocks per core keep the threads evenly
    loaded when a core is slowed. On the 104 MB file of bench_cohort.py (2 cores), the read
    took 0.26 s (median of 12) with 4 MB blocks, 0.30 s with 13 MB (four blocks per core,
    the choice before) and 0.25 s with 1 MB, whose runs spread more. At least 1 MB, at most
    16."""
    cores = os.cpu_count() or 1
    return max(1 << 20, min(16 << 20, path.stat().st_size // (12 * cores)))


def _memory_pool() -> pa.MemoryPool:
    """jemalloc where this pyarrow has it (Linux and macOS wheels), else the system allocator;
    Arrow's default pool where `ARROW_DEFAULT_MEMORY_POOL` names one. The default, mimalloc,
    made the parallel read bimodal: on the 104 MB file of bench_cohort.py (2 cores, 10
    alternating runs) it took 0.24-0.50 s, half the runs twice as slow as the others,
    against 0.27-0.28 s with jemalloc and 0.28-0.31 s with the system allocator."""
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return pa.default_memory_pool()
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (Windows)
        return pa.system_memory_pool()


def _check_known(spec: ColumnSpec, values: pa.ChunkedArray) -> None:
    """Decline unless every value of a schema column passes the pandas path's checks."""
    nulls = values.null_count
    if spec.kind == "id":
        if nulls or _padded(values):
            raise Decline("a blank id, or one with surrounding whitespace")
        if not _distinct(values):
            raise Decline("duplicate ids")
    elif spec.kind in ("number", "count"):
        if spec.required and nulls:
            raise Decline(f"a blank {spec.name}")
        if nulls == len(values):
            return
        span = _finite_range(values)
        if span is None:
            raise Decline("nan or inf")
        low, high = span
        if (spec.minimum is not None and low < spec.minimum) or (
            spec.maximum is not None and high > spec.maximum
        ):
            raise Decline("out of range")
        if spec.kind == "count" and not _whole(values):
            raise Decline("not a whole number")
    elif _dictionary_encoded(values):
        found = set()
        for chunk in values.chunks:
            found.update(v for v in chunk.dictionary.to_pylist() if v is not None)
        if not distinct_values_pass(spec.kind, spec.name, sorted(found)):
            raise Decline(f"a {spec.name} value the pandas path rejects")
    elif spec.kind == "datetime" and nulls < len(values) and not _timestamps(values):
        if not truth("all", matches(values, f"^{ISO_DATE}$")):
            raise Decline("not an ISO 8601 date")
        _parse_dates(values)


def _finite_range(values: pa.ChunkedArray) -> tuple[float, float] | None:
    """(min, max) of a float64 column with a value, None when one is NaN or infinite. Without
    nulls, from the data buffers (numpy's min and max carry a NaN through, and an infinity is
    an extreme: two passes instead of three kernel calls); with nulls, Arrow's kernels, which
    skip them."""
    if values.null_count == 0:
        parts = [x for x in _chunk_arrays(values) if len(x)]
        ends = np.array([[x.min(), x.max()] for x in parts])
        if not np.isfinite(ends).all():
            return None
        return float(ends[:, 0].min()), float(ends[:, 1].max())
    if not truth("all", call("is_finite", values)):
        return None
    low, high = call("min_max", values).values()
    return low.as_py(), high.as_py()


def _whole(values: pa.ChunkedArray) -> bool:
    """True when every value of a float64 column is a whole number. Read from the data
    buffers (Arrow's first rounding kernel costs 30 ms to start): a null's slot holds 0
    from the CSV reader, and anything else there only makes the check decline."""
    return all(np.array_equal(np.floor(x), x) for x in _chunk_arrays(values))


def _padded(ids: pa.ChunkedArray) -> bool:
    """True when str.strip() would change an id (no nulls): for ASCII ids the first and last
    byte of each, read from the buffers; otherwise Arrow's Unicode trim."""
    ends = [_first_and_last_bytes(c) for c in ids.chunks]
    if all(e is not None for e in ends):
        return any(bool(ASCII_SPACE[e].any()) for e in ends)  # type: ignore[index]
    return not truth("all", call("equal", trim(ids, WHITESPACE), ids))


def _first_and_last_bytes(chunk: pa.Array) -> np.ndarray | None:
    """The first and last byte of every non-empty value of a text chunk without nulls; None
    when a value is not ASCII (a multi-byte character may be whitespace)."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _, offsets_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=width)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.zeros(1, np.uint8)
    if data[offsets[0] : offsets[-1]].max(initial=0) >= 0x80:
        return None
    starts, stops = offsets[:-1], offsets[1:]
    full = stops > starts
    return np.concatenate([data[starts[full]], data[stops[full] - 1]])


def _timestamps(values: pa.ChunkedArray) -> bool:
    """True for a timestamp column (from Parquet; a CSV's dates are read as text)."""
    return str(values.type).startswith("timestamp")


def _dictionary_encoded(values: pa.ChunkedArray) -> bool:
    """True for a dictionary-encoded column (booleans, time zones, locales)."""
    return str(values.type).startswith("dictionary")


def _parse_dates(values: pa.ChunkedArray) -> None:
    """Decline unless Arrow reads every date (a zone offset, or none, per value)."""
    import pyarrow as pa

    zoned = matches(values, r"(Z|[+-]\d{2}:\d{2})$")
    try:
        cast(call("filter", values, zoned), pa.timestamp("us", tz="UTC"))
        cast(call("filter", values, call("invert", zoned)), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise Decline("a date Arrow cannot read") from exc


def _distinct(ids: pa.ChunkedArray) -> bool:
    """True when no id repeats: one comparison pass when the ids are sorted (as exports
    usually are), a hash count otherwise."""
    if len(ids) < 2 or truth("all", call("less", ids[:-1], ids[1:])):
        return True
    return call("count_distinct", ids).as_py() == len(ids)


def _feature_type(values: pa.ChunkedArray) -> str:
    """The type pandas' reader gives a column we do not know, or decline.

    Arrow and pandas agree on numbers (Arrow's parser is the stricter) except
    that pandas keeps `nan` as text; they agree on booleans written True/TRUE/
    true, but pandas also reads other cases (tRuE) and makes a boolean column
    with blanks text. A text column is accepted only when one of its first
    values is text to any parser."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if pa.types.is_floating(kind) and has_nan(values):
            raise Decline("nan in a number column (text in pandas)")
        return "number"
    if pa.types.is_null(kind):
        return "number"  # all blank: pandas holds a float column of NaN
    if pa.types.is_boolean(kind):
        if values.null_count:
            raise Decline("a boolean column with blanks (text in pandas)")
        return "boolean"
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        values = cast(values, pa.string())  # a time of day or a date: text in pandas
    head = call("drop_null", values.slice(0, SAMPLE)).to_pylist()
    if not any(_surely_text(v) for v in head):
        raise Decline("a text column pandas might read as numbers or booleans")
    return "string"


def has_nan(values: pa.ChunkedArray) -> bool:
    """True when a float column holds a NaN (Arrow's not-a-number, which is not a null)."""

    return truth("any", call("is_nan", values))


def _surely_text(value: str) -> bool:
    """A value neither reader makes a number or a boolean of."""
    if value.strip().lower() in ("true", "false"):
        return False
    try:
        float(value.replace(",", "."))
    except ValueError:
        return True
    return False


def _count(rule: str, by_name: dict[str, pa.ChunkedArray], kinds: dict[str, str], rows: int) -> int:
    """Rows the rule selects; decline for a bad rule (the pandas path raises it) or dates."""
    from segments.arrow_rule import NotEvaluable, count_rule
    from segments.rule_tokens import RuleError

    @functools.cache  # a rule may name a column twice: its values are made once
    def values(name: str) -> pa.ChunkedArray:
        return _rule_values(by_name[name], kinds[name])

    try:
        return count_rule(rule, values, kinds, rows)
    except (RuleError, NotEvaluable) as exc:
        raise Decline(str(exc)) from exc


def _rule_values(values: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    """A column as the rule reads it: known booleans as true/false/null from their tokens,
    time zones and locales as text."""
    import pyarrow as pa

    if not _dictionary_encoded(values):
        if kind == "string" and not pa.types.is_string(values.type):
            raise Decline("a time of day Arrow typed; the rule compares pandas' text")
        return values
    if kind != "boolean":
        return cast(values, pa.string())
    from segments.arrow_literals import literal, literal_array
    from segments.cohort_values import FALSE_TOKENS, TRUE_TOKENS

    text = call("utf8_lower", trim(cast(values, pa.string()), WHITESPACE))
    truthy = is_in(text, literal_array(sorted(TRUE_TOKENS), pa.string()))
    falsy = is_in(text, literal_array(sorted(FALSE_TOKENS), pa.string()))
    yes, no, none = (literal(v, pa.bool_()) for v in (True, False, None))
    return call("if_else", truthy, yes, call("if_else", falsy, no, none))


def _chunk_arrays(values: pa.ChunkedArray) -> list[np.ndarray]:
    """Each chunk's float64 data buffer as a read-only numpy view (no pandas: pyarrow's own
    `to_numpy` imports it); a null's slot holds whatever the buffer holds."""
    return [
        np.frombuffer(c.buffers()[1], dtype=np.float64)[c.offset : c.offset + len(c)]
        for c in values.chunks
    ]


def _floats(values: pa.ChunkedArray) -> np.ndarray:
    """A float64 column without nulls as one new numpy array."""
    parts = _chunk_arrays(values)
    return np.concatenate(parts) if parts else np.zeros(0)
