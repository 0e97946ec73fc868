"""Numbered schema migrations, recorded in the `migrations` table (as in simonw/llm).

`migrate(engine)` applies, in order and in one transaction (DDL is
transactional on SQLite and PostgreSQL), every migration whose name is not yet
recorded; running it again does nothing. On
PostgreSQL an advisory lock serializes concurrent migrators (several workers
starting at once). A database that records a migration this code does not know
was written by a newer winback: it is refused with a clear error instead of
being written with an older idea of the schema.

Rules for changing the schema: never edit a released migration; add
`m00N_what_it_does` below and update `schema.py` to match. The schema pin test
(`tests/store/test_schema.py`) fails on any change, so the diff is reviewed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, inspect, select, text

from agent.errors import WinbackError
from agent.store import schema

Migration = Callable[[Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []

# on PostgreSQL: an arbitrary constant key for pg_advisory_xact_lock
_LOCK_KEY = 0x57494E42  # "WINB"


def migration(fn: Migration) -> Migration:
    """Register a migration; its name (`mNNN_...`) orders it."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def version_of(name: str) -> int:
    """The number of a migration name: `m002_x` -> 2."""
    return int(name[1:].split("_", 1)[0])


def _create_tables(conn: Connection, names: tuple[str, ...]) -> None:
    """Create these tables of the current schema (those that do not exist yet)."""
    schema.metadata.create_all(conn, tables=[schema.metadata.tables[name] for name in names])


def _add_column(conn: Connection, table: str, column: str) -> None:
    """Add the current schema's `table.column` unless the table has it.

    m001 builds tables from the current schema, so a new database has it already.
    """
    if column in {c["name"] for c in inspect(conn).get_columns(table)}:
        return
    kind = schema.metadata.tables[table].c[column].type.compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


@migration
def m001_initial_tables(conn: Connection) -> None:
    """batches, drafts, audit_log, contacts as of winback 0.1."""
    _create_tables(conn, schema.TABLES)


@migration
def m002_audit_log_append_only(conn: Connection) -> None:
    """Triggers that reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) of audit_log."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION winback_audit_log_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'audit_log is append-only (% rejected)', TG_OP; "
                "END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION winback_audit_log_append_only()"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                "FOR EACH STATEMENT EXECUTE FUNCTION winback_audit_log_append_only()"
            )
        )
        return
    for op in ("UPDATE", "DELETE"):
        conn.execute(
            text(
                f"CREATE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only ({op} rejected)'); END"
            )
        )


@migration
def m003_draft_personalization(conn: Connection) -> None:
    """drafts.personalization: the first name and values a reviewer's edit is re-checked with."""
    _add_column(conn, "drafts", "personalization")


@migration
def m004_web_accounts_and_variant_decisions(conn: Connection) -> None:
    """The web app's accounts, sessions and login attempts; variant decisions; batches.run_by."""
    _add_column(conn, "batches", "run_by")
    _create_tables(conn, schema.WEB_TABLES)


@migration
def m005_outcomes_and_global_holdouts(conn: Connection) -> None:
    """Imported outcomes per (batch, user) and the users a batch held out for the global control."""
    _create_tables(conn, schema.LIFT_TABLES)


@migration
def m006_draft_provenance(conn: Connection) -> None:
    """drafts.provenance: prompt version, model, candidates, revision and quality score."""
    _add_column(conn, "drafts", "provenance")


LATEST = max(version_of(name) for name, _ in MIGRATIONS)


def applied(conn: Connection) -> list[str]:
    """Names of the migrations recorded in this database (empty for a new one)."""
    if not inspect(conn).has_table("migrations"):
        return []
    return list(conn.execute(select(schema.migrations.c.name)).scalars())


def _check_not_newer(names: list[str], url: str) -> None:
    known = {name for name, _ in MIGRATIONS}
    unknown = sorted(set(names) - known)
    if unknown:
        newest = max(version_of(n) for n in unknown)
        raise WinbackError(
            f"The queue database {url} is at schema version {newest} "
            f"(migration {unknown[-1]}), newer than this winback knows (version {LATEST})",
            "Upgrade winback (pip install -U winback) or point --db / WINBACK_DATABASE_URL "
            "at another database.",
        )


def migrate(engine: Engine, url_for_errors: str | None = None) -> list[str]:
    """Apply the pending migrations; return the names applied now."""
    url = url_for_errors or engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        done = applied(conn)
    _check_not_newer(done, url)
    if len(done) == len(MIGRATIONS):
        return []
    ran: list[str] = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        schema.migrations.create(conn, checkfirst=True)
        done = applied(conn)
        _check_not_newer(done, url)
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            fn(conn)
            conn.execute(schema.migrations.insert().values(name=name, applied_at=datetime.now(UTC)))
            ran.append(name)
    return ran
