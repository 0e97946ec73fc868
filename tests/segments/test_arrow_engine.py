"""The Arrow engine of `cohort check`: the rule counted as pandas counts it, ids proved
distinct in any order, literals built without pandas, and no pandas import for a clean file."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from segments.arrow_literals import literal, literal_array
from segments.cohort_check import check_cohort
from segments.cohort_source import CohortSource
from segments.frameless_check import check_without_frame

BODY = (
    "user_id,churn_score,lifetime_orders,email_opt_in,timezone,first_name,plan,seats,vip\n"
    "u1,0.9,4,yes,UTC,Ana,pro,3,True\n"
    "u2,0.75,,no,Europe/London,,basic,,False\n"
    "u3,0.2,1,,,Bo,,1.5,true\n"
    "u4,0.5,0,1,UTC,Cy,pro,0,FALSE\n"
    "u5,0.7,7, true,,Ana,basic,-2,false\n"
)

RULES = [
    "churn_score > 0.5",
    "churn_score >= 0.7 and lifetime_orders > 3",
    "lifetime_orders = 0 or lifetime_orders is null",
    "not lifetime_orders > 1",
    "email_opt_in",
    "not email_opt_in",
    "email_opt_in = false or vip",
    "timezone in ['UTC']",
    "timezone not in ['UTC']",
    "first_name = 'Ana'",
    "first_name != 'Ana'",
    "plan in ['pro', 'basic'] and seats > 0",
    "seats is not null and not (seats < 1)",
    "lifetime_orders in [0, 4, 7]",
    "lifetime_orders not in [0, 4]",
    "1 = 1",
    "1 = 2 or churn_score < 0.3",
    "vip and true",
    "vip or false",
    "(churn_score > 0.6) = true",
]


@pytest.fixture
def cohort(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(BODY, encoding="utf-8")
    return CohortSource(path=path)


@pytest.mark.parametrize("rule", RULES)
def test_rule_counts_match_the_pandas_evaluator(cohort, rule):
    arrow = check_without_frame(cohort, rule, "arrow")
    assert arrow is not None, "a clean file: the Arrow engine answers"
    assert arrow.as_dict() == check_cohort(cohort, rule=rule, engine="pandas").as_dict()


def test_a_rule_on_dates_is_left_to_pandas(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("user_id,churn_score,last_contacted_at\nu1,0.5,2024-05-01\nu2,0.6,\n")
    source = CohortSource(path=path)
    assert check_without_frame(source, None, "arrow") is not None
    rule = "last_contacted_at < '2024-06-01'"
    assert check_without_frame(source, rule, "arrow") is None
    assert check_cohort(source, rule=rule).rule["selected"] == 1


@pytest.mark.parametrize("duplicate", [False, True])
def test_ids_in_any_order_are_proved_distinct(tmp_path, duplicate):
    ids = [f"u{i}" for i in (5, 3, 9, 1, 7)] + (["u9"] if duplicate else [])
    path = tmp_path / "cohort.csv"
    path.write_text("user_id,churn_score\n" + "".join(f"{u},0.5\n" for u in ids))
    found = check_without_frame(CohortSource(path=path), None, "arrow")
    assert (found is None) == duplicate
    report = check_cohort(CohortSource(path=path))
    assert report.error_count == int(duplicate)


def test_literals_hold_their_values():
    assert literal_array([0.5, 2.0], pa.float64()).to_pylist() == [0.5, 2.0]
    assert literal_array([True, False, True], pa.bool_()).to_pylist() == [True, False, True]
    assert literal_array(["ü", "", "用户"], pa.string()).to_pylist() == ["ü", "", "用户"]
    assert literal(None, pa.bool_()).as_py() is None
    assert literal("x", pa.string()).as_py() == "x"
    with pytest.raises(TypeError):
        literal_array([1], pa.int8())


def test_a_clean_csv_is_checked_without_importing_pandas_or_the_compute_wrappers(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(BODY, encoding="utf-8")
    code = (
        "import sys\n"
        "from segments.cohort_check import check_cohort\n"
        "from segments.cohort_source import CohortSource\n"
        f"report = check_cohort(CohortSource(path={str(path)!r}), rule=sys.argv[1])\n"
        "assert report.ok and report.rule['selected'] == 2, report.as_dict()\n"
        "print('pandas' in sys.modules, 'pyarrow.compute' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "churn_score > 0.5 and email_opt_in"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "False False", out.stderr  # pandas 0.3 s, the wrappers 70 ms


@pytest.mark.parametrize(
    ("ids", "padded"),
    [
        (["u1", "u2", "u3"], False),
        (["u1", " u2", "u3"], True),
        (["u1", "u2\t", "u3"], True),
        (["u1", "u2\x1f"], True),  # a separator str.strip() removes
        (["ü1", "u2"], False),  # not ASCII: Arrow's Unicode trim
        (["u1", "u2\xa0"], True),  # a no-break space
        (["u1", "u\u20022"], False),  # whitespace inside is kept
    ],
)
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_padded_ids_are_found_from_the_buffers(ids, padded, kind):
    from segments.arrow_cohort_check import _padded

    column = pa.chunked_array([pa.array(["x0", *ids], kind).slice(1)])  # a sliced chunk
    assert _padded(column) is padded
    assert _padded(pa.chunked_array([pa.array(ids[:1], kind), pa.array(ids[1:], kind)])) is padded


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([[0.5, 0.1], [0.9]], (0.1, 0.9)),
        ([[0.5, 0.1], [float("nan"), 0.2]], None),  # a NaN in a later chunk
        ([[0.5, float("inf")]], None),
        ([[-float("inf"), 0.5]], None),
        ([[0.5, None], [0.2]], (0.2, 0.5)),  # nulls: Arrow's kernels skip them
        ([[float("nan"), None]], None),
    ],
)
def test_finite_range(chunks, expected):
    from segments.arrow_cohort_check import _finite_range

    assert _finite_range(pa.chunked_array([pa.array(c, pa.float64()) for c in chunks])) == expected
