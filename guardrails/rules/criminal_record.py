"""Criminal record and justice involvement: arrest, conviction, prison,
probation, parole.

Words and allowed phrases: `rules.criminal_record` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class CriminalRecordRule(Rule):
    """Implies a criminal record."""

    name = "criminal_record"
    code = "creepy_criminal"
    category = "criminal"
    describe = "Implies a criminal record"
