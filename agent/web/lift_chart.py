"""The lift page's chart and verdict: arm conversion rates with 95% Wilson intervals.

Drawn as SVG geometry computed here and written by the template, so the page
needs no script. The verdict in words comes from the treatment-vs-control
comparison of `agent.lift.stats.compare` (its CI, p-value and power check).
"""

from __future__ import annotations

import math
from typing import Any

WIDTH, HEIGHT, PAD, BAR = 480, 220, 40, 80
Z95 = 1.959963984540054


def wilson(conversions: int, users: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (0, 0 for an empty arm)."""
    if users == 0:
        return 0.0, 0.0
    p = conversions / users
    denom = 1 + z * z / users
    centre = (p + z * z / (2 * users)) / denom
    half = z * math.sqrt(p * (1 - p) / users + z * z / (4 * users * users)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def chart(arms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Bars and whiskers (in SVG units) for each arm's rate and interval."""
    rows = []
    for name, arm in arms.items():
        lo, hi = wilson(arm["conversions"], arm["users"])
        rows.append({"name": name, "rate": arm["rate"] or 0.0, "lo": lo, "hi": hi, **arm})
    top = max([r["hi"] for r in rows] + [0.01]) * 1.15
    plot = HEIGHT - 2 * PAD

    def y(value: float) -> float:
        return round(HEIGHT - PAD - plot * value / top, 1)

    for i, r in enumerate(rows):
        x = PAD + i * (BAR + 60)
        r.update(
            x=x,
            centre=x + BAR / 2,
            y=y(r["rate"]),
            height=round(HEIGHT - PAD - y(r["rate"]), 1),
            y_lo=y(r["lo"]),
            y_hi=y(r["hi"]),
        )
    return {"width": WIDTH, "height": HEIGHT, "base": HEIGHT - PAD, "bar": BAR, "rows": rows}


def verdict(report: dict[str, Any]) -> str:
    """One sentence on treatment vs control."""
    c = next(
        (
            x
            for x in report["comparisons"]
            if (x["treated"], x["reference"]) == ("treatment", "control")
        ),
        None,
    )
    if c is None or "note" in c:
        return "Treatment and control cannot be compared: " + (c or {}).get("note", "no data") + "."
    pts = 100 * c["absolute_lift"]
    lo, hi = (100 * v for v in c["absolute_ci"])
    direction = "more" if pts >= 0 else "fewer"
    text = (
        f"Treatment converted {abs(pts):.1f} percentage points {direction} than control "
        f"(95% CI {lo:+.1f} to {hi:+.1f} points, p = {c['p_value']:.3g}): "
    )
    if c["significant"]:
        text += "a statistically significant difference."
    elif c.get("underpowered"):
        text += "not significant, and the arms are too small to detect a lift this size."
    else:
        text += "not a statistically significant difference."
    return text
