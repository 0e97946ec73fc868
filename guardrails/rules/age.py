"""Age and ageing of the recipient: "at your age", "over 60", "retirees like
you", "your 50th birthday". Job titles ("senior instructor") and ages of
programs ("kids' camps for ages 6 to 12") are allowed.

Words and allowed phrases: `rules.age` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class AgeRule(Rule):
    """Refers to the recipient's age."""

    name = "age"
    code = "creepy_age"
    category = "age"
    describe = "Refers to the recipient's age"
