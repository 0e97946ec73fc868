"""Incentive catalog: validation on load (file and key named), value tiers, caps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from segments.errors import SegmentsError
from segments.incentives import (
    DEFAULT_CATALOG,
    SEGMENT_TIERS,
    VALUE_TIERS,
    IncentiveCatalog,
    Offer,
    ValueTierCutoffs,
    assign_incentives,
    load_incentive_catalog,
    value_basis,
    value_tiers,
)


def shipped() -> dict:
    return yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))


def test_shipped_catalog_loads() -> None:
    catalog = load_incentive_catalog()
    assert catalog.offer_for("none", "high") is None
    assert catalog.offer_for("medium", "low")[0] == "free_week"
    assert catalog.offer_for("high", "high")[1].text == "30% off your next month"
    for offer in catalog.offers.values():
        assert offer.value <= offer.cap <= catalog.unit_caps[offer.unit]


def edit(change) -> dict:
    data = shipped()
    change(data)
    return data


def _set(path: str, value):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _drop(path: str):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]

    return change


MALFORMED = [
    (_set("tiers.medium.high", "pct_25"), "tiers.medium.high: unknown offer 'pct_25'"),
    (
        _set("offers.free_week.value", 10),
        "offers.free_week: Value error, value 10 is above its cap 7",
    ),
    (_set("offers.free_week.unit", "weeks"), "offers.free_week.unit: Input should be"),
    (
        _set("offers.free_week.colour", "red"),
        "offers.free_week.colour: Extra inputs are not permitted",
    ),
    (_drop("offers.free_week.text"), "offers.free_week.text: Field required"),
    (_set("offers.free_week.text", ""), "offers.free_week.text: String should have at least 1"),
    (_set("offers.free_week.text", "{{ email }}"), "text must not contain '{' or '}'"),
    (_set("offers.free_week.value", -1), "offers.free_week.value: Input should be greater than"),
    (_set("offers.free_week.cap", "lots"), "offers.free_week.cap: Input should be a valid number"),
    (_drop("tiers.high"), "tiers.high: missing"),
    (_drop("tiers.low.mid"), "tiers.low.mid: missing (use null for no offer)"),
    (_set("tiers.none.high", "free_week"), "tiers.none.high: tier 'none' must not give an offer"),
    (_set("tiers.huge", {"low": None}), "tiers.huge: Input should be"),
    (_set("unit_caps.days", 5), "offers.free_week.value: 7 is above unit_caps.days (5)"),
    (_drop("unit_caps.percent"), "offers.pct_20_month.unit: no unit_caps entry for 'percent'"),
    (_set("value_tiers.mid", 0.9), "value_tiers: Value error, mid must be below high"),
    (_set("value_tiers.high", 1.5), "value_tiers.high: Input should be less than 1"),
    (_drop("offers"), "offers: Field required"),
    (_set("surprise", 1), "surprise: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_malformed_catalog_names_file_and_key(tmp_path: Path, change, message: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(edit(change)), encoding="utf-8")
    with pytest.raises(SegmentsError) as info:
        load_incentive_catalog(path)
    assert info.value.exit_code == 2
    assert str(path) in info.value.message
    assert message in info.value.message
    assert info.value.fix


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tiers: [unclosed", "is not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("", "must be a mapping"),
    ],
)
def test_unreadable_catalog(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SegmentsError, match=message):
        load_incentive_catalog(path)


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(SegmentsError, match="does not exist"):
        load_incentive_catalog(tmp_path / "nope.yaml")


def test_value_tiers_use_strictly_lower_share_so_ties_stay_together() -> None:
    values = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    cut = ValueTierCutoffs(mid=0.5, high=0.8)
    assert (
        value_tiers(values, cut, values.index).tolist() == ["low"] * 5 + ["mid"] * 3 + ["high"] * 2
    )
    same = pd.Series([5.0] * 10)
    assert set(value_tiers(same, cut, same.index)) == {"low"}
    with_gaps = pd.Series([np.nan, 1.0, 100.0, None])
    assert value_tiers(with_gaps, cut, with_gaps.index).tolist() == ["low", "low", "mid", "low"]
    assert set(value_tiers(None, cut, pd.RangeIndex(3))) == {"low"}


def test_value_basis_prefers_clv_then_monetary() -> None:
    raw = pd.DataFrame({"monetary": [1.0, 2.0], "clv": [10.0, 20.0]})
    assert value_basis(raw).tolist() == [10.0, 20.0]
    assert value_basis(raw.drop(columns="clv")).tolist() == [1.0, 2.0]
    assert value_basis(pd.DataFrame({"clv": [None, None]})) is None


def test_assign_incentives_looks_up_segment_and_value_tier() -> None:
    catalog = load_incentive_catalog()
    tiers = pd.Series(
        ["none", "medium", "medium", "high", "low", *["low"] * 5], index=range(10, 20)
    )
    values = pd.Series([9.0, 1, 8, 10, None, 2, 3, 4, 5, 6], index=tiers.index)
    out = assign_incentives(catalog, tiers, values).head(5)
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert out["value_tier"].tolist() == ["mid", "low", "mid", "high", "low"]
    assert out["offer_id"].tolist() == [
        None,
        "free_week",
        "free_week",
        "pct_30_month",
        "comeback_plan",
    ]
    assert out["incentive"].iloc[1] == "a free week of Premium"
    assert out["incentive"].iloc[0] is None
    assert np.isnan(out["value"].iloc[0]) and out["cost"].iloc[0] == 0.0
    assert out.loc[13, "value"] == 30 and out.loc[13, "unit"] == "percent"
    with pytest.raises(ValueError, match="unknown incentive tier"):
        assign_incentives(catalog, pd.Series(["huge"]), None)


def test_granted_value_is_clamped_even_if_validation_was_bypassed() -> None:
    offer = Offer.model_construct(text="50% off", value=50, unit="percent", cap=50, cost=1)
    catalog = IncentiveCatalog.model_construct(
        version=1,
        currency="USD",
        value_tiers=ValueTierCutoffs(),
        unit_caps={"percent": 30},
        offers={"big": offer},
        tiers={
            t: dict.fromkeys(VALUE_TIERS, None if t == "none" else "big") for t in SEGMENT_TIERS
        },
    )
    out = assign_incentives(catalog, pd.Series(["high", "low"]), pd.Series([1.0, 2.0]))
    assert out["value"].tolist() == [30.0, 30.0]


UNITS = ["percent", "days", "currency", "none"]


@st.composite
def catalogs(draw) -> dict:
    unit_caps = {u: draw(st.integers(0, 60)) if u != "none" else 0 for u in UNITS}
    offers = {}
    for i in range(draw(st.integers(1, 5))):
        unit = draw(st.sampled_from(UNITS))
        limit = min(unit_caps[unit], 100 if unit == "percent" else 10**6)
        cap = draw(st.integers(0, limit))
        value = 0 if unit == "none" else draw(st.integers(0, cap))
        offers[f"o{i}"] = {"text": f"offer {i}", "value": value, "unit": unit, "cap": cap}
    ids = [*offers, None]
    tiers = {
        t: {v: None if t == "none" else draw(st.sampled_from(ids)) for v in VALUE_TIERS}
        for t in SEGMENT_TIERS
    }
    return {"unit_caps": unit_caps, "offers": offers, "tiers": tiers}


@settings(max_examples=60, deadline=None)
@given(
    catalogs(),
    st.lists(
        st.tuples(
            st.sampled_from(SEGMENT_TIERS),
            st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_incentive_is_never_above_cap(tmp_path_factory, data: dict, users: list) -> None:
    path = tmp_path_factory.mktemp("cat") / "catalog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    catalog = load_incentive_catalog(path)
    tiers = pd.Series([t for t, _ in users])
    values = pd.Series([v for _, v in users], dtype="float64")
    out = assign_incentives(catalog, tiers, values)
    again = assign_incentives(catalog, tiers, values)
    pd.testing.assert_frame_equal(out, again)
    for row, tier in zip(out.itertuples(), tiers, strict=True):
        if tier == "none" or row.offer_id is None:
            assert row.offer_id is None and row.incentive is None
            continue
        offer = catalog.offers[row.offer_id]
        assert row.value <= offer.cap
        assert row.value <= catalog.unit_caps[offer.unit]
