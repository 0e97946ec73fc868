"""Family status and relationship events: divorce, breakup, bereavement,
engagement, single parenthood. Product names ("family plan", "Mother's Day
gift guide", "family swim hours") are allowed.

Words and allowed phrases: `rules.family_relationship` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class FamilyRelationshipRule(Rule):
    """Refers to family status or a relationship event."""

    name = "family_relationship"
    code = "creepy_family"
    category = "family"
    describe = "Refers to family status or a relationship event"
