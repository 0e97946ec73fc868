"""Cohort selection pushed down to the database: only the selected users come back.

`select_in_database(source, ...)` reads nothing but the table's column list
and compiles the rule (same type errors as for files), the suppression and
the arms into queries; nothing is counted or fetched until it is asked for:

- `chunks()` (and `write_csv`) streams the rows the rule matches, `chunk_size`
  at a time, each with its suppression flags and, for the kept ones, the arm,
  and yields only the kept rows (with `arm` and `eligible_<channel>`); the
  counts (rule matches, each suppression reason, kept users per arm) are
  added up from that same stream, and one `count(*)` gives the table's rows.
  One scan of the table serves both, and the arm's sha256 runs in the
  database's parallel workers. A matched user whom suppression removes
  comes back as flags only: their columns are NULL in the query.

      SELECT <columns if kept>, <arm CASE over digest>, <eligible per channel>,
             <kept flag>, <one flag per reason>
      FROM (SELECT <columns>, CASE WHEN <kept> THEN <sha256 digest> END AS digest, ...
            FROM cohort WHERE <rule> OFFSET 0) AS matched

  (`OFFSET 0` keeps the database from inlining the digest into each branch of
  the CASE, which would hash a row twice.) On PostgreSQL with psycopg the rows
  come back through binary COPY read into Arrow by the ADBC driver
  (`pg_arrow_copy`), or through CSV COPY (`pg_copy`) for column types Arrow
  is not mapped for here.
- the counts alone (`total`, `matched`, `kept`, `reasons`, `arms`, `as_dict`)
  before any row was streamed are one aggregate query (`_counts`): no row
  crosses the network.

The rule is `rule_sql.compile_rule`, the arm is `arm_sql.arm_of_digest` over
`arm_sql.user_digest` (bit-identical to `experiment_arms`), the suppression is
`suppression_sql`. Source columns are matched to ours as for files (the
mapping, then known names case-insensitively). A 50-million-row table never
crosses the network; the winback process holds one chunk.

Where the run should call it: instead of `read_cohort` + `evaluate_rule` +
`suppress` + `assign_arms` when the cohort is `--sql URL --table T`; the
contacts that live in the queue (another database) are applied to the
returned rows with `suppression.suppress` as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from segments.arm_sql import arm_of_digest, user_digest
from segments.cohort_schema import COLUMNS, REQUIRED
from segments.cohort_source import CohortSource
from segments.cohort_sql import connected, reflect_table, without_jit
from segments.column_mapping import load_mapping
from segments.errors import SegmentsError
from segments.experiment_arms import ARMS, check_arm_settings, sample_ratio_mismatch
from segments.pg_arrow_copy import arrow_copy_chunks, arrow_copy_supported
from segments.pg_copy import copy_chunks, copy_supported
from segments.rule_sql import compile_rule
from segments.suppression_sql import suppression_predicates

DEFAULT_CHUNK = 50_000


def our_columns(table: sa.Table, mapping: dict[str, str]) -> dict[str, sa.ColumnElement]:
    """The table's columns under our names: the mapping first, then known names by case."""
    known = {k.lower(): k for k in COLUMNS}
    out: dict[str, sa.ColumnElement] = {}
    for col in table.columns:
        name = mapping.get(col.name) or known.get(col.name.lower(), col.name)
        if name in out:
            raise SegmentsError(
                f"Two columns of {table.name} both become '{name}'",
                "Rename one of them in the column mapping (--mapping).",
            )
        out[name] = col
    missing = [c for c in REQUIRED if c not in out]
    if missing:
        raise SegmentsError(
            f"Table {table.name} has no column {', '.join(missing)} "
            f"(columns: {', '.join(c.name for c in table.columns)})",
            f"Map one with --mapping (a YAML file with `their_name: {missing[0]}`).",
        )
    return out


@dataclass
class DatabaseSelection:
    """A pushed-down selection: the selected rows on demand, and their counts (see module doc)."""

    source: str
    fractions: dict[str, float]
    columns: list[str]  # the data columns of each row, our names
    reason_names: list[str]
    notes: list[str] = field(default_factory=list)
    chunk_size: int = DEFAULT_CHUNK
    _url: str = ""
    _rows: sa.Select | None = None  # the rule's matches, with flags (module doc)
    _total: sa.Select | None = None  # count(*) of the table
    _aggregate: sa.Select | None = None  # every count at once, no row fetched
    _counts: dict[str, int] | None = None

    @property
    def total(self) -> int:
        """Rows of the table."""
        return self._count("total")

    @property
    def matched(self) -> int:
        """Rows the rule matched."""
        return self._count("matched")

    @property
    def kept(self) -> int:
        """Matched users with at least one channel left after suppression."""
        return self._count("kept")

    @property
    def reasons(self) -> dict[str, int]:
        """Matched users per suppression reason."""
        return {r: self._count(f"reason_{r}") for r in self.reason_names}

    @property
    def arms(self) -> dict[str, int]:
        """Kept users per arm."""
        return {a: self._count(f"arm_{a}") for a in ARMS}

    @property
    def srm_p_value(self) -> float | None:
        """Chi-square p-value of the arm counts against the fractions."""
        return sample_ratio_mismatch(self.arms, self.fractions).get("p_value")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "source": self.source,
            "rows": self.total,
            "rule_matched": self.matched,
            "kept": self.kept,
            "suppression": self.reasons,
            "arms": self.arms,
            "srm_p_value": self.srm_p_value,
            "notes": self.notes,
        }

    def _count(self, name: str) -> int:
        if self._counts is None:  # nothing streamed yet: count in the database
            with self._connection() as conn:
                row = conn.execute(self._aggregate).one()
            self._counts = {k: int(v) for k, v in row._mapping.items()}
        return self._counts[name]

    @contextmanager
    def _connection(self) -> Iterator[sa.Connection]:
        with connected(self._url, self.source) as conn:
            without_jit(conn)
            yield conn

    def chunks(self) -> Iterator[pd.DataFrame]:
        """The selected rows (with `arm` and `eligible_<channel>`), streamed in chunks
        (module doc: Arrow through ADBC, CSV COPY or a cursor); the counts are added up
        on the way."""
        flags = ["kept", *(f"reason_{r}" for r in self.reason_names)]
        counts = dict.fromkeys(["matched", *flags, *(f"arm_{a}" for a in ARMS)], 0)
        integers = [c.name for c in self._rows.selected_columns if isinstance(c.type, sa.Integer)]
        with self._connection() as conn:
            for part in self._matched_rows(conn):
                kept = part["kept"].to_numpy(dtype=bool)
                counts["matched"] += len(part)
                for name in flags:
                    counts[name] += int(part[name].sum())
                out = part.loc[kept].drop(columns=flags).reset_index(drop=True)
                for name in integers:  # a suppressed row's NULLs made the column float
                    if name in out and out[name].notna().all():
                        out[name] = out[name].astype("int64")
                for arm, n in out["arm"].value_counts().items():
                    counts[f"arm_{arm}"] += int(n)
                yield out
            counts["total"] = int(conn.execute(self._total).scalar_one())
        self._counts = counts

    def _matched_rows(self, conn: sa.Connection) -> Iterator[pd.DataFrame]:
        if arrow_copy_supported(conn, self._rows):
            yield from arrow_copy_chunks(conn, self._rows, self.chunk_size)
            return
        if copy_supported(conn.engine):
            yield from copy_chunks(conn, self._rows, self.chunk_size)
            return
        result = conn.execution_options(stream_results=True).execute(self._rows)
        keys = list(result.keys())
        for part in result.partitions(self.chunk_size):
            yield pd.DataFrame.from_records(part, columns=keys)

    def write_csv(self, path: Path) -> int:
        """Stream the selected rows to a CSV file (written whole or not at all); rows written."""
        path = Path(path)
        partial = path.with_name(path.name + ".partial")
        written = 0
        try:
            for i, chunk in enumerate(self.chunks()):
                chunk.to_csv(partial, mode="a" if i else "w", header=not i, index=False)
                written += len(chunk)
            if not written:
                partial.write_text("")
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return written


def select_in_database(
    source: CohortSource,
    *,
    rule: str | None,
    channels: list[str],
    salt: str,
    control: float = 0.10,
    baseline: float = 0.10,
    suppression_table: str | None = None,
    cap_days: int = 7,
    cap_scope: str = "user",
    now: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> DatabaseSelection:
    """The users a run would message, computed in the database: counted and fetched lazily
    (module doc); every error in the rule, the tables or the settings is raised here."""
    if not source.sql_url or not source.table:
        raise SegmentsError(
            "Pushdown needs --sql URL and --table", "e.g. --sql duckdb:///crm.duckdb --table users"
        )
    if chunk_size < 1:
        raise SegmentsError(f"Chunk size {chunk_size} is not positive", "Use e.g. 50000.")
    url, label = source.sql_url, source.label
    mapping = load_mapping(source.mapping)
    with connected(url, label) as conn:
        without_jit(conn)
        dialect = conn.dialect
        table = reflect_table(conn, source.table, url)
        contacts = reflect_table(conn, suppression_table, url) if suppression_table else None
        if contacts is not None and "user_id" not in contacts.c:
            raise SegmentsError(
                f"Suppression table {suppression_table} has no user_id column",
                "Name the column user_id; channel and contacted_at are optional.",
            )
        if contacts is not None and "contacted_at" not in contacts.c:
            # a plain list of ids: every user in it is suppressed outright
            never = sa.cast(sa.null(), sa.DateTime).label("contacted_at")
            contacts = sa.select(contacts.c.user_id, never).subquery()
        columns = our_columns(table, mapping)
        matched = compile_rule(rule, columns) if rule and rule.strip() else sa.true()
        sup = suppression_predicates(
            columns, channels, now=now or datetime.now(UTC), cap_days=cap_days,
            cap_scope=cap_scope, contacts=contacts,
        )  # fmt: skip
        check_arm_settings(salt, control, baseline)
        digest = user_digest(columns["user_id"], salt=salt)
        arm = partial(arm_of_digest, control=control, baseline=baseline,
                      dialect=dialect.name)  # fmt: skip
    picked = [c.label(name) for name, c in columns.items()]
    eligible = [sa.case((e, sa.true()), else_=sa.false()).label(f"eligible_{ch}")
                for ch, e in sup.eligible.items()]  # fmt: skip
    flags = [
        sa.case((sup.keep, 1), else_=0).label("kept"),
        *[sa.case((e, 1), else_=0).label(f"reason_{r}") for r, e in sup.reasons.items()],
    ]
    # OFFSET 0 keeps the subquery whole, so each kept row is hashed once, in the scan
    inner = (
        sa.select(*picked, sa.case((sup.keep, digest)).label("arm_digest"), *eligible, *flags)
        .where(matched)
        .offset(0)
        .subquery("matched")
    )
    kept = inner.c.kept == 1  # a suppressed user's data stays in the database: NULLs and flags
    rows = sa.select(
        *[sa.case((kept, inner.c[name])).label(name) for name in columns],
        arm(inner.c.arm_digest).label("arm"),  # a row without a digest is not kept: dropped
        *[inner.c[c.name] for c in (*eligible, *flags)],
    )
    total = sa.select(sa.func.count()).select_from(table)
    aggregate = _counts(table, matched, sup.reasons, sup.keep, digest, arm)
    for query in (rows, aggregate):
        query.compile(dialect=dialect)  # a dialect without sha256 fails here, not later
    return DatabaseSelection(
        source=label,
        fractions={
            "control": control,
            "baseline": baseline,
            "treatment": 1 - control - baseline,
        },
        columns=list(columns),
        reason_names=list(sup.reasons),
        notes=sup.notes,
        chunk_size=chunk_size,
        _url=url,
        _rows=rows,
        _total=total,
        _aggregate=aggregate,
    )


def _counts(table, matched, reasons, keep, digest, arm) -> sa.Select:
    """One aggregate query: totals, each reason among rule-matched rows, arms among kept.

    The table's row count is its own (parallel) scan; the reasons, the kept flag and the
    digest (a sha256) are computed only for the rows the rule matched, the digest only
    for the kept ones. `OFFSET 0` keeps the subquery from being merged into the outer
    query, where each arm's FILTER would hash the row again (3-6 hashes a row)."""
    flags = [
        sa.case((keep, 1), else_=0).label("kept"),
        sa.case((keep, digest), else_=None).label("digest"),
        *[sa.case((e, 1), else_=0).label(f"reason_{r}") for r, e in reasons.items()],
    ]
    sub = sa.select(*flags).select_from(table).where(matched).offset(0).subquery()
    total = sa.select(sa.func.count()).select_from(table).scalar_subquery()
    cols = [total.label("total"), sa.func.count().label("matched")]
    cols += [sa.func.coalesce(sa.func.sum(c), 0).label(c.name) for c in sub.c if c.name != "digest"]
    hashed = sub.c.digest.is_not(None)
    cols += [sa.func.count().filter(hashed, arm(sub.c.digest) == a).label(f"arm_{a}") for a in ARMS]
    return sa.select(*cols).select_from(sub)
