"""False urgency and fake scarcity: minute-level countdowns, "only 2 left",
"N people are looking at this", threats of deletion. A stated end date for a
real offer ("ends Sunday") is allowed.

Words and allowed phrases: `rules.false_urgency` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class FalseUrgencyRule(Rule):
    """Uses false urgency or fake scarcity."""

    name = "false_urgency"
    code = "creepy_urgency"
    category = "urgency"
    describe = "Uses false urgency or fake scarcity"
