"""Political opinions and trade-union membership (GDPR Art. 9).

Words and allowed phrases: `rules.politics_union` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class PoliticsUnionRule(Rule):
    """Implies political views or union membership."""

    name = "politics_union"
    code = "creepy_politics"
    category = "politics"
    describe = "Implies political views or union membership"
