"""Activation rules: parsing, type errors with a caret, vectorized evaluation with SQL nulls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments.activation_rules import evaluate_rule, select_active
from segments.rule_parser import parse_rule
from segments.rule_tokens import RuleError, tokenize


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e"],
            "churn_score": [0.8, 0.5, np.nan, 0.95, 0.71],
            "last_order_days": [50, 60, 70, 10, 46],
            "lifetime_orders": [4, 5, 6, 7, 3],
            "email_opt_in": pd.array([True, False, None, True, True], dtype="boolean"),
            "favorite_category": pd.Series(["yoga", "HIIT", None, "yoga", "run"], dtype="str"),
            "plan name": ["free", "pro", "pro", "free", "pro"],
            "last_contacted_at": pd.to_datetime(
                ["2024-01-01", None, "2024-03-01", "2024-05-01", "2024-06-01"], utc=True
            ),
        }
    )


SELECT = [
    ("churn_score > 0.7 and last_order_days > 45 and lifetime_orders > 3", "a"),
    ("CHURN_SCORE > 0.7".lower() + " AND lifetime_orders >= 7", "d"),
    ("churn_score = 0.5 or churn_score == 0.95", "bd"),
    ("churn_score != 0.5", "ade"),
    ("churn_score <> 0.5", "ade"),
    ("churn_score <= 0.71 and churn_score >= 0.5", "be"),
    ("not churn_score > 0.7", "b"),
    ("not (churn_score > 0.7 or lifetime_orders = 5)", ""),
    ("churn_score is null", "c"),
    ("churn_score is not null and email_opt_in", "ade"),
    ("email_opt_in = false", "b"),
    ("not email_opt_in", "b"),
    ("favorite_category in ['yoga', 'run']", "ade"),
    ('favorite_category not in ["yoga"]', "be"),
    ("lifetime_orders in [3, 7]", "de"),
    ("`plan name` = 'free' and favorite_category = 'yoga'", "ad"),
    ("last_contacted_at < '2024-04-01'", "ac"),
    ("last_contacted_at >= '2024-05-01T00:00:00Z'", "de"),
    ("lifetime_orders > -1 and churn_score > .9", "d"),
    ("(churn_score > 0.7 or lifetime_orders >= 6) and not favorite_category = 'HIIT'", "ade"),
    ("lifetime_orders > last_order_days", ""),
    ("true", "abcde"),
    ("churn_score > 1e-1 and false", ""),
]


@pytest.mark.parametrize(("rule", "expected"), SELECT)
def test_rules_select_the_right_users(frame, rule, expected):
    assert "".join(select_active(frame, rule).user_id) == expected


MALFORMED = [
    # (rule, message fragment, caret start, caret length)
    ("churn_score > 0.7 and last_ordr_days > 45", "Unknown column 'last_ordr_days'", 22, 14),
    ("churn_score >", "expected a column name", 13, 1),
    ("(churn_score > 1", "expected ')'", 16, 1),
    ("churn_score > 0.7 lifetime_orders > 3", "expected 'and', 'or'", 18, 15),
    ("churn_score # 3", "unexpected character '#'", 12, 1),
    ("favorite_category = 'yoga", "unclosed quote", 20, 1),
    ("churn_score > 'high'", "is a number but", 14, 6),
    ("favorite_category > 3", "is a string but", 20, 1),
    ("email_opt_in < true", "orders numbers or dates", 0, 19),
    ("favorite_category", "is a string, not a test", 0, 17),
    ("lifetime_orders and churn_score > 0.5", "is a number, not a test", 0, 15),
    ("lifetime_orders in [1, 'two']", "is a number but", 23, 5),
    ("lifetime_orders in [1, churn_score]", "a list holds", 23, 11),
    ("lifetime_orders in 1", "expected '['", 19, 1),
    ("churn_score is 0.5", "expected 'null'", 15, 3),
    ("churn_score = null", "is tested with 'is null'", 14, 4),
    ("last_contacted_at > 'soon'", "'soon' is not a date", 20, 6),
    ("", "the rule is empty", 0, 1),
    ("churn_score > 0.7 and", "expected a column name", 21, 1),
]


@pytest.mark.parametrize(("rule", "fragment", "start", "width"), MALFORMED)
def test_malformed_rules_point_at_the_problem(frame, rule, fragment, start, width):
    with pytest.raises(RuleError) as exc:
        evaluate_rule(frame, rule)
    err = exc.value
    assert fragment in err.message
    assert (err.start, err.end - err.start) == (start, width)
    lines = str(err).splitlines()
    assert lines[1] == f"  {rule}"
    assert lines[2] == "  " + " " * start + "^" * width
    assert err.exit_code == 2


def test_unknown_column_suggests_close_names_and_aliases(frame):
    df = frame.rename(columns={"last_order_days": "days_since_last_activity"})
    with pytest.raises(RuleError) as exc:
        evaluate_rule(df, "churn_score > 0.7 and last_order_days > 45")
    assert "did you mean 'days_since_last_activity'" in exc.value.message
    assert "Columns in this cohort:" in (exc.value.fix or "")


def test_never_evaluates_python(frame):
    for rule in ["__import__('os').system('true')", "churn_score.__class__", "lambda: 1"]:
        with pytest.raises(RuleError):
            evaluate_rule(frame, rule)


def test_tokens_and_tree_positions():
    toks = tokenize("a >= 'x y' and `b c` in [1, 2.5]")
    assert [t.kind for t in toks] == [
        "name", ">=", "string", "and", "name", "in", "[", "number", ",", "number", "]", "eof"
    ]  # fmt: skip
    assert toks[2].value == "x y" and toks[4].value == "b c"
    tree = parse_rule("not (a > 1)")
    assert (tree.start, tree.end) == (0, 11)


def test_empty_rule_selects_everyone(frame):
    assert len(select_active(frame, None)) == 5
    assert len(select_active(frame, "  ")) == 5


def test_million_rows_is_fast():

    n = 1_000_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "churn_score": rng.random(n),
            "days_since_last_activity": rng.integers(0, 100, n),
            "lifetime_orders": rng.integers(0, 10, n),
        }
    )
    rule = "churn_score > 0.7 and days_since_last_activity > 45 and lifetime_orders > 3"
    result = evaluate_rule(df, rule)
    expected = (
        (df.churn_score > 0.7) & (df.days_since_last_activity > 45) & (df.lifetime_orders > 3)
    )
    assert result.selected == int(expected.sum())
