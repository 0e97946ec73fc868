"""Suppression as SQL predicates, for a cohort that stays in its database.

The same reasons as `suppression.suppress`, row by row, as boolean
expressions over the cohort table (and a suppression table in the same
database, when there is one):

- `do_not_contact`: the column is true (every channel);
- `opted_out_<channel>`: the opt-in column is false or NULL (when present);
- `no_address_<channel>`: the e-mail or phone column is NULL or empty;
- `suppression_list`: the user is in the suppression table with no
  `contacted_at` (every channel);
- `frequency_cap`: `last_contacted_at`, or a row of the suppression table,
  falls in [now - cap_days, now]; with `cap_scope="channel"` a contact with a
  channel caps only that channel.

Each predicate is never NULL (`COALESCE(..., FALSE)`), so the counts and the
kept rows match the in-memory masks, where a blank flag counts as false.
Contacts that live elsewhere (the queue's own history in another database)
are applied after the selected rows come back, with `suppression.suppress`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from prompts.channels import ADDRESS_COLUMN, CHANNELS
from segments.cohort_schema import OPT_IN_COLUMN
from segments.errors import SegmentsError


@dataclass
class SqlSuppression:
    """Per-channel eligibility and per-reason predicates over the cohort table."""

    eligible: dict[str, sa.ColumnElement] = field(default_factory=dict)
    reasons: dict[str, sa.ColumnElement] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def keep(self) -> sa.ColumnElement:
        """At least one requested channel left."""
        return sa.or_(*self.eligible.values())


def _true(expr: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.coalesce(expr, sa.false())


def _stamp(at: sa.ColumnElement, when: datetime) -> sa.ColumnElement:
    """`when` as the column stores it: aware for WITH TIME ZONE, else naive UTC."""
    aware = bool(getattr(at.type, "timezone", False))
    return sa.literal(when if aware else when.replace(tzinfo=None), at.type)


def suppression_predicates(
    columns: Mapping[str, sa.ColumnElement],
    channels: list[str],
    *,
    now: datetime,
    cap_days: int = 7,
    cap_scope: str = "user",
    contacts: sa.Table | None = None,
) -> SqlSuppression:
    """The suppression of `suppression.suppress`, as predicates over `columns` (our names)."""
    for ch in channels:
        if ch not in CHANNELS:
            raise SegmentsError(f"Unknown channel '{ch}'", f"Use one of {', '.join(CHANNELS)}.")
    out = SqlSuppression()
    gone = {ch: [] for ch in channels}  # type: dict[str, list[sa.ColumnElement]]

    def remove(reason: str, expr: sa.ColumnElement, on: list[str]) -> None:
        out.reasons[reason] = expr
        for ch in on:
            gone[ch].append(expr)

    if "do_not_contact" in columns:
        remove("do_not_contact", _true(columns["do_not_contact"] == sa.true()), channels)
    for ch in channels:
        opt_in = OPT_IN_COLUMN[ch]
        if opt_in in columns:
            remove(f"opted_out_{ch}", sa.not_(_true(columns[opt_in] == sa.true())), [ch])
        else:
            out.notes.append(f"no {opt_in} column: every user is assumed to consent to {ch}")
        addr = ADDRESS_COLUMN[ch]
        if addr != "user_id" and addr in columns:
            blank = sa.or_(columns[addr].is_(None), sa.cast(columns[addr], sa.Text) == "")
            remove(f"no_address_{ch}", blank, [ch])
    since = now - timedelta(days=cap_days)
    capped: dict[str, list[sa.ColumnElement]] = {ch: [] for ch in channels}
    if "last_contacted_at" in columns and cap_days > 0:
        at = columns["last_contacted_at"]
        recent = _true(sa.and_(at >= _stamp(at, since), at <= _stamp(at, now)))
        for ch in channels:
            capped[ch].append(recent)
    if contacts is not None:
        uid = sa.cast(columns["user_id"], sa.Text)
        listed = sa.exists().where(
            sa.cast(contacts.c.user_id, sa.Text) == uid, contacts.c.contacted_at.is_(None)
        )
        remove("suppression_list", listed, channels)
        if cap_days > 0:
            at = contacts.c.contacted_at
            window = [sa.cast(contacts.c.user_id, sa.Text) == uid,
                      at >= _stamp(at, since), at <= _stamp(at, now)]  # fmt: skip
            for ch in channels:
                scoped = window
                if cap_scope == "channel" and "channel" in contacts.c:
                    chan = contacts.c.channel
                    scoped = [*window, sa.or_(chan.is_(None), chan == "", chan == ch)]
                capped[ch].append(sa.exists().where(*scoped))
    any_cap = [c for ch in channels for c in capped[ch]]
    out.reasons["frequency_cap"] = sa.or_(*any_cap) if any_cap else sa.false()
    for ch in channels:
        out.eligible[ch] = (
            sa.not_(sa.or_(*gone[ch], *capped[ch])) if gone[ch] or capped[ch] else sa.true()
        )
    return out
