"""The cohort's columns: what winback knows, their types and their allowed ranges.

A cohort is one row per user. Two columns are required (`user_id` and
`churn_score`); the others below are optional but understood: they are type-
and range-checked, and later stages use them (opt-ins for suppression,
`first_name` for rendering, spend and orders for features). Any other column
is kept as a feature, typed from its values, and usable in activation rules.

The table `COLUMNS` is the single source of truth: validation, the rule
type-checker, the README table and `winback cohort check` all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prompts.channels import CHANNELS

Kind = Literal["id", "string", "number", "count", "boolean", "datetime"]


@dataclass(frozen=True)
class ColumnSpec:
    """One known cohort column: its kind, range and meaning."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None

    @property
    def expected(self) -> str:
        """What a valid value looks like, in words (used in error messages)."""
        if self.kind == "id":
            return "a non-blank, unique user id"
        if self.kind == "boolean":
            return "true/false (also yes/no, y/n, 1/0)"
        if self.kind == "datetime":
            return "a date or ISO 8601 timestamp, e.g. 2024-05-01T09:30:00Z"
        if self.kind == "string":
            return "text"
        whole = "a whole number" if self.kind == "count" else "a number"
        if self.minimum is not None and self.maximum is not None:
            return f"{whole} between {self.minimum:g} and {self.maximum:g}"
        if self.minimum is not None:
            return f"{whole} >= {self.minimum:g}"
        return whole


COLUMNS: dict[str, ColumnSpec] = {
    c.name: c
    for c in [
        ColumnSpec("user_id", "id", "Stable user identifier (kept as text).", required=True),
        ColumnSpec("churn_score", "number", "Model churn probability.", True, minimum=0, maximum=1),
        ColumnSpec("first_name", "string", "For the {{ first_name }} placeholder."),
        ColumnSpec("email", "string", "E-mail address (never sent to the LLM)."),
        ColumnSpec("phone", "string", "Phone number for SMS (never sent to the LLM)."),
        ColumnSpec("days_since_last_activity", "count", "Days since the last activity.", minimum=0),
        ColumnSpec("lifetime_orders", "count", "Lifetime orders (or sessions).", minimum=0),
        ColumnSpec("total_spend", "number", "Lifetime spend.", minimum=0),
        ColumnSpec("avg_order_value", "number", "Average order value.", minimum=0),
        ColumnSpec("clv", "number", "Predicted customer lifetime value.", minimum=0),
        ColumnSpec(
            "propensity", "number", "Propensity to respond to an offer.", minimum=0, maximum=1
        ),
        ColumnSpec(
            "engagement_score", "number", "Recent engagement, 0 (none) to 1.", minimum=0, maximum=1
        ),
        ColumnSpec("favorite_category", "string", "Most used category or product line."),
        ColumnSpec("tenure_days", "count", "Days since sign-up.", minimum=0),
        ColumnSpec("email_opt_in", "boolean", "Consents to marketing e-mail."),
        ColumnSpec("sms_opt_in", "boolean", "Consents to marketing SMS."),
        ColumnSpec("push_opt_in", "boolean", "Consents to push notifications."),
        ColumnSpec("do_not_contact", "boolean", "Must never be contacted (overrides opt-ins)."),
        ColumnSpec("locale", "string", "Language tag such as en-US."),
        ColumnSpec("timezone", "string", "IANA time zone such as Europe/London."),
        ColumnSpec(
            "last_contacted_at", "datetime", "Last marketing contact (feeds the frequency cap)."
        ),
    ]
}

REQUIRED = [c.name for c in COLUMNS.values() if c.required]
OPT_IN_COLUMN = {ch: f"{ch}_opt_in" for ch in CHANNELS}

# Names other exports use for our columns: suggested in errors, never applied silently.
ALIASES = {
    "last_order_days": "days_since_last_activity",
    "days_since_last_order": "days_since_last_activity",
    "recency_days": "days_since_last_activity",
    "days_inactive": "days_since_last_activity",
    "recency": "days_since_last_activity",
    "orders": "lifetime_orders",
    "order_count": "lifetime_orders",
    "frequency": "lifetime_orders",
    "monetary": "total_spend",
    "revenue": "total_spend",
    "score": "churn_score",
    "churn_probability": "churn_score",
    "churn_risk": "churn_score",
    "customer_id": "user_id",
    "id": "user_id",
    "userid": "user_id",
}
