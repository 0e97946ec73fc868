"""The schema is pinned, migrations are idempotent and refuse newer databases,
and the audit log cannot be rewritten, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from typer.testing import CliRunner

from agent.cli import app
from agent.store import migrations, open_store
from agent.store.audit import append_audit
from agent.store.rows import utcnow
from agent.store.schema import audit_log, drafts

HERE = Path(__file__).parent


def schema_dump(engine: Engine) -> str:
    """Tables, columns (dialect types), keys, indexes and checks, one line each, sorted."""
    insp = inspect(engine)
    lines = []
    for table in sorted(insp.get_table_names()):
        pk = set(insp.get_pk_constraint(table)["constrained_columns"])
        for col in insp.get_columns(table):
            kind = col["type"].compile(dialect=engine.dialect)
            null = "NULL" if col["nullable"] else "NOT NULL"
            lines.append(f"{table}.{col['name']} {kind} {null}{' PK' if col['name'] in pk else ''}")
        for ix in insp.get_indexes(table):
            unique = "UNIQUE " if ix["unique"] else ""
            lines.append(f"{table} {unique}INDEX {ix['name']} ({', '.join(ix['column_names'])})")
        for uq in insp.get_unique_constraints(table):
            lines.append(f"{table} UNIQUE {uq['name']} ({', '.join(uq['column_names'])})")
        for fk in insp.get_foreign_keys(table):
            cols, ref = ", ".join(fk["constrained_columns"]), fk["referred_table"]
            lines.append(f"{table} FK ({cols}) -> {ref}({', '.join(fk['referred_columns'])})")
        for ck in insp.get_check_constraints(table):
            lines.append(f"{table} CHECK {ck['name']}")
    return "\n".join(sorted(lines)) + "\n"


def test_schema_is_pinned(engine: Engine) -> None:
    expected = HERE / f"schema_{engine.dialect.name}.txt"
    actual = schema_dump(engine)
    if os.environ.get("PIN_QUEUE_SCHEMA"):
        expected.write_text(actual)
    assert actual == expected.read_text(), (
        f"The queue schema changed. If intended, add a migration and re-pin with "
        f"PIN_QUEUE_SCHEMA=1 (diff against {expected.name})."
    )


def test_migrations_are_recorded_and_idempotent(db_url: str) -> None:
    first = open_store(db_url)
    with first.connect() as conn:
        names = migrations.applied(conn)
    assert names == [name for name, _ in migrations.MIGRATIONS]
    assert migrations.migrate(first) == []
    first.dispose()
    again = open_store(db_url)
    with again.connect() as conn:
        assert migrations.applied(conn) == names
    again.dispose()


def test_newer_schema_version_is_refused(db_url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO migrations (name, applied_at) VALUES (:n, :t)"),
            {"n": "m999_from_the_future", "t": utcnow()},
        )
    before = schema_dump(engine)
    result = CliRunner().invoke(app, ["queue", "batches", "--db", db_url])
    assert result.exit_code == 2
    assert "schema version 999" in result.stderr
    assert f"knows (version {migrations.LATEST})" in result.stderr
    assert "Upgrade winback" in result.stderr
    assert schema_dump(engine) == before


def test_audit_log_is_append_only(engine: Engine) -> None:
    with engine.begin() as conn:
        append_audit(conn, actor="alice", action="approve", draft_ids=[1], reason="ok")
    for statement in (
        audit_log.update().values(actor="mallory"),
        audit_log.delete(),
    ):
        with (
            pytest.raises((IntegrityError, DBAPIError), match="append-only"),
            engine.begin() as conn,
        ):
            conn.execute(statement)
    with engine.connect() as conn:
        assert conn.execute(select(audit_log.c.actor)).scalars().all() == ["alice"]


def test_control_rows_cannot_carry_a_message(engine: Engine, seed) -> None:
    batch_id = seed()
    with engine.connect() as conn:
        control_id = (
            conn.execute(
                select(drafts.c.id).where(drafts.c.batch_id == batch_id, drafts.c.arm == "control")
            )
            .scalars()
            .first()
        )
    for values in ({"body": "Hi!"}, {"status": "approved"}, {"address": "a@b.c"}):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(drafts.update().where(drafts.c.id == control_id).values(**values))


def assert_migration_adds_column(engine: Engine, batch_id: str, column: str, name: str) -> None:
    """Take drafts.`column` and migration `name` away, migrate: it comes back, NULL in old drafts.

    The queue ends equal to the pinned schema.
    """
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE drafts DROP COLUMN {column}"))
        conn.execute(text("DELETE FROM migrations WHERE name = :n"), {"n": name})
    assert migrations.migrate(engine) == [name]
    with engine.connect() as conn:
        values = conn.execute(
            text(f"SELECT {column} FROM drafts WHERE batch_id = :b"), {"b": batch_id}
        ).scalars()
        assert set(values) == {None}
    assert schema_dump(engine) == (HERE / f"schema_{engine.dialect.name}.txt").read_text()


def test_m003_adds_personalization_to_an_older_queue(db_url: str, engine: Engine, seed) -> None:
    """A queue written before m003 gains drafts.personalization; its drafts keep NULL there."""
    assert_migration_adds_column(engine, seed(), "personalization", "m003_draft_personalization")
