"""Disability and impairment (sight, hearing, mobility, neurodivergence).
Accessibility as a product feature ("step-free entrance") is not a term.

Words and allowed phrases: `rules.disability` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class DisabilityRule(Rule):
    """Implies a disability."""

    name = "disability"
    code = "creepy_disability"
    category = "disability"
    describe = "Implies a disability"
