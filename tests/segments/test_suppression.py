"""Suppression: opt-outs per channel, do-not-contact, frequency cap from every contact source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from segments.errors import SegmentsError
from segments.suppression import read_contact_file, suppress

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e", "f"],
            "email": ["a@x.io", "b@x.io", None, "d@x.io", "e@x.io", "f@x.io"],
            "email_opt_in": pd.array([True, False, True, True, True, None], dtype="boolean"),
            "push_opt_in": pd.array([True, True, False, True, False, True], dtype="boolean"),
            "do_not_contact": pd.array([False, False, False, True, False, False], dtype="boolean"),
        }
    )


def _kept(result, frame) -> str:
    return "".join(frame.user_id[result.keep])


def test_email_only(frame):
    r = suppress(frame, ["email"], now=NOW)
    assert _kept(r, frame) == "ae"
    assert r.reasons["do_not_contact"] == 1
    assert r.reasons["opted_out_email"] == 2  # b (false) and f (blank: no consent on record)
    assert r.reasons["no_address_email"] == 1
    assert r.removed == 4


def test_a_second_channel_keeps_users_reachable_there(frame):
    r = suppress(frame, ["email", "push"], now=NOW)
    assert _kept(r, frame) == "abef"
    assert r.eligible["push"].tolist() == [True, True, False, False, False, True]
    assert r.as_dict()["eligible_per_channel"] == {"email": 2, "push": 3}


def test_frequency_cap_from_contact_history_with_channel_scope(frame):
    contacts = [
        ("a", "email", NOW - timedelta(days=2)),
        ("e", None, NOW - timedelta(days=30)),  # outside the cap window
        ("b", "push", NOW - timedelta(days=6, hours=23)),
    ]
    r = suppress(frame, ["email", "push"], contacts=contacts, now=NOW, cap_scope="channel")
    assert not r.eligible["email"].iloc[0]
    assert r.eligible["push"].iloc[0]  # a was e-mailed, push is still allowed
    assert not r.eligible["push"].iloc[1]
    assert r.reasons["frequency_cap"] == 2
    user_scope = suppress(frame, ["email", "push"], contacts=contacts, now=NOW)
    assert _kept(user_scope, frame) == "ef"  # a and b capped on every channel


def test_cap_days_and_last_contacted_column(frame):
    frame["last_contacted_at"] = pd.to_datetime(
        ["2024-06-09", "2024-05-01", None, None, "2024-06-01", None], utc=True
    )
    assert _kept(suppress(frame, ["email"], now=NOW), frame) == "e"
    assert _kept(suppress(frame, ["email"], now=NOW, cap_days=14), frame) == ""
    assert _kept(suppress(frame, ["email"], now=NOW, cap_days=0), frame) == "ae"


def test_missing_opt_in_column_is_noted_not_suppressed():
    frame = pd.DataFrame({"user_id": ["a", "b"]})
    r = suppress(frame, ["sms"], now=NOW)
    assert r.kept == 2
    assert "no sms_opt_in column" in r.notes[0]


def test_suppression_file_csv_and_jsonl(tmp_path, frame):
    (tmp_path / "s.csv").write_text(
        "user_id,channel,contacted_at\na,email,2024-06-08T10:00:00Z\ne,,\n"
    )
    contacts = read_contact_file(tmp_path / "s.csv")
    assert contacts[1] == ("e", None, None)
    r = suppress(frame, ["email"], contacts=contacts, now=NOW)
    assert _kept(r, frame) == ""
    assert r.reasons["suppression_list"] == 1 and r.reasons["frequency_cap"] == 1
    (tmp_path / "s.jsonl").write_text('{"user_id": "a", "contacted_at": "2024-06-09"}\n')
    assert _kept(suppress(frame, ["email"], contacts=read_contact_file(tmp_path / "s.jsonl"),
                          now=NOW), frame) == "e"  # fmt: skip


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id,channel\na,email\n", "has no user_id column"),
        ("user_id,channel\na,fax\n", "row 2: unknown channel 'fax'"),
        ("user_id,contacted_at\na,someday\n", "row 2: 'someday' is not a date"),
    ],
)
def test_bad_suppression_file(tmp_path, body, message):
    (tmp_path / "s.csv").write_text(body)
    with pytest.raises(SegmentsError, match=message):
        read_contact_file(tmp_path / "s.csv")


def test_unknown_channel_is_refused(frame):
    with pytest.raises(SegmentsError, match="Unknown channel 'fax'"):
        suppress(frame, ["fax"], now=NOW)
