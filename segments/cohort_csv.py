"""Reading a CSV cohort (any common dialect) with the exact row number of every problem.

CSV has two paths. The fast path is one `pandas.read_csv` (C parser) on the
file's bytes, plus a few byte searches proving the file is regular: no blank
lines, no field spanning lines, no ragged row. Row numbers are then simply
"index + 2". Anything irregular (a ragged row, undecodable bytes, blank lines,
multi-line quoted fields) switches to the exact path: the `csv` module reads
record by record, tracking each record's line, field count and bad bytes, so
every problem names its line. A million regular rows cost about as much as
pandas alone; a messy file costs a few seconds more and is fully explained.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from segments.cohort_problems import ProblemLog
from segments.cohort_source import NA_TOKENS, LoadedCohort, empty_cohort
from segments.csv_dialect import count_lines, decimal_mark, sniff_delimiter


def read_csv_file(
    path: Path, log: ProblemLog, id_columns: frozenset[str] = frozenset()
) -> LoadedCohort:
    """A CSV (or TSV, semicolon, pipe) cohort; exact row numbers for every problem.

    A regular UTF-8 file is never read whole into memory by us: pandas parses the
    path (in parallel, and faster than from bytes) and we only stream it once to
    count lines. UTF-16 files are converted in memory; irregular files are read whole
    by the exact path.
    """
    ids = id_columns | {"user_id"}
    path = Path(path)
    source = str(path)
    with path.open("rb") as fh:
        first = fh.read(65536)
    where: Path | bytes = path
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        where = path.read_bytes().decode("utf-16").encode("utf-8")
        first = where[:65536]
    encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    blank = b"\xef\xbb\xbf \t\r\n"
    if not first.strip(blank) and not _whole(where).strip(blank):
        return empty_cohort(source, log, "the file is empty")
    head = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = sniff_delimiter(head)
    decimal = decimal_mark(sep, head)
    loaded = _csv_fast(where, source, sep, decimal, encoding, ids)
    if loaded is not None:
        return loaded
    return _csv_exact(_whole(where), source, sep, decimal, encoding, log, ids)


def _whole(where: Path | bytes) -> bytes:
    return where if isinstance(where, bytes) else where.read_bytes()


def _is_id(name: object, ids: frozenset[str]) -> bool:
    text = str(name).strip().lstrip("\ufeff")
    return text in ids or text.lower() == "user_id"


def _csv_fast(
    where: Path | bytes,
    source: str,
    sep: str,
    decimal: str,
    encoding: str,
    ids: frozenset[str],
) -> LoadedCohort | None:
    """One pandas read of `where` (the file, or its bytes when re-encoded); None if irregular.

    A row with too many fields makes pandas raise (its default `on_bad_lines`), which
    sends the file to the exact path; rows with too few are found by `_short_lines`.
    """

    def read(**kwargs: object) -> pd.DataFrame:
        src = io.BytesIO(where) if isinstance(where, bytes) else where
        return pd.read_csv(
            src, sep=sep, encoding=encoding, keep_default_na=False, na_values=NA_TOKENS, **kwargs
        )

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = read(decimal=decimal, index_col=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        return None
    if len(frame) == 0 or not isinstance(frame.index, pd.RangeIndex):
        return None
    # one record per line, no blank line: then row i is line i + 2
    if count_lines(where) != len(frame) + 1:
        return None
    last_blank = len(frame.columns) > 1 and frame.iloc[:, -1].isna().any()
    if last_blank and _short_lines(_whole(where), frame, sep):
        return None
    # numeric-looking ids lose leading zeros when parsed as numbers: re-read as text
    id_cols = [c for c in frame.columns if _is_id(c, ids)]
    for col in id_cols:
        if not pd.api.types.is_string_dtype(frame[col].dtype):
            frame[col] = read(usecols=[col], dtype=str)[col]
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    return LoadedCohort(frame, rows, source, np.zeros(len(frame), bool), decimal=decimal)


def _short_lines(raw: bytes, frame: pd.DataFrame, sep: str) -> bool:
    """True when a row whose last field is blank really has too few fields."""
    candidates = np.flatnonzero(frame.iloc[:, -1].isna().to_numpy())
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    want = len(frame.columns)
    sep_b = sep.encode()
    for pos in candidates:
        line = pos + 1  # 0-based physical line (header is line 0)
        start = int(ends[line - 1]) + 1
        end = int(ends[line]) if line < len(ends) else len(raw)
        chunk = raw[start:end]
        if b'"' in chunk:
            text = chunk.decode("utf-8", errors="replace")
            fields = len(next(csv.reader([text], delimiter=sep), []))
        else:
            fields = chunk.count(sep_b) + 1
        if fields != want:
            return True
    return False


def _csv_exact(
    raw: bytes,
    source: str,
    sep: str,
    decimal: str,
    encoding: str,
    log: ProblemLog,
    ids: frozenset[str],
) -> LoadedCohort:
    """Record-by-record read that knows each record's line, width and bad bytes."""
    text = raw.decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration:
        return empty_cohort(source, log, "the file is empty")
    width = len(header)
    records: list[list[str]] = []
    rows: list[int] = []
    broken: list[bool] = []
    dropped = 0
    prev = reader.line_num
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue  # a blank line
            bad = False
            if len(rec) != width:
                log.add(
                    f"the row has {len(rec)} field{'s' if len(rec) != 1 else ''}, "
                    f"the header has {width}",
                    row=start,
                    value=sep.join(rec),
                    expected=f"{width} fields separated by {sep!r}",
                )
                if len(rec) > width:
                    dropped += 1
                    continue
                rec = rec + [""] * (width - len(rec))
                bad = True
            for i, val in enumerate(rec):
                if "\ufffd" in val:
                    log.add(
                        "the value contains bytes that are not valid UTF-8",
                        row=start,
                        column=header[i].strip(),
                        value=val,
                        expected="UTF-8 text (re-save the file as UTF-8)",
                    )
                    bad = True
                    break
            records.append(rec)
            rows.append(start)
            broken.append(bad)
    except csv.Error as exc:
        log.add(
            f"the file cannot be parsed as CSV: {exc}",
            row=reader.line_num,
            expected="quotes closed on every field",
        )
    if not records and not dropped:
        if len(header) == 1 and not header[0].strip():
            return empty_cohort(source, log, "the file is empty")
        return empty_cohort(source, log, "the file has a header line but no rows")
    frame = pd.DataFrame.from_records(records, columns=[h.lstrip("\ufeff") for h in header])
    frame = frame.replace(NA_TOKENS, np.nan) if len(frame) else frame
    for col in frame.columns:
        frame[col] = _infer_text_column(frame[col], decimal, keep_text=_is_id(col, ids))
    return LoadedCohort(
        frame,
        np.asarray(rows, dtype=np.int64),
        source,
        np.asarray(broken, dtype=bool),
        dropped=dropped,
        decimal=decimal,
    )


def _infer_text_column(s: pd.Series, decimal: str, keep_text: bool) -> pd.Series:
    """Text read by the csv module typed like pandas would: numbers, booleans or text."""
    if keep_text or s.notna().sum() == 0:
        return s.astype("str").where(s.notna())
    values = s.dropna().astype(str)
    if decimal == ",":
        values = values.str.replace(",", ".", regex=False)
    nums = pd.to_numeric(values, errors="coerce")
    if nums.notna().all():
        out = pd.Series(np.nan, index=s.index, dtype="float64")
        out[values.index] = nums.astype("float64")
        return out
    low = values.str.lower()
    if low.isin(["true", "false"]).all():
        return s.map({"true": True, "false": False, "True": True, "False": False, "TRUE": True,
                      "FALSE": False}).astype("object")  # fmt: skip
    return s.astype("str").where(s.notna())
