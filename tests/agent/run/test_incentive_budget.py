"""Incentive eligibility rules and the campaign budget."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.run.batch import apply_budget
from segments.errors import SegmentsError
from segments.incentives import (
    IncentiveCatalog,
    apply_eligibility,
    assign_incentives,
    load_incentive_catalog,
)


def frame(n: int = 10) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "tenure_days": [10 * (i + 1) for i in range(n)],
            "clv": [100.0 * (i + 1) for i in range(n)],
        }
    )


def test_shipped_catalog_has_an_eligibility_rule():
    catalog = load_incentive_catalog()
    assert catalog.offers["pct_30_month"].eligibility == "tenure_days >= 60"


def test_ineligible_users_lose_the_offer():
    catalog = load_incentive_catalog()
    cohort = frame()
    offers = assign_incentives(catalog, pd.Series("high", index=cohort.index), cohort["clv"])
    holders = offers.index[offers["offer_id"] == "pct_30_month"]
    assert len(holders) > 0
    withdrawn = apply_eligibility(offers, cohort, catalog)
    young = [i for i in holders if cohort.at[i, "tenure_days"] < 60]
    assert withdrawn == len(young)
    assert offers.loc[young, "offer_id"].isna().all()
    assert (offers.loc[young, "cost"] == 0).all()
    old = [i for i in holders if cohort.at[i, "tenure_days"] >= 60]
    assert (offers.loc[old, "offer_id"] == "pct_30_month").all()


def test_eligibility_on_a_missing_column_names_the_offer():
    catalog = load_incentive_catalog()
    cohort = frame().drop(columns=["tenure_days"])
    offers = assign_incentives(catalog, pd.Series("high", index=cohort.index), cohort["clv"])
    with pytest.raises(SegmentsError, match="offer 'pct_30_month': eligibility rule"):
        apply_eligibility(offers, cohort, catalog)


def test_malformed_eligibility_rule_is_rejected_on_load():
    data = load_incentive_catalog().model_dump()
    data["offers"]["pct_30_month"]["eligibility"] = "tenure_days >="
    with pytest.raises(ValueError, match="eligibility"):
        IncentiveCatalog.model_validate(data)


@pytest.mark.parametrize("budget", [0.0, 5.0, 12.5, 30.0, 1000.0, None])
def test_budget_is_respected_and_lowest_value_users_lose_offers_first(budget):
    catalog = load_incentive_catalog()
    cohort = frame()
    offers = assign_incentives(catalog, pd.Series("high", index=cohort.index), cohort["clv"])
    before = offers["cost"].sum()
    withdrawn = apply_budget(offers, cohort["clv"], budget)
    after = offers["cost"].sum()
    if budget is None or before <= budget:
        assert withdrawn == 0 and after == before
        return
    assert after <= budget
    kept = offers.index[offers["cost"] > 0]
    lost = offers.index[offers["offer_id"].isna()]
    if len(kept) and len(lost):
        assert cohort.loc[lost, "clv"].max() <= cohort.loc[kept, "clv"].min()
