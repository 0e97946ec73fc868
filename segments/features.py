"""Behavioural features of a cohort, for clustering and PII-free profiles.

`compute_features(cohort)` turns a cohort DataFrame into a `FeatureSet`:

- `raw`: one row per user (same index as the cohort), numbers and the favourite
  category only. It never holds an identifier, a name, an e-mail, a phone or
  any free text, so everything built from it (cluster profiles, LLM prompts)
  is PII-free by construction.
- `matrix`: the behavioural columns of `raw`, transformed and scaled for k-means.

The features, and what happens when a column is missing (a feature that cannot
be computed is left out and listed in `skipped`, never faked):

| feature              | from                                                    |
|----------------------|---------------------------------------------------------|
| recency_days         | days_since_last_activity                                |
| frequency            | lifetime_orders                                         |
| monetary             | total_spend, else avg_order_value * lifetime_orders     |
| clv                  | clv (profiles and value tiers only, not clustered)      |
| tenure_days          | tenure_days                                             |
| activity_trend       | every `<stem>_before` / `<stem>_recent` numeric pair:    |
|                      | (recent - before) / max(before, recent), averaged over   |
|                      | pairs; -1 stopped, 0 unchanged, +1 new. Both 0 -> 0      |
| engagement_score     | engagement_score                                        |
| <channel>_<x>_rate   | numeric columns like email_open_rate, push_open_rate     |
| churn_score,         | passed through for profiles; predictions, not            |
| propensity           | behaviour, so not clustered                              |
| opt_in_<channel>,    | email/sms/push_opt_in, do_not_contact as 0/1; profiles   |
| do_not_contact       | only (channel mix), not clustered                        |
| favorite_category    | favorite_category (text; profiles only, not clustered)   |
| other numeric cols   | passed through and clustered (e.g. app_opens_last_30d),  |
|                      | except names that look like identity or sensitive data   |
|                      | (ids, zip codes, age, birth dates, coordinates, ...)     |

Scaling for the matrix: counts, money and days (non-negative columns) get
`log1p` so a few big spenders do not own a cluster; every column is then
centred on its median and divided by its standard deviation, missing values
become 0 (the median), and values are clipped to [-5, 5]. Columns that are
constant are dropped from the matrix. All of it is vectorised (100k rows in
well under a second).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prompts.channels import CHANNELS
from segments.cohort_schema import COLUMNS

PREDICTION_COLUMNS = ("churn_score", "propensity")
LOG_COLUMNS = ("recency_days", "frequency", "monetary", "clv", "tenure_days")
# Cohort columns with a fixed meaning (the schema's): never passed through as "extra" numbers.
KNOWN_COLUMNS = frozenset(COLUMNS)
# Extra numeric columns whose names suggest identity or sensitive attributes.
EXCLUDED_EXTRA = re.compile(
    r"(^|_)(id|ids|uuid|zip|zipcode|postcode|postal|phone|name|email|address|ssn|age|"
    r"birth|dob|lat|lon|lng|latitude|longitude|ip|gender|income|health|weight|height|bmi)($|_)",
    re.IGNORECASE,
)
CHANNEL_RATE = re.compile(r"^(email|sms|push)_\w*rate$")
MAX_CATEGORY_CHARS = 40
CLIP = 5.0


@dataclass(frozen=True)
class FeatureSet:
    """Per-user features: `raw` (PII-free frame) and `matrix` (scaled, for k-means)."""

    raw: pd.DataFrame
    matrix: np.ndarray
    columns: list[str]
    sources: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.raw)


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _flag(series: pd.Series) -> pd.Series:
    """Booleans, 0/1 or yes/no/true/false text as 1.0/0.0 (else NaN)."""
    if series.dtype == bool:
        return series.astype("float64")
    text = series.astype("string").str.strip().str.lower()
    mapped = text.map(
        {"true": 1.0, "yes": 1.0, "y": 1.0, "1": 1.0, "1.0": 1.0}
        | {"false": 0.0, "no": 0.0, "n": 0.0, "0": 0.0, "0.0": 0.0}
    )
    return pd.to_numeric(mapped, errors="coerce").astype("float64")


def _usable(series: pd.Series | None) -> bool:
    return series is not None and bool(series.notna().any())


def activity_pairs(columns: list[str]) -> list[tuple[str, str]]:
    """`(<stem>_before, <stem>_recent)` column pairs present in `columns`, sorted."""
    present = set(columns)
    return [
        (c, c[: -len("_before")] + "_recent")
        for c in sorted(present)
        if c.endswith("_before") and c[: -len("_before")] + "_recent" in present
    ]


def activity_trend(before: pd.Series, recent: pd.Series) -> pd.Series:
    """(recent - before) / max(before, recent): -1 stopped, 0 unchanged, +1 new; 0/0 -> 0."""
    b = before.clip(lower=0)
    r = recent.clip(lower=0)
    denom = np.maximum(b, r)
    trend = (r - b) / denom.where(denom > 0)
    return trend.mask((denom == 0) & b.notna() & r.notna(), 0.0)


def numeric_columns(frame: pd.DataFrame, skip: Callable[[str], bool]) -> list[str]:
    """Names of the numeric, non-boolean columns of `frame` that `skip` does not reject."""
    return [
        str(col)
        for col in frame.columns
        if not skip(str(col))
        and frame[col].dtype != bool
        and pd.api.types.is_numeric_dtype(frame[col])
    ]


def _extra_numeric(cohort: pd.DataFrame, used: set[str]) -> list[str]:
    return numeric_columns(
        cohort, lambda n: n in KNOWN_COLUMNS or n in used or bool(EXCLUDED_EXTRA.search(n))
    )


def compute_features(cohort: pd.DataFrame) -> FeatureSet:
    """Features of every user in `cohort` (see the module doc for each one)."""
    cols = {str(c): cohort[c] for c in cohort.columns}
    raw: dict[str, pd.Series] = {}
    sources: dict[str, str] = {}
    skipped: dict[str, str] = {}

    def num(name: str) -> pd.Series | None:
        return _numeric(cols[name]) if name in cols else None

    def put(feature: str, values: pd.Series | None, source: str, missing: str) -> None:
        if _usable(values):
            raw[feature] = values  # type: ignore[assignment]
            sources[feature] = source
        else:
            skipped[feature] = missing

    put(
        "recency_days",
        num("days_since_last_activity"),
        "days_since_last_activity",
        "no days_since_last_activity column (or no values)",
    )
    orders = num("lifetime_orders")
    put("frequency", orders, "lifetime_orders", "no lifetime_orders column (or no values)")

    spend, aov = num("total_spend"), num("avg_order_value")
    if _usable(spend):
        monetary, how = spend, "total_spend"
        if _usable(aov) and _usable(orders):
            monetary = spend.fillna(aov * orders)  # type: ignore[union-attr,operator]
            how = "total_spend, else avg_order_value * lifetime_orders"
    elif _usable(aov) and _usable(orders):
        monetary, how = aov * orders, "avg_order_value * lifetime_orders"  # type: ignore[operator]
    else:
        monetary, how = None, ""
    put("monetary", monetary, how, "no total_spend, nor avg_order_value with lifetime_orders")
    put("tenure_days", num("tenure_days"), "tenure_days", "no tenure_days column (or no values)")

    pairs = activity_pairs(list(cols))
    trends = [activity_trend(_numeric(cols[b]), _numeric(cols[r])) for b, r in pairs]
    trend = pd.concat(trends, axis=1).mean(axis=1) if trends else None
    put(
        "activity_trend",
        trend,
        "mean of " + ", ".join(f"{r} vs {b}" for b, r in pairs),
        "no <name>_before / <name>_recent column pair",
    )
    for b, r in pairs:
        for col in (b, r):
            put(col, _numeric(cols[col]), col, f"{col} has no values")
    put(
        "engagement_score",
        num("engagement_score"),
        "engagement_score",
        "no engagement_score column (or no values)",
    )
    for col in sorted(c for c in cols if CHANNEL_RATE.match(c)):
        put(col, _numeric(cols[col]), col, f"{col} has no values")
    used = set(raw) | {c for pair in pairs for c in pair}
    for col in _extra_numeric(cohort, used):
        put(col, _numeric(cols[col]), col, f"{col} has no values")

    behaviour = list(raw)  # everything above is clustered
    put("clv", num("clv"), "clv", "no clv column (or no values)")
    for col in PREDICTION_COLUMNS:
        put(col, num(col), col, f"no {col} column (or no values)")
    for channel in CHANNELS:
        col = f"{channel}_opt_in"
        values = _flag(cols[col]) if col in cols else None
        put(f"opt_in_{channel}", values, col, f"no {col} column (or no values)")
    dnc = _flag(cols["do_not_contact"]) if "do_not_contact" in cols else None
    put("do_not_contact", dnc, "do_not_contact", "no do_not_contact column (or no values)")

    frame = pd.DataFrame(raw, index=cohort.index, dtype="float64")
    if "favorite_category" in cols:
        category = cols["favorite_category"].astype("string").str.strip()
        category = category.mask((category == "") | (category.str.len() > MAX_CATEGORY_CHARS))
        if _usable(category):
            frame["favorite_category"] = category
            sources["favorite_category"] = "favorite_category"
    if "favorite_category" not in frame:
        skipped["favorite_category"] = "no favorite_category column (or no usable values)"

    matrix, columns = scale_for_clustering(frame, behaviour)
    return FeatureSet(frame, matrix, columns, sources, skipped)


def scale_for_clustering(raw: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[str]]:
    """log1p for non-negative counts/money/days, median-centre, std-scale, impute 0, clip."""
    kept: list[str] = []
    blocks: list[np.ndarray] = []
    for col in columns:
        values = raw[col].to_numpy(dtype="float64", copy=True)
        finite = np.isfinite(values)
        if not finite.any():
            continue
        if col in LOG_COLUMNS or (col not in ("activity_trend",) and _is_count_like(values)):
            values = np.log1p(np.clip(values, 0, None))
        centre = np.median(values[finite])
        spread = np.std(values[finite])
        if not np.isfinite(spread) or spread < 1e-12:
            continue
        scaled = np.where(finite, (values - centre) / spread, 0.0)
        blocks.append(np.clip(scaled, -CLIP, CLIP))
        kept.append(col)
    if not blocks:
        return np.zeros((len(raw), 0)), []
    return np.column_stack(blocks), kept


def _is_count_like(values: np.ndarray) -> bool:
    """Non-negative and heavy-tailed (max far above the median): worth a log."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or finite.min() < 0:
        return False
    median = float(np.median(finite))
    return float(finite.max()) > 10 * max(median, 1.0)
