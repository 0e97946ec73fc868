"""Religion and philosophical beliefs (GDPR Art. 9). Public holidays used as
sale names ("Christmas sale") are not personal and are allowed.

Words and allowed phrases: `rules.religion_beliefs` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class ReligionBeliefsRule(Rule):
    """Implies religion or beliefs."""

    name = "religion_beliefs"
    code = "creepy_religion"
    category = "religion"
    describe = "Implies religion or beliefs"
