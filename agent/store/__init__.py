"""The approval queue: batches, drafts, decisions, audit log, contacts.

One SQLAlchemy Core schema for SQLite (default, one file in the data folder)
and PostgreSQL (a team: several reviewers and workers at once). Modules:

- `engine`      open a URL, migrate, turn connection problems into clear errors
- `migrations`  numbered schema migrations, recorded in the `migrations` table
- `schema`      the tables
- `batches`     create/resume a batch by campaign + cohort fingerprint, finish it
- `drafts`      idempotent chunked inserts, listing, resume keys
- `queue`       decisions (approve, reject, edit, approve all passing) and claims
- `audit`       the append-only audit log
- `export`      approved drafts to CSV/JSONL, the control list beside them
- `contacts`    export history for the frequency cap

The run orchestration needs only the names re-exported here.
"""

# Loaded on first use (PEP 562): `agent.store.rows` alone (the CLI's JSON output) must not
# pull in SQLAlchemy, the schema and, through the arms, SciPy.
_HOME = {
    "BatchStart": "batches",
    "finish_batch": "batches",
    "get_batch": "batches",
    "list_batches": "batches",
    "start_batch": "batches",
    "recent_contacts": "contacts",
    "existing_keys": "drafts",
    "get_draft": "drafts",
    "insert_drafts": "drafts",
    "list_drafts": "drafts",
    "open_store": "engine",
    "open_store_for": "engine",
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'agent.store' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"agent.store.{_HOME[name]}"), name)
    globals()[name] = value
    return value
