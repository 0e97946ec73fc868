"""Pregnancy, fertility treatment, pregnancy loss and postpartum bodies
(the Target-coupon problem).

Words and allowed phrases: `rules.pregnancy_fertility` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class PregnancyFertilityRule(Rule):
    """Implies pregnancy or fertility."""

    name = "pregnancy_fertility"
    code = "creepy_pregnancy"
    category = "pregnancy"
    describe = "Implies pregnancy or fertility"
