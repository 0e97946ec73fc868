"""Starter sets: per-vertical campaign, baseline copy and incentive catalog, fitted to a cohort.

The data lives in `prompts/starters/<vertical>/` (its README explains the
format). Fitting a starter to a cohort never invents anything; it only leaves
out what the cohort cannot support:

- copy: per entry (`email`, `email_with_incentive`, ...) the first alternative
  whose placeholders the cohort can fill (`{{ incentive }}` only in
  `*_with_incentive` entries, where it is required);
- rule: the clauses of the starter's `a and b and c` rule whose columns the
  cohort has;
- catalog: an offer whose `eligibility` rule needs a column the cohort lacks
  is removed and its tier slots give no offer (never a bigger offer instead).

`%BRAND%` in any text becomes the brand name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import WinbackError
from prompts import PROMPTS_DIR
from prompts.yaml_file import read_yaml_mapping
from segments.rule_tokens import tokenize

STARTERS_DIR = PROMPTS_DIR / "starters"
BRAND_TOKEN = "%BRAND%"
INCENTIVE = "incentive"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def verticals() -> list[str]:
    """The verticals that have a starter set (folder names under prompts/starters/)."""
    return sorted(p.name for p in STARTERS_DIR.iterdir() if (p / "campaign.yaml").is_file())


def starter_dir(vertical: str) -> Path:
    """The folder of one vertical's starter set, or a WinbackError listing the verticals."""
    if vertical not in verticals():
        raise WinbackError(
            f"No starter set for vertical {vertical!r}",
            f"Use --vertical {' | '.join(verticals())}.",
        )
    return STARTERS_DIR / vertical


def placeholders_in(texts: Iterable[str]) -> set[str]:
    """The `{{ name }}` placeholders used in some texts."""
    return {m.group(1) for t in texts for m in PLACEHOLDER.finditer(t)}


def rule_columns(rule: str) -> set[str]:
    """The column names a rule (or eligibility rule) reads."""
    return {str(t.value) for t in tokenize(rule) if t.kind == "name"}


def with_brand(value: Any, brand: str) -> Any:
    """`value` with `%BRAND%` replaced in every string, recursively."""
    if isinstance(value, str):
        return value.replace(BRAND_TOKEN, brand)
    if isinstance(value, dict):
        return {k: with_brand(v, brand) for k, v in value.items()}
    if isinstance(value, list):
        return [with_brand(v, brand) for v in value]
    return value


@dataclass
class FittedCopy:
    """The baseline copy chosen for a cohort, and which alternative each entry used."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    alternative: dict[str, int] = field(default_factory=dict)  # 0 = the richest


def fit_copy(vertical: str, channels: list[str], fillable: set[str], brand: str) -> FittedCopy:
    """Per entry of the chosen channels, the first alternative the cohort can fill."""
    path = starter_dir(vertical) / "baseline_copy.yaml"
    data = read_yaml_mapping(path, "Starter copy", fix="Fix the starter set.", error=WinbackError)
    fitted = FittedCopy()
    for key, alternatives in data.items():
        channel = str(key).split("_with_")[0]
        if channel not in channels:
            continue
        allowed = fillable | ({INCENTIVE} if key.endswith("_with_incentive") else set())
        for i, fields in enumerate(alternatives):
            used = placeholders_in(str(v) for v in fields.values())
            if used <= allowed:
                fitted.entries[key] = {k: str(v) for k, v in with_brand(fields, brand).items()}
                fitted.alternative[key] = i
                break
        else:  # the starter's last alternative uses no cohort column: a data bug
            raise WinbackError(
                f"Starter copy {path}: no alternative of {key!r} fits placeholders "
                f"{sorted(allowed)}",
                "End every entry with an alternative that uses no cohort column.",
            )
    return fitted


def fit_rule(rule: str | None, columns: set[str]) -> tuple[str | None, list[str]]:
    """(the rule's clauses the cohort can evaluate joined by `and`, the clauses left out)."""
    if not rule:
        return None, []
    kept, dropped = [], []
    for clause in AND.split(rule.strip()):
        (kept if rule_columns(clause) <= columns else dropped).append(clause)
    return (" and ".join(kept) or None), dropped


def fit_catalog(data: dict[str, Any], columns: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The catalog without offers whose eligibility needs a missing column; notes on each."""
    offers = dict(data.get("offers") or {})
    notes: list[str] = []
    for offer_id, offer in list(offers.items()):
        rule = offer.get("eligibility") if isinstance(offer, dict) else None
        if not rule:
            continue
        missing = sorted(rule_columns(str(rule)) - columns)
        if missing:
            del offers[offer_id]
            notes.append(
                f"offer {offer_id} removed: its eligibility ({rule}) needs "
                f"{', '.join(missing)}, which the cohort lacks; its tier slots give no offer"
            )
    tiers = {
        tier: {vt: (o if o in offers else None) for vt, o in (slots or {}).items()}
        for tier, slots in (data.get("tiers") or {}).items()
    }
    return {**data, "offers": offers, "tiers": tiers}, notes
