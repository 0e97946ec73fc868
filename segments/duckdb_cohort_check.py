"""`cohort check` of a CSV file inside DuckDB: one scan decides "clean", counts and scores.

The pandas path (`cohort_validation`) reads the whole file into a frame, then
types and checks each column. For a clean file, the report it prints needs
none of the rows: counts, the coverage of each column, the churn-score
distribution and how many rows a rule selects. DuckDB computes all of that
in one parallel scan of the file (`csv_scan_plan`), every column read as
text and checked by a SQL predicate that mirrors `_check_column`:

- numbers and counts: `TRY_CAST(v AS DOUBLE)`, finite, in range, whole;
- ids: not blank, no surrounding whitespace, `count(DISTINCT id) = count(*)`;
- dates: an ISO 8601 shape DuckDB and pandas both read the same way;
- booleans, time zones and locales: their distinct values (a `histogram`),
  checked in Python with the pandas path's own tokens, zone list and regex.

The scan is built to be *conservative*: it answers "clean" only when the
pandas path would find no problem and type every value the same way. Every
other file (a problem in any row, a value the two parsers might read
differently such as `1_000`, ` true` or `nan`, a ragged row, a blank line, a
field spanning lines, a column whose type is not settled) makes
`check_csv_in_duckdb` return None, and the caller runs the pandas path, which
names every problem by row and column with the usual messages. So problems
are always reported by one implementation, and the clean answer is always
the same as pandas'.

Types of the columns we do not know ("features") follow pandas' inference:
a column is text as soon as one value is neither a number nor true/false
(the first 2,048 rows usually show it); a number or boolean column is
verified over the whole file; anything in between is left to pandas.
The rule is type-checked and compiled with `rule_sql` (so the same errors and
the same three-valued logic) over the typed columns. The score distribution
is computed by the same `score_stats` from the scores DuckDB returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sqlalchemy as sa

from segments.cohort_schema import COLUMNS, REQUIRED, ColumnSpec
from segments.cohort_source import NA_TOKENS
from segments.cohort_values import (
    FALSE_TOKENS,
    ISO_DATE,
    TRUE_TOKENS,
    WHITESPACE,
    distinct_values_pass,
)
from segments.csv_scan_plan import CsvScan, ScanCheck, plan_csv_scan

SAMPLE_ROWS = 2048
RULE_KIND = {"id": "string", "string": "string", "number": "number", "count": "number",
             "boolean": "boolean", "datetime": "datetime"}  # fmt: skip
SA_TYPE = {"string": sa.Text, "number": sa.Double, "boolean": sa.Boolean,
           "datetime": lambda: sa.DateTime(timezone=True)}  # fmt: skip


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def table_function(scan: CsvScan) -> str:
    """The `read_csv(...)` call: all text, pandas' NA tokens, strict field counts."""
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in scan.columns)
    nulls = ", ".join(sql_string(t) for t in NA_TOKENS)
    return (
        f"read_csv({sql_string(str(scan.path))}, header = true, auto_detect = false, "
        f"delim = {sql_string(scan.sep)}, quote = '\"', escape = '\"', "
        f"strict_mode = true, null_padding = false, nullstr = [{nulls}], "
        f"columns = {{{types}}})"
    )


class _Sql:
    """SQL predicates and typed values over the text columns of one scan."""

    def __init__(self, scan: CsvScan) -> None:
        self.scan = scan
        self.ws = sql_string(WHITESPACE)

    def num(self, c: str) -> str:
        """The column's number, cast once per row in `source()` (x3 for column c3)."""
        return "x" + c[1:]

    def cast(self, c: str) -> str:
        text = f"replace({c}, ',', '.')" if self.scan.decimal == "," else c
        return f"TRY_CAST({text} AS DOUBLE)"

    def source(self) -> str:
        """The scan with each column also cast to a number (DuckDB drops the unused casts)."""
        casts = ", ".join(f"{self.cast(c)} AS {self.num(c)}" for c in self.scan.columns)
        return f"(SELECT *, {casts} FROM {table_function(self.scan)})"

    def number_ok(self, c: str) -> str:
        """A number both parsers read alike (DuckDB also takes 1_000 and nan; pandas does not)."""
        x = self.num(c)
        return f"({x} IS NOT NULL AND NOT contains({c}, '_') AND NOT isnan({x}))"

    def feature_number_ok(self, c: str) -> str:
        """A value pandas' reader makes a number (with a decimal comma, 1.5 stays text)."""
        dot = f" AND NOT contains({c}, '.')" if self.scan.decimal == "," else ""
        return f"({self.number_ok(c)}{dot})"

    def surely_text(self, c: str) -> str:
        """A value no parser reads as a number or a boolean: its column is text in pandas."""
        parses = f"{self.num(c)} IS NOT NULL"
        if self.scan.decimal == ",":
            parses += f" OR TRY_CAST({c} AS DOUBLE) IS NOT NULL"
        words = "['true', 'false']"
        return (
            f"CASE WHEN {c} IS NULL OR {parses} OR list_contains({words}, lower({c})) THEN false "
            f"ELSE NOT list_contains({words}, lower(trim({c}, {self.ws}))) END"
        )

    def bool_feature_ok(self, c: str) -> str:
        return f"({c} IS NOT NULL AND list_contains(['true', 'false'], lower({c})))"

    def problem(self, spec: ColumnSpec, c: str) -> str:
        """True for a value the pandas path would flag (or might read differently)."""
        if spec.kind == "id":
            # printable ASCII at both ends cannot be stripped: the unicode trim is skipped
            ends = f"ord({c}) BETWEEN 33 AND 126 AND ord(right({c}, 1)) BETWEEN 33 AND 126"
            strip = f"trim({c}, {self.ws}) <> {c}"
            return f"CASE WHEN {c} IS NULL THEN true WHEN {ends} THEN false ELSE {strip} END"
        if spec.kind in ("number", "count"):
            x = self.num(c)
            ok = [f"isfinite({x})", f"NOT contains({c}, '_')"]
            if spec.minimum is not None:
                ok.append(f"{x} >= {spec.minimum!r}")
            if spec.maximum is not None:
                ok.append(f"{x} <= {spec.maximum!r}")
            if spec.kind == "count":
                ok.append(f"{x} = floor({x})")
            blank = "true" if spec.required else "false"
            return (
                f"CASE WHEN {c} IS NULL THEN {blank} WHEN {x} IS NULL THEN true "
                f"ELSE NOT ({' AND '.join(ok)}) END"
            )
        if spec.kind == "datetime":
            shape = f"regexp_full_match({c}, {sql_string(ISO_DATE)})"
            ok = f"{shape} AND TRY_CAST({c} AS TIMESTAMPTZ) IS NOT NULL"
            return f"({c} IS NOT NULL AND NOT coalesce({ok}, false))"
        return "false"

    def typed(self, kind: str, c: str, known: bool) -> str:
        """The value the pandas path would hold, as a DuckDB expression."""
        if kind == "number":
            return self.num(c)
        if kind == "boolean" and known:
            yes, no = sql_list(sorted(TRUE_TOKENS)), sql_list(sorted(FALSE_TOKENS))
            stripped = f"lower(trim({c}, {self.ws}))"
            return (
                f"CASE WHEN list_contains({yes}, lower({c})) THEN true "
                f"WHEN list_contains({no}, lower({c})) THEN false "
                f"WHEN list_contains({yes}, {stripped}) THEN true "
                f"WHEN list_contains({no}, {stripped}) THEN false END"
            )
        if kind == "boolean":
            return f"(lower({c}) = 'true')"  # pandas reads True/TRUE/true (any case) as bool
        if kind == "datetime":
            return f"TRY_CAST({c} AS TIMESTAMPTZ)"
        return c


def sql_list(values: list[str]) -> str:
    """A DuckDB list literal of strings (list_contains: IN lists become hash joins)."""
    return "[" + ", ".join(sql_string(v) for v in values) + "]"


def _sample_types(con, scan: CsvScan, sql: _Sql) -> dict[int, str] | None:
    """A type per column from the first rows: 'string' (settled), or a guess to verify."""
    parts = []
    for name, c in zip(scan.names, scan.columns, strict=True):
        parts += [f"bool_or({sql.surely_text(c)})", f"count({c})"]
        if name in COLUMNS:
            parts += ["0", "0"]
        else:
            parts += [
                f"count(*) FILTER (WHERE {sql.feature_number_ok(c)})",
                f"count(*) FILTER (WHERE {sql.bool_feature_ok(c)})",
            ]
    query = (
        f"SELECT count(*), {', '.join(parts)} FROM "
        f"(SELECT * FROM {sql.source()} LIMIT {SAMPLE_ROWS})"
    )
    row = con.execute(query).fetchone()
    total, out = row[0], {}
    for i, name in enumerate(scan.names):
        text, present, numbers, booleans = row[1 + 4 * i : 5 + 4 * i]
        if text:
            out[i] = "string"
        elif name in COLUMNS:
            out[i] = "unsettled"  # a known text column with no text yet: verified in the scan
        elif present == 0:
            out[i] = "empty"
        elif numbers == present:
            out[i] = "number"
        elif booleans == present == total:
            out[i] = "boolean"
        else:
            return None  # numbers mixed with true/false, booleans with blanks: pandas decides
    return out


def check_csv_in_duckdb(
    path: Path, mapping: dict[str, str], rule: str | None
) -> tuple[CsvScan, ScanCheck] | None:
    """Scan a CSV cohort in DuckDB; None unless the file is clean and typed like pandas would."""
    import duckdb

    from segments.rule_sql import compile_rule
    from segments.rule_tokens import RuleError

    scan = plan_csv_scan(path, mapping)
    if scan is None or any(c not in scan.names for c in REQUIRED):
        return None
    sql = _Sql(scan)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # DuckDB rewrites long constant lists as hash joins that evaluate every branch of a
        # CASE; the lists here are short, and the CASEs keep the unicode trim off clean rows
        con.execute("SET disabled_optimizers = 'in_clause'")
        sampled = _sample_types(con, scan, sql)
        if sampled is None:
            return None
        problems, typed, kinds, extra, listed = [], [], {}, [], []
        for i, (name, c) in enumerate(zip(scan.names, scan.columns, strict=True)):
            spec = COLUMNS.get(name)
            guess = sampled[i]
            if spec is not None:
                problems.append(sql.problem(spec, c))
                kinds[name] = RULE_KIND[spec.kind]
                if kinds[name] == "string" and guess != "string" and spec.kind != "id":
                    extra.append(f"(count({c}) = 0 OR bool_or({sql.surely_text(c)}))")
                if spec.kind == "boolean" or name in ("timezone", "locale"):
                    # histogram, not DISTINCT: a DISTINCT aggregate makes DuckDB materialize
                    # every row in a CTE first
                    listed.append((name, f"map_keys(histogram({c}))"))
            elif guess == "number":
                problems.append(f"({c} IS NOT NULL AND NOT {sql.feature_number_ok(c)})")
                kinds[name] = "number"
            elif guess == "boolean":
                problems.append(f"NOT coalesce({sql.bool_feature_ok(c)}, false)")
                kinds[name] = "boolean"
            elif guess == "empty":
                problems.append(f"({c} IS NOT NULL)")  # all blank in pandas: a float column
                kinds[name] = "number"
            else:
                kinds[name] = "string"
            typed.append(f"{sql.typed(kinds[name], c, spec is not None)} AS t{i}")
        params: list = []
        rule_count = "NULL"
        if rule:
            table = sa.table("cohort", *[sa.column(f"t{i}", SA_TYPE[kinds[n]]())
                                         for i, n in enumerate(scan.names)])  # fmt: skip
            try:
                predicate = compile_rule(
                    rule, {n: table.c[f"t{i}"] for i, n in enumerate(scan.names)}
                )
            except RuleError:
                return None  # the pandas path raises it (or reports the file's problems)
            rule_count, params = _render(predicate)
            rule_count = f"count(*) FILTER (WHERE {rule_count})"  # count_if is NULL on no rows
        uid = scan.columns[scan.names.index("user_id")]
        score = f"t{scan.names.index('churn_score')}"
        counts = ", ".join(f"count({c})" for c in scan.columns)
        checks = " AND ".join(extra) if extra else "true"
        lists = "".join(f", {expr}" for _, expr in listed)
        query = (
            f"SELECT count(*), count(*) FILTER (WHERE {' OR '.join(problems)}), list(hash({uid})), "
            f"{checks}, {rule_count}, list({score}){lists}, {counts} FROM "
            f"(SELECT *, {', '.join(typed)} FROM {sql.source()}) AS cohort"
        )
        fetched = con.execute(query, params).fetchnumpy()
        row = [None if v[0] is np.ma.masked else v[0] for v in fetched.values()]
    except duckdb.Error:
        return None  # ragged rows, bytes that are not UTF-8, quotes left open: pandas names them
    finally:
        con.close()
    rows, bad, hashes, settled, selected, scores = row[:6]
    if rows == 0 or bad or not settled or not _distinct(hashes):
        return None
    for (name, _), values in zip(listed, row[6 : 6 + len(listed)], strict=True):
        found = [str(v) for v in (values if values is not None else [])]
        if not distinct_values_pass(COLUMNS[name].kind, name, found):
            return None
    if scan.line_count() != rows + 1:
        return None  # a blank line or a field spanning lines: pandas numbers those rows
    present = row[6 + len(listed) :]
    columns = [
        {
            "column": name,
            "known": name in COLUMNS,
            "type": COLUMNS[name].kind if name in COLUMNS else kinds[name],
            "non_null": int(n),
            "coverage": round(int(n) / rows, 4),
        }
        for name, n in zip(scan.names, present, strict=True)
    ]
    values = np.asarray(scores if scores is not None else [], dtype="float64")
    return scan, ScanCheck(int(rows), columns, values, None if selected is None else int(selected))


def _distinct(hashes: np.ndarray) -> bool:
    """True when the 64-bit hashes of the ids differ, so the ids do (a collision, or a
    duplicate id, sends the file to the pandas path, which names the duplicates)."""
    values = np.sort(np.asarray(hashes, dtype=np.uint64))
    return bool(values.size < 2 or (values[1:] != values[:-1]).all())


def _render(predicate: sa.ColumnElement) -> tuple[str, list]:
    """A SQLAlchemy predicate as DuckDB SQL with positional ($1, $2...) parameters."""
    from duckdb_engine import Dialect

    compiled = predicate.compile(
        dialect=Dialect(paramstyle="numeric_dollar"), compile_kwargs={"render_postcompile": True}
    )
    values = compiled.construct_params()
    return str(compiled), [values[k] for k in compiled.positiontup or []]
