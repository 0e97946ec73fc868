"""Malformed transactions and events: each problem named with its row or column, nothing scored."""

from __future__ import annotations

from pathlib import Path

import pytest

from segments.cohort_loaders import CohortSource
from segments.errors import SegmentsError
from segments.scoring.event_files import parse_as_of, parse_timestamps, read_events
from segments.scoring.purchase_summary import summarise_purchases

GOOD = "user_id,timestamp,amount\nu1,2024-01-01,10\nu1,2024-02-01,12.5\nu2,2024-01-15,8\n"

# (name, file text, as-of, the words the error must contain)
MALFORMED = [
    (
        "unparseable timestamp",
        "user_id,timestamp,amount\nu1,2024-01-01,10\nu2,yesterday,5\n",
        None,
        ["row 3", "column timestamp", "'yesterday' is not a date"],
    ),
    (
        "negative amount",
        "user_id,timestamp,amount\nu1,2024-01-01,10\nu1,2024-01-05,-3\n",
        None,
        ["row 3", "column amount", "negative", "net refunds"],
    ),
    (
        "amount not a number",
        "user_id,timestamp,amount\nu1,2024-01-01,ten\n",
        None,
        ["row 2", "column amount", "'ten' is not a number"],
    ),
    ("blank user", "user_id,timestamp,amount\n,2024-01-01,10\n", None, ["row 2", "user id"]),
    (
        "event after the as-of date",
        GOOD + "u2,2024-03-01,4\n",
        "2024-02-15",
        ["row 5", "after the as-of date", "2024-02-15"],
    ),
    ("as-of before all data", GOOD, "2023-06-01", ["every event is after the as-of date"]),
    (
        "missing column with a near name",
        "user_id,date,amount\nu1,2024-01-01,10\n",
        None,
        ["no 'timestamp' column", "`date: timestamp`"],
    ),
    ("empty file", "", None, ["the file is empty"]),
    ("header only", "user_id,timestamp,amount\n", None, ["no rows"]),
]


@pytest.mark.parametrize(
    ("name", "text", "as_of", "words"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_transactions_are_refused(
    tmp_path: Path, name: str, text: str, as_of: str | None, words: list[str]
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SegmentsError) as info:
        read_events(CohortSource(path=path), as_of=parse_as_of(as_of))
    message = str(info.value)
    assert info.value.exit_code == 2
    for word in words:
        assert word in message, (word, message)


def test_mapping_naming_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(SegmentsError, match="the mapping renames 'price'"):
        read_events(CohortSource(path=path, mapping={"price": "amount"}))


def test_engagement_events_need_no_amount(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"user_id": "u1", "timestamp": "2024-01-02T09:00:00Z", "event": "open"}\n'
        '{"user_id": "u2", "timestamp": "2024-01-03", "event": "session"}\n',
        encoding="utf-8",
    )
    events = read_events(CohortSource(path=path), what="engagement events", need_amount=False)
    assert len(events) == 2 and events.amount is None
    assert list(events.kind) == ["open", "session"]


def test_a_customer_first_seen_on_the_as_of_day(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(GOOD + "u3,2024-02-01,9\n", encoding="utf-8")
    as_of = parse_as_of("2024-02-01")
    events = read_events(CohortSource(path=path), as_of=as_of)
    with pytest.raises(SegmentsError, match=r"row 5.*'u3' first bought on the as-of date"):
        summarise_purchases(events, as_of)
    summary, skipped = summarise_purchases(events, as_of, skip_new=True)
    assert skipped == 1 and list(summary.user_id) == ["u1", "u2"]


def test_timestamps_in_several_forms() -> None:
    import pandas as pd

    days = parse_timestamps(
        pd.Series(["2024-01-01", "2024-01-01T23:30:00Z", "2024-01-02T01:00:00+02:00"])
    )
    assert list(days - days[0]) == [0, 0, 0]  # the last is 2024-01-01 23:00 UTC
    assert list(parse_timestamps(pd.Series([19970101, 19970102])) - 9862) == [0, 1]
    custom = parse_timestamps(pd.Series(["31/12/2023"]), "%d/%m/%Y")
    assert int(custom[0]) == parse_as_of("2023-12-31")


def test_same_day_purchases_are_one_purchase(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(
        "user_id,timestamp,amount\n"
        "a,2024-01-01T09:00:00,10\na,2024-01-01T18:00:00,5\n"
        "a,2024-01-08,20\na,2024-01-15,40\nb,2024-01-10,7\n",
        encoding="utf-8",
    )
    as_of = parse_as_of("2024-01-29")
    summary, _ = summarise_purchases(read_events(CohortSource(path=path)), as_of)
    a = summary.user_id.get_loc("a")
    assert summary.purchase_days[a] == 3  # two orders on Jan 1 count once
    assert summary.total_spend[a] == 75
    assert summary.repeat_mean[a] == 30  # (20 + 40) / 2: the first day left out
    assert summary.tx_weeks()[a] == 2 and summary.T_weeks()[a] == 4
