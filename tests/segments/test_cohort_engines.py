"""`cohort check` with the Arrow and DuckDB engines and with pandas: the same report, clean
or malformed.

The Arrow read (`segments.arrow_cohort_check`) and the DuckDB scan
(`segments.duckdb_cohort_check`) answer only for files they can prove clean
and typed as pandas types them; everything else falls back to the pandas
path. The property below writes cohorts from a grammar of good and bad values
(ids with spaces, duplicates and unicode, scores like `1_000`, `nan`, `inf`,
`.5`, booleans with padding, feature columns that are numbers, text, booleans
or a mix, dates, zones, locales, blank lines, ragged rows) and asserts each
engine gives pandas' report, and the same rule count or the same rule error.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments.cohort_check import check_cohort
from segments.cohort_source import CohortSource
from segments.cohort_values import WHITESPACE
from segments.frameless_check import check_without_frame as _check_without_frame
from segments.rule_tokens import RuleError

IDS = st.one_of(
    st.from_regex(r"u[0-9]{1,3}", fullmatch=True),
    st.sampled_from(["007", "ü1", "用户", "a b", " u9", "u9\t", "u\xa0", "NA", ""]),
)
NUMBERS = st.one_of(
    st.floats(0, 1).map(repr),
    st.floats(0, 1).map(lambda x: f"{x:.3f}"),
    st.sampled_from(["0", "1", ".5", "5.", "+0.5", "1e-3", "0.7", "1.2", "-0.1", "nan", "inf",
                     "1_0", "abc", "", " 0.5", "NA", "0,5"]),
)  # fmt: skip
COUNTS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.sampled_from(["2.5", "-3", "4.0", "1e2", "", "x", "1_000", "+4", "0x10"]),
)
BOOLEANS = st.sampled_from(
    ["true", "False", "yes", "n", "1", "0", "1.0", " yes", "maybe", "", "01", "TRUE", "NA"]
)
FEATURES = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(-10, 10).map(repr),
    st.sampled_from(
        [
            "TRUE",
            "false",
            "tRUE",
            "abc",
            "",
            "nan",
            "inf",
            "NA",
            " 5",
            "1_0",
            "x y",
            "12:30",
            "2024-05-01",
            "1e400",
            "-0",
        ]
    ),
)
DATES = st.sampled_from(
    ["2024-05-01", "2024-05-01T09:30:00Z", "2024-05-01 09:30", "2024-05-01T09:30:00+02:00",
     "2024-02-30", "yesterday", "", "2024-05-01T09:30:00.123456Z"]
)  # fmt: skip
ZONES = st.sampled_from(["UTC", "Europe/London", "Mars/Base", "", "utc"])
LOCALES = st.sampled_from(["en-US", "fr", "en_GB", "e", "", "nan", "en-"])
RULES = [
    None,
    "churn_score > 0.5 and lifetime_orders >= 2",
    "feature > 0 or email_opt_in",
    "feature = 'abc'",
    "last_contacted_at < '2024-05-01T12:00:00Z' or last_contacted_at is null",
    "timezone in ['UTC', 'Europe/London']",
    "not (email_opt_in or feature in [1, 2]) or locale is not null",
    "first_name = 'Ana' or churn_score <= 0.25 and lifetime_orders not in [0, 3]",
]


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[str, str | None]:
    """A CSV cohort (mostly clean rows, sometimes a malformed one) and a rule."""
    more = draw(
        st.lists(
            st.sampled_from(
                ["lifetime_orders", "email_opt_in", "feature", "last_contacted_at",
                 "timezone", "locale", "first_name"]
            ),
            unique=True,
            max_size=5,
        )
    )  # fmt: skip
    columns = ["user_id", "churn_score", *more]
    n = draw(st.integers(1, 12))
    clean = draw(st.booleans())
    makers = {
        "user_id": IDS, "churn_score": NUMBERS, "lifetime_orders": COUNTS,
        "email_opt_in": BOOLEANS, "feature": FEATURES, "last_contacted_at": DATES,
        "timezone": ZONES, "locale": LOCALES, "first_name": st.sampled_from(["Ana", "Bo", "", "5"]),
    }  # fmt: skip
    if clean:  # values both engines accept: the DuckDB scan answers for these
        makers.update(
            user_id=st.from_regex(r"u[0-9]{1,4}", fullmatch=True),
            churn_score=st.floats(0, 1).map(repr),
            lifetime_orders=st.integers(0, 50).map(str),
            # as exports write them (read straight to booleans by Arrow), or as tokens
            email_opt_in=st.sampled_from(
                ["True", "False", "TRUE", "false", ""]
                if draw(st.booleans())
                else ["true", "no", "1", ""]
            ),
            last_contacted_at=st.sampled_from(["2024-05-01", "2024-05-01T09:30:00+02:00", ""]),
            timezone=st.sampled_from(["UTC", "Europe/London", ""]),
            locale=st.sampled_from(["en-US", "fr", ""]),
            first_name=st.sampled_from(["Ana", "Bo", ""]),
        )
    rows = [[draw(makers[c]) for c in columns] for _ in range(n)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    text = buf.getvalue()
    if not clean and draw(st.booleans()):
        extra = draw(st.sampled_from(["\n", "u999,0.5,extra,extra,extra,extra,extra,extra\n",
                                      "u998\n", 'u997,"0.5\n0.6"\n']))  # fmt: skip
        text += extra
    return text, draw(st.sampled_from(RULES))


def _report(path: Path, rule: str | None, engine: str) -> dict | str:
    try:
        return check_cohort(CohortSource(path=path), rule=rule, engine=engine).as_dict()
    except RuleError as exc:
        return f"RuleError: {exc}"


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cohorts())
def test_every_engine_gives_the_pandas_report(tmp_path_factory, engine, case):
    text, rule = case
    path = tmp_path_factory.mktemp("engines") / "cohort.csv"
    path.write_text(text, encoding="utf-8")
    assert _report(path, rule, engine) == _report(path, rule, "pandas")


CASES = yaml.safe_load((Path(__file__).parent / "malformed_cohorts.yaml").read_text())


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_malformed_kind_is_reported_identically(tmp_path, case, engine):
    path = tmp_path / "cohort.csv"
    path.write_text(case["body"], encoding="utf-8")
    assert _check_without_frame(CohortSource(path=path), None, engine) is None  # it declines
    report = check_cohort(CohortSource(path=path), engine=engine)
    assert report.as_dict() == check_cohort(CohortSource(path=path), engine="pandas").as_dict()
    assert (report.problems[0].row, report.problems[0].column) == (case["row"], case["column"])


CLEAN = {
    "comma": (
        "user_id,churn_score,lifetime_orders,email_opt_in,timezone,locale,last_contacted_at,"
        "note,flag,score2,empty\n"
        "u1,0.9,4,yes,Europe/London,en-US,2024-05-01,hello,True,1.5,\n"
        "u2,0.75,5,0,UTC,fr,2024-05-01T10:00:00+02:00,5,false,2,\n"
        "u3,0.2,1,,,,,,TRUE,-3,\n"
    ),
    "exported-booleans": (
        "user_id,churn_score,email_opt_in,do_not_contact\n"
        "u1,0.9,True,False\nu2,0.4,FALSE,\nu3,0.8,true,True\n"
    ),
    "semicolon-decimal-comma": "user_id;churn_score;clv\nu1;0,5;12,5\nu2;0,25;3\n",
    "bom-crlf-mapping": "\ufeffCustomer;Risk\r\nu1;0.5\r\nu2;0.7\r\n",
}


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
@pytest.mark.parametrize("name", CLEAN)
def test_engines_answer_for_clean_files_with_the_pandas_report(tmp_path, name, engine):
    path = tmp_path / "cohort.csv"
    path.write_text(CLEAN[name], encoding="utf-8")
    mapping = {"Customer": "user_id", "Risk": "churn_score"} if "mapping" in name else None
    source = CohortSource(path=path, mapping=mapping)
    rule = "churn_score > 0.3" + (" and not do_not_contact" if "booleans" in name else "")
    report = _check_without_frame(source, rule, engine)
    assert report is not None, f"the {engine} engine should answer for a clean file"
    pandas = check_cohort(source, rule=rule, engine="pandas")
    assert report.as_dict() == pandas.as_dict()


def test_exported_booleans_are_read_as_booleans_and_tokens_as_text(tmp_path):
    from segments.arrow_cohort_check import _read
    from segments.column_mapping import load_mapping
    from segments.csv_scan_plan import plan_csv_scan

    path = tmp_path / "cohort.csv"
    path.write_text(CLEAN["exported-booleans"], encoding="utf-8")
    table = _read(plan_csv_scan(path, load_mapping(None)))
    assert str(table.column(2).type) == "bool" and table.column(2).to_pylist()[:2] == [True, False]
    path.write_text("user_id,churn_score,email_opt_in\nu1,0.9,True\nu2,0.4,yes\n", "utf-8")
    table = _read(plan_csv_scan(path, load_mapping(None)))
    assert str(table.column(2).type).startswith("dictionary")  # read again, checked by tokens


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_engines_decline_what_only_pandas_reads_exactly(tmp_path, engine):
    bodies = {
        "duplicate id": "user_id,churn_score\nu1,0.5\nu1,0.6\n",
        "underscore number": "user_id,churn_score\nu1,1_0\n",
        "padded boolean feature": "user_id,churn_score,f\nu1,0.5, true\nu2,0.5,false\n",
        "blank line": "user_id,churn_score\nu1,0.5\n\nu2,0.6\n",
        "utf-16": "user_id,churn_score\nu1,0.5\n",
    }
    for name, body in bodies.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(body.encode("utf-16" if name == "utf-16" else "utf-8"))
        assert _check_without_frame(CohortSource(path=path), None, engine) is None, name


def test_whitespace_set_is_what_python_strips():
    assert set(WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}
