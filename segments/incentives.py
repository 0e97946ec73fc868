"""Incentives: which offer each user gets, from a validated catalog.

The catalog (`prompts/incentive_catalog.yaml` by default; its comments explain
each key) lists offers, each with a `text` (what `{{ incentive }}` becomes), a
`value`, a `unit`, a `cap` and a `cost`, and maps every segment incentive tier
(`none | low | medium | high`, from the segment plan) and user value tier
(`low | mid | high`) to one offer or to no offer.

Loading validates the catalog with pydantic and cross-checks it (every tier
and value tier present, every offer referenced exists, tier `none` gives no
offer, no offer worth more than its own cap or its unit's cap). Any problem is
a `SegmentsError` naming the file and the key, e.g.
`tiers.medium.high: unknown offer 'pct_25'`.

Value tiers: the basis is `clv`, else `monetary` (total spend), else nothing.
A user's tier comes from the share of the cohort with a strictly lower value:
from `value_tiers.mid` (default 0.5) "mid", from `value_tiers.high` (0.8)
"high". Ties therefore land in the same tier, whatever the row order. A user
with no value (or a cohort with no value column) is "low": unknown value never
earns a bigger offer.

The choice is a pure lookup, so it is deterministic; the value handed out is
`min(value, cap, unit cap)` as a second guard, so no user ever gets more than
the catalog allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from prompts import PROMPTS_DIR
from prompts.yaml_file import read_yaml_mapping
from segments.errors import SegmentsError

DEFAULT_CATALOG = PROMPTS_DIR / "incentive_catalog.yaml"
SEGMENT_TIERS = ("none", "low", "medium", "high")
VALUE_TIERS = ("low", "mid", "high")
Unit = Literal["percent", "days", "currency", "none"]
SegmentTier = Literal["none", "low", "medium", "high"]
ValueTier = Literal["low", "mid", "high"]


class Offer(BaseModel):
    """One offer: its message text, what it is worth, its cap and its cost."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=80)
    value: float = Field(ge=0)
    unit: Unit
    cap: float = Field(ge=0)
    cost: float = Field(0.0, ge=0)
    eligibility: str | None = Field(
        None, description="a rule over cohort columns; users who fail it get no offer"
    )

    @model_validator(mode="after")
    def _within_cap(self) -> Offer:
        if self.value > self.cap:
            raise ValueError(f"value {self.value:g} is above its cap {self.cap:g}")
        if self.unit == "percent" and self.cap > 100:
            raise ValueError("a percent cap cannot be above 100")
        if self.unit == "none" and self.value != 0:
            raise ValueError("an offer with unit 'none' must have value 0")
        if "{" in self.text or "}" in self.text:
            raise ValueError("text must not contain '{' or '}'")
        if self.eligibility is not None:
            from segments.rule_parser import parse_rule
            from segments.rule_tokens import RuleError

            try:
                parse_rule(self.eligibility)
            except RuleError as exc:
                raise ValueError(f"eligibility: {exc.message}") from None
        return self


class ValueTierCutoffs(BaseModel):
    """Where the mid and high value tiers start (share of users with a lower value)."""

    model_config = ConfigDict(extra="forbid")

    mid: float = Field(0.5, gt=0, lt=1)
    high: float = Field(0.8, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> ValueTierCutoffs:
        if self.mid >= self.high:
            raise ValueError("mid must be below high")
        return self


class IncentiveCatalog(BaseModel):
    """The offers and the (segment tier, value tier) -> offer table."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    currency: str = Field("USD", min_length=1, max_length=8)
    value_tiers: ValueTierCutoffs = Field(default_factory=ValueTierCutoffs)
    unit_caps: dict[Unit, float] = Field(default_factory=dict)
    offers: dict[str, Offer]
    tiers: dict[SegmentTier, dict[ValueTier, str | None]]

    def offer_for(self, segment_tier: str, value_tier: str) -> tuple[str, Offer] | None:
        """The offer id and offer for this pair of tiers, or None (no offer)."""
        offer_id = self.tiers[segment_tier][value_tier]  # type: ignore[index]
        return None if offer_id is None else (offer_id, self.offers[offer_id])

    def granted_value(self, offer: Offer) -> float:
        """The offer's value, clamped to its cap and its unit's cap."""
        return min(offer.value, offer.cap, self.unit_caps.get(offer.unit, offer.cap))


def catalog_problems(catalog: IncentiveCatalog) -> list[tuple[str, str]]:
    """(key, problem) pairs pydantic cannot see: missing tiers, unknown offers, caps."""
    problems: list[tuple[str, str]] = []
    for tier in SEGMENT_TIERS:
        if tier not in catalog.tiers:
            problems.append((f"tiers.{tier}", "missing (every tier needs low, mid and high)"))
            continue
        for vt in VALUE_TIERS:
            key = f"tiers.{tier}.{vt}"
            if vt not in catalog.tiers[tier]:
                problems.append((key, "missing (use null for no offer)"))
                continue
            offer_id = catalog.tiers[tier][vt]  # type: ignore[index]
            if offer_id is None:
                continue
            if tier == "none":
                problems.append((key, "tier 'none' must not give an offer (use null)"))
            elif offer_id not in catalog.offers:
                known = ", ".join(sorted(catalog.offers)) or "none defined"
                problems.append((key, f"unknown offer '{offer_id}' (offers: {known})"))
    for offer_id, offer in sorted(catalog.offers.items()):
        if offer.unit not in catalog.unit_caps:
            problems.append((f"offers.{offer_id}.unit", f"no unit_caps entry for '{offer.unit}'"))
        elif offer.value > catalog.unit_caps[offer.unit]:
            cap = catalog.unit_caps[offer.unit]
            problems.append(
                (
                    f"offers.{offer_id}.value",
                    f"{offer.value:g} is above unit_caps.{offer.unit} ({cap:g})",
                )
            )
    for unit, cap in catalog.unit_caps.items():
        if cap < 0:
            problems.append((f"unit_caps.{unit}", "must be 0 or more"))
    return problems


def load_incentive_catalog(path: Path | str | None = None) -> IncentiveCatalog:
    """The catalog at `path` (default: the shipped one), validated; `SegmentsError` if not."""
    where = Path(path) if path is not None else DEFAULT_CATALOG
    fix = (
        "Fix that key; the comments in the shipped prompts/incentive_catalog.yaml explain each one."
    )
    data = read_yaml_mapping(
        where,
        "Incentive catalog",
        fix=fix,
        missing_fix="Check the incentive_catalog path in the campaign file.",
        kind="a mapping of keys",
        empty_ok=False,
        error=SegmentsError,
    )
    try:
        catalog = IncentiveCatalog.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_key(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise SegmentsError(
            f"Invalid incentive catalog {where}: " + "; ".join(lines), fix
        ) from None
    problems = catalog_problems(catalog)
    if problems:
        text = "; ".join(f"{key}: {msg}" for key, msg in problems)
        raise SegmentsError(f"Invalid incentive catalog {where}: {text}", fix)
    return catalog


def _key(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p != "[key]") or "(root)"


def value_basis(raw: pd.DataFrame) -> pd.Series | None:
    """The per-user value the tiers are cut from: clv, else monetary, else None."""
    for col in ("clv", "monetary", "total_spend"):
        if col in raw and pd.to_numeric(raw[col], errors="coerce").notna().any():
            return pd.to_numeric(raw[col], errors="coerce").astype("float64")
    return None


def value_tiers(values: pd.Series | None, cutoffs: ValueTierCutoffs, index: pd.Index) -> pd.Series:
    """'low' | 'mid' | 'high' per user from the share of users with a strictly lower value."""
    out = pd.Series("low", index=index, dtype="object")
    if values is None:
        return out
    v = values.reindex(index).to_numpy(dtype="float64")
    present = np.isfinite(v)
    if not present.any():
        return out
    known = np.sort(v[present])
    below = np.searchsorted(known, v[present], side="left") / len(known)
    tiers = np.where(below >= cutoffs.high, "high", np.where(below >= cutoffs.mid, "mid", "low"))
    out[present] = tiers
    return out


def assign_incentives(
    catalog: IncentiveCatalog,
    segment_tiers: pd.Series,
    values: pd.Series | None,
) -> pd.DataFrame:
    """Per user (the index of `segment_tiers`): value tier, offer id, text, value, unit, cost."""
    unknown = sorted(set(segment_tiers.dropna().astype(str)) - set(SEGMENT_TIERS))
    if unknown:
        raise ValueError(f"unknown incentive tier(s): {', '.join(unknown)}")
    index = segment_tiers.index
    vt = value_tiers(values, catalog.value_tiers, index)
    table: dict[tuple[str, str], tuple] = {}
    for tier in SEGMENT_TIERS:
        for value_tier in VALUE_TIERS:
            found = catalog.offer_for(tier, value_tier)
            if found is None:
                table[(tier, value_tier)] = (None, None, np.nan, None, 0.0)
            else:
                oid, offer = found
                granted = catalog.granted_value(offer)
                table[(tier, value_tier)] = (oid, offer.text, granted, offer.unit, offer.cost)
    tiers = segment_tiers.fillna("none").astype(str)
    rows = [table[pair] for pair in zip(tiers.tolist(), vt.tolist(), strict=True)]
    names = ["offer_id", "incentive", "value", "unit", "cost"]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    dtypes = [object, object, "float64", object, "float64"]
    frame = pd.DataFrame(
        {
            n: pd.Series(c, index=index, dtype=d)
            for n, c, d in zip(names, columns, dtypes, strict=True)
        },
        index=index,
    )
    frame.insert(0, "value_tier", vt)
    return frame


def apply_eligibility(
    incentives: pd.DataFrame, cohort: pd.DataFrame, catalog: IncentiveCatalog
) -> int:
    """Withdraw offers from users who fail the offer's eligibility rule; return how many.

    The rule is the cohort rule language (`segments.activation_rules`), checked
    against the cohort's columns: a column the cohort lacks is a `RuleError`
    naming the offer, before anything is written.
    """
    from segments.activation_rules import evaluate_rule
    from segments.rule_tokens import RuleError

    withdrawn = 0
    for offer_id, offer in catalog.offers.items():
        if offer.eligibility is None:
            continue
        holders = incentives.index[incentives["offer_id"] == offer_id]
        if len(holders) == 0:
            continue
        try:
            ok = evaluate_rule(cohort.loc[holders], offer.eligibility).mask
        except RuleError as exc:
            raise SegmentsError(
                f"Incentive catalog offer {offer_id!r}: eligibility rule {offer.eligibility!r}: "
                f"{exc.message}",
                "Fix the rule in the catalog, or add the column to the cohort.",
            ) from None
        out = holders[~ok]
        incentives.loc[out, ["offer_id", "incentive", "unit"]] = None
        incentives.loc[out, "value"] = np.nan
        incentives.loc[out, "cost"] = 0.0
        withdrawn += len(out)
    return withdrawn
