"""Offer rule: an incentive above the catalog's cap.

A message may carry the incentive it offers, as chosen from the catalog:

    "incentive": {"value": 30, "cap": 25, "unit": "percent"}

`value` is what the message offers, `cap` the catalog's maximum for this
user's tier, `unit` is `percent` (default) or a currency code (`usd`, `eur`,
`gbp`). The message is flagged when `value > cap`, and for every amount in
the text in the same unit above the cap ("40% off", "$60 off"), so copy the
model wrote around the catalog cannot promise more than the business allows.
Severity: `offer.over_cap_severity`.
"""

from __future__ import annotations

import re
from typing import Any

from guardrails.findings import Finding, quote
from guardrails.policy import Policy

AMOUNT_PATTERNS = {
    "percent": r"(\d+(?:\.\d+)?)\s?%",
    "usd": r"\$\s?(\d+(?:\.\d+)?)",
    "eur": r"€\s?(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s?€",
    "gbp": r"£\s?(\d+(?:\.\d+)?)",
}
OFF = r"(?=\s*(?:off|discount|back|saving))"


def check_incentive(
    text: str, incentive: dict[str, Any] | None, policy: Policy, field: str = "text"
) -> list[Finding]:
    """Findings for an incentive over its cap (see module doc)."""
    severity = policy.offer.get("over_cap_severity", "block")
    if not incentive or severity == "off" or incentive.get("cap") is None:
        return []
    cap, unit = float(incentive["cap"]), str(incentive.get("unit", "percent")).lower()
    findings = []
    value = incentive.get("value")
    if field == "text" and value is not None and float(value) > cap:
        findings.append(
            Finding(
                "offer_over_cap",
                "offer",
                severity,
                0,
                0,
                f"Incentive {value} {unit} is above the catalog cap of {incentive['cap']}",
                field,
            )
        )
    pattern = AMOUNT_PATTERNS.get(unit)
    for m in re.finditer(pattern + OFF, text, re.IGNORECASE) if pattern else ():
        amount = float(next(g for g in m.groups() if g))
        if amount > cap:
            findings.append(
                Finding(
                    "offer_over_cap",
                    "offer",
                    severity,
                    m.start(),
                    m.end(),
                    f"Promises {quote(text, m.start(), m.end())}, above the catalog cap of "
                    f"{incentive['cap']} {unit}",
                    field,
                )
            )
    return findings
