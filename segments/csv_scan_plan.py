"""A CSV cohort as a scan without a frame will read it: dialect, header and names as pandas.

`plan_csv_scan(path, mapping)` reads only the file's first 64 KB and returns a
`CsvScan`: the delimiter and decimal mark (`csv_dialect`, as the pandas reader
decides them) and our name for each column (the mapping and the known names
applied exactly as `column_mapping.rename_columns` does). The Arrow engine
(`arrow_cohort_check`) and the DuckDB engine (`duckdb_cohort_check`) both scan
from it. It returns None whenever such a scan could see the file differently
from the pandas reader, so that the caller uses the pandas path instead:

- UTF-16, an empty file, a header longer than 64 KB or with quotes in it;
- duplicate or blank header names (pandas renames them `x.1`, `Unnamed: 2`);
- any problem with the column mapping (two columns becoming one, a mapped
  column that does not exist): those are reported by the pandas path.

What the plan cannot see in advance (a ragged row, bytes that are not UTF-8,
a blank line, a field spanning lines) is each engine's to catch while it scans.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segments.column_mapping import FORMATS, scan_names
from segments.csv_dialect import count_lines, decimal_mark, sniff_delimiter

HEAD = 65536


@dataclass(frozen=True)
class CsvScan:
    """How a scan reads one CSV cohort: its dialect and our name for each column."""

    path: Path
    names: list[str]
    renamed: dict[str, str]
    sep: str
    decimal: str

    @property
    def columns(self) -> list[str]:
        """The scan's own name for each column, in file order (c0, c1, ...)."""
        return [f"c{i}" for i in range(len(self.names))]

    def line_count(self) -> int:
        """Physical lines of the file (streamed); rows + 1 when one record is one line."""
        return count_lines(self.path)


@dataclass(frozen=True)
class ScanCheck:
    """What a scan found for a clean file: the parts of a `CohortReport`."""

    rows: int
    columns: list[dict]
    scores: np.ndarray
    rule_selected: int | None


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
    sep = sniff_delimiter(head)
    decimal = decimal_mark(sep, head)
    if '"' in line or "\ufffd" in line:
        return None
    named = scan_names(line.split(sep), mapping, str(path))
    if named is None:
        return None
    return CsvScan(path, *named, sep, decimal)
