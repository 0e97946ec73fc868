"""Shaming and guilt: "did you give up on yourself", "lazy", "we're
disappointed in you", comparisons with friends who kept going.

Words and allowed phrases: `rules.shaming_guilt` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class ShamingGuiltRule(Rule):
    """Shames or guilt-trips the reader."""

    name = "shaming_guilt"
    code = "creepy_shaming"
    category = "shaming"
    describe = "Shames or guilt-trips the reader"
