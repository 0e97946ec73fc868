"""Cohort selection pushed down to the database: only the selected users come back.

`select_in_database(source, ...)` reads nothing but the table's column list,
then sends the database one query that counts (total rows, rows matching the
rule, each suppression reason, the kept users per arm) and, when asked, one
streamed query that returns the selected rows with their `arm` and an
`eligible_<channel>` flag per channel, `chunk_size` rows at a time:

    SELECT <columns>, <arm CASE over digest>, <eligible per channel>
    FROM (SELECT <columns>, <sha256 digest> AS digest, <eligible per channel>
          FROM cohort
          WHERE <rule> AND <at least one channel eligible>
          OFFSET 0) AS selected

(`OFFSET 0` keeps the database from inlining the digest into each branch of
the CASE, which would hash a row twice.) On PostgreSQL with psycopg the rows
come back through COPY (`pg_copy`). The rule is `rule_sql.compile_rule` (same
type errors as for files), the arm is `arm_sql.arm_of_digest` over
`arm_sql.user_digest` (bit-identical to `experiment_arms`), the suppression is
`suppression_sql`. Source columns are matched to ours as for
files (the mapping, then known names case-insensitively). A 50-million-row
table never crosses the network; the winback process holds one chunk.

Where the run should call it: instead of `read_cohort` + `evaluate_rule` +
`suppress` + `assign_arms` when the cohort is `--sql URL --table T`; the
contacts that live in the queue (another database) are applied to the
returned rows with `suppression.suppress` as before.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from segments.cohort_sql import database_errors, open_engine, reflect_table, without_jit
from segments.column_mapping import load_mapping
from segments.errors import SegmentsError
from segments.experiment_arms import ARMS, check_arm_settings, sample_ratio_mismatch
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
    """The counts of a pushed-down selection, and the selected rows on demand."""

    source: str
    total: int
    matched: int
    kept: int
    reasons: dict[str, int]
    arms: dict[str, int]
    fractions: dict[str, float]
    notes: list[str] = field(default_factory=list)
    _query: sa.Select | None = None
    _url: str = ""
    chunk_size: int = DEFAULT_CHUNK

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

    def chunks(self) -> Iterator[pd.DataFrame]:
        """The selected rows (with `arm` and `eligible_<channel>`), streamed in chunks
        (through COPY on PostgreSQL with psycopg: `segments.pg_copy`)."""
        if self._query is None:  # pragma: no cover - built by select_in_database
            return
        engine = open_engine(self._url)
        try:
            with database_errors(self.source), engine.connect() as conn:
                if copy_supported(engine):
                    without_jit(conn)
                    yield from copy_chunks(conn, self._query, self.chunk_size)
                    return
                result = conn.execution_options(stream_results=True).execute(self._query)
                keys = list(result.keys())
                for part in result.partitions(self.chunk_size):
                    yield pd.DataFrame.from_records(part, columns=keys)
        finally:
            engine.dispose()

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
    """Count and (lazily) fetch the users a run would message, computed in the database."""
    if not source.sql_url or not source.table:
        raise SegmentsError(
            "Pushdown needs --sql URL and --table", "e.g. --sql duckdb:///crm.duckdb --table users"
        )
    if chunk_size < 1:
        raise SegmentsError(f"Chunk size {chunk_size} is not positive", "Use e.g. 50000.")
    url, label = source.sql_url, source.label
    mapping = load_mapping(source.mapping)
    engine = open_engine(url)
    try:
        with database_errors(label), engine.connect() as conn:
            without_jit(conn)
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
                          dialect=engine.dialect.name)  # fmt: skip
            counts = _counts(conn, table, matched, sup.reasons, sup.keep, digest, arm)
    finally:
        engine.dispose()
    picked = [c.label(name) for name, c in columns.items()]
    flags = [sa.case((e, sa.true()), else_=sa.false()).label(f"eligible_{ch}")
             for ch, e in sup.eligible.items()]  # fmt: skip
    # OFFSET 0 keeps the subquery whole, so each row is hashed once (see _counts)
    inner = (
        sa.select(*picked, digest.label("arm_digest"), *flags)
        .where(matched, sup.keep)
        .offset(0)
        .subquery("selected")
    )
    data = [inner.c[name] for name in columns]
    eligible = [inner.c[f.name] for f in flags]
    query = sa.select(*data, arm(inner.c.arm_digest).label("arm"), *eligible)
    return DatabaseSelection(
        source=label,
        total=counts.pop("total"),
        matched=counts.pop("matched"),
        kept=counts.pop("kept"),
        reasons={r: counts.pop(f"reason_{r}") for r in sup.reasons},
        arms={a: counts.pop(f"arm_{a}") for a in ARMS},
        fractions={
            "control": control,
            "baseline": baseline,
            "treatment": 1 - control - baseline,
        },
        notes=sup.notes,
        _query=query,
        _url=url,
        chunk_size=chunk_size,
    )


def _counts(conn, table, matched, reasons, keep, digest, arm) -> dict[str, int]:
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
    row = conn.execute(sa.select(*cols).select_from(sub)).one()
    return {k: int(v) for k, v in row._mapping.items()}
