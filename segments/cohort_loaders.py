"""Reading a cohort: CSV (any common dialect), Parquet, JSONL, or SQL via SQLAlchemy.

Every loader returns a `LoadedCohort`: the frame with our column names, the
row number of each frame row (what a person finds in the file, see
`cohort_problems`), a mask of rows already known to be broken (ragged,
undecodable bytes) and the number of records that could not become a row.

CSV has two paths. The fast path is one `pandas.read_csv` (C parser) on the
file's bytes, plus a few byte searches proving the file is regular: no blank
lines, no field spanning lines, no ragged row. Row numbers are then simply
"index + 2". Anything irregular (a ragged row, undecodable bytes, blank lines,
multi-line quoted fields) switches to the exact path: the `csv` module reads
record by record, tracking each record's line, field count and bad bytes, so
every problem names its line. A million regular rows cost about as much as
pandas alone; a messy file costs a few seconds more and is fully explained.

Column names are stripped, matched case-insensitively to the known columns,
and renamed by an optional YAML mapping file (`source_name: our_name`, or the
same under a `columns:` key).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from prompts.yaml_file import read_yaml_mapping
from segments.cohort_problems import ProblemLog
from segments.cohort_schema import COLUMNS
from segments.errors import SegmentsError

NA_TOKENS = ["", "NA", "N/A", "n/a", "null", "NULL", "None", "none"]
DELIMITERS = [",", ";", "\t", "|"]
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


@dataclass(frozen=True)
class CohortSource:
    """Where a cohort comes from: a file, or a SQL table or query; plus a column mapping."""

    path: Path | None = None
    sql_url: str | None = None
    table: str | None = None
    query: str | None = None
    mapping: Path | dict[str, str] | None = None

    @property
    def label(self) -> str:
        """How problems name this source."""
        if self.path is not None:
            return str(self.path)
        what = f"table {self.table}" if self.table else "query"
        return f"{what} at {_hide_password(self.sql_url or '')}"


@dataclass
class LoadedCohort:
    """A cohort as read, before validation."""

    frame: pd.DataFrame
    rows: np.ndarray
    source: str
    broken: np.ndarray
    dropped: int = 0
    decimal: str = "."
    renamed: dict[str, str] = field(default_factory=dict)
    file_error: bool = False

    @property
    def total_rows(self) -> int:
        """Records in the source, including those that could not be parsed."""
        return len(self.frame) + self.dropped


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def load_mapping(mapping: Path | dict[str, str] | None) -> dict[str, str]:
    """The column mapping (source name -> our name) from a YAML file or a dict."""
    if mapping is None:
        return {}
    if isinstance(mapping, dict):
        data: object = mapping
    else:
        data = read_yaml_mapping(
            Path(mapping),
            "Column mapping file",
            fix="Write one `source_column: our_column` per line.",
            missing_fix="Check the --mapping path.",
            kind="a mapping of source column names to our column names",
            error=SegmentsError,
        )
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            data = data["columns"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise SegmentsError(
            f"Column mapping {mapping} must map source column names to our column names",
            "Write one `source_column: our_column` per line, e.g. `score: churn_score`.",
        )
    return {k.strip(): v.strip() for k, v in data.items()}


def _rename(frame: pd.DataFrame, mapping: dict[str, str], log: ProblemLog) -> dict[str, str]:
    """Strip names, apply the mapping, match known names case-insensitively."""
    stripped = {c: str(c).strip() for c in frame.columns}
    names = list(stripped.values())
    renamed: dict[str, str] = {}
    known_lower = {k.lower(): k for k in COLUMNS}
    for src in names:
        if src in mapping:
            renamed[src] = mapping[src]
        elif src not in COLUMNS and src.lower() in known_lower:
            renamed[src] = known_lower[src.lower()]
    final = [renamed.get(n, n) for n in names]
    seen: dict[str, str] = {}
    for src, dst in zip(names, final, strict=True):
        if dst in seen:
            log.add(
                f"two source columns ('{seen[dst]}' and '{src}') both become '{dst}'",
                column=dst,
                expected="each column once",
            )
        seen[dst] = src
    frame.columns = final
    return {s: d for s, d in renamed.items() if s != d}


def _sniff(head: str) -> str:
    first = head.splitlines()[0] if head else ""
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _empty(source: str, log: ProblemLog, message: str) -> LoadedCohort:
    log.add(message, expected="a header line and at least one row")
    return LoadedCohort(
        pd.DataFrame(), np.zeros(0, dtype=np.int64), source, np.zeros(0, bool), file_error=True
    )


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
        return _empty(source, log, "the file is empty")
    head = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = _sniff(head)
    body = head.split("\n", 1)[1] if "\n" in head else ""
    decimal = "," if sep == ";" and re.search(r"\d,\d", body) else "."
    loaded = _csv_fast(where, source, sep, decimal, encoding, ids)
    if loaded is not None:
        return loaded
    return _csv_exact(_whole(where), source, sep, decimal, encoding, log, ids)


def _whole(where: Path | bytes) -> bytes:
    return where if isinstance(where, bytes) else where.read_bytes()


def _count_lines(where: Path | bytes) -> int:
    """Physical lines (a last line without a newline counts), streaming a file in 1 MB reads."""
    if isinstance(where, bytes):
        newlines, last = where.count(b"\n"), where[-1:]
    else:
        newlines, last, buf = 0, b"", bytearray(1 << 20)
        with where.open("rb") as fh:
            while size := fh.readinto(buf):
                newlines += buf.count(b"\n", 0, size)
                last = bytes(buf[size - 1 : size])
    return newlines + (0 if last in (b"\n", b"") else 1)


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
    if _count_lines(where) != len(frame) + 1:
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
        return _empty(source, log, "the file is empty")
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
            return _empty(source, log, "the file is empty")
        return _empty(source, log, "the file has a header line but no rows")
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


def read_jsonl_file(path: Path, log: ProblemLog) -> LoadedCohort:
    """One JSON object per line; bad lines are reported by line number."""
    raw = Path(path).read_bytes()
    source = str(path)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    if not raw.strip():
        return _empty(source, log, "the file is empty")
    records: list[dict] = []
    rows: list[int] = []
    dropped = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            log.add(
                "the line contains bytes that are not valid UTF-8",
                row=number,
                value=line.decode("utf-8", errors="replace"),
                expected="UTF-8 text",
            )
            dropped += 1
            continue
        except json.JSONDecodeError as exc:
            log.add(
                f"the line is not valid JSON ({exc.msg} at character {exc.pos + 1})",
                row=number,
                value=line.decode("utf-8", errors="replace"),
                expected="one JSON object per line",
            )
            dropped += 1
            continue
        if not isinstance(obj, dict):
            log.add(
                f"the line holds a JSON {type(obj).__name__}, not an object",
                row=number,
                value=line.decode("utf-8", errors="replace"),
                expected='one JSON object per line, e.g. {"user_id": "u1", "churn_score": 0.8}',
            )
            dropped += 1
            continue
        records.append(obj)
        rows.append(number)
    frame = pd.DataFrame.from_records(records)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].where(frame[col].notna(), np.nan)
    return LoadedCohort(
        frame, np.asarray(rows, dtype=np.int64), source, np.zeros(len(frame), bool), dropped
    )


def read_parquet_file(path: Path, log: ProblemLog) -> LoadedCohort:
    """A Parquet file; rows are numbered from 1."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise SegmentsError(
            f"{path} cannot be read as Parquet ({exc.__class__.__name__}: {exc})",
            "Check that the file is a complete Parquet export, or give a CSV or JSONL file.",
        ) from exc
    return _records(frame, str(path))


def read_sql(url: str, *, table: str | None, query: str | None, log: ProblemLog) -> LoadedCohort:
    """A table or a query through a SQLAlchemy URL; rows are numbered from 1 in result order."""
    import sqlalchemy as sa

    if bool(table) == bool(query):
        raise SegmentsError(
            "A SQL cohort needs exactly one of --table and --query",
            "e.g. --sql postgresql+psycopg://user@host/db --table at_risk_users",
        )
    source = CohortSource(sql_url=url, table=table, query=query).label
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SegmentsError(
            f"{_hide_password(url)} is not a usable SQLAlchemy URL ({exc})",
            "Use e.g. sqlite:///cohort.db or postgresql+psycopg://user@host:5432/db.",
        ) from exc
    try:
        with engine.connect() as conn:
            if table:
                schema, _, name = table.rpartition(".")
                tbl = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
                frame = pd.read_sql(sa.select(tbl), conn)
            else:
                frame = pd.read_sql(sa.text(query or ""), conn)
    except sa.exc.NoSuchTableError:
        raise SegmentsError(
            f"There is no table {table} at {_hide_password(url)}",
            "Check the --table name (use schema.table for another schema).",
        ) from None
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) else exc
        detail = str(getattr(cause, "orig", None) or cause or exc).strip().splitlines()[0]
        raise SegmentsError(
            f"The cohort could not be read from {source}: {detail}",
            "Check the URL, that the server is reachable, and the table or query.",
        ) from exc
    finally:
        engine.dispose()
    return _records(frame, source)


def _records(frame: pd.DataFrame, source: str) -> LoadedCohort:
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    return LoadedCohort(frame, rows, source, np.zeros(len(frame), bool))


def load_cohort(source: CohortSource, log: ProblemLog) -> LoadedCohort:
    """Read any supported source, rename its columns, and record load problems in `log`."""
    mapping = load_mapping(source.mapping)
    if source.sql_url:
        loaded = read_sql(source.sql_url, table=source.table, query=source.query, log=log)
    elif source.path is None:
        raise SegmentsError("No cohort given", "Pass a FILE, or --sql URL with --table or --query.")
    else:
        path = Path(source.path)
        if not path.is_file():
            raise SegmentsError(
                f"Cohort file {path} does not exist", "Check the path (CSV, Parquet or JSONL)."
            )
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            kind = "parquet" if path.read_bytes()[:4] == b"PAR1" else "csv"
        if kind == "csv":
            ids = frozenset(k for k, v in mapping.items() if v == "user_id")
            loaded = read_csv_file(path, log, ids)
        elif kind == "jsonl":
            loaded = read_jsonl_file(path, log)
        else:
            loaded = read_parquet_file(path, log)
    if len(loaded.frame.columns):
        loaded.renamed = _rename(loaded.frame, mapping, log)
        unused = sorted(set(mapping) - set(loaded.renamed) - set(loaded.frame.columns))
        for name in unused:
            log.add(
                f"the mapping renames '{name}', but the source has no such column",
                column=name,
                expected="a column present in the source",
            )
    return loaded
