"""Cohort validation: every malformed kind is reported with row, column, value and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from segments.cohort_check import check_cohort
from segments.cohort_loaders import CohortSource
from segments.cohort_problems import CohortInvalid
from segments.cohort_validation import read_cohort

GOOD = (
    "user_id,churn_score,lifetime_orders,days_since_last_activity,email_opt_in,timezone\n"
    "u1,0.9,4,50,true,Europe/London\n"
    "u2,0.75,5,60,no,UTC\n"
    "u3,0.2,1,12,1,America/New_York\n"
)

# every malformed kind, one problem each: (name, file body, (row, column, message fragment))
CASES = [
    (c["name"], c["body"], (c["row"], c["column"], c["message"]))
    for c in yaml.safe_load((Path(__file__).parent / "malformed_cohorts.yaml").read_text())
]


def _write(tmp_path: Path, body: str | bytes, name: str = "cohort.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return path


@pytest.mark.parametrize(("name", "body", "first"), CASES, ids=[c[0] for c in CASES])
def test_each_malformed_kind_is_reported(tmp_path, name, body, first):
    path = _write(tmp_path, body)
    report = check_cohort(CohortSource(path=path))
    assert report.error_count == 1, report.problems
    p = report.problems[0]
    assert (p.row, p.column) == first[:2]
    assert first[2] in p.message
    assert p.source == str(path)
    assert p.expected
    with pytest.raises(CohortInvalid) as exc:
        read_cohort(CohortSource(path=path))
    assert first[2] in str(exc.value)


def test_good_file_is_typed(tmp_path):
    cohort = read_cohort(CohortSource(path=_write(tmp_path, GOOD)))
    f = cohort.frame
    assert list(f.user_id) == ["u1", "u2", "u3"]
    assert f.lifetime_orders.dtype == "int64"
    assert list(f.email_opt_in) == [True, False, True]
    assert list(cohort.rows) == [2, 3, 4]
    assert cohort.report.ok and cohort.report.valid_rows == 3


def test_missing_column_lists_columns_and_mapping_hint(tmp_path):
    report = check_cohort(CohortSource(path=_write(tmp_path, "customer_id,score\nu1,0.5\n")))
    messages = [p.message for p in report.problems]
    assert any("Columns found: customer_id, score" in m and "--mapping" in m for m in messages)
    assert any("`score: churn_score`" in m for m in messages)
    assert report.valid_rows == 0 and report.rows == 1


def test_value_shown_and_all_problems_counted_beyond_cap(tmp_path):
    body = "user_id,churn_score\n" + "".join(f"u{i},{2 + i}\n" for i in range(250))
    report = check_cohort(CohortSource(path=_write(tmp_path, body)), max_problems=10)
    assert report.error_count == 250
    assert len(report.problems) == 10
    assert [p.row for p in report.problems] == list(range(2, 12))
    assert report.problems[3].value == "5"
    assert report.as_dict()["errors_truncated"] is True


def test_undecodable_bytes_named_by_row_and_column(tmp_path):
    body = b"user_id,first_name,churn_score\nu1,Ana,0.5\nu2,Jos\xe9,0.6\nu3,Li,0.7\n"
    report = check_cohort(CohortSource(path=_write(tmp_path, body)))
    assert report.error_count == 1
    p = report.problems[0]
    assert (p.row, p.column) == (3, "first_name")
    assert "not valid UTF-8" in p.message
    assert report.valid_rows == 2


def test_skip_invalid_keeps_valid_rows_and_reports_skipped(tmp_path):
    body = "user_id,churn_score\nu1,0.5\nu2,oops\nu3,0.7\nu1,0.9\n"
    path = _write(tmp_path, body)
    with pytest.raises(CohortInvalid):
        read_cohort(CohortSource(path=path))
    cohort = read_cohort(CohortSource(path=path), skip_invalid=True)
    assert list(cohort.frame.user_id) == ["u1", "u3"]
    assert list(cohort.frame.churn_score) == [0.5, 0.7]
    assert [p.row for p in cohort.skipped] == [3, 5]


def test_skip_invalid_still_refuses_file_level_problems(tmp_path):
    path = _write(tmp_path, "user_id,score\nu1,0.5\n")
    with pytest.raises(CohortInvalid, match="required column 'churn_score'"):
        read_cohort(CohortSource(path=path), skip_invalid=True)


def test_blank_lines_and_quoted_newlines_keep_exact_rows(tmp_path):
    body = 'user_id,first_name,churn_score\nu1,"Ann\nMarie",0.5\n\nu2,Bo,2\n'
    report = check_cohort(CohortSource(path=_write(tmp_path, body)))
    assert [(p.row, p.column) for p in report.problems] == [(5, "churn_score")]


def test_big_file_rows_stay_exact_past_the_first_megabyte(tmp_path):
    # > 1 MB: line counting streams the file in chunks; a blank line and a bad score
    # near the end must still be found on their physical lines
    rows = [f"u{i},0.5" for i in range(150_000)]
    body = "user_id,churn_score\n" + "\n".join(rows) + "\n\nu_last,7"  # no final newline
    report = check_cohort(CohortSource(path=_write(tmp_path, body)))
    assert report.rows == 150_001
    assert [(p.row, p.column) for p in report.problems] == [(150_003, "churn_score")]


def test_whitespace_only_file_longer_than_the_sniffed_head_is_empty(tmp_path):
    report = check_cohort(CohortSource(path=_write(tmp_path, " \n" * 40_000)))
    assert report.file_error and "empty" in report.problems[0].message


def test_numeric_ids_keep_leading_zeros(tmp_path):
    cohort = read_cohort(
        CohortSource(path=_write(tmp_path, "user_id,churn_score\n007,0.5\n010,0.6\n"))
    )
    assert list(cohort.frame.user_id) == ["007", "010"]


@pytest.mark.parametrize(
    ("body", "sep"),
    [
        ("\ufeffuser_id,churn_score\nu1,0.5\n", ","),
        ("user_id;churn_score;clv\nu1;0,5;12,5\n", ";"),
        ("user_id\tchurn_score\nu1\t0.5\n", "\t"),
        ("user_id|churn_score\r\nu1|0.5\r\n", "|"),
        ("user_id,churn_score\nu1,0.5\n".encode("utf-16"), ","),
        (b"\xfe\xff" + "user_id,churn_score\r\nu1,0.5".encode("utf-16-be"), ","),
    ],
    ids=["bom", "semicolon-decimal-comma", "tab", "pipe-crlf", "utf16-le-bom", "utf16-be-bom"],
)
def test_common_dialects(tmp_path, body, sep):
    cohort = read_cohort(CohortSource(path=_write(tmp_path, body)))
    assert list(cohort.frame.columns[:2]) == ["user_id", "churn_score"]
    assert cohort.frame.churn_score.iloc[0] == 0.5
    if "clv" in cohort.frame:
        assert cohort.frame.clv.iloc[0] == 12.5


def test_score_distribution_and_coverage(tmp_path):
    report = check_cohort(CohortSource(path=_write(tmp_path, GOOD + "u4,0.95,,,,\n")))
    assert report.score["count"] == 4
    assert report.score["max"] == 0.95 and report.score["min"] == 0.2
    assert report.score["buckets"] == {"0.0-0.5": 1, "0.5-0.7": 0, "0.7-0.9": 1, "0.9-1.0": 2}
    cov = {c["column"]: c["coverage"] for c in report.columns}
    assert cov["user_id"] == 1.0 and cov["timezone"] == 0.75
