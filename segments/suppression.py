"""Who must not be messaged: opt-outs per channel, do-not-contact, and the frequency cap.

`suppress(frame, channels, contacts=..., now=..., cap_days=7)` returns, for
each user, the channels they may receive, and counts per reason. A user is
kept when at least one requested channel remains. Reasons (a user can have
several; each is counted):

- `do_not_contact`: the `do_not_contact` column is true (all channels).
- `opted_out_<channel>`: the channel's opt-in column (`email_opt_in`, ...) is
  false or blank (no consent on record). When the column is absent the
  cohort is assumed to hold only users who consented, and the report notes it.
- `no_address_<channel>`: the `email` / `phone` column is present but blank.
- `frequency_cap`: contacted within the last `cap_days` days, from the
  cohort's `last_contacted_at` column and/or a contact history.

Contact history is any iterable of `(user_id, channel | None, contacted_at)`:
`read_contact_file` reads a CSV/JSONL suppression file, and the queue's
`recent_contacts(engine, since)` yields the same tuples. A contact with a
channel caps only that channel when `cap_scope="channel"`; with the default
`cap_scope="user"` any contact caps every channel. A suppression file with
only `user_id` suppresses those users outright (reason `suppression_list`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from prompts.channels import ADDRESS_COLUMN, CHANNELS
from segments.cohort_schema import OPT_IN_COLUMN
from segments.errors import SegmentsError

Contact = tuple[str, str | None, datetime | None]


@dataclass
class SuppressionResult:
    """Eligible channels per user, the kept users, and counts per reason."""

    eligible: pd.DataFrame
    keep: np.ndarray
    reasons: dict[str, int]
    notes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """Users with at least one channel left."""
        return int(self.keep.sum())

    @property
    def removed(self) -> int:
        """Users with no channel left."""
        return int((~self.keep).sum())

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        per_channel = {c: int(self.eligible[c].sum()) for c in self.eligible.columns}
        return {
            "kept": self.kept,
            "removed": self.removed,
            "reasons": self.reasons,
            "eligible_per_channel": per_channel,
            "notes": self.notes,
        }


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """True where a boolean column is true (blank counts as false)."""
    s = frame[column]
    if not pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("boolean")
    return s.to_numpy(dtype=bool, na_value=False)


def _as_utc(value: object) -> pd.Timestamp | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def suppress(
    frame: pd.DataFrame,
    channels: Iterable[str] = ("email",),
    *,
    contacts: Iterable[Contact] | None = None,
    now: datetime | None = None,
    cap_days: int = 7,
    cap_scope: Literal["user", "channel"] = "user",
) -> SuppressionResult:
    """Remove users who may not be messaged on any requested channel; counts per reason."""
    channels = list(dict.fromkeys(channels))
    for ch in channels:
        if ch not in CHANNELS:
            raise SegmentsError(f"Unknown channel '{ch}'", f"Use one of {', '.join(CHANNELS)}.")
    now_ts = _as_utc(now or datetime.now(UTC))
    since = now_ts - timedelta(days=cap_days)  # type: ignore[operator]
    n = len(frame)
    ids = frame["user_id"].astype("str").to_numpy()
    eligible = pd.DataFrame({ch: np.ones(n, bool) for ch in channels}, index=frame.index)
    reasons: dict[str, int] = {}
    notes: list[str] = []

    def remove(reason: str, mask: np.ndarray, on: list[str]) -> None:
        reasons[reason] = int(mask.sum())
        for ch in on:
            eligible[ch] &= ~mask

    if "do_not_contact" in frame:
        remove("do_not_contact", _flag(frame, "do_not_contact"), channels)
    for ch in channels:
        col = OPT_IN_COLUMN[ch]
        if col in frame:
            remove(f"opted_out_{ch}", ~_flag(frame, col), [ch])
        else:
            notes.append(f"no {col} column: every user is assumed to consent to {ch}")
        addr = ADDRESS_COLUMN[ch]
        if addr != "user_id" and addr in frame:  # push goes to the user id, never blank
            blank = frame[addr].isna().to_numpy() | (frame[addr].astype("str") == "").to_numpy()
            remove(f"no_address_{ch}", blank, [ch])

    capped = {ch: np.zeros(n, bool) for ch in channels}
    if "last_contacted_at" in frame and cap_days > 0:
        at = pd.to_datetime(frame["last_contacted_at"], utc=True, errors="coerce")
        recent = ((at >= since) & (at <= now_ts)).to_numpy(dtype=bool, na_value=False)
        for ch in channels:
            capped[ch] |= recent
    listed = np.zeros(n, bool)
    if contacts is not None:
        recent_by: dict[str | None, set[str]] = {}
        outright: set[str] = set()
        for user_id, channel, at in contacts:
            stamp = _as_utc(at)
            if stamp is None:
                outright.add(str(user_id))
            elif cap_days > 0 and since <= stamp <= now_ts:
                key = channel if cap_scope == "channel" else None
                recent_by.setdefault(key, set()).add(str(user_id))
        listed = np.isin(ids, list(outright)) if outright else listed
        for key, users in recent_by.items():
            hit = np.isin(ids, list(users))
            for ch in channels if key is None else [c for c in channels if c == key]:
                capped[ch] |= hit
    if contacts is not None:
        remove("suppression_list", listed, channels)
    any_cap = np.zeros(n, bool)
    for ch in channels:
        any_cap |= capped[ch]
        eligible[ch] &= ~capped[ch]
    reasons["frequency_cap"] = int(any_cap.sum())
    keep = eligible.any(axis=1).to_numpy()
    return SuppressionResult(eligible, keep, reasons, notes)


def read_contact_file(path: Path) -> list[Contact]:
    """A suppression file (CSV or JSONL of user_id[, channel][, contacted_at]) as contacts."""
    path = Path(path)
    if not path.is_file():
        raise SegmentsError(f"Suppression file {path} does not exist", "Check the path.")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            lines = path.read_text(encoding="utf-8-sig").splitlines()
            frame = pd.DataFrame([json.loads(x) for x in lines if x.strip()])
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SegmentsError(
            f"Suppression file {path} cannot be read: {exc}",
            "Give a CSV or JSONL file with a user_id column (and optionally channel, "
            "contacted_at).",
        ) from exc
    if "user_id" not in frame.columns:
        raise SegmentsError(
            f"Suppression file {path} has no user_id column "
            f"(columns found: {', '.join(map(str, frame.columns)) or 'none'})",
            "Name the column user_id; channel and contacted_at are optional.",
        )
    out: list[Contact] = []
    channel = frame["channel"] if "channel" in frame else pd.Series("", index=frame.index)
    when = frame["contacted_at"] if "contacted_at" in frame else pd.Series("", index=frame.index)
    for row, (uid, ch, at) in enumerate(zip(frame["user_id"], channel, when, strict=True), 2):
        ch_text = str(ch).strip() if ch is not None and str(ch).strip() else None
        if ch_text and ch_text not in CHANNELS:
            raise SegmentsError(
                f"Suppression file {path}, row {row}: unknown channel '{ch_text}'",
                f"Use one of {', '.join(CHANNELS)} or leave it blank for every channel.",
            )
        try:
            stamp = _as_utc(at)
        except ValueError:
            raise SegmentsError(
                f"Suppression file {path}, row {row}: '{at}' is not a date or timestamp",
                "Write contacted_at as an ISO 8601 timestamp, e.g. 2024-05-01T09:30:00Z.",
            ) from None
        out.append((str(uid).strip(), ch_text, stamp.to_pydatetime() if stamp else None))
    return out
