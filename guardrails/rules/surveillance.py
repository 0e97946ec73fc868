"""Surveillance phrasing: exact times or places of someone's behaviour,
counts of what they viewed or opened, "we've been tracking/watching", where
they are right now. "It's been 10 days since your last workout" is the kind
of aggregate that is fine.

Words and allowed phrases: `rules.surveillance` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class SurveillanceRule(Rule):
    """Sounds like surveillance."""

    name = "surveillance"
    code = "creepy_surveillance"
    category = "surveillance"
    describe = "Sounds like surveillance"
