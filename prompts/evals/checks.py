"""Python assertions for evaluation suites (`type: python`, `value: "prompts.evals.checks:NAME"`).

Each function takes `(output, case)`: the model's output as a dict (as its
output schema dumps it) and the case (`name`, `vars`, `prompt`). It returns a
bool, a score in [0, 1], or `{"pass": bool, "score": float, "reason": str}`.
"""

from __future__ import annotations

import re
from typing import Any

URGENCY = re.compile(
    r"\b(tonight|today only|last chance|hurry|ends? (soon|today|tonight)|disappears?|"
    r"expires?|don'?t miss|fomo|act now|only \d+ (hours?|left))\b",
    re.IGNORECASE,
)


def _items(output: dict[str, Any]) -> list[dict[str, Any]]:
    return list(output.get("variants") or output.get("segments") or [])


def _text(item: dict[str, Any]) -> str:
    return " ".join(str(v) for v in item.values() if isinstance(v, str))


def mentions_offer_placeholder(output: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """Share of variants that name the offer through `{{ incentive }}` when the segment has one.

    For a segment whose incentive tier is "none" it checks the opposite: no variant
    promises an offer.
    """
    items = _items(output)
    tier = (case["vars"].get("segment") or {}).get("incentive_tier", "none")
    has = [bool(re.search(r"\{\{\s*incentive\s*\}\}", _text(i))) for i in items]
    if not items:
        return {"pass": False, "score": 0.0, "reason": "no variants"}
    if tier == "none":
        score = 1 - sum(has) / len(items)
        return {"pass": score == 1.0, "score": score, "reason": f"{sum(has)} mention an offer"}
    score = sum(has) / len(items)
    return {
        "pass": score >= 0.5,
        "score": score,
        "reason": f"{sum(has)} of {len(items)} use {{{{ incentive }}}}",
    }


def no_fake_urgency(output: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """No variant pressures the reader with fake deadlines or scarcity."""
    hits = [m.group(0) for i in _items(output) for m in URGENCY.finditer(_text(i))]
    if hits:
        return {"pass": False, "score": 0.0, "reason": f"urgency: {sorted(set(hits))}"}
    return {"pass": True, "score": 1.0, "reason": "no urgency phrases"}


def distinct_variants(output: dict[str, Any], case: dict[str, Any]) -> float:
    """Share of distinct variants (1.0: all different)."""
    texts = [_text(i).strip().lower() for i in _items(output)]
    return len(set(texts)) / len(texts) if texts else 0.0
