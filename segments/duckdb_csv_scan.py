"""A CSV cohort as DuckDB will scan it: dialect, header and names decided as pandas would.

`plan_csv_scan(path, mapping)` reads only the file's first 64 KB and returns a
`CsvScan`: the `read_csv(...)` table function DuckDB scans (every column as
text, named `c0, c1, ...`, the same NA tokens as the pandas reader, strict
field counts), our name for each column (the mapping and the known names
applied exactly as `cohort_loaders.rename_columns` does) and the decimal
mark. It returns None whenever DuckDB's view of the file could differ from
the pandas reader's, so that the caller uses the pandas path instead:

- UTF-16, an empty file, a header longer than 64 KB or with quotes in it;
- duplicate or blank header names (pandas renames them `x.1`, `Unnamed: 2`);
- any problem with the column mapping (two columns becoming one, a mapped
  column that does not exist): those are reported by the pandas path.

What the scan itself cannot see in advance (a ragged row, bytes that are not
UTF-8, a blank line, a field spanning lines) is caught later: DuckDB raises on
the first two in strict mode, and the caller compares the rows scanned with
the file's line count for the last two (`count_lines`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from segments.cohort_csv import _count_lines, _sniff
from segments.cohort_loaders import FORMATS, rename_columns, unused_mapping
from segments.cohort_problems import ProblemLog
from segments.cohort_source import NA_TOKENS

HEAD = 65536


@dataclass(frozen=True)
class CsvScan:
    """How DuckDB reads one CSV cohort: the table function and our column names."""

    path: Path
    names: list[str]
    renamed: dict[str, str]
    sep: str
    decimal: str

    @property
    def columns(self) -> list[str]:
        """DuckDB's name for each column, in file order (c0, c1, ...)."""
        return [f"c{i}" for i in range(len(self.names))]

    def table_function(self) -> str:
        """The `read_csv(...)` call: all text, pandas' NA tokens, strict field counts."""
        types = ", ".join(f"'{c}': 'VARCHAR'" for c in self.columns)
        nulls = ", ".join(sql_string(t) for t in NA_TOKENS)
        return (
            f"read_csv({sql_string(str(self.path))}, header = true, auto_detect = false, "
            f"delim = {sql_string(self.sep)}, quote = '\"', escape = '\"', "
            f"strict_mode = true, null_padding = false, nullstr = [{nulls}], "
            f"columns = {{{types}}})"
        )

    def line_count(self) -> int:
        """Physical lines of the file (streamed); rows + 1 when one record is one line."""
        return _count_lines(self.path)


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def plan_csv_scan(path: Path, mapping: dict[str, str]) -> CsvScan | None:
    """The scan of a CSV cohort, or None when only the pandas reader can read it exactly."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    with path.open("rb") as fh:
        first = fh.read(HEAD)
    if kind not in (None, "csv") or (kind is None and first[:4] == b"PAR1"):
        return None
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\n" not in first:
        return None
    head = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    line = head.split("\n", 1)[0].removesuffix("\r")
    sep = _sniff(head)
    body = head.split("\n", 1)[1]
    decimal = "," if sep == ";" and re.search(r"\d,\d", body) else "."
    if '"' in line or "\ufffd" in line:
        return None
    header = line.split(sep)
    if len(set(header)) != len(header) or any(not h.strip() for h in header):
        return None
    log = ProblemLog(str(path))
    names, renamed = rename_columns(header, mapping, log)
    if log.total or unused_mapping(mapping, renamed, names):
        return None
    return CsvScan(path, names, renamed, sep, decimal)
