"""Physical or mental health and medical conditions (GDPR Art. 9 health data;
Meta: copy must not assert or imply a medical condition). Diagnoses,
symptoms, injuries, treatments and medication. Fitness words that are about
the product ("your health journey", "healthy habits", "heart-rate zones") are
in the allow list.

Words and allowed phrases: `rules.health_condition` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class HealthConditionRule(Rule):
    """Implies a health condition."""

    name = "health_condition"
    code = "creepy_health"
    category = "health"
    describe = "Implies a health condition"
