"""The queue's tables (SQLAlchemy 2 Core), the same on SQLite and PostgreSQL.

- `batches`: one `winback run` of a campaign over one cohort (fingerprinted), with
  the config snapshot, prompt versions, model, usage and counts it ran with.
- `drafts`: one row per (campaign, user, channel), the natural key that makes
  inserts idempotent and re-runs resumable. Control users get a row too: it
  records the holdout (arm and segment) for lift, and CHECK constraints make it
  impossible for a control row to carry a subject, body or address or to leave
  the `control` status, so a control user can never be reviewed or exported.
- `audit_log`: append-only record of every decision, edit and export (triggers
  reject UPDATE and DELETE on both databases, see `migrations.py`).
- `contacts`: who was exported on which channel and when; cohort suppression
  reads it back for its frequency cap (`queue.recent_contacts`).
- `accounts`, `web_sessions`, `login_attempts`: the reviewers' web app's users
  (argon2 hashes, roles), its server-side sessions (only a hash of the cookie's
  token is stored) and the login history its lockout counts (migration m004).
- `variant_decisions`: one row per decided variant of a batch; its unique key
  (batch_id, variant) is what makes two reviewers deciding the same variant at
  once end with exactly one winner (m004).
- `outcomes`: one row per (batch, user) from imported outcomes files; a later
  file updates the row (later conversions), the same file again changes nothing
  (migration m005).
- `global_holdouts`: the users a batch left out because they were in the global
  control group of the period (`segments.global_control`), so its lift can be
  measured against them (m005).

Types are portable: JSON is JSONB on PostgreSQL, datetimes are stored in UTC.
The exact schema is pinned by `tests/store/test_schema.py`; a change here needs
a new numbered migration in `migrations.py`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from segments.experiment_arms import ARMS

JSONType = JSON().with_variant(JSONB(), "postgresql")
UTCDateTime = DateTime(timezone=True)

STATUSES = ("pending", "approved", "rejected", "control")
VERDICTS = ("pass", "warn", "block")
BATCH_STATUSES = ("running", "complete", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = MetaData()

migrations = Table(
    "migrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("campaign", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("config", JSONType, nullable=False),
    Column("cohort_fingerprint", String(128), nullable=False),
    Column("prompts", JSONType, nullable=False),
    Column("model", String(200)),
    Column("provider", String(40)),
    Column("usage", JSONType),
    Column("counts", JSONType),
    Column("seconds", Float),
    # the account that ran the batch, when known: four-eyes refuses it approval (m004)
    Column("run_by", String(80)),
    CheckConstraint(_in("status", BATCH_STATUSES), name="ck_batches_status"),
    Index("ix_batches_campaign_fingerprint", "campaign", "cohort_fingerprint"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(16), ForeignKey("batches.id"), nullable=False),
    Column("campaign", String(80), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("arm", String(16), nullable=False),
    Column("segment", String(200)),
    Column("variant", String(200)),
    Column("channel", String(16), nullable=False),
    Column("address", String(320)),
    Column("subject", Text),
    Column("body", Text),
    Column("incentive", JSONType),
    Column("verdict", String(8)),
    Column("findings", JSONType, nullable=False),
    Column("prompt", String(200)),
    # what the guardrails allowed in this message: {"first_name", "values"}; an edit is
    # re-checked with it (migration m003; NULL for drafts queued before it)
    Column("personalization", JSONType),
    # what wrote the copy: {"prompt", "model", "candidates", "revision", "quality_score"}
    # (migration m006; NULL for baseline copy and for drafts queued before it)
    Column("provenance", JSONType),
    Column("status", String(16), nullable=False),
    Column("reviewer", String(200)),
    Column("decided_at", UTCDateTime),
    Column("decision_reason", Text),
    Column("edited", Boolean, nullable=False, default=False),
    Column("original_body", Text),
    Column("claimed_by", String(200)),
    Column("claimed_until", UTCDateTime),
    Column("exported_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("campaign", "user_id", "channel", name="uq_drafts_campaign_user_channel"),
    CheckConstraint(_in("arm", ARMS), name="ck_drafts_arm"),
    CheckConstraint(_in("status", STATUSES), name="ck_drafts_status"),
    CheckConstraint(f"verdict IS NULL OR {_in('verdict', VERDICTS)}", name="ck_drafts_verdict"),
    CheckConstraint(
        "(arm = 'control' AND status = 'control' AND subject IS NULL AND body IS NULL "
        "AND address IS NULL AND exported_at IS NULL) "
        "OR (arm <> 'control' AND status <> 'control')",
        name="ck_drafts_control_has_no_message",
    ),
    Index("ix_drafts_batch_status", "batch_id", "status"),
    Index("ix_drafts_batch_segment", "batch_id", "segment"),
    Index("ix_drafts_batch_variant", "batch_id", "variant"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("batch_id", String(16)),
    Column("draft_ids", JSONType, nullable=False),
    Column("before", JSONType),
    Column("after", JSONType),
    Column("reason", Text),
    Index("ix_audit_log_batch", "batch_id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("contacted_at", UTCDateTime, nullable=False),
    Column("campaign", String(80), nullable=False),
    Column("batch_id", String(16), nullable=False),
    Column("draft_id", Integer, nullable=False),
    Index("ix_contacts_contacted_at", "contacted_at"),
    Index("ix_contacts_user_channel", "user_id", "channel"),
)

ROLES = ("marketer", "reviewer", "admin")
VARIANT_DECISIONS = ("approved", "rejected")

accounts = Table(
    "accounts",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("role", ROLES), name="ck_accounts_role"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account", String(80), ForeignKey("accounts.name"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_web_sessions_account", "account"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("client", String(64)),
    Index("ix_login_attempts_name_at", "name", "at"),
)

variant_decisions = Table(
    "variant_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(16), ForeignKey("batches.id"), nullable=False),
    Column("variant", String(200), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text),
    Column("drafts", Integer, nullable=False),
    UniqueConstraint("batch_id", "variant", name="uq_variant_decisions_batch_variant"),
    CheckConstraint(_in("decision", VARIANT_DECISIONS), name="ck_variant_decisions_decision"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("batch_id", String(16), ForeignKey("batches.id"), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("converted", Boolean, nullable=False),
    Column("revenue", Float, nullable=False),
    Column("converted_at", UTCDateTime),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("source", String(500), nullable=False),
)

global_holdouts = Table(
    "global_holdouts",
    metadata,
    Column("batch_id", String(16), ForeignKey("batches.id"), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("period", String(16), nullable=False),
    Column("share", Float, nullable=False),
)

TABLES = ("batches", "drafts", "audit_log", "contacts")
WEB_TABLES = ("accounts", "web_sessions", "login_attempts", "variant_decisions")
LIFT_TABLES = ("outcomes", "global_holdouts")
