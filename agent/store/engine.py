"""Opening the queue database: one URL, SQLite by default, PostgreSQL for a team.

`open_store(url)` returns a migrated SQLAlchemy `Engine`. Anything a user can
get wrong (a malformed URL, a missing driver, a server that does not answer, a
SQLite folder that does not exist, a database written by a newer winback)
becomes a `WinbackError` naming the URL (password hidden) and the fix.

SQLite runs in WAL mode with a busy timeout so a reviewer and an export can
share one file; PostgreSQL connects with a short timeout so a wrong host fails
in seconds rather than hanging. A PostgreSQL URL may carry
`?options=-csearch_path%3Dmyschema` to keep winback's tables in their own schema
(the tests use this for a private schema per run).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from agent.errors import WinbackError
from agent.settings import Settings
from agent.store.migrations import migrate
from agent.store.rows import strict_json_dumps
from prompts.errors import UserError

URL_FIX = (
    "Check --db / WINBACK_DATABASE_URL (e.g. postgresql+psycopg://user@host:5432/dbname, "
    "and that the server is running), or unset it to use the SQLite file in .winback/."
)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def create_store_engine(url: str) -> Engine:
    """An engine for the URL (not yet connected, not migrated)."""
    shown = safe_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise WinbackError(f"Queue database URL {shown!r} is not a valid URL", URL_FIX) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise WinbackError(
            f"Queue database {shown}: backend {backend!r} is not supported",
            "Use sqlite:///path/to/winback.db or postgresql+psycopg://user@host/dbname.",
        )
    # JSON columns hold strict JSON: NaN/inf (an empty cohort value in pandas) become null,
    # which PostgreSQL's JSONB requires and SQLite's JSON text then matches
    kwargs: dict = {"json_serializer": strict_json_dumps}
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
    else:
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise WinbackError(
                    f"Queue database {shown}: folder {folder} does not exist", URL_FIX
                )
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise WinbackError(
            f"Queue database {shown}: the database driver is not installed ({exc})",
            "Use postgresql+psycopg://... (psycopg 3 ships with winback) or sqlite:///...",
        ) from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str) -> Engine:
    """A connected, migrated engine for the queue at `url`."""
    engine = create_store_engine(url)
    shown = safe_url(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig or exc).strip().splitlines()[0][:300]
        raise WinbackError(
            f"Cannot reach the queue database at {shown} ({reason})", URL_FIX
        ) from exc
    try:
        migrate(engine, shown)
    except UserError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(exc.orig if hasattr(exc, "orig") else exc).strip().splitlines()[0][:300]
        raise WinbackError(
            f"Could not prepare the queue database at {shown} ({reason})",
            "Check that the user may create tables there, or use another database.",
        ) from exc
    return engine


def open_store_for(settings: Settings) -> Engine:
    """The queue named by the settings (`--db`, WINBACK_DATABASE_URL, or SQLite in home)."""
    return open_store(settings.resolved_database_url)
