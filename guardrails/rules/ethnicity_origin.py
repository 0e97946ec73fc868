"""Race, ethnicity and national origin, including immigration status.
"Black Friday" and colour names of products are allowed.

Words and allowed phrases: `rules.ethnicity_origin` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class EthnicityOriginRule(Rule):
    """Implies race, ethnicity or national origin."""

    name = "ethnicity_origin"
    code = "creepy_ethnicity"
    category = "ethnicity"
    describe = "Implies race, ethnicity or national origin"
