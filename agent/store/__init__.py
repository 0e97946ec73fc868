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

from agent.store.batches import BatchStart, finish_batch, get_batch, list_batches, start_batch
from agent.store.contacts import recent_contacts
from agent.store.drafts import existing_keys, get_draft, insert_drafts, list_drafts
from agent.store.engine import open_store, open_store_for

__all__ = [
    "BatchStart",
    "existing_keys",
    "finish_batch",
    "get_batch",
    "get_draft",
    "insert_drafts",
    "list_batches",
    "list_drafts",
    "open_store",
    "open_store_for",
    "recent_contacts",
    "start_batch",
]
